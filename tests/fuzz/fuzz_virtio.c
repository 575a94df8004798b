/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for everything a malicious guest driver controls in
 * virtio: the register file of the virtio-mmio transport over the
 * transport-independent device (virtio_device.c), the split rings
 * and descriptor tables (direct and indirect, with and without event idx),
 * and each device's request parser (blk, net transmit and receive, vsock,
 * console, rng). Guest RAM is one heap block of exactly its size, so
 * AddressSanitizer catches any access outside it.
 *
 * Input layout (everything the guest writes):
 *   [0]     device (blk, net, vsock, console, rng, raw virtqueue)
 *   [1]     flags: event idx, indirect, queue size, readonly, mrg_rxbuf,
 *           structured (chains built like a driver would, then corrupted)
 *   [2..]   register writes: count, then {offset, value} pairs
 *   then    per queue: avail idx, descriptors (addresses mostly inside RAM,
 *           sometimes raw), ring entries, used_event
 *   after HEADER bytes: guest RAM (payloads, headers, indirect tables)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/devices/virtio_console.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/devices/virtio_rng.h"
#include "stdvmm/devices/virtio_vsock.h"
#include "stdvmm/guest_memory.h"
#include "fuzz_input.h"

#define RAM_GPA 0x100000ull
#define RAM_SIZE 0x40000ull /* 256 KiB */
#define RING(q) (RAM_GPA + 0x4000ull * (q))
#define DATA (RAM_GPA + 0x10000ull)
#define HEADER 2048 /* input bytes that describe the driver; the rest is RAM */

enum { DEV_BLK, DEV_NET, DEV_VSOCK, DEV_CONSOLE, DEV_RNG, DEV_VIRTQ, DEV_COUNT };

static uint8_t *ram;
static struct gmem mem;
static unsigned interrupts;

static void on_interrupt(void *ctx)
{
    (void)ctx;
    interrupts++;
}

static void on_kick(void *ctx)
{
    (void)ctx;
}

static struct virtio_slot slot(const char *name)
{
    return (struct virtio_slot){.name = name,
                                .base = 0xd0000000u,
                                .irq = 5,
                                .mem = &mem,
                                .interrupt = on_interrupt,
                                .kick = on_kick};
}

static void w32(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    virtio_put_le32(b, v);
    virtio_mmio_write(t, off, b, 4);
}

static void put16(uint64_t gpa, uint16_t v)
{
    virtio_put_le16(ram + (gpa - RAM_GPA), v);
}

/* An address that usually lands in RAM, with a length that usually fits. */
static void descriptor(struct fuzz_input *in, uint64_t table, uint16_t i)
{
    uint8_t *d = ram + (table - RAM_GPA) + 16ull * i;
    uint8_t kind = fuzz_u8(in);
    uint64_t addr = fuzz_u64(in);
    uint32_t len = fuzz_u32(in);
    if ((kind & 3) != 0) {
        addr = DATA + addr % (RAM_SIZE - (DATA - RAM_GPA));
        len %= 0x3000;
    }
    virtio_put_le64(d, addr);
    virtio_put_le32(d + 8, len);
    virtio_put_le16(d + 12, fuzz_u16(in) & ((kind & 4) ? 0xffff : 7));
    virtio_put_le16(d + 14, fuzz_u16(in) % ((kind & 8) ? 65535 : 20));
}

#define FLAG_STRUCTURED 0x40
#define FLAG_LIMITED 0x80                  /* net: rate limits */
#define STRUCT_AREA (RAM_GPA + 0x28000ull) /* structured buffers; below it the raw tail */

static int device;    /* which DEV_* this input drives */
static uint64_t bump; /* next free guest address for structured buffers */

static uint64_t alloc(uint32_t len)
{
    uint64_t at = bump;
    if (at + len > RAM_GPA + RAM_SIZE)
        at = STRUCT_AREA; /* reuse: overlapping buffers are a guest's right too */
    bump = at + ((len + 15) & ~15u);
    return at;
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *d = ram + (table - RAM_GPA) + 16ull * i;
    virtio_put_le64(d, addr);
    virtio_put_le32(d + 8, len);
    virtio_put_le16(d + 12, flags);
    virtio_put_le16(d + 14, next);
}

