/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net: transmit header checks, receive into one or several buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"

#define RXQ VIRTIO_NET_RX
#define TXQ VIRTIO_NET_TX

struct fixture {
    struct td d;
    struct virtio_net net;
    struct virtio_mmio t;
    unsigned sent;
    uint8_t last_hdr[VIRTIO_NET_HDR_SIZE];
    uint8_t last_frame[VIRTIO_NET_MAX_FRAME];
    size_t last_len;
    unsigned rx_ready;
    uint64_t offloads;
    uint64_t now;      /* the fake clock, ns */
    unsigned retries;  /* retry_after() calls */
    uint64_t retry_ns; /* the last one's wait */
};

static int fake_tx(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
                   size_t len)
{
    struct fixture *f = ctx;
    size_t at = 0;
    memcpy(f->last_hdr, hdr, VIRTIO_NET_HDR_SIZE);
    for (unsigned i = 0; i < count; i++) {
        memcpy(f->last_frame + at, segs[i].host, segs[i].len);
        at += segs[i].len;
    }
    assert_int_equal(at, len);
    f->last_len = len;
    f->sent++;
    return 0;
}

static void fake_rx_ready(void *ctx)
{
    ((struct fixture *)ctx)->rx_ready++;
}

static void fake_offloads(void *ctx, uint64_t features)
{
    ((struct fixture *)ctx)->offloads = features;
}

static uint64_t fake_now(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static void fake_retry(void *ctx, uint64_t ns)
{
    struct fixture *f = ctx;
    f->retries++;
    f->retry_ns = ns;
}

/* ring: the transport features the driver takes (TD_FEATURES_ALL, or fewer). */
static int setup_device(void **state, uint64_t ring, uint64_t features,
                        const struct rate_limiter_config *limit, uint16_t num)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_net_config cfg = {
        .slot = td_slot(&f->d, "net0"),
        .mac = {0x02, 1, 2, 3, 4, 5},
        .backend = {.tx = fake_tx,
                    .rx_ready = fake_rx_ready,
                    .set_offloads = fake_offloads,
                    .offloads = VIRTIO_NET_OFFLOAD_FEATURES,
                    .now_ns = fake_now,
                    .retry_after = fake_retry,
                    .ctx = f},
    };
    if (limit != NULL)
        cfg.limit = *limit;
    f->now = 7000000000ull;
    if (virtio_net_init(&f->net, &cfg) != 0 || virtio_mmio_init(&f->t, &f->net.vdev) != 0)
        return -1;
    /* num 0: the rings as large as the device offers, as Linux's virtio_mmio sizes them. */
    if (num == 0)
        num = (uint16_t)td_r32(&f->t, VIRTIO_MMIO_QUEUE_NUM_MAX);
    td_start(&f->d, &f->t, 2, num, ring | features);
    *state = f;
    return 0;
}

static int setup_with_limit(void **state, uint64_t features,
                            const struct rate_limiter_config *limit)
{
    return setup_device(state, TD_FEATURES_ALL, features, limit, 64);
}

static int setup_with(void **state, uint64_t features)
{
    return setup_with_limit(state, features, NULL);
}

/* Two frames per 10 ms, and 2000 bytes (header included) per 10 ms. */
static int setup_limited(void **state)
{
    struct rate_limiter_config limit = {.bytes = {.size = 2000, .refill_ms = 10},
                                        .ops = {.size = 2, .refill_ms = 10}};
    return setup_with_limit(state, VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), &limit);
}

static int setup(void **state)
{
    return setup_with(state, VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
}

static int setup_offloads(void **state)
{
    return setup_with(state, VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
                                 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
                                 VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
}

/* The same driver without VIRTIO_F_EVENT_IDX: the used ring's NO_NOTIFY flag does the asking. */
static int setup_flags(void **state)
{
    return setup_device(state, VIRTIO_BIT(VIRTIO_F_VERSION_1), VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF),
                        NULL, 64);
}

/* Linux's receive set-up: mergeable buffers, EVENT_IDX, rings of QueueNumMax entries. */
static int setup_max_rings(void **state)
{
    return setup_device(state, TD_FEATURES_ALL,
                        VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), NULL, 0);
}

