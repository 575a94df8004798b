/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-switch: a virtual switch between VMs as a process of its own, a
 * vhost-user-net *backend* with one Unix socket per port. A VM's virtio-net
 * (stdvmm --net vhost-user=SOCKET, or QEMU's -netdev vhost-user) connects
 * to its port's socket; the switch maps the VM's memory from the
 * SET_MEM_TABLE descriptors and moves frames between the rings itself,
 * deciding where each goes with the portable forwarding core
 * (include/stdvmm/vswitch.h: learning, flooding, static MACs, networks as
 * allow-lists; the seL4 switch PD uses the same core).
 *
 *   stdvmm-switch --port name=a,socket=/run/a.sock,mac=52:54:00:00:00:0a,networks=lan \
 *                 --port name=b,socket=/run/b.sock,networks=lan+wan ...
 *
 * One thread, one poll(): listening sockets, connections, kick eventfds.
 * Each port serves one frontend at a time; when it goes away, its memory
 * is unmapped and the port listens again. SIGTERM/SIGINT end the switch
 * after it prints its counters and MAC table.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "stdvmm/backends/net_tap.h"
#include "stdvmm/error.h"
#include "stdvmm/host/jail.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/log.h"
#include "stdvmm/vswitch.h"
#include "stdvmm/vswitch_status.h"
#include "rx_queue.h"
#include "vhost_user_req.h"
#include "vring.h"
#include "stdvmm/spelling.h"

#define MAX_PORTS VSWITCH_MAX_PORTS /* out-port sets are one uint64_t */
#define MAX_NETWORKS 16
#define TABLE_SLOTS 1024
#define MAX_AGE_MS 300000u
#define RX 0u
#define TX 1u
#define QUEUES 2u

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_NET_F_MRG_RXBUF 15
#define F_PROTOCOL_FEATURES 30
#define PROTOCOL_F_REPLY_ACK 3
#define OFFERED_FEATURES                                                                           \
    (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << F_PROTOCOL_FEATURES)
#define OFFERED_PROTOCOL (1ull << PROTOCOL_F_REPLY_ACK)

struct port {
    char name[VSWITCH_STATUS_NAME_MAX + 1];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    bool has_mac;
    struct vswitch_mac mac;
    uint64_t networks;
    int listen_fd, conn_fd;
    uint64_t features;
    bool protocol_negotiated; /* VHOST_USER_F_PROTOCOL_FEATURES acked: rings start disabled */
    struct swmem mem;
    struct sw_vring vq[QUEUES];
    char what[5 + VSWITCH_STATUS_NAME_MAX + 1]; /* "port NAME" */
    uint64_t rx_dropped;
    struct rx_queue rxq; /* frames waiting for the guest's receive buffers */
    struct net_tap *tap; /* the uplink: a TAP to the host instead of a socket */
};

static struct port ports[MAX_PORTS];
static struct net_tap uplink; /* at most one: --uplink */
static char uplink_ifname[16];
static unsigned port_count;
static char network_names[MAX_NETWORKS][32];
static unsigned network_count;
static struct vswitch sw;
static struct vswitch_entry table[TABLE_SLOTS];
static uint8_t frame[SW_FRAME_MAX];
static volatile sig_atomic_t stopping;

/* The control channel (--control PATH): stdvmmd asks for the status here. */
#define MAX_CONTROL 4
static const char *control_path;
static const char *jail_dir;
static int control_listen_fd = -1;
static int control_fd[MAX_CONTROL] = {-1, -1, -1, -1};
static char control_reply[VSWITCH_STATUS_MAX_TEXT];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stdvmm-switch --port name=NAME,socket=PATH,networks=NET[+NET...][,mac=MAC]"
            " ...\n"
            "                     [--uplink name=NAME,tap=IFNAME,networks=NET[+NET...]]\n"
            "                     [--control PATH] [--log-level error|warn|info|debug]\n"
            "                     [--seccomp kill|log|off] [--jail DIR]\n"
            "A vhost-user-net backend with one socket per port: VMs connect with\n"
            "stdvmm run --net vhost-user=PATH (or QEMU -netdev vhost-user). Frames go\n"
            "only between ports that share a network; a port's mac= is pinned to it and\n"
            "is the only source address it may send from. Once listening it runs under a\n"
            "seccomp allow-list (accepting, vhost-user messages, mapping guest memory).\n"
            "--uplink: a port that is a TAP device to the host (made if it does not exist;\n"
            "needs CAP_NET_ADMIN or a persistent TAP of this user); it may send from any MAC.\n"
            "--jail DIR (root only): once its sockets listen, the switch goes into a jail of\n"
            "its own (stdvmm/host/jail.h: namespaces, DIR as an empty root, a uid of its own,\n"
            "no capabilities), with the descriptors it already holds.\n"
            "--control PATH: a socket that answers \"status\\n\" with the ports and the MAC\n"
            "table (include/stdvmm/vswitch_status.h); it is created last, once every port\n"
            "listens, so its presence says the switch is ready.\n");
}

