/* SPDX-License-Identifier: BSD-2-Clause */
/* The IOVA interval map behind each virtio-iommu domain: overlap, whole-mapping unmap, lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stdvmm/devices/iommu_map.h"
#include "stdvmm/error.h"

#define RW (IOMMU_MAP_READ | IOMMU_MAP_WRITE)

static struct iommu_mapping storage[8];

static void add_rejects_overlap_and_keeps_order(void **state)
{
    struct iommu_map m;
    (void)state;
    iommu_map_init(&m, storage, 8);
    assert_int_equal(iommu_map_add(&m, 0x3000, 0x3fff, 0x90000, RW), 0);
    assert_int_equal(iommu_map_add(&m, 0x1000, 0x1fff, 0x80000, RW), 0);
    /* Touching either end by one byte overlaps; adjacent does not. */
    assert_int_equal(iommu_map_add(&m, 0x1fff, 0x2fff, 0, RW), -STDVMM_EEXIST);
    assert_int_equal(iommu_map_add(&m, 0x2000, 0x3000, 0, RW), -STDVMM_EEXIST);
    assert_int_equal(iommu_map_add(&m, 0x0, 0x10000, 0, RW), -STDVMM_EEXIST);
    assert_int_equal(iommu_map_add(&m, 0x2000, 0x2fff, 0x70000, RW), 0);
    assert_int_equal(m.count, 3);
    assert_true(m.m[0].start == 0x1000 && m.m[1].start == 0x2000 && m.m[2].start == 0x3000);
    /* last < start, and a physical range that wraps, are refused. */
    assert_int_equal(iommu_map_add(&m, 0x9000, 0x8fff, 0, RW), -STDVMM_EINVAL);
    assert_int_equal(iommu_map_add(&m, 0x9000, 0x9fff, UINT64_MAX - 0x10, RW), -STDVMM_EINVAL);
    /* The very top of the address space is a valid mapping. */
    assert_int_equal(iommu_map_add(&m, UINT64_MAX - 0xfff, UINT64_MAX, 0x1000, RW), 0);
}

static void add_fails_when_full(void **state)
{
    struct iommu_map m;
    (void)state;
    iommu_map_init(&m, storage, 2);
    assert_int_equal(iommu_map_add(&m, 0x1000, 0x1fff, 0, RW), 0);
    assert_int_equal(iommu_map_add(&m, 0x2000, 0x2fff, 0, RW), 0);
    assert_int_equal(iommu_map_add(&m, 0x3000, 0x3fff, 0, RW), -STDVMM_ENOSPC);
}

static void remove_takes_whole_mappings_only(void **state)
{
    struct iommu_map m;
    (void)state;
    iommu_map_init(&m, storage, 8);
    assert_int_equal(iommu_map_add(&m, 0x1000, 0x1fff, 0, RW), 0);
    assert_int_equal(iommu_map_add(&m, 0x2000, 0x3fff, 0, RW), 0);
    assert_int_equal(iommu_map_add(&m, 0x8000, 0x8fff, 0, RW), 0);
    /* Splitting the second mapping at either end removes nothing. */
    assert_int_equal(iommu_map_remove(&m, 0x1000, 0x2fff), -STDVMM_ERANGE);
    assert_int_equal(iommu_map_remove(&m, 0x3000, 0x9fff), -STDVMM_ERANGE);
    assert_int_equal(m.count, 3);
    /* A range with no mapping in it is fine (and removes none). */
    assert_int_equal(iommu_map_remove(&m, 0x4000, 0x7fff), 0);
    /* A range covering several whole mappings takes them all. */
    assert_int_equal(iommu_map_remove(&m, 0x0, 0x3fff), 2);
    assert_int_equal(m.count, 1);
    assert_int_equal(m.m[0].start, 0x8000);
    assert_int_equal(iommu_map_remove(&m, 0, UINT64_MAX), 1);
    assert_int_equal(m.count, 0);
}

static void lookup_translates_and_checks(void **state)
{
    struct iommu_map m;
    uint64_t phys = 0, fault = 0;
    (void)state;
    iommu_map_init(&m, storage, 8);
    assert_int_equal(iommu_map_add(&m, 0x10000, 0x10fff, 0x500000, IOMMU_MAP_READ), 0);
    /* Adjacent in IOVA and physically contiguous: one buffer mapped in two requests. */
    assert_int_equal(iommu_map_add(&m, 0x11000, 0x11fff, 0x501000, IOMMU_MAP_READ), 0);
    /* Adjacent in IOVA, elsewhere physically. */
    assert_int_equal(iommu_map_add(&m, 0x12000, 0x12fff, 0x900000, RW), 0);

    assert_int_equal(iommu_map_lookup(&m, 0x10010, 0x20, IOMMU_MAP_READ, &phys, &fault), 0);
    assert_int_equal(phys, 0x500010);
    assert_int_equal(iommu_map_lookup(&m, 0x10ff0, 0x20, IOMMU_MAP_READ, &phys, &fault), 0);
    assert_int_equal(phys, 0x500ff0);
    /* Write to a read-only mapping. */
    assert_int_equal(iommu_map_lookup(&m, 0x10010, 4, IOMMU_MAP_WRITE, &phys, &fault),
                     -STDVMM_EPERM);
    assert_int_equal(fault, 0x10010);
    /* Running into a physically discontiguous neighbour. */
    assert_int_equal(iommu_map_lookup(&m, 0x11ff0, 0x20, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_EFAULT);
    assert_int_equal(fault, 0x12000);
    /* Before, after and past the end of the mappings. */
    assert_int_equal(iommu_map_lookup(&m, 0xfff0, 0x20, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_ENOENT);
    assert_int_equal(fault, 0xfff0);
    assert_int_equal(iommu_map_lookup(&m, 0x12ff0, 0x20, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_ENOENT);
    assert_int_equal(fault, 0x13000);
    /* Zero length and a range that wraps are never translated. */
    assert_int_equal(iommu_map_lookup(&m, 0x10000, 0, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_EINVAL);
    assert_int_equal(iommu_map_lookup(&m, UINT64_MAX, 2, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_EINVAL);
    /* After an unmap, the range is gone. */
    assert_int_equal(iommu_map_remove(&m, 0x10000, 0x10fff), 1);
    assert_int_equal(iommu_map_lookup(&m, 0x10010, 4, IOMMU_MAP_READ, &phys, &fault),
                     -STDVMM_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_rejects_overlap_and_keeps_order),
        cmocka_unit_test(add_fails_when_full),
        cmocka_unit_test(remove_takes_whole_mappings_only),
        cmocka_unit_test(lookup_translates_and_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
