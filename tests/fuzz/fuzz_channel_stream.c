/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the channel's stream form as the end that maps the
 * channel sees a hostile peer's bytes (a program in a driver VM), cut
 * anywhere:
 *  - the parser alone (channel_stream.h): the owner's callbacks check what
 *    it promises: payload in order without gaps, never more than the header
 *    announced or the limit allows, a whole message before the next, and a
 *    broken stream stays broken;
 *  - the relay (channel_relay.h) between a real VMM end and the peer: the
 *    VM's requests are in flight, the peer's bytes are its answers, and
 *    whatever they say, the VMM end only ever sees answers that pass its own
 *    checks (channel_front_poll never reports a protocol error), and after
 *    a disconnect nothing is left unanswered.
 *
 * Input layout: [0] bit 0: parse requests (1) or responses (0), bit 1: the
 * relay, bit 2: a read-only region, bit 3: a NIC's relay (frames to send,
 * some spoofed, and room to receive); [1] the payload limit / 16 (parser) or the requests to put in
 * flight (relay); [2..] chunks: one length byte, then that many bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/channel_front.h"
#include "stdvmm/channel_relay.h"
#include "stdvmm/channel_stream.h"

struct owner {
    uint32_t max;
    bool in_msg;
    uint32_t expect, got;
};

static int header(void *ctx, const struct channel_stream_msg *m)
{
    struct owner *o = ctx;
    if (o->in_msg)
        abort(); /* a header inside a message */
    o->in_msg = true;
    o->got = 0;
    o->expect = m->len;
    return m->id % 7 == 3 ? -1 : 0; /* the owner refuses some: the parser must stop */
}

static void payload(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                    const uint8_t *data, size_t n)
{
    struct owner *o = ctx;
    (void)data;
    if (!o->in_msg || offset != o->got || n == 0 || o->got + n > o->expect || o->got + n > o->max ||
        m->len != o->expect)
        abort();
    o->got += (uint32_t)n;
}

static void done(void *ctx, const struct channel_stream_msg *m)
{
    struct owner *o = ctx;
    (void)m;
    if (!o->in_msg || (o->got != 0 && o->got != o->expect))
        abort();
    o->in_msg = false;
}

static void parser_case(const uint8_t *data, size_t size)
{
    bool requests = data[0] & 1;
    struct owner o = {.max = (uint32_t)data[1] * 16};
    const struct channel_stream_ops ops = {header, payload, done, &o};
    struct channel_stream_parser p;
    channel_stream_parser_init(&p, requests ? CHANNEL_STREAM_REQ_MAGIC : CHANNEL_STREAM_RSP_MAGIC,
                               o.max, &ops);
    bool broken = false;
    for (size_t at = 2; at < size;) {
        size_t n = data[at++];
        n = n > size - at ? size - at : n;
        int r = channel_stream_feed(&p, data + at, n);
        if (broken && r == 0)
            abort(); /* a broken stream stays broken */
        broken = r < 0;
        at += n;
    }
}

/* ---- the relay ---------------------------------------------------------- */

#define SLOT_SIZE 1024
static const struct channel_geometry geo = {
    .req_entries = 8, .resp_entries = 8, .slot_size = SLOT_SIZE, .slot_count = 8};
static _Alignas(4096) uint8_t shm[4 * 4096];

static size_t room(void *ctx)
{
    (void)ctx;
    return 4096;
}

static void send(void *ctx, const uint8_t *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    (void)n;
}

static void notify(void *ctx)
{
    (void)ctx;
}

/* Takes every answer the VMM end has; aborts on a protocol error. */
static unsigned drain(struct channel_front *f)
{
    struct channel_completion c;
    unsigned n = 0;
    int r;
    while ((r = channel_front_poll(f, &c)) > 0) {
        channel_front_put(f, c.id);
        n++;
    }
    if (r < 0)
        abort(); /* the relay let an answer through that the VMM end refuses */
    return n;
}

static void relay_case(const uint8_t *data, size_t size)
{
    static struct channel_front front;
    static struct channel_relay relay;
    const struct blk_region region = {1u << 20, 64u << 10, data[0] & 4};
    const struct channel_relay_ops ops = {room, send, notify, NULL};

    memset(shm, 0, sizeof(shm));
    if (channel_front_init(&front, shm, sizeof(shm), &geo) < 0)
        abort();
    static const uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};
    bool net = data[0] & 8;
    if (net)
        channel_relay_init_net(&relay, "vm", shm, sizeof(shm), mac, &ops);
    else
        channel_relay_init(&relay, "vm", shm, sizeof(shm), &region, "serial", &ops);
    channel_relay_connect(&relay);
    /* Requests in flight: reads, writes, flushes, ids, inside and outside the region. */
    unsigned want = data[1] % 9, sent = 0;
    for (unsigned i = 0; i < want; i++) {
        static const enum channel_op ops_cycle[] = {CHANNEL_OP_BLK_READ, CHANNEL_OP_BLK_WRITE,
                                                    CHANNEL_OP_BLK_FLUSH, CHANNEL_OP_BLK_GET_ID};
        uint32_t id;
        uint8_t *buf;
        bool n;
        if (channel_front_get(&front, &id, &buf) < 0)
            break;
        enum channel_op op = ops_cycle[(data[1] / 9 + i) % 4];
        uint32_t len = op == CHANNEL_OP_BLK_FLUSH ? 0 : 512u * (1 + i % 2);
        if (net) {
            /* Frames from its own MAC or another, runts, room of several sizes. */
            op = (data[1] / 9 + i) % 2 ? CHANNEL_OP_NET_RX : CHANNEL_OP_NET_TX;
            len = (i * 37u) % SLOT_SIZE;
            memcpy(buf + 6, mac, sizeof(mac));
            buf[11] ^= (uint8_t)(i & 1);
        }
        if (channel_front_submit(&front, id, op, i * 40u, len, &n) < 0)
            abort();
        sent++;
    }
    channel_relay_ring(&relay);
    channel_relay_pump(&relay);
    unsigned answered = drain(&front);
    for (size_t at = 2; at < size;) {
        size_t n = data[at++];
        n = n > size - at ? size - at : n;
        if (channel_relay_input(&relay, data + at, n) < 0) {
            channel_relay_disconnect(&relay);
            break;
        }
        answered += drain(&front);
        at += n;
    }
    channel_relay_disconnect(&relay);
    answered += drain(&front);
    if (answered != sent)
        abort(); /* a request of the VM's left unanswered after the peer went */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] & 2)
        relay_case(data, size);
    else
        parser_case(data, size);
    return 0;
}
