/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared regions (docs/memory.md) on seL4: the admin backs each region once,
 * at boot, with 2 MiB frames of its own, and maps copies of them into the
 * stage 2 of exactly the region's members, at each member's address,
 * read-only where the description says so: seL4 enforces both, no VMM
 * is involved in the access. The frames stay the admin's, so a member's
 * restart finds the same contents; the copies go with the VM's revocation.
 * Doorbells: each running member's VMM gets a badged send to every other
 * running member's notification, minted both ways whenever one starts (as
 * driver_vm.c pairs a driver VM with its clients).
 *
 * A region with colours (coloured members: docs/memory.md, "Cache
 * colouring") is 4 KiB frames of those colours instead, from a colour budget
 * of its own (colour.c) that the admin keeps; every frame's physical address
 * is read back at boot, and each member's copies again as they are mapped.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

/* 64 MiB per region: the admin keeps their capabilities in static storage. */
#define SHARED_MAX_FRAMES 32
#define SMALL_PAGE (1ull << seL4_PageBits)

static struct {
    seL4_CPtr frame[SHARED_MAX_FRAMES];
    uint64_t frames;
    bool up;
    /* Coloured: the frames are colour.frame_slots, consecutive from its first. */
    bool coloured;
    struct colour_alloc colour;
} regions[SEL4_MAX_SHARED];

/* The running members' VMMs: where doorbell sends go (a stopped VM's are revoked with it). */
static struct running {
    bool up;
    seL4_CPtr cnode, ntfn;
} run[SEL4_MAX_VMS];

static uint64_t frame_size(void)
{
    return 1ull << seL4_LargePageBits;
}

/* Region i's frame f: a 2 MiB one, or a 4 KiB one of its colours. */
static seL4_CPtr region_frame(unsigned i, uint64_t f)
{
    return regions[i].coloured ? regions[i].colour.frame_slots.first + f : regions[i].frame[f];
}

static uint64_t region_frame_size(const struct sel4_shared_desc *d)
{
    return d->colours != 0 ? SMALL_PAGE : frame_size();
}

/*
 * A coloured region's frames, made once and read back: each must be of the
 * region's colours (colour_frame checks its address, the tally its colour).
 */
static int shared_init_coloured(unsigned i, const struct sel4_shared_desc *d)
{
    uint64_t frames = d->size / SMALL_PAGE;
    char who[96];

    if (d->size == 0 || d->size % frame_size() != 0 || d->size > SHARED_MAX_FRAMES * frame_size()) {
        console_printf("admin: shared region %s: %llu bytes; want a multiple of 2 MiB, at most "
                       "%llu MiB\n",
                       d->name, (unsigned long long)d->size,
                       (unsigned long long)((SHARED_MAX_FRAMES * frame_size()) >> 20));
        return -1;
    }
    snprintf(who, sizeof(who), "shared region %s", d->name);
    if (sel4_cache.colours == 0 ||
        colour_budget(&regions[i].colour, who, frames, d->colours, sel4_cache.colours) < 0)
        return -1;
    struct colour_tally t = {0};
    for (uint64_t f = 0; f < frames; f++) {
        seL4_CPtr s;
        if (colour_frame(&regions[i].colour, &s) != seL4_NoError)
            return -1;
        colour_tally_add(&t, s, d->colours, sel4_cache.colours);
    }
    regions[i].coloured = true;
    regions[i].frames = frames;
    snprintf(who, sizeof(who), "shared region %s: colour read-back", d->name);
    return colour_tally_report(&t, d->colours, sel4_cache.colours, frames, who);
}

/* Which member of region r VM index is; -1: none. */
static int member_of(const struct sel4_shared_desc *r, unsigned index)
{
    for (unsigned k = 0; k < r->member_count; k++) {
        if (r->members[k].vm == (int)index)
            return (int)k;
    }
    return -1;
}

/* Where region r is in VM index's arguments (shared_vm_args' order): its i of args.shared[i]. */
static unsigned args_index(unsigned r, unsigned index)
{
    unsigned i = 0;
    for (unsigned k = 0; k < r; k++)
        i += regions[k].up && member_of(&sel4_shared_table[k], index) >= 0;
    return i;
}

/* Region r's doorbells between VM index (member k) and every other running member, both ways. */
static seL4_Error ring_both_ways(unsigned r, unsigned index, int k)
{
    const struct sel4_shared_desc *d = &sel4_shared_table[r];
    unsigned mine = args_index(r, index);
    seL4_Error err = seL4_NoError;
    for (unsigned j = 0; j < d->member_count && err == seL4_NoError; j++) {
        unsigned peer = (unsigned)d->members[j].vm;
        if ((int)j == k || peer >= SEL4_MAX_VMS || !run[peer].up)
            continue;
        unsigned theirs = args_index(r, peer);
        err = admin_mint_send(run[index].cnode, SEL4_VMM_SLOT_SHARED_BELL(mine, j),
                              SEL4_VMM_CNODE_BITS, run[peer].ntfn, SEL4_BADGE_SHARED(theirs));
        if (err == seL4_NoError)
            err = admin_mint_send(run[peer].cnode, SEL4_VMM_SLOT_SHARED_BELL(theirs, (unsigned)k),
                                  SEL4_VMM_CNODE_BITS, run[index].ntfn, SEL4_BADGE_SHARED(mine));
    }
    return err;
}

static int shared_init(void)
{
    int r = 0;
    for (unsigned i = 0; i < sel4_shared_count && i < SEL4_MAX_SHARED; i++) {
        const struct sel4_shared_desc *d = &sel4_shared_table[i];
        if (d->colours != 0) {
            if (shared_init_coloured(i, d) < 0) {
                console_printf("admin: shared region %s: no frames of its colours; its members "
                               "start without it\n",
                               d->name);
                r = -1;
                continue;
            }
            regions[i].up = true;
            console_printf("admin: shared region %s: %llu MiB in %llu frames of 4 KiB for %u VMs\n",
                           d->name, (unsigned long long)(d->size >> 20),
                           (unsigned long long)regions[i].frames, d->member_count);
            continue;
        }
        uint64_t frames = d->size / frame_size();
        if (frames == 0 || frames > SHARED_MAX_FRAMES || d->size % frame_size() != 0) {
            console_printf("admin: shared region %s: %llu bytes; want 2 MiB frames, at most %u\n",
                           d->name, (unsigned long long)d->size, SHARED_MAX_FRAMES);
            r = -1;
            continue;
        }
        seL4_Error err = seL4_NoError;
        /* Retyped frames come zeroed: no earlier owner's data reaches the members. */
        for (unsigned f = 0; f < frames && err == seL4_NoError; f++) {
            err = admin_retype(seL4_ARM_LargePageObject, 0, seL4_LargePageBits,
                               &regions[i].frame[f]);
            regions[i].frames = f + 1;
        }
        if (err != seL4_NoError) {
            console_printf("admin: shared region %s: no memory for %llu frames (error %d)\n",
                           d->name, (unsigned long long)frames, err);
            r = -1;
            continue;
        }
        regions[i].up = true;
        seL4_ARM_Page_GetAddress_t pa = seL4_ARM_Page_GetAddress(regions[i].frame[0]);
        console_printf("admin: shared region %s: %llu MiB at 0x%llx for %u VMs\n", d->name,
                       (unsigned long long)(d->size >> 20), (unsigned long long)pa.paddr,
                       d->member_count);
    }
    return r;
}

uint64_t shared_vm_tables(unsigned index)
{
    uint64_t tables = 0;
    for (unsigned i = 0; i < sel4_shared_count && i < SEL4_MAX_SHARED; i++) {
        const struct sel4_shared_desc *d = &sel4_shared_table[i];
        /* A level-3 table per 2 MiB, and up to four above them (a new range, maybe two). */
        if (d->colours != 0 && member_of(d, index) >= 0)
            tables += d->size / frame_size() + 4;
    }
    return tables;
}

static unsigned shared_vm_slots(unsigned index)
{
    unsigned slots = 0;
    for (unsigned i = 0; i < sel4_shared_count && i < SEL4_MAX_SHARED; i++) {
        /*
         * A copy of each frame, and the page tables that map them (a new 1 GiB
         * range; for 4 KiB frames a level-3 table per 2 MiB besides).
         */
        const struct sel4_shared_desc *d = &sel4_shared_table[i];
        if (member_of(d, index) >= 0)
            slots += (unsigned)(d->size / region_frame_size(d) + d->size / frame_size()) + 4;
    }
    return slots;
}

static void shared_vm_args(const struct vm_start *vs, struct sel4_vmm_args *a)
{
    for (unsigned i = 0; i < sel4_shared_count && i < SEL4_MAX_SHARED; i++) {
        const struct sel4_shared_desc *d = &sel4_shared_table[i];
        int k = member_of(d, vs->index);
        if (k < 0 || !regions[i].up || a->shared_count == SEL4_VMM_MAX_SHARED)
            continue;
        struct sel4_vmm_args_shared *s = &a->shared[a->shared_count++];
        size_t n = strlen(d->name);
        memcpy(s->name, d->name, n < sizeof(s->name) - 1 ? n : sizeof(s->name) - 1);
        s->gpa = d->members[k].gpa;
        s->size = d->size;
        s->read_only = d->members[k].read_only;
        s->member = (uint32_t)k;
        s->members = d->member_count;
        s->doorbell = d->doorbell;
    }
}

static seL4_Error shared_vm_start(const struct vm_start *vs)
{
    if (vs->index < SEL4_MAX_VMS)
        run[vs->index] = (struct running){.up = true, .cnode = vs->vmm_cnode, .ntfn = vs->vmm_ntfn};
    for (unsigned i = 0; i < sel4_shared_count && i < SEL4_MAX_SHARED; i++) {
        const struct sel4_shared_desc *d = &sel4_shared_table[i];
        int k = member_of(d, vs->index);
        if (k < 0 || !regions[i].up)
            continue;
        bool ro = d->members[k].read_only;
        seL4_CapRights_t rights = ro ? seL4_CanRead : seL4_ReadWrite;
        uint64_t size = region_frame_size(d);
        struct colour_tally t = {0};
        for (uint64_t f = 0; f < regions[i].frames; f++) {
            seL4_CPtr c = slot_take(vs->objects->slots);
            seL4_Error err = c == seL4_CapNull ? seL4_RangeError : seL4_NoError;
            if (err == seL4_NoError)
                err = seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits,
                                      seL4_CapInitThreadCNode, region_frame(i, f), seL4_WordBits,
                                      rights);
            if (err == seL4_NoError)
                err = vs_map(vs->guest_vspace, c, d->members[k].gpa + f * size, rights,
                             seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, vs->objects);
            if (err != seL4_NoError) {
                console_printf("admin: %s: shared region %s: seL4 error %d\n",
                               sel4_vm_table[vs->index].name, d->name, err);
                return err;
            }
            /* The copy the member's stage 2 maps, read back: the kernel's word on its colour. */
            if (regions[i].coloured)
                colour_tally_add(&t, c, d->colours, sel4_cache.colours);
        }
        if (regions[i].coloured) {
            char who[96];
            snprintf(who, sizeof(who), "%s: shared region %s: %s copies mapped",
                     sel4_vm_table[vs->index].name, d->name, ro ? "read-only" : "writable");
            if (colour_tally_report(&t, d->colours, sel4_cache.colours, regions[i].frames, who) < 0)
                return seL4_IllegalOperation;
        }
        seL4_Error err = d->doorbell ? ring_both_ways(i, vs->index, k) : seL4_NoError;
        if (err != seL4_NoError) {
            console_printf("admin: %s: shared region %s: doorbells: seL4 error %d\n",
                           sel4_vm_table[vs->index].name, d->name, err);
            return err;
        }
    }
    return seL4_NoError;
}

static void shared_vm_stopped(unsigned index)
{
    /*
     * Its copies of the frames, and every doorbell send to it, went with its
     * revocation; the frames and their contents stay.
     */
    if (index < SEL4_MAX_VMS)
        run[index].up = false;
}

const struct admin_service shared_service = {"no shared regions: their members start without them",
                                             shared_init,
                                             shared_vm_slots,
                                             shared_vm_args,
                                             shared_vm_start,
                                             shared_vm_stopped};