static int setup_small(void **state)
{
    return setup_with(state, VIRTIO_BIT(VIRTIO_NET_F_MAC));
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f);
    return 0;
}

/* A frame of len bytes after a header, split after split bytes. */
static void tx_frame(struct fixture *f, uint16_t first, const uint8_t hdr[12], uint32_t len,
                     uint32_t split)
{
    uint64_t buf = TD_DATA + 0x20000ull * first;
    memcpy(td_ptr(&f->d, buf), hdr, 12);
    for (uint32_t i = 0; i < len; i++)
        *td_ptr(&f->d, buf + 12 + i) = (uint8_t)i;
    td_desc(&f->d, TXQ, first, buf, split, VIRTQ_DESC_F_NEXT, (uint16_t)(first + 1));
    td_desc(&f->d, TXQ, (uint16_t)(first + 1), buf + split, 12 + len - split, 0, 0);
    td_avail(&f->d, TXQ, first);
}

static void mac_in_config(void **state)
{
    struct fixture *f = *state;
    uint8_t mac[6];
    for (int i = 0; i < 6; i++)
        virtio_mmio_read(&f->t, VIRTIO_MMIO_CONFIG + (uint64_t)i, &mac[i], 1);
    assert_memory_equal(mac, ((uint8_t[]){0x02, 1, 2, 3, 4, 5}), 6);
}

static void transmit_plain_frame(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[12] = {0};
    hdr[10] = 0x55; /* num_buffers from the guest: never passed on */
    tx_frame(f, 0, hdr, 60, 5); /* header split across descriptors */
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 1);
    assert_int_equal(f->last_len, 60);
    assert_int_equal(f->last_frame[59], 59);
    assert_int_equal(f->last_hdr[10], 0);
    assert_int_equal(td_used_idx(&f->d, TXQ), 1);
    assert_int_equal(f->offloads, 0); /* no offload negotiated */
}

static void transmit_rejects_bad_headers(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[12] = {0};
    tx_frame(f, 0, hdr, 10, 4); /* shorter than an Ethernet header */
    hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM; /* CSUM not negotiated */
    tx_frame(f, 2, hdr, 60, 12);
    hdr[0] = 0;
    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4; /* TSO not negotiated */
    tx_frame(f, 4, hdr, 60, 12);
    hdr[1] = 0x33; /* unknown GSO type */
    tx_frame(f, 6, hdr, 60, 12);
    hdr[1] = 0;
    hdr[0] = 0x80; /* unknown flag */
    tx_frame(f, 8, hdr, 60, 12);
    /* Only the header, no frame at all. */
    td_desc(&f->d, TXQ, 10, TD_DATA, 6, 0, 0);
    td_avail(&f->d, TXQ, 10);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 0);
    assert_int_equal(td_used_idx(&f->d, TXQ), 6); /* all returned to the guest */
    assert_int_equal(virtio_net_stats(&f->net)->tx_dropped, 6);
}

