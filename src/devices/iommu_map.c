/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/iommu_map.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"

void iommu_map_init(struct iommu_map *map, struct iommu_mapping *storage, uint32_t cap)
{
    map->m = storage;
    map->cap = cap;
    map->count = 0;
}

void iommu_map_clear(struct iommu_map *map)
{
    map->count = 0;
}

/* Index of the first mapping whose last address is >= addr (count if none). */
static uint32_t first_ending_at_or_after(const struct iommu_map *map, uint64_t addr)
{
    uint32_t lo = 0, hi = map->count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (map->m[mid].last < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int iommu_map_add(struct iommu_map *map, uint64_t start, uint64_t last, uint64_t phys,
                  uint32_t flags)
{
    if (last < start || phys + (last - start) < phys)
        return -STDVMM_EINVAL;
    uint32_t i = first_ending_at_or_after(map, start);
    /* Mappings are disjoint and sorted, so only m[i] can overlap [start, last]. */
    if (i < map->count && map->m[i].start <= last)
        return -STDVMM_EEXIST;
    if (map->count >= map->cap)
        return -STDVMM_ENOSPC;
    memmove(&map->m[i + 1], &map->m[i], (size_t)(map->count - i) * sizeof(map->m[0]));
    map->m[i] = (struct iommu_mapping){.start = start, .last = last, .phys = phys, .flags = flags};
    map->count++;
    return 0;
}

int iommu_map_remove(struct iommu_map *map, uint64_t start, uint64_t last)
{
    if (last < start)
        return -STDVMM_EINVAL;
    uint32_t i = first_ending_at_or_after(map, start);
    uint32_t j = i;

    if (i < map->count && map->m[i].start < start && map->m[i].last >= start)
        return -STDVMM_ERANGE; /* straddles the start */
    while (j < map->count && map->m[j].start <= last) {
        if (map->m[j].last > last)
            return -STDVMM_ERANGE; /* straddles the end */
        j++;
    }
    memmove(&map->m[i], &map->m[j], (size_t)(map->count - j) * sizeof(map->m[0]));
    map->count -= j - i;
    return (int)(j - i);
}

int iommu_map_lookup(const struct iommu_map *map, uint64_t addr, uint64_t len, uint32_t access,
                     uint64_t *phys, uint64_t *fault)
{
    uint64_t last = addr + (len - 1);
    uint32_t i = first_ending_at_or_after(map, addr);
    uint64_t at = addr;
    uint64_t next_phys = 0;

    if (len == 0 || last < addr) {
        *fault = addr;
        return -STDVMM_EINVAL;
    }
    for (;;) {
        if (i >= map->count || map->m[i].start > at) {
            *fault = at;
            return -STDVMM_ENOENT;
        }
        const struct iommu_mapping *m = &map->m[i];
        if ((m->flags & access) != access) {
            *fault = at;
            return -STDVMM_EPERM;
        }
        uint64_t p = m->phys + (at - m->start);
        if (at == addr)
            *phys = p;
        else if (p != next_phys) {
            *fault = at;
            return -STDVMM_EFAULT;
        }
        if (m->last >= last)
            return 0;
        /* m->last < last <= UINT64_MAX, so neither sum wraps. */
        next_phys = p + (m->last - at) + 1;
        at = m->last + 1;
        i++;
    }
}

const struct iommu_mapping *iommu_map_find(const struct iommu_map *map, uint64_t addr)
{
    uint32_t i = first_ending_at_or_after(map, addr);
    return i < map->count && map->m[i].start <= addr ? &map->m[i] : NULL;
}
