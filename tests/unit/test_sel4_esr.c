/* SPDX-License-Identifier: BSD-2-Clause */
/* ESR decoding for the seL4 VMM: data aborts it can and cannot emulate, HVC/SMC, values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port/sel4/portable/esr.h"

static uint64_t dabt(uint32_t iss)
{
    return ((uint64_t)ESR_EC_DABT_LOW << ESR_EC_SHIFT) | ESR_IL | iss;
}

/* ISS for a valid syndrome: SAS = log2(len), SRT = reg. */
static uint32_t iss(unsigned sas, unsigned reg, bool write, bool sf, bool sse)
{
    return ESR_DABT_ISV | (sas << ESR_DABT_SAS_SHIFT) | (reg << ESR_DABT_SRT_SHIFT) |
           (write ? ESR_DABT_WNR : 0) | (sf ? ESR_DABT_SF : 0) | (sse ? ESR_DABT_SSE : 0) |
           0x07 /* translation fault, level 3 */;
}

static void word_store(void **state)
{
    struct esr_dabt d;
    (void)state;
    /* str w1, [x0]: Linux's writel() */
    assert_int_equal(esr_decode_dabt(dabt(iss(2, 1, true, false, false)), &d), ESR_DABT_OK);
    assert_int_equal(d.len, 4);
    assert_true(d.is_write);
    assert_int_equal(d.reg, 1);
    assert_false(d.reg64);
    assert_int_equal(d.dfsc, 0x07);
    assert_int_equal(esr_dabt_store_value(&d, 0xdeadbeefcafef00dull), 0xcafef00dull);
}

static void byte_load_zero_extends(void **state)
{
    struct esr_dabt d;
    (void)state;
    /* ldrb w5, [x0] */
    assert_int_equal(esr_decode_dabt(dabt(iss(0, 5, false, false, false)), &d), ESR_DABT_OK);
    assert_int_equal(d.len, 1);
    assert_false(d.is_write);
    assert_int_equal(esr_dabt_load_value(&d, 0xffffff80u), 0x80u);
}

static void sign_extending_loads(void **state)
{
    struct esr_dabt d;
    (void)state;
    /* ldrsb x3: to 64 bits */
    assert_int_equal(esr_decode_dabt(dabt(iss(0, 3, false, true, true)), &d), ESR_DABT_OK);
    assert_int_equal(esr_dabt_load_value(&d, 0x80), 0xffffffffffffff80ull);
    /* ldrsh w3: to 32 bits, upper half of Xn cleared */
    assert_int_equal(esr_decode_dabt(dabt(iss(1, 3, false, false, true)), &d), ESR_DABT_OK);
    assert_int_equal(esr_dabt_load_value(&d, 0x8001), 0xffff8001ull);
    /* ldrsw x3 of a positive value */
    assert_int_equal(esr_decode_dabt(dabt(iss(2, 3, false, true, true)), &d), ESR_DABT_OK);
    assert_int_equal(esr_dabt_load_value(&d, 0x7fffffff), 0x7fffffffull);
    /* ldr x3: 8 bytes, nothing to extend */
    assert_int_equal(esr_decode_dabt(dabt(iss(3, 3, false, true, false)), &d), ESR_DABT_OK);
    assert_int_equal(d.len, 8);
    assert_int_equal(esr_dabt_load_value(&d, 0x8000000000000001ull), 0x8000000000000001ull);
}

static void zero_register(void **state)
{
    struct esr_dabt d;
    (void)state;
    /* str wzr, [x0]: SRT 31 is the zero register */
    assert_int_equal(esr_decode_dabt(dabt(iss(2, 31, true, false, false)), &d), ESR_DABT_OK);
    assert_int_equal(d.reg, ESR_REG_ZR);
}

static void refused_syndromes(void **state)
{
    struct esr_dabt d;
    (void)state;
    /* ldp/stp: ISV clear */
    assert_int_equal(esr_decode_dabt(dabt(0x07), &d), ESR_DABT_NO_SYNDROME);
    assert_int_equal(esr_decode_dabt(dabt(iss(2, 1, false, false, false) | ESR_DABT_S1PTW), &d),
                     ESR_DABT_STAGE1_WALK);
    assert_int_equal(esr_decode_dabt(dabt(iss(2, 1, false, false, false) | ESR_DABT_EA), &d),
                     ESR_DABT_EXTERNAL);
    assert_int_equal(esr_decode_dabt(dabt(ESR_DABT_CM | ESR_DABT_WNR), &d), ESR_DABT_CACHE_MAINT);
    /* an instruction abort is no data access at all */
    assert_int_equal(esr_decode_dabt(((uint64_t)ESR_EC_IABT_LOW << ESR_EC_SHIFT) | 0x07, &d),
                     ESR_DABT_NOT_DABT);
    assert_string_equal(esr_dabt_status_name(ESR_DABT_NO_SYNDROME),
                        "no instruction syndrome (ISV=0: pair, writeback or SIMD access)");
}

static void hvc_and_smc(void **state)
{
    (void)state;
    uint64_t hvc = ((uint64_t)ESR_EC_HVC64 << ESR_EC_SHIFT) | ESR_IL;
    uint64_t smc = ((uint64_t)ESR_EC_SMC64 << ESR_EC_SHIFT) | ESR_IL;
    assert_true(esr_is_hvc_smc(hvc));
    assert_true(esr_is_hvc_smc(smc));
    assert_false(esr_call_needs_pc_step(hvc)); /* ELR already past the HVC */
    assert_true(esr_call_needs_pc_step(smc));  /* ELR at the SMC */
    assert_int_equal(esr_hvc_smc_imm(hvc | 0x1234), 0x1234);
    assert_false(esr_is_hvc_smc(dabt(0)));
    assert_string_equal(esr_ec_name(esr_ec(hvc)), "HVC");
    assert_true(esr_wfx_is_wfe(((uint64_t)ESR_EC_WFX << ESR_EC_SHIFT) | 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(word_store),           cmocka_unit_test(byte_load_zero_extends),
        cmocka_unit_test(sign_extending_loads), cmocka_unit_test(zero_register),
        cmocka_unit_test(refused_syndromes),    cmocka_unit_test(hvc_and_smc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
