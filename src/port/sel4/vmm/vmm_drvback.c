/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver VM's side of disks and NICs it serves (blk_abi.h): per client
 * VM's channel, a relay (channel_relay.h: the back end, the client's region
 * of this VM's disk applied or its MAC enforced, answers checked) to one
 * vsock connection from the program in the guest that does the I/O: at
 * host port SEL4_DRV_VSOCK_PORT + the client's index for its disk
 * (stdvmm-blkserve), SEL4_DRV_VSOCK_NET_TX_PORT and _RX_PORT + the index
 * for its NIC's two channels (stdvmm-netserve).
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
#include "net_abi.h"
#include "stdvmm/channel_relay.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define MAX_CLIENTS 8
#define NO_CONN (-1)

/* A client's channels: its disk's, its NIC's TX and RX; each its own link and port. */
enum link_kind { LINK_DISK, LINK_NET_TX, LINK_NET_RX, LINK_KINDS };
static const uint32_t link_port[LINK_KINDS] = {SEL4_DRV_VSOCK_PORT, SEL4_DRV_VSOCK_NET_TX_PORT,
                                               SEL4_DRV_VSOCK_NET_RX_PORT};
static const char *const link_what[LINK_KINDS] = {"disk", "NIC (TX)", "NIC (RX)"};

struct client {
    bool in_use;
    unsigned index;
    enum link_kind kind;
    int conn; /* the guest program's vsock connection; NO_CONN: none */
    struct channel_relay relay;
};

static struct client clients[LINK_KINDS * MAX_CLIENTS]; /* kind * MAX_CLIENTS + index */
#define LINKS (LINK_KINDS * MAX_CLIENTS)
static struct virtio_vsock *vsock;
static bool work; /* a callback asked for a pump */

static void want_pump(void)
{
    work = true;
    seL4_Signal(SEL4_VMM_SLOT_KICK);
}

static struct client *by_conn(unsigned conn)
{
    for (unsigned c = 0; c < LINKS; c++) {
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

/* The link served at this port, or NULL. */
static struct client *by_port(uint32_t port)
{
    for (unsigned k = 0; k < LINK_KINDS; k++) {
        if (port >= link_port[k] && port - link_port[k] < MAX_CLIENTS) {
            struct client *cl = &clients[k * MAX_CLIENTS + (port - link_port[k])];
            return cl->in_use ? cl : NULL;
        }
    }
    return NULL;
}

static int be_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx;
    struct client *cl = by_port(port);
    if (cl == NULL) {
        static uint32_t
            said[LINK_KINDS]; /* once per port: the servers try them all, now and then */
        unsigned k = 0;
        while (k + 1 < LINK_KINDS && port >= link_port[k + 1])
            k++;
        unsigned c = port - link_port[k];
        if (port < link_port[0] || c >= 32 || !(said[k] & (1u << c)))
            LOG_INFO("driver: the guest connected to port %u, which serves no one", port);
        if (port >= link_port[0] && c < 32)
            said[k] |= 1u << c;
        return -STDVMM_ENOENT;
    }
    if (cl->conn != NO_CONN) {
        LOG_WARN("driver: a second connection for %s's %s refused: one server per channel",
                 cl->relay.name, link_what[cl->kind]);
        return -STDVMM_EBUSY;
    }
    cl->conn = (int)conn;
    channel_relay_connect(&cl->relay);
    LOG_INFO("driver: the guest's server took %s's %s (port %u)", cl->relay.name,
             link_what[cl->kind], port);
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
        LOG_WARN("driver: the guest's server broke the stream for %s's %s; its requests fail",
                 cl->relay.name, link_what[cl->kind]);
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
    for (unsigned c = 0; c < LINKS; c++) {
        if (clients[c].in_use)
            channel_relay_pump(&clients[c].relay);
    }
}

void vmm_drvback_notified(uint64_t badge)
{
    for (unsigned l = 0; l < LINKS; l++) {
        struct client *cl = &clients[l];
        unsigned c = cl->index; /* one doorbell and one detach per client, for all its links */
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
            LOG_INFO("driver: %s's %s detached: its VM stopped", cl->relay.name,
                     link_what[cl->kind]);
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
    for (unsigned l = 0; l < LINKS; l++) {
        struct client *cl = &clients[l];
        unsigned c = l % MAX_CLIENTS;
        memset(cl, 0, sizeof(*cl));
        cl->conn = NO_CONN;
        cl->index = c;
        cl->kind = (enum link_kind)(l / MAX_CLIENTS);
        const struct channel_relay_ops ops = {stream_room, stream_send, client_notify, cl};
        if (cl->kind != LINK_DISK) {
            if (!(a->drv_net_clients & (1u << c)))
                continue;
            cl->in_use = true;
            uint8_t *region = (uint8_t *)(uintptr_t)SEL4_VMM_DRV_NET_VA(c);
            channel_relay_init_net(&cl->relay, a->drv[c].name,
                                   region + (cl->kind == LINK_NET_RX ? SEL4_NET_CHANNEL_BYTES : 0),
                                   SEL4_NET_CHANNEL_BYTES, a->drv[c].mac, &ops);
            if (cl->kind == LINK_NET_TX)
                LOG_INFO(
                    "driver: serves %s's NIC %02x:%02x:%02x:%02x:%02x:%02x (vsock ports %u, %u)",
                    a->drv[c].name, a->drv[c].mac[0], a->drv[c].mac[1], a->drv[c].mac[2],
                    a->drv[c].mac[3], a->drv[c].mac[4], a->drv[c].mac[5],
                    SEL4_DRV_VSOCK_NET_TX_PORT + c, SEL4_DRV_VSOCK_NET_RX_PORT + c);
            continue;
        }
        if (!(a->drv_clients & (1u << c)))
            continue;
        cl->in_use = true;
        const struct blk_region region = {a->drv[c].offset, a->drv[c].size,
                                          a->drv[c].read_only != 0};
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
    for (unsigned c = 0; c < LINKS; c++) {
        const struct channel_relay *r = &clients[c].relay;
        if (clients[c].in_use)
            LOG_INFO("driver: %s's %s: %llu requests, %llu refused here, %llu answered", r->name,
                     link_what[clients[c].kind], (unsigned long long)r->requests,
                     (unsigned long long)r->refused, (unsigned long long)r->answered);
    }
}
