/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One IOMMU address space: the I/O virtual address ranges a driver mapped,
 * each to a guest-physical base with read/write permissions, kept sorted
 * and disjoint in caller-provided storage (no heap). The semantics are
 * virtio-iommu's (VirtIO 1.2 §5.13.6.6-7): a new mapping may not overlap an
 * existing one, and an unmap removes only whole mappings.
 *
 * Not thread-safe: the owner (the virtio-iommu device) locks around it.
 */
#ifndef STDVMM_DEVICES_IOMMU_MAP_H
#define STDVMM_DEVICES_IOMMU_MAP_H

#include <stdint.h>

#define IOMMU_MAP_READ 1u
#define IOMMU_MAP_WRITE 2u

/* [start, last] inclusive, as the spec writes ranges: a mapping may end at 2^64 - 1. */
struct iommu_mapping {
    uint64_t start;
    uint64_t last;
    uint64_t phys;
    uint32_t flags; /* IOMMU_MAP_* */
};

struct iommu_map {
    struct iommu_mapping *m; /* sorted by start, disjoint */
    uint32_t count;
    uint32_t cap;
};

void iommu_map_init(struct iommu_map *map, struct iommu_mapping *storage, uint32_t cap);
void iommu_map_clear(struct iommu_map *map);

/*
 * Maps [start, last] to phys. -STDVMM_EINVAL: last < start, or phys + size
 * wraps; -STDVMM_EEXIST: overlaps a mapping; -STDVMM_ENOSPC: storage full.
 */
int iommu_map_add(struct iommu_map *map, uint64_t start, uint64_t last, uint64_t phys,
                  uint32_t flags);

/*
 * Removes every mapping inside [start, last]. -STDVMM_ERANGE, and nothing
 * removed, when a mapping straddles either end (it would be split).
 * Returns how many were removed otherwise.
 */
int iommu_map_remove(struct iommu_map *map, uint64_t start, uint64_t last);

/*
 * The guest-physical address of [addr, addr + len), len >= 1. The range may
 * run across adjacent mappings when their physical ranges follow each other
 * too (a driver may map one buffer in several requests). 0 on success;
 * -STDVMM_ENOENT when part is unmapped, -STDVMM_EPERM when a mapping lacks
 * the access (IOMMU_MAP_* bits), -STDVMM_EFAULT when the mappings are not
 * physically contiguous; *fault gets the first address that failed.
 */
int iommu_map_lookup(const struct iommu_map *map, uint64_t addr, uint64_t len, uint32_t access,
                     uint64_t *phys, uint64_t *fault);

/* The mapping that holds addr, or NULL. */
const struct iommu_mapping *iommu_map_find(const struct iommu_map *map, uint64_t addr);

#endif
