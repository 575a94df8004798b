/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The block server's request mapping (a VM's region of a shared disk):
 * bounds with 64-bit overflow, read-only regions, flush, zero-length
 * requests as virtio-blk has them, and the check of a device's regions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stdvmm/blk_region.h"
#include "stdvmm/error.h"

#define MiB (1024ull * 1024)

static const struct blk_region rw = {.offset = 1 * MiB, .size = 4 * MiB};
static const struct blk_region ro = {.offset = 8 * MiB, .size = 1 * MiB, .read_only = true};

static void maps_into_region(void **state)
{
    struct blk_region_io io;

    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, 0, 4096, &io), 0);
    assert_int_equal(io.dev_offset, 1 * MiB);
    assert_int_equal(io.len, 4096);
    assert_false(io.noop);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_WRITE, 10, 512, &io), 0);
    assert_int_equal(io.dev_offset, 1 * MiB + 5120);
    /* The last sector, and the whole region at once. */
    uint64_t last = 4 * MiB / 512 - 1;
    assert_int_equal(blk_region_map(&rw, BLK_REGION_WRITE, last, 512, &io), 0);
    assert_int_equal(io.dev_offset, 5 * MiB - 512);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, 0, 4 * MiB, &io), 0);
}

static void out_of_bounds(void **state)
{
    struct blk_region_io io;
    uint64_t sectors = 4 * MiB / 512;

    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, sectors, 512, &io), -STDVMM_ERANGE);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, sectors - 1, 1024, &io), -STDVMM_ERANGE);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, 0, 4 * MiB + 512, &io), -STDVMM_ERANGE);
    /* sector * 512 overflows 64 bits; so does sector * 512 + len. */
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, UINT64_MAX / 512 + 1, 512, &io),
                     -STDVMM_ERANGE);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, UINT64_MAX, 512, &io), -STDVMM_ERANGE);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_WRITE, 1, UINT64_MAX - 511, &io),
                     -STDVMM_ERANGE);
    assert_int_equal(
        blk_region_map(&rw, BLK_REGION_READ, (UINT64_MAX - 4 * MiB) / 512, 4 * MiB, &io),
        -STDVMM_ERANGE);
}

static void length_rules(void **state)
{
    struct blk_region_io io;

    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, 0, 511, &io), -STDVMM_EINVAL);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_WRITE, 0, 513, &io), -STDVMM_EINVAL);
    assert_int_equal(blk_region_map(&rw, (enum blk_region_op)7, 0, 512, &io), -STDVMM_EINVAL);
}

/* virtio-blk: a zero-length request is range-checked, then done without I/O. */
static void zero_length(void **state)
{
    struct blk_region_io io;
    uint64_t sectors = 4 * MiB / 512;

    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, 3, 0, &io), 0);
    assert_true(io.noop);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_WRITE, sectors, 0, &io), 0); /* at the end */
    assert_true(io.noop);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_READ, sectors + 1, 0, &io), -STDVMM_ERANGE);
    assert_int_equal(blk_region_map(&ro, BLK_REGION_WRITE, 0, 0, &io), -STDVMM_EPERM);
}

static void read_only_and_flush(void **state)
{
    struct blk_region_io io;

    assert_int_equal(blk_region_map(&ro, BLK_REGION_READ, 0, 512, &io), 0);
    assert_int_equal(io.dev_offset, 8 * MiB);
    assert_int_equal(blk_region_map(&ro, BLK_REGION_WRITE, 0, 512, &io), -STDVMM_EPERM);
    /* Refused as a write before its range is looked at. */
    assert_int_equal(blk_region_map(&ro, BLK_REGION_WRITE, UINT64_MAX, 512, &io), -STDVMM_EPERM);
    assert_int_equal(blk_region_map(&ro, BLK_REGION_FLUSH, 0, 0, &io), 0);
    assert_true(io.noop);
    assert_int_equal(blk_region_map(&rw, BLK_REGION_FLUSH, UINT64_MAX, 7, &io), 0);
    assert_false(io.noop); /* reaches the device */
    assert_int_equal(io.len, 0);
}

static void broken_region_maps_nothing(void **state)
{
    struct blk_region_io io;
    struct blk_region wraps = {.offset = UINT64_MAX - 511, .size = 1024};
    struct blk_region odd = {.offset = 100, .size = 1024};
    struct blk_region empty = {.offset = 0, .size = 0};

    assert_int_equal(blk_region_map(&wraps, BLK_REGION_READ, 0, 512, &io), -STDVMM_EINVAL);
    assert_int_equal(blk_region_map(&odd, BLK_REGION_READ, 0, 512, &io), -STDVMM_EINVAL);
    assert_int_equal(blk_region_map(&empty, BLK_REGION_READ, 0, 0, &io), -STDVMM_EINVAL);
}

static void check_regions(void **state)
{
    struct blk_region_problem p;
    struct blk_region set[] = {
        {.offset = 0, .size = 1 * MiB},
        {.offset = 1 * MiB, .size = 1 * MiB}, /* touching is fine */
        {.offset = 4 * MiB, .size = 2 * MiB, .read_only = true},
        {.offset = 5 * MiB, .size = 2 * MiB, .read_only = true}, /* shared read-only */
    };

    assert_int_equal(blk_regions_check(set, 4, 8 * MiB, &p), 0);
    assert_int_equal(p.fault, BLK_REGION_OK);
    assert_int_equal(blk_regions_check(set, 0, 0, &p), 0);

    /* Past the device's end. */
    assert_int_equal(blk_regions_check(set, 4, 7 * MiB - 512, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_OUTSIDE);
    assert_int_equal(p.first, 3);

    /* A writable region overlapping a read-only one. */
    set[3].read_only = false;
    assert_int_equal(blk_regions_check(set, 4, 8 * MiB, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_OVERLAP);
    assert_int_equal(p.first, 2);
    assert_int_equal(p.second, 3);
    set[3] = (struct blk_region){.offset = 1 * MiB + 512, .size = 512};
    assert_int_equal(blk_regions_check(set, 4, 8 * MiB, &p), -STDVMM_EINVAL);
    assert_int_equal(p.first, 1);
    assert_int_equal(p.second, 3);

    struct blk_region bad[] = {{.offset = 512, .size = 1000}};
    assert_int_equal(blk_regions_check(bad, 1, 8 * MiB, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_UNALIGNED);
    bad[0] = (struct blk_region){.offset = 512, .size = 0};
    assert_int_equal(blk_regions_check(bad, 1, 8 * MiB, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_EMPTY);
    /* offset + size wraps 64 bits. */
    bad[0] = (struct blk_region){.offset = UINT64_MAX - 511, .size = 1024};
    assert_int_equal(blk_regions_check(bad, 1, UINT64_MAX, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_OUTSIDE);
    bad[0] = (struct blk_region){.offset = UINT64_MAX - 1534, .size = 512}; /* odd offset */
    assert_int_equal(blk_regions_check(bad, 1, UINT64_MAX, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_UNALIGNED);
    bad[0] = (struct blk_region){.offset = 16 * MiB, .size = 512};
    assert_int_equal(blk_regions_check(bad, 1, 8 * MiB, &p), -STDVMM_EINVAL);
    assert_int_equal(p.fault, BLK_REGION_OUTSIDE);
    assert_string_equal(blk_region_fault_name(BLK_REGION_EMPTY), "size 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_into_region),    cmocka_unit_test(out_of_bounds),
        cmocka_unit_test(length_rules),        cmocka_unit_test(zero_length),
        cmocka_unit_test(read_only_and_flush), cmocka_unit_test(broken_region_maps_nothing),
        cmocka_unit_test(check_regions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
