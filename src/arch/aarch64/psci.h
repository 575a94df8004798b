/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PSCI 1.0 (Arm DEN 0022) and the SMCCC 1.1 discovery calls (Arm DEN 0028),
 * decoded without any hypervisor in mind. KVM answers these in the kernel;
 * a port whose hypervisor forwards the guest's HVC/SMC (seL4) hands the
 * registers to psci_handle_call() and carries out the action it returns.
 *
 * Supported: PSCI_VERSION, CPU_OFF, CPU_ON, AFFINITY_INFO, MIGRATE_INFO_TYPE,
 * SYSTEM_OFF, SYSTEM_RESET, PSCI_FEATURES, SMCCC_VERSION, SMCCC_ARCH_FEATURES.
 * Everything else (CPU_SUSPEND included: Linux only calls it for idle states
 * a device tree announces, and stdvmm announces none) is NOT_SUPPORTED.
 */
#ifndef STDVMM_ARCH_AARCH64_PSCI_H
#define STDVMM_ARCH_AARCH64_PSCI_H

#include <stdbool.h>
#include <stdint.h>

/* SMCCC function ID fields. */
#define SMCCC_FAST_CALL (1u << 31)
#define SMCCC_64BIT (1u << 30)
#define SMCCC_OWNER_SHIFT 24
#define SMCCC_OWNER_MASK 0x3fu
#define SMCCC_OWNER_ARCH 0u
#define SMCCC_OWNER_STANDARD 4u /* PSCI lives here */
#define SMCCC_FUNC_MASK 0xffffu

#define SMCCC_VERSION_FID 0x80000000u
#define SMCCC_ARCH_FEATURES_FID 0x80000001u
#define SMCCC_VERSION_1_1 0x10001u
#define SMCCC_RET_NOT_SUPPORTED (-1)

/* PSCI function numbers (low 16 bits of the ID). */
#define PSCI_FN_VERSION 0x0
#define PSCI_FN_CPU_SUSPEND 0x1
#define PSCI_FN_CPU_OFF 0x2
#define PSCI_FN_CPU_ON 0x3
#define PSCI_FN_AFFINITY_INFO 0x4
#define PSCI_FN_MIGRATE_INFO_TYPE 0x6
#define PSCI_FN_SYSTEM_OFF 0x8
#define PSCI_FN_SYSTEM_RESET 0x9
#define PSCI_FN_FEATURES 0xa

/* Full IDs, SMC32 convention; the SMC64 twin (where one exists) adds SMCCC_64BIT. */
#define PSCI_FID(fn) (SMCCC_FAST_CALL | (SMCCC_OWNER_STANDARD << SMCCC_OWNER_SHIFT) | (fn))

#define PSCI_VERSION_1_0 0x10000u

/* PSCI return codes. */
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INTERNAL_FAILURE (-6)
#define PSCI_INVALID_ADDRESS (-9)

/* AFFINITY_INFO answers. */
#define PSCI_AFF_ON 0
#define PSCI_AFF_OFF 1
#define PSCI_AFF_ON_PENDING 2

/* MIGRATE_INFO_TYPE: no Trusted OS, nothing to migrate. */
#define PSCI_TOS_NOT_PRESENT 2

/* The affinity fields of an MPIDR (Aff3, Aff2, Aff1, Aff0). */
#define PSCI_MPIDR_AFF_MASK 0xff00ffffffull

enum psci_action {
    PSCI_ACTION_RETURN,       /* write result to x0 and resume the caller after the HVC/SMC */
    PSCI_ACTION_CPU_OFF,      /* the caller powers itself off: do not resume it */
    PSCI_ACTION_SYSTEM_OFF,   /* stop the VM: VM_STOP_POWEROFF */
    PSCI_ACTION_SYSTEM_RESET, /* stop the VM: VM_STOP_RESET */
};

struct psci_result {
    enum psci_action action;
    uint64_t x0; /* the value returned in x0 for PSCI_ACTION_RETURN */
};

/* What the decoder needs to know about, and do to, the VM's vCPUs. */
struct psci_ops {
    void *ctx;
    /* The vCPU whose MPIDR affinity is mpidr; false: none has it. */
    bool (*cpu_by_mpidr)(void *ctx, uint64_t mpidr, unsigned *index);
    /* PSCI_AFF_ON, _OFF or _ON_PENDING. */
    int (*cpu_state)(void *ctx, unsigned index);
    /*
     * Start a powered-off vCPU at entry (EL1h, MMU off, x0 = context_id).
     * Returns PSCI_SUCCESS or a PSCI error (PSCI_INVALID_ADDRESS for an entry
     * outside guest memory, PSCI_INTERNAL_FAILURE).
     */
    int32_t (*cpu_on)(void *ctx, unsigned index, uint64_t entry, uint64_t context_id);
};

/*
 * Decodes the call in x0..x3 (regs[0..3]) made by vCPU caller and says what
 * to do. Unknown function IDs give PSCI_ACTION_RETURN with NOT_SUPPORTED, as
 * SMCCC requires; 32-bit calls only see the low 32 bits of their arguments.
 * Returns 0, or -STDVMM_EINVAL for missing callbacks.
 */
int psci_handle_call(const struct psci_ops *ops, unsigned caller, const uint64_t regs[4],
                     struct psci_result *res);

/* True when fid is a call this decoder answers with something other than NOT_SUPPORTED. */
bool psci_is_supported(uint32_t fid);

#endif