static void transmit_offloads_when_negotiated(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[12] = {VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID,
                       VIRTIO_NET_HDR_GSO_TCPV4};
    virtio_put_le16(hdr + 2, 54);   /* hdr_len */
    virtio_put_le16(hdr + 4, 1448); /* gso_size */
    virtio_put_le16(hdr + 6, 34);   /* csum_start */
    virtio_put_le16(hdr + 8, 16);   /* csum_offset */
    tx_frame(f, 0, hdr, 3000, 12);
    virtio_put_le16(hdr + 6, 2990); /* checksum field past the end */
    tx_frame(f, 2, hdr, 3000, 12);
    virtio_put_le16(hdr + 6, 34);
    hdr[1] = VIRTIO_NET_HDR_GSO_TCPV6; /* TSO6 not negotiated */
    tx_frame(f, 4, hdr, 3000, 12);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 1);
    assert_int_equal(f->last_hdr[0], VIRTIO_NET_HDR_F_NEEDS_CSUM); /* DATA_VALID cleared */
    assert_int_equal(f->last_hdr[1], VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(virtio_net_stats(&f->net)->tx_dropped, 2);
    assert_true(f->offloads & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
    assert_false(f->offloads & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
}

static void post_rx(struct fixture *f, uint16_t i, uint32_t len)
{
    td_desc(&f->d, RXQ, i, TD_DATA + 0x4000ull * i, len, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, RXQ, i);
}

static void receive_merges_buffers(void **state)
{
    struct fixture *f = *state;
    static uint8_t frame[3000];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7);
    for (uint16_t i = 0; i < 4; i++)
        post_rx(f, i, 1500);
    virtio_net_process(&f->net); /* start the session */
    unsigned before = f->d.interrupts;
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(f->d.interrupts, before); /* not before the flush */
    virtio_net_rx_flush(&f->net);
    assert_int_equal(f->d.interrupts, before + 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 3);
    assert_int_equal(virtio_le16(td_ptr(&f->d, TD_DATA + 10)), 3); /* num_buffers */
    uint32_t id, len;
    td_used_elem(&f->d, RXQ, 2, &id, &len);
    assert_int_equal(len, 12); /* 3012 bytes = 1500 + 1500 + 12 */
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 12), frame, 1488);
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 0x4000), frame + 1488, 1500);
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 0x8000), frame + 2988, 12);
}

static void receive_without_buffers_waits(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[100] = {1};
    post_rx(f, 0, 64); /* not enough for the frame: given back */
    virtio_net_process(&f->net);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 0);
    assert_int_equal(td_used_idx(&f->d, RXQ), 0);
    assert_int_equal(f->rx_ready, 0);
    /* The driver must notify when it adds the next buffer (event idx): at index 1. */
    assert_int_equal(td_avail_event(&f->d, RXQ), 1);
    post_rx(f, 1, 1500);
    virtio_net_process(&f->net); /* the guest's notification */
    assert_int_equal(f->rx_ready, 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 2); /* both buffers, in order */
}

/* The driver's side of VirtIO 1.2 §2.7.10: must it notify after moving avail idx old -> new? */
static bool driver_must_kick(struct fixture *f, uint16_t old, uint16_t new_idx)
{
    if (f->net.features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX)) {
        uint16_t event = td_avail_event(&f->d, RXQ);
        return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
    }
    return !(virtio_le16(td_ptr(&f->d, f->d.q[RXQ].used)) & VIRTQ_USED_F_NO_NOTIFY);
}

/* Adds buffer i (1500 bytes) as the driver does: true when it would notify the device. */
static bool refill(struct fixture *f, uint16_t i)
{
    uint16_t old = f->d.q[RXQ].avail_idx;
    post_rx(f, i, 1500);
    return driver_must_kick(f, old, f->d.q[RXQ].avail_idx);
}

/*
 * While the device has receive buffers the driver's refills do not notify
 * it; once a frame finds none, the next refill must, and that notification
 * gets the waiting frame delivered.
 */
static void receive_asks_for_kicks_only_when_out(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[1000] = {3};
    for (uint16_t i = 0; i < 3; i++)
        post_rx(f, i, 1500);
    virtio_net_process(&f->net);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_false(refill(f, 3)); /* three buffers left: no notification */
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_false(refill(f, 4));
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 5);
    /* All five used and no frame waiting: still nothing asked for. */
    assert_false(refill(f, 5));
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    /* Now a frame finds the ring empty: it waits, and the next buffer must be announced. */
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 0);
    assert_int_equal(virtio_net_stats(&f->net)->rx_no_buffers, 1);
    assert_int_equal(f->rx_ready, 0);
    assert_true(refill(f, 6));
    virtio_net_process(&f->net); /* what the driver's notification runs */
    assert_int_equal(f->rx_ready, 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 7);
    /* Buffers again, so quiet again. */
    assert_false(refill(f, 7));
    assert_false(refill(f, 8));
}

