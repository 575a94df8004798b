/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net frame handling. Transmit: [virtio_net_hdr_v1][frame] in the
 * readable part of a chain, split across descriptors as the driver likes.
 * Receive: the header and frame are written into one chain, or with
 * VIRTIO_NET_F_MRG_RXBUF into as many chains as needed, the count going
 * into the first header's num_buffers.
 */
#include "stdvmm/devices/virtio_net.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_HDR_LEN 2
#define HDR_GSO_SIZE 4
#define HDR_CSUM_START 6
#define HDR_CSUM_OFFSET 8
#define HDR_NUM_BUFFERS 10

static void net_config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_net *d = dev;
    virtio_config_copy(d->config, sizeof(d->config), offset, data, len);
}

static void net_reset(void *dev)
{
    struct virtio_net *d = dev;
    /* The worker owns the device state; it drops it the next time it runs. */
    atomic_store(&d->reset_pending, true);
}

static void net_notify(void *dev)
{
    virtio_net_process(dev);
    virtio_net_rx_flush(dev); /* frames a backend answered with at once (libslirp's DHCP) */
}

static const struct virtio_device_ops net_ops = {
    .config_read = net_config_read, .reset = net_reset, .notify = net_notify};

int virtio_net_init(struct virtio_net *d, const struct virtio_net_config *cfg)
{
    if (cfg->backend.tx == NULL) {
        LOG_ERR("virtio-net %s: no backend", cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    const char *name = cfg->slot.name ? cfg->slot.name : "?";
    if (!rate_limiter_config_valid(&cfg->limit)) {
        LOG_ERR("virtio-net %s: a rate limit needs a size and a refill time (at most an hour)",
                name);
        return -STDVMM_EINVAL;
    }
    bool limited = rate_limiter_config_active(&cfg->limit);
    if (limited && (cfg->backend.now_ns == NULL || cfg->backend.retry_after == NULL)) {
        LOG_ERR("virtio-net %s: this backend cannot rate-limit (no timer)", name);
        return -STDVMM_ENOTSUP;
    }
    memset(d, 0, sizeof(*d));
    d->backend = cfg->backend;
    d->backend.offloads &= VIRTIO_NET_OFFLOAD_FEATURES;
    d->limited = limited;
    if (limited) {
        /* Buckets live as long as the device: a driver reset does not refill them. */
        uint64_t now = d->backend.now_ns(d->backend.ctx);
        rate_limiter_init(&d->rx_limiter, &cfg->limit, now);
        rate_limiter_init(&d->tx_limiter, &cfg->limit, now);
    }
    atomic_init(&d->reset_pending, false);
    memcpy(d->config, cfg->mac, 6);
    virtio_put_le16(d->config + 6, VIRTIO_NET_S_LINK_UP);
    virtio_put_le16(d->config + 8, 1);
    struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_NET,
        .features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
                    VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | d->backend.offloads,
        .num_queues = 2,
        .queue_max = VIRTIO_NET_QUEUE_SIZE,
        .config_size = sizeof(d->config),
        /*
         * Receive buffers are taken one frame at a time, so a kick per refill
         * would mostly come while the device still has buffers; it asks for
         * one only when a frame finds the ring empty.
         */
        .quiet_queues = 1u << VIRTIO_NET_RX,
        .ops = &net_ops,
        .dev = d,
    };
    return virtio_dev_init(&d->vdev, &t);
}

const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *d)
{
    return &d->stats;
}

static void warn_once(struct virtio_net *d, const char *what, uint64_t a, uint64_t b)
{
    if (d->warned)
        return;
    d->warned = true;
    LOG_WARN("virtio-net %s: %s (0x%llx, 0x%llx); frame dropped (warning once)",
             d->vdev.cfg.slot.name, what, (unsigned long long)a, (unsigned long long)b);
}

