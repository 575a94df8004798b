/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user messages: the requests' bytes as the specification lays them
 * out, and every way a reply can be out of protocol refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/error.h"
#include "vhost_user_msg.h"

static uint8_t buf[VHU_HDR_SIZE + VHU_MAX_PAYLOAD + 16];

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A reply header followed by size bytes of payload. */
static size_t reply(uint32_t req, uint32_t flags, uint32_t size, const void *payload)
{
    memcpy(buf, &req, 4);
    memcpy(buf + 4, &flags, 4);
    memcpy(buf + 8, &size, 4);
    if (payload != NULL)
        memcpy(buf + VHU_HDR_SIZE, payload, size);
    return VHU_HDR_SIZE + size;
}

static void request_layouts(void **state)
{
    (void)state;
    struct vhu_msg m;

    vhu_msg_addr(&m, 2, 0x1000, 0x3000, 0x2000);
    size_t n = vhu_msg_encode(&m, buf, sizeof(buf));
    assert_int_equal(n, VHU_HDR_SIZE + 40);
    assert_int_equal(u32_at(buf), VHU_SET_VRING_ADDR);
    assert_int_equal(u32_at(buf + 4), VHU_VERSION);
    assert_int_equal(u32_at(buf + 8), 40);
    assert_int_equal(u32_at(buf + 12), 2);
    /* descriptor, used, available: the order of struct vhost_vring_addr */
    assert_int_equal(u64_at(buf + 20), 0x1000);
    assert_int_equal(u64_at(buf + 28), 0x3000);
    assert_int_equal(u64_at(buf + 36), 0x2000);

    struct vhost_user_region r[2] = {{0x40000000, 0x100000, 0x7f0000000000, 0, 5},
                                     {0x80000000, 0x200000, 0x7f1000000000, 0x1000, 6}};
    assert_int_equal(vhu_msg_mem_table(&m, r, 2), 0);
    n = vhu_msg_encode(&m, buf, sizeof(buf));
    assert_int_equal(n, VHU_HDR_SIZE + 8 + 64);
    assert_int_equal(u32_at(buf + 12), 2);
    assert_int_equal(u64_at(buf + 20 + 32), 0x80000000);
    assert_int_equal(u64_at(buf + 20 + 32 + 24), 0x1000);

    vhu_msg_state(&m, VHU_SET_VRING_NUM, 1, 256);
    n = vhu_msg_encode(&m, buf, sizeof(buf));
    assert_int_equal(u32_at(buf + 12), 1);
    assert_int_equal(u32_at(buf + 16), 256);

    assert_int_equal(vhu_msg_config(&m, 0, 60), 0);
    assert_int_equal(m.size, 72);
    /* An encode buffer too small is refused, not overrun. */
    assert_int_equal(vhu_msg_encode(&m, buf, VHU_HDR_SIZE + 10), 0);
}

static void bad_requests(void **state)
{
    (void)state;
    struct vhu_msg m;
    struct vhost_user_region r[VHOST_USER_MAX_REGIONS + 1] = {0};

    assert_int_equal(vhu_msg_mem_table(&m, r, 0), -STDVMM_EINVAL);
    assert_int_equal(vhu_msg_mem_table(&m, r, VHOST_USER_MAX_REGIONS + 1), -STDVMM_EINVAL);
    assert_int_equal(vhu_msg_config(&m, 0, 0), -STDVMM_EINVAL);
    assert_int_equal(vhu_msg_config(&m, 250, 8), -STDVMM_EINVAL);
    assert_int_equal(vhu_msg_config(&m, 0xfffffff0u, 0x20), -STDVMM_EINVAL);
}

static void good_replies(void **state)
{
    (void)state;
    struct vhu_msg m;
    uint64_t v = 0x140000000ull, got;

    size_t n = reply(VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, &v);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_FEATURES, &m), 0);
    assert_int_equal(vhu_reply_u64(&m, &got), 0);
    assert_int_equal(got, v);

    uint32_t st[2] = {3, 77};
    uint32_t num;
    n = reply(VHU_GET_VRING_BASE, VHU_VERSION | VHU_FLAG_REPLY, 8, st);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_VRING_BASE, &m), 0);
    assert_int_equal(vhu_reply_state(&m, 3, &num), 0);
    assert_int_equal(num, 77);
    assert_int_equal(vhu_reply_state(&m, 2, &num), -STDVMM_EPROTO); /* another ring's */

    uint8_t cfg[12 + 8] = {0};
    uint32_t off = 0, size = 8;
    memcpy(cfg, &off, 4);
    memcpy(cfg + 4, &size, 4);
    cfg[12] = 0x80;
    const uint8_t *data;
    n = reply(VHU_GET_CONFIG, VHU_VERSION | VHU_FLAG_REPLY, sizeof(cfg), cfg);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_CONFIG, &m), 0);
    assert_int_equal(vhu_reply_config(&m, 0, 8, &data), 0);
    assert_int_equal(data[0], 0x80);
    /* Bytes other than the ones asked for, or a backend's empty "failed" reply. */
    assert_int_equal(vhu_reply_config(&m, 4, 8, &data), -STDVMM_EPROTO);
    assert_int_equal(vhu_reply_config(&m, 0, 4, &data), -STDVMM_EPROTO);
    n = reply(VHU_GET_CONFIG, VHU_VERSION | VHU_FLAG_REPLY, 0, NULL);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_CONFIG, &m), 0);
    assert_int_equal(vhu_reply_config(&m, 0, 8, &data), -STDVMM_EPROTO);
}

