/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cache colouring (docs/memory.md), the pure part: which colour a physical
 * page has in a physically indexed last-level cache, and how the admin walks
 * an untyped so that it retypes frames of a VM's colours only. Free of
 * libsel4, so that it runs in native unit tests.
 *
 * A page's colour is the part of its frame number that also indexes the
 * cache's sets: with S bytes in W ways, one way spans S / W bytes, which is
 * C = S / (W * 4 KiB) pages; page p has colour p mod C. Pages of different
 * colours never evict each other's lines.
 */
#ifndef STDVMM_PORT_SEL4_COLOUR_H
#define STDVMM_PORT_SEL4_COLOUR_H

#include <stdbool.h>
#include <stdint.h>

#define SEL4_COLOUR_PAGE_BITS 12
#define SEL4_COLOUR_MAX 64 /* a VM's colours are a 64-bit mask */

/*
 * Colours of a cache of size bytes, ways ways and line-byte lines: a power
 * of two from 1 to SEL4_COLOUR_MAX; 0 when the geometry is not one (sizes
 * not powers of two, a way smaller than a page, too many colours).
 */
unsigned sel4_colour_count(uint64_t size, unsigned ways, unsigned line);

/* The colour of physical address pa among colours (a power of two). */
static inline unsigned sel4_colour_of(uint64_t pa, unsigned colours)
{
    return (unsigned)(pa >> SEL4_COLOUR_PAGE_BITS) & (colours - 1u);
}

/*
 * The next step of a walk through free memory at pa (page aligned) up to
 * end: 0 when the page at pa has a colour in mask (retype a frame there);
 * else the size bits of the largest naturally aligned run of pages from pa,
 * below end, none of a colour in mask, which the admin retypes as one
 * untyped that nobody uses, to skip it with one capability.
 */
unsigned sel4_colour_skip_bits(uint64_t pa, uint64_t end, uint64_t mask, unsigned colours);

/* What backing pages frames of the colours in mask takes (colours: a power of two). */
struct sel4_colour_plan {
    unsigned period_bits; /* one round of every colour: colours pages, log2 bytes */
    unsigned frames_per_period, skips_per_period;
    uint64_t periods; /* rounds needed */
    uint64_t bytes;   /* periods << period_bits: the untyped to carve */
    uint64_t slots;   /* capabilities: the frames and the skipped runs */
};

/* Fills plan; false when mask names no colour of colours (or colours is not a power of two). */
bool sel4_colour_plan(uint64_t frames, uint64_t mask, unsigned colours,
                      struct sel4_colour_plan *plan);

/* Writes mask as "0-3,8" into buf (size bytes); returns buf. */
const char *sel4_colour_format(uint64_t mask, char *buf, unsigned size);

#endif
