/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB entries an IOMMU hands to a datapath outside the VMM (the
 * kernel's vhost-net, VHOST_IOTLB_UPDATE): what a miss at one I/O virtual
 * address may cache. The entry is the whole mapping that holds the address
 * (so one miss serves a whole buffer), clipped to the guest RAM region the
 * address lands in: the cache can then reach nothing the driver did not
 * map, and nothing outside guest RAM whatever the driver mapped.
 */
#ifndef STDVMM_DEVICES_IOMMU_IOTLB_H
#define STDVMM_DEVICES_IOMMU_IOTLB_H

#include <stdint.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/iommu_map.h"
#include "stdvmm/guest_memory.h"

/*
 * The entry for an access (DMA_READ, DMA_WRITE) at iova through map.
 * -STDVMM_ENOENT: nothing mapped there; -STDVMM_EPERM: the mapping does
 * not allow the access; -STDVMM_EFAULT: it maps iova outside guest RAM.
 */
int iommu_iotlb_entry(const struct iommu_map *map, const struct gmem *mem, uint64_t iova,
                      unsigned access, struct dma_iotlb_entry *e);

/* The same for an endpoint that bypasses the IOMMU: the guest RAM region holding iova, 1:1. */
int iommu_iotlb_identity(const struct gmem *mem, uint64_t iova, struct dma_iotlb_entry *e);

#endif
