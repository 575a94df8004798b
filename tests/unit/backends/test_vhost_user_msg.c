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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_layouts),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(good_replies),
        cmocka_unit_test(hostile_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
