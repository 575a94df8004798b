/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM <-> backend channel: layout rules, a request's round trip, full
 * and empty rings, the 2^32 wrap of the indices, and each end facing a
 * hostile peer: impossible indices, offsets and lengths outside the data
 * region, unknown ops and ids, forged answers, another version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channel/channel_ring.h"
#include "stdvmm/channel_back.h"
#include "stdvmm/channel_front.h"
#include "stdvmm/error.h"

#define SLOTS 8
#define SLOT_SIZE 256
static const struct channel_geometry geo = {
    .req_entries = 8, .resp_entries = 16, .slot_size = SLOT_SIZE, .slot_count = SLOTS};

static _Alignas(4096) uint8_t shm[3 * 4096];
static struct channel_front front;
static struct channel_back back;

static struct channel_shm_header *hdr(void)
{
    return (struct channel_shm_header *)shm;
}

static struct channel_ring_shm *req_ring(void)
{
    return (struct channel_ring_shm *)(shm + hdr()->req_ring);
}

static struct channel_ring_shm *resp_ring(void)
{
    return (struct channel_ring_shm *)(shm + hdr()->resp_ring);
}

static int setup(void **state)
{
    memset(shm, 0xa5, sizeof(shm));
    assert_int_equal(channel_front_init(&front, shm, sizeof(shm), &geo), 0);
    assert_int_equal(channel_back_attach(&back, shm, sizeof(shm)), 0);
    return 0;
}

/* Submits op with payload (or room, when payload is NULL) from the front. */
static uint32_t submit(enum channel_op op, uint64_t arg, const char *payload, uint32_t room,
                       bool *notify)
{
    uint32_t id;
    uint8_t *buf;

    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    uint32_t len = room;
    if (payload != NULL) {
        len = (uint32_t)strlen(payload);
        memcpy(buf, payload, len);
    }
    assert_int_equal(channel_front_submit(&front, id, op, arg, len, notify), 0);
    return id;
}

/* Places a raw request in the ring, as a hostile VMM would. */
static void forge_request(struct channel_desc d)
{
    struct channel_ring_shm *r = req_ring();
    uint32_t prod = atomic_load(&r->prod);

    r->desc[prod & (hdr()->req_entries - 1)] = d;
    atomic_store(&r->prod, prod + 1);
}

/* Places a raw response in the ring, as a hostile backend would. */
static void forge_response(struct channel_desc d)
{
    struct channel_ring_shm *r = resp_ring();
    uint32_t prod = atomic_load(&r->prod);

    r->desc[prod & (hdr()->resp_entries - 1)] = d;
    atomic_store(&r->prod, prod + 1);
}

static void layout_rules(void **state)
{
    struct channel_shm_header h;
    struct channel_geometry g = geo;

    assert_int_equal(channel_layout(&g, &h), 0);
    assert_int_equal(h.req_ring, 64);
    assert_int_equal(h.resp_ring, 64 + 128 + 8 * 32);
    assert_int_equal(h.data, 4096);
    assert_int_equal(h.total_size, 4096 + SLOTS * SLOT_SIZE);
    assert_int_equal(channel_shm_size(&g), 4096 + SLOTS * SLOT_SIZE);

    g.req_entries = 12; /* not a power of two */
    assert_int_equal(channel_layout(&g, &h), -STDVMM_EINVAL);
    g = geo;
    g.resp_entries = 4; /* fewer than the slots */
    assert_int_equal(channel_shm_size(&g), 0);
    g = geo;
    g.slot_size = 100;
    assert_int_equal(channel_layout(&g, &h), -STDVMM_EINVAL);
    g = geo;
    g.slot_count = 0;
    assert_int_equal(channel_layout(&g, &h), -STDVMM_EINVAL);
    g = (struct channel_geometry){.req_entries = 1024,
                                  .resp_entries = 1024,
                                  .slot_size = 1u << 23,
                                  .slot_count = 1024}; /* 8 GiB */
    assert_int_equal(channel_layout(&g, &h), -STDVMM_EINVAL);
    g = (struct channel_geometry){
        .req_entries = 8192, .resp_entries = 8, .slot_size = 64, .slot_count = 1};
    assert_int_equal(channel_layout(&g, &h), -STDVMM_EINVAL);

    assert_int_equal(channel_front_init(&front, shm, 4096, &geo), -STDVMM_EINVAL); /* small */
    assert_int_equal(channel_front_init(&front, shm + 4, sizeof(shm) - 4, &geo), -STDVMM_EINVAL);
    assert_string_equal(channel_op_name(CHANNEL_OP_BLK_FLUSH), "blk-flush");
    assert_string_equal(channel_op_name(0), "unknown");
    assert_string_equal(channel_op_name(77), "unknown");
}