/* The request header a driver of this device would put first, with fuzzed fields. */
static uint32_t device_header(struct fuzz_input *in, unsigned q, uint8_t *h, uint32_t payload)
{
    static const uint8_t blk_types[8] = {0, 1, 4, 8, 11, 13, 0, 1};
    static const uint8_t gso_types[6] = {0, 1, 4, 0x81, 3, 0};
    uint8_t pick = fuzz_u8(in);
    switch (device) {
    case DEV_BLK:
        virtio_put_le32(h, (pick & 0x80) ? fuzz_u32(in) : blk_types[pick & 7]);
        virtio_put_le32(h + 4, 0);
        virtio_put_le64(h + 8, (pick & 0x40) ? fuzz_u64(in) : fuzz_u16(in) % 80);
        return 16;
    case DEV_NET:
        if (q != 1)
            return 0;
        h[0] = fuzz_u8(in) % 4;
        h[1] = gso_types[pick % 6];
        virtio_put_le16(h + 2, fuzz_u16(in) % 200);
        virtio_put_le16(h + 4, fuzz_u16(in) % 2000);
        virtio_put_le16(h + 6, fuzz_u16(in) % 200);
        virtio_put_le16(h + 8, fuzz_u8(in) % 64);
        virtio_put_le16(h + 10, 0);
        return 12;
    case DEV_VSOCK:
        if (q != 1)
            return 0;
        virtio_put_le64(h, (pick & 7) ? 3 : fuzz_u64(in));
        virtio_put_le64(h + 8, (pick & 0x38) ? 2 : fuzz_u64(in));
        virtio_put_le32(h + 16, 1000 + fuzz_u8(in) % 4);
        virtio_put_le32(h + 20,
                        (pick & 0x40) ? 0x40000000u + fuzz_u8(in) % 2 : 5000 + fuzz_u8(in) % 4);
        virtio_put_le32(h + 24, (pick & 0x80) ? payload : fuzz_u32(in));
        virtio_put_le16(h + 28, (fuzz_u8(in) & 7) ? 1 : fuzz_u16(in));
        virtio_put_le16(h + 30, fuzz_u8(in) % 9);
        virtio_put_le32(h + 32, fuzz_u8(in) % 4);
        virtio_put_le32(h + 36, (fuzz_u8(in) & 1) ? 65536 : fuzz_u32(in));
        virtio_put_le32(h + 40, fuzz_u16(in));
        return 44;
    default:
        return 0;
    }
}

/* Whether this queue carries driver-to-device data (else the device writes into it). */
static bool readable_queue(unsigned q)
{
    switch (device) {
    case DEV_BLK:
        return true;
    case DEV_NET:
    case DEV_VSOCK:
    case DEV_CONSOLE:
        return q == 1;
    case DEV_VIRTQ:
        return true;
    default:
        return false;
    }
}

/*
 * Chains shaped like a real driver's (header, payload split at fuzzed
 * points, writable buffers, sometimes through an indirect table), then
 * sometimes one descriptor field overwritten.
 */