/* Starts a driver session once DRIVER_OK is set, and forgets it after a reset. */
static bool active(struct virtio_net *d)
{
    if (atomic_exchange(&d->reset_pending, false)) {
        d->active = false;
        d->rx_waiting = false;
        d->rx_pushed = 0;
        d->tx_wait_to = 0;
    }
    if (d->active)
        return true;
    if (!virtio_dev_driver_ok(&d->vdev))
        return false;
    d->features = virtio_dev_features(&d->vdev);
    d->active = true;
    if (d->backend.set_offloads != NULL)
        d->backend.set_offloads(d->backend.ctx, d->features & d->backend.offloads);
    return true;
}

static bool has(const struct virtio_net *d, unsigned bit)
{
    return (d->features & VIRTIO_BIT(bit)) != 0;
}

/*
 * Checks the guest's header against the negotiated offloads and rewrites
 * it into the form the backend may trust: only known flags, num_buffers 0.
 */
static bool check_tx_header(struct virtio_net *d, uint8_t *h, uint64_t len)
{
    uint8_t flags = h[HDR_FLAGS];
    uint8_t gso = h[HDR_GSO_TYPE];
    uint8_t type = gso & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

    if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) {
        warn_once(d, "unknown header flags", flags, len);
        return false;
    }
    flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM; /* DATA_VALID means nothing on transmit */
    if (flags && (!has(d, VIRTIO_NET_F_CSUM) ||
                  (uint32_t)virtio_le16(h + HDR_CSUM_START) + virtio_le16(h + HDR_CSUM_OFFSET) +
                          2 >
                      len)) {
        warn_once(d, "checksum offload not negotiated or outside the frame", flags, len);
        return false;
    }
    bool ok;
    switch (type) {
    case VIRTIO_NET_HDR_GSO_NONE: ok = !(gso & VIRTIO_NET_HDR_GSO_ECN); break;
    case VIRTIO_NET_HDR_GSO_TCPV4: ok = has(d, VIRTIO_NET_F_HOST_TSO4); break;
    case VIRTIO_NET_HDR_GSO_TCPV6: ok = has(d, VIRTIO_NET_F_HOST_TSO6); break;
    default: ok = false; break;
    }
    if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !has(d, VIRTIO_NET_F_HOST_ECN))
        ok = false;
    if (ok && type != VIRTIO_NET_HDR_GSO_NONE)
        ok = flags != 0 && virtio_le16(h + HDR_GSO_SIZE) != 0 &&
             virtio_le16(h + HDR_HDR_LEN) <= len;
    if (!ok) {
        warn_once(d, "segmentation offload not negotiated or inconsistent", gso, len);
        return false;
    }
    h[HDR_FLAGS] = flags;
    virtio_put_le16(h + HDR_NUM_BUFFERS, 0);
    return true;
}

static void transmit(struct virtio_net *d, const struct virtq_chain *c)
{
    uint8_t hdr[VIRTIO_NET_HDR_SIZE];
    struct virtq_seg frame[VIRTIO_NET_TX_SEGS];
    unsigned n = 0;

    if (c->out_bytes < VIRTIO_NET_HDR_SIZE) {
        warn_once(d, "transmit chain shorter than the header", c->head, c->out_bytes);
        d->stats.tx_dropped++;
        return;
    }
    uint64_t len = c->out_bytes - VIRTIO_NET_HDR_SIZE;
    if (len < VIRTIO_NET_MIN_FRAME || len > VIRTIO_NET_MAX_FRAME) {
        warn_once(d, "frame length out of range", c->head, len);
        d->stats.tx_dropped++;
        return;
    }
    virtq_chain_read(c, 0, hdr, sizeof(hdr));
    if (!check_tx_header(d, hdr, len)) {
        d->stats.tx_dropped++;
        return;
    }
    uint64_t skip = VIRTIO_NET_HDR_SIZE;
    for (uint16_t i = 0; i < c->out_count; i++) {
        if (skip >= c->segs[i].len) {
            skip -= c->segs[i].len;
            continue;
        }
        frame[n++] = (struct virtq_seg){.host = c->segs[i].host + skip,
                                        .len = (uint32_t)(c->segs[i].len - skip)};
        skip = 0;
    }
    if (d->backend.tx(d->backend.ctx, hdr, frame, n, (size_t)len) < 0)
        d->stats.tx_dropped++;
    else
        d->stats.tx_frames++;
}