static void round_trip_with_doorbells(void **state)
{
    struct channel_request r;
    struct channel_completion c;
    bool notify;

    assert_int_equal(channel_back_pop(&back, &r), 0);
    uint32_t tx = submit(CHANNEL_OP_NET_TX, 0, "frame-bytes", 0, &notify);
    assert_true(notify); /* the backend had taken everything: it may sleep */
    uint32_t rd = submit(CHANNEL_OP_BLK_READ, 42, NULL, SLOT_SIZE, &notify);
    assert_false(notify); /* it has not yet taken the first: it is awake */

    assert_int_equal(channel_back_pop(&back, &r), 1);
    assert_int_equal(r.id, tx);
    assert_int_equal(r.op, CHANNEL_OP_NET_TX);
    assert_int_equal(r.len, 11);
    assert_memory_equal(r.data, "frame-bytes", 11);
    assert_int_equal(channel_back_respond(&back, r.id, CHANNEL_S_OK, 0, &notify), 0);
    assert_true(notify);

    assert_int_equal(channel_back_pop(&back, &r), 1);
    assert_int_equal(r.id, rd);
    assert_int_equal(r.op, CHANNEL_OP_BLK_READ);
    assert_int_equal(r.arg, 42);
    memset(r.data, 'd', r.len);
    assert_int_equal(channel_back_respond(&back, r.id, CHANNEL_S_OK, SLOT_SIZE, &notify), 0);
    assert_false(notify); /* the VMM has not polled the first answer yet */
    assert_int_equal(channel_back_pop(&back, &r), 0);
    /* Answering twice is the backend's own bug, refused locally. */
    assert_int_equal(channel_back_respond(&back, rd, CHANNEL_S_OK, SLOT_SIZE, &notify),
                     -STDVMM_EINVAL);

    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.id, tx);
    assert_int_equal(c.op, CHANNEL_OP_NET_TX);
    assert_int_equal(c.len, 0);
    channel_front_put(&front, c.id);
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.id, rd);
    assert_int_equal(c.status, CHANNEL_S_OK);
    assert_int_equal(c.len, SLOT_SIZE);
    assert_int_equal(c.data[0], 'd');
    assert_int_equal(c.data[SLOT_SIZE - 1], 'd');
    channel_front_put(&front, c.id);
    assert_int_equal(channel_front_poll(&front, &c), 0);
}

/* NET_RX: the VMM posts empty buffers, the backend answers with frames. */
static void rx_buffers_and_cancel(void **state)
{
    struct channel_request r[2];
    struct channel_completion c;
    bool notify;

    submit(CHANNEL_OP_NET_RX, 0, NULL, SLOT_SIZE, &notify);
    submit(CHANNEL_OP_NET_RX, 0, NULL, SLOT_SIZE, &notify);
    assert_int_equal(channel_back_pop(&back, &r[0]), 1);
    assert_int_equal(channel_back_pop(&back, &r[1]), 1);
    memcpy(r[1].data, "hello", 5);
    assert_int_equal(channel_back_respond(&back, r[1].id, CHANNEL_S_OK, 5, &notify), 0);
    assert_int_equal(channel_back_respond(&back, r[0].id, CHANNEL_S_CANCELLED, 999, &notify), 0);
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.len, 5);
    assert_memory_equal(c.data, "hello", 5);
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.status, CHANNEL_S_CANCELLED);
    assert_int_equal(c.len, 0); /* a failed answer carries nothing, whatever it says */
}

