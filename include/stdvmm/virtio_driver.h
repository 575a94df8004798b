/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver side of virtio over MMIO (virtio 1.x, split virtqueues), for
 * components that drive a real device rather than emulate one: the seL4
 * block server on QEMU's virtio-blk-device, and later driver VMs' peers.
 * Freestanding: the caller gives register access and one DMA region (its
 * virtual and its bus address), and the driver allocates nothing.
 *
 * A device is trusted to follow the protocol no more than a guest is: what
 * it writes into the used ring is checked (a head not in flight, a length
 * beyond the buffers) before it is believed.
 */
#ifndef STDVMM_VIRTIO_DRIVER_H
#define STDVMM_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

/* How the driver reaches the device's registers (offsets in the virtio-mmio window). */
struct vdrv_io {
    uint32_t (*read32)(void *ctx, uint32_t offset);
    void (*write32)(void *ctx, uint32_t offset, uint32_t value);
    void *ctx;
};

/* Memory the device reads and writes: va for the driver, pa for the device. */
struct vdrv_dma {
    uint8_t *va;
    uint64_t pa;
    uint64_t size;
};

#define VDRV_QUEUE_MAX 256

struct vdrv_queue {
    uint16_t index, num;
    uint16_t free_head, num_free;
    uint16_t avail_idx, last_used;
    uint8_t *desc, *avail, *used; /* in the DMA region */
    uint64_t desc_pa, avail_pa, used_pa;
    /* The driver's own links (free list and chains): the device cannot rewrite them. */
    uint16_t link[VDRV_QUEUE_MAX];
    uint16_t chain_len[VDRV_QUEUE_MAX];   /* per head in flight: descriptors; 0 when free */
    uint16_t chain_last[VDRV_QUEUE_MAX];  /* per head: its last descriptor */
    uint32_t chain_bytes[VDRV_QUEUE_MAX]; /* per head: device-writable bytes */
};

/* One buffer of a chain, by bus address. */
struct vdrv_buf {
    uint64_t pa;
    uint32_t len;
    bool device_writes;
};

/* Bytes of DMA memory a queue of num entries needs (page-aligned parts). */
uint64_t vdrv_queue_bytes(uint16_t num);

/* Magic, version 2, the device ID; -STDVMM_ENODEV otherwise. */
int vdrv_probe(const struct vdrv_io *io, uint32_t device_id);
/*
 * Reset, ACKNOWLEDGE, DRIVER, then the features in wanted that the device
 * offers (VERSION_1 is required), FEATURES_OK, checked. out: the features.
 */
int vdrv_negotiate(const struct vdrv_io *io, uint64_t wanted, uint64_t *features);
/*
 * Lays out queue index of num entries (a power of two) in dma at offset, for
 * a device reached otherwise than by MMIO registers (a vhost-user backend,
 * which is told the addresses in messages).
 */
int vdrv_queue_init(struct vdrv_queue *q, uint16_t index, uint16_t num, const struct vdrv_dma *dma,
                    uint64_t offset);
/* Queue index of num entries (a power of two, at most the device's max) in dma at offset. */
int vdrv_queue_setup(const struct vdrv_io *io, struct vdrv_queue *q, uint16_t index, uint16_t num,
                     const struct vdrv_dma *dma, uint64_t offset);
void vdrv_driver_ok(const struct vdrv_io *io);
/* The device's config space, 32 bits at offset. */
uint32_t vdrv_config32(const struct vdrv_io *io, uint32_t offset);

/* Adds a chain (readable buffers first, then writable); out: its head. -STDVMM_ENOSPC when full. */
int vdrv_queue_add(struct vdrv_queue *q, const struct vdrv_buf *bufs, unsigned count,
                   uint16_t *head);
void vdrv_queue_kick(const struct vdrv_io *io, const struct vdrv_queue *q);
/*
 * The next chain the device finished: 0 with its head and the length the
 * device wrote, -STDVMM_EAGAIN when none, -STDVMM_EPROTO when the device
 * returned something not in flight or too long (the queue is then
 * unusable: reset the device).
 */
int vdrv_queue_used(struct vdrv_queue *q, uint16_t *head, uint32_t *len);
/* Reads and acknowledges the interrupt status. */
uint32_t vdrv_irq_ack(const struct vdrv_io *io);

#endif