static int network_bit(const char *name)
{
    for (unsigned i = 0; i < network_count; i++)
        if (strcmp(network_names[i], name) == 0)
            return (int)i;
    if (network_count == MAX_NETWORKS || strlen(name) == 0 ||
        strlen(name) >= sizeof(network_names[0]))
        return -1;
    snprintf(network_names[network_count], sizeof(network_names[0]), "%s", name);
    return (int)network_count++;
}

static int parse_port(const char *given, bool is_uplink)
{
    /*
     * Taken apart in a copy: /proc/PID/cmdline must keep showing what the
     * switch was started with, which a new stdvmmd compares to adopt it.
     */
    char arg[1024];
    if (snprintf(arg, sizeof(arg), "%s", given) >= (int)sizeof(arg)) {
        fprintf(stderr, "stdvmm-switch: a port's settings are longer than %zu bytes\n",
                sizeof(arg) - 1);
        return -1;
    }
    if (port_count == MAX_PORTS) {
        fprintf(stderr, "stdvmm-switch: at most %d ports\n", MAX_PORTS);
        return -1;
    }
    struct port *p = &ports[port_count];
    char *save = NULL;
    for (char *kv = strtok_r(arg, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (v == NULL)
            goto bad;
        *v++ = '\0';
        if (strcmp(kv, "name") == 0 && vswitch_status_valid_name(v, strlen(v))) {
            snprintf(p->name, sizeof(p->name), "%s", v);
        } else if (is_uplink && strcmp(kv, "tap") == 0 && strlen(v) > 0 &&
                   strlen(v) < sizeof(uplink_ifname)) {
            snprintf(uplink_ifname, sizeof(uplink_ifname), "%s", v);
            p->tap = &uplink;
        } else if (!is_uplink && strcmp(kv, "socket") == 0 && strlen(v) > 0 &&
                   strlen(v) < sizeof(p->path)) {
            snprintf(p->path, sizeof(p->path), "%s", v);
        } else if (strcmp(kv, "mac") == 0 && spelling_parse_mac(v, p->mac.b)) {
            p->has_mac = true;
        } else if (strcmp(kv, "networks") == 0) {
            char *s2 = NULL;
            for (char *n = strtok_r(v, "+", &s2); n != NULL; n = strtok_r(NULL, "+", &s2)) {
                int bit = network_bit(n);
                if (bit < 0)
                    goto bad;
                p->networks |= 1ull << bit;
            }
        } else {
            goto bad;
        }
    }
    if (p->name[0] == '\0' || (is_uplink ? p->tap == NULL : p->path[0] == '\0') ||
        p->networks == 0 || (is_uplink && p->has_mac))
        goto bad;
    for (unsigned i = 0; i < port_count; i++) {
        if (strcmp(ports[i].name, p->name) == 0 ||
            (!is_uplink && strcmp(ports[i].path, p->path) == 0)) {
            fprintf(stderr, "stdvmm-switch: port %s: name and socket must be unique\n", p->name);
            return -1;
        }
    }
    port_count++;
    return 0;
bad:
    memset(p, 0, sizeof(*p));
    if (is_uplink)
        fprintf(stderr, "stdvmm-switch: --uplink: expected name=NAME,tap=IFNAME,networks=NET"
                        "[+NET...]\n");
    else
        fprintf(stderr,
                "stdvmm-switch: --port: expected name=NAME,socket=PATH,networks=NET[+NET...]"
                "[,mac=MAC] (a unicast MAC, at most %d networks)\n",
                MAX_NETWORKS);
    return -1;
}

static int listen_on(struct port *p)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", p->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(p->path);
    /* Only this user's frontends may attach: the socket is owner-only. */
    mode_t old = umask(0077);
    int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
    umask(old);
    if (r < 0 || listen(fd, 1) < 0) {
        LOG_ERR("port %s: cannot listen on %s: %s", p->name, p->path, strerror(errno));
        close(fd);
        return -1;
    }
    p->listen_fd = fd;
    return 0;
}

