/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/guest_memory.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

void gmem_init(struct gmem *gm)
{
    memset(gm, 0, sizeof(*gm));
}

/* [a, a+alen) and [b, b+blen) overlap; both already known not to wrap. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int gmem_add_region(struct gmem *gm, uint64_t gpa, uint64_t size, void *host)
{
    if (size == 0 || host == NULL) {
        LOG_ERR("guest memory region at 0x%llx: empty or without backing", (unsigned long long)gpa);
        return -STDVMM_EINVAL;
    }
    if (gpa + size < gpa) {
        LOG_ERR("guest memory region 0x%llx+0x%llx wraps around the address space",
                (unsigned long long)gpa, (unsigned long long)size);
        return -STDVMM_EINVAL;
    }
    if (gm->count >= GMEM_MAX_REGIONS) {
        LOG_ERR("guest memory map is full (%d regions)", GMEM_MAX_REGIONS);
        return -STDVMM_ENOSPC;
    }
    for (unsigned i = 0; i < gm->count; i++) {
        const struct gmem_region *r = &gm->regions[i];
        if (ranges_overlap(gpa, size, r->gpa, r->size)) {
            LOG_ERR("guest memory region 0x%llx+0x%llx overlaps 0x%llx+0x%llx",
                    (unsigned long long)gpa, (unsigned long long)size, (unsigned long long)r->gpa,
                    (unsigned long long)r->size);
            return -STDVMM_EEXIST;
        }
    }
    gm->regions[gm->count++] = (struct gmem_region){.gpa = gpa, .size = size, .host = host};
    return 0;
}

void *gmem_translate(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < gm->count; i++) {
        const struct gmem_region *r = &gm->regions[i];
        /* Written as subtractions so no guest value can overflow the check. */
        if (gpa < r->gpa)
            continue;
        uint64_t off = gpa - r->gpa;
        if (off >= r->size)
            continue;
        if (len > r->size - off)
            return NULL; /* straddles the end of this region: never split */
        return r->host + off;
    }
    return NULL;
}

bool gmem_contains(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
    return gmem_translate(gm, gpa, len) != NULL;
}

int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len)
{
    const void *src = gmem_translate(gm, gpa, len);
    if (src == NULL)
        return -STDVMM_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = gmem_translate(gm, gpa, len);
    if (dst == NULL)
        return -STDVMM_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

const struct gmem_region *gmem_lowest(const struct gmem *gm)
{
    const struct gmem_region *low = gm->count != 0 ? &gm->regions[0] : NULL;
    for (unsigned i = 1; i < gm->count; i++) {
        if (gm->regions[i].gpa < low->gpa)
            low = &gm->regions[i];
    }
    return low;
}

uint64_t gmem_total(const struct gmem *gm)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < gm->count; i++)
        total += gm->regions[i].size;
    return total;
}
