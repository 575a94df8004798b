/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock stream protocol, device side. Guest packets arrive on the
 * transmit queue as [struct virtio_vsock_hdr][payload]; the device answers
 * on the receive queue with packets it builds itself. Every field of a
 * guest header is checked before use: the source must be the guest's own
 * CID, the destination the host's, the length must match the buffers and
 * respect the credit we gave; anything else is dropped or answered with RST.
 */
#include "stdvmm/devices/virtio_vsock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* Header field offsets (struct virtio_vsock_hdr, little-endian, packed). */
#define H_SRC_CID 0
#define H_DST_CID 8
#define H_SRC_PORT 16
#define H_DST_PORT 20
#define H_LEN 24
#define H_TYPE 28
#define H_OP 30
#define H_FLAGS 32
#define H_BUF_ALLOC 36
#define H_FWD_CNT 40

/* Tell the guest about freed buffer space once this much has gone to the host. */
#define CREDIT_UPDATE_STEP 4096u

static void vsock_config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_vsock *d = dev;
    virtio_config_copy(d->config, sizeof(d->config), offset, data, len);
}

static void vsock_reset(void *dev)
{
    struct virtio_vsock *d = dev;
    /* Connections belong to the worker thread; it closes them on its next run. */
    atomic_store(&d->reset_pending, true);
}

static void vsock_notify(void *dev)
{
    virtio_vsock_process(dev);
}

static const struct virtio_device_ops vsock_ops = {
    .config_read = vsock_config_read, .reset = vsock_reset, .notify = vsock_notify};

int virtio_vsock_init(struct virtio_vsock *d, const struct virtio_vsock_config *cfg)
{
    if (cfg->guest_cid < 3 || cfg->guest_cid > 0xfffffffeu || cfg->backend.connect == NULL ||
        cfg->backend.write == NULL || cfg->backend.closed == NULL) {
        LOG_ERR("virtio-vsock %s: guest CID %llu must be 3..4294967294, and a backend is needed",
                cfg->slot.name ? cfg->slot.name : "?", (unsigned long long)cfg->guest_cid);
        return -STDVMM_EINVAL;
    }
    /* Connection numbers index the backend's tables, which hold VIRTIO_VSOCK_MAX_CONNS. */
    if (cfg->conns == NULL || cfg->max_conns == 0 || cfg->max_conns > VIRTIO_VSOCK_MAX_CONNS ||
        cfg->conns_size < VIRTIO_VSOCK_CONNS_BYTES(cfg->max_conns)) {
        LOG_ERR("virtio-vsock %s: no room for its connections (%u of %zu bytes in %zu bytes; 1 "
                "to %d connections)",
                cfg->slot.name ? cfg->slot.name : "?", cfg->max_conns,
                sizeof(struct virtio_vsock_conn), cfg->conns == NULL ? (size_t)0 : cfg->conns_size,
                VIRTIO_VSOCK_MAX_CONNS);
        return -STDVMM_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    d->conns = cfg->conns;
    d->max_conns = cfg->max_conns;
    /* Free, whatever a previous boot left: a state per connection is enough. */
    for (unsigned i = 0; i < d->max_conns; i++)
        d->conns[i].state = VIRTIO_VSOCK_FREE;
    d->backend = cfg->backend;
    d->cid = cfg->guest_cid;
    virtio_put_le64(d->config, d->cid);
    atomic_init(&d->reset_pending, false);
    d->next_local_port = VIRTIO_VSOCK_LOCAL_PORT_BASE;
    struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_VSOCK,
        .num_queues = 3,
        .queue_max = VIRTIO_VSOCK_QUEUE_SIZE,
        .config_size = sizeof(d->config),
        .ops = &vsock_ops,
        .dev = d,
    };
    return virtio_dev_init(&d->vdev, &t);
}

static void warn_once(struct virtio_vsock *d, const char *what, uint64_t a, uint64_t b)
{
    if (d->warned)
        return;
    d->warned = true;
    LOG_WARN("virtio-vsock %s: %s (%llu, %llu); packet dropped or connection reset (warning "
             "once)",
             d->vdev.cfg.slot.name, what, (unsigned long long)a, (unsigned long long)b);
}

/* Ring buffers: bytes waiting for one side. */
static uint32_t ring_room(const struct virtio_vsock_ring *r)
{
    return VIRTIO_VSOCK_BUF_SIZE - r->len;
}

