/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's HVC/SMC traps as the seL4 VMM handles them (KVM does this in
 * the kernel): check the syndrome, hand SMCCC calls to the portable PSCI
 * decoder (src/arch/aarch64/psci.c), and say what to do with the vCPU.
 */
#ifndef STDVMM_PORT_SEL4_GUEST_CALL_H
#define STDVMM_PORT_SEL4_GUEST_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/aarch64/psci.h"

struct guest_call_result {
    enum psci_action action; /* PSCI_ACTION_RETURN: write x0 and resume */
    uint64_t x0;
    bool step_pc; /* advance the PC by 4 before resuming (SMC traps) */
};

/*
 * esr must be an HVC/SMC syndrome (esr_is_hvc_smc). A non-zero immediate is
 * not an SMCCC call: the guest gets NOT_SUPPORTED in x0, as SMCCC 1.1 asks
 * of unknown calls. Returns 0, or a negative STDVMM_E* code (logged).
 */
int guest_call_handle(uint64_t esr, const uint64_t regs[4], const struct psci_ops *ops,
                      unsigned caller, struct guest_call_result *res);

#endif
