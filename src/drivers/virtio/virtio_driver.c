/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver side of a virtio-mmio device and its split virtqueues
 * (include/stdvmm/virtio_driver.h). The free list and the chains are
 * linked in the driver's own array, and each chain's length and last
 * descriptor are kept beside it: nothing is read back from the descriptor
 * table, so a device rewriting it cannot make the driver free what it
 * never gave out or lose its free list.
 */
#include "stdvmm/virtio_driver.h"

#include <stddef.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/devices/virtqueue.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define DESC_SIZE 16u
#define PAGE 4096u

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint32_t rd(const struct vdrv_io *io, uint32_t off)
{
    return io->read32(io->ctx, off);
}

static void wr(const struct vdrv_io *io, uint32_t off, uint32_t v)
{
    io->write32(io->ctx, off, v);
}

/* Descriptors, then the available ring, then (on its own page) the used ring. */
static uint64_t avail_offset(uint16_t num)
{
    return (uint64_t)num * DESC_SIZE;
}

static uint64_t used_offset(uint16_t num)
{
    return align_up(avail_offset(num) + 6 + 2u * num, PAGE);
}

uint64_t vdrv_queue_bytes(uint16_t num)
{
    return align_up(used_offset(num) + 6 + 8u * num, PAGE);
}

int vdrv_probe(const struct vdrv_io *io, uint32_t device_id)
{
    uint32_t magic = rd(io, VIRTIO_MMIO_MAGIC_VALUE), version = rd(io, VIRTIO_MMIO_VERSION);
    uint32_t id = rd(io, VIRTIO_MMIO_DEVICE_ID);

    if (magic != VIRTIO_MMIO_MAGIC || version != 2 || id != device_id) {
        LOG_ERR("virtio driver: magic 0x%x version %u device %u; want a virtio 1.x (version 2) "
                "device %u",
                magic, version, id, device_id);
        return -STDVMM_ENODEV;
    }
    return 0;
}

