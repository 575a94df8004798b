/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The block server's view of one VM's disk: a region {offset, size,
 * read_only} of a shared device. blk_region_map() turns a VM's request
 * into a device offset or refuses it; it is the one place the block server
 * decides what a VM may touch, so every number in a request is the VM's
 * and is checked here, without overflow. blk_regions_check() is what the
 * description checker calls on the set of regions carved from one device.
 */
#ifndef STDVMM_BLK_REGION_H
#define STDVMM_BLK_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLK_REGION_SECTOR 512u

struct blk_region {
    uint64_t offset; /* bytes into the device, a multiple of BLK_REGION_SECTOR */
    uint64_t size;   /* bytes, a non-zero multiple of BLK_REGION_SECTOR */
    bool read_only;
};

enum blk_region_op {
    BLK_REGION_READ,
    BLK_REGION_WRITE,
    BLK_REGION_FLUSH,
};

/* What to do on the device. */
struct blk_region_io {
    uint64_t dev_offset;
    uint64_t len;
    bool noop; /* answer OK without touching the device */
};

/*
 * Maps a request of len bytes at sector (the VM's first sector, counted
 * from the start of its region). As virtio-blk: len is a multiple of 512;
 * a zero-length read or write is range-checked and then done without I/O;
 * a write to a read-only region is refused, even of zero bytes; a flush is
 * always allowed and is a no-op on a read-only region (nothing it wrote
 * can be pending); sector and len are ignored for it.
 * 0 and *io; -STDVMM_EINVAL (len not a sector multiple, unknown op, or a
 * region that breaks its own rules); -STDVMM_ERANGE (past the region's
 * end, 64-bit overflow included); -STDVMM_EPERM (write to a read-only
 * region). Refusals are not logged: the VM chose them; the caller counts.
 */
int blk_region_map(const struct blk_region *r, enum blk_region_op op, uint64_t sector, uint64_t len,
                   struct blk_region_io *io);

enum blk_region_fault {
    BLK_REGION_OK,
    BLK_REGION_UNALIGNED, /* offset or size not a multiple of 512 */
    BLK_REGION_EMPTY,     /* size 0 */
    BLK_REGION_OUTSIDE,   /* reaches past the device's end */
    BLK_REGION_OVERLAP,   /* shares bytes with another, and not both read-only */
};

/* The first problem found: which rule, and which regions (indices). */
struct blk_region_problem {
    enum blk_region_fault fault;
    size_t first;
    size_t second; /* BLK_REGION_OVERLAP only */
};

/*
 * Checks n regions of one device of device_size bytes. 0, or
 * -STDVMM_EINVAL with *problem saying what (the caller words the message
 * with its own names for the regions, e.g. the description's paths).
 */
int blk_regions_check(const struct blk_region *regions, size_t n, uint64_t device_size,
                      struct blk_region_problem *problem);

const char *blk_region_fault_name(enum blk_region_fault f);

#endif
