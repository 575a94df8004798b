/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The memory map checker (stdvmm/memory_map.h): overlaps, holes, limits and
 * maps an arch's firmware cannot describe, each reported against the region
 * at fault; and the x86_64 limits as the arch declares them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/arch.h"
#include "stdvmm/error.h"
#include "stdvmm/memory_map.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* What the checker reported: one line per problem, "INDEX: message". */
struct reports {
    unsigned count;
    unsigned index[16];
    char text[16][256];
};

static void collect(void *ctx, unsigned index, const char *fmt, ...)
{
    struct reports *r = ctx;
    va_list ap;

    assert_true(r->count < 16);
    r->index[r->count] = index;
    va_start(ap, fmt);
    vsnprintf(r->text[r->count], sizeof(r->text[0]), fmt, ap);
    va_end(ap);
    r->count++;
}

/* A board like aarch64's: devices in [128M, 1G), 2 MiB granule, 40-bit space, 3 regions. */
static const struct memmap_limits board = {
    .arch = "testarch",
    .align = 2 * MiB,
    .addr_end = 1ull << 40,
    .boot_min = 64 * MiB,
    .max_regions = 3,
    .reserved = {{128 * MiB, 1 * GiB, "the device area"}},
    .reserved_count = 1,
};

static int check(const struct memmap_limits *lim, const struct memmap_range *ram, unsigned n,
                 struct reports *r)
{
    memset(r, 0, sizeof(*r));
    return memmap_check(lim, ram, n, collect, r);
}

static void two_regions_with_a_hole(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {{4 * GiB, 256 * MiB}, {1 * GiB, 128 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 2, &r), 0);
    assert_int_equal(r.count, 0);
    /* RAM below the device area counts too. */
    const struct memmap_range low[] = {{0, 64 * MiB}, {2 * GiB, 2 * MiB}};
    assert_int_equal(check(&board, low, 2, &r), 0);
}

