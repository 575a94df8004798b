/* SPDX-License-Identifier: BSD-2-Clause */
/* RAM placement around the 32-bit hole and the e820 map built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void assert_entry(const struct x86_e820_entry *e, uint64_t addr, uint64_t end, uint32_t type)
{
    assert_int_equal(e->addr, addr);
    assert_int_equal(e->size, end - addr);
    assert_int_equal(e->type, type);
}

static void assert_sorted_disjoint(const struct x86_e820_entry *e, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
}

/* Plans ram_size, builds the map, checks the fixed low part; returns the entry count. */
static unsigned build(uint64_t ram_size, struct x86_e820_entry *map)
{
    struct x86_ram_range plan[4];
    unsigned nplan = 0, n = 0;

    assert_int_equal(x86_ram_plan(ram_size, plan, 4, &nplan), 0);
    assert_int_equal(x86_e820_build(plan, nplan, map, X86_E820_MAX, &n), 0);
    assert_sorted_disjoint(map, n);
    assert_entry(&map[0], 0, 0x9fc00, X86_E820_RAM);
    assert_entry(&map[1], 0x9fc00, 0x100000, X86_E820_RESERVED);
    return n;
}

static void test_256m(void **state)
{
    struct x86_e820_entry map[X86_E820_MAX];
    (void)state;
    assert_int_equal(build(256 * MiB, map), 3);
    assert_entry(&map[2], 0x100000, 256 * MiB, X86_E820_RAM);
}

static void test_3g_fits_below_hole(void **state)
{
    struct x86_e820_entry map[X86_E820_MAX];
    (void)state;
    assert_int_equal(build(3 * GiB, map), 3);
    assert_entry(&map[2], 0x100000, 0xc0000000, X86_E820_RAM);
}

static void test_5g_moves_above_4g(void **state)
{
    struct x86_e820_entry map[X86_E820_MAX];
    (void)state;
    assert_int_equal(build(5 * GiB, map), 4);
    assert_entry(&map[2], 0x100000, 0xc0000000, X86_E820_RAM);
    assert_entry(&map[3], 4 * GiB, 6 * GiB, X86_E820_RAM);
    uint64_t ram = 0;
    for (unsigned i = 0; i < 4; i++)
        if (map[i].type == X86_E820_RAM)
            ram += map[i].size;
    /* All RAM but the 385 KiB of reserved BIOS area is usable. */
    assert_int_equal(ram, 5 * GiB - (0x100000 - 0x9fc00));
}

static void test_plan(void **state)
{
    struct x86_ram_range plan[2];
    unsigned n = 0;
    (void)state;

    assert_int_equal(x86_ram_plan(3 * GiB + 4096, plan, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(plan[0].size, 3 * GiB);
    assert_int_equal(plan[1].gpa, 4 * GiB);
    assert_int_equal(plan[1].size, 4096);

    assert_int_equal(x86_ram_plan(16 * MiB, plan, 2, &n), -STDVMM_EINVAL);
    assert_int_equal(x86_ram_plan(256 * MiB + 1, plan, 2, &n), -STDVMM_EINVAL);
    assert_int_equal(x86_ram_plan(5 * GiB, plan, 1, &n), -STDVMM_ENOSPC);
    assert_int_equal(x86_ram_plan(UINT64_MAX & ~0xfffull, plan, 2, &n), -STDVMM_EINVAL);
}

static void test_refuses_bad_plans(void **state)
{
    struct x86_e820_entry map[X86_E820_MAX];
    unsigned n;
    (void)state;

    /* Too little low RAM. */
    struct x86_ram_range tiny[] = {{0, 16 * MiB}};
    assert_int_equal(x86_e820_build(tiny, 1, map, X86_E820_MAX, &n), -STDVMM_EINVAL);
    struct x86_ram_range sub_mib[] = {{0, 512 * 1024}};
    assert_int_equal(x86_e820_build(sub_mib, 1, map, X86_E820_MAX, &n), -STDVMM_EINVAL);

    /* No range at 0. */
    struct x86_ram_range high_only[] = {{4 * GiB, GiB}};
    assert_int_equal(x86_e820_build(high_only, 1, map, X86_E820_MAX, &n), -STDVMM_EINVAL);

    /* RAM in the hole. */
    struct x86_ram_range into_hole[] = {{0, 3 * GiB + 4096}};
    assert_int_equal(x86_e820_build(into_hole, 1, map, X86_E820_MAX, &n), -STDVMM_EINVAL);

    /* Overlapping ranges, and a second range inside the BIOS area. */
    struct x86_ram_range overlap[] = {{0, GiB}, {GiB - 4096, 8192}};
    assert_int_equal(x86_e820_build(overlap, 2, map, X86_E820_MAX, &n), -STDVMM_EINVAL);
    struct x86_ram_range bios[] = {{0x80000, 0x1000}, {0, GiB}};
    assert_int_equal(x86_e820_build(bios, 2, map, X86_E820_MAX, &n), -STDVMM_EINVAL);

    /* Empty range. */
    struct x86_ram_range empty[] = {{0, GiB}, {4 * GiB, 0}};
    assert_int_equal(x86_e820_build(empty, 2, map, X86_E820_MAX, &n), -STDVMM_EINVAL);

    /* No room in the output. */
    struct x86_ram_range ok[] = {{0, GiB}, {4 * GiB, GiB}};
    assert_int_equal(x86_e820_build(ok, 2, map, 3, &n), -STDVMM_ENOSPC);
}

static void test_unsorted_plan_gives_sorted_map(void **state)
{
    struct x86_e820_entry map[X86_E820_MAX];
    unsigned n = 0;
    (void)state;

    struct x86_ram_range plan[] = {{8 * GiB, GiB}, {4 * GiB, GiB}, {0, GiB}};
    assert_int_equal(x86_e820_build(plan, 3, map, X86_E820_MAX, &n), 0);
    assert_int_equal(n, 5);
    assert_sorted_disjoint(map, n);
    assert_entry(&map[2], 0x100000, GiB, X86_E820_RAM);
    assert_entry(&map[3], 4 * GiB, 5 * GiB, X86_E820_RAM);
    assert_entry(&map[4], 8 * GiB, 9 * GiB, X86_E820_RAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_256m),
        cmocka_unit_test(test_3g_fits_below_hole),
        cmocka_unit_test(test_5g_moves_above_4g),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_refuses_bad_plans),
        cmocka_unit_test(test_unsorted_plan_gives_sorted_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
