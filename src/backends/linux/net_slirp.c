/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/backends/net_slirp.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#if STDVMM_HAVE_LIBSLIRP

#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <sys/socket.h>

bool net_slirp_available(void)
{
    return true;
}

static int64_t clock_ns(void *opaque)
{
    struct timespec ts;
    (void)opaque;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Hands queued frames to the guest in order until it takes no more. */
static void rx_drain(struct net_slirp *s)
{
    while (s->rxq_count != 0 && s->dev != NULL) {
        unsigned i = s->rxq_head;
        if (virtio_net_receive(s->dev, NULL, s->rxq[i], s->rxq_len[i]) == 0)
            return; /* rx_ready comes when it can take more */
        s->rxq_head = (i + 1) % NET_SLIRP_RX_QUEUE;
        s->rxq_count--;
    }
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_slirp *s = opaque;
    if (s->dev == NULL)
        return (ssize_t)len;
    rx_drain(s);
    if (s->rxq_count == 0 && virtio_net_receive(s->dev, NULL, buf, len) != 0)
        return (ssize_t)len; /* delivered, or refused for good (too big, not ready) */
    /* Keep it behind the others; past the queue it is a drop, which TCP recovers from. */
    if (s->rxq_count < NET_SLIRP_RX_QUEUE && len <= NET_SLIRP_RX_FRAME) {
        unsigned i = (s->rxq_head + s->rxq_count) % NET_SLIRP_RX_QUEUE;
        memcpy(s->rxq[i], buf, len);
        s->rxq_len[i] = (uint16_t)len;
        s->rxq_count++;
    }
    return (ssize_t)len;
}

static void rx_ready(void *ctx)
{
    struct net_slirp *s = ctx;
    rx_drain(s);
    if (s->dev != NULL)
        virtio_net_rx_flush(s->dev);
}

static void on_retry(void *ctx)
{
    struct net_slirp *s = ctx;
    if (s->dev != NULL)
        virtio_net_process(s->dev); /* calls rx_ready() if a received frame waited */
}

static uint64_t now_ns(void *ctx)
{
    return (uint64_t)clock_ns(ctx);
}

static void retry_after(void *ctx, uint64_t ns)
{
    struct net_slirp *s = ctx;
    host_loop_timer_arm(&s->retry, s->loop, ns);
}

static void guest_error(const char *msg, void *opaque)
{
    struct net_slirp *s = opaque;
    if (!s->warned)
        LOG_WARN("net '%s' (user): guest error: %s (warning once)", s->name, msg);
    s->warned = true;
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct net_slirp *s = opaque;
    for (unsigned i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
        struct net_slirp_timer *t = &s->timers[i];
        if (!t->used) {
            *t = (struct net_slirp_timer){.used = true, .id = (int)id, .cb_opaque = cb_opaque};
            return t;
        }
    }
    LOG_ERR("net '%s' (user): libslirp wants more than %d timers", s->name, NET_SLIRP_MAX_TIMERS);
    return NULL;
}

static void timer_free(void *timer, void *opaque)
{
    (void)opaque;
    if (timer != NULL)
        ((struct net_slirp_timer *)timer)->used = false;
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    if (timer == NULL)
        return;
    struct net_slirp_timer *t = timer;
    t->expire_ms = expire_ms;
    t->armed = true;
}

static void no_fd_op(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void notify(void *opaque)
{
    (void)opaque; /* libslirp runs on the loop thread itself: nothing to wake */
}

static const SlirpCb callbacks = {
    .send_packet = send_packet,
    .guest_error = guest_error,
    .clock_get_ns = clock_ns,
    .timer_free = timer_free,
    .timer_mod = timer_mod,
    .register_poll_fd = no_fd_op,
    .unregister_poll_fd = no_fd_op,
    .notify = notify,
    .timer_new_opaque = timer_new_opaque,
};

static struct in_addr in_addr_of(const uint8_t a[4])
{
    return (struct in_addr){
        .s_addr = htonl((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3])};
}

int net_slirp_open(struct net_slirp *s, const char *name, const struct spelling_hostfwd *fwds,
                   unsigned fwd_count, bool restricted)
{
    SlirpConfig cfg = {.version = 4};

    memset(s, 0, sizeof(*s));
    s->name = name;
    host_loop_timer_init(&s->retry, name, on_retry, s);
    cfg.in_enabled = true;
    cfg.restricted = restricted;
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.vhostname = "stdvmm";
    cfg.if_mtu = 1500;
    cfg.if_mru = 1500;
    s->slirp = slirp_new(&cfg, &callbacks, s);
    if (s->slirp == NULL) {
        LOG_ERR("net '%s' (user): libslirp could not create the user network", name);
        return -STDVMM_ENOMEM;
    }
    for (unsigned i = 0; i < fwd_count; i++) {
        const struct spelling_hostfwd *f = &fwds[i];
        if (slirp_add_hostfwd(s->slirp, f->udp, in_addr_of(f->host_addr), f->host_port,
                              in_addr_of(f->guest_addr), f->guest_port) < 0) {
            char text[SPELLING_HOSTFWD_LEN];
            spelling_format_hostfwd(f, text, sizeof(text));
            LOG_ERR("net '%s' (user): hostfwd=%s: cannot listen on the host's side (port in use, or "
                    "not an address of this host?)",
                    name, text);
            net_slirp_close(s);
            return -STDVMM_EBUSY;
        }
    }
    return 0;
}

/*
 * Whether a guest frame may make libslirp open a host socket: a TCP SYN,
 * a UDP datagram (DHCP's, to port 67, is answered inside libslirp), an
 * ICMP or ICMPv6 echo request. Read from the copied frame, bounds-checked.
 */
static bool opens_a_socket(const uint8_t *e, size_t len)
{
    size_t l4;
    uint8_t proto;

    if (len < 14)
        return false;
    uint16_t type = (uint16_t)(e[12] << 8 | e[13]);
    if (type == 0x0800 && len >= 14 + 20) {
        l4 = 14 + (size_t)(e[14] & 0x0f) * 4;
        proto = e[14 + 9];
    } else if (type == 0x86dd && len >= 14 + 40) {
        l4 = 14 + 40; /* extension headers: libslirp takes none */
        proto = e[14 + 6];
    } else {
        return false;
    }
    switch (proto) {
    case 6: /* TCP: SYN without ACK */
        return len >= l4 + 14 && (e[l4 + 13] & 0x12) == 0x02;
    case 17: /* UDP */
        return len >= l4 + 4 && (e[l4 + 2] << 8 | e[l4 + 3]) != 67;
    case 1: /* ICMP echo request */
        return len >= l4 + 1 && e[l4] == 8;
    case 58: /* ICMPv6 echo request */
        return len >= l4 + 1 && e[l4] == 128;
    default:
        return false;
    }
}

/*
 * libslirp's sockets, from its own connection list (one line each after a
 * heading). It has no cheaper way to say; counted at most every 100 ms,
 * with each flow let through in between counted as one more.
 */
static void count_sockets(struct net_slirp *s)
{
    uint64_t now = (uint64_t)clock_ns(NULL);
    if (s->counted_ns != 0 && now - s->counted_ns < 100000000u)
        return;
    char *info = slirp_connection_info(s->slirp);
    unsigned lines = 0;
    for (const char *p = info; p != NULL && *p != '\0'; p++)
        lines += *p == '\n';
    free(info);
    s->sockets = lines > 0 ? lines - 1 : 0;
    s->counted_ns = now;
}

static int tx(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
              size_t len)
{
    struct net_slirp *s = ctx;
    size_t at = 0;

    (void)hdr; /* no offloads were offered: the header says nothing here */
    for (unsigned i = 0; i < count && at < len; i++) {
        size_t n = segs[i].len < len - at ? segs[i].len : len - at;
        memcpy(s->frame + at, segs[i].host, n);
        at += n;
    }
    if (opens_a_socket(s->frame, at)) {
        count_sockets(s);
        if (s->sockets >= NET_SLIRP_MAX_SOCKETS) {
            if (!s->full_warned)
                LOG_WARN("net '%s' (user): the guest holds %d host sockets; new connections "
                         "are dropped until some close",
                         s->name, NET_SLIRP_MAX_SOCKETS);
            s->full_warned = true;
            s->refused++;
            return 0;
        }
        s->sockets++; /* counted until the next round counts it for real */
    }
    slirp_input(s->slirp, s->frame, (int)at);
    return 0;
}

struct virtio_net_backend net_slirp_backend(struct net_slirp *s)
{
    return (struct virtio_net_backend){.tx = tx,
                                       .rx_ready = rx_ready,
                                       .now_ns = now_ns,
                                       .retry_after = retry_after,
                                       .offloads = 0,
                                       .ctx = s};
}

static bool listening(int fd)
{
    int on = 0;
    socklen_t len = sizeof(on);
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on != 0;
}

static int add_poll(int fd, int events, void *opaque)
{
    struct net_slirp *s = opaque;
    short ev = 0;

    /* At the bound a forward accepts nothing: its listening socket waits unpolled. */
    if (s->sockets >= NET_SLIRP_MAX_SOCKETS && listening(fd))
        return -1;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    return host_loop_poll_fd(s->loop, fd, ev);
}

static int get_revents(int idx, void *opaque)
{
    struct net_slirp *s = opaque;
    short re = host_loop_revents(s->loop, idx);
    int out = 0;
    if (re & POLLIN)
        out |= SLIRP_POLL_IN;
    if (re & POLLOUT)
        out |= SLIRP_POLL_OUT;
    if (re & POLLPRI)
        out |= SLIRP_POLL_PRI;
    if (re & (POLLERR | POLLNVAL))
        out |= SLIRP_POLL_ERR;
    if (re & POLLHUP)
        out |= SLIRP_POLL_HUP;
    return out;
}

static void prepare(void *ctx, struct host_loop *l, int *timeout_ms)
{
    struct net_slirp *s = ctx;
    uint32_t t = UINT32_MAX;
    int64_t now = clock_ns(NULL) / 1000000;

    (void)l;
    count_sockets(s);
    slirp_pollfds_fill(s->slirp, &t, add_poll, s);
    for (unsigned i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
        const struct net_slirp_timer *tm = &s->timers[i];
        if (tm->used && tm->armed) {
            int64_t left = tm->expire_ms - now;
            if (left < 0)
                left = 0;
            if ((uint64_t)left < t)
                t = (uint32_t)left;
        }
    }
    if (t != UINT32_MAX && (*timeout_ms < 0 || t < (uint32_t)*timeout_ms))
        *timeout_ms = t > 60000 ? 60000 : (int)t;
}

static void dispatch(void *ctx, struct host_loop *l)
{
    struct net_slirp *s = ctx;
    int64_t now = clock_ns(NULL) / 1000000;

    (void)l;
    slirp_pollfds_poll(s->slirp, 0, get_revents, s);
    for (unsigned i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
        struct net_slirp_timer *tm = &s->timers[i];
        if (tm->used && tm->armed && tm->expire_ms <= now) {
            tm->armed = false;
            slirp_handle_timer(s->slirp, (SlirpTimerId)tm->id, tm->cb_opaque);
        }
    }
    if (s->dev != NULL)
        virtio_net_rx_flush(s->dev);
}

int net_slirp_attach(struct net_slirp *s, struct virtio_net *dev, struct host_loop *loop)
{
    struct host_loop_hook hook = {.prepare = prepare, .dispatch = dispatch, .ctx = s};
    s->dev = dev;
    s->loop = loop;
    return host_loop_add_hook(loop, &hook);
}

void net_slirp_detach(struct net_slirp *s)
{
    host_loop_timer_close(&s->retry);
    s->rxq_count = 0; /* frames for the old boot's driver */
    s->dev = NULL;
    s->loop = NULL;
}

void net_slirp_close(struct net_slirp *s)
{
    if (s->refused != 0)
        LOG_INFO("net '%s' (user): %llu frames dropped at the bound of %d host sockets", s->name,
                 (unsigned long long)s->refused, NET_SLIRP_MAX_SOCKETS);
    if (s->slirp != NULL)
        slirp_cleanup(s->slirp);
    s->slirp = NULL;
}

#else /* !STDVMM_HAVE_LIBSLIRP */

bool net_slirp_available(void)
{
    return false;
}

int net_slirp_open(struct net_slirp *s, const char *name, const struct spelling_hostfwd *fwds,
                   unsigned fwd_count, bool restricted)
{
    (void)fwds;
    (void)fwd_count;
    (void)restricted;
    memset(s, 0, sizeof(*s));
    LOG_ERR("net '%s' (user): this stdvmm was built without libslirp (Debian: libslirp-dev); "
            "use a TAP interface instead",
            name);
    return -STDVMM_ENOTSUP;
}

struct virtio_net_backend net_slirp_backend(struct net_slirp *s)
{
    (void)s;
    return (struct virtio_net_backend){0};
}

int net_slirp_attach(struct net_slirp *s, struct virtio_net *dev, struct host_loop *loop)
{
    (void)s;
    (void)dev;
    (void)loop;
    return -STDVMM_ENOTSUP;
}

void net_slirp_detach(struct net_slirp *s)
{
    (void)s;
}

void net_slirp_close(struct net_slirp *s)
{
    (void)s;
}

#endif
