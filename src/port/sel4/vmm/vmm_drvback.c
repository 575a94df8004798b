/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver VM's side of disks it serves (blk_abi.h): per client VM, the
 * back end of its channel (checked as the block server checks it), the
 * client's region of this VM's disk (blk_region_map: the one place that
 * decides what the client may touch, before anything reaches the guest),
 * and one vsock connection from the program in the guest that does the
 * I/O. Requests go to the guest as the channel's stream form, with the
 * region already applied (arg is the sector on the guest's own disk);
 * answers come back the same way and are checked against what was sent:
 * an id in flight, an OK read exactly as long as asked. A program that
 * breaks that loses its connection, and the client's requests in flight
 * fail; it may connect again.
 *
 * Everything runs under the VMM lock: the vsock device's callbacks (its
 * queue processing, deferred to the notification like the NIC's), client
 * doorbells and the admin's detach signals. Callbacks that run inside the
 * device's processing only record work; vmm_drvback_pump() does it.
 */
#include "vmm/vmm_drvback.h"

#include <sel4/sel4.h>
#include <string.h>

#include "blk_abi.h"
#include "stdvmm/blk_region.h"
#include "stdvmm/channel_back.h"
#include "stdvmm/channel_stream.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define MAX_CLIENTS 8
#define NO_CONN (-1)

struct inflight {
    bool busy;
    uint16_t op;
    uint32_t len;  /* room asked for (read) */
    uint8_t *data; /* its slot */
};

struct client {
    bool in_use, attached;
    const char *name;
    struct blk_region region;
    const char *serial;
    void *shm;
    struct channel_back back;
    int conn; /* vsock connection from the guest's program, NO_CONN: none */
    struct channel_stream_parser parser;
    /* The request being sent to the guest: its header and payload, bytes of them sent. */
    bool sending;
    uint8_t out_hdr[CHANNEL_STREAM_HDR_SIZE];
    const uint8_t *out_payload;
    uint32_t out_len, out_sent;
    struct inflight inflight[SEL4_BLK_SLOTS];
    uint64_t requests, refused, answered;
};

static struct client clients[MAX_CLIENTS];
static struct virtio_vsock *vsock;
static bool work; /* a callback asked for a pump */

static void want_pump(void)
{
    work = true;
    seL4_Signal(SEL4_VMM_SLOT_KICK);
}

static struct client *by_conn(unsigned conn)
{
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        if (clients[c].in_use && clients[c].conn == (int)conn)
            return &clients[c];
    }
    return NULL;
}

static void answer(struct client *cl, uint32_t id, enum channel_status status, uint32_t len)
{
    bool notify = false;
    unsigned c = (unsigned)(cl - clients);

    cl->inflight[id].busy = false;
    int r = channel_back_respond(&cl->back, id, status, len, &notify);
    if (r < 0) {
        LOG_WARN("driver: client %s broke its channel (%s); detached until it rings again",
                 cl->name, stdvmm_strerror(r));
        cl->attached = false;
        return;
    }
    cl->answered++;
    if (notify)
        seL4_Signal(SEL4_VMM_SLOT_DRV_CLIENT + c);
}

/* The guest's program is gone or broke the stream: what it held fails. */
static void drop_conn(struct client *cl, bool reset)
{
    if (cl->conn != NO_CONN && reset)
        virtio_vsock_host_reset(vsock, (unsigned)cl->conn);
    cl->conn = NO_CONN;
    cl->sending = false;
    for (uint32_t id = 0; id < SEL4_BLK_SLOTS; id++) {
        if (cl->inflight[id].busy && cl->attached)
            answer(cl, id, CHANNEL_S_IOERR, 0);
    }
}

/* ---- answers from the guest's program ------------------------------------ */

static int rsp_header(void *ctx, const struct channel_stream_msg *m)
{
    struct client *cl = ctx;
    if (m->id >= SEL4_BLK_SLOTS || !cl->inflight[m->id].busy || m->code > CHANNEL_S_MAX)
        return -STDVMM_EPROTO;
    const struct inflight *f = &cl->inflight[m->id];
    /* Only an OK read carries data, exactly as much as asked: a short one would be stale. */
    bool data = m->code == CHANNEL_S_OK && f->op == CHANNEL_OP_BLK_READ;
    if (data ? m->len != f->len : m->len != 0)
        return -STDVMM_EPROTO;
    return 0;
}

static void rsp_payload(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                        const uint8_t *data, size_t n)
{
    struct client *cl = ctx;
    /* rsp_header checked id and len: offset + n <= len of the slot asked for. */
    memcpy(cl->inflight[m->id].data + offset, data, n);
}

