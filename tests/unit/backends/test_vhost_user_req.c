/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user from the backend's side (stdvmm-switch): the frontend's
 * requests decoded as the specification lays them out, and every way a
 * request can be out of protocol refused before the backend acts on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error.h"
#include "vhost_user_req.h"

static uint8_t buf[VHU_HDR_SIZE + VHU_MAX_PAYLOAD + 16];

static size_t req(uint32_t request, uint32_t flags, uint32_t size, const void *payload)
{
    memcpy(buf, &request, 4);
    memcpy(buf + 4, &flags, 4);
    memcpy(buf + 8, &size, 4);
    if (payload != NULL)
        memcpy(buf + VHU_HDR_SIZE, payload, size);
    return VHU_HDR_SIZE + size;
}

/* What stdvmm's own frontend sends decodes to the same values. */
static void frontend_requests_decode(void **state)
{
    struct vhu_msg m;
    struct vhu_req r;
    uint8_t out[VHU_HDR_SIZE + VHU_MAX_PAYLOAD];
    (void)state;

    vhu_msg_u64(&m, VHU_SET_FEATURES, 0x140008000ull);
    size_t n = vhu_msg_encode(&m, out, sizeof(out));
    assert_int_equal(vhu_req_decode(out, n, 0, &r), 0);
    assert_int_equal(r.request, VHU_SET_FEATURES);
    assert_int_equal(r.u.u64, 0x140008000ull);
    assert_false(r.need_reply);

    vhu_msg_state(&m, VHU_SET_VRING_NUM, 1, 256);
    n = vhu_msg_encode(&m, out, sizeof(out));
    assert_int_equal(vhu_req_decode(out, n, 0, &r), 0);
    assert_int_equal(r.u.state.index, 1);
    assert_int_equal(r.u.state.num, 256);

    vhu_msg_addr(&m, 1, 0x1000, 0x3000, 0x2000);
    n = vhu_msg_encode(&m, out, sizeof(out));
    assert_int_equal(vhu_req_decode(out, n, 0, &r), 0);
    assert_int_equal(r.u.addr.index, 1);
    assert_int_equal(r.u.addr.desc, 0x1000);
    assert_int_equal(r.u.addr.used, 0x3000);
    assert_int_equal(r.u.addr.avail, 0x2000);

    struct vhost_user_region regions[2] = {
        {.guest_phys_addr = 0, .size = 0x80000000, .user_addr = 0x7f0000000000, .fd = 3},
        {.guest_phys_addr = 0x100000000,
         .size = 0x40000000,
         .user_addr = 0x7e0000000000,
         .mmap_offset = 0x1000,
         .fd = 4}};
    assert_int_equal(vhu_msg_mem_table(&m, regions, 2), 0);
    n = vhu_msg_encode(&m, out, sizeof(out));
    assert_int_equal(vhu_req_decode(out, n, 2, &r), 0);
    assert_int_equal(r.u.mem.count, 2);
    assert_int_equal(r.u.mem.r[1].guest_phys_addr, 0x100000000);
    assert_int_equal(r.u.mem.r[1].mmap_offset, 0x1000);
    assert_int_equal(r.u.mem.r[0].user_addr, 0x7f0000000000);
    /* Each region needs its descriptor, no more and no fewer. */
    assert_int_equal(vhu_req_decode(out, n, 1, &r), -STDVMM_EPROTO);
    assert_int_equal(vhu_req_decode(out, n, 3, &r), -STDVMM_EPROTO);
}

static void vring_fds(void **state)
{
    struct vhu_req r;
    uint64_t v = 1; /* ring 1, with a descriptor */
    (void)state;
    size_t n = req(VHU_SET_VRING_KICK, VHU_VERSION | VHU_FLAG_NEED_REPLY, 8, &v);
    assert_int_equal(vhu_req_decode(buf, n, 1, &r), 0);
    assert_int_equal(r.u.vring_fd.index, 1);
    assert_false(r.u.vring_fd.nofd);
    assert_true(r.need_reply);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), -STDVMM_EPROTO);
    v = 0 | VHU_VRING_NOFD;
    n = req(VHU_SET_VRING_CALL, VHU_VERSION, 8, &v);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), 0);
    assert_true(r.u.vring_fd.nofd);
    assert_int_equal(vhu_req_decode(buf, n, 1, &r), -STDVMM_EPROTO);
    v = 0x200; /* reserved bits */
    n = req(VHU_SET_VRING_KICK, VHU_VERSION, 8, &v);
    assert_int_equal(vhu_req_decode(buf, n, 1, &r), -STDVMM_EPROTO);
}

