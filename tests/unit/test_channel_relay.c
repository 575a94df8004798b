/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A disk's and a NIC's channel relayed to a stream (channel_relay.h), between a real VMM
 * end (channel_front) and a peer played here: what the peer gets (the
 * region applied, payloads whole), what it may answer, and what a hostile
 * peer's answers do (the stream is refused, the VM's requests fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/channel_front.h"
#include "stdvmm/channel_relay.h"
#include "stdvmm/error.h"

#define SLOT_SIZE 4096
static const struct channel_geometry geo = {
    .req_entries = 8, .resp_entries = 8, .slot_size = SLOT_SIZE, .slot_count = 8};

static _Alignas(4096) uint8_t shm[12 * 4096];
static struct channel_front front;
static struct channel_relay relay;
static uint8_t wire[3 * SLOT_SIZE]; /* what the relay sent the peer */
static size_t wire_len, room = sizeof(wire);
static unsigned notifies;

static size_t ops_room(void *ctx)
{
    (void)ctx;
    return room < sizeof(wire) - wire_len ? room : sizeof(wire) - wire_len;
}

static void ops_send(void *ctx, const uint8_t *buf, size_t n)
{
    (void)ctx;
    assert_true(n <= ops_room(NULL));
    memcpy(wire + wire_len, buf, n);
    wire_len += n;
}

static void ops_notify(void *ctx)
{
    (void)ctx;
    notifies++;
}

/* The VM's region: 64 KiB at 1 MiB of the driver VM's disk. */
static int setup_ro(bool read_only)
{
    const struct blk_region region = {1u << 20, 64u << 10, read_only};
    const struct channel_relay_ops ops = {ops_room, ops_send, ops_notify, NULL};
    memset(shm, 0, sizeof(shm));
    wire_len = 0;
    room = sizeof(wire);
    notifies = 0;
    assert_int_equal(channel_front_init(&front, shm, sizeof(shm), &geo), 0);
    channel_relay_init(&relay, "alpha", shm, sizeof(shm), &region, "alpha-data", &ops);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return setup_ro(false);
}

static int setup_read_only(void **state)
{
    (void)state;
    return setup_ro(true);
}

static const uint8_t vm_mac[6] = {0x52, 0x54, 0, 0, 0, 0x10};

static int setup_net(void **state)
{
    (void)state;
    const struct channel_relay_ops ops = {ops_room, ops_send, ops_notify, NULL};
    setup_ro(false);
    channel_relay_init_net(&relay, "alpha", shm, sizeof(shm), vm_mac, &ops);
    return 0;
}

static uint32_t submit(enum channel_op op, uint64_t sector, uint32_t len, uint8_t fill)
{
    uint32_t id;
    uint8_t *buf;
    bool notify;
    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    memset(buf, fill, len);
    assert_int_equal(channel_front_submit(&front, id, op, sector, len, &notify), 0);
    channel_relay_ring(&relay); /* the VMM rings after a submit (the doorbell) */
    return id;
}

static struct channel_stream_msg wire_msg(size_t at)
{
    const uint8_t *p = wire + at;
    struct channel_stream_msg m;
    m.magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    m.id = (uint32_t)p[4] | (uint32_t)p[5] << 8;
    m.code = p[8];
    m.len = (uint32_t)p[12] | (uint32_t)p[13] << 8 | (uint32_t)p[14] << 16;
    m.arg = (uint64_t)p[16] | (uint64_t)p[17] << 8 | (uint64_t)p[18] << 16;
    return m;
}

/* The peer answers id with status and len bytes of fill. */
static int peer_answer(uint32_t id, enum channel_status st, uint32_t len, uint8_t fill)
{
    uint8_t msg[CHANNEL_STREAM_HDR_SIZE + SLOT_SIZE];
    const struct channel_stream_msg m = {CHANNEL_STREAM_RSP_MAGIC, id, st, len, 0};
    channel_stream_put(msg, &m);
    memset(msg + CHANNEL_STREAM_HDR_SIZE, fill, len);
    return channel_relay_input(&relay, msg, CHANNEL_STREAM_HDR_SIZE + len);
}

static void expect_completion(uint32_t id, enum channel_status st, uint32_t len, int fill)
{
    struct channel_completion c;
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.id, id);
    assert_int_equal(c.status, st);
    assert_int_equal(c.len, len);
    for (uint32_t i = 0; fill >= 0 && i < len; i++)
        assert_int_equal(c.data[i], fill);
    channel_front_put(&front, id);
}