static void ring_put(struct virtio_vsock_ring *r, const uint8_t *buf, uint32_t len)
{
    uint32_t tail = (r->head + r->len) % VIRTIO_VSOCK_BUF_SIZE;
    uint32_t first = VIRTIO_VSOCK_BUF_SIZE - tail < len ? VIRTIO_VSOCK_BUF_SIZE - tail : len;
    memcpy(r->data + tail, buf, first);
    memcpy(r->data, buf + first, len - first);
    r->len += len;
}

/* The first contiguous run of bytes held. */
static uint32_t ring_peek(const struct virtio_vsock_ring *r, const uint8_t **p)
{
    *p = r->data + r->head;
    return VIRTIO_VSOCK_BUF_SIZE - r->head < r->len ? VIRTIO_VSOCK_BUF_SIZE - r->head : r->len;
}

static void ring_drop(struct virtio_vsock_ring *r, uint32_t n)
{
    r->head = (r->head + n) % VIRTIO_VSOCK_BUF_SIZE;
    r->len -= n;
    if (r->len == 0)
        r->head = 0;
}

static bool valid_conn(const struct virtio_vsock *d, unsigned conn)
{
    return conn < d->max_conns && d->conns[conn].state != VIRTIO_VSOCK_FREE;
}

static void free_conn(struct virtio_vsock *d, unsigned i)
{
    memset(&d->conns[i], 0, sizeof(d->conns[i]));
}

/* The guest may be sent at most this many more payload bytes on c. */
static uint32_t peer_credit(const struct virtio_vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
    return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Ends a connection: RST to the guest on the next pump, the host end closed now. */
static void abort_conn(struct virtio_vsock *d, unsigned i, bool tell_backend)
{
    struct virtio_vsock_conn *c = &d->conns[i];
    if (c->state == VIRTIO_VSOCK_FREE || c->state == VIRTIO_VSOCK_CLOSING)
        return;
    c->state = VIRTIO_VSOCK_CLOSING;
    if (tell_backend)
        d->backend.closed(d->backend.ctx, i);
}

static void update(struct virtio_vsock *d, unsigned i)
{
    if (d->backend.update != NULL)
        d->backend.update(d->backend.ctx, i);
}

static void handle_reset(struct virtio_vsock *d)
{
    if (!atomic_exchange(&d->reset_pending, false))
        return;
    for (unsigned i = 0; i < d->max_conns; i++) {
        if (d->conns[i].state != VIRTIO_VSOCK_FREE && d->conns[i].state != VIRTIO_VSOCK_CLOSING)
            d->backend.closed(d->backend.ctx, i);
        free_conn(d, i);
    }
    d->rst_count = 0;
}

static void fill_hdr(uint8_t *h, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port,
                     uint32_t dst_port, uint32_t len, uint16_t op, uint32_t flags,
                     uint32_t buf_alloc, uint32_t fwd_cnt)
{
    memset(h, 0, VIRTIO_VSOCK_HDR_SIZE);
    virtio_put_le64(h + H_SRC_CID, src_cid);
    virtio_put_le64(h + H_DST_CID, dst_cid);
    virtio_put_le32(h + H_SRC_PORT, src_port);
    virtio_put_le32(h + H_DST_PORT, dst_port);
    virtio_put_le32(h + H_LEN, len);
    virtio_put_le16(h + H_TYPE, VIRTIO_VSOCK_TYPE_STREAM);
    virtio_put_le16(h + H_OP, op);
    virtio_put_le32(h + H_FLAGS, flags);
    virtio_put_le32(h + H_BUF_ALLOC, buf_alloc);
    virtio_put_le32(h + H_FWD_CNT, fwd_cnt);
}

/* An RST answering a guest packet that matches no connection. */
static void queue_rst(struct virtio_vsock *d, const uint8_t *h)
{
    if (d->rst_count >= VIRTIO_VSOCK_MAX_RSTS)
        return; /* the guest times out instead */
    fill_hdr(d->rsts[d->rst_count++].hdr, VIRTIO_VSOCK_HOST_CID, d->cid,
             virtio_le32(h + H_DST_PORT), virtio_le32(h + H_SRC_PORT), 0, VIRTIO_VSOCK_OP_RST, 0,
             0, 0);
}

/* A receive buffer that can hold at least a header, or NULL when the guest has none. */
static bool rx_get(struct virtio_vsock *d, struct virtq_chain *c)
{
    for (;;) {
        virtq_chain_init(c, d->rx_segs, VIRTIO_VSOCK_SEGS);
        if (virtio_dev_pop(&d->vdev, VIRTIO_VSOCK_RX, c) <= 0)
            return false;
        if (c->in_bytes >= VIRTIO_VSOCK_HDR_SIZE)
            return true;
        warn_once(d, "receive buffer smaller than a header", c->head, c->in_bytes);
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_VSOCK_RX, c, 0);
    }
}

