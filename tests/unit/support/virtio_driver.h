/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny virtio driver for unit tests: guest RAM is a host buffer, the
 * driver side of the rings is written by hand, and the transport is driven
 * through its register file exactly as a guest would. Header-only (static
 * functions) so each test program takes what it uses.
 */
#ifndef STDVMM_TEST_VIRTIO_DRIVER_H
#define STDVMM_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/guest_memory.h"

#define TD_RAM_GPA 0x100000ull
#define TD_RAM_SIZE (4ull << 20)
/* Per queue q: descriptors at TD_RING(q), avail +0x4000, used +0x8000 (room for 1024 entries). */
#define TD_RING(q) (TD_RAM_GPA + 0x10000ull * (q))
#define TD_DATA (TD_RAM_GPA + 0x100000ull) /* buffers from here on */

struct td_queue {
    uint16_t num;
    uint16_t avail_idx;
    uint64_t desc;
    uint64_t avail;
    uint64_t used;
};

struct td {
    uint8_t *ram;
    struct gmem mem;
    struct td_queue q[VIRTIO_MAX_QUEUES];
    unsigned interrupts;
    unsigned kicks;
};

static inline int td_init(struct td *d)
{
    memset(d, 0, sizeof(*d));
    d->ram = aligned_alloc(4096, TD_RAM_SIZE);
    if (d->ram == NULL)
        return -1;
    memset(d->ram, 0, TD_RAM_SIZE);
    gmem_init(&d->mem);
    return gmem_add_region(&d->mem, TD_RAM_GPA, TD_RAM_SIZE, d->ram);
}

static inline void td_free(struct td *d)
{
    free(d->ram);
    d->ram = NULL;
}

static inline uint8_t *td_ptr(struct td *d, uint64_t gpa)
{
    return d->ram + (gpa - TD_RAM_GPA);
}

static inline void td_interrupt(void *ctx)
{
    ((struct td *)ctx)->interrupts++;
}

static inline void td_kick(void *ctx)
{
    ((struct td *)ctx)->kicks++;
}

static inline struct virtio_slot td_slot(struct td *d, const char *name)
{
    return (struct virtio_slot){
        .name = name,
        .base = 0xd0000000u,
        .irq = 5,
        .mem = &d->mem,
        .interrupt = td_interrupt,
        .kick = td_kick,
        .host_ctx = d,
    };
}

static inline uint32_t td_r32(struct virtio_mmio *t, uint64_t off)
{
    uint8_t b[4];
    virtio_mmio_read(t, off, b, 4);
    return virtio_le32(b);
}

static inline void td_w32(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    virtio_put_le32(b, v);
    virtio_mmio_write(t, off, b, 4);
}

/* Feature negotiation as Linux does it; returns the status read back. */
static inline uint32_t td_negotiate(struct virtio_mmio *t, uint64_t features)
{
    td_w32(t, VIRTIO_MMIO_STATUS, 0);
    td_w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    td_w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    td_w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    td_w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    td_w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    td_w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    td_w32(t, VIRTIO_MMIO_STATUS,
           VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return td_r32(t, VIRTIO_MMIO_STATUS);
}

static inline void td_setup_queue_at(struct td *d, struct virtio_mmio *t, unsigned q,
                                     uint16_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    struct td_queue *tq = &d->q[q];
    tq->num = num;
    tq->avail_idx = 0;
    tq->desc = desc;
    tq->avail = avail;
    tq->used = used;
    td_w32(t, VIRTIO_MMIO_QUEUE_SEL, q);
    td_w32(t, VIRTIO_MMIO_QUEUE_NUM, num);
    td_w32(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    td_w32(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    td_w32(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    td_w32(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    td_w32(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    td_w32(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    td_w32(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

static inline void td_setup_queue(struct td *d, struct virtio_mmio *t, unsigned q, uint16_t num)
{
    td_setup_queue_at(d, t, q, num, TD_RING(q), TD_RING(q) + 0x4000, TD_RING(q) + 0x8000);
}

/* Negotiates, sets up every queue with num entries, and sets DRIVER_OK. */
static inline void td_start(struct td *d, struct virtio_mmio *t, unsigned queues, uint16_t num,
                            uint64_t features)
{
    td_negotiate(t, features);
    for (unsigned q = 0; q < queues; q++)
        td_setup_queue(d, t, q, num);
    td_w32(t, VIRTIO_MMIO_STATUS,
           VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
               VIRTIO_STATUS_DRIVER_OK);
}

static inline void td_desc_at(struct td *d, uint64_t table, uint16_t i, uint64_t addr,
                              uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = td_ptr(d, table + 16ull * i);
    virtio_put_le64(p, addr);
    virtio_put_le32(p + 8, len);
    virtio_put_le16(p + 12, flags);
    virtio_put_le16(p + 14, next);
}

static inline void td_desc(struct td *d, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
                           uint16_t flags, uint16_t next)
{
    td_desc_at(d, d->q[q].desc, i, addr, len, flags, next);
}

/* Makes head available and publishes the new avail index. */
static inline void td_avail(struct td *d, unsigned q, uint16_t head)
{
    struct td_queue *tq = &d->q[q];
    virtio_put_le16(td_ptr(d, tq->avail + 4 + 2ull * (tq->avail_idx % tq->num)), head);
    tq->avail_idx++;
    virtio_put_le16(td_ptr(d, tq->avail + 2), tq->avail_idx);
}

static inline void td_set_avail_idx(struct td *d, unsigned q, uint16_t idx)
{
    virtio_put_le16(td_ptr(d, d->q[q].avail + 2), idx);
}

static inline void td_set_avail_flags(struct td *d, unsigned q, uint16_t flags)
{
    virtio_put_le16(td_ptr(d, d->q[q].avail), flags);
}

static inline void td_set_used_event(struct td *d, unsigned q, uint16_t v)
{
    virtio_put_le16(td_ptr(d, d->q[q].avail + 4 + 2ull * d->q[q].num), v);
}

static inline uint16_t td_avail_event(struct td *d, unsigned q)
{
    return virtio_le16(td_ptr(d, d->q[q].used + 4 + 8ull * d->q[q].num));
}

static inline uint16_t td_used_idx(struct td *d, unsigned q)
{
    return virtio_le16(td_ptr(d, d->q[q].used + 2));
}

static inline void td_used_elem(struct td *d, unsigned q, uint16_t i, uint32_t *id, uint32_t *len)
{
    const uint8_t *p = td_ptr(d, d->q[q].used + 4 + 8ull * (i % d->q[q].num));
    *id = virtio_le32(p);
    *len = virtio_le32(p + 4);
}

/*
 * For a device served on another thread: waits up to timeout_ms for used
 * element *seen of queue q, then gives its id and len and counts it seen.
 * False when none came.
 */
static inline bool td_next_used(struct td *d, unsigned q, uint16_t *seen, int timeout_ms,
                                uint32_t *id, uint32_t *len)
{
    const volatile uint16_t *idx = (const volatile uint16_t *)td_ptr(d, d->q[q].used + 2);
    for (int ms = 0; __atomic_load_n(idx, __ATOMIC_ACQUIRE) == *seen; ms++) {
        if (ms == timeout_ms)
            return false;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    td_used_elem(d, q, (*seen)++, id, len);
    return true;
}

#define TD_FEATURES_ALL                                                                            \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |                         \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

#endif
