/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB entries a datapath outside the VMM gets for a miss: the whole
 * mapping holding the address, clipped to the guest RAM region it lands
 * in, never beyond either; refusals for unmapped addresses, missing
 * permissions and mappings to outside guest RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stdvmm/devices/iommu_iotlb.h"
#include "stdvmm/error.h"

/* Two RAM regions with a hole between them. */
#define LOW_GPA 0x40000000ull
#define LOW_SIZE 0x100000ull
#define HIGH_GPA 0x80000000ull
#define HIGH_SIZE 0x200000ull
static uint8_t low[LOW_SIZE], high[HIGH_SIZE];

struct fixture {
    struct gmem mem;
    struct iommu_map map;
    struct iommu_mapping storage[8];
};

static void setup(struct fixture *f)
{
    gmem_init(&f->mem);
    assert_int_equal(gmem_add_region(&f->mem, HIGH_GPA, HIGH_SIZE, high), 0);
    assert_int_equal(gmem_add_region(&f->mem, LOW_GPA, LOW_SIZE, low), 0);
    iommu_map_init(&f->map, f->storage, 8);
}

static void entry_is_the_mapping(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    assert_int_equal(iommu_map_add(&f.map, 0x10000, 0x13fff, LOW_GPA + 0x8000, IOMMU_MAP_READ), 0);
    assert_int_equal(iommu_map_add(&f.map, 0x20000, 0x20fff, HIGH_GPA, 3), 0);

    /* A miss in the middle of a mapping gets all of it, and only it. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x12345, DMA_READ, &e), 0);
    assert_int_equal(e.iova, 0x10000);
    assert_int_equal(e.size, 0x4000);
    assert_ptr_equal(e.host, low + 0x8000);
    assert_int_equal(e.perm, DMA_READ);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x20fff, DMA_READ | DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x20000);
    assert_int_equal(e.size, 0x1000);
    assert_ptr_equal(e.host, high);
    assert_int_equal(e.perm, DMA_READ | DMA_WRITE);

    /* Around and between the mappings, and an access the mapping does not allow. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0xffff, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x14000, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x21000, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x10000, DMA_WRITE, &e), -STDVMM_EPERM);
}

static void entry_stays_in_guest_ram(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    /* A driver maps a range that runs off the end of the low region, into the hole. */
    assert_int_equal(iommu_map_add(&f.map, 0x100000, 0x1fffff, LOW_GPA + LOW_SIZE - 0x2000, 3), 0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x100000, DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x100000);
    assert_int_equal(e.size, 0x2000);
    assert_ptr_equal(e.host, low + LOW_SIZE - 0x2000);
    /* Inside the mapping but in the hole: nothing to give. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x102000, DMA_READ, &e), -STDVMM_EFAULT);

    /* A mapping starting before the high region and ending inside it: the part in RAM. */
    assert_int_equal(iommu_map_add(&f.map, 0x300000, 0x303fff, HIGH_GPA - 0x1000, IOMMU_MAP_WRITE),
                     0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x302000, DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x301000);
    assert_int_equal(e.size, 0x3000);
    assert_ptr_equal(e.host, high);
    assert_int_equal(e.perm, DMA_WRITE);

    /* The whole IOVA space mapped onto address 0: only the region the miss lands in. */
    iommu_map_clear(&f.map);
    assert_int_equal(iommu_map_add(&f.map, 0, UINT64_MAX, 0, 3), 0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, HIGH_GPA + 0x1234, DMA_READ, &e), 0);
    assert_int_equal(e.iova, HIGH_GPA);
    assert_int_equal(e.size, HIGH_SIZE);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, UINT64_MAX, DMA_READ, &e), -STDVMM_EFAULT);
}

static void identity_is_the_region(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    assert_int_equal(iommu_iotlb_identity(&f.mem, LOW_GPA + LOW_SIZE - 1, &e), 0);
    assert_int_equal(e.iova, LOW_GPA);
    assert_int_equal(e.size, LOW_SIZE);
    assert_ptr_equal(e.host, low);
    assert_int_equal(e.perm, DMA_READ | DMA_WRITE);
    assert_int_equal(iommu_iotlb_identity(&f.mem, LOW_GPA + LOW_SIZE, &e), -STDVMM_EFAULT);
    assert_int_equal(iommu_iotlb_identity(&f.mem, 0, &e), -STDVMM_EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entry_is_the_mapping),
        cmocka_unit_test(entry_stays_in_guest_ram),
        cmocka_unit_test(identity_is_the_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