static void structured_queue(struct fuzz_input *in, uint64_t table, uint16_t num, unsigned q,
                             bool indirect_ok)
{
    uint16_t next = 0;
    uint16_t chains = 1 + fuzz_u8(in) % 4;
    uint64_t avail = table + 0x1000;

    for (uint16_t c = 0; c < chains; c++) {
        uint8_t hdr[64];
        uint8_t shape = fuzz_u8(in);
        uint32_t payload = fuzz_u16(in) % 4200;
        uint32_t hlen = readable_queue(q) ? device_header(in, q, hdr, payload) : 0;
        uint16_t nout = readable_queue(q) ? 1 + shape % 3 : 0;
        uint16_t nin = (shape >> 2) % 3 + (device == DEV_BLK || !readable_queue(q));
        bool indirect = indirect_ok && (shape & 0x40);
        uint16_t count = nout + nin;
        uint64_t dtab = table;
        uint16_t base = next;
        if (indirect) {
            dtab = alloc(16u * count);
            base = 0;
        } else if (next + count > num) {
            break;
        }
        uint32_t total = hlen + (readable_queue(q) ? payload : 0);
        uint64_t buf = alloc(total);
        memcpy(ram + (buf - RAM_GPA), hdr, hlen);
        for (uint32_t k = hlen; k < total; k++)
            ram[buf - RAM_GPA + k] = fuzz_u8(in);
        uint32_t at = 0;
        for (uint16_t k = 0; k < count; k++) {
            uint16_t flags = k + 1 < count ? 1 : 0;
            uint32_t len;
            uint64_t addr;
            if (k < nout) {
                /* Split points anywhere, the last piece takes the rest. */
                len = k + 1 < nout ? (total - at) * (fuzz_u8(in) % 100) / 100 : total - at;
                addr = buf + at;
                at += len;
            } else {
                len = (k + 1 == count && device == DEV_BLK) ? 1 + fuzz_u8(in) % 2
                                                            : fuzz_u16(in) % 4200;
                addr = alloc(len);
                flags |= 2; /* VIRTQ_DESC_F_WRITE */
            }
            put_desc(dtab, (uint16_t)(base + k), addr, len, flags, (uint16_t)(base + k + 1));
        }
        if (indirect) {
            put_desc(table, next, dtab, 16u * count, 4 /* INDIRECT */, 0);
            put16(avail + 4 + 2ull * (c % num), next);
            next++;
        } else {
            put16(avail + 4 + 2ull * (c % num), next);
            next = (uint16_t)(next + count);
        }
        if (next >= num)
            next = 0;
        put16(avail + 2, (uint16_t)(c + 1));
    }
    uint8_t corrupt = fuzz_u8(in);
    if ((corrupt & 3) == 0 && num > 0) {
        uint8_t *d = ram + (table - RAM_GPA) + 16ull * (fuzz_u8(in) % num);
        switch ((corrupt >> 2) % 4) {
        case 0:
            virtio_put_le64(d, fuzz_u64(in));
            break;
        case 1:
            virtio_put_le32(d + 8, fuzz_u32(in));
            break;
        case 2:
            virtio_put_le16(d + 12, fuzz_u16(in));
            break;
        default:
            virtio_put_le16(d + 14, fuzz_u16(in));
            break;
        }
    }
    put16(avail + 4 + 2ull * num, fuzz_u16(in)); /* used_event */
}

/* Driver set-up of one queue as Linux does it, then the guest's ring contents. */
static void queue(struct fuzz_input *in, struct virtio_mmio *t, unsigned q, uint16_t num,
                  bool ready, uint8_t flags)
{
    w32(t, VIRTIO_MMIO_QUEUE_SEL, q);
    w32(t, VIRTIO_MMIO_QUEUE_NUM, num);
    w32(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
    w32(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RING(q) + 0x1000));
    w32(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RING(q) + 0x2000));
    if (ready)
        w32(t, VIRTIO_MMIO_QUEUE_READY, 1);
    if (flags & FLAG_STRUCTURED) {
        structured_queue(in, RING(q), num, q, flags & 2);
        return;
    }
    uint16_t descs = num < 32 ? num : 32;
    for (uint16_t i = 0; i < descs; i++)
        descriptor(in, RING(q), i);
    put16(RING(q) + 0x1000, fuzz_u8(in) & 1);       /* flags */
    put16(RING(q) + 0x1000 + 2, fuzz_u16(in) % 64); /* idx: mostly a few chains */
    for (uint16_t i = 0; i < descs; i++)
        put16(RING(q) + 0x1000 + 4 + 2ull * i, fuzz_u16(in) % (num + 2));
    put16(RING(q) + 0x1000 + 4 + 2ull * num, fuzz_u16(in)); /* used_event */
}