static void full_and_empty(void **state)
{
    struct channel_request r;
    struct channel_completion c;
    uint32_t id;
    uint8_t *buf;
    bool notify;

    for (int i = 0; i < SLOTS; i++)
        submit(CHANNEL_OP_BLK_FLUSH, 0, NULL, 0, &notify);
    assert_int_equal(channel_front_get(&front, &id, &buf), -STDVMM_ENOSPC);
    for (int i = 0; i < SLOTS; i++) {
        assert_int_equal(channel_back_pop(&back, &r), 1);
        assert_int_equal(channel_back_respond(&back, r.id, CHANNEL_S_OK, 0, &notify), 0);
    }
    assert_int_equal(channel_back_pop(&back, &r), 0);
    assert_int_equal(channel_front_get(&front, &id, &buf), -STDVMM_ENOSPC); /* not yet put */
    for (int i = 0; i < SLOTS; i++) {
        assert_int_equal(channel_front_poll(&front, &c), 1);
        channel_front_put(&front, c.id);
    }
    assert_int_equal(channel_front_poll(&front, &c), 0);
    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    /* A slot got but not used goes back too. */
    channel_front_put(&front, id);
    assert_int_equal(front.free_count, SLOTS);
}

/* The ring alone: full at `entries`, empty at 0, across the 2^32 wrap. */
static void ring_full_empty_wrap(void **state)
{
    static _Alignas(64)
        uint8_t mem[sizeof(struct channel_ring_shm) + 4 * sizeof(struct channel_desc)];
    struct channel_ring_shm *s = (struct channel_ring_shm *)mem;
    struct channel_ring prod, cons;
    struct channel_desc d = {0}, out;
    bool was_empty;

    atomic_init(&s->prod, 0xfffffffeu);
    atomic_init(&s->cons, 0xfffffffeu);
    channel_ring_open(&prod, s, 4, 0xfffffffeu);
    channel_ring_open(&cons, s, 4, 0xfffffffeu);
    assert_int_equal(channel_ring_pop(&cons, &out), 0);
    for (uint32_t i = 0; i < 4; i++) {
        d.id = i;
        assert_int_equal(channel_ring_push(&prod, &d, &was_empty), 0);
        assert_int_equal(was_empty, i == 0);
    }
    assert_int_equal(prod.index, 2); /* wrapped */
    assert_int_equal(channel_ring_push(&prod, &d, &was_empty), -STDVMM_EAGAIN);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(channel_ring_pop(&cons, &out), 1);
        assert_int_equal(out.id, i);
    }
    assert_int_equal(channel_ring_pop(&cons, &out), 0);
    assert_int_equal(channel_ring_push(&prod, &d, &was_empty), 0);
    assert_true(was_empty);
}

/* Thousands of requests through the channel: its indices cross 2^32 early. */
static void channel_wraps(void **state)
{
    struct channel_request r;
    struct channel_completion c;
    bool notify;

    for (uint32_t i = 0; i < 3000; i++) {
        char payload[16];
        payload[0] = (char)('a' + i % 26);
        payload[1] = 0;
        submit(CHANNEL_OP_NET_TX, i, payload, 0, &notify);
        assert_int_equal(channel_back_pop(&back, &r), 1);
        assert_int_equal(r.arg, i);
        assert_int_equal(r.data[0], payload[0]);
        assert_int_equal(channel_back_respond(&back, r.id, CHANNEL_S_OK, 0, &notify), 0);
        assert_int_equal(channel_front_poll(&front, &c), 1);
        channel_front_put(&front, c.id);
    }
    assert_true(front.req.index < 3000); /* started at 2^32 - 256 */
    assert_int_equal(back.req.index, front.req.index);
}

