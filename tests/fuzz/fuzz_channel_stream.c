/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the channel's stream form (channel_stream.h) as the
 * end that maps the channel sees a hostile peer's bytes: a driver VM's
 * responses, or requests, cut anywhere. The owner's callbacks check what the
 * parser promises: payload in order without gaps, never more than the
 * header announced or the limit allows, a whole message before the next.
 *
 * Input layout: [0] bit 0: parse requests (1) or responses (0); [1] the
 * payload limit / 16; [2..] cut sizes and bytes: each chunk is one length
 * byte then that many stream bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "stdvmm/channel_stream.h"

struct owner {
    uint32_t max;
    bool in_msg;
    uint32_t expect, got;
    unsigned messages;
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
    o->messages++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    bool requests = data[0] & 1;
    struct owner o = {.max = (uint32_t)data[1] * 16};
    const struct channel_stream_ops ops = {header, payload, done, &o};
    struct channel_stream_parser p;
    channel_stream_parser_init(&p, requests ? CHANNEL_STREAM_REQ_MAGIC : CHANNEL_STREAM_RSP_MAGIC,
                               o.max, &ops);
    size_t at = 2;
    bool broken = false;
    while (at < size) {
        size_t n = data[at++];
        if (n > size - at)
            n = size - at;
        int r = channel_stream_feed(&p, data + at, n);
        if (broken && r == 0)
            abort(); /* a broken stream stays broken */
        broken = r < 0;
        at += n;
    }
    return 0;
}
