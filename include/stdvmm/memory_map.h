/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest memory map chosen by the user: several RAM regions at given
 * guest-physical addresses, holes between them. memmap_check() decides
 * whether an architecture's guest can have such a map (struct memmap_limits,
 * from arch_memory_limits()) before any memory is allocated: the system
 * description runs it to point at the offending entry by path and line, the
 * machine layer runs it again on whatever map it is given. Without a map the
 * arch places RAM itself (arch_plan_memory).
 *
 * Portable and freestanding: problems go to a caller's report function (or
 * the log), with the region's index in the caller's order.
 */
#ifndef STDVMM_MEMORY_MAP_H
#define STDVMM_MEMORY_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define MEMMAP_MAX_REGIONS 8   /* what any arch accepts; an arch may accept fewer */
#define MEMMAP_MAX_RESERVED 4  /* fixed windows of one arch */
#define MEMMAP_WHOLE_MAP (~0u) /* report index of a problem of the map, not one region */

struct memmap_range {
    uint64_t gpa;
    uint64_t size;
};

/* A guest-physical window RAM must stay out of. */
struct memmap_window {
    uint64_t start;
    uint64_t end; /* exclusive */
    const char *what;
};

/* What one architecture's guest can have as RAM, and why. */
struct memmap_limits {
    const char *arch;
    uint64_t align;    /* every region's address and size */
    uint64_t addr_end; /* RAM ends at or below this address (the guest's physical/IPA width) */
    /*
     * The lowest region holds the kernel, its initramfs and the firmware
     * tables: it must have boot_min bytes, and start at boot_gpa when
     * boot_gpa_fixed (x86: low memory at 0 for the boot protocol).
     */
    uint64_t boot_min;
    bool boot_gpa_fixed;
    uint64_t boot_gpa;
    unsigned max_regions; /* what the arch's firmware tables describe */
    struct memmap_window reserved[MEMMAP_MAX_RESERVED];
    unsigned reserved_count;
};

/* Gets one problem: index is the region's (or MEMMAP_WHOLE_MAP), the rest a printf format. */
typedef void (*memmap_report_fn)(void *ctx, unsigned index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks ram[0..count) against lim: at least one region and at most
 * lim->max_regions, every region non-empty, aligned, below lim->addr_end, out
 * of every reserved window and of every other region, and a lowest region
 * the boot can use. Every problem is reported (to report, or the log when
 * report is NULL); returns 0, or -STDVMM_EINVAL when there was any.
 */
int memmap_check(const struct memmap_limits *lim, const struct memmap_range *ram, unsigned count,
                 memmap_report_fn report, void *ctx);

/*
 * Checks a window that is guest memory but not RAM (a region shared with
 * other VMs) for a VM whose RAM is ram[0..ram_count): aligned, inside the
 * address space, out of the reserved windows and out of RAM. Problems are
 * reported with index `index`; returns 0 or -STDVMM_EINVAL.
 */
int memmap_check_window(const struct memmap_limits *lim, const struct memmap_range *ram,
                        unsigned ram_count, const struct memmap_range *window, unsigned index,
                        memmap_report_fn report, void *ctx);

/* Sorts ram by address (a checked map has no ties). */
void memmap_sort(struct memmap_range *ram, unsigned count);

/* Sum of the sizes; a checked map cannot overflow it. */
uint64_t memmap_total(const struct memmap_range *ram, unsigned count);

#endif
