/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/backends/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

/* Frames read per wake-up at most, so that transmit work is not starved. */
#define RX_BURST 64

/* A rate limit's tokens are due: the device sends what waited and asks for what it can take. */
static void tap_on_timer(void *ctx)
{
    struct net_tap *t = ctx;
    if (t->dev != NULL)
        virtio_net_process(t->dev);
}

int net_tap_open(struct net_tap *t, const char *dev, const char *ifname)
{
    struct ifreq ifr;
    int hdr = VIRTIO_NET_HDR_SIZE;

    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", ifname);
    snprintf(t->setting, sizeof(t->setting), "%s", dev);
    host_loop_timer_init(&t->timer, t->name, tap_on_timer, t);
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        int e = errno;
        LOG_ERR("net '%s' (tap %s): cannot open /dev/net/tun: %s", dev, ifname, strerror(e));
        return -e;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        LOG_ERR("net '%s' (tap %s): TUNSETIFF: %s%s", dev, ifname, strerror(e),
                e == EPERM   ? " (creating or attaching a TAP needs CAP_NET_ADMIN, or a "
                               "persistent TAP owned by this user)"
                : e == EBUSY ? " (another process has it open)"
                             : "");
        close(t->fd);
        t->fd = -1;
        return -e;
    }
    /* The 12-byte header of VIRTIO_F_VERSION_1 devices, so no conversion is needed. */
    if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        int e = errno;
        LOG_ERR("net '%s' (tap %s): TUNSETVNETHDRSZ: %s", dev, ifname, strerror(e));
        close(t->fd);
        t->fd = -1;
        return -e;
    }
    t->offload_ok = ioctl(t->fd, TUNSETOFFLOAD, 0) == 0;
    if (!t->offload_ok)
        LOG_INFO("net '%s' (tap %s): no offloads (TUNSETOFFLOAD: %s)", dev, ifname,
                 strerror(errno));
    return 0;
}

static int tap_tx(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
                  size_t len)
{
    struct net_tap *t = ctx;
    struct iovec iov[VIRTIO_NET_TX_SEGS + 1];

    (void)len;
    if (count > VIRTIO_NET_TX_SEGS)
        return -STDVMM_EINVAL;
    /* The device's checked copy of the header, never the guest's live one. */
    iov[0] = (struct iovec){.iov_base = (void *)hdr, .iov_len = VIRTIO_NET_HDR_SIZE};
    for (unsigned i = 0; i < count; i++)
        iov[i + 1] = (struct iovec){.iov_base = segs[i].host, .iov_len = segs[i].len};
    for (;;) {
        ssize_t n = writev(t->fd, iov, (int)count + 1);
        if (n >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (!t->warned && errno != EAGAIN)
            LOG_WARN("net '%s' (tap %s): write: %s (warning once)", t->setting, t->name,
                     strerror(errno));
        t->warned = t->warned || errno != EAGAIN;
        return -STDVMM_EIO;
    }
}

static void tap_set_offloads(void *ctx, uint64_t features)
{
    net_tap_set_offloads(ctx, features);
}

void net_tap_set_offloads(struct net_tap *t, uint64_t features)
{
    unsigned flags = 0;

    if (!t->offload_ok)
        return;
    /* What the guest accepts on receive decides what the TAP may hand us. */
    if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)) {
        flags |= TUN_F_CSUM;
        if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
            flags |= TUN_F_TSO4;
        if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
            flags |= TUN_F_TSO6;
        if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) &&
            (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)))
            flags |= TUN_F_TSO_ECN;
    }
    if (ioctl(t->fd, TUNSETOFFLOAD, flags) < 0)
        LOG_WARN("net '%s' (tap %s): TUNSETOFFLOAD 0x%x: %s", t->setting, t->name, flags,
                 strerror(errno));
}

/* Hands the frame in t->buf to the guest; false when it has no buffers (keep it). */
static bool deliver(struct net_tap *t, size_t n)
{
    if (n < VIRTIO_NET_HDR_SIZE)
        return true; /* nothing sensible: drop */
    int r = virtio_net_receive(t->dev, t->buf, t->buf + VIRTIO_NET_HDR_SIZE,
                               n - VIRTIO_NET_HDR_SIZE);
    if (r == 0) {
        t->pending = n;
        host_loop_set_events(t->loop, t->fd, 0); /* stop reading until buffers come */
        return false;
    }
    return true;
}

static void on_readable(void *ctx, int fd, short revents)
{
    struct net_tap *t = ctx;

    (void)revents;
    if (t->pending != 0) {
        size_t n = t->pending;
        t->pending = 0;
        if (!deliver(t, n)) {
            virtio_net_rx_flush(t->dev);
            return;
        }
    }
    for (int i = 0; i < RX_BURST; i++) {
        ssize_t n = read(fd, t->buf, sizeof(t->buf));
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR && !t->warned) {
                LOG_WARN("net '%s' (tap %s): read: %s (warning once)", t->setting, t->name,
                         strerror(errno));
                t->warned = true;
            }
            break;
        }
        if (!deliver(t, (size_t)n))
            break;
        /*
         * Each frame, not each burst: the guest starts on the first frame
         * while the rest are copied, and a 64 KiB TSO frame's copy is long.
         * It costs a load of used_event while the guest polls with
         * interrupts off, so a burst still interrupts about once.
         */
        virtio_net_rx_flush(t->dev);
    }
    virtio_net_rx_flush(t->dev);
}

static void tap_rx_ready(void *ctx)
{
    struct net_tap *t = ctx;
    host_loop_set_events(t->loop, t->fd, POLLIN);
    if (t->pending != 0)
        on_readable(t, t->fd, POLLIN);
}

static uint64_t tap_now_ns(void *ctx)
{
    (void)ctx;
    return host_clock_monotonic_ns();
}

static void tap_retry_after(void *ctx, uint64_t ns)
{
    struct net_tap *t = ctx;
    host_loop_timer_arm(&t->timer, t->loop, ns);
}

struct virtio_net_backend net_tap_backend(struct net_tap *t)
{
    return (struct virtio_net_backend){
        .tx = tap_tx,
        .rx_ready = tap_rx_ready,
        .set_offloads = tap_set_offloads,
        .now_ns = tap_now_ns,
        .retry_after = tap_retry_after,
        .offloads = t->offload_ok ? VIRTIO_NET_OFFLOAD_FEATURES : 0,
        .ctx = t,
    };
}

int net_tap_attach(struct net_tap *t, struct virtio_net *dev, struct host_loop *loop)
{
    t->dev = dev;
    t->loop = loop;
    t->pending = 0;
    if (t->offload_ok)
        ioctl(t->fd, TUNSETOFFLOAD, 0); /* until this boot's driver says otherwise */
    return host_loop_add(loop, t->fd, POLLIN, on_readable, t);
}

void net_tap_detach(struct net_tap *t)
{
    host_loop_timer_close(&t->timer);
    t->dev = NULL;
    t->loop = NULL;
}

void net_tap_close(struct net_tap *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}
