/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory map and the one bounds-checked accessor through which
 * all of stdvmm reaches guest memory. Every guest-controlled address and
 * length is checked here, at the point of use: gmem_translate() returns a
 * host pointer only when [gpa, gpa + len) lies wholly inside one RAM region,
 * without integer overflow. The map itself is filled by whoever owns the
 * backing (host layer on Linux, the root task on seL4); this module never
 * allocates.
 */
#ifndef STDVMM_GUEST_MEMORY_H
#define STDVMM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 16

struct gmem_region {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
};

struct gmem {
    struct gmem_region regions[GMEM_MAX_REGIONS];
    unsigned count;
};

void gmem_init(struct gmem *gm);

/* Adds a RAM region; refuses overlap, zero size, wrap-around and a full map. */
int gmem_add_region(struct gmem *gm, uint64_t gpa, uint64_t size, void *host);

/* The checked accessor: a host pointer for [gpa, gpa+len), or NULL. */
void *gmem_translate(const struct gmem *gm, uint64_t gpa, uint64_t len);

/* Copies through gmem_translate(); -STDVMM_EFAULT when out of bounds. */
int gmem_read(const struct gmem *gm, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct gmem *gm, uint64_t gpa, const void *src, uint64_t len);

bool gmem_contains(const struct gmem *gm, uint64_t gpa, uint64_t len);

/* Sum of all region sizes. */
uint64_t gmem_total(const struct gmem *gm);

/* The region at the lowest address, whatever order they were added in; NULL for an empty map. */
const struct gmem_region *gmem_lowest(const struct gmem *gm);

#endif
