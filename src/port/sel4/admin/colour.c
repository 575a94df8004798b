/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A coloured VM's frames (docs/memory.md, "Cache colouring"). The budget is
 * untypeds of at least one colour period each (colours pages), so that
 * every period of them holds the same pattern of the VM's colours and
 * others (portable/colour.h plans it). Retyping goes in address order: at
 * each step the walk either retypes a 4 KiB frame (its colour is the VM's)
 * or retypes the run of other colours ahead as one untyped that nobody
 * uses, which moves the kernel's watermark past it with one capability.
 * Those runs are not handed to other VMs: they are part of this VM's
 * budget, revoked and made again with it.
 */
#include <stdio.h>

#include "admin.h"
#include "port/sel4/portable/colour.h"

static void slots_of(struct slot_range *r, seL4_CPtr first, uint64_t n)
{
    r->first = r->next = first;
    r->end = first + n;
}

int colour_budget(struct colour_alloc *c, const char *name, uint64_t frames, uint64_t mask,
                  unsigned colours)
{
    struct sel4_colour_plan p;
    uint8_t bits[SEL4_PLAN_MAX_RAM_CHUNKS];
    char set[3 * SEL4_COLOUR_MAX];

    sel4_colour_format(mask, set, sizeof(set));
    if (!sel4_colour_plan(frames, mask, colours, &p)) {
        console_printf("admin: %s: colours %s are not colours of this cache (%u colours)\n", name,
                       set, colours);
        return -1;
    }
    unsigned n = sel4_plan_pow2_chunks(p.bytes, p.period_bits, bits, SEL4_PLAN_MAX_RAM_CHUNKS);
    uint64_t frame_slots = p.periods * p.frames_per_period;
    uint64_t skip_slots = p.periods * p.skips_per_period;
    seL4_CPtr first = n != 0 ? admin_slots(frame_slots + skip_slots) : seL4_CapNull;
    if (first == seL4_CapNull) {
        console_printf("admin: %s: %llu coloured frames need %llu capability slots (or more "
                       "than %d untypeds); the admin has too few left\n",
                       name, (unsigned long long)frames,
                       (unsigned long long)(frame_slots + skip_slots), SEL4_PLAN_MAX_RAM_CHUNKS);
        return -1;
    }
    *c = (struct colour_alloc){.mask = mask, .colours = colours};
    slots_of(&c->frame_slots, first, frame_slots);
    slots_of(&c->skip_slots, first + frame_slots, skip_slots);
    for (unsigned i = 0; i < n; i++) {
        if (admin_untyped(bits[i], &c->chunk[i], &c->frame_slots) != seL4_NoError) {
            console_printf("admin: %s: %llu frames in colours %s of %u take %llu MiB of untyped "
                           "memory (the other colours' pages between them stay unused); not "
                           "that much left\n",
                           name, (unsigned long long)frames, set, colours,
                           (unsigned long long)(p.bytes >> 20));
            return -1;
        }
        c->count = i + 1;
    }
    console_printf("admin: %s: colours %s of %u: %llu frames of 4 KiB from %llu MiB of untyped "
                   "in %u pieces (%u frames and %u skipped runs per %u KiB)\n",
                   name, set, colours, (unsigned long long)frames,
                   (unsigned long long)(p.bytes >> 20), n, p.frames_per_period, p.skips_per_period,
                   (1u << p.period_bits) >> 10);
    return 0;
}

seL4_Error colour_frame(struct colour_alloc *c, seL4_CPtr *frame)
{
    while (c->cur < c->count) {
        struct ut_alloc *u = &c->chunk[c->cur];
        uint64_t end = u->paddr + (1ull << u->bits), pa = u->paddr + u->used;
        if (pa >= end) {
            c->cur++;
            continue;
        }
        unsigned skip = sel4_colour_skip_bits(pa, end, c->mask, c->colours);
        seL4_CPtr s;
        if (skip != 0) {
            /* Its capability goes with the skipped runs, not among the frames. */
            u->slots = &c->skip_slots;
            seL4_Error err = ut_retype(u, seL4_UntypedObject, skip, skip, &s);
            u->slots = &c->frame_slots;
            if (err != seL4_NoError)
                return err;
            continue;
        }
        seL4_Error err = ut_retype(u, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &s);
        if (err != seL4_NoError)
            return err;
        /* The kernel's word on where the frame is, not the walk's. */
        seL4_ARM_Page_GetAddress_t got = seL4_ARM_Page_GetAddress(s);
        if (got.error != seL4_NoError || got.paddr != pa) {
            console_printf("admin: coloured frame expected at 0x%llx, the kernel has it at "
                           "0x%llx (error %d)\n",
                           (unsigned long long)pa, (unsigned long long)got.paddr, got.error);
            return seL4_IllegalOperation;
        }
        c->frames++;
        *frame = s;
        return seL4_NoError;
    }
    console_printf("admin: the VM's coloured frames are used up (%llu)\n",
                   (unsigned long long)c->frames);
    return seL4_NotEnoughMemory;
}

seL4_Error colour_revoke(struct colour_alloc *c)
{
    for (unsigned i = 0; i < c->count; i++) {
        seL4_Error err = seL4_CNode_Revoke(seL4_CapInitThreadCNode, c->chunk[i].ut, seL4_WordBits);
        if (err != seL4_NoError)
            return err;
        c->chunk[i].used = 0;
    }
    c->cur = 0;
    c->frames = 0;
    c->frame_slots.next = c->frame_slots.first;
    c->skip_slots.next = c->skip_slots.first;
    return seL4_NoError;
}

void colour_tally_add(struct colour_tally *t, seL4_CPtr frame, uint64_t mask, unsigned colours)
{
    seL4_ARM_Page_GetAddress_t got = seL4_ARM_Page_GetAddress(frame);
    if (got.error != seL4_NoError) {
        t->unreadable++;
        return;
    }
    unsigned colour = sel4_colour_of(got.paddr, colours);
    t->per[colour]++;
    t->frames++;
    t->outside += !((mask >> colour) & 1u);
}

/* The colour set and the per-colour counts as the read-back lines print them. */
struct colour_text {
    char set[3 * SEL4_COLOUR_MAX], counts[400];
};

static void tally_text(const struct colour_tally *t, uint64_t mask, unsigned colours,
                       struct colour_text *x)
{
    unsigned len = 0;

    x->counts[0] = '\0';
    for (unsigned k = 0; k < colours && k < SEL4_COLOUR_MAX && len < sizeof(x->counts); k++) {
        if (t->per[k] != 0)
            len += (unsigned)snprintf(x->counts + len, sizeof(x->counts) - len, "%s%u:%llu",
                                      len ? " " : "", k, (unsigned long long)t->per[k]);
    }
    sel4_colour_format(mask, x->set, sizeof(x->set));
}

int colour_tally_report(const struct colour_tally *t, uint64_t mask, unsigned colours,
                        uint64_t want, const char *who)
{
    struct colour_text x;

    tally_text(t, mask, colours, &x);
    bool ok = t->outside == 0 && t->unreadable == 0 && t->frames == want;
    console_printf("admin: %s: %llu frames, %llu outside colours %s of %u, %llu unreadable; per "
                   "colour %s: %s\n",
                   who, (unsigned long long)t->frames, (unsigned long long)t->outside, x.set,
                   colours, (unsigned long long)t->unreadable, x.counts, ok ? "ok" : "FAILED");
    return ok ? 0 : -1;
}

/* Every frame's physical address from the kernel, counted per colour. */
static void count_frames(const struct colour_alloc *c, struct colour_tally *r,
                         struct colour_text *x)
{
    *r = (struct colour_tally){0};
    for (seL4_CPtr s = c->frame_slots.first; s < c->frame_slots.next; s++)
        colour_tally_add(r, s, c->mask, c->colours);
    tally_text(r, c->mask, c->colours, x);
}

int colour_readback(const struct colour_alloc *c, const char *name, uint64_t ram_frames)
{
    struct colour_tally r;
    struct colour_text x;

    count_frames(c, &r, &x);
    bool ok =
        r.outside == 0 && r.unreadable == 0 && r.frames == c->frames && r.frames >= ram_frames;
    console_printf(
        "admin: %s: colour read-back: %llu frames (%llu guest RAM, %llu VMM), "
        "%llu outside colours %s of %u, %llu unreadable; per colour %s: %s\n",
        name, (unsigned long long)r.frames, (unsigned long long)ram_frames,
        (unsigned long long)(r.frames - (r.frames >= ram_frames ? ram_frames : r.frames)),
        (unsigned long long)r.outside, x.set, c->colours, (unsigned long long)r.unreadable,
        x.counts, ok ? "ok" : "FAILED");
    return ok ? 0 : -1;
}

int colour_readback_channels(const struct colour_alloc *c, const char *name, unsigned net,
                             unsigned disk)
{
    struct colour_tally r;
    struct colour_text x;

    count_frames(c, &r, &x);
    bool ok = r.outside == 0 && r.unreadable == 0 && r.frames == c->frames &&
              r.frames == (uint64_t)net + disk;
    console_printf("admin: %s: channel read-back: %llu frames (%u net, %u disk), %llu outside "
                   "colours %s of %u, %llu unreadable; per colour %s: %s\n",
                   name, (unsigned long long)r.frames, net, disk, (unsigned long long)r.outside,
                   x.set, c->colours, (unsigned long long)r.unreadable, x.counts,
                   ok ? "ok" : "FAILED");
    return ok ? 0 : -1;
}