static void rsp_done(void *ctx, const struct channel_stream_msg *m)
{
    struct client *cl = ctx;
    if (cl->attached)
        answer(cl, m->id, (enum channel_status)m->code, m->len);
}

/* ---- the vsock backend (inside the device's processing: record only) ---- */

static int be_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx;
    unsigned c = port - SEL4_DRV_VSOCK_PORT;
    if (port < SEL4_DRV_VSOCK_PORT || c >= MAX_CLIENTS || !clients[c].in_use) {
        static uint32_t said; /* once per port: the server tries them all, now and then */
        if (c >= 32 || !(said & (1u << c)))
            LOG_INFO("driver: the guest connected to port %u, which serves no one", port);
        if (c < 32)
            said |= 1u << c;
        return -STDVMM_ENOENT;
    }
    struct client *cl = &clients[c];
    if (cl->conn != NO_CONN) {
        LOG_WARN("driver: a second connection for %s refused: one server per disk", cl->name);
        return -STDVMM_EBUSY;
    }
    cl->conn = (int)conn;
    const struct channel_stream_ops ops = {rsp_header, rsp_payload, rsp_done, cl};
    channel_stream_parser_init(&cl->parser, CHANNEL_STREAM_RSP_MAGIC, SEL4_BLK_SLOT_SIZE, &ops);
    LOG_INFO("driver: the guest's server took %s's disk (port %u)", cl->name, port);
    want_pump();
    return 0;
}

static void be_connected(void *ctx, unsigned conn, uint32_t host_port)
{
    (void)ctx;
    (void)conn;
    (void)host_port;
}

static long be_write(void *ctx, unsigned conn, const uint8_t *buf, size_t len)
{
    (void)ctx;
    struct client *cl = by_conn(conn);
    if (cl == NULL)
        return -STDVMM_ENOENT;
    if (channel_stream_feed(&cl->parser, buf, len) < 0) {
        LOG_WARN("driver: the guest's server broke the stream for %s; its requests fail", cl->name);
        drop_conn(cl, false);
        return -STDVMM_EPROTO;
    }
    return (long)len;
}

static void be_shutdown_write(void *ctx, unsigned conn)
{
    (void)ctx;
    struct client *cl = by_conn(conn);
    if (cl != NULL)
        drop_conn(cl, false);
}

static void be_closed(void *ctx, unsigned conn)
{
    be_shutdown_write(ctx, conn);
}

static void be_update(void *ctx, unsigned conn)
{
    (void)ctx;
    (void)conn;
    want_pump();
}

/* ---- requests from the clients ----------------------------------------- */

static bool try_attach(struct client *cl)
{
    if (cl->attached)
        return true;
    if (channel_back_attach(&cl->back, cl->shm, SEL4_BLK_CHANNEL_BYTES) < 0)
        return false;
    memset(cl->inflight, 0, sizeof(cl->inflight));
    cl->attached = true;
    LOG_INFO("driver: %s attached", cl->name);
    return true;
}

/* Turns the client's next request into a message for the guest, or answers it here. */
static bool next_request(struct client *cl)
{
    struct channel_request rq;
    int r = channel_back_pop(&cl->back, &rq);
    if (r < 0) {
        LOG_WARN("driver: client %s broke its channel (%s); detached until it rings again",
                 cl->name, stdvmm_strerror(r));
        cl->attached = false;
        return false;
    }
    if (r == 0)
        return false;
    cl->requests++;
    cl->inflight[rq.id] = (struct inflight){true, (uint16_t)rq.op, rq.len, rq.data};
    if (rq.op == CHANNEL_OP_BLK_GET_ID) {
        size_t n = strlen(cl->serial);
        n = n < rq.len ? n : rq.len;
        memcpy(rq.data, cl->serial, n);
        answer(cl, rq.id, CHANNEL_S_OK, (uint32_t)n);
        return true;
    }
    enum blk_region_op op = rq.op == CHANNEL_OP_BLK_READ    ? BLK_REGION_READ
                            : rq.op == CHANNEL_OP_BLK_WRITE ? BLK_REGION_WRITE
                                                            : BLK_REGION_FLUSH;
    struct blk_region_io io;
    if ((rq.op != CHANNEL_OP_BLK_READ && rq.op != CHANNEL_OP_BLK_WRITE &&
         rq.op != CHANNEL_OP_BLK_FLUSH) ||
        blk_region_map(&cl->region, op, rq.arg, rq.len, &io) < 0) {
        cl->refused++;
        answer(cl, rq.id,
               rq.op == CHANNEL_OP_NET_TX || rq.op == CHANNEL_OP_NET_RX ? CHANNEL_S_UNSUPP
                                                                        : CHANNEL_S_IOERR,
               0);
        return true;
    }
    if (io.noop) {
        answer(cl, rq.id, CHANNEL_S_OK, rq.op == CHANNEL_OP_BLK_READ ? rq.len : 0);
        return true;
    }
    const struct channel_stream_msg m = {
        .magic = CHANNEL_STREAM_REQ_MAGIC,
        .id = rq.id,
        .code = rq.op,
        .len = rq.len,
        .arg = io.dev_offset / BLK_REGION_SECTOR,
    };
    channel_stream_put(cl->out_hdr, &m);
    cl->out_payload = rq.op == CHANNEL_OP_BLK_WRITE ? rq.data : NULL;
    cl->out_len = CHANNEL_STREAM_HDR_SIZE + (cl->out_payload != NULL ? rq.len : 0);
    cl->out_sent = 0;
    cl->sending = true;
    return true;
}

