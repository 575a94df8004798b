/* SPDX-License-Identifier: BSD-2-Clause */
/* The channel's messages as a byte stream: encoding, parsing in any cut, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/channel.h"
#include "stdvmm/channel_stream.h"
#include "stdvmm/error.h"

struct seen {
    unsigned headers, dones;
    struct channel_stream_msg last;
    uint8_t payload[256];
    uint32_t payload_len;
    bool refuse;
};

static int on_header(void *ctx, const struct channel_stream_msg *m)
{
    struct seen *s = ctx;
    s->headers++;
    s->last = *m;
    s->payload_len = 0;
    return s->refuse ? -1 : 0;
}

static void on_payload(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                       const uint8_t *data, size_t n)
{
    struct seen *s = ctx;
    (void)m;
    assert_int_equal(offset, s->payload_len); /* in order, no gap */
    assert_true(offset + n <= sizeof(s->payload));
    memcpy(s->payload + offset, data, n);
    s->payload_len += (uint32_t)n;
}

static void on_done(void *ctx, const struct channel_stream_msg *m)
{
    struct seen *s = ctx;
    s->dones++;
    assert_int_equal(m->id, s->last.id);
}

static void init(struct channel_stream_parser *p, struct seen *s, uint32_t magic, uint32_t max)
{
    const struct channel_stream_ops ops = {on_header, on_payload, on_done, s};
    memset(s, 0, sizeof(*s));
    channel_stream_parser_init(p, magic, max, &ops);
}

/* A write request with 100 bytes, then a read request (room, no payload): fed whole and byte by byte. */
static void requests_in_any_cut(void **state)
{
    (void)state;
    uint8_t stream[2 * CHANNEL_STREAM_HDR_SIZE + 100];
    struct channel_stream_msg w = {CHANNEL_STREAM_REQ_MAGIC, 7, CHANNEL_OP_BLK_WRITE, 100,
                                   0x123456789aull};
    struct channel_stream_msg r = {CHANNEL_STREAM_REQ_MAGIC, 9, CHANNEL_OP_BLK_READ, 65536, 8};
    channel_stream_put(stream, &w);
    for (unsigned i = 0; i < 100; i++)
        stream[CHANNEL_STREAM_HDR_SIZE + i] = (uint8_t)(i * 3);
    channel_stream_put(stream + CHANNEL_STREAM_HDR_SIZE + 100, &r);
    /* Little-endian on the wire whatever the machine. */
    assert_int_equal(stream[0], 0x73);
    assert_int_equal(stream[16], 0x9a);
    assert_int_equal(stream[20], 0x12);

    for (size_t cut = 1; cut <= sizeof(stream); cut++) {
        struct channel_stream_parser p;
        struct seen s;
        init(&p, &s, CHANNEL_STREAM_REQ_MAGIC, 200);
        for (size_t at = 0; at < sizeof(stream); at += cut) {
            size_t n = sizeof(stream) - at < cut ? sizeof(stream) - at : cut;
            assert_int_equal(channel_stream_feed(&p, stream + at, n), 0);
            if (at + n <= CHANNEL_STREAM_HDR_SIZE + 100 && s.dones == 1) {
                assert_int_equal(s.payload_len, 100);
                assert_int_equal(s.payload[99], (uint8_t)(99 * 3));
            }
        }
        assert_int_equal(s.headers, 2);
        assert_int_equal(s.dones, 2);
        /* The read offers 64 KiB of room; nothing of it travels with the request. */
        assert_int_equal(s.last.id, 9);
        assert_int_equal(s.last.len, 65536);
        assert_int_equal(s.last.arg, 8);
        assert_int_equal(s.payload_len, 0);
    }
}

/* A response's payload is its answer, whatever the op was. */
static void response_with_answer(void **state)
{
    (void)state;
    uint8_t stream[CHANNEL_STREAM_HDR_SIZE + 20];
    struct channel_stream_msg m = {CHANNEL_STREAM_RSP_MAGIC, 3, CHANNEL_S_OK, 20, 0};
    struct channel_stream_parser p;
    struct seen s;
    channel_stream_put(stream, &m);
    memcpy(stream + CHANNEL_STREAM_HDR_SIZE, "serial-of-the-disk!!", 20);
    init(&p, &s, CHANNEL_STREAM_RSP_MAGIC, 64);
    assert_int_equal(channel_stream_feed(&p, stream, sizeof(stream)), 0);
    assert_int_equal(s.dones, 1);
    assert_int_equal(s.payload_len, 20);
    assert_memory_equal(s.payload, "serial-of-the-disk!!", 20);
}

/* Wrong magic, a payload over the limit, a refused header: broken for good. */
static void refusals(void **state)
{
    (void)state;
    uint8_t hdr[CHANNEL_STREAM_HDR_SIZE];
    struct channel_stream_parser p;
    struct seen s;

    struct channel_stream_msg m = {CHANNEL_STREAM_REQ_MAGIC, 1, CHANNEL_S_OK, 0, 0};
    channel_stream_put(hdr, &m);
    init(&p, &s, CHANNEL_STREAM_RSP_MAGIC, 64); /* a request where responses come */
    assert_int_equal(channel_stream_feed(&p, hdr, sizeof(hdr)), -STDVMM_EPROTO);
    assert_int_equal(s.headers, 0);

    m = (struct channel_stream_msg){CHANNEL_STREAM_RSP_MAGIC, 1, CHANNEL_S_OK, 65, 0};
    channel_stream_put(hdr, &m);
    init(&p, &s, CHANNEL_STREAM_RSP_MAGIC, 64);
    assert_int_equal(channel_stream_feed(&p, hdr, sizeof(hdr)), -STDVMM_EPROTO);
    assert_int_equal(s.headers, 0);

    m.len = 0;
    channel_stream_put(hdr, &m);
    init(&p, &s, CHANNEL_STREAM_RSP_MAGIC, 64);
    s.refuse = true;
    assert_int_equal(channel_stream_feed(&p, hdr, sizeof(hdr)), -STDVMM_EPROTO);
    assert_int_equal(s.dones, 0);
    /* Nothing more is taken, even a good message. */
    s.refuse = false;
    assert_int_equal(channel_stream_feed(&p, hdr, sizeof(hdr)), -STDVMM_EPROTO);
    assert_int_equal(s.headers, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_in_any_cut),
        cmocka_unit_test(response_with_answer),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
