/* SPDX-License-Identifier: BSD-2-Clause */
/* The checked accessor is the VMM's wall against guest-controlled addresses: pin every edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error.h"
#include "stdvmm/guest_memory.h"

static uint8_t low[0x10000];
static uint8_t high[0x1000];

static void setup_map(struct gmem *gm)
{
    gmem_init(gm);
    assert_int_equal(gmem_add_region(gm, 0, sizeof(low), low), 0);
    assert_int_equal(gmem_add_region(gm, 0x100000000ull, sizeof(high), high), 0);
}

static void translate_inside(void **state)
{
    struct gmem gm;
    setup_map(&gm);
    assert_ptr_equal(gmem_translate(&gm, 0, 1), low);
    assert_ptr_equal(gmem_translate(&gm, 0x10, 0x10), low + 0x10);
    assert_ptr_equal(gmem_translate(&gm, sizeof(low) - 1, 1), low + sizeof(low) - 1);
    assert_ptr_equal(gmem_translate(&gm, 0, sizeof(low)), low);
    assert_ptr_equal(gmem_translate(&gm, 0x100000000ull + 0xfff, 1), high + 0xfff);
}

static void translate_outside(void **state)
{
    struct gmem gm;
    setup_map(&gm);
    /* one past the end, straddling the end, in the hole, above everything */
    assert_null(gmem_translate(&gm, sizeof(low), 1));
    assert_null(gmem_translate(&gm, sizeof(low) - 1, 2));
    assert_null(gmem_translate(&gm, 0x80000000ull, 4));
    assert_null(gmem_translate(&gm, 0x100000000ull + 0x1000, 1));
    assert_null(gmem_translate(&gm, 0, sizeof(low) + 1));
}

static void translate_overflow(void **state)
{
    struct gmem gm;
    setup_map(&gm);
    /* gpa + len wraps to a small number: must not pass as "inside" */
    assert_null(gmem_translate(&gm, 0x10, UINT64_MAX));
    assert_null(gmem_translate(&gm, UINT64_MAX, 2));
    assert_null(gmem_translate(&gm, UINT64_MAX - 0xf, 0x20));
    assert_null(gmem_translate(&gm, 0x100000000ull + 0x10, UINT64_MAX - 0x100000000ull));
}

static void read_write_copy(void **state)
{
    struct gmem gm;
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t back[8];
    setup_map(&gm);
    assert_int_equal(gmem_write(&gm, 0x100, buf, sizeof(buf)), 0);
    assert_memory_equal(low + 0x100, buf, sizeof(buf));
    assert_int_equal(gmem_read(&gm, 0x100, back, sizeof(back)), 0);
    assert_memory_equal(back, buf, sizeof(buf));
    memset(back, 0xaa, sizeof(back));
    assert_int_equal(gmem_read(&gm, sizeof(low) - 4, back, 8), -STDVMM_EFAULT);
    for (size_t i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], 0xaa); /* a refused read copies nothing */
    assert_int_equal(gmem_write(&gm, sizeof(low) - 4, buf, 8), -STDVMM_EFAULT);
}

static void add_region_refusals(void **state)
{
    struct gmem gm;
    static uint8_t more[0x1000];
    setup_map(&gm);
    assert_int_equal(gmem_add_region(&gm, 0x8000, 0x1000, more), -STDVMM_EEXIST);
    assert_int_equal(gmem_add_region(&gm, 0x100000000ull - 0x800, 0x1000, more), -STDVMM_EEXIST);
    assert_int_equal(gmem_add_region(&gm, 0x200000, 0, more), -STDVMM_EINVAL);
    assert_int_equal(gmem_add_region(&gm, 0x200000, 0x1000, NULL), -STDVMM_EINVAL);
    assert_int_equal(gmem_add_region(&gm, UINT64_MAX - 0x10, 0x1000, more), -STDVMM_EINVAL);
    assert_int_equal(gm.count, 2);
    assert_int_equal(gmem_total(&gm), sizeof(low) + sizeof(high));
}

static void lowest_region(void **state)
{
    struct gmem gm;
    (void)state;
    gmem_init(&gm);
    assert_null(gmem_lowest(&gm));
    /* Added high first: the lowest is still the one at 0. */
    assert_int_equal(gmem_add_region(&gm, 0x100000000ull, sizeof(high), high), 0);
    assert_int_equal(gmem_lowest(&gm)->gpa, 0x100000000ull);
    assert_int_equal(gmem_add_region(&gm, 0, sizeof(low), low), 0);
    assert_ptr_equal(gmem_lowest(&gm)->host, low);
}

static void map_full(void **state)
{
    struct gmem gm;
    static uint8_t page[GMEM_MAX_REGIONS + 1][16];
    gmem_init(&gm);
    for (unsigned i = 0; i < GMEM_MAX_REGIONS; i++)
        assert_int_equal(gmem_add_region(&gm, i * 0x1000ull, 16, page[i]), 0);
    assert_int_equal(gmem_add_region(&gm, 0x100000, 16, page[GMEM_MAX_REGIONS]), -STDVMM_ENOSPC);
    assert_true(gmem_contains(&gm, (GMEM_MAX_REGIONS - 1) * 0x1000ull, 16));
    assert_false(gmem_contains(&gm, 16, 1)); /* gap between the small regions */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(translate_inside),
        cmocka_unit_test(translate_outside),
        cmocka_unit_test(translate_overflow),
        cmocka_unit_test(read_write_copy),
        cmocka_unit_test(add_region_refusals),
        cmocka_unit_test(lowest_region),
        cmocka_unit_test(map_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
