/* SPDX-License-Identifier: BSD-2-Clause */
/* A disk's or a NIC's channel relayed to a stream (include/stdvmm/channel_relay.h). */
#include "stdvmm/channel_relay.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define ETH_HDR_BYTES 14u

void channel_relay_init(struct channel_relay *r, const char *name, void *shm, size_t shm_size,
                        const struct blk_region *region, const char *serial,
                        const struct channel_relay_ops *ops)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->shm = shm;
    r->shm_size = shm_size;
    r->region = *region;
    r->serial = serial;
    r->ops = *ops;
}

void channel_relay_init_net(struct channel_relay *r, const char *name, void *shm, size_t shm_size,
                            const uint8_t mac[6], const struct channel_relay_ops *ops)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->shm = shm;
    r->shm_size = shm_size;
    r->net = true;
    memcpy(r->mac, mac, sizeof(r->mac));
    r->ops = *ops;
}

static void answer(struct channel_relay *r, uint32_t id, enum channel_status status, uint32_t len)
{
    bool notify = false;

    r->inflight[id].busy = false;
    int e = channel_back_respond(&r->back, id, status, len, &notify);
    if (e < 0) {
        LOG_WARN("relay: %s broke its channel (%s); detached until it rings again", r->name,
                 stdvmm_strerror(e));
        r->attached = false;
        return;
    }
    r->answered++;
    if (notify)
        r->ops.notify(r->ops.ctx);
}

static int rsp_header(void *ctx, const struct channel_stream_msg *m)
{
    struct channel_relay *r = ctx;
    if (!r->attached || m->id >= CHANNEL_RELAY_MAX_SLOTS || !r->inflight[m->id].busy ||
        m->code > CHANNEL_S_MAX)
        return -STDVMM_EPROTO;
    bool ok = m->code == CHANNEL_S_OK;
    uint16_t op = r->inflight[m->id].op;
    /* An OK read carries exactly as much as asked (a short one would be stale), ... */
    if (ok && op == CHANNEL_OP_BLK_READ)
        return m->len == r->inflight[m->id].len ? 0 : -STDVMM_EPROTO;
    /* ... an OK receive one whole frame in the room offered; nothing else carries data. */
    if (ok && op == CHANNEL_OP_NET_RX)
        return m->len >= ETH_HDR_BYTES && m->len <= r->inflight[m->id].len ? 0 : -STDVMM_EPROTO;
    return m->len == 0 ? 0 : -STDVMM_EPROTO;
}

static void rsp_payload(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                        const uint8_t *data, size_t n)
{
    struct channel_relay *r = ctx;
    /* rsp_header checked id and len: offset + n is within the slot's requested length. */
    memcpy(r->inflight[m->id].data + offset, data, n);
}

static void rsp_done(void *ctx, const struct channel_stream_msg *m)
{
    answer(ctx, m->id, (enum channel_status)m->code, m->len);
}

void channel_relay_connect(struct channel_relay *r)
{
    const struct channel_stream_ops ops = {rsp_header, rsp_payload, rsp_done, r};
    /* Each answer's length is checked against its request in rsp_header; this only bounds junk. */
    channel_stream_parser_init(&r->parser, CHANNEL_STREAM_RSP_MAGIC, 1u << 24, &ops);
    r->connected = true;
    r->sending = false;
}

void channel_relay_disconnect(struct channel_relay *r)
{
    r->connected = false;
    r->sending = false;
    for (uint32_t id = 0; id < CHANNEL_RELAY_MAX_SLOTS; id++) {
        if (r->inflight[id].busy && r->attached)
            answer(r, id, CHANNEL_S_IOERR, 0);
    }
}

int channel_relay_input(struct channel_relay *r, const uint8_t *buf, size_t n)
{
    if (!r->connected)
        return -STDVMM_EPROTO;
    return channel_stream_feed(&r->parser, buf, n);
}

void channel_relay_detach(struct channel_relay *r)
{
    r->attached = false;
    r->sending = false;
    memset(r->inflight, 0, sizeof(r->inflight));
}

static bool try_attach(struct channel_relay *r)
{
    if (r->attached)
        return true;
    if (channel_back_attach(&r->back, r->shm, r->shm_size) < 0)
        return false;
    if (r->back.slot_count > CHANNEL_RELAY_MAX_SLOTS) {
        LOG_WARN("relay: %s's channel has %u slots; a relay takes %u", r->name, r->back.slot_count,
                 CHANNEL_RELAY_MAX_SLOTS);
        return false;
    }
    memset(r->inflight, 0, sizeof(r->inflight));
    r->attached = true;
    LOG_INFO("relay: %s attached", r->name);
    return true;
}