/* A write reaches the peer with the region applied and its payload; its answer reaches the VM. */
static void write_then_read(void **state)
{
    (void)state;
    uint32_t w = submit(CHANNEL_OP_BLK_WRITE, 2, 1024, 0x5a);
    channel_relay_pump(&relay); /* attaches; no peer yet: nothing sent */
    assert_int_equal(wire_len, 0);
    channel_relay_connect(&relay);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, CHANNEL_STREAM_HDR_SIZE + 1024);
    struct channel_stream_msg m = wire_msg(0);
    assert_int_equal(m.magic, CHANNEL_STREAM_REQ_MAGIC);
    assert_int_equal(m.code, CHANNEL_OP_BLK_WRITE);
    assert_int_equal(m.arg, (1u << 20) / 512 + 2); /* the VM's sector 2 on the driver's disk */
    assert_int_equal(wire[CHANNEL_STREAM_HDR_SIZE + 1023], 0x5a);
    assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, 0, 0), 0);
    assert_true(notifies > 0);
    expect_completion(w, CHANNEL_S_OK, 0, -1);

    wire_len = 0;
    uint32_t r = submit(CHANNEL_OP_BLK_READ, 0, 512, 0);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, CHANNEL_STREAM_HDR_SIZE); /* room asked for, no payload */
    m = wire_msg(0);
    assert_int_equal(m.len, 512);
    assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, 512, 0xc3), 0);
    expect_completion(r, CHANNEL_S_OK, 512, 0xc3);
}

/* A message larger than the stream's room goes out in pieces, in order. */
static void little_room(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    submit(CHANNEL_OP_BLK_WRITE, 0, 4096, 0x11);
    room = 1000;
    for (int i = 0; i < 10 && wire_len < CHANNEL_STREAM_HDR_SIZE + 4096; i++)
        channel_relay_pump(&relay);
    assert_int_equal(wire_len, CHANNEL_STREAM_HDR_SIZE + 4096);
    assert_int_equal(wire[CHANNEL_STREAM_HDR_SIZE + 4095], 0x11);
}

/* Outside its region, GET_ID, a flush: answered without the peer where the relay can. */
static void answered_here(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    uint32_t past = submit(CHANNEL_OP_BLK_READ, 128, 512, 0); /* 64 KiB = sectors 0..127 */
    uint32_t id = submit(CHANNEL_OP_BLK_GET_ID, 0, 20, 0);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, 0);
    expect_completion(past, CHANNEL_S_IOERR, 0, -1);
    struct channel_completion c;
    assert_int_equal(channel_front_poll(&front, &c), 1);
    assert_int_equal(c.id, id);
    assert_int_equal(c.len, 10);
    assert_memory_equal(c.data, "alpha-data", 10);
    assert_int_equal(relay.refused, 1);
}

static void read_only_region(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    uint32_t w = submit(CHANNEL_OP_BLK_WRITE, 0, 512, 1);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, 0);
    expect_completion(w, CHANNEL_S_IOERR, 0, -1);
}

/* Hostile answers break the stream; the VM's requests in flight then fail, none hangs. */
static void hostile_peer(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    uint32_t r = submit(CHANNEL_OP_BLK_READ, 0, 1024, 0);
    uint32_t w = submit(CHANNEL_OP_BLK_WRITE, 2, 512, 7);
    channel_relay_pump(&relay);
    struct channel_stream_msg rm = wire_msg(0);
    /* A short read, data on a write, an id not in flight, an unknown status: each refused. */
    assert_int_equal(peer_answer(rm.id, CHANNEL_S_OK, 512, 0), -STDVMM_EPROTO);
    channel_relay_disconnect(&relay);
    struct channel_completion c1, c2;
    assert_int_equal(channel_front_poll(&front, &c1), 1);
    assert_int_equal(channel_front_poll(&front, &c2), 1);
    assert_int_equal(c1.status, CHANNEL_S_IOERR);
    assert_int_equal(c2.status, CHANNEL_S_IOERR);
    assert_true((c1.id == r && c2.id == w) || (c1.id == w && c2.id == r));
    channel_front_put(&front, c1.id);
    channel_front_put(&front, c2.id);

    const struct {
        uint32_t id;
        enum channel_status st;
        uint32_t len;
    } bad[] = {
        {0, CHANNEL_S_OK, 512},         /* data on a write */
        {5, CHANNEL_S_OK, 0},           /* not in flight */
        {0, (enum channel_status)9, 0}, /* unknown status */
        {200, CHANNEL_S_OK, 0},         /* no such slot */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wire_len = 0;
        channel_relay_connect(&relay);
        uint32_t id = submit(CHANNEL_OP_BLK_WRITE, 0, 512, 3);
        channel_relay_pump(&relay);
        struct channel_stream_msg m = wire_msg(0);
        uint32_t answer_id = bad[i].id == 0 ? m.id : bad[i].id;
        assert_int_equal(peer_answer(answer_id, bad[i].st, bad[i].len, 0), -STDVMM_EPROTO);
        channel_relay_disconnect(&relay);
        expect_completion(id, CHANNEL_S_IOERR, 0, -1);
    }
    /* Input without a connection is refused too. */
    assert_int_equal(peer_answer(0, CHANNEL_S_OK, 0, 0), -STDVMM_EPROTO);
}

