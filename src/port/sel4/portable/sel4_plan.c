/* SPDX-License-Identifier: BSD-2-Clause */
#include "port/sel4/portable/sel4_plan.h"

#include <stddef.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define LARGE_PAGE (1ull << SEL4_PLAN_LARGE_PAGE_BITS)
#define PAGE (1ull << SEL4_PLAN_PAGE_BITS)
/*
 * Objects besides RAM: the program's frames plus a fixed allowance for the
 * CNode (2^12 slots of 32 bytes), TCBs, VCPU, VSpaces, argument and IPC
 * pages and the page tables of two address spaces. Generous on purpose: the
 * allowance is paid once per configured VM and failing a retype half-way
 * through building a VM is worse.
 */
#define OBJECTS_FIXED (2ull << 20)
#define OBJECTS_MIN_BITS 22
/* Slots: program frames, RAM frames twice (guest and VMM mappings), images, page tables. */
#define SLOTS_FIXED 256
/*
 * Per vCPU: guest TCB (2 KiB), VCPU (4 KiB), the guest's CNode, a fault
 * endpoint, the VMM thread's TCB (2 KiB) and IPC page (4 KiB), rounded up
 * for alignment; and the slots for them.
 */
#define OBJECTS_PER_VCPU (16ull << 10)
#define SLOTS_PER_VCPU 8

unsigned sel4_plan_pow2_chunks(uint64_t size, unsigned min_bits, uint8_t *bits, unsigned max)
{
    unsigned n = 0;

    for (int b = 63; b >= (int)min_bits; b--) {
        if ((size >> b) & 1u) {
            if (n == max)
                return 0;
            bits[n++] = (uint8_t)b;
        }
    }
    return n;
}