/* Makes the message to send for request rq; its payload, when it has one, is its slot. */
static void start_sending(struct channel_relay *r, const struct channel_request *rq, uint64_t arg)
{
    const struct channel_stream_msg m = {
        .magic = CHANNEL_STREAM_REQ_MAGIC,
        .id = rq->id,
        .code = rq->op,
        .len = rq->len,
        .arg = arg,
    };
    channel_stream_put(r->out_hdr, &m);
    r->out_payload = channel_stream_req_has_payload(rq->op) ? rq->data : NULL;
    r->out_len = CHANNEL_STREAM_HDR_SIZE + (r->out_payload != NULL ? rq->len : 0);
    r->out_sent = 0;
    r->sending = true;
}

/* A NIC's request: a frame to send from the VM's own MAC, or room for one to receive. */
static bool net_request(struct channel_relay *r, const struct channel_request *rq)
{
    bool tx = rq->op == CHANNEL_OP_NET_TX, rx = rq->op == CHANNEL_OP_NET_RX;
    /* The front end checked len against its slot; the source MAC is at bytes 6..11. */
    if ((tx && (rq->len < ETH_HDR_BYTES || memcmp(rq->data + 6, r->mac, 6) != 0)) ||
        (rx && rq->len < ETH_HDR_BYTES) || (!tx && !rx)) {
        r->refused++;
        answer(r, rq->id, tx || rx ? CHANNEL_S_IOERR : CHANNEL_S_UNSUPP, 0);
        return true;
    }
    start_sending(r, rq, 0);
    return true;
}

/* Takes the VM's next request: answered here, or made the message to send. false: none. */
static bool next_request(struct channel_relay *r)
{
    struct channel_request rq;
    int e = channel_back_pop(&r->back, &rq);
    if (e < 0) {
        LOG_WARN("relay: %s broke its channel (%s); detached until it rings again", r->name,
                 stdvmm_strerror(e));
        r->attached = false;
        return false;
    }
    if (e == 0)
        return false;
    r->requests++;
    r->inflight[rq.id].busy = true;
    r->inflight[rq.id].op = (uint16_t)rq.op;
    r->inflight[rq.id].len = rq.len;
    r->inflight[rq.id].data = rq.data;
    if (r->net)
        return net_request(r, &rq);
    if (rq.op == CHANNEL_OP_BLK_GET_ID) {
        size_t n = strlen(r->serial);
        n = n < rq.len ? n : rq.len;
        memcpy(rq.data, r->serial, n);
        answer(r, rq.id, CHANNEL_S_OK, (uint32_t)n);
        return true;
    }
    struct blk_region_io io;
    enum blk_region_op op = rq.op == CHANNEL_OP_BLK_READ    ? BLK_REGION_READ
                            : rq.op == CHANNEL_OP_BLK_WRITE ? BLK_REGION_WRITE
                                                            : BLK_REGION_FLUSH;
    bool blk = rq.op == CHANNEL_OP_BLK_READ || rq.op == CHANNEL_OP_BLK_WRITE ||
               rq.op == CHANNEL_OP_BLK_FLUSH;
    if (!blk || blk_region_map(&r->region, op, rq.arg, rq.len, &io) < 0) {
        r->refused++;
        answer(r, rq.id, blk ? CHANNEL_S_IOERR : CHANNEL_S_UNSUPP, 0);
        return true;
    }
    if (io.noop) {
        answer(r, rq.id, CHANNEL_S_OK, rq.op == CHANNEL_OP_BLK_READ ? rq.len : 0);
        return true;
    }
    start_sending(r, &rq, io.dev_offset / BLK_REGION_SECTOR);
    return true;
}

/* Sends as much of the current message as the stream has room for; true when all of it. */
static bool send_some(struct channel_relay *r)
{
    while (r->sending) {
        size_t room = r->ops.room(r->ops.ctx);
        if (room == 0)
            return false;
        const uint8_t *src;
        size_t n;
        if (r->out_sent < CHANNEL_STREAM_HDR_SIZE) {
            src = r->out_hdr + r->out_sent;
            n = CHANNEL_STREAM_HDR_SIZE - r->out_sent;
        } else {
            src = r->out_payload + (r->out_sent - CHANNEL_STREAM_HDR_SIZE);
            n = r->out_len - r->out_sent;
        }
        n = n < room ? n : room;
        r->ops.send(r->ops.ctx, src, n);
        r->out_sent += (uint32_t)n;
        if (r->out_sent == r->out_len)
            r->sending = false;
    }
    return true;
}

void channel_relay_ring(struct channel_relay *r)
{
    r->rang = true;
}

void channel_relay_pump(struct channel_relay *r)
{
    /* Not attached: only a doorbell says the VM formatted its channel (a stopped VM's is zero). */
    if (!r->attached && !r->rang)
        return;
    r->rang = false;
    if (!try_attach(r))
        return;
    /* Without a peer, requests wait in the channel (the VM's slots bound them). */
    while (r->attached && r->connected && send_some(r) && next_request(r))
        ;
}
