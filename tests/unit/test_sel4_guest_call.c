/* SPDX-License-Identifier: BSD-2-Clause */
/* HVC/SMC traps through the PSCI decoder as the seL4 VMM sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port/sel4/portable/esr.h"
#include "port/sel4/portable/guest_call.h"
#include "stdvmm/error.h"

static int cpu1_state = PSCI_AFF_OFF;
static uint64_t started_at;

static bool by_mpidr(void *ctx, uint64_t mpidr, unsigned *index)
{
    (void)ctx;
    if (mpidr > 1)
        return false;
    *index = (unsigned)mpidr;
    return true;
}

static int state(void *ctx, unsigned index)
{
    (void)ctx;
    return index == 0 ? PSCI_AFF_ON : cpu1_state;
}

static int32_t on(void *ctx, unsigned index, uint64_t entry, uint64_t context)
{
    (void)ctx;
    (void)index;
    (void)context;
    started_at = entry;
    cpu1_state = PSCI_AFF_ON_PENDING;
    return PSCI_SUCCESS;
}

static const struct psci_ops ops = {.cpu_by_mpidr = by_mpidr, .cpu_state = state, .cpu_on = on};

static const uint64_t HVC = ((uint64_t)ESR_EC_HVC64 << ESR_EC_SHIFT) | ESR_IL;
static const uint64_t SMC = ((uint64_t)ESR_EC_SMC64 << ESR_EC_SHIFT) | ESR_IL;

static void version_features(void **state_)
{
    struct guest_call_result r;
    (void)state_;
    uint64_t version[4] = {PSCI_FID(PSCI_FN_VERSION)};
    assert_int_equal(guest_call_handle(HVC, version, &ops, 0, &r), 0);
    assert_int_equal(r.action, PSCI_ACTION_RETURN);
    assert_int_equal(r.x0, PSCI_VERSION_1_0);
    assert_false(r.step_pc);
    uint64_t features[4] = {PSCI_FID(PSCI_FN_FEATURES), PSCI_FID(PSCI_FN_SYSTEM_RESET)};
    assert_int_equal(guest_call_handle(SMC, features, &ops, 0, &r), 0);
    assert_int_equal(r.x0, 0);
    assert_true(r.step_pc);
}

static void cpu_on_and_power(void **state_)
{
    struct guest_call_result r;
    (void)state_;
    uint64_t cpu_on[4] = {PSCI_FID(PSCI_FN_CPU_ON) | SMCCC_64BIT, 1, 0x40080000, 7};
    assert_int_equal(guest_call_handle(HVC, cpu_on, &ops, 0, &r), 0);
    assert_int_equal(r.x0, PSCI_SUCCESS);
    assert_int_equal(started_at, 0x40080000);
    uint64_t again[4] = {PSCI_FID(PSCI_FN_CPU_ON) | SMCCC_64BIT, 1, 0x40080000, 7};
    assert_int_equal(guest_call_handle(HVC, again, &ops, 0, &r), 0);
    assert_int_equal((int64_t)r.x0, PSCI_ON_PENDING);
    uint64_t off[4] = {PSCI_FID(PSCI_FN_SYSTEM_OFF)};
    assert_int_equal(guest_call_handle(HVC, off, &ops, 0, &r), 0);
    assert_int_equal(r.action, PSCI_ACTION_SYSTEM_OFF);
    uint64_t reset[4] = {PSCI_FID(PSCI_FN_SYSTEM_RESET)};
    assert_int_equal(guest_call_handle(HVC, reset, &ops, 0, &r), 0);
    assert_int_equal(r.action, PSCI_ACTION_SYSTEM_RESET);
}

static void not_smccc(void **state_)
{
    struct guest_call_result r;
    (void)state_;
    uint64_t regs[4] = {PSCI_FID(PSCI_FN_SYSTEM_OFF)};
    /* HVC #1 is not an SMCCC call even with a PSCI function ID in x0. */
    assert_int_equal(guest_call_handle(HVC | 1, regs, &ops, 0, &r), 0);
    assert_int_equal(r.action, PSCI_ACTION_RETURN);
    assert_int_equal((int64_t)r.x0, SMCCC_RET_NOT_SUPPORTED);
    uint64_t unknown[4] = {0xc6000000u};
    assert_int_equal(guest_call_handle(HVC, unknown, &ops, 0, &r), 0);
    assert_int_equal((int64_t)r.x0, SMCCC_RET_NOT_SUPPORTED);
    /* not a call at all */
    uint64_t dabt = (uint64_t)ESR_EC_DABT_LOW << ESR_EC_SHIFT;
    assert_int_equal(guest_call_handle(dabt, regs, &ops, 0, &r), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_features),
        cmocka_unit_test(cpu_on_and_power),
        cmocka_unit_test(not_smccc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
