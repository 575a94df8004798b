/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How a device reaches guest memory: by guest-physical address (no IOMMU),
 * or through the I/O virtual addresses an IOMMU maps for it (VirtIO 1.2
 * §6 VIRTIO_F_ACCESS_PLATFORM). The virtqueue takes every ring and buffer
 * address through dma_translate(), so one hook puts every device model
 * behind an IOMMU. Without one, the NULL space costs a single branch.
 */
#ifndef STDVMM_DEVICES_DMA_H
#define STDVMM_DEVICES_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/guest_memory.h"

/* What the device does with the bytes; an IOMMU checks it against the mapping's permissions. */
#define DMA_READ 1u
#define DMA_WRITE 2u

/*
 * One translation a datapath outside the VMM (the kernel's vhost-net) may
 * cache: [iova, iova + size) is host memory at host with perm (DMA_READ,
 * DMA_WRITE). It never exceeds the mapping it comes from nor the guest RAM
 * region it lands in.
 */
struct dma_iotlb_entry {
    uint64_t iova;
    uint64_t size;
    uint8_t *host;
    unsigned perm;
};

/*
 * Where such a datapath's IOTLB lives. The IOMMU calls these under its own
 * lock, so an update answering a miss and an invalidation of the same
 * range cannot overtake each other on the way to the cache.
 */
struct dma_iotlb_sink {
    void (*update)(void *ctx, const struct dma_iotlb_entry *e);
    /* Drop whatever the cache holds that overlaps [iova, last]. */
    void (*invalidate)(void *ctx, uint64_t iova, uint64_t last);
    void *ctx;
    /*
     * Also give update() each new mapping as the driver makes it, before
     * the MAP completes: for a datapath that drops work on a miss rather
     * than wait for the answer (DPDK's receive path drops the frame).
     */
    bool on_map;
};

struct dma_space {
    /*
     * A host pointer for [addr, addr + len) with the given access, or NULL
     * (the IOMMU has already reported the fault to its driver).
     */
    void *(*translate)(void *ctx, uint64_t addr, uint64_t len, unsigned access);
    void *ctx;
    /*
     * For a device whose datapath caches translations elsewhere: sink
     * (NULL: none) receives every later invalidation, and iotlb_miss()
     * answers a miss at addr through it, or reports the fault to the
     * IOMMU's driver and returns a negative error when nothing the device
     * may use is mapped there.
     */
    void (*iotlb_sink)(void *ctx, const struct dma_iotlb_sink *sink);
    int (*iotlb_miss)(void *ctx, uint64_t addr, unsigned access);
};

static inline void *dma_translate(const struct dma_space *dma, const struct gmem *mem,
                                  uint64_t addr, uint64_t len, unsigned access)
{
    if (dma == NULL)
        return gmem_translate(mem, addr, len);
    return dma->translate(dma->ctx, addr, len, access);
}

#endif