/* Sends a payload-less packet of c; false when the guest has no buffer. */
static bool send_ctl(struct virtio_vsock *d, struct virtio_vsock_conn *c, uint16_t op,
                     uint32_t flags, bool *pushed)
{
    struct virtq_chain chain;
    uint8_t h[VIRTIO_VSOCK_HDR_SIZE];

    if (!rx_get(d, &chain))
        return false;
    fill_hdr(h, VIRTIO_VSOCK_HOST_CID, d->cid, c->host_port, c->guest_port, 0, op, flags,
             VIRTIO_VSOCK_BUF_SIZE, c->fwd_cnt);
    virtq_chain_write(&chain, 0, h, sizeof(h));
    virtio_dev_push_nosignal(&d->vdev, VIRTIO_VSOCK_RX, &chain, sizeof(h));
    c->fwd_advertised = c->fwd_cnt;
    *pushed = true;
    return true;
}

/* Moves held host bytes into guest buffers, within the guest's credit. */
static bool send_data(struct virtio_vsock *d, unsigned i, bool *pushed)
{
    struct virtio_vsock_conn *c = &d->conns[i];
    bool moved = false;

    while (c->to_guest.len > 0 && peer_credit(c) > 0 && !c->peer_no_recv) {
        struct virtq_chain chain;
        uint8_t h[VIRTIO_VSOCK_HDR_SIZE];
        if (!rx_get(d, &chain)) {
            if (moved)
                update(d, i);
            return false;
        }
        uint64_t cap = chain.in_bytes - VIRTIO_VSOCK_HDR_SIZE;
        uint32_t n = c->to_guest.len;
        if (n > peer_credit(c))
            n = peer_credit(c);
        if (n > cap)
            n = (uint32_t)cap;
        fill_hdr(h, VIRTIO_VSOCK_HOST_CID, d->cid, c->host_port, c->guest_port, n,
                 VIRTIO_VSOCK_OP_RW, 0, VIRTIO_VSOCK_BUF_SIZE, c->fwd_cnt);
        virtq_chain_write(&chain, 0, h, sizeof(h));
        uint32_t done = 0;
        while (done < n) {
            const uint8_t *p;
            uint32_t run = ring_peek(&c->to_guest, &p);
            if (run > n - done)
                run = n - done;
            virtq_chain_write(&chain, VIRTIO_VSOCK_HDR_SIZE + done, p, run);
            ring_drop(&c->to_guest, run);
            done += run;
        }
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_VSOCK_RX, &chain, VIRTIO_VSOCK_HDR_SIZE + n);
        c->tx_cnt += n;
        c->fwd_advertised = c->fwd_cnt;
        *pushed = true;
        moved = true;
    }
    if (moved)
        update(d, i); /* room for more host bytes */
    return true;
}

/* Everything connection i owes the guest, in protocol order; false when out of buffers. */
static bool pump_conn(struct virtio_vsock *d, unsigned i, bool *pushed)
{
    struct virtio_vsock_conn *c = &d->conns[i];

    if (c->state == VIRTIO_VSOCK_CLOSING) {
        if (!send_ctl(d, c, VIRTIO_VSOCK_OP_RST, 0, pushed))
            return false;
        free_conn(d, i);
        return true;
    }
    if (c->need_request) {
        if (!send_ctl(d, c, VIRTIO_VSOCK_OP_REQUEST, 0, pushed))
            return false;
        c->need_request = false;
    }
    if (c->need_response) {
        if (!send_ctl(d, c, VIRTIO_VSOCK_OP_RESPONSE, 0, pushed))
            return false;
        c->need_response = false;
    }
    if (c->state != VIRTIO_VSOCK_ESTABLISHED)
        return true;
    if (!send_data(d, i, pushed))
        return false;
    if (c->host_eof && c->to_guest.len == 0 && !c->shutdown_sent) {
        if (!send_ctl(d, c, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, pushed))
            return false;
        c->shutdown_sent = true;
    }
    if (c->need_credit || c->fwd_cnt - c->fwd_advertised >= CREDIT_UPDATE_STEP) {
        if (!send_ctl(d, c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, pushed))
            return false;
        c->need_credit = false;
    }
    return true;
}