static void hostile_replies(void **state)
{
    (void)state;
    struct vhu_msg m;
    uint64_t v = 1;

    /* Shorter than a header. */
    assert_int_equal(vhu_reply_decode(buf, 11, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    /* Another protocol version. */
    size_t n = reply(VHU_GET_FEATURES, 2 | VHU_FLAG_REPLY, 8, &v);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    /* Not marked as a reply, or the reply to something else. */
    n = reply(VHU_GET_FEATURES, VHU_VERSION, 8, &v);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    n = reply(VHU_GET_PROTOCOL_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, &v);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    /* A size that disagrees with what came, or beyond any payload. */
    n = reply(VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, &v);
    assert_int_equal(vhu_reply_decode(buf, n - 1, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    n = reply(VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 0xffffffffu, NULL);
    assert_int_equal(vhu_reply_decode(buf, VHU_HDR_SIZE, VHU_GET_FEATURES, &m), -STDVMM_EPROTO);
    /* A u64 reply of the wrong length. */
    n = reply(VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 4, &v);
    assert_int_equal(vhu_reply_decode(buf, n, VHU_GET_FEATURES, &m), 0);
    assert_int_equal(vhu_reply_u64(&m, &v), -STDVMM_EPROTO);
}

/* IOTLB_MSG as struct vhost_iotlb_msg lays it out: iova, size, uaddr, perm, type, padded to 32. */
static void iotlb_requests(void **state)
{
    struct vhu_msg m;
    (void)state;

    vhu_msg_iotlb(&m, VHU_IOTLB_UPDATE, 0x1000, 0x3000, 0x7f0000001000ull, DMA_READ | DMA_WRITE);
    size_t n = vhu_msg_encode(&m, buf, sizeof(buf));
    assert_int_equal(n, VHU_HDR_SIZE + 32);
    assert_int_equal(u32_at(buf), 22);
    assert_int_equal(u32_at(buf + 4), VHU_VERSION);
    assert_int_equal(u32_at(buf + 8), 32);
    assert_int_equal(u64_at(buf + 12), 0x1000);
    assert_int_equal(u64_at(buf + 20), 0x3000);
    assert_int_equal(u64_at(buf + 28), 0x7f0000001000ull);
    assert_int_equal(buf[36], 3); /* VHOST_ACCESS_RW */
    assert_int_equal(buf[37], 2); /* VHOST_IOTLB_UPDATE */

    vhu_msg_iotlb(&m, VHU_IOTLB_UPDATE, 0, 1, 2, DMA_READ);
    assert_int_equal(m.payload[24], 1); /* read-only */
    vhu_msg_iotlb(&m, VHU_IOTLB_INVALIDATE, 0x2000, UINT64_MAX, 0, 0);
    assert_int_equal(m.payload[25], 3);
    assert_int_equal(m.payload[24], 0);
    assert_int_equal(u64_at(m.payload + 8), UINT64_MAX);

    vhu_msg_plain(&m, VHU_SET_BACKEND_REQ_FD);
    assert_int_equal(vhu_msg_encode(&m, buf, sizeof(buf)), VHU_HDR_SIZE);
    assert_int_equal(u32_at(buf), 21);
    assert_string_equal(vhu_request_name(VHU_IOTLB_MSG), "IOTLB_MSG");
}

/* A backend's IOTLB miss: header, then iova, size, uaddr, perm, type. */
static size_t miss(uint32_t flags, uint32_t size, uint64_t iova, uint8_t perm, uint8_t type)
{
    uint8_t p[32] = {0};
    memcpy(p, &iova, 8);
    p[24] = perm;
    p[25] = type;
    return reply(VHU_BACKEND_IOTLB_MSG, flags, size, p);
}

static void backend_misses(void **state)
{
    struct vhu_msg m;
    uint64_t iova;
    unsigned access;
    (void)state;

    size_t n = miss(VHU_VERSION, 32, 0xfffff000ull, 1, VHU_IOTLB_MISS);
    assert_int_equal(vhu_backend_decode(buf, n, &m), 0);
    assert_int_equal(vhu_backend_iotlb_miss(&m, &iova, &access), 0);
    assert_int_equal(iova, 0xfffff000ull);
    assert_int_equal(access, DMA_READ);
    n = miss(VHU_VERSION | VHU_FLAG_NEED_REPLY, 32, 0x5000, 3, VHU_IOTLB_MISS);
    assert_int_equal(vhu_backend_decode(buf, n, &m), 0);
    assert_int_equal(vhu_backend_iotlb_miss(&m, &iova, &access), 0);
    assert_int_equal(access, DMA_READ | DMA_WRITE);
    assert_true(m.flags & VHU_FLAG_NEED_REPLY);
    n = miss(VHU_VERSION, 26, 0x6000, 2, VHU_IOTLB_MISS); /* without the padding */
    assert_int_equal(vhu_backend_decode(buf, n, &m), 0);
    assert_int_equal(vhu_backend_iotlb_miss(&m, &iova, &access), 0);
    assert_int_equal(access, DMA_WRITE);

    /* The answer to NEED_REPLY: a reply to the same request carrying the status. */
    vhu_msg_backend_reply(&m, VHU_BACKEND_IOTLB_MSG, 1);
    n = vhu_msg_encode(&m, buf, sizeof(buf));
    assert_int_equal(n, VHU_HDR_SIZE + 8);
    assert_int_equal(u32_at(buf), 1);
    assert_int_equal(u32_at(buf + 4), VHU_VERSION | VHU_FLAG_REPLY);
    assert_int_equal(u64_at(buf + 12), 1);
}

static void hostile_backend_requests(void **state)
{
    struct vhu_msg m;
    uint64_t iova = 7;
    unsigned access = 9;
    (void)state;

    assert_int_equal(vhu_backend_decode(buf, VHU_HDR_SIZE - 1, &m), -STDVMM_EPROTO);
    size_t n = miss(2, 32, 0, 1, VHU_IOTLB_MISS); /* version 2 */
    assert_int_equal(vhu_backend_decode(buf, n, &m), -STDVMM_EPROTO);
    n = miss(VHU_VERSION | VHU_FLAG_REPLY, 32, 0, 1, VHU_IOTLB_MISS); /* a reply, not a request */
    assert_int_equal(vhu_backend_decode(buf, n, &m), -STDVMM_EPROTO);
    n = miss(VHU_VERSION, 32, 0, 1, VHU_IOTLB_MISS);
    assert_int_equal(vhu_backend_decode(buf, n - 1, &m), -STDVMM_EPROTO); /* truncated */
    n = reply(VHU_BACKEND_IOTLB_MSG, VHU_VERSION, VHU_MAX_PAYLOAD + 1, NULL);
    assert_int_equal(vhu_backend_decode(buf, VHU_HDR_SIZE, &m), -STDVMM_EPROTO);

    /* Well-formed messages that are not a usable miss. */
    const struct {
        uint32_t size;
        uint8_t perm, type;
    } bad[] = {{25, 1, VHU_IOTLB_MISS},    {32, 0, VHU_IOTLB_MISS},   {32, 4, VHU_IOTLB_MISS},
               {32, 0xff, VHU_IOTLB_MISS}, {32, 1, VHU_IOTLB_UPDATE}, {32, 1, 0}};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = miss(VHU_VERSION, bad[i].size, 0x1000, bad[i].perm, bad[i].type);
        assert_int_equal(vhu_backend_decode(buf, n, &m), 0);
        assert_int_equal(vhu_backend_iotlb_miss(&m, &iova, &access), -STDVMM_EPROTO);
    }
    n = reply(2, VHU_VERSION, 0, NULL); /* another backend request (CONFIG_CHANGE_MSG) */
    assert_int_equal(vhu_backend_decode(buf, n, &m), 0);
    assert_int_equal(vhu_backend_iotlb_miss(&m, &iova, &access), -STDVMM_EPROTO);
    assert_int_equal(iova, 7);
    assert_int_equal(access, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_layouts),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(good_replies),
        cmocka_unit_test(hostile_replies),
        cmocka_unit_test(iotlb_requests),
        cmocka_unit_test(backend_misses),
        cmocka_unit_test(hostile_backend_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