static unsigned bits_for(uint64_t bytes, unsigned min_bits)
{
    unsigned b = min_bits;

    while (b < 63 && (1ull << b) < bytes)
        b++;
    return b;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

int sel4_plan_vm(const struct sel4_vm_spec *spec, struct sel4_vm_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (spec->ram_size == 0 || spec->ram_size % LARGE_PAGE || spec->ram_gpa % LARGE_PAGE) {
        LOG_ERR("guest RAM 0x%llx+0x%llx: seL4 guests take RAM in 2 MiB pages at a 2 MiB "
                "boundary",
                (unsigned long long)spec->ram_gpa, (unsigned long long)spec->ram_size);
        return -STDVMM_EINVAL;
    }
    if (spec->ram_size > SEL4_VMM_VA_LIMIT - SEL4_VMM_RAM_VA) {
        LOG_ERR("guest RAM of %llu MiB does not fit the VMM's window of %llu MiB",
                (unsigned long long)(spec->ram_size >> 20),
                (unsigned long long)((SEL4_VMM_VA_LIMIT - SEL4_VMM_RAM_VA) >> 20));
        return -STDVMM_EINVAL;
    }
    if (spec->image_count > SEL4_PLAN_MAX_IMAGES) {
        LOG_ERR("%u boot images; the seL4 port shares at most %d", spec->image_count,
                SEL4_PLAN_MAX_IMAGES);
        return -STDVMM_EINVAL;
    }
    if (spec->program_pages == 0 ||
        spec->program_pages > (SEL4_VMM_PROGRAM_LIMIT - SEL4_VMM_PROGRAM_BASE) / PAGE) {
        LOG_ERR("VMM program of %llu pages does not fit below 0x%llx",
                (unsigned long long)spec->program_pages,
                (unsigned long long)SEL4_VMM_PROGRAM_LIMIT);
        return -STDVMM_EINVAL;
    }
    if (spec->data_pages > (SEL4_VMM_DATA_LIMIT - SEL4_VMM_DATA_VA) / PAGE) {
        LOG_ERR("VMM data of %llu pages does not fit its window of %llu pages",
                (unsigned long long)spec->data_pages,
                (unsigned long long)((SEL4_VMM_DATA_LIMIT - SEL4_VMM_DATA_VA) / PAGE));
        return -STDVMM_EINVAL;
    }
    if (spec->vcpus == 0 || spec->vcpus > SEL4_PLAN_MAX_VCPUS) {
        LOG_ERR("%u vCPUs: the seL4 port runs 1 to %d per VM (GICv2 target lists are a byte)",
                spec->vcpus, SEL4_PLAN_MAX_VCPUS);
        return -STDVMM_EINVAL;
    }
    uint64_t ram_tables = 0;
    if (spec->small_ram) {
        plan->ram_frames = spec->ram_size / PAGE;
        ram_tables = 2 * div_up(spec->ram_size, LARGE_PAGE); /* a level-3 table per 2 MiB, twice */
    } else {
        plan->ram_frames = spec->ram_size / LARGE_PAGE;
        plan->ram_chunk_count =
            sel4_plan_pow2_chunks(spec->ram_size, SEL4_PLAN_LARGE_PAGE_BITS, plan->ram_chunk_bits,
                                  SEL4_PLAN_MAX_RAM_CHUNKS);
    }
    plan->ram_vmm_va = SEL4_VMM_RAM_VA;

    uint64_t va = SEL4_VMM_IMAGES_VA;
    uint64_t image_frames = 0;
    for (unsigned i = 0; i < spec->image_count; i++) {
        uint64_t frames = div_up(spec->image_size[i], LARGE_PAGE);
        if (frames > (SEL4_VMM_RAM_VA - va) / LARGE_PAGE) {
            LOG_ERR("boot image %u (%llu MiB) does not fit the VMM's image window", i,
                    (unsigned long long)(spec->image_size[i] >> 20));
            return -STDVMM_EINVAL;
        }
        plan->image_va[i] = va;
        plan->image_frames[i] = frames;
        image_frames += frames;
        va += frames * LARGE_PAGE;
    }
    plan->objects_bits = (uint8_t)bits_for(
        OBJECTS_FIXED + (spec->program_pages + spec->data_pages) * PAGE +
            spec->vcpus * OBJECTS_PER_VCPU + (ram_tables + spec->extra_tables) * PAGE,
        OBJECTS_MIN_BITS);
    /* small_ram: the guest's frames live in the colour allocator's slots, only the VMM's copies
     * here. */
    plan->slots = SLOTS_FIXED + spec->program_pages + spec->data_pages +
                  (spec->small_ram ? 1 : 2) * plan->ram_frames + ram_tables + image_frames +
                  (uint64_t)spec->vcpus * SLOTS_PER_VCPU;
    return 0;
}

/* ------------------------------------------------------------------ */

uint64_t sel4_plan_data(const uint64_t *size, unsigned n, uint64_t *offset)
{
    uint64_t pages = 0;

    for (unsigned k = 0; k < n; k++) {
        offset[k] = size[k] == 0 ? 0 : pages * PAGE;
        /* A size beyond the window's pages is refused later (sel4_plan_vm), never wrapped. */
        uint64_t p = size[k] / PAGE + (size[k] % PAGE != 0);
        pages = p > UINT64_MAX / PAGE - pages ? UINT64_MAX / PAGE : pages + p;
    }
    return pages;
}

void sel4_ut_pool_init(struct sel4_ut_pool *pool)
{
    memset(pool, 0, sizeof(*pool));
}

int sel4_ut_pool_add(struct sel4_ut_pool *pool, uint64_t slot, uint64_t paddr, uint8_t size_bits,
                     bool is_device)
{
    if (pool->count == SEL4_UT_POOL_MAX) {
        LOG_WARN("untyped pool full: the untyped at 0x%llx (2^%u bytes) is not used",
                 (unsigned long long)paddr, size_bits);
        return -STDVMM_ENOSPC;
    }
    if (size_bits < SEL4_PLAN_PAGE_BITS || size_bits > 47 || paddr % (1ull << size_bits) != 0) {
        LOG_ERR("untyped at 0x%llx of 2^%u bytes is not naturally aligned",
                (unsigned long long)paddr, size_bits);
        return -STDVMM_EINVAL;
    }
    pool->ut[pool->count++] = (struct sel4_untyped_desc){
        .paddr = paddr, .size_bits = size_bits, .is_device = is_device, .slot = slot};
    return 0;
}

/* Offset of an object of 2^bits above the watermark, or UINT64_MAX when it does not fit. */
static uint64_t fit(const struct sel4_untyped_desc *u, unsigned bits)
{
    uint64_t size = 1ull << u->size_bits, obj = 1ull << bits;

    if (bits > u->size_bits)
        return UINT64_MAX;
    uint64_t off = (u->used + obj - 1) & ~(obj - 1); /* untypeds are aligned to their size */
    return off <= size - obj ? off : UINT64_MAX;
}

int sel4_ut_pool_alloc(struct sel4_ut_pool *pool, unsigned size_bits, unsigned *index,
                       uint64_t *paddr)
{
    unsigned best = SEL4_UT_POOL_MAX;
    uint64_t best_waste = UINT64_MAX;

    for (unsigned i = 0; i < pool->count; i++) {
        const struct sel4_untyped_desc *u = &pool->ut[i];
        if (u->is_device)
            continue;
        uint64_t off = fit(u, size_bits);
        if (off == UINT64_MAX)
            continue;
        /* Waste: alignment padding plus what is left that this object does not need. */
        uint64_t waste = (off - u->used) + ((1ull << u->size_bits) - off - (1ull << size_bits));
        if (waste < best_waste) {
            best_waste = waste;
            best = i;
        }
    }
    if (best == SEL4_UT_POOL_MAX)
        return -STDVMM_ENOMEM;
    struct sel4_untyped_desc *u = &pool->ut[best];
    uint64_t off = fit(u, size_bits);
    u->used = off + (1ull << size_bits);
    *index = best;
    if (paddr != NULL)
        *paddr = u->paddr + off;
    return 0;
}

uint64_t sel4_ut_pool_free(const struct sel4_ut_pool *pool, unsigned min_bits)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < pool->count; i++) {
        const struct sel4_untyped_desc *u = &pool->ut[i];
        if (u->is_device || u->size_bits < min_bits)
            continue;
        uint64_t unit = 1ull << min_bits;
        uint64_t start = (u->used + unit - 1) & ~(unit - 1);
        uint64_t size = 1ull << u->size_bits;
        if (start < size)
            total += size - start;
    }
    return total;
}

int sel4_ut_pool_find_device(const struct sel4_ut_pool *pool, uint64_t paddr, uint64_t size,
                             unsigned *index)
{
    for (unsigned i = 0; i < pool->count; i++) {
        const struct sel4_untyped_desc *u = &pool->ut[i];
        uint64_t end = u->paddr + (1ull << u->size_bits);
        if (u->is_device && paddr >= u->paddr && size <= end - paddr && paddr < end) {
            *index = i;
            return 0;
        }
    }
    return -STDVMM_ENOENT;
}

/* ------------------------------------------------------------------ */

int sel4_a64_ctx_x(unsigned n)
{
    /* The kernel saves x0-x8, x16-x18, x29, x30 first (its fast path's registers). */
    static const int8_t index[31] = {
        3,  4,  5,  6,  7,  8,  9,  10, 11,     /* x0..x8 */
        17, 18, 19, 20, 21, 22, 23,             /* x9..x15 */
        12, 13, 14,                             /* x16..x18 */
        24, 25, 26, 27, 28, 29, 30, 31, 32, 33, /* x19..x28 */
        15, 16,                                 /* x29, x30 */
    };
    return n < 31 ? index[n] : -1;
}