/*
 * Asks the backend to call virtio_net_process() in wait ns, unless a retry
 * already due sooner will (it checks everything again).
 */
static void retry_in(struct virtio_net *d, uint64_t now, uint64_t wait)
{
    if (!d->told_limited)
        LOG_INFO("virtio-net %s: rate limit reached, frames wait (said once)",
                 d->vdev.cfg.slot.name);
    d->told_limited = true;
    if (d->retry_at > now && d->retry_at <= now + wait)
        return;
    d->retry_at = now + wait;
    d->backend.retry_after(d->backend.ctx, wait);
}

/* 0 if the bucket admits a frame of len bytes now (and takes it), else the ns to wait. */
static uint64_t limit(struct virtio_net *d, struct rate_limiter *l, uint64_t now, uint64_t len)
{
    /* A chain's readable bytes can be anything; no frame is longer than this. */
    uint64_t max = VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME;
    uint64_t wait = rate_limiter_take(l, now, len < max ? len : max);
    if (wait != 0)
        retry_in(d, now, wait);
    return wait;
}

static unsigned transmit_all(struct virtio_net *d, uint64_t now)
{
    struct virtq_chain c;
    unsigned sent = 0;

    if (d->tx_wait_to != 0 && now < d->tx_wait_to)
        return 0; /* the retry comes then; a kick before it changes nothing */
    d->tx_wait_to = 0;
    virtq_chain_init(&c, d->tx_segs, VIRTIO_NET_TX_SEGS);
    while (virtio_dev_pop(&d->vdev, VIRTIO_NET_TX, &c) > 0) {
        if (d->limited) {
            /* Charged before the checks: a malformed frame costs the guest too. */
            uint64_t wait = limit(d, &d->tx_limiter, now, c.out_bytes);
            if (wait != 0) {
                /* Back into the ring: the driver sees it pending, as on a busy wire. */
                virtio_dev_unpop(&d->vdev, VIRTIO_NET_TX, c.generation, 1);
                d->tx_wait_to = now + wait;
                d->stats.tx_throttled++;
                break;
            }
        }
        transmit(d, &c);
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_NET_TX, &c, 0);
        sent++;
    }
    return sent;
}

void virtio_net_process(struct virtio_net *d)
{
    if (!active(d))
        return;
    uint64_t now = d->limited ? d->backend.now_ns(d->backend.ctx) : 0;
    if (d->retry_at <= now)
        d->retry_at = 0;
    if (transmit_all(d, now) != 0)
        virtio_dev_signal(&d->vdev, VIRTIO_NET_TX);
    /*
     * Any notification may mean new receive buffers, and a retry may mean
     * tokens: let a waiting backend try again.
     */
    if (d->rx_waiting) {
        d->rx_waiting = false;
        if (d->backend.rx_ready != NULL)
            d->backend.rx_ready(d->backend.ctx);
    }
}

/* Writes bytes [from, from + take) of header-then-frame at the start of chain c. */
static void copy_out(const struct virtq_chain *c, const uint8_t *hdr, const uint8_t *frame,
                     uint64_t from, uint64_t take)
{
    uint64_t at = 0;

    if (from < VIRTIO_NET_HDR_SIZE) {
        uint64_t n = VIRTIO_NET_HDR_SIZE - from < take ? VIRTIO_NET_HDR_SIZE - from : take;
        virtq_chain_write(c, 0, hdr + from, n);
        at = n;
        from += n;
        take -= n;
    }
    if (take != 0)
        virtq_chain_write(c, at, frame + (from - VIRTIO_NET_HDR_SIZE), take);
}

