/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64 part of the hypervisor port contract (see hv.h). The types are
 * stdvmm's own, so that the arch code stays free of Linux headers.
 *
 * Order of calls for one VM: hv_rv64_features, hv_rv64_create_aia (before
 * any vCPU exists), hv_vcpu_create + hv_rv64_vcpu_init for every vCPU,
 * hv_rv64_vcpu_set_boot_regs on the boot vCPU, hv_rv64_aia_init once all
 * vCPUs exist (where there is no AIA, hv_rv64_vcpu_set_external_irq
 * instead, whenever the VMM's PLIC changes a hart's line).
 *
 * Interrupt numbers passed to hv_vm_set_irq_line() and hv_vm_add_irqfd()
 * are APLIC wired-source numbers (1..sources), the device tree's numbers
 * (with the AIA only: the VMM's PLIC takes its lines itself).
 *
 * SBI is the hypervisor's: the timer, IPIs, remote fences and HSM (hart
 * start and stop, for secondary harts) never reach the VMM; a guest's SRST
 * shutdown or reboot does, as HV_EXIT_SYSTEM_OFF / HV_EXIT_SYSTEM_RESET.
 */
#ifndef STDVMM_HV_RISCV64_H
#define STDVMM_HV_RISCV64_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/hv.h"

/*
 * ISA extensions by KVM's numbering (enum KVM_RISCV_ISA_EXT_ID in Linux's
 * uapi asm/kvm.h, a stable ABI): a port on another hypervisor uses the
 * same numbers. The device tree names come from src/arch/riscv64/isa.c.
 */
enum rv64_isa_ext {
    RV64_EXT_A = 0,
    RV64_EXT_C,
    RV64_EXT_D,
    RV64_EXT_F,
    RV64_EXT_H,
    RV64_EXT_I,
    RV64_EXT_M,
    RV64_EXT_SVPBMT,
    RV64_EXT_SSTC,
    RV64_EXT_SVINVAL,
    RV64_EXT_ZIHINTPAUSE,
    RV64_EXT_ZICBOM,
    RV64_EXT_ZICBOZ,
    RV64_EXT_ZBB,
    RV64_EXT_SSAIA,
    RV64_EXT_V,
    RV64_EXT_SVNAPOT,
    RV64_EXT_ZBA,
    RV64_EXT_ZBS,
    RV64_EXT_ZICNTR,
    RV64_EXT_ZICSR,
    RV64_EXT_ZIFENCEI,
    RV64_EXT_ZIHPM,
    RV64_EXT_COUNT /* the ones stdvmm knows a device tree name for */
};

struct rv64_hv_features {
    uint64_t ext;         /* bit n: enum rv64_isa_ext n is on for a new vCPU */
    uint64_t timebase_hz; /* the time CSR's frequency: the device tree's timebase-frequency */
    unsigned satp_mode;   /* the widest paging mode: 8 Sv39, 9 Sv48, 10 Sv57 */
    uint64_t cbom_block, cboz_block; /* cache-block sizes for Zicbom/Zicboz; 0: unknown */
    bool aia;                        /* an in-hypervisor AIA (APLIC + IMSIC) */
};
/* Asked before any vCPU exists (KVM answers with a scratch VM's vCPU). */
int hv_rv64_features(struct hv_vm *vm, struct rv64_hv_features *out);

struct rv64_aia_layout {
    uint64_t aplic_base; /* RV64_APLIC_SIZE */
    uint64_t imsic_base; /* hart n's S-mode file at imsic_base + n * imsic_stride */
    uint64_t imsic_stride;
    uint32_t sources; /* wired sources 1..sources */
    uint32_t ids;     /* MSI identities per file */
    unsigned harts;
};
/* Creates the in-hypervisor AIA; -STDVMM_ENODEV where there is none. */
int hv_rv64_create_aia(struct hv_vm *vm, const struct rv64_aia_layout *aia);
/* Finishes it once every vCPU exists (KVM: KVM_DEV_RISCV_AIA_CTRL_INIT). */
int hv_rv64_aia_init(struct hv_vm *vm);

struct rv64_vcpu_config {
    bool powered_off; /* secondary harts: started by the guest through SBI HSM */
};
int hv_rv64_vcpu_init(struct hv_vcpu *vcpu, const struct rv64_vcpu_config *cfg);

/*
 * Without an in-hypervisor AIA the VMM emulates the interrupt controller
 * (a PLIC) and drives each hart's supervisor external interrupt itself:
 * pending while level is true. Callable from any thread (KVM_INTERRUPT
 * with KVM_INTERRUPT_SET/UNSET is asynchronous on riscv64).
 */
int hv_rv64_vcpu_set_external_irq(struct hv_vcpu *vcpu, bool level);

/* The registers the Linux riscv boot protocol defines; all others stay at reset. */
struct rv64_boot_regs {
    uint64_t pc;
    uint64_t a0; /* hart ID */
    uint64_t a1; /* device tree */
};
int hv_rv64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct rv64_boot_regs *regs);

#endif
