/* SPDX-License-Identifier: BSD-2-Clause */
#include "port/sel4/portable/guest_call.h"

#include <stddef.h>

#include "port/sel4/portable/esr.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

int guest_call_handle(uint64_t esr, const uint64_t regs[4], const struct psci_ops *ops,
                      unsigned caller, struct guest_call_result *res)
{
    if (!esr_is_hvc_smc(esr)) {
        LOG_ERR("vCPU %u: syndrome 0x%llx (%s) is not an HVC or SMC", caller,
                (unsigned long long)esr, esr_ec_name(esr_ec(esr)));
        return -STDVMM_EINVAL;
    }
    res->step_pc = esr_call_needs_pc_step(esr);
    if (esr_hvc_smc_imm(esr) != 0) {
        LOG_DEBUG("vCPU %u: HVC/SMC #0x%x is not an SMCCC call", caller, esr_hvc_smc_imm(esr));
        res->action = PSCI_ACTION_RETURN;
        res->x0 = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
        return 0;
    }
    struct psci_result pr;
    int r = psci_handle_call(ops, caller, regs, &pr);
    if (r < 0)
        return r;
    res->action = pr.action;
    res->x0 = pr.x0;
    return 0;
}