int virtio_net_receive(struct virtio_net *d, const uint8_t *hdr_in, const uint8_t *frame,
                       size_t len)
{
    uint8_t hdr[VIRTIO_NET_HDR_SIZE] = {0};

    if (!active(d) || !virtio_dev_queue_ready(&d->vdev, VIRTIO_NET_RX)) {
        d->stats.rx_dropped++;
        return -STDVMM_EAGAIN;
    }
    if (len > VIRTIO_NET_MAX_FRAME) {
        d->stats.rx_dropped++;
        return -STDVMM_E2BIG;
    }
    if (hdr_in != NULL)
        memcpy(hdr, hdr_in, sizeof(hdr));
    bool mrg = has(d, VIRTIO_NET_F_MRG_RXBUF);
    uint64_t need = VIRTIO_NET_HDR_SIZE + (uint64_t)len;
    uint64_t done = 0;
    uint32_t generation = 0;
    uint16_t n = 0;

    virtio_put_le16(hdr + HDR_NUM_BUFFERS, 1);
    while (done < need) {
        if (n == VIRTIO_NET_RX_CHAINS) {
            virtio_dev_unpop(&d->vdev, VIRTIO_NET_RX, generation, n);
            warn_once(d, "frame needs too many receive buffers", len, n);
            d->stats.rx_dropped++;
            return -STDVMM_E2BIG;
        }
        struct virtq_chain *c = &d->rx_chain[n];
        virtq_chain_init(c, d->rx_segs[n], VIRTIO_NET_RX_SEGS);
        int r = virtio_dev_pop(&d->vdev, VIRTIO_NET_RX, c);
        if (r <= 0) {
            if (n != 0)
                virtio_dev_unpop(&d->vdev, VIRTIO_NET_RX, generation, n);
            if (r < 0) {
                d->stats.rx_dropped++;
                return r;
            }
            d->rx_waiting = true;
            d->stats.rx_no_buffers++;
            return 0;
        }
        generation = c->generation;
        if (n == 0 && c->in_bytes < VIRTIO_NET_HDR_SIZE) {
            /* Cannot even hold a header: hand it back empty; the driver drops it. */
            warn_once(d, "receive buffer smaller than the header", c->head, c->in_bytes);
            virtio_dev_push_nosignal(&d->vdev, VIRTIO_NET_RX, c, 0);
            d->rx_pushed++;
            d->stats.rx_dropped++;
            return -STDVMM_EINVAL;
        }
        uint64_t take = c->in_bytes < need - done ? c->in_bytes : need - done;
        copy_out(c, hdr, frame, done, take);
        d->rx_len[n] = (uint32_t)take;
        done += take;
        n++;
        if (!mrg && done < need) {
            virtio_dev_unpop(&d->vdev, VIRTIO_NET_RX, generation, n);
            warn_once(d, "receive buffer smaller than the frame", len, c->in_bytes);
            d->stats.rx_dropped++;
            return -STDVMM_E2BIG;
        }
    }
    /* Charged once the frame has its buffers, so only delivered frames count. */
    if (d->limited && limit(d, &d->rx_limiter, d->backend.now_ns(d->backend.ctx), need) != 0) {
        /* As when the guest has no buffers: the backend keeps the frame. */
        virtio_dev_unpop(&d->vdev, VIRTIO_NET_RX, generation, n);
        d->rx_waiting = true;
        d->stats.rx_throttled++;
        return 0;
    }
    if (n > 1) {
        uint8_t nb[2];
        virtio_put_le16(nb, n);
        virtq_chain_write(&d->rx_chain[0], HDR_NUM_BUFFERS, nb, sizeof(nb));
    }
    for (uint16_t i = 0; i < n; i++)
        virtio_dev_push_nosignal(&d->vdev, VIRTIO_NET_RX, &d->rx_chain[i], d->rx_len[i]);
    d->rx_pushed += n;
    d->stats.rx_frames++;
    return 1;
}

void virtio_net_rx_flush(struct virtio_net *d)
{
    if (d->rx_pushed == 0)
        return;
    d->rx_pushed = 0;
    virtio_dev_signal(&d->vdev, VIRTIO_NET_RX);
}