/* A frame that needs more buffers than there are: the refill that may make it fit must notify. */
static void receive_short_of_buffers_asks_for_kick(void **state)
{
    struct fixture *f = *state;
    static uint8_t frame[4000];
    post_rx(f, 0, 1500);
    post_rx(f, 1, 1500);
    virtio_net_process(&f->net);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 0);
    assert_int_equal(td_used_idx(&f->d, RXQ), 0); /* both given back */
    assert_true(refill(f, 2));
    virtio_net_process(&f->net);
    assert_int_equal(f->rx_ready, 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 3);
    assert_int_equal(virtio_le16(td_ptr(&f->d, TD_DATA + 10)), 3); /* num_buffers */
}

/*
 * A receive ring of the size the device offers holds a whole TAP burst
 * (64 frames per wake-up) of large TSO frames, each spread over 16 of the
 * driver's mergeable buffers: the device does not stop in the middle of a
 * burst to wait for the driver's refill (each stop costs the guest a kick,
 * and usually an interrupt and a halt once it has caught up). Buffers of
 * 2 KiB here (the test's memory), frames of 16 of them.
 */
static void receive_ring_holds_a_burst(void **state)
{
    struct fixture *f = *state;
    static uint8_t frame[16 * 2048 - VIRTIO_NET_HDR_SIZE];
    uint16_t num = f->d.q[RXQ].num;
    for (uint16_t i = 0; i < num; i++) {
        td_desc(&f->d, RXQ, i, TD_DATA + 2048ull * i, 2048, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, RXQ, i);
    }
    virtio_net_process(&f->net);
    unsigned frames = 0;
    while (frames < 64 && virtio_net_receive(&f->net, NULL, frame, sizeof(frame)) == 1)
        frames++;
    assert_int_equal(frames, 64);
    assert_int_equal(virtio_net_stats(&f->net)->rx_no_buffers, 0);
    assert_int_equal(td_used_idx(&f->d, RXQ), 64 * 16);
}

/* Transmit stays as it was: the driver notifies for every chain after a drain. */
static void transmit_queue_is_not_quiet(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[VIRTIO_NET_HDR_SIZE] = {0};
    tx_frame(f, 0, hdr, 60, 30);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 1);
    if (f->net.features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX))
        assert_int_equal(td_avail_event(&f->d, TXQ), 1);
    else
        assert_false(virtio_le16(td_ptr(&f->d, f->d.q[TXQ].used)) & VIRTQ_USED_F_NO_NOTIFY);
}

static void receive_small_buffers_drop_big_frames(void **state)
{
    struct fixture *f = *state;
    static uint8_t frame[2000];
    post_rx(f, 0, 1526);
    virtio_net_process(&f->net);
    assert_true(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)) < 0);
    assert_int_equal(td_used_idx(&f->d, RXQ), 0);
    /* The buffer is still there for a frame that fits. */
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, 1500), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 1);
    uint32_t id, len;
    td_used_elem(&f->d, RXQ, 0, &id, &len);
    assert_int_equal(len, 1512);
}

static void receive_buffer_smaller_than_header(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60] = {0};
    post_rx(f, 0, 8);
    post_rx(f, 1, 1500);
    virtio_net_process(&f->net);
    assert_true(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)) < 0);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 2);
}

static void receive_before_driver_ok_is_dropped(void **state)
{
    struct fixture *f = *state;
    uint8_t frame[60] = {0};
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    assert_true(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)) < 0);
}

static void rate_limit_holds_transmit(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[12] = {0};
    tx_frame(f, 0, hdr, 60, 12);
    tx_frame(f, 2, hdr, 60, 12);
    tx_frame(f, 4, hdr, 60, 12);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 2); /* two frames per 10 ms */
    assert_int_equal(td_used_idx(&f->d, TXQ), 2);
    assert_int_equal(f->retries, 1);
    assert_in_range(f->retry_ns, 5000000, 5000002); /* one frame's worth: 5 ms */
    assert_int_equal(virtio_net_stats(&f->net)->tx_throttled, 1);
    /* The guest kicks again before then: nothing moves, no new timer. */
    f->now += 2000000;
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 2);
    assert_int_equal(f->retries, 1);
    /* The retry: the third frame goes, the one left in the ring intact. */
    f->now += 3000001;
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 3);
    assert_int_equal(f->last_len, 60);
    assert_int_equal(td_used_idx(&f->d, TXQ), 3);
}

