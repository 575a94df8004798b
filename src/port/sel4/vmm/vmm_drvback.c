/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver VM's side of disks it serves (blk_abi.h): per client VM, a
 * relay of its channel (channel_relay.h: the back end, the client's region
 * of this VM's disk applied, answers checked) to one vsock connection from
 * the program in the guest that does the I/O (stdvmm-blkserve), at host
 * port SEL4_DRV_VSOCK_PORT + the client's index.
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
#include "stdvmm/channel_relay.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define MAX_CLIENTS 8
#define NO_CONN (-1)

struct client {
    bool in_use;
    unsigned index;
    int conn; /* the guest program's vsock connection; NO_CONN: none */
    struct channel_relay relay;
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

/* ---- the relay's stream and doorbell ----------------------------------- */

static size_t stream_room(void *ctx)
{
    struct client *cl = ctx;
    return cl->conn == NO_CONN ? 0 : virtio_vsock_host_room(vsock, (unsigned)cl->conn);
}

static void stream_send(void *ctx, const uint8_t *buf, size_t n)
{
    struct client *cl = ctx;
    virtio_vsock_host_data(vsock, (unsigned)cl->conn, buf, n);
}

static void client_notify(void *ctx)
{
    struct client *cl = ctx;
    seL4_Signal(SEL4_VMM_SLOT_DRV_CLIENT + cl->index);
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
        LOG_WARN("driver: a second connection for %s refused: one server per disk", cl->relay.name);
        return -STDVMM_EBUSY;
    }
    cl->conn = (int)conn;
    channel_relay_connect(&cl->relay);
    LOG_INFO("driver: the guest's server took %s's disk (port %u)", cl->relay.name, port);
    want_pump();
    return 0;
}

static void be_connected(void *ctx, unsigned conn, uint32_t host_port)
{
    (void)ctx;
    (void)conn;
    (void)host_port;
}

static void conn_gone(struct client *cl)
{
    cl->conn = NO_CONN;
    channel_relay_disconnect(&cl->relay);
}

static long be_write(void *ctx, unsigned conn, const uint8_t *buf, size_t len)
{
    (void)ctx;
    struct client *cl = by_conn(conn);
    if (cl == NULL)
        return -STDVMM_ENOENT;
    if (channel_relay_input(&cl->relay, buf, len) < 0) {
        LOG_WARN("driver: the guest's server broke the stream for %s; its requests fail",
                 cl->relay.name);
        conn_gone(cl);
        return -STDVMM_EPROTO;
    }
    return (long)len;
}

static void be_closed(void *ctx, unsigned conn)
{
    (void)ctx;
    struct client *cl = by_conn(conn);
    if (cl != NULL)
        conn_gone(cl);
}

static void be_update(void *ctx, unsigned conn)
{
    (void)ctx;
    (void)conn;
    want_pump();
}

/* ---- under the VMM lock, outside the device's processing ---------------- */

void vmm_drvback_pump(void)
{
    if (!work)
        return;
    work = false;
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        if (clients[c].in_use)
            channel_relay_pump(&clients[c].relay);
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
             * requests, and reset the guest's connection (answers on their way
             * there are for requests that no longer exist). The server connects
             * again.
             */
            channel_relay_detach(&cl->relay);
            if (cl->conn != NO_CONN) {
                virtio_vsock_host_reset(vsock, (unsigned)cl->conn);
                conn_gone(cl);
            }
            LOG_INFO("driver: %s detached: its VM stopped", cl->relay.name);
        }
        if (badge & SEL4_BADGE_DRV_DOORBELL(c))
            channel_relay_ring(&cl->relay);
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
        cl->index = c;
        if (!(a->drv_clients & (1u << c)))
            continue;
        cl->in_use = true;
        const struct blk_region region = {a->drv[c].offset, a->drv[c].size,
                                          a->drv[c].read_only != 0};
        const struct channel_relay_ops ops = {stream_room, stream_send, client_notify, cl};
        channel_relay_init(&cl->relay, a->drv[c].name, (void *)(uintptr_t)SEL4_VMM_DRV_CLIENT_VA(c),
                           SEL4_BLK_CHANNEL_BYTES, &region, a->drv[c].id, &ops);
        LOG_INFO("driver: serves %s: %llu MiB at %llu MiB of its disk%s (vsock port %u)",
                 a->drv[c].name, (unsigned long long)(region.size >> 20),
                 (unsigned long long)(region.offset >> 20), region.read_only ? ", read-only" : "",
                 SEL4_DRV_VSOCK_PORT + c);
    }
    vsock = dev;
    cfg->guest_cid = SEL4_DRV_GUEST_CID;
    cfg->backend = (struct virtio_vsock_backend){
        .connect = be_connect,
        .connected = be_connected,
        .write = be_write,
        .shutdown_write = be_closed,
        .closed = be_closed,
        .update = be_update,
    };
    work = true;
    return 0;
}

void vmm_drvback_report(void)
{
    for (unsigned c = 0; c < MAX_CLIENTS; c++) {
        const struct channel_relay *r = &clients[c].relay;
        if (clients[c].in_use)
            LOG_INFO("driver: %s: %llu requests, %llu refused here, %llu answered", r->name,
                     (unsigned long long)r->requests, (unsigned long long)r->refused,
                     (unsigned long long)r->answered);
    }
}
