/* SPDX-License-Identifier: BSD-2-Clause */
/* PSCI/SMCCC decoding as a port that traps HVC would use it (seL4): results and actions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arch/aarch64/psci.h"
#include "stdvmm/error.h"

#define CPUS 3

struct board {
    int state[CPUS];
    unsigned on_index;
    uint64_t on_entry, on_context;
    int on_calls;
};

static bool by_mpidr(void *ctx, uint64_t mpidr, unsigned *index)
{
    (void)ctx;
    if (mpidr >= CPUS)
        return false;
    *index = (unsigned)mpidr;
    return true;
}

static int state(void *ctx, unsigned index)
{
    return ((struct board *)ctx)->state[index];
}

static int32_t on(void *ctx, unsigned index, uint64_t entry, uint64_t context)
{
    struct board *b = ctx;
    b->on_calls++;
    b->on_index = index;
    b->on_entry = entry;
    b->on_context = context;
    b->state[index] = PSCI_AFF_ON_PENDING;
    return PSCI_SUCCESS;
}

static struct board board;
static const struct psci_ops ops = {
    .ctx = &board, .cpu_by_mpidr = by_mpidr, .cpu_state = state, .cpu_on = on};

static int reset(void **s)
{
    (void)s;
    board = (struct board){.state = {PSCI_AFF_ON, PSCI_AFF_OFF, PSCI_AFF_OFF}};
    return 0;
}

static struct psci_result call(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
    const uint64_t regs[4] = {x0, x1, x2, x3};
    struct psci_result r = {.action = PSCI_ACTION_SYSTEM_RESET, .x0 = 0xdead};
    assert_int_equal(psci_handle_call(&ops, 0, regs, &r), 0);
    return r;
}

static void expect_return(struct psci_result r, int64_t value)
{
    assert_int_equal(r.action, PSCI_ACTION_RETURN);
    assert_int_equal((int64_t)r.x0, value);
}

static void version_and_smccc_discovery(void **s)
{
    (void)s;
    expect_return(call(0x84000000, 0, 0, 0), 0x10000);
    expect_return(call(SMCCC_VERSION_FID, 0, 0, 0), 0x10001);
    expect_return(call(SMCCC_ARCH_FEATURES_FID, SMCCC_VERSION_FID, 0, 0), 0);
    /* ARCH_WORKAROUND_1: no erratum workaround on offer. */
    expect_return(call(SMCCC_ARCH_FEATURES_FID, 0x80008000, 0, 0), -1);
}

static void unknown_calls_are_not_supported(void **s)
{
    (void)s;
    expect_return(call(0x84000001, 0, 0, 0), PSCI_NOT_SUPPORTED); /* CPU_SUSPEND */
    expect_return(call(0xc4000008, 0, 0, 0), PSCI_NOT_SUPPORTED); /* SYSTEM_OFF has no SMC64 ID */
    expect_return(call(0x86000000, 0, 0, 0), SMCCC_RET_NOT_SUPPORTED); /* vendor hypervisor */
    expect_return(call(0x04000000, 0, 0, 0), SMCCC_RET_NOT_SUPPORTED); /* yielding call */
    expect_return(call(0x84010000, 0, 0, 0), SMCCC_RET_NOT_SUPPORTED); /* reserved bits */
    expect_return(call(0xffffffff84000000ull, 0, 0, 0), 0x10000);      /* only w0 counts */
}

static void features(void **s)
{
    (void)s;
    expect_return(call(0x8400000a, 0xc4000003, 0, 0), 0);                  /* CPU_ON (64) */
    expect_return(call(0x8400000a, 0x84000009, 0, 0), 0);                  /* SYSTEM_RESET */
    expect_return(call(0x8400000a, 0x84000001, 0, 0), PSCI_NOT_SUPPORTED); /* CPU_SUSPEND */
    expect_return(call(0x8400000a, 0x12345678, 0, 0), PSCI_NOT_SUPPORTED);
}

static void cpu_on_starts_an_off_cpu(void **s)
{
    (void)s;
    expect_return(call(0xc4000003, 1, 0x40080000, 0x1234), PSCI_SUCCESS);
    assert_int_equal(board.on_calls, 1);
    assert_int_equal(board.on_index, 1);
    assert_int_equal(board.on_entry, 0x40080000);
    assert_int_equal(board.on_context, 0x1234);
    /* Asked again while it comes up, then once it runs. */
    expect_return(call(0xc4000003, 1, 0x40080000, 0), PSCI_ON_PENDING);
    board.state[1] = PSCI_AFF_ON;
    expect_return(call(0xc4000003, 1, 0x40080000, 0), PSCI_ALREADY_ON);
    assert_int_equal(board.on_calls, 1);
}

static void cpu_on_checks_its_arguments(void **s)
{
    (void)s;
    expect_return(call(0xc4000003, 7, 0x40080000, 0), PSCI_INVALID_PARAMETERS);
    expect_return(call(0xc4000003, 2, 0x40080002, 0), PSCI_INVALID_ADDRESS);
    /* SMC32 CPU_ON: the upper halves of x1..x3 are not arguments. */
    expect_return(call(0x84000003, 0xffffffff00000002ull, 0xabcd000040080000ull, 0), 0);
    assert_int_equal(board.on_index, 2);
    assert_int_equal(board.on_entry, 0x40080000);
    /* Affinity bits outside Aff3..Aff0 (MT, U) do not change the target. */
    board.state[2] = PSCI_AFF_OFF;
    expect_return(call(0xc4000003, (1ull << 30) | 2, 0x40080000, 0), 0);
}

static void affinity_info(void **s)
{
    (void)s;
    expect_return(call(0xc4000004, 0, 0, 0), PSCI_AFF_ON);
    expect_return(call(0xc4000004, 1, 0, 0), PSCI_AFF_OFF);
    expect_return(call(0x84000004, 2, 0, 0), PSCI_AFF_OFF);
    expect_return(call(0xc4000004, 1, 1, 0), PSCI_INVALID_PARAMETERS); /* level 1 */
    expect_return(call(0xc4000004, 9, 0, 0), PSCI_INVALID_PARAMETERS);
}

static void power_actions(void **s)
{
    struct psci_result r;

    (void)s;
    r = call(0x84000008, 0, 0, 0);
    assert_int_equal(r.action, PSCI_ACTION_SYSTEM_OFF);
    r = call(0x84000009, 0, 0, 0);
    assert_int_equal(r.action, PSCI_ACTION_SYSTEM_RESET);
    r = call(0x84000002, 0, 0, 0);
    assert_int_equal(r.action, PSCI_ACTION_CPU_OFF);
    expect_return(call(0x84000006, 0, 0, 0), PSCI_TOS_NOT_PRESENT);
}

static void refuses_missing_callbacks(void **s)
{
    const uint64_t regs[4] = {0x84000000, 0, 0, 0};
    struct psci_ops none = {0};
    struct psci_result r;

    (void)s;
    assert_int_equal(psci_handle_call(&none, 0, regs, &r), -STDVMM_EINVAL);
    assert_int_equal(psci_handle_call(NULL, 0, regs, &r), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(version_and_smccc_discovery, reset),
        cmocka_unit_test_setup(unknown_calls_are_not_supported, reset),
        cmocka_unit_test_setup(features, reset),
        cmocka_unit_test_setup(cpu_on_starts_an_off_cpu, reset),
        cmocka_unit_test_setup(cpu_on_checks_its_arguments, reset),
        cmocka_unit_test_setup(affinity_info, reset),
        cmocka_unit_test_setup(power_actions, reset),
        cmocka_unit_test_setup(refuses_missing_callbacks, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