static void rate_limit_holds_receive(void **state)
{
    struct fixture *f = *state;
    static uint8_t frame[1400];
    for (uint16_t i = 0; i < 4; i++)
        post_rx(f, i, 1500);
    virtio_net_process(&f->net);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    /* 1412 of 2000 bytes spent: the next frame waits, its buffer stays the guest's. */
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 0);
    assert_int_equal(td_used_idx(&f->d, RXQ), 1);
    assert_int_equal(f->retries, 1);
    assert_in_range(f->retry_ns, 4120000, 4120002); /* 824 bytes at 2000 per 10 ms */
    assert_int_equal(virtio_net_stats(&f->net)->rx_throttled, 1);
    assert_int_equal(f->rx_ready, 0);
    /* The retry tells the backend to try again, and now it fits. */
    f->now += f->retry_ns;
    virtio_net_process(&f->net);
    assert_int_equal(f->rx_ready, 1);
    assert_int_equal(virtio_net_receive(&f->net, NULL, frame, sizeof(frame)), 1);
    assert_int_equal(td_used_idx(&f->d, RXQ), 2);
    uint32_t id, len;
    td_used_elem(&f->d, RXQ, 1, &id, &len);
    assert_int_equal(id, 1); /* the buffer handed back was used, in order */
    assert_int_equal(len, 1412);
}

/* A driver reset starts a new session, not new buckets. */
static void rate_limit_survives_reset(void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[12] = {0};
    tx_frame(f, 0, hdr, 60, 12);
    tx_frame(f, 2, hdr, 60, 12);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 2);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x20000);
    td_start(&f->d, &f->t, 2, 64, TD_FEATURES_ALL | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    tx_frame(f, 0, hdr, 60, 12);
    virtio_net_process(&f->net);
    assert_int_equal(f->sent, 2);
    assert_int_equal(f->retries, 1);
}

static void rate_limit_config_refused(void **state)
{
    struct fixture *f = *state;
    struct virtio_net n;
    struct virtio_net_config cfg = {
        .slot = td_slot(&f->d, "net1"),
        .limit = {.bytes = {.size = 1000}}, /* no refill time */
        .backend = {.tx = fake_tx, .now_ns = fake_now, .retry_after = fake_retry, .ctx = f},
    };
    assert_int_equal(virtio_net_init(&n, &cfg), -STDVMM_EINVAL);
    cfg.limit.bytes.refill_ms = 100;
    cfg.backend.retry_after = NULL; /* a backend without a timer cannot hold frames */
    assert_int_equal(virtio_net_init(&n, &cfg), -STDVMM_ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mac_in_config, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_plain_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_rejects_bad_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_offloads_when_negotiated, setup_offloads,
                                        teardown),
        cmocka_unit_test_setup_teardown(receive_merges_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_without_buffers_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_asks_for_kicks_only_when_out, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_asks_for_kicks_only_when_out, setup_flags,
                                        teardown),
        cmocka_unit_test_setup_teardown(receive_short_of_buffers_asks_for_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_short_of_buffers_asks_for_kick, setup_flags,
                                        teardown),
        cmocka_unit_test_setup_teardown(receive_ring_holds_a_burst, setup_max_rings, teardown),
        cmocka_unit_test_setup_teardown(transmit_queue_is_not_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(transmit_queue_is_not_quiet, setup_flags, teardown),
        cmocka_unit_test_setup_teardown(receive_small_buffers_drop_big_frames, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(receive_buffer_smaller_than_header, setup, teardown),
        cmocka_unit_test_setup_teardown(receive_before_driver_ok_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_holds_transmit, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_holds_receive, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_survives_reset, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_config_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
