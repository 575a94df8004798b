/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/blk_region.h"

#include "stdvmm/error.h"

/* A region's own rules, as blk_regions_check() enforces them for a device. */
static enum blk_region_fault shape(const struct blk_region *r)
{
    if (r->offset % BLK_REGION_SECTOR != 0 || r->size % BLK_REGION_SECTOR != 0)
        return BLK_REGION_UNALIGNED;
    if (r->size == 0)
        return BLK_REGION_EMPTY;
    if (r->size > UINT64_MAX - r->offset)
        return BLK_REGION_OUTSIDE;
    return BLK_REGION_OK;
}

int blk_region_map(const struct blk_region *r, enum blk_region_op op, uint64_t sector, uint64_t len,
                   struct blk_region_io *io)
{
    /* Checked again here so that a region nobody validated still cannot
     * map a request past the end of the address space. */
    if (shape(r) != BLK_REGION_OK)
        return -STDVMM_EINVAL;
    switch (op) {
    case BLK_REGION_FLUSH:
        *io = (struct blk_region_io){.noop = r->read_only};
        return 0;
    case BLK_REGION_WRITE:
        if (r->read_only)
            return -STDVMM_EPERM;
        break;
    case BLK_REGION_READ:
        break;
    default:
        return -STDVMM_EINVAL;
    }
    if (len % BLK_REGION_SECTOR != 0)
        return -STDVMM_EINVAL;
    /* Subtractions only: sector and len are the VM's, and sector * 512
     * or sector * 512 + len may not fit in 64 bits. */
    uint64_t sectors = r->size / BLK_REGION_SECTOR;
    if (sector > sectors || len / BLK_REGION_SECTOR > sectors - sector)
        return -STDVMM_ERANGE;
    *io = (struct blk_region_io){
        .dev_offset = r->offset + sector * BLK_REGION_SECTOR,
        .len = len,
        .noop = len == 0,
    };
    return 0;
}

static bool overlap(const struct blk_region *a, const struct blk_region *b)
{
    /* Both are inside the device, so neither end overflows. */
    return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}

int blk_regions_check(const struct blk_region *regions, size_t n, uint64_t device_size,
                      struct blk_region_problem *problem)
{
    *problem = (struct blk_region_problem){.fault = BLK_REGION_OK};
    for (size_t i = 0; i < n; i++) {
        const struct blk_region *r = &regions[i];
        enum blk_region_fault f = shape(r);
        if (f == BLK_REGION_OK && (r->offset > device_size || r->size > device_size - r->offset))
            f = BLK_REGION_OUTSIDE;
        if (f != BLK_REGION_OK) {
            *problem = (struct blk_region_problem){.fault = f, .first = i};
            return -STDVMM_EINVAL;
        }
    }
    /* Pairwise: a description holds a handful of regions per device. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            const struct blk_region *a = &regions[i], *b = &regions[j];
            if ((a->read_only && b->read_only) || !overlap(a, b))
                continue;
            *problem =
                (struct blk_region_problem){.fault = BLK_REGION_OVERLAP, .first = i, .second = j};
            return -STDVMM_EINVAL;
        }
    }
    return 0;
}

const char *blk_region_fault_name(enum blk_region_fault f)
{
    switch (f) {
    case BLK_REGION_OK:
        return "ok";
    case BLK_REGION_UNALIGNED:
        return "offset or size not a multiple of 512 bytes";
    case BLK_REGION_EMPTY:
        return "size 0";
    case BLK_REGION_OUTSIDE:
        return "reaches past the end of the device";
    case BLK_REGION_OVERLAP:
        return "overlaps another region that is not read-only";
    }
    return "unknown";
}
