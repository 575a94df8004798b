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

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/guest_memory.h"

/* What the device does with the bytes; an IOMMU checks it against the mapping's permissions. */
#define DMA_READ 1u
#define DMA_WRITE 2u

struct dma_space {
    /*
     * A host pointer for [addr, addr + len) with the given access, or NULL
     * (the IOMMU has already reported the fault to its driver).
     */
    void *(*translate)(void *ctx, uint64_t addr, uint64_t len, unsigned access);
    void *ctx;
};

static inline void *dma_translate(const struct dma_space *dma, const struct gmem *mem,
                                  uint64_t addr, uint64_t len, unsigned access)
{
    if (dma == NULL)
        return gmem_translate(mem, addr, len);
    return dma->translate(dma->ctx, addr, len, access);
}

#endif
