/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/iommu_iotlb.h"

#include <limits.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* The guest RAM region holding gpa, or NULL. */
static const struct gmem_region *region_of(const struct gmem *mem, uint64_t gpa)
{
    for (unsigned i = 0; i < mem->count; i++) {
        const struct gmem_region *r = &mem->regions[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

/*
 * [iova_first, ...] maps 1:1 onto guest-physical [gpa_first, gpa_last]
 * (inclusive, no wrap), and gpa lies inside; the entry is the part inside
 * gpa's RAM region.
 */
static int clip(const struct gmem *mem, uint64_t iova_first, uint64_t gpa_first, uint64_t gpa_last,
                uint64_t gpa, unsigned perm, struct dma_iotlb_entry *e)
{
    const struct gmem_region *r = region_of(mem, gpa);
    if (r == NULL)
        return -STDVMM_EFAULT;
    uint64_t r_last = r->gpa + (r->size - 1); /* gmem refuses regions that wrap */
    uint64_t lo = gpa_first > r->gpa ? gpa_first : r->gpa;
    uint64_t hi = gpa_last < r_last ? gpa_last : r_last;

    *e = (struct dma_iotlb_entry){
        .iova = iova_first + (lo - gpa_first),
        .size = hi - lo + 1, /* inside one region, whose size fits in 64 bits */
        .host = r->host + (lo - r->gpa),
        .perm = perm,
    };
    return 0;
}

int iommu_iotlb_entry(const struct iommu_map *map, const struct gmem *mem, uint64_t iova,
                      unsigned access, struct dma_iotlb_entry *e)
{
    uint32_t need =
        ((access & DMA_READ) ? IOMMU_MAP_READ : 0) | ((access & DMA_WRITE) ? IOMMU_MAP_WRITE : 0);
    const struct iommu_mapping *m = iommu_map_find(map, iova);
    if (m == NULL)
        return -STDVMM_ENOENT;
    if ((m->flags & need) != need)
        return -STDVMM_EPERM;
    unsigned perm = ((m->flags & IOMMU_MAP_READ) ? DMA_READ : 0) |
                    ((m->flags & IOMMU_MAP_WRITE) ? DMA_WRITE : 0);
    /* iommu_map_add() refused a mapping whose physical end wraps. */
    return clip(mem, m->start, m->phys, m->phys + (m->last - m->start), m->phys + (iova - m->start),
                perm, e);
}

int iommu_iotlb_identity(const struct gmem *mem, uint64_t iova, struct dma_iotlb_entry *e)
{
    return clip(mem, 0, 0, UINT64_MAX, iova, DMA_READ | DMA_WRITE, e);
}

bool iommu_iotlb_refusal(struct iommu_iotlb_count *c)
{
    /* Saturates: a counter that wrapped would start logging again. */
    if (c->errors < UINT_MAX)
        c->errors++;
    return c->errors <= IOMMU_IOTLB_ERRORS_LOGGED;
}

int iommu_iotlb_miss(const struct dma_space *dma, struct iommu_iotlb_count *c, const char *name,
                     const char *who, uint64_t iova, unsigned access)
{
    int r = dma != NULL ? dma->iotlb_miss(dma->ctx, iova, access) : -STDVMM_ENOENT;
    if (r == 0) {
        c->misses++;
        return 0;
    }
    if (iommu_iotlb_refusal(c))
        LOG_WARN("%s: %s IOTLB miss at IOVA 0x%llx (%s) refused: nothing the device may use is "
                 "mapped there (%s)",
                 name, who, (unsigned long long)iova,
                 access == DMA_READ    ? "read"
                 : access == DMA_WRITE ? "write"
                                       : "read/write",
                 stdvmm_strerror(r));
    return r;
}
