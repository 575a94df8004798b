/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's virtio-blk backend on seL4 for a region of the board's disk:
 * the front end of one channel to the block server (blk_abi.h,
 * docs/backend-channel.md), in the region the admin mapped at
 * SEL4_VMM_BLK_VA. The server never sees guest memory: a write's data is
 * copied from the guest's buffers (already checked by the device model
 * against guest RAM and the disk's capacity) into channel slots, a read's
 * answer from its slots into the guest's buffers.
 *
 * A guest request is cut into pieces of a slot each, sent as the slots
 * free up; requests wait in arrival order for slots, so a big one cannot
 * be overtaken by a later small one. The request completes when its last
 * piece is answered, with an error if any piece failed. A write the guest
 * wants durable (no FLUSH negotiated: write_through) is followed by a
 * flush before it completes.
 *
 * Everything here runs under the VMM lock (fault handling, or the
 * notification), so one thread at a time drives the channel's front end.
 */
#include "vmm/vmm_blk.h"

#include <sel4/sel4.h>
#include <string.h>

#include "blk_abi.h"
#include "stdvmm/channel_front.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* A guest request on its way: indexed by its io->slot (unique among those in flight). */
struct pending {
    struct virtio_blk_io *io;
    uint64_t sent;  /* bytes of it handed to the server */
    unsigned parts; /* pieces answered not yet */
    int result;
    bool flushing; /* write_through: the data is written, the flush is next (or out) */
};

static struct channel_front chan;
static struct virtio_blk *model;
static bool broken;
static bool backend_down; /* a driver VM serving this disk went away (vmm_blk_backend) */
static uint64_t lost_count;
static struct pending pend[VIRTIO_BLK_QUEUE_SIZE];
/* Requests waiting to send (more of) themselves, oldest first: io->slot numbers. */
static uint16_t waiting[VIRTIO_BLK_QUEUE_SIZE];
static unsigned wait_head, wait_count;
/* Per channel slot: which request and which bytes of it. */
static struct {
    uint16_t req;
    uint64_t at;
    uint32_t len;
} piece[SEL4_BLK_SLOTS];
static uint64_t pieces_sent, slot_waits, failed;

static const struct channel_geometry geometry = {
    .req_entries = SEL4_BLK_RING_ENTRIES,
    .resp_entries = SEL4_BLK_RING_ENTRIES,
    .slot_size = SEL4_BLK_SLOT_SIZE,
    .slot_count = SEL4_BLK_SLOTS,
};

static void doorbell(void)
{
    seL4_Signal(SEL4_VMM_SLOT_BLK_DOORBELL);
}

/* Copies len bytes between buf and the request's data buffers, starting at byte at of them. */
static void copy_segs(const struct virtio_blk_io *io, uint64_t at, uint8_t *buf, uint64_t len,
                      bool to_guest)
{
    for (uint16_t i = 0; i < io->seg_count && len != 0; i++) {
        uint64_t seg = io->segs[i].len;
        if (at >= seg) {
            at -= seg;
            continue;
        }
        uint64_t n = seg - at < len ? seg - at : len;
        if (to_guest)
            memcpy((uint8_t *)io->segs[i].host + at, buf, n);
        else
            memcpy(buf, (const uint8_t *)io->segs[i].host + at, n);
        buf += n;
        len -= n;
        at = 0;
    }
}

static void finish(struct pending *p)
{
    struct virtio_blk_io *io = p->io;

    p->io = NULL;
    if (p->result < 0)
        failed++;
    virtio_blk_complete(model, io, p->result);
}

/* Sends pieces of request p while slots are free; true when it has sent everything. */
static bool send(struct pending *p, bool *notify)
{
    struct virtio_blk_io *io = p->io;
    bool flush = io->op == VIRTIO_BLK_OP_FLUSH || p->flushing;
    uint64_t total = flush ? 0 : io->len;

    do {
        uint32_t id;
        uint8_t *buf;
        if (channel_front_get(&chan, &id, &buf) < 0) {
            slot_waits++;
            return false;
        }
        uint32_t len =
            total - p->sent < SEL4_BLK_SLOT_SIZE ? (uint32_t)(total - p->sent) : SEL4_BLK_SLOT_SIZE;
        enum channel_op op = flush                           ? CHANNEL_OP_BLK_FLUSH
                             : io->op == VIRTIO_BLK_OP_WRITE ? CHANNEL_OP_BLK_WRITE
                                                             : CHANNEL_OP_BLK_READ;
        if (op == CHANNEL_OP_BLK_WRITE)
            copy_segs(io, p->sent, buf, len, false);
        /* offset and len are multiples of 512 (the device model checked): whole sectors. */
        uint64_t sector = (io->offset + p->sent) / VIRTIO_BLK_SECTOR_SIZE;
        bool n = false;
        int r = channel_front_submit(&chan, id, op, flush ? 0 : sector, len, &n);
        if (r < 0) {
            channel_front_put(&chan, id);
            if (!broken)
                LOG_ERR("blk: the block server broke the channel (%s); this disk fails from now "
                        "on",
                        stdvmm_strerror(r));
            broken = true;
            return false;
        }
        piece[id].req = io->slot;
        piece[id].at = p->sent;
        piece[id].len = len;
        p->sent += len;
        p->parts++;
        pieces_sent++;
        *notify |= n;
    } while (p->sent < total);
    return true;
}