/* A detached VM's requests are forgotten: a late answer to them is refused. */
static void detach_forgets(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    submit(CHANNEL_OP_BLK_WRITE, 0, 512, 3);
    channel_relay_pump(&relay);
    struct channel_stream_msg m = wire_msg(0);
    channel_relay_detach(&relay);
    memset(shm, 0, sizeof(shm)); /* the admin zeroes the channel */
    assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, 0, 0), -STDVMM_EPROTO);
    /* The VM's next run formats a fresh channel: attached again, served again. */
    assert_int_equal(channel_front_init(&front, shm, sizeof(shm), &geo), 0);
    channel_relay_connect(&relay);
    wire_len = 0;
    uint32_t id = submit(CHANNEL_OP_BLK_FLUSH, 0, 0, 0);
    channel_relay_pump(&relay);
    m = wire_msg(0);
    assert_int_equal(m.code, CHANNEL_OP_BLK_FLUSH);
    assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, 0, 0), 0);
    expect_completion(id, CHANNEL_S_OK, 0, -1);
}

/* A frame the VM sends: from a source MAC, len bytes, in a slot. */
static uint32_t submit_frame(const uint8_t src[6], uint32_t len)
{
    uint32_t id;
    uint8_t *buf;
    bool notify;
    assert_int_equal(channel_front_get(&front, &id, &buf), 0);
    memset(buf, 0xee, len);
    memset(buf, 0xff, 6);
    memcpy(buf + 6, src, 6);
    assert_int_equal(channel_front_submit(&front, id, CHANNEL_OP_NET_TX, 0, len, &notify), 0);
    channel_relay_ring(&relay);
    return id;
}

/* A NIC: frames from the VM's own MAC go out whole, received frames come back whole. */
static void net_frames(void **state)
{
    (void)state;
    channel_relay_connect(&relay);
    uint32_t tx = submit_frame(vm_mac, 60);
    uint32_t rx = submit(CHANNEL_OP_NET_RX, 0, 1514, 0);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, 2 * CHANNEL_STREAM_HDR_SIZE + 60);
    struct channel_stream_msg m = wire_msg(0);
    assert_int_equal(m.code, CHANNEL_OP_NET_TX);
    assert_int_equal(m.len, 60);
    assert_memory_equal(wire + CHANNEL_STREAM_HDR_SIZE + 6, vm_mac, 6);
    struct channel_stream_msg r = wire_msg(CHANNEL_STREAM_HDR_SIZE + 60);
    assert_int_equal(r.code, CHANNEL_OP_NET_RX);
    assert_int_equal(r.len, 1514); /* the room offered, no payload */
    assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, 0, 0), 0);
    expect_completion(tx, CHANNEL_S_OK, 0, -1);
    assert_int_equal(peer_answer(r.id, CHANNEL_S_OK, 98, 0x42), 0);
    expect_completion(rx, CHANNEL_S_OK, 98, 0x42);
}

/* A spoofed or runt frame and a disk op are refused here; the peer sees none of them. */
static void net_refused(void **state)
{
    (void)state;
    static const uint8_t other[6] = {0x52, 0x54, 0, 0, 0, 0x11};
    channel_relay_connect(&relay);
    uint32_t spoof = submit_frame(other, 60);
    uint32_t runt = submit_frame(vm_mac, 13);
    uint32_t disk = submit(CHANNEL_OP_BLK_READ, 0, 512, 0);
    channel_relay_pump(&relay);
    assert_int_equal(wire_len, 0);
    expect_completion(spoof, CHANNEL_S_IOERR, 0, -1);
    expect_completion(runt, CHANNEL_S_IOERR, 0, -1);
    expect_completion(disk, CHANNEL_S_UNSUPP, 0, -1);
    assert_int_equal(relay.refused, 3);
}

/* A received frame larger than the room, shorter than a header, or data on a TX answer. */
static void net_hostile_peer(void **state)
{
    (void)state;
    const struct {
        enum channel_op op;
        uint32_t len;
    } bad[] = {{CHANNEL_OP_NET_RX, 1515}, {CHANNEL_OP_NET_RX, 13}, {CHANNEL_OP_NET_TX, 14}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wire_len = 0;
        channel_relay_connect(&relay);
        uint32_t id = bad[i].op == CHANNEL_OP_NET_TX ? submit_frame(vm_mac, 60)
                                                     : submit(CHANNEL_OP_NET_RX, 0, 1514, 0);
        channel_relay_pump(&relay);
        struct channel_stream_msg m = wire_msg(0);
        assert_int_equal(peer_answer(m.id, CHANNEL_S_OK, bad[i].len, 0), -STDVMM_EPROTO);
        channel_relay_disconnect(&relay);
        expect_completion(id, CHANNEL_S_IOERR, 0, -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(write_then_read, setup),
        cmocka_unit_test_setup(little_room, setup),
        cmocka_unit_test_setup(answered_here, setup),
        cmocka_unit_test_setup(read_only_region, setup_read_only),
        cmocka_unit_test_setup(hostile_peer, setup),
        cmocka_unit_test_setup(detach_forgets, setup),
        cmocka_unit_test_setup(net_frames, setup_net),
        cmocka_unit_test_setup(net_refused, setup_net),
        cmocka_unit_test_setup(net_hostile_peer, setup_net),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