static void out_of_protocol(void **state)
{
    struct vhu_req r;
    uint64_t v = 0;
    uint8_t big[VHU_MAX_PAYLOAD] = {0};
    (void)state;
    /* Header cut short, wrong version, a reply where a request belongs. */
    assert_int_equal(vhu_req_decode(buf, 11, 0, &r), -STDVMM_EPROTO);
    size_t n = req(VHU_GET_FEATURES, 2, 0, NULL);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), -STDVMM_EPROTO);
    n = req(VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 0, NULL);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), -STDVMM_EPROTO);
    /* The announced size must be the request's and what arrived. */
    n = req(VHU_SET_FEATURES, VHU_VERSION, 4, &v);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), -STDVMM_EPROTO);
    n = req(VHU_SET_FEATURES, VHU_VERSION, 8, &v);
    assert_int_equal(vhu_req_decode(buf, n - 1, 0, &r), -STDVMM_EPROTO);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), 0);
    n = req(VHU_GET_FEATURES, VHU_VERSION, VHU_MAX_PAYLOAD + 1, NULL);
    assert_int_equal(vhu_req_decode(buf, VHU_HDR_SIZE, 0, &r), -STDVMM_EPROTO);
    /* A descriptor on a request that carries none. */
    n = req(VHU_SET_OWNER, VHU_VERSION, 0, NULL);
    assert_int_equal(vhu_req_decode(buf, n, 1, &r), -STDVMM_EPROTO);
    /* Unknown, but well formed: the backend may answer and go on. */
    n = req(99, VHU_VERSION, 16, big);
    assert_int_equal(vhu_req_decode(buf, n, 0, &r), -STDVMM_ENOTSUP);
}

static size_t mem_table(uint32_t count, const uint64_t (*regions)[4])
{
    uint8_t p[8 + 32 * VHOST_USER_MAX_REGIONS] = {0};
    memcpy(p, &count, 4);
    for (uint32_t i = 0; i < count && i < VHOST_USER_MAX_REGIONS; i++)
        memcpy(p + 8 + 32 * i, regions[i], 32);
    uint32_t size = 8 + 32 * (count <= VHOST_USER_MAX_REGIONS ? count : 0);
    return req(VHU_SET_MEM_TABLE, VHU_VERSION, size, p);
}

static void memory_table_arithmetic(void **state)
{
    struct vhu_req r;
    (void)state;
    const uint64_t ok[2][4] = {{0, 0x1000, 0x10000, 0}, {0x1000, 0x1000, 0x20000, 0}};
    assert_int_equal(vhu_req_decode(buf, mem_table(2, ok), 2, &r), 0);
    const uint64_t empty[1][4] = {{0, 0, 0x10000, 0}};
    assert_int_equal(vhu_req_decode(buf, mem_table(1, empty), 1, &r), -STDVMM_EPROTO);
    const uint64_t wrap_gpa[1][4] = {{UINT64_MAX - 0xfff, 0x2000, 0x10000, 0}};
    assert_int_equal(vhu_req_decode(buf, mem_table(1, wrap_gpa), 1, &r), -STDVMM_EPROTO);
    const uint64_t wrap_uva[1][4] = {{0, 0x2000, UINT64_MAX - 0xfff, 0}};
    assert_int_equal(vhu_req_decode(buf, mem_table(1, wrap_uva), 1, &r), -STDVMM_EPROTO);
    const uint64_t wrap_off[1][4] = {{0, 0x2000, 0x10000, UINT64_MAX - 0xfff}};
    assert_int_equal(vhu_req_decode(buf, mem_table(1, wrap_off), 1, &r), -STDVMM_EPROTO);
    const uint64_t overlap[2][4] = {{0, 0x2000, 0x10000, 0}, {0x1000, 0x1000, 0x20000, 0}};
    assert_int_equal(vhu_req_decode(buf, mem_table(2, overlap), 2, &r), -STDVMM_EPROTO);
    assert_int_equal(vhu_req_decode(buf, mem_table(0, ok), 0, &r), -STDVMM_EPROTO);
    /* A count that disagrees with the payload's size. */
    size_t n = mem_table(2, ok);
    uint32_t three = 3;
    memcpy(buf + VHU_HDR_SIZE, &three, 4);
    assert_int_equal(vhu_req_decode(buf, n, 3, &r), -STDVMM_EPROTO);
}

static void replies(void **state)
{
    uint8_t out[64];
    uint64_t v = 0x1234;
    (void)state;
    size_t n = vhu_req_reply(VHU_GET_FEATURES, &v, 8, out, sizeof(out));
    assert_int_equal(n, VHU_HDR_SIZE + 8);
    /* The frontend's own reply check accepts it. */
    struct vhu_msg m;
    uint64_t got;
    assert_int_equal(vhu_reply_decode(out, n, VHU_GET_FEATURES, &m), 0);
    assert_int_equal(vhu_reply_u64(&m, &got), 0);
    assert_int_equal(got, 0x1234);
    assert_int_equal(vhu_req_reply(VHU_GET_FEATURES, &v, 8, out, 12), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frontend_requests_decode),
        cmocka_unit_test(vring_fds),
        cmocka_unit_test(out_of_protocol),
        cmocka_unit_test(memory_table_arithmetic),
        cmocka_unit_test(replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
