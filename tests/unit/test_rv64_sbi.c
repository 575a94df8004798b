/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SBI calls KVM forwards: SRST and the legacy shutdown end the VM as
 * power-off (exit status 0) or reset (4, or a reboot), as PSCI does on
 * arm64; anything else is answered "not supported" and the hart runs on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/riscv64/sbi.h"

static enum rv64_sbi_action call(uint64_t ext, uint64_t fid, uint64_t a0, int64_t *err)
{
    struct rv64_sbi_call c = {.ext = ext, .fid = fid, .args = {a0}, .ret = {12345, 678}};
    enum rv64_sbi_action act = rv64_sbi_handle(&c);
    assert_int_equal(c.ret[1], 0);
    *err = c.ret[0];
    return act;
}

static void srst(void **state)
{
    (void)state;
    int64_t err;
    assert_int_equal(call(SBI_EXT_SRST, 0, SBI_SRST_TYPE_SHUTDOWN, &err), RV64_SBI_POWEROFF);
    assert_int_equal(call(SBI_EXT_SRST, 0, SBI_SRST_TYPE_COLD_REBOOT, &err), RV64_SBI_RESET);
    assert_int_equal(call(SBI_EXT_SRST, 0, SBI_SRST_TYPE_WARM_REBOOT, &err), RV64_SBI_RESET);
    /* Reserved reset types and functions: an error to the guest, not an end. */
    assert_int_equal(call(SBI_EXT_SRST, 0, 3, &err), RV64_SBI_CONTINUE);
    assert_int_equal(err, SBI_ERR_INVALID_PARAM);
    assert_int_equal(call(SBI_EXT_SRST, 1, SBI_SRST_TYPE_SHUTDOWN, &err), RV64_SBI_CONTINUE);
    assert_int_equal(err, SBI_ERR_NOT_SUPPORTED);
}

static void legacy_and_unknown(void **state)
{
    (void)state;
    int64_t err;
    assert_int_equal(call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, &err), RV64_SBI_POWEROFF);
    assert_int_equal(call(SBI_EXT_LEGACY_GETCHAR, 0, 0, &err), RV64_SBI_CONTINUE);
    assert_int_equal(err, -1);
    assert_int_equal(call(SBI_EXT_LEGACY_PUTCHAR, 0, 'x', &err), RV64_SBI_CONTINUE);
    assert_int_equal(err, SBI_ERR_NOT_SUPPORTED);
    assert_int_equal(call(0x4442434e /* DBCN */, 0, 0, &err), RV64_SBI_CONTINUE);
    assert_int_equal(err, SBI_ERR_NOT_SUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(srst),
        cmocka_unit_test(legacy_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
