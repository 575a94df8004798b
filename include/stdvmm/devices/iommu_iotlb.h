/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB entries an IOMMU hands to a datapath outside the VMM (the
 * kernel's vhost-net, VHOST_IOTLB_UPDATE): what a miss at one I/O virtual
 * address may cache. The entry is the whole mapping that holds the address
 * (so one miss serves a whole buffer), clipped to the guest RAM region the
 * address lands in: the cache can then reach nothing the driver did not
 * map, and nothing outside guest RAM whatever the driver mapped.
 * Also the step every such datapath takes on a miss: ask the IOMMU, count,
 * and log a refusal without flooding the log.
 */
#ifndef STDVMM_DEVICES_IOMMU_IOTLB_H
#define STDVMM_DEVICES_IOMMU_IOTLB_H

#include <stdbool.h>
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

/* Refusals a datapath logs before going quiet: a driver that unmaps under it repeats them. */
#define IOMMU_IOTLB_ERRORS_LOGGED 8u

/*
 * One datapath's IOTLB counts. Plain counters without a lock, as the
 * datapaths bump them from more than one thread: a rate limit and a
 * statistic tolerate a lost count.
 */
struct iommu_iotlb_count {
    unsigned misses; /* answered */
    unsigned errors; /* refused misses and the datapath's own IOTLB failures */
};

/* Counts one refusal; true while it is among the first IOMMU_IOTLB_ERRORS_LOGGED (log it). */
bool iommu_iotlb_refusal(struct iommu_iotlb_count *c);

/*
 * A miss of the datapath named who (of the device name) at iova, for access
 * (DMA_READ, DMA_WRITE), answered through dma's iotlb_miss(): the entry
 * reaches the datapath's sink, or the IOMMU reports the fault to its
 * driver. dma NULL (no IOMMU): refused, -STDVMM_ENOENT. Counts the miss,
 * logs a refusal within the rate limit, and returns iotlb_miss()'s result.
 */
int iommu_iotlb_miss(const struct dma_space *dma, struct iommu_iotlb_count *c, const char *name,
                     const char *who, uint64_t iova, unsigned access);

#endif