static void pump(struct virtio_vsock *d)
{
    bool pushed = false;

    if (!virtio_dev_driver_ok(&d->vdev))
        return;
    while (d->rst_count > 0) {
        struct virtq_chain chain;
        if (!rx_get(d, &chain))
            goto out;
        virtq_chain_write(&chain, 0, d->rsts[0].hdr, VIRTIO_VSOCK_HDR_SIZE);
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_VSOCK_RX, &chain, VIRTIO_VSOCK_HDR_SIZE);
        pushed = true;
        d->rst_count--;
        memmove(d->rsts, d->rsts + 1, sizeof(d->rsts[0]) * d->rst_count);
    }
    /* Round robin, so one busy connection cannot starve the others of buffers. */
    for (unsigned k = 0; k < d->max_conns; k++) {
        unsigned i = (d->pump_start + k) % d->max_conns;
        if (d->conns[i].state == VIRTIO_VSOCK_FREE)
            continue;
        if (!pump_conn(d, i, &pushed)) {
            d->pump_start = i;
            goto out;
        }
    }
    d->pump_start = (d->pump_start + 1) % d->max_conns;
out:
    if (pushed)
        virtio_dev_signal(&d->vdev, VIRTIO_VSOCK_RX);
}

/* Hands held guest bytes to the host end as far as it takes them. */
static void flush_to_host(struct virtio_vsock *d, unsigned i)
{
    struct virtio_vsock_conn *c = &d->conns[i];
    bool progress = false;

    while (c->to_host.len > 0 && c->state == VIRTIO_VSOCK_ESTABLISHED) {
        const uint8_t *p;
        uint32_t run = ring_peek(&c->to_host, &p);
        long n = d->backend.write(d->backend.ctx, i, p, run);
        if (n < 0) {
            abort_conn(d, i, true);
            return;
        }
        if (n == 0) {
            update(d, i); /* poll the host end for writing */
            break;
        }
        if ((unsigned long)n > run)
            n = (long)run;
        ring_drop(&c->to_host, (uint32_t)n);
        c->fwd_cnt += (uint32_t)n;
        progress = true;
    }
    if (progress && c->to_host.len == 0)
        c->need_credit = true; /* the guest may be waiting for exactly this room */
    if (c->to_host.len == 0 && c->peer_no_send && !c->host_write_shut &&
        c->state == VIRTIO_VSOCK_ESTABLISHED) {
        c->host_write_shut = true;
        if (d->backend.shutdown_write != NULL)
            d->backend.shutdown_write(d->backend.ctx, i);
    }
}

static int find_conn(const struct virtio_vsock *d, uint32_t host_port, uint32_t guest_port)
{
    for (unsigned i = 0; i < d->max_conns; i++) {
        const struct virtio_vsock_conn *c = &d->conns[i];
        if (c->state != VIRTIO_VSOCK_FREE && c->host_port == host_port &&
            c->guest_port == guest_port)
            return (int)i;
    }
    return -1;
}

static int alloc_conn(struct virtio_vsock *d)
{
    for (unsigned i = 0; i < d->max_conns; i++) {
        if (d->conns[i].state == VIRTIO_VSOCK_FREE)
            return (int)i;
    }
    return -1;
}

/* The guest connects to a host port. */
static void guest_request(struct virtio_vsock *d, const uint8_t *h)
{
    int i = alloc_conn(d);
    if (i < 0) {
        warn_once(d, "too many connections", d->max_conns, 0);
        queue_rst(d, h);
        return;
    }
    struct virtio_vsock_conn *c = &d->conns[i];
    memset(c, 0, sizeof(*c));
    c->state = VIRTIO_VSOCK_ESTABLISHED;
    c->host_port = virtio_le32(h + H_DST_PORT);
    c->guest_port = virtio_le32(h + H_SRC_PORT);
    c->peer_buf_alloc = virtio_le32(h + H_BUF_ALLOC);
    c->peer_fwd_cnt = virtio_le32(h + H_FWD_CNT);
    if (d->backend.connect(d->backend.ctx, (unsigned)i, c->host_port) < 0) {
        free_conn(d, (unsigned)i);
        queue_rst(d, h);
        return;
    }
    c->need_response = true;
}

