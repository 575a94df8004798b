/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/memory_map.h"

#include <stddef.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

typedef unsigned long long ull;

/*
 * Messages name the region by its range as well as by index: the log has no
 * index (no caller to turn it into a path), a report function has both.
 */
#define REPORT(index, ...)                                                                         \
    do {                                                                                           \
        if (report != NULL)                                                                        \
            report(ctx, (index), __VA_ARGS__);                                                     \
        else                                                                                       \
            LOG_ERR(__VA_ARGS__);                                                                  \
        bad = true;                                                                                \
    } while (0)

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

/* Checks that need nothing but the region and the limits; true when it is usable. */
static bool check_one(const struct memmap_limits *lim, const struct memmap_range *r, unsigned i,
                      memmap_report_fn report, void *ctx)
{
    bool bad = false;

    if (r->size == 0) {
        REPORT(i, "region at 0x%llx is empty", (ull)r->gpa);
        return false;
    }
    if (r->gpa % lim->align != 0 || r->size % lim->align != 0) {
        REPORT(i,
               "region [0x%llx, +0x%llx): RAM regions of %s guests start and end on "
               "0x%llx-byte (%llu KiB) boundaries",
               (ull)r->gpa, (ull)r->size, lim->arch, (ull)lim->align, (ull)(lim->align >> 10));
    }
    if (r->gpa > lim->addr_end || r->size > lim->addr_end - r->gpa) {
        REPORT(i,
               "region [0x%llx, +0x%llx) ends beyond 0x%llx, the end of the physical "
               "address space of %s guests",
               (ull)r->gpa, (ull)r->size, (ull)lim->addr_end, lim->arch);
        return false;
    }
    uint64_t end = r->gpa + r->size;
    for (unsigned k = 0; k < lim->reserved_count; k++) {
        const struct memmap_window *w = &lim->reserved[k];
        if (overlaps(r->gpa, end, w->start, w->end))
            REPORT(i, "region [0x%llx, 0x%llx) overlaps %s at [0x%llx, 0x%llx), which is not RAM",
                   (ull)r->gpa, (ull)end, w->what, (ull)w->start, (ull)w->end);
    }
    return !bad;
}

int memmap_check(const struct memmap_limits *lim, const struct memmap_range *ram, unsigned count,
                 memmap_report_fn report, void *ctx)
{
    bool bad = false;
    bool usable[MEMMAP_MAX_REGIONS];
    unsigned lowest = MEMMAP_WHOLE_MAP;

    if (count == 0) {
        REPORT(MEMMAP_WHOLE_MAP, "the memory map has no region");
        return -STDVMM_EINVAL;
    }
    if (count > lim->max_regions || count > MEMMAP_MAX_REGIONS) {
        REPORT(MEMMAP_WHOLE_MAP, "%u regions: the firmware tables of %s guests describe at most %u",
               count, lim->arch, lim->max_regions);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < count; i++) {
        usable[i] = check_one(lim, &ram[i], i, report, ctx);
        bad = bad || !usable[i];
        if (!usable[i])
            continue;
        for (unsigned j = 0; j < i; j++) {
            if (usable[j] && overlaps(ram[i].gpa, ram[i].gpa + ram[i].size, ram[j].gpa,
                                      ram[j].gpa + ram[j].size))
                REPORT(i, "region [0x%llx, 0x%llx) overlaps region %u [0x%llx, 0x%llx)",
                       (ull)ram[i].gpa, (ull)(ram[i].gpa + ram[i].size), j, (ull)ram[j].gpa,
                       (ull)(ram[j].gpa + ram[j].size));
        }
        if (lowest == MEMMAP_WHOLE_MAP || ram[i].gpa < ram[lowest].gpa)
            lowest = i;
    }
    if (bad || lowest == MEMMAP_WHOLE_MAP)
        return -STDVMM_EINVAL;
    const struct memmap_range *low = &ram[lowest];
    if (lim->boot_gpa_fixed && low->gpa != lim->boot_gpa)
        REPORT(lowest,
               "the lowest region starts at 0x%llx: %s guests need one at 0x%llx, where "
               "their boot protocol and firmware tables expect low memory",
               (ull)low->gpa, lim->arch, (ull)lim->boot_gpa);
    if (low->size < lim->boot_min)
        REPORT(lowest,
               "the lowest region [0x%llx, +%llu KiB) holds the kernel, its initramfs and the "
               "firmware tables: %s guests need at least %llu MiB there",
               (ull)low->gpa, (ull)(low->size >> 10), lim->arch, (ull)(lim->boot_min >> 20));
    return bad ? -STDVMM_EINVAL : 0;
}

int memmap_check_window(const struct memmap_limits *lim, const struct memmap_range *ram,
                        unsigned ram_count, const struct memmap_range *window, unsigned index,
                        memmap_report_fn report, void *ctx)
{
    bool bad = false;

    if (!check_one(lim, window, index, report, ctx))
        return -STDVMM_EINVAL;
    for (unsigned i = 0; i < ram_count; i++) {
        if (overlaps(window->gpa, window->gpa + window->size, ram[i].gpa, ram[i].gpa + ram[i].size))
            REPORT(index, "[0x%llx, 0x%llx) overlaps the VM's RAM at [0x%llx, 0x%llx)",
                   (ull)window->gpa, (ull)(window->gpa + window->size), (ull)ram[i].gpa,
                   (ull)(ram[i].gpa + ram[i].size));
    }
    return bad ? -STDVMM_EINVAL : 0;
}

void memmap_sort(struct memmap_range *ram, unsigned count)
{
    for (unsigned i = 1; i < count; i++) {
        for (unsigned k = i; k > 0 && ram[k - 1].gpa > ram[k].gpa; k--) {
            struct memmap_range t = ram[k];
            ram[k] = ram[k - 1];
            ram[k - 1] = t;
        }
    }
}

uint64_t memmap_total(const struct memmap_range *ram, unsigned count)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < count; i++)
        total += ram[i].size;
    return total;
}
