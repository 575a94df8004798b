/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (VirtIO 1.2 §5.1): one receive and one transmit queue, a MAC
 * address, link status, mergeable receive buffers, and the checksum and
 * TSO offloads when the backend can carry them (a TAP device with a vnet
 * header can; libslirp cannot).
 *
 * The device checks the guest's virtio_net_hdr (copied out of guest memory
 * first) and hands the backend that checked copy plus the frame's buffers;
 * the backend gives received frames to virtio_net_receive(), which fills
 * the guest's receive buffers. Everything here runs on the device's host
 * worker thread, where the backend also lives.
 */
#ifndef STDVMM_DEVICES_VIRTIO_NET_H
#define STDVMM_DEVICES_VIRTIO_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/rate_limiter.h"
#include "stdvmm/devices/virtio_device.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* The offloads a backend may support, as VIRTIO_NET_F_* bits. */
#define VIRTIO_NET_OFFLOAD_FEATURES                                                                \
    (VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |                         \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                   \
     VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |                     \
     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))

/* struct virtio_net_hdr_v1: the header in front of every frame, both ways. */
#define VIRTIO_NET_HDR_SIZE 12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RX 0
#define VIRTIO_NET_TX 1
/*
 * Entries per queue offered (QueueNumMax; Linux takes all of them). With TSO
 * a received frame is up to 64 KiB in the driver's page-sized mergeable
 * buffers, 16 per frame: 1024 hold a TAP burst of 64 such frames, where 256
 * ran dry mid-burst and the device waited for the refill (docs/bench-io.md).
 */
#define VIRTIO_NET_QUEUE_SIZE 1024
/* A TSO frame is at most 64 KiB of IP plus its Ethernet and VLAN headers. */
#define VIRTIO_NET_MAX_FRAME (65535 + 14 + 4)
#define VIRTIO_NET_MIN_FRAME 14
#define VIRTIO_NET_TX_SEGS 64   /* Linux uses at most MAX_SKB_FRAGS + 2 */
#define VIRTIO_NET_RX_SEGS 32   /* "big packets" chains are MAX_SKB_FRAGS + 2 */
#define VIRTIO_NET_RX_CHAINS 64 /* mergeable buffers one frame may take */

struct virtio_net_backend {
    /*
     * Sends one frame. hdr is the device's checked copy of the guest's
     * header (VIRTIO_NET_HDR_SIZE bytes; offloads only as negotiated),
     * segs the frame itself (len bytes, no header). 0 or negative: dropped.
     */
    int (*tx)(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
              size_t len);
    /* The guest posted receive buffers after virtio_net_receive() found none. */
    void (*rx_ready)(void *ctx);
    /* The guest accepted these offloads (VIRTIO_NET_F_* bits of offloads below). */
    void (*set_offloads)(void *ctx, uint64_t features);
    uint64_t offloads; /* VIRTIO_NET_OFFLOAD_FEATURES bits the backend supports */
    /*
     * Needed only with a rate limit: the monotonic time in ns, and a request
     * to call virtio_net_process() again in ns nanoseconds (replacing any
     * earlier such request).
     */
    uint64_t (*now_ns)(void *ctx);
    void (*retry_after)(void *ctx, uint64_t ns);
    void *ctx;
};

struct virtio_net_config {
    struct virtio_slot slot;
    uint8_t mac[6];
    /*
     * Frame bytes and frames the guest may send, and receive, each direction
     * with buckets of its own from this one setting (Cloud Hypervisor's
     * model); zeros: no limit.
     */
    struct rate_limiter_config limit;
    struct virtio_net_backend backend;
};

struct virtio_net_stats {
    uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped, rx_no_buffers;
    uint64_t tx_throttled, rx_throttled; /* times a rate limit made a frame wait */
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_net {
    struct virtio_dev vdev;
    struct virtio_net_backend backend;
    uint8_t config[10]; /* mac[6], le16 status, le16 max_virtqueue_pairs */
    atomic_bool reset_pending;
    bool active;        /* features applied to the backend for this driver session */
    uint64_t features;  /* negotiated, while active */
    bool rx_waiting;    /* a receive found no buffers: tell the backend when some come */
    unsigned rx_pushed; /* pushed since the last signal */
    bool warned;
    bool limited;
    bool told_limited;   /* the first wait was logged */
    uint64_t tx_wait_to; /* a transmit waits for its bucket until then (ns); 0: none */
    uint64_t retry_at;   /* the backend's retry is due then (ns); 0: none asked */
    struct rate_limiter rx_limiter, tx_limiter;
    struct virtio_net_stats stats;
    struct virtq_seg tx_segs[VIRTIO_NET_TX_SEGS];
    struct virtq_chain rx_chain[VIRTIO_NET_RX_CHAINS];
    struct virtq_seg rx_segs[VIRTIO_NET_RX_CHAINS][VIRTIO_NET_RX_SEGS];
    uint32_t rx_len[VIRTIO_NET_RX_CHAINS];
};

int virtio_net_init(struct virtio_net *d, const struct virtio_net_config *cfg);
/*
 * Host worker: a queue was notified (transmit, or new receive buffers), or
 * the backend's retry_after() time came.
 */
void virtio_net_process(struct virtio_net *d);
/*
 * Backend: one received frame (hdr: the backend's virtio_net_hdr, or NULL
 * for a plain frame). 1 delivered; 0 the guest has no buffers now, or the
 * receive rate limit says wait (keep the frame, wait for rx_ready);
 * negative: dropped (too big, not ready).
 */
int virtio_net_receive(struct virtio_net *d, const uint8_t *hdr, const uint8_t *frame,
                       size_t len);
/* Backend: end of a burst of receives; interrupts the guest once if it wants one. */
void virtio_net_rx_flush(struct virtio_net *d);
const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *d);

#endif