/* Puts vd on a virtio-mmio transport and drives it to DRIVER_OK as a guest would. */
static void start(struct fuzz_input *in, struct virtio_dev *vd, unsigned queues, uint8_t flags,
                  uint64_t extra_features)
{
    static const uint16_t sizes[4] = {4, 16, 64, 256};
    static struct virtio_mmio transport;
    struct virtio_mmio *t = &transport;
    if (virtio_mmio_init(t, vd) != 0)
        abort();
    uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | extra_features;
    if (flags & 1)
        features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    if (flags & 2)
        features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    w32(t, VIRTIO_MMIO_STATUS,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    /* Arbitrary register traffic: the transport must survive any of it. */
    uint8_t writes = fuzz_u8(in) % 8;
    for (uint8_t i = 0; i < writes; i++) {
        uint16_t off = fuzz_u16(in) % 0x200;
        uint8_t b[8];
        uint32_t v = fuzz_u32(in);
        unsigned len = 1u << (fuzz_u8(in) % 4);
        virtio_put_le32(b, v);
        virtio_put_le32(b + 4, v);
        if (fuzz_u8(in) & 1)
            virtio_mmio_read(t, off, b, len);
        else
            virtio_mmio_write(t, off, b, len); /* a status write may reset it all */
    }
    for (unsigned q = 0; q < queues; q++)
        queue(in, t, q, sizes[(flags >> 2) & 3], true, flags);
    w32(t, VIRTIO_MMIO_STATUS,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
            VIRTIO_STATUS_DRIVER_OK);
}

/* Backends: touch every byte they are given, so ASan checks the device's pointers. */
static struct virtio_blk *blk;
#define FUZZ_BLK_REQS 8
#define FUZZ_VSOCK_CONNS 4
static struct virtio_blk_io *held[FUZZ_BLK_REQS];
static unsigned held_count;
static uint8_t sink;

static int blk_submit(void *ctx, struct virtio_blk_io *io)
{
    (void)ctx;
    for (uint16_t i = 0; i < io->seg_count; i++) {
        if (io->op == VIRTIO_BLK_OP_READ)
            memset(io->segs[i].host, 0x5a, io->segs[i].len);
        else
            for (uint32_t k = 0; k < io->segs[i].len; k++)
                sink ^= io->segs[i].host[k];
    }
    if (io->slot & 1) { /* some complete later, out of order */
        held[held_count++] = io;
        return 0;
    }
    virtio_blk_complete(blk, io, (io->slot & 2) ? -5 : 0);
    return 0;
}

static int net_tx(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
                  size_t len)
{
    size_t total = 0;
    (void)ctx;
    sink ^= hdr[0];
    for (unsigned i = 0; i < count; i++) {
        for (uint32_t k = 0; k < segs[i].len; k++)
            sink ^= segs[i].host[k];
        total += segs[i].len;
    }
    if (total != len)
        abort(); /* the device must describe exactly the frame it hands over */
    return 0;
}

static int vs_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx;
    (void)conn;
    return (port & 1) ? -1 : 0;
}

static long vs_write(void *ctx, unsigned conn, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)conn;
    for (size_t k = 0; k < len; k++)
        sink ^= buf[k];
    return (long)(len / 2);
}

static void vs_closed(void *ctx, unsigned conn)
{
    (void)ctx;
    (void)conn;
}

static size_t rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0xa5, len);
    return len;
}

static void con_out(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t k = 0; k < len; k++)
        sink ^= buf[k];
}