static void unmap(struct port *p)
{
    for (unsigned i = 0; i < p->mem.count; i++)
        munmap(p->mem.r[i].map, p->mem.r[i].map_len);
    memset(&p->mem, 0, sizeof(p->mem));
}

static void vring_reset(struct sw_vring *v)
{
    if (v->kick_fd >= 0)
        close(v->kick_fd);
    if (v->call_fd >= 0)
        close(v->call_fd);
    memset(v, 0, sizeof(*v));
    v->kick_fd = v->call_fd = -1;
}

static void disconnect(struct port *p, const char *why)
{
    if (p->conn_fd < 0)
        return;
    LOG_INFO("port %s: frontend %s", p->name, why);
    close(p->conn_fd);
    p->conn_fd = -1;
    for (unsigned q = 0; q < QUEUES; q++)
        vring_reset(&p->vq[q]);
    unmap(p);
    rxq_clear(&p->rxq);
    p->features = 0;
    p->protocol_negotiated = false;
}

static void resolve(struct port *p)
{
    for (unsigned q = 0; q < QUEUES; q++) {
        struct sw_vring *v = &p->vq[q];
        if (v->num != 0 && v->have_addr && p->mem.count != 0)
            sw_vring_resolve(v, &p->mem, p->what);
    }
}

/* A ring runs once it has a size, addresses in the mapped memory and a kick, and is enabled. */
static void update_started(struct sw_vring *v)
{
    v->started = v->num != 0 && v->desc != NULL && v->kick_fd >= 0 && v->enabled && !v->broken;
}

static int set_mem_table(struct port *p, const struct vhu_req *r, const int *fds)
{
    struct swmem m = {0};
    int err = 0;
    for (unsigned i = 0; i < r->u.mem.count && err == 0; i++) {
        const struct vhu_req_region *g = &r->u.mem.r[i];
        /* Mapped from offset 0: mmap offsets must be page-aligned, mmap_offset need not be. */
        uint64_t len = g->mmap_offset + g->size;
        void *map = len > SIZE_MAX
                        ? MAP_FAILED
                        : mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
        if (map == MAP_FAILED) {
            LOG_ERR("port %s: cannot map region %u (%llu bytes): %s", p->name, i,
                    (unsigned long long)g->size, strerror(errno));
            err = -1;
            break;
        }
        m.r[i] = (struct swmem_region){.gpa = g->guest_phys_addr,
                                       .size = g->size,
                                       .uva = g->user_addr,
                                       .host = (uint8_t *)map + g->mmap_offset,
                                       .map = map,
                                       .map_len = (size_t)len};
        m.count = i + 1;
    }
    if (err != 0) {
        for (unsigned i = 0; i < m.count; i++)
            munmap(m.r[i].map, m.r[i].map_len);
        return -1;
    }
    unmap(p);
    p->mem = m;
    resolve(p);
    for (unsigned q = 0; q < QUEUES; q++)
        update_started(&p->vq[q]);
    LOG_INFO("port %s: %u memory regions mapped", p->name, m.count);
    return 0;
}

static void forward_tx(struct port *p);

