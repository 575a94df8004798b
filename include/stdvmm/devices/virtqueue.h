/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The split virtqueue (VirtIO 1.2 §2.7) as a device sees it, with indirect
 * descriptors and VIRTIO_F_EVENT_IDX.
 *
 * Everything in the rings is written by the guest and may change under our
 * feet, so each descriptor is copied out of guest memory once and only the
 * copy is checked and used; every address and length goes through
 * gmem_translate() (or the device's IOMMU, stdvmm/devices/dma.h) where it
 * is used; chains that loop, run past their
 * table, exceed the caller's segment limit or mix up readable and writable
 * buffers make the queue "broken". A broken queue is logged once and pops
 * nothing more until the driver resets the device; the caller reports it
 * to the driver (virtio-mmio sets DEVICE_NEEDS_RESET).
 *
 * Not thread-safe by itself: the transport serialises each queue with its
 * lock (pop and push may come from different host threads).
 */
#ifndef STDVMM_DEVICES_VIRTQUEUE_H
#define STDVMM_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/sync.h"

/* Largest queue a device offers (QueueNumMax); the spec allows 32768. */
#define VIRTQ_MAX_SIZE 1024
/* Largest indirect table accepted, in descriptors (the spec bounds chains by the queue size). */
#define VIRTQ_MAX_INDIRECT VIRTQ_MAX_SIZE

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTQ_DESC_SIZE 16
#define VIRTQ_USED_ELEM_SIZE 8

/* One guest buffer of a chain, already translated to a host pointer. */
struct virtq_seg {
    uint8_t *host;
    uint32_t len;
};

/*
 * A descriptor chain: the readable (driver-to-device) segments come first,
 * then the writable ones. Zero-length descriptors are dropped. The segment
 * array belongs to the caller (virtq_chain_init), which bounds the chain.
 */
struct virtq_chain {
    uint16_t head;       /* what virtq_push() returns to the driver */
    uint32_t generation; /* queue generation at pop time; a reset makes the chain stale */
    uint16_t out_count;  /* readable segments: segs[0 .. out_count) */
    uint16_t in_count;   /* writable segments: segs[out_count .. out_count + in_count) */
    uint64_t out_bytes;
    uint64_t in_bytes;
    struct virtq_seg *segs;
    uint16_t cap;
};

struct virtq {
    /* Queue configuration, written by the transport from the driver's registers. */
    uint16_t num; /* queue size, a power of two */
    bool ready;
    uint64_t desc_gpa;
    uint64_t avail_gpa;
    uint64_t used_gpa;
    /* Negotiated ring features. */
    bool event_idx;
    bool indirect;
    /* Device-side state. */
    uint16_t last_avail; /* next available entry the device will take */
    uint16_t used_idx;   /* next used entry; published to the driver after each push */
    uint16_t signalled_used;
    bool signalled_valid; /* signalled_used holds the used index at the last interrupt */
    bool broken;
    /*
     * Kicks wanted only when a pop finds the ring empty (virtq_set_quiet);
     * no_notify: VIRTQ_USED_F_NO_NOTIFY is set in the used ring (no EVENT_IDX).
     */
    bool quiet;
    bool no_notify;
    uint32_t generation; /* bumped on every reset, so late completions can be dropped */
    const struct gmem *mem;
    const struct dma_space *dma; /* NULL: addresses are guest-physical (no IOMMU) */
    const char *name; /* "blk0.request", for messages */
    stdvmm_lock_t lock;
};

void virtq_init(struct virtq *vq, const struct gmem *mem, const char *name);

/*
 * Puts the queue behind an IOMMU: from now on its ring and buffer addresses
 * are I/O virtual addresses, translated (and permission-checked) by dma on
 * every access. Survives resets; NULL goes back to guest-physical addresses.
 */
void virtq_set_dma(struct virtq *vq, const struct dma_space *dma);

/*
 * For a queue the device takes buffers from only as input arrives (a
 * receive queue), not one it drains on every notification: the driver is
 * asked to notify only once a pop has found the ring empty, and told not to
 * for as long as pops succeed (avail_event behind the device, or
 * VIRTQ_USED_F_NO_NOTIFY). A device that finds the ring empty always gets a
 * notification for the next chain. Survives resets.
 */
void virtq_set_quiet(struct virtq *vq, bool quiet);

/* Forgets the configuration and the ring positions (device reset, QueueReady=0). */
void virtq_reset(struct virtq *vq);

/*
 * The driver set QueueReady: checks size and ring placement once (the rings
 * are still translated on every access) and starts the queue.
 */
int virtq_enable(struct virtq *vq, bool event_idx, bool indirect);

void virtq_chain_init(struct virtq_chain *c, struct virtq_seg *segs, uint16_t cap);

/*
 * Takes the next available chain: 1 when *c holds one, 0 when the queue is
 * empty (or not ready), -STDVMM_EIO when the queue is or just became broken.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);

/*
 * Gives back the last n chains popped and not pushed (a device that found
 * it cannot use them yet, e.g. a packet that does not fit): they are popped
 * again next time. generation: the chains' (a reset since makes it a no-op).
 */
void virtq_unpop(struct virtq *vq, uint32_t generation, uint16_t n);

/*
 * Returns a chain to the driver with len bytes written into its writable
 * segments (clamped to what the chain offered). A chain from before the
 * last reset is dropped silently.
 */
void virtq_push(struct virtq *vq, const struct virtq_chain *c, uint32_t len);

/*
 * After one or more pushes: whether the driver wants an interrupt now
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX).
 */
bool virtq_should_notify(struct virtq *vq);

/* Copies up to len bytes from the chain's readable segments, starting at offset. */
uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst, uint64_t len);
/* Copies up to len bytes into the chain's writable segments, starting at offset. */
uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset, const void *src,
                           uint64_t len);

#endif
