/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost IOTLB messages as the kernel reads and writes them
 * (drivers/vhost/vhost.c, vhost_chr_write_iter and vhost_iotlb_miss):
 * updates carry the entry's range, host address and permissions;
 * invalidations the range (the whole space one byte short); only a well
 * formed MISS decodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/backends/vhost_iotlb.h"
#include "stdvmm/error.h"

static void update_carries_the_entry(void **state)
{
    static uint8_t page[4096];
    struct vhost_msg_v2 m;
    (void)state;
    const struct dma_iotlb_entry e = {
        .iova = 0x7000, .size = 0x3000, .host = page, .perm = DMA_READ};
    vhost_iotlb_update_msg(&e, &m);
    assert_int_equal(m.type, VHOST_IOTLB_MSG_V2);
    assert_int_equal(m.asid, 0);
    assert_int_equal(m.iotlb.type, VHOST_IOTLB_UPDATE);
    assert_int_equal(m.iotlb.iova, 0x7000);
    assert_int_equal(m.iotlb.size, 0x3000);
    assert_int_equal(m.iotlb.uaddr, (uint64_t)(uintptr_t)page);
    assert_int_equal(m.iotlb.perm, VHOST_ACCESS_RO);
    const struct dma_iotlb_entry w = {.iova = 0, .size = 1, .host = page, .perm = DMA_WRITE};
    vhost_iotlb_update_msg(&w, &m);
    assert_int_equal(m.iotlb.perm, VHOST_ACCESS_WO);
    const struct dma_iotlb_entry rw = {.iova = 0, .size = 1, .host = page, .perm = 3};
    vhost_iotlb_update_msg(&rw, &m);
    assert_int_equal(m.iotlb.perm, VHOST_ACCESS_RW);
}

static void invalidate_carries_the_range(void **state)
{
    struct vhost_msg_v2 m;
    (void)state;
    vhost_iotlb_invalidate_msg(0x5000, 0x5fff, &m);
    assert_int_equal(m.type, VHOST_IOTLB_MSG_V2);
    assert_int_equal(m.iotlb.type, VHOST_IOTLB_INVALIDATE);
    assert_int_equal(m.iotlb.iova, 0x5000);
    assert_int_equal(m.iotlb.size, 0x1000);
    vhost_iotlb_invalidate_msg(0, UINT64_MAX, &m);
    assert_int_equal(m.iotlb.iova, 0);
    assert_int_equal(m.iotlb.size, UINT64_MAX);
    vhost_iotlb_invalidate_msg(UINT64_MAX - 0xfff, UINT64_MAX, &m);
    assert_int_equal(m.iotlb.size, 0x1000);
}

static void only_misses_decode(void **state)
{
    struct vhost_msg_v2 m;
    uint64_t iova = 0;
    unsigned access = 0;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.type = VHOST_IOTLB_MSG_V2;
    m.iotlb.type = VHOST_IOTLB_MISS;
    m.iotlb.iova = 0xabc000;
    m.iotlb.perm = VHOST_ACCESS_WO;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), 0);
    assert_int_equal(iova, 0xabc000);
    assert_int_equal(access, DMA_WRITE);
    m.iotlb.perm = VHOST_ACCESS_RW;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), 0);
    assert_int_equal(access, DMA_READ | DMA_WRITE);
    m.iotlb.perm = 0;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), -STDVMM_EINVAL);
    m.iotlb.perm = 4;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), -STDVMM_EINVAL);
    m.iotlb.perm = VHOST_ACCESS_RO;
    m.iotlb.type = VHOST_IOTLB_UPDATE;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), -STDVMM_EINVAL);
    m.iotlb.type = VHOST_IOTLB_MISS;
    m.type = VHOST_IOTLB_MSG;
    assert_int_equal(vhost_iotlb_miss_decode(&m, &iova, &access), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(update_carries_the_entry),
        cmocka_unit_test(invalidate_carries_the_range),
        cmocka_unit_test(only_misses_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
