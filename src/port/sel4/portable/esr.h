/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exception Syndrome Register decoding for trapped guest accesses (Arm ARM
 * D17.2.37, ESR_EL2). KVM decodes these in the kernel; on seL4 the VMM gets
 * the raw syndrome in a fault message (VMFault's FSR, VCPUFault's HSR) and
 * must decide itself whether it can emulate the access. Everything here is
 * guest-controlled input: every field is checked before it is trusted.
 */
#ifndef STDVMM_PORT_SEL4_ESR_H
#define STDVMM_PORT_SEL4_ESR_H

#include <stdbool.h>
#include <stdint.h>

#define ESR_EC_SHIFT 26
#define ESR_EC_MASK 0x3fu
#define ESR_IL (1u << 25)
#define ESR_ISS_MASK 0x1ffffffu

/* Exception classes a guest can cause that the VMM has to look at. */
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_WFX 0x01
#define ESR_EC_HVC32 0x12
#define ESR_EC_SMC32 0x13
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYSREG 0x18
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_DABT_LOW 0x24

/* Data abort ISS fields. */
#define ESR_DABT_ISV (1u << 24)
#define ESR_DABT_SAS_SHIFT 22
#define ESR_DABT_SSE (1u << 21)
#define ESR_DABT_SRT_SHIFT 16
#define ESR_DABT_SF (1u << 15)
#define ESR_DABT_AR (1u << 14)
#define ESR_DABT_FNV (1u << 10)
#define ESR_DABT_EA (1u << 9)
#define ESR_DABT_CM (1u << 8)
#define ESR_DABT_S1PTW (1u << 7)
#define ESR_DABT_WNR (1u << 6)
#define ESR_DABT_DFSC_MASK 0x3fu

/* Register number 31 in a load/store syndrome is the zero register, not SP. */
#define ESR_REG_ZR 31

uint32_t esr_ec(uint64_t esr);

/* Why a data abort cannot be emulated as one MMIO access. */
enum esr_dabt_status {
    ESR_DABT_OK = 0,
    ESR_DABT_NOT_DABT,    /* the syndrome is not a data abort from the guest */
    ESR_DABT_NO_SYNDROME, /* ISV clear: e.g. LDP/STP or a writeback form; needs instruction decode
                           */
    ESR_DABT_STAGE1_WALK, /* the guest's own page-table walk hit the hole (S1PTW) */
    ESR_DABT_EXTERNAL,    /* synchronous external abort: not an access the VMM should answer */
    ESR_DABT_CACHE_MAINT, /* DC/IC on the hole: nothing to emulate, skip the instruction */
};

struct esr_dabt {
    uint32_t len;     /* 1, 2, 4 or 8 bytes */
    bool is_write;    /* WnR */
    bool sign_extend; /* SSE: a load that sign-extends to the register width */
    bool reg64;       /* SF: the register is Xn (else Wn) */
    unsigned reg;     /* SRT 0..30, or ESR_REG_ZR */
    bool acq_rel;     /* AR: load-acquire/store-release; same emulation */
    uint32_t dfsc;    /* fault status, for messages */
};

/* Decodes a stage-2 data abort; out is filled only for ESR_DABT_OK. */
enum esr_dabt_status esr_decode_dabt(uint64_t esr, struct esr_dabt *out);

const char *esr_dabt_status_name(enum esr_dabt_status status);

/*
 * The value a load leaves in the register: the len bytes read, sign-extended
 * when SSE says so, then cut to the register width (W registers clear 63:32).
 */
uint64_t esr_dabt_load_value(const struct esr_dabt *d, uint64_t data);

/* The bytes a store writes: the low len bytes of the register. */
uint64_t esr_dabt_store_value(const struct esr_dabt *d, uint64_t reg);

/*
 * HVC and SMC traps (SMCCC conduits). The immediate must be 0 for an SMCCC
 * call. After an HVC trap the preferred return address already points past
 * the instruction; after an SMC trap it points at the SMC, so the VMM must
 * step over it.
 */
bool esr_is_hvc_smc(uint64_t esr);
uint32_t esr_hvc_smc_imm(uint64_t esr);
bool esr_call_needs_pc_step(uint64_t esr);

/* WFI (false) or WFE (true): ISS bit 0 (TI). */
bool esr_wfx_is_wfe(uint64_t esr);

/* A human name for an exception class, for "unknown fault" messages. */
const char *esr_ec_name(uint32_t ec);

#endif