static void fuzz_blk(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_blk dev;
    /* Few requests, so that inputs also find them all in flight (the queue waits). */
    static struct virtio_blk_req reqs[FUZZ_BLK_REQS];
    struct virtio_blk_config cfg = {.slot = slot("blk"),
                                    .capacity = 64 * 512 + 7,
                                    .readonly = flags & 16,
                                    .discard = true,
                                    .serial = "fuzz",
                                    .backend = {.submit = blk_submit},
                                    .reqs = reqs,
                                    .reqs_size = sizeof(reqs),
                                    .max_reqs = FUZZ_BLK_REQS};
    blk = &dev;
    held_count = 0;
    if (virtio_blk_init(&dev, &cfg) != 0)
        abort();
    start(in, &dev.vdev, 1, flags, fuzz_u8(in) & 1 ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0);
    virtio_blk_process(&dev);
    while (held_count > 0)
        virtio_blk_complete(&dev, held[--held_count], (int)(fuzz_u8(in) % 3) - 1);
    virtio_blk_process(&dev);
}

/* The rate limit's clock: the input moves it. */
static uint64_t net_clock;
static unsigned net_retries;

static uint64_t net_now(void *ctx)
{
    (void)ctx;
    return net_clock;
}

static void net_retry(void *ctx, uint64_t ns)
{
    (void)ctx;
    if (ns == 0)
        abort(); /* a retry is always in the future */
    net_retries++;
}

static void fuzz_net(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_net dev;
    struct virtio_net_config cfg = {.slot = slot("net"),
                                    .backend = {.tx = net_tx,
                                                .offloads = VIRTIO_NET_OFFLOAD_FEATURES,
                                                .now_ns = net_now,
                                                .retry_after = net_retry}};
    /* FLAG_LIMITED: small buckets, so frames wait and go back into their rings. */
    if (flags & FLAG_LIMITED)
        cfg.limit = (struct rate_limiter_config){.bytes = {.size = 3000, .refill_ms = 1},
                                                 .ops = {.size = 3, .refill_ms = 1}};
    net_clock = 1000000000ull;
    if (virtio_net_init(&dev, &cfg) != 0)
        abort();
    uint64_t f =
        (uint64_t)fuzz_u32(in) & (VIRTIO_NET_OFFLOAD_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_MAC));
    if (flags & 32)
        f |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
    start(in, &dev.vdev, 2, flags, f);
    virtio_net_process(&dev);
    static uint8_t frame[VIRTIO_NET_MAX_FRAME + 16];
    for (int i = 0; i < 4; i++) {
        size_t len = fuzz_u16(in) % sizeof(frame);
        uint8_t hdr[VIRTIO_NET_HDR_SIZE];
        for (unsigned k = 0; k < sizeof(hdr); k++)
            hdr[k] = fuzz_u8(in);
        if (virtio_net_receive(&dev, (fuzz_u8(in) & 1) ? hdr : NULL, frame, len) == 0 &&
            !(flags & FLAG_LIMITED))
            break;
        net_clock += fuzz_u16(in) * 100ull; /* up to 6.5 ms: some refill, some not */
        virtio_net_process(&dev);           /* a kick, or the retry timer */
    }
    virtio_net_rx_flush(&dev);
}

static void fuzz_vsock(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_vsock dev;
    /* Few connections, so that inputs also find the table full. */
    static struct virtio_vsock_conn conns[FUZZ_VSOCK_CONNS];
    struct virtio_vsock_config cfg = {
        .slot = slot("vsock"),
        .guest_cid = 3 + (flags & 1),
        .backend = {.connect = vs_connect, .write = vs_write, .closed = vs_closed},
        .conns = conns,
        .conns_size = sizeof(conns),
        .max_conns = FUZZ_VSOCK_CONNS};
    if (virtio_vsock_init(&dev, &cfg) != 0)
        abort();
    start(in, &dev.vdev, 3, flags, 0);
    unsigned conn;
    /* A host program connects to a guest port the structured packets use. */
    bool host =
        (fuzz_u8(in) & 1) && virtio_vsock_host_connect(&dev, 1000 + fuzz_u8(in) % 4, &conn) == 0;
    virtio_vsock_process(&dev);
    if (host) {
        static uint8_t data[8192];
        size_t n = fuzz_u16(in) % sizeof(data);
        if (n <= virtio_vsock_host_room(&dev, conn))
            virtio_vsock_host_data(&dev, conn, data, n);
        if (fuzz_u8(in) & 1)
            virtio_vsock_host_eof(&dev, conn);
        if (fuzz_u8(in) & 1)
            virtio_vsock_host_reset(&dev, conn);
    }
    for (unsigned c = 0; c < VIRTIO_VSOCK_MAX_CONNS; c++)
        virtio_vsock_host_writable(&dev, c);
    virtio_vsock_process(&dev);
}