static void hostile_producer_index(void **state)
{
    struct channel_request r;

    /* The VMM claims nine requests in a ring of eight. */
    atomic_store(&req_ring()->prod, back.req.index + 9);
    assert_int_equal(channel_back_pop(&back, &r), -STDVMM_EPROTO);
    /* Broken for good, even if the index is put back. */
    atomic_store(&req_ring()->prod, back.req.index);
    assert_int_equal(channel_back_pop(&back, &r), -STDVMM_EPROTO);
    bool notify;
    assert_int_equal(channel_back_respond(&back, 0, CHANNEL_S_OK, 0, &notify), -STDVMM_EPROTO);

    /* And an index behind the consumer's is as impossible. */
    setup(state);
    atomic_store(&req_ring()->prod, back.req.index - 1);
    assert_int_equal(channel_back_pop(&back, &r), -STDVMM_EPROTO);
}

static void hostile_consumer_index(void **state)
{
    struct channel_completion c;
    struct channel_request r;
    bool notify;

    /* The backend claims to have taken a request never made. */
    atomic_store(&req_ring()->cons, front.req.index + 1);
    uint32_t id;
    uint8_t *buf;
    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    assert_int_equal(channel_front_submit(&front, id, CHANNEL_OP_BLK_FLUSH, 0, 0, &notify),
                     -STDVMM_EPROTO);
    assert_int_equal(channel_front_poll(&front, &c), -STDVMM_EPROTO);

    /* The VMM claims to have read answers never given. */
    setup(state);
    submit(CHANNEL_OP_BLK_FLUSH, 0, NULL, 0, &notify);
    assert_int_equal(channel_back_pop(&back, &r), 1);
    atomic_store(&resp_ring()->cons, back.resp.index + 100);
    assert_int_equal(channel_back_respond(&back, r.id, CHANNEL_S_OK, 0, &notify), -STDVMM_EPROTO);
}

static void hostile_response_index(void **state)
{
    struct channel_completion c;

    atomic_store(&resp_ring()->prod, front.resp.index + 17);
    assert_int_equal(channel_front_poll(&front, &c), -STDVMM_EPROTO);
}

static void expect_bad_request(struct channel_desc d)
{
    struct channel_request r;

    setup(NULL);
    forge_request(d);
    assert_int_equal(channel_back_pop(&back, &r), -STDVMM_EPROTO);
}

static void hostile_offsets_and_lengths(void **state)
{
    uint32_t data_size = SLOTS * SLOT_SIZE;
    struct channel_request r;

    /* The last byte of the data region is fine... */
    forge_request(
        (struct channel_desc){.id = 1, .op = CHANNEL_OP_NET_TX, .offset = data_size - 1, .len = 1});
    assert_int_equal(channel_back_pop(&back, &r), 1);
    assert_ptr_equal(r.data, shm + 4096 + data_size - 1);
    /* ...one past it is not, nor anything that wraps 32 bits. */
    expect_bad_request(
        (struct channel_desc){.id = 1, .op = CHANNEL_OP_NET_TX, .offset = data_size - 1, .len = 2});
    expect_bad_request(
        (struct channel_desc){.id = 1, .op = CHANNEL_OP_NET_TX, .offset = data_size + 1, .len = 0});
    expect_bad_request((struct channel_desc){
        .id = 1, .op = CHANNEL_OP_NET_TX, .offset = 0xffffff00u, .len = 0x200});
    expect_bad_request(
        (struct channel_desc){.id = 1, .op = CHANNEL_OP_NET_TX, .offset = 16, .len = 0xfffffff8u});
    /* Unknown ops and ids. */
    expect_bad_request((struct channel_desc){.id = 1, .op = 0});
    expect_bad_request((struct channel_desc){.id = 1, .op = CHANNEL_OP_MAX + 1});
    expect_bad_request((struct channel_desc){.id = SLOTS, .op = CHANNEL_OP_BLK_FLUSH});
    expect_bad_request((struct channel_desc){.id = 0xffffffffu, .op = CHANNEL_OP_BLK_FLUSH});
    /* The same id twice while the first is in flight. */
    setup(NULL);
    forge_request((struct channel_desc){.id = 3, .op = CHANNEL_OP_BLK_FLUSH});
    forge_request((struct channel_desc){.id = 3, .op = CHANNEL_OP_BLK_FLUSH});
    assert_int_equal(channel_back_pop(&back, &r), 1);
    assert_int_equal(channel_back_pop(&back, &r), -STDVMM_EPROTO);
}