/* The channel is dead: nothing more reaches the server or comes back from it. */
static void fail_all(void)
{
    wait_count = 0;
    for (unsigned i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++) {
        if (pend[i].io != NULL) {
            pend[i].result = -STDVMM_EIO;
            finish(&pend[i]);
        }
    }
}

/* Sends what waits, in order, while slots last. */
static void pump(void)
{
    bool notify = false;

    while (wait_count != 0 && !broken) {
        if (!send(&pend[waiting[wait_head]], &notify))
            break;
        wait_head = (wait_head + 1) % VIRTIO_BLK_QUEUE_SIZE;
        wait_count--;
    }
    if (broken)
        fail_all();
    if (notify)
        doorbell();
}

static void enqueue(struct pending *p)
{
    waiting[(wait_head + wait_count) % VIRTIO_BLK_QUEUE_SIZE] = p->io->slot;
    wait_count++;
}

static int blk_submit(void *ctx, struct virtio_blk_io *io)
{
    (void)ctx;
    if (broken || backend_down || io->slot >= VIRTIO_BLK_QUEUE_SIZE || pend[io->slot].io != NULL)
        return -STDVMM_EIO;
    if (io->op != VIRTIO_BLK_OP_READ && io->op != VIRTIO_BLK_OP_WRITE &&
        io->op != VIRTIO_BLK_OP_FLUSH)
        return -STDVMM_ENOTSUP; /* discard and write-zeroes are not offered */
    pend[io->slot] = (struct pending){.io = io};
    enqueue(&pend[io->slot]);
    return 0;
}

static void blk_flush_batch(void *ctx)
{
    (void)ctx;
    pump();
}

void vmm_blk_notified(void)
{
    struct channel_completion c;
    int r = 0;

    if (model == NULL)
        return;
    while (!broken && (r = channel_front_poll(&chan, &c)) > 0) {
        struct pending *p = &pend[piece[c.id].req];
        if (c.status != CHANNEL_S_OK) {
            p->result = c.status == CHANNEL_S_UNSUPP ? -STDVMM_ENOTSUP : -STDVMM_EIO;
        } else if (c.op == CHANNEL_OP_BLK_READ) {
            /* poll checked c.len against the room asked for: the piece's length */
            if (c.len != piece[c.id].len)
                p->result = -STDVMM_EIO;
            else
                copy_segs(p->io, piece[c.id].at, (uint8_t *)c.data, c.len, true);
        }
        channel_front_put(&chan, c.id);
        if (--p->parts != 0)
            continue;
        bool all_sent = p->flushing || p->io->op == VIRTIO_BLK_OP_FLUSH || p->sent == p->io->len;
        if (!all_sent)
            continue; /* more of it waits for slots */
        if (p->io->write_through && !p->flushing && p->result == 0) {
            p->flushing = true;
            p->sent = 0;
            enqueue(p);
            continue;
        }
        finish(p);
    }
    if (!broken && r < 0) {
        LOG_ERR("blk: the block server broke the channel (%s); this disk fails from now on",
                stdvmm_strerror(r));
        broken = true;
    }
    pump(); /* also fails everything once the channel broke */
    virtio_blk_flush(model);
}

void vmm_blk_backend(bool up)
{
    if (model == NULL)
        return;
    if (!up) {
        /* Nothing in flight will be answered: the guest hears so now, not never. */
        backend_down = true;
        lost_count++;
        fail_all();
        memset(piece, 0, sizeof(piece));
        virtio_blk_flush(model);
        LOG_WARN("blk: the driver VM serving this disk went away; its requests fail until it "
                 "is back");
        return;
    }
    /* A fresh channel for the new driver VM: nothing of the old run's is in it. */
    if (channel_front_init(&chan, (void *)(uintptr_t)SEL4_VMM_BLK_VA, SEL4_BLK_CHANNEL_BYTES,
                           &geometry) < 0) {
        broken = true;
        return;
    }
    backend_down = false;
    broken = false;
    LOG_INFO("blk: the driver VM serving this disk is back");
    doorbell();
}

int vmm_blk_init(const struct sel4_vmm_args *a, struct virtio_blk_config *cfg, struct virtio_blk *m)
{
    size_t need = channel_shm_size(&geometry);

    if (need == 0 || need > SEL4_BLK_CHANNEL_BYTES) {
        LOG_ERR("blk: the channel needs %zu bytes, the admin maps %u", need,
                SEL4_BLK_CHANNEL_BYTES);
        return -STDVMM_EINVAL;
    }
    int r = channel_front_init(&chan, (void *)(uintptr_t)SEL4_VMM_BLK_VA, SEL4_BLK_CHANNEL_BYTES,
                               &geometry);
    if (r < 0)
        return r;
    model = m;
    cfg->capacity = a->disk_size;
    cfg->readonly = a->disk_read_only != 0;
    cfg->serial = a->disk_id;
    cfg->backend.submit = blk_submit;
    cfg->backend.flush_batch = blk_flush_batch;
    /* The server attaches on its first doorbell. */
    doorbell();
    return 0;
}

void vmm_blk_report(void)
{
    if (model == NULL)
        return;
    LOG_INFO("blk: %llu pieces to the block server, %llu waits for a slot, %llu requests "
             "failed, backend lost %llu times",
             (unsigned long long)pieces_sent, (unsigned long long)slot_waits,
             (unsigned long long)failed, (unsigned long long)lost_count);
}