static void fuzz_console(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_console dev;
    struct virtio_console_config cfg = {.slot = slot("console"), .backend = {.output = con_out}};
    if (virtio_console_init(&dev, &cfg) != 0)
        abort();
    start(in, &dev.vdev, 2, flags, 0);
    virtio_console_process(&dev);
    static const uint8_t text[300] = "input";
    virtio_console_receive(&dev, text, fuzz_u16(in) % sizeof(text));
}

static void fuzz_rng(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_rng dev;
    struct virtio_rng_config cfg = {.slot = slot("rng"), .backend = {.fill = rng_fill}};
    if (virtio_rng_init(&dev, &cfg) != 0)
        abort();
    start(in, &dev.vdev, 1, flags, 0);
    virtio_rng_process(&dev);
}

/* The bare virtqueue: pop everything, push with guest-chosen lengths, in any order. */
static void fuzz_virtq(struct fuzz_input *in, uint8_t flags)
{
    static struct virtio_dev t;
    static struct virtq_seg segs[8][16];
    struct virtq_chain chains[8];
    struct virtio_dev_config cfg = {
        .slot = slot("virtq"), .device_id = VIRTIO_ID_RNG, .num_queues = 1, .queue_max = 256};
    if (virtio_dev_init(&t, &cfg) != 0)
        abort();
    start(in, &t, 1, flags, 0);
    unsigned n = 0;
    for (; n < 8; n++) {
        virtq_chain_init(&chains[n], segs[n], 1 + (fuzz_u8(in) % 16));
        if (virtio_dev_pop(&t, 0, &chains[n]) <= 0)
            break;
        for (uint16_t s = 0; s < chains[n].out_count + chains[n].in_count; s++)
            for (uint32_t k = 0; k < chains[n].segs[s].len; k++)
                sink ^= chains[n].segs[s].host[k];
    }
    if (n > 0 && (fuzz_u8(in) & 1))
        virtio_dev_unpop(&t, 0, chains[n - 1].generation, 1), n--;
    while (n > 0) {
        unsigned i = fuzz_u8(in) % n;
        virtio_dev_push_nosignal(&t, 0, &chains[i], fuzz_u32(in));
        chains[i] = chains[--n];
    }
    virtio_dev_signal(&t, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};

    if (ram == NULL) {
        ram = malloc(RAM_SIZE);
        gmem_init(&mem);
        if (ram == NULL || gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram) != 0)
            abort();
    }
    device = fuzz_u8(&in) % DEV_COUNT;
    uint8_t flags = fuzz_u8(&in);
    bump = STRUCT_AREA;
    /* Guest RAM first gets the input's tail, then the rings are written over it. */
    memset(ram, 0, RAM_SIZE);
    size_t tail = size > HEADER ? size - HEADER : 0;
    if (tail > 0)
        memcpy(ram + (DATA - RAM_GPA), data + HEADER,
               tail < RAM_SIZE - (DATA - RAM_GPA) ? tail : RAM_SIZE - (DATA - RAM_GPA));
    in.n = size > HEADER ? HEADER - 2 : in.n;
    switch (device) {
    case DEV_BLK:
        fuzz_blk(&in, flags);
        break;
    case DEV_NET:
        fuzz_net(&in, flags);
        break;
    case DEV_VSOCK:
        fuzz_vsock(&in, flags);
        break;
    case DEV_CONSOLE:
        fuzz_console(&in, flags);
        break;
    case DEV_RNG:
        fuzz_rng(&in, flags);
        break;
    default:
        fuzz_virtq(&in, flags);
        break;
    }
    return 0;
}