/* The descriptor is copied once: rewriting it after the pop changes nothing. */
static void request_copied_once(void **state)
{
    struct channel_request r;
    bool notify;

    submit(CHANNEL_OP_NET_TX, 0, "abc", 0, &notify);
    struct channel_desc *shared = &req_ring()->desc[back.req.index & 7];
    assert_int_equal(channel_back_pop(&back, &r), 1);
    shared->len = 0xffffffffu;
    shared->offset = 0xffffff00u;
    assert_int_equal(r.len, 3);
    assert_ptr_equal(r.data, shm + 4096);
}

static void expect_bad_answer(struct channel_desc d)
{
    struct channel_completion c;

    assert_int_equal(channel_front_poll(&front, &c), 0);
    forge_response(d);
    assert_int_equal(channel_front_poll(&front, &c), -STDVMM_EPROTO);
}

static void hostile_answers(void **state)
{
    struct channel_completion c;
    bool notify;

    /* An id never submitted. */
    expect_bad_answer((struct channel_desc){.id = 2, .status = CHANNEL_S_OK});
    setup(NULL);
    expect_bad_answer((struct channel_desc){.id = 0xffffffffu});
    /* More bytes than the buffer offered. */
    setup(NULL);
    uint32_t rx = submit(CHANNEL_OP_NET_RX, 0, NULL, 128, &notify);
    expect_bad_answer((struct channel_desc){.id = rx, .status = CHANNEL_S_OK, .len = 129});
    /* A short read. */
    setup(NULL);
    uint32_t rd = submit(CHANNEL_OP_BLK_READ, 0, NULL, SLOT_SIZE, &notify);
    expect_bad_answer((struct channel_desc){.id = rd, .status = CHANNEL_S_OK, .len = 255});
    /* An unknown status. */
    setup(NULL);
    rd = submit(CHANNEL_OP_BLK_READ, 0, NULL, SLOT_SIZE, &notify);
    expect_bad_answer((struct channel_desc){.id = rd, .status = 9});
    /* Answering twice. */
    setup(NULL);
    uint32_t fl = submit(CHANNEL_OP_BLK_FLUSH, 0, NULL, 0, &notify);
    forge_response((struct channel_desc){.id = fl, .status = CHANNEL_S_OK});
    assert_int_equal(channel_front_poll(&front, &c), 1);
    expect_bad_answer((struct channel_desc){.id = fl, .status = CHANNEL_S_OK});
    /* Ignored lengths: a write's answer carries no data, whatever len says. */
    setup(NULL);
    uint32_t wr = submit(CHANNEL_OP_BLK_WRITE, 0, "x", 0, &notify);
    forge_response((struct channel_desc){.id = wr, .status = CHANNEL_S_OK, .len = 99999});
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.len, 0);
    /* A slot the backend still holds is not freed by a confused caller. */
    uint32_t held = submit(CHANNEL_OP_NET_RX, 0, NULL, 64, &notify);
    uint32_t before = front.free_count;
    channel_front_put(&front, held);
    assert_int_equal(front.free_count, before);
}

