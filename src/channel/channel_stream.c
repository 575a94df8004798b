/* SPDX-License-Identifier: BSD-2-Clause */
/* The channel's messages as a byte stream (include/stdvmm/channel_stream.h). */
#include "stdvmm/channel_stream.h"

#include <string.h>

#include "stdvmm/channel.h"
#include "stdvmm/error.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void channel_stream_put(uint8_t out[CHANNEL_STREAM_HDR_SIZE], const struct channel_stream_msg *m)
{
    put32(out, m->magic);
    put32(out + 4, m->id);
    put32(out + 8, m->code);
    put32(out + 12, m->len);
    put32(out + 16, (uint32_t)m->arg);
    put32(out + 20, (uint32_t)(m->arg >> 32));
}

bool channel_stream_req_has_payload(uint32_t op)
{
    return op == CHANNEL_OP_BLK_WRITE || op == CHANNEL_OP_NET_TX;
}

void channel_stream_parser_init(struct channel_stream_parser *p, uint32_t magic,
                                uint32_t max_payload, const struct channel_stream_ops *ops)
{
    memset(p, 0, sizeof(*p));
    p->magic = magic;
    p->max_payload = max_payload;
    p->ops = *ops;
}

/* How many payload bytes follow the header just read. */
static uint32_t payload_len(const struct channel_stream_parser *p)
{
    if (p->magic == CHANNEL_STREAM_REQ_MAGIC && !channel_stream_req_has_payload(p->cur.code))
        return 0;
    return p->cur.len;
}

static int header_done(struct channel_stream_parser *p)
{
    p->cur.magic = get32(p->hdr);
    p->cur.id = get32(p->hdr + 4);
    p->cur.code = get32(p->hdr + 8);
    p->cur.len = get32(p->hdr + 12);
    p->cur.arg = (uint64_t)get32(p->hdr + 16) | (uint64_t)get32(p->hdr + 20) << 32;
    p->taken = 0;
    if (p->cur.magic != p->magic || payload_len(p) > p->max_payload)
        return -STDVMM_EPROTO;
    if (p->ops.header != NULL && p->ops.header(p->ops.ctx, &p->cur) < 0)
        return -STDVMM_EPROTO;
    return 0;
}

int channel_stream_feed(struct channel_stream_parser *p, const uint8_t *buf, size_t len)
{
    while (!p->failed && len > 0) {
        if (p->have < CHANNEL_STREAM_HDR_SIZE) {
            size_t n = CHANNEL_STREAM_HDR_SIZE - p->have;
            if (n > len)
                n = len;
            memcpy(p->hdr + p->have, buf, n);
            p->have += (unsigned)n;
            buf += n;
            len -= n;
            if (p->have < CHANNEL_STREAM_HDR_SIZE)
                break;
            if (header_done(p) < 0) {
                p->failed = true;
                break;
            }
        } else {
            size_t n = payload_len(p) - p->taken;
            if (n > len)
                n = len;
            if (p->ops.payload != NULL)
                p->ops.payload(p->ops.ctx, &p->cur, p->taken, buf, n);
            p->taken += (uint32_t)n;
            buf += n;
            len -= n;
        }
        if (p->have == CHANNEL_STREAM_HDR_SIZE && p->taken == payload_len(p)) {
            if (p->ops.done != NULL)
                p->ops.done(p->ops.ctx, &p->cur);
            p->have = 0;
        }
    }
    return p->failed ? -STDVMM_EPROTO : 0;
}