/* Acts on one decoded request; the reply payload (if any) goes in reply/reply_size. */
static int handle(struct port *p, const struct vhu_req *r, const int *fds, uint8_t *reply,
                  uint32_t *reply_size)
{
    uint64_t v;
    switch (r->request) {
    case VHU_GET_FEATURES:
        v = OFFERED_FEATURES;
        memcpy(reply, &v, 8);
        *reply_size = 8;
        return 0;
    case VHU_SET_FEATURES:
        if (r->u.u64 & ~OFFERED_FEATURES)
            return -1;
        p->features = r->u.u64;
        p->protocol_negotiated = (r->u.u64 >> F_PROTOCOL_FEATURES) & 1;
        return 0;
    case VHU_GET_PROTOCOL_FEATURES:
        v = OFFERED_PROTOCOL;
        memcpy(reply, &v, 8);
        *reply_size = 8;
        return 0;
    case VHU_SET_PROTOCOL_FEATURES:
        return (r->u.u64 & ~OFFERED_PROTOCOL) ? -1 : 0;
    case VHU_GET_QUEUE_NUM:
        v = 1; /* queue pairs */
        memcpy(reply, &v, 8);
        *reply_size = 8;
        return 0;
    case VHU_SET_OWNER:
    case VHU_RESET_OWNER:
    case VHU_SEND_RARP:
    case VHU_NET_SET_MTU:
        return 0;
    case VHU_SET_MEM_TABLE:
        return set_mem_table(p, r, fds);
    default:
        break;
    }
    /* Per-ring requests. */
    uint32_t index = r->request == VHU_SET_VRING_ADDR ? r->u.addr.index
                     : r->request == VHU_SET_VRING_KICK || r->request == VHU_SET_VRING_CALL ||
                             r->request == VHU_SET_VRING_ERR
                         ? r->u.vring_fd.index
                         : r->u.state.index;
    if (index >= QUEUES) {
        LOG_ERR("port %s: ring %u; a virtio-net port here has 2", p->name, index);
        return -1;
    }
    struct sw_vring *q = &p->vq[index];
    switch (r->request) {
    case VHU_SET_VRING_NUM:
        if (r->u.state.num == 0 || r->u.state.num > SW_VRING_MAX ||
            (r->u.state.num & (r->u.state.num - 1)) != 0)
            return -1;
        q->num = r->u.state.num;
        break;
    case VHU_SET_VRING_BASE:
        if (r->u.state.num > 0xffff)
            return -1;
        q->last_avail = q->used_idx = (uint16_t)r->u.state.num;
        break;
    case VHU_SET_VRING_ADDR:
        q->desc_uva = r->u.addr.desc;
        q->avail_uva = r->u.addr.avail;
        q->used_uva = r->u.addr.used;
        q->have_addr = true;
        q->broken = false;
        break;
    case VHU_SET_VRING_KICK:
        if (r->u.vring_fd.nofd)
            return -1; /* polling mode: not supported */
        if (q->kick_fd >= 0)
            close(q->kick_fd);
        q->kick_fd = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
        /* Without protocol features, the kick is what starts a ring. */
        if (!p->protocol_negotiated)
            q->enabled = true;
        break;
    case VHU_SET_VRING_CALL:
        if (q->call_fd >= 0)
            close(q->call_fd);
        q->call_fd = r->u.vring_fd.nofd ? -1 : fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
        return 0;
    case VHU_SET_VRING_ERR:
        return 0; /* the descriptor is closed by the caller; errors are logged here */
    case VHU_SET_VRING_ENABLE:
        q->enabled = r->u.state.num != 0;
        break;
    case VHU_GET_VRING_BASE: {
        /* Stops the ring: the frontend is about to take it back. */
        uint32_t state[2] = {index, q->last_avail};
        q->started = q->enabled = false;
        if (q->kick_fd >= 0)
            close(q->kick_fd);
        q->kick_fd = -1;
        memcpy(reply, state, 8);
        *reply_size = 8;
        return 0;
    }
    default:
        return -1;
    }
    if (q->num != 0 && q->have_addr && p->mem.count != 0)
        sw_vring_resolve(q, &p->mem, p->what);
    update_started(q);
    if (q->started && index == TX)
        forward_tx(p); /* frames queued before the ring ran */
    return 0;
}