static void front_refuses_own_mistakes(void **state)
{
    uint32_t id;
    uint8_t *buf;
    bool notify;

    assert_int_equal(channel_front_submit(&front, 0, CHANNEL_OP_NET_TX, 0, 1, &notify),
                     -STDVMM_EINVAL); /* not got */
    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    assert_int_equal(channel_front_submit(&front, id, CHANNEL_OP_NET_TX, 0, SLOT_SIZE + 1, &notify),
                     -STDVMM_EINVAL);
    assert_int_equal(channel_front_submit(&front, id, (enum channel_op)0, 0, 1, &notify),
                     -STDVMM_EINVAL);
    assert_int_equal(channel_front_submit(&front, SLOTS, CHANNEL_OP_NET_TX, 0, 1, &notify),
                     -STDVMM_EINVAL);
    assert_int_equal(channel_front_submit(&front, id, CHANNEL_OP_NET_TX, 0, SLOT_SIZE, &notify), 0);
}

static void attach_checks_header(void **state)
{
    struct channel_back b;

    hdr()->version = CHANNEL_VERSION + 1;
    assert_int_equal(channel_back_attach(&b, shm, sizeof(shm)), -STDVMM_EPROTO);
    assert_true(b.broken);
    struct channel_request r;
    assert_int_equal(channel_back_pop(&b, &r), -STDVMM_EPROTO);

    setup(state);
    hdr()->magic ^= 1;
    assert_int_equal(channel_back_attach(&b, shm, sizeof(shm)), -STDVMM_EPROTO);

    setup(state);
    hdr()->data -= 64; /* the data region over the response ring */
    assert_int_equal(channel_back_attach(&b, shm, sizeof(shm)), -STDVMM_EPROTO);

    setup(state);
    hdr()->slot_count = 1000; /* and a data region beyond the mapping */
    assert_int_equal(channel_back_attach(&b, shm, sizeof(shm)), -STDVMM_EPROTO);

    setup(state);
    assert_int_equal(channel_back_attach(&b, shm, 4096), -STDVMM_EPROTO); /* mapping too small */
    assert_int_equal(channel_back_attach(&b, shm, 16), -STDVMM_EINVAL);
    assert_int_equal(channel_back_attach(&b, shm + 1, 4096), -STDVMM_EINVAL);

    setup(state);
    atomic_store(&resp_ring()->cons, atomic_load(&resp_ring()->prod) + 1);
    assert_int_equal(channel_back_attach(&b, shm, sizeof(shm)), -STDVMM_EPROTO);

    /* A header rewritten after attach changes nothing for either end. */
    setup(state);
    memset(shm, 0xff, sizeof(struct channel_shm_header));
    bool notify;
    uint32_t id = submit(CHANNEL_OP_BLK_FLUSH, 0, NULL, 0, &notify);
    assert_int_equal(channel_back_pop(&back, &r), 1);
    assert_int_equal(r.id, id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_rules),
        cmocka_unit_test_setup(round_trip_with_doorbells, setup),
        cmocka_unit_test_setup(rx_buffers_and_cancel, setup),
        cmocka_unit_test_setup(full_and_empty, setup),
        cmocka_unit_test(ring_full_empty_wrap),
        cmocka_unit_test_setup(channel_wraps, setup),
        cmocka_unit_test_setup(hostile_producer_index, setup),
        cmocka_unit_test_setup(hostile_consumer_index, setup),
        cmocka_unit_test_setup(hostile_response_index, setup),
        cmocka_unit_test_setup(hostile_offsets_and_lengths, setup),
        cmocka_unit_test_setup(request_copied_once, setup),
        cmocka_unit_test_setup(hostile_answers, setup),
        cmocka_unit_test_setup(front_refuses_own_mistakes, setup),
        cmocka_unit_test_setup(attach_checks_header, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