int vdrv_negotiate(const struct vdrv_io *io, uint64_t wanted, uint64_t *features)
{
    wr(io, VIRTIO_MMIO_STATUS, 0);
    wr(io, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(io, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(io, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(io, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(io, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(io, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    uint64_t take = offered & (wanted | 1ull << VIRTIO_F_VERSION_1);
    if (!(take & (1ull << VIRTIO_F_VERSION_1))) {
        LOG_ERR("virtio driver: the device does not offer VERSION_1 (features 0x%llx)",
                (unsigned long long)offered);
        wr(io, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
        return -STDVMM_ENOTSUP;
    }
    wr(io, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(io, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)take);
    wr(io, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(io, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(take >> 32));
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    wr(io, VIRTIO_MMIO_STATUS, st);
    if (!(rd(io, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        LOG_ERR("virtio driver: the device refused features 0x%llx", (unsigned long long)take);
        wr(io, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
        return -STDVMM_ENOTSUP;
    }
    *features = take;
    return 0;
}

int vdrv_queue_init(struct vdrv_queue *q, uint16_t index, uint16_t num, const struct vdrv_dma *dma,
                    uint64_t offset)
{
    if (num == 0 || num > VDRV_QUEUE_MAX || (num & (num - 1)) != 0) {
        LOG_ERR("virtio driver: queue %u of %u entries; this driver takes up to %u (a power of "
                "two)",
                index, num, VDRV_QUEUE_MAX);
        return -STDVMM_EINVAL;
    }
    if (offset % PAGE != 0 || offset > dma->size || dma->size - offset < vdrv_queue_bytes(num)) {
        LOG_ERR("virtio driver: queue %u does not fit its DMA region at offset 0x%llx", index,
                (unsigned long long)offset);
        return -STDVMM_EINVAL;
    }
    *q = (struct vdrv_queue){.index = index, .num = num, .num_free = num};
    q->desc = dma->va + offset;
    q->avail = q->desc + avail_offset(num);
    q->used = q->desc + used_offset(num);
    q->desc_pa = dma->pa + offset;
    q->avail_pa = q->desc_pa + avail_offset(num);
    q->used_pa = q->desc_pa + used_offset(num);
    for (uint64_t i = 0; i < vdrv_queue_bytes(num); i++)
        q->desc[i] = 0;
    for (uint16_t i = 0; i < num; i++)
        q->link[i] = (uint16_t)(i + 1);
    return 0;
}

int vdrv_queue_setup(const struct vdrv_io *io, struct vdrv_queue *q, uint16_t index, uint16_t num,
                     const struct vdrv_dma *dma, uint64_t offset)
{
    wr(io, VIRTIO_MMIO_QUEUE_SEL, index);
    uint32_t max = rd(io, VIRTIO_MMIO_QUEUE_NUM_MAX);

    if (num > max) {
        LOG_ERR("virtio driver: queue %u of %u entries; the device takes up to %u", index, num,
                max);
        return -STDVMM_EINVAL;
    }
    if (rd(io, VIRTIO_MMIO_QUEUE_READY) != 0) {
        LOG_ERR("virtio driver: queue %u is already live", index);
        return -STDVMM_EBUSY;
    }
    int r = vdrv_queue_init(q, index, num, dma, offset);
    if (r < 0)
        return r;
    wr(io, VIRTIO_MMIO_QUEUE_NUM, num);
    wr(io, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc_pa);
    wr(io, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc_pa >> 32));
    wr(io, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail_pa);
    wr(io, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail_pa >> 32));
    wr(io, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used_pa);
    wr(io, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used_pa >> 32));
    wr(io, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

void vdrv_driver_ok(const struct vdrv_io *io)
{
    wr(io, VIRTIO_MMIO_STATUS,
       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
           VIRTIO_STATUS_DRIVER_OK);
}

uint32_t vdrv_config32(const struct vdrv_io *io, uint32_t offset)
{
    return rd(io, VIRTIO_MMIO_CONFIG + offset);
}

int vdrv_queue_add(struct vdrv_queue *q, const struct vdrv_buf *bufs, unsigned count,
                   uint16_t *head)
{
    if (count == 0 || count > q->num_free)
        return -STDVMM_ENOSPC;
    uint16_t first = q->free_head, d = first;
    uint32_t writable = 0;
    for (unsigned i = 0; i < count; i++) {
        uint8_t *p = q->desc + (uint64_t)d * DESC_SIZE;
        uint16_t next = q->link[d];
        uint16_t flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < count ? VIRTQ_DESC_F_NEXT : 0));
        virtio_put_le64(p, bufs[i].pa);
        virtio_put_le32(p + 8, bufs[i].len);
        virtio_put_le16(p + 12, flags);
        virtio_put_le16(p + 14, i + 1 < count ? next : 0);
        if (bufs[i].device_writes)
            writable += bufs[i].len;
        if (i + 1 < count) {
            d = next;
        } else {
            q->chain_last[first] = d;
            q->free_head = next;
        }
    }
    q->num_free = (uint16_t)(q->num_free - count);
    q->chain_len[first] = (uint16_t)count;
    q->chain_bytes[first] = writable;
    virtio_put_le16(q->avail + 4 + 2u * (q->avail_idx % q->num), first);
    q->avail_idx++;
    /* The ring entry before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    virtio_put_le16(q->avail + 2, q->avail_idx);
    *head = first;
    return 0;
}

void vdrv_queue_kick(const struct vdrv_io *io, const struct vdrv_queue *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wr(io, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

int vdrv_queue_used(struct vdrv_queue *q, uint16_t *head, uint32_t *len)
{
    uint16_t used_idx = virtio_le16(q->used + 2);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (used_idx == q->last_used)
        return -STDVMM_EAGAIN;
    const uint8_t *e = q->used + 4 + 8u * (q->last_used % q->num);
    uint32_t id = virtio_le32(e), written = virtio_le32(e + 4);
    if ((uint16_t)(used_idx - q->last_used) > q->num || id >= q->num || q->chain_len[id] == 0 ||
        written > q->chain_bytes[id]) {
        LOG_ERR("virtio driver: queue %u: the device returned head %u (%u bytes) at used index "
                "%u, which is not a chain in flight; the device needs a reset",
                q->index, id, written, used_idx);
        return -STDVMM_EPROTO;
    }
    q->last_used++;
    /* Back on the free list whole: its links are still the ones it was taken with. */
    q->link[q->chain_last[id]] = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + q->chain_len[id]);
    q->chain_len[id] = 0;
    *head = (uint16_t)id;
    *len = written;
    return 0;
}

uint32_t vdrv_irq_ack(const struct vdrv_io *io)
{
    uint32_t isr = rd(io, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (isr != 0)
        wr(io, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    return isr;
}