static void on_message(struct port *p)
{
    uint8_t buf[VHU_HDR_SIZE + VHU_MAX_PAYLOAD];
    int fds[VHU_REQ_MAX_FDS];
    unsigned nfds = 0;
    char cbuf[CMSG_SPACE(sizeof(int) * VHU_REQ_MAX_FDS)];
    struct iovec iov = {buf, VHU_HDR_SIZE};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};

    ssize_t n = recvmsg(p->conn_fd, &mh, MSG_CMSG_CLOEXEC);
    if (n <= 0) {
        disconnect(p, n == 0 ? "closed the connection" : "failed");
        return;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (nfds < VHU_REQ_MAX_FDS)
                fds[nfds++] = fd;
            else
                close(fd);
        }
    }
    bool bad = (mh.msg_flags & MSG_CTRUNC) != 0 || n != VHU_HDR_SIZE;
    uint32_t size = 0;
    if (!bad) {
        memcpy(&size, buf + 8, 4);
        bad = size > VHU_MAX_PAYLOAD;
    }
    if (!bad && size > 0) {
        ssize_t m = recv(p->conn_fd, buf + VHU_HDR_SIZE, size, MSG_WAITALL);
        bad = m != (ssize_t)size;
    }
    struct vhu_req r;
    int dr = bad ? -STDVMM_EPROTO : vhu_req_decode(buf, VHU_HDR_SIZE + size, nfds, &r);
    uint8_t reply[16];
    uint32_t reply_size = 0;
    int hr = -1;
    if (dr == 0)
        hr = handle(p, &r, fds, reply, &reply_size);
    else if (dr == -STDVMM_ENOTSUP)
        LOG_WARN("port %s: request %u is not supported", p->name, r.request);
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    if (dr == -STDVMM_EPROTO) {
        LOG_ERR("port %s: the frontend broke the vhost-user protocol", p->name);
        disconnect(p, "was disconnected");
        return;
    }
    /* A request with a reply of its own answers; others answer only when asked (REPLY_ACK). */
    if (reply_size == 0 && r.need_reply) {
        uint64_t status = hr == 0 ? 0 : 1;
        memcpy(reply, &status, 8);
        reply_size = 8;
    } else if (reply_size == 0 && hr < 0) {
        LOG_WARN("port %s: %s failed", p->name, vhu_request_name(r.request));
    }
    if (reply_size != 0) {
        uint8_t out[VHU_HDR_SIZE + 16];
        size_t len = vhu_req_reply(r.request, reply, reply_size, out, sizeof(out));
        if (send(p->conn_fd, out, len, MSG_NOSIGNAL) != (ssize_t)len)
            disconnect(p, "did not take a reply");
    }
}