static void overlap_names_both_regions(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {
        {1 * GiB, 128 * MiB}, {2 * GiB, 64 * MiB}, {1 * GiB + 64 * MiB, 128 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 3, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.index[0], 2);
    assert_non_null(strstr(r.text[0], "overlaps region 0 [0x40000000, 0x48000000)"));
}

static void touching_regions_do_not_overlap(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {{1 * GiB, 128 * MiB}, {1 * GiB + 128 * MiB, 64 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 2, &r), 0);
}

static void reserved_window_refused(void **state)
{
    struct reports r;
    /* Ends 2 MiB into the device area. */
    const struct memmap_range ram[] = {{1 * GiB, 128 * MiB}, {64 * MiB, 66 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 2, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.index[0], 1);
    assert_non_null(strstr(r.text[0], "overlaps the device area at [0x8000000, 0x40000000)"));
}

static void limits_of_the_address_space(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {{1 * GiB, 128 * MiB},
                                       {(1ull << 40) - 2 * MiB, 4 * MiB},
                                       {UINT64_MAX - 2 * MiB + 1, 4 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 3, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.index[0], 1);
    assert_non_null(strstr(r.text[0], "ends beyond 0x10000000000"));
    /* A region that would wrap around 2^64 is refused, not wrapped into a small one. */
    assert_int_equal(r.index[1], 2);
    const struct memmap_range at_end[] = {{1 * GiB, 128 * MiB}, {(1ull << 40) - 2 * MiB, 2 * MiB}};
    assert_int_equal(check(&board, at_end, 2, &r), 0);
}

static void alignment_and_empty(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {
        {1 * GiB, 128 * MiB}, {2 * GiB + 4096, 2 * MiB}, {3 * GiB, 3 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 3, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.index[0], 1);
    assert_int_equal(r.index[1], 2);
    assert_non_null(strstr(r.text[0], "0x200000-byte (2048 KiB) boundaries"));
    const struct memmap_range empty[] = {{1 * GiB, 128 * MiB}, {2 * GiB, 0}};
    assert_int_equal(check(&board, empty, 2, &r), -STDVMM_EINVAL);
    assert_int_equal(r.index[0], 1);
    assert_non_null(strstr(r.text[0], "is empty"));
}

static void more_regions_than_the_firmware_describes(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {
        {1 * GiB, 128 * MiB}, {2 * GiB, 2 * MiB}, {3 * GiB, 2 * MiB}, {4 * GiB, 2 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 4, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.index[0], MEMMAP_WHOLE_MAP);
    assert_non_null(strstr(r.text[0], "describe at most 3"));
    assert_int_equal(check(&board, ram, 0, &r), -STDVMM_EINVAL);
    assert_int_equal(r.index[0], MEMMAP_WHOLE_MAP);
}

static void lowest_region_must_hold_the_boot(void **state)
{
    struct reports r;
    /* The lowest region is the second one given: its index is reported. */
    const struct memmap_range ram[] = {{2 * GiB, 512 * MiB}, {1 * GiB, 32 * MiB}};
    (void)state;
    assert_int_equal(check(&board, ram, 2, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.index[0], 1);
    assert_non_null(strstr(r.text[0], "at least 64 MiB"));
}

static void x86_needs_low_memory_at_zero(void **state)
{
    struct reports r;
    const struct memmap_limits *x86 = arch_memory_limits();
    (void)state;
    if (strcmp(x86->arch, "x86_64") != 0)
        skip(); /* the build's arch is another one */
    const struct memmap_range good[] = {{0, 192 * MiB}, {1 * GiB, 256 * MiB}, {4 * GiB, 4096}};
    assert_int_equal(check(x86, good, 3, &r), 0);
    const struct memmap_range no_zero[] = {{16 * MiB, 192 * MiB}};
    assert_int_equal(check(x86, no_zero, 1, &r), -STDVMM_EINVAL);
    assert_non_null(strstr(r.text[0], "need one at 0x0"));
    const struct memmap_range hole[] = {{0, 256 * MiB}, {3 * GiB + 512 * MiB, 1 * GiB}};
    assert_int_equal(check(x86, hole, 2, &r), -STDVMM_EINVAL);
    assert_int_equal(r.index[0], 1);
    assert_non_null(strstr(r.text[0], "32-bit MMIO hole"));
    const struct memmap_range small[] = {{0, 16 * MiB}, {1 * GiB, 1 * GiB}};
    assert_int_equal(check(x86, small, 2, &r), -STDVMM_EINVAL);
    assert_int_equal(r.index[0], 0);
}

static void windows_stay_out_of_ram_and_devices(void **state)
{
    struct reports r;
    const struct memmap_range ram[] = {{1 * GiB, 128 * MiB}, {4 * GiB, 64 * MiB}};
    const struct memmap_range hole = {2 * GiB, 2 * MiB};
    const struct memmap_range on_ram = {4 * GiB + 62 * MiB, 4 * MiB};
    const struct memmap_range on_devices = {126 * MiB, 4 * MiB};
    const struct memmap_range odd = {2 * GiB, 4096};
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(memmap_check_window(&board, ram, 2, &hole, 7, collect, &r), 0);
    assert_int_equal(memmap_check_window(&board, ram, 2, &on_ram, 7, collect, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.index[0], 7);
    assert_non_null(strstr(r.text[0], "overlaps the VM's RAM at [0x100000000, 0x104000000)"));
    assert_int_equal(memmap_check_window(&board, ram, 2, &on_devices, 3, collect, &r),
                     -STDVMM_EINVAL);
    assert_non_null(strstr(r.text[1], "the device area"));
    assert_int_equal(memmap_check_window(&board, ram, 2, &odd, 3, collect, &r), -STDVMM_EINVAL);
    assert_int_equal(r.count, 3);
}

static void sort_and_total(void **state)
{
    struct memmap_range ram[] = {{4 * GiB, 1 * MiB}, {0, 2 * MiB}, {1 * GiB, 4 * MiB}};
    (void)state;
    memmap_sort(ram, 3);
    assert_int_equal(ram[0].gpa, 0);
    assert_int_equal(ram[1].gpa, 1 * GiB);
    assert_int_equal(ram[2].gpa, 4 * GiB);
    assert_int_equal(ram[2].size, 1 * MiB);
    assert_int_equal(memmap_total(ram, 3), 7 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_regions_with_a_hole),
        cmocka_unit_test(overlap_names_both_regions),
        cmocka_unit_test(touching_regions_do_not_overlap),
        cmocka_unit_test(reserved_window_refused),
        cmocka_unit_test(limits_of_the_address_space),
        cmocka_unit_test(alignment_and_empty),
        cmocka_unit_test(more_regions_than_the_firmware_describes),
        cmocka_unit_test(lowest_region_must_hold_the_boot),
        cmocka_unit_test(x86_needs_low_memory_at_zero),
        cmocka_unit_test(windows_stay_out_of_ram_and_devices),
        cmocka_unit_test(sort_and_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