/* Sends as much of the current message as the connection has room for. */
static bool send_some(struct client *cl)
{
    while (cl->sending) {
        size_t room = virtio_vsock_host_room(vsock, (unsigned)cl->conn);
        if (room == 0)
            return false;
        const uint8_t *src;
        size_t n;
        if (cl->out_sent < CHANNEL_STREAM_HDR_SIZE) {
            src = cl->out_hdr + cl->out_sent;
            n = CHANNEL_STREAM_HDR_SIZE - cl->out_sent;
        } else {
            src = cl->out_payload + (cl->out_sent - CHANNEL_STREAM_HDR_SIZE);
            n = cl->out_len - cl->out_sent;
        }
        n = n < room ? n : room;
        virtio_vsock_host_data(vsock, (unsigned)cl->conn, src, n);
        cl->out_sent += (uint32_t)n;
        if (cl->out_sent == cl->out_len)
            cl->sending = false;
    }
    return true;
}

void vmm_drvback_pump(void)
{
    if (!work)
        return;
    work = false;
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        struct client *cl = &clients[c];
        if (!cl->in_use || !try_attach(cl))
            continue;
        /* Without the guest's server, requests wait in the channel (the client's slots). */
        while (cl->attached && cl->conn != NO_CONN && send_some(cl) && next_request(cl))
            ;
    }
}

void vmm_drvback_notified(uint64_t badge)
{
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        struct client *cl = &clients[c];
        if (!cl->in_use)
            continue;
        if (badge & SEL4_BADGE_DRV_DETACH(c)) {
            /*
             * The client stopped and the admin zeroed its channel: forget its
             * requests (answers to them would land in the next run's channel)
             * and the guest's connection (answers in flight there are for
             * requests that no longer exist).
             */
            bool had = cl->conn != NO_CONN;
            cl->attached = false;
            memset(cl->inflight, 0, sizeof(cl->inflight));
            if (had)
                drop_conn(cl, true);
            LOG_INFO("driver: %s detached: its VM stopped", cl->name);
        }
        if (badge & (SEL4_BADGE_DRV_DOORBELL(c) | SEL4_BADGE_DRV_DETACH(c)))
            work = true;
    }
    vmm_drvback_pump();
}

int vmm_drvback_init(const struct sel4_vmm_args *a, struct virtio_vsock_config *cfg,
                     struct virtio_vsock *dev)
{
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        struct client *cl = &clients[c];
        memset(cl, 0, sizeof(*cl));
        cl->conn = NO_CONN;
        if (!(a->drv_clients & (1u << c)))
            continue;
        cl->in_use = true;
        cl->name = a->drv[c].name;
        cl->serial = a->drv[c].id;
        cl->region = (struct blk_region){a->drv[c].offset, a->drv[c].size, a->drv[c].read_only};
        cl->shm = (void *)(uintptr_t)SEL4_VMM_DRV_CLIENT_VA(c);
        LOG_INFO("driver: serves %s: %llu MiB at %llu MiB of its disk%s (vsock port %u)", cl->name,
                 (unsigned long long)(cl->region.size >> 20),
                 (unsigned long long)(cl->region.offset >> 20),
                 cl->region.read_only ? ", read-only" : "", SEL4_DRV_VSOCK_PORT + c);
    }
    vsock = dev;
    cfg->guest_cid = SEL4_DRV_GUEST_CID;
    cfg->backend = (struct virtio_vsock_backend){
        .connect = be_connect,
        .connected = be_connected,
        .write = be_write,
        .shutdown_write = be_shutdown_write,
        .closed = be_closed,
        .update = be_update,
    };
    work = true;
    return 0;
}

void vmm_drvback_report(void)
{
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        const struct client *cl = &clients[c];
        if (cl->in_use)
            LOG_INFO("driver: %s: %llu requests, %llu refused, %llu answered", cl->name,
                     (unsigned long long)cl->requests, (unsigned long long)cl->refused,
                     (unsigned long long)cl->answered);
    }
}