static void on_accept(struct port *p)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* The last frontend may have hung up in the same poll round: notice it first. */
    char byte;
    if (p->conn_fd >= 0 && recv(p->conn_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
        disconnect(p, "closed the connection");
    if (p->conn_fd >= 0) {
        LOG_WARN("port %s: a second frontend was refused (one at a time)", p->name);
        close(fd);
        return;
    }
    p->conn_fd = fd;
    LOG_INFO("port %s: frontend connected", p->name);
}

static int ring_deliver(void *ctx, const uint8_t *f, size_t len)
{
    struct port *d = ctx;
    bool mrg = (d->features >> VIRTIO_NET_F_MRG_RXBUF) & 1;
    return sw_vring_deliver(&d->vq[RX], &d->mem, mrg, f, len, d->what);
}

/*
 * Into the port's receive ring, behind any frames already waiting there; a
 * frame that finds no buffer waits for the guest's next refill (rx_queue.h)
 * while a frontend is connected, and is dropped otherwise.
 */
static void deliver(unsigned to, const uint8_t *f, size_t len)
{
    struct port *d = &ports[to];
    if (d->tap != NULL) {
        /* A zero virtio-net header: no checksum to finish, no segmentation (no offloads). */
        static const uint8_t hdr[SW_NET_HDR];
        struct iovec iov[2] = {{(void *)hdr, sizeof(hdr)}, {(void *)f, len}};
        if (writev(d->tap->fd, iov, 2) != (ssize_t)(sizeof(hdr) + len))
            d->rx_dropped++; /* the host does not read fast enough: a full TAP queue */
        return;
    }
    uint64_t now = now_ms();
    unsigned sent = d->rxq.count != 0 ? rxq_flush(&d->rxq, now, ring_deliver, d) : 0;
    int r = d->rxq.count == 0 ? ring_deliver(d, f, len) : 0;
    if (r == 1)
        sent++;
    else if (r == 0 && d->conn_fd >= 0)
        rxq_push(&d->rxq, f, len, now); /* a full queue counts its own drops */
    else
        d->rx_dropped++;
    if (sent != 0)
        sw_vring_notify(&d->vq[RX]);
}

static void forward_tx(struct port *p)
{
    struct sw_vring *tx = &p->vq[TX];
    unsigned ingress = (unsigned)(p - ports);
    struct sw_chain c;
    unsigned done = 0;

    while (sw_vring_pop(tx, &p->mem, false, &c, p->what) == 1) {
        /* A private copy: the guest may rewrite its buffer while the switch decides. */
        long len = sw_chain_read_frame(&c, frame, sizeof(frame));
        sw_vring_push(tx, c.head, 0);
        done++;
        if (len < 0)
            continue;
        uint64_t out = 0;
        vswitch_forward(&sw, ingress, frame, (size_t)len, now_ms(), &out);
        for (unsigned i = 0; out != 0 && i < port_count; i++)
            if (out & (1ull << i))
                deliver(i, frame, (size_t)len);
    }
    if (done != 0)
        sw_vring_notify(tx);
}

/* Frames the host sent into the uplink TAP, a burst at a time so the guests' rings get turns. */
static void on_uplink(struct port *p)
{
    static uint8_t buf[SW_NET_HDR + SW_FRAME_MAX];
    unsigned ingress = (unsigned)(p - ports);
    for (unsigned k = 0; k < 64; k++) {
        ssize_t n = read(p->tap->fd, buf, sizeof(buf));
        if (n < 0)
            return;
        if ((size_t)n < SW_NET_HDR)
            continue;
        uint64_t out = 0;
        vswitch_forward(&sw, ingress, buf + SW_NET_HDR, (size_t)n - SW_NET_HDR, now_ms(), &out);
        for (unsigned i = 0; out != 0 && i < port_count; i++)
            if (out & (1ull << i))
                deliver(i, buf + SW_NET_HDR, (size_t)n - SW_NET_HDR);
    }
}

static void on_kick(struct port *p, unsigned q)
{
    uint64_t v;
    if (read(p->vq[q].kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    if (q == TX)
        forward_tx(p);
    else if (rxq_flush(&p->rxq, now_ms(), ring_deliver, p) != 0)
        sw_vring_notify(&p->vq[RX]); /* new buffers: the frames that waited for them */
}

static bool status_row(void *ctx, const struct vswitch_row *row)
{
    vswitch_status_mac(ctx, row, ports[row->port].name);
    return true;
}

static enum vswitch_port_state port_state(const struct port *p)
{
    if (p->tap != NULL)
        return VSWITCH_PORT_UP;
    if (p->conn_fd < 0)
        return VSWITCH_PORT_DOWN;
    return p->vq[RX].started && p->vq[TX].started ? VSWITCH_PORT_UP : VSWITCH_PORT_CONNECTED;
}

static size_t status_text(void)
{
    struct vswitch_status_writer w;
    vswitch_status_begin(&w, control_reply, sizeof(control_reply), vswitch_stats(&sw));
    for (unsigned i = 0; i < port_count; i++)
        vswitch_status_port(&w, ports[i].name, port_state(&ports[i]),
                            ports[i].rx_dropped + ports[i].rxq.dropped);
    vswitch_table_walk(&sw, now_ms(), status_row, &w);
    return vswitch_status_end(&w);
}

static void control_accept(void)
{
    int fd = accept4(control_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (unsigned i = 0; i < MAX_CONTROL; i++) {
        if (control_fd[i] < 0) {
            control_fd[i] = fd;
            return;
        }
    }
    close(fd); /* a client that does not ask makes room for none: four at once is plenty */
}

/*
 * One request per connection: "status\n" gets the whole text at once (the
 * socket's buffer holds it; a client that does not read gets a cut text,
 * which its parser refuses), anything else gets "error\n". Never blocks.
 */
static void control_request(unsigned slot)
{
    char req[16];
    ssize_t n = recv(control_fd[slot], req, sizeof(req) - 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        req[n] = '\0';
        size_t len = strcmp(req, "status\n") == 0 ? status_text() : 0;
        if (len == 0) {
            static const char err[] = "error\n";
            send(control_fd[slot], err, sizeof(err) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        } else {
            send(control_fd[slot], control_reply, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
    }
    close(control_fd[slot]);
    control_fd[slot] = -1;
}

static int control_listen(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(control_path) >= sizeof(a.sun_path)) {
        LOG_ERR("--control %s: longer than a socket path may be", control_path);
        return -1;
    }
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", control_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(control_path);
    mode_t old = umask(0077);
    int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
    umask(old);
    if (r < 0 || listen(fd, MAX_CONTROL) < 0) {
        LOG_ERR("--control: cannot listen on %s: %s", control_path, strerror(errno));
        close(fd);
        return -1;
    }
    control_listen_fd = fd;
    return 0;
}

static bool print_row(void *ctx, const struct vswitch_row *row)
{
    (void)ctx;
    char mac[SPELLING_MAC_LEN];
    spelling_format_mac(row->mac.b, mac, sizeof(mac));
    fprintf(stderr, "stdvmm-switch: table: %s port %s %s\n", mac, ports[row->port].name,
            row->is_static ? "static" : "learned");
    return true;
}

static void report(void)
{
    const struct vswitch_stats *s = vswitch_stats(&sw);
    fprintf(stderr,
            "stdvmm-switch: unicast %llu flooded %llu dropped: acl %llu spoofed %llu no-dest %llu"
            " bad-src %llu runt %llu; learned %llu\n",
            (unsigned long long)s->unicast, (unsigned long long)s->flooded,
            (unsigned long long)s->drop_acl, (unsigned long long)s->drop_spoofed,
            (unsigned long long)s->drop_no_dest, (unsigned long long)s->drop_bad_src,
            (unsigned long long)s->drop_runt, (unsigned long long)s->learned);
    for (unsigned i = 0; i < port_count; i++)
        fprintf(stderr, "stdvmm-switch: port %s: %llu frames dropped for want of guest buffers\n",
                ports[i].name, (unsigned long long)(ports[i].rx_dropped + ports[i].rxq.dropped));
    vswitch_table_walk(&sw, now_ms(), print_row, NULL);
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    enum host_seccomp_mode seccomp = HOST_SECCOMP_KILL;
    host_log_set_prefix("stdvmm-switch");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            if (parse_port(argv[++i], false) < 0)
                return 2;
        } else if (strcmp(argv[i], "--uplink") == 0 && i + 1 < argc && uplink_ifname[0] == '\0') {
            if (parse_port(argv[++i], true) < 0)
                return 2;
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            const char *l = argv[++i];
            host_log_set_level(strcmp(l, "debug") == 0   ? STDVMM_LOG_DEBUG
                               : strcmp(l, "info") == 0  ? STDVMM_LOG_INFO
                               : strcmp(l, "error") == 0 ? STDVMM_LOG_ERROR
                                                         : STDVMM_LOG_WARN);
        } else if (strcmp(argv[i], "--jail") == 0 && i + 1 < argc) {
            jail_dir = argv[++i];
        } else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) {
            control_path = argv[++i];
        } else if (strcmp(argv[i], "--seccomp") == 0 && i + 1 < argc) {
            if (!host_seccomp_parse_mode(argv[++i], &seccomp)) {
                usage(stderr);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (port_count == 0) {
        usage(stderr);
        return 2;
    }
    if (vswitch_init(&sw, table, TABLE_SLOTS, MAX_AGE_MS) < 0)
        return 1;
    for (unsigned i = 0; i < port_count; i++) {
        struct port *p = &ports[i];
        p->listen_fd = p->conn_fd = -1;
        for (unsigned q = 0; q < QUEUES; q++)
            p->vq[q].kick_fd = p->vq[q].call_fd = -1;
        memcpy(p->what, "port ", 5);
        memcpy(p->what + 5, p->name, sizeof(p->name)); /* what holds "port " and any name */
        /* The host's side of the uplink may carry many MACs (a bridge, containers). */
        int r = vswitch_add_port(&sw, i, p->has_mac ? &p->mac : NULL, p->networks,
                                 p->tap != NULL ? VSWITCH_PORT_NO_ANTISPOOF : 0);
        if (r < 0) {
            LOG_ERR("port %s: %s", p->name,
                    r == -STDVMM_EEXIST ? "its MAC is another port's" : "cannot be attached");
            return 1;
        }
        if (p->tap != NULL ? net_tap_open(p->tap, "uplink", uplink_ifname) < 0 : listen_on(p) < 0)
            return 1;
    }
    if (control_path != NULL && control_listen() < 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /*
     * Every socket listens and the uplink is open: the switch needs no path
     * and no privilege any more. The jail's parent stays outside as the
     * supervisor whose pid the starter sees; this process goes on inside.
     */
    if (jail_dir != NULL) {
        struct host_jail j = {
            .dir = jail_dir, .name = "stdvmm-switch", .nofile_max = 4096, .seccomp = seccomp};
        if (host_jail_enter(&j) < 0)
            return 1;
    }
    /* Everything that needs more than the switch's list (sockets, signals) is set up. */
    if (host_sandbox_init(seccomp, 0, -1) < 0)
        return 1;
    host_sandbox_enter(HOST_THREAD_SWITCH);
    fprintf(stderr, "stdvmm-switch: %u ports on %u networks, listening\n", port_count,
            network_count);

    struct pollfd pfd[MAX_PORTS * 5 + 1 + MAX_CONTROL];
    struct {
        unsigned port, kind; /* 0 listen, 1 connection, 2 + q: kick of ring q, 4 uplink; control: */
    } who[MAX_PORTS * 5 + 1 + MAX_CONTROL];
    enum { CONTROL_LISTEN = 100, CONTROL_CONN = 101 };
    uint64_t last_age = now_ms();
    while (!stopping) {
        nfds_t n = 0;
        for (unsigned i = 0; i < port_count; i++) {
            struct port *p = &ports[i];
            int fd[5] = {p->listen_fd, p->conn_fd, p->vq[RX].started ? p->vq[RX].kick_fd : -1,
                         p->vq[TX].started ? p->vq[TX].kick_fd : -1, p->tap ? p->tap->fd : -1};
            for (unsigned k = 0; k < 5; k++) {
                if (fd[k] < 0)
                    continue;
                pfd[n] = (struct pollfd){.fd = fd[k], .events = POLLIN};
                who[n].port = i;
                who[n].kind = k;
                n++;
            }
        }
        if (control_listen_fd >= 0) {
            pfd[n] = (struct pollfd){.fd = control_listen_fd, .events = POLLIN};
            who[n++].kind = CONTROL_LISTEN;
        }
        for (unsigned c = 0; c < MAX_CONTROL; c++) {
            if (control_fd[c] < 0)
                continue;
            pfd[n] = (struct pollfd){.fd = control_fd[c], .events = POLLIN};
            who[n].port = c;
            who[n++].kind = CONTROL_CONN;
        }
        int r = poll(pfd, n, 1000);
        if (r < 0 && errno != EINTR)
            break;
        for (nfds_t k = 0; r > 0 && k < n; k++) {
            if (pfd[k].revents == 0)
                continue;
            if (who[k].kind == CONTROL_LISTEN) {
                control_accept();
                continue;
            }
            if (who[k].kind == CONTROL_CONN) {
                if (control_fd[who[k].port] == pfd[k].fd)
                    control_request(who[k].port);
                continue;
            }
            struct port *p = &ports[who[k].port];
            /* An earlier event this round may have closed or replaced the descriptor. */
            switch (who[k].kind) {
            case 0:
                on_accept(p);
                break;
            case 1:
                if (p->conn_fd == pfd[k].fd)
                    on_message(p);
                break;
            case 4:
                on_uplink(p);
                break;
            default: {
                unsigned q = who[k].kind - 2;
                if (p->vq[q].started && p->vq[q].kick_fd == pfd[k].fd)
                    on_kick(p, q);
                break;
            }
            }
        }
        if (now_ms() - last_age >= 1000) {
            last_age = now_ms();
            vswitch_age(&sw, last_age);
            for (unsigned i = 0; i < port_count; i++)
                rxq_expire(&ports[i].rxq, last_age);
        }
    }
    report();
    for (unsigned i = 0; i < port_count; i++) {
        disconnect(&ports[i], "left: the switch stops");
        if (ports[i].listen_fd >= 0)
            close(ports[i].listen_fd);
        if (ports[i].tap != NULL)
            net_tap_close(ports[i].tap);
    }
    return 0;
}