static void guest_shutdown(struct virtio_vsock *d, unsigned i, uint32_t flags)
{
    struct virtio_vsock_conn *c = &d->conns[i];

    if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
        c->peer_no_send = true;
    if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
        c->peer_no_recv = true;
    flush_to_host(d, i);
    /* Both directions shut: the guest is closing and waits for our RST. */
    if (c->peer_no_send && c->peer_no_recv)
        abort_conn(d, i, true);
}

static void guest_packet(struct virtio_vsock *d, const struct virtq_chain *chain)
{
    uint8_t h[VIRTIO_VSOCK_HDR_SIZE];

    if (chain->out_bytes < VIRTIO_VSOCK_HDR_SIZE) {
        warn_once(d, "packet shorter than its header", chain->head, chain->out_bytes);
        return;
    }
    virtq_chain_read(chain, 0, h, sizeof(h));
    uint64_t src_cid = virtio_le64(h + H_SRC_CID);
    uint64_t dst_cid = virtio_le64(h + H_DST_CID);
    uint32_t len = virtio_le32(h + H_LEN);
    uint16_t op = virtio_le16(h + H_OP);

    if (src_cid != d->cid || dst_cid != VIRTIO_VSOCK_HOST_CID) {
        warn_once(d, "packet not from the guest's CID to the host", src_cid, dst_cid);
        return;
    }
    if (len > chain->out_bytes - VIRTIO_VSOCK_HDR_SIZE || len > VIRTIO_VSOCK_BUF_SIZE) {
        warn_once(d, "payload length beyond the packet", len, chain->out_bytes);
        int bad = find_conn(d, virtio_le32(h + H_DST_PORT), virtio_le32(h + H_SRC_PORT));
        if (bad >= 0)
            abort_conn(d, (unsigned)bad, true);
        return;
    }
    int i = find_conn(d, virtio_le32(h + H_DST_PORT), virtio_le32(h + H_SRC_PORT));
    if (virtio_le16(h + H_TYPE) != VIRTIO_VSOCK_TYPE_STREAM) {
        if (op != VIRTIO_VSOCK_OP_RST)
            queue_rst(d, h); /* only stream sockets here (no SEQPACKET feature) */
        return;
    }
    if (i < 0) {
        if (op == VIRTIO_VSOCK_OP_REQUEST)
            guest_request(d, h);
        else if (op != VIRTIO_VSOCK_OP_RST)
            queue_rst(d, h);
        return;
    }
    struct virtio_vsock_conn *c = &d->conns[i];
    if (c->state == VIRTIO_VSOCK_CLOSING)
        return; /* our RST is on its way */
    c->peer_buf_alloc = virtio_le32(h + H_BUF_ALLOC);
    c->peer_fwd_cnt = virtio_le32(h + H_FWD_CNT);
    switch (op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        if (c->state != VIRTIO_VSOCK_CONNECTING) {
            abort_conn(d, (unsigned)i, true);
            break;
        }
        c->state = VIRTIO_VSOCK_ESTABLISHED;
        c->need_request = false;
        if (d->backend.connected != NULL)
            d->backend.connected(d->backend.ctx, (unsigned)i, c->host_port);
        update(d, (unsigned)i);
        break;
    case VIRTIO_VSOCK_OP_RST:
        d->backend.closed(d->backend.ctx, (unsigned)i);
        free_conn(d, (unsigned)i);
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        guest_shutdown(d, (unsigned)i, virtio_le32(h + H_FLAGS));
        break;
    case VIRTIO_VSOCK_OP_RW: {
        /* More than the credit we gave is a protocol violation: reset. */
        if (c->state != VIRTIO_VSOCK_ESTABLISHED || c->peer_no_send ||
            len > ring_room(&c->to_host)) {
            warn_once(d, "data beyond the credit or on a closed stream", len,
                      ring_room(&c->to_host));
            abort_conn(d, (unsigned)i, true);
            break;
        }
        uint8_t buf[1024];
        uint32_t done = 0;
        while (done < len) {
            uint32_t n = len - done < sizeof(buf) ? len - done : (uint32_t)sizeof(buf);
            virtq_chain_read(chain, VIRTIO_VSOCK_HDR_SIZE + done, buf, n);
            ring_put(&c->to_host, buf, n);
            done += n;
        }
        flush_to_host(d, (unsigned)i);
        break;
    }
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE: update(d, (unsigned)i); break;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST: c->need_credit = true; break;
    case VIRTIO_VSOCK_OP_REQUEST: /* a second REQUEST on a live connection */
    default: abort_conn(d, (unsigned)i, true); break;
    }
}

