/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/aarch64/psci.h"

#include <stddef.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static uint32_t owner(uint32_t fid)
{
    return (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;
}

static bool is_psci(uint32_t fid)
{
    /* Bits 23:16 must be zero in an SMCCC fast call ID. */
    return (fid & SMCCC_FAST_CALL) && owner(fid) == SMCCC_OWNER_STANDARD &&
           (fid & 0x00ff0000u) == 0;
}

/* Functions defined only in the SMC32 convention have no SMC64 ID. */
static bool has_smc64(uint32_t fn)
{
    return fn == PSCI_FN_CPU_SUSPEND || fn == PSCI_FN_CPU_ON || fn == PSCI_FN_AFFINITY_INFO;
}

bool psci_is_supported(uint32_t fid)
{
    if (fid == SMCCC_VERSION_FID || fid == SMCCC_ARCH_FEATURES_FID)
        return true;
    if (!is_psci(fid))
        return false;
    uint32_t fn = fid & SMCCC_FUNC_MASK;
    if ((fid & SMCCC_64BIT) && !has_smc64(fn))
        return false;
    switch (fn) {
    case PSCI_FN_VERSION:
    case PSCI_FN_CPU_OFF:
    case PSCI_FN_CPU_ON:
    case PSCI_FN_AFFINITY_INFO:
    case PSCI_FN_MIGRATE_INFO_TYPE:
    case PSCI_FN_SYSTEM_OFF:
    case PSCI_FN_SYSTEM_RESET:
    case PSCI_FN_FEATURES:
        return true;
    default:
        return false;
    }
}

static void ret(struct psci_result *res, int64_t value)
{
    res->action = PSCI_ACTION_RETURN;
    res->x0 = (uint64_t)value;
}

static int64_t cpu_on(const struct psci_ops *ops, uint64_t target, uint64_t entry,
                      uint64_t context_id)
{
    unsigned index;

    if (!ops->cpu_by_mpidr(ops->ctx, target & PSCI_MPIDR_AFF_MASK, &index))
        return PSCI_INVALID_PARAMETERS;
    switch (ops->cpu_state(ops->ctx, index)) {
    case PSCI_AFF_ON:
        return PSCI_ALREADY_ON;
    case PSCI_AFF_ON_PENDING:
        return PSCI_ON_PENDING;
    default:
        break;
    }
    /* A64 instructions are 4 bytes; a misaligned entry could never run. */
    if (entry % 4 != 0)
        return PSCI_INVALID_ADDRESS;
    return ops->cpu_on(ops->ctx, index, entry, context_id);
}

static int64_t affinity_info(const struct psci_ops *ops, uint64_t target, uint64_t level)
{
    unsigned index;

    /* PSCI 1.0 only requires level 0, and stdvmm has no clusters to report on. */
    if (level != 0)
        return PSCI_INVALID_PARAMETERS;
    if (!ops->cpu_by_mpidr(ops->ctx, target & PSCI_MPIDR_AFF_MASK, &index))
        return PSCI_INVALID_PARAMETERS;
    return ops->cpu_state(ops->ctx, index);
}

int psci_handle_call(const struct psci_ops *ops, unsigned caller, const uint64_t regs[4],
                     struct psci_result *res)
{
    if (ops == NULL || ops->cpu_by_mpidr == NULL || ops->cpu_state == NULL || ops->cpu_on == NULL ||
        regs == NULL || res == NULL) {
        LOG_ERR("PSCI: called without its vCPU callbacks");
        return -STDVMM_EINVAL;
    }
    uint32_t fid = (uint32_t)regs[0];
    bool wide = (fid & SMCCC_64BIT) != 0;
    /* SMC32 calls pass their arguments in w1..w3: the upper halves are not theirs. */
    uint64_t mask = wide ? UINT64_MAX : UINT32_MAX;
    uint64_t a1 = regs[1] & mask, a2 = regs[2] & mask, a3 = regs[3] & mask;

    if (!psci_is_supported(fid)) {
        LOG_DEBUG("vCPU %u: unsupported SMCCC/PSCI call 0x%08x", caller, fid);
        ret(res, SMCCC_RET_NOT_SUPPORTED);
        return 0;
    }
    if (fid == SMCCC_VERSION_FID) {
        ret(res, SMCCC_VERSION_1_1);
        return 0;
    }
    if (fid == SMCCC_ARCH_FEATURES_FID) {
        /* Only the two discovery calls themselves; no CPU erratum workarounds to offer. */
        uint32_t query = (uint32_t)a1;
        ret(res, query == SMCCC_VERSION_FID || query == SMCCC_ARCH_FEATURES_FID
                     ? 0
                     : SMCCC_RET_NOT_SUPPORTED);
        return 0;
    }
    switch (fid & SMCCC_FUNC_MASK) {
    case PSCI_FN_VERSION:
        ret(res, PSCI_VERSION_1_0);
        break;
    case PSCI_FN_CPU_OFF:
        res->action = PSCI_ACTION_CPU_OFF;
        res->x0 = 0;
        break;
    case PSCI_FN_CPU_ON:
        ret(res, cpu_on(ops, a1, a2, a3));
        break;
    case PSCI_FN_AFFINITY_INFO:
        ret(res, affinity_info(ops, a1, a2));
        break;
    case PSCI_FN_MIGRATE_INFO_TYPE:
        ret(res, PSCI_TOS_NOT_PRESENT);
        break;
    case PSCI_FN_SYSTEM_OFF:
        res->action = PSCI_ACTION_SYSTEM_OFF;
        res->x0 = 0;
        break;
    case PSCI_FN_SYSTEM_RESET:
        res->action = PSCI_ACTION_SYSTEM_RESET;
        res->x0 = 0;
        break;
    case PSCI_FN_FEATURES:
        /* 0: supported, no feature flags (CPU_SUSPEND, the one with flags, is not). */
        ret(res, psci_is_supported((uint32_t)a1) ? 0 : PSCI_NOT_SUPPORTED);
        break;
    default:
        ret(res, SMCCC_RET_NOT_SUPPORTED);
        break;
    }
    return 0;
}