void virtio_vsock_process(struct virtio_vsock *d)
{
    struct virtq_chain chain;
    unsigned handled = 0;

    handle_reset(d);
    if (!virtio_dev_driver_ok(&d->vdev))
        return;
    virtq_chain_init(&chain, d->tx_segs, VIRTIO_VSOCK_SEGS);
    while (virtio_dev_pop(&d->vdev, VIRTIO_VSOCK_TX, &chain) > 0) {
        guest_packet(d, &chain);
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_VSOCK_TX, &chain, 0);
        handled++;
    }
    if (handled != 0)
        virtio_dev_signal(&d->vdev, VIRTIO_VSOCK_TX);
    pump(d);
}

int virtio_vsock_host_connect(struct virtio_vsock *d, uint32_t guest_port, unsigned *conn)
{
    handle_reset(d);
    if (!virtio_dev_driver_ok(&d->vdev))
        return -STDVMM_EAGAIN; /* no guest driver yet */
    int i = alloc_conn(d);
    if (i < 0)
        return -STDVMM_ENOSPC;
    uint32_t port = d->next_local_port;
    /* The next local port not in use, wrapping within the ephemeral range. */
    for (;;) {
        if (port < VIRTIO_VSOCK_LOCAL_PORT_BASE || port == 0xffffffffu)
            port = VIRTIO_VSOCK_LOCAL_PORT_BASE;
        bool used = false;
        for (unsigned k = 0; k < d->max_conns; k++)
            used = used || (d->conns[k].state != VIRTIO_VSOCK_FREE && d->conns[k].host_port == port);
        if (!used)
            break;
        port++;
    }
    d->next_local_port = port + 1;
    struct virtio_vsock_conn *c = &d->conns[i];
    memset(c, 0, sizeof(*c));
    c->state = VIRTIO_VSOCK_CONNECTING;
    c->host_port = port;
    c->guest_port = guest_port;
    c->need_request = true;
    *conn = (unsigned)i;
    pump(d);
    return 0;
}

size_t virtio_vsock_host_room(struct virtio_vsock *d, unsigned conn)
{
    if (!valid_conn(d, conn))
        return 0;
    const struct virtio_vsock_conn *c = &d->conns[conn];
    if (c->state == VIRTIO_VSOCK_CLOSING || c->peer_no_recv || c->host_eof)
        return 0;
    return ring_room(&c->to_guest);
}

void virtio_vsock_host_data(struct virtio_vsock *d, unsigned conn, const uint8_t *buf, size_t len)
{
    if (len > virtio_vsock_host_room(d, conn))
        return; /* the backend asked for the room first: cannot happen */
    ring_put(&d->conns[conn].to_guest, buf, (uint32_t)len);
    pump(d);
}

void virtio_vsock_host_eof(struct virtio_vsock *d, unsigned conn)
{
    if (!valid_conn(d, conn))
        return;
    d->conns[conn].host_eof = true;
    pump(d);
}

void virtio_vsock_host_reset(struct virtio_vsock *d, unsigned conn)
{
    if (!valid_conn(d, conn))
        return;
    abort_conn(d, conn, false);
    pump(d);
}

bool virtio_vsock_host_wants_write(struct virtio_vsock *d, unsigned conn)
{
    return valid_conn(d, conn) && d->conns[conn].to_host.len > 0;
}

void virtio_vsock_host_writable(struct virtio_vsock *d, unsigned conn)
{
    if (!valid_conn(d, conn))
        return;
    flush_to_host(d, conn);
    pump(d);
}
