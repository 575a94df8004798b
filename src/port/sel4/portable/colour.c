/* SPDX-License-Identifier: BSD-2-Clause */
#include "port/sel4/portable/colour.h"

#include <stddef.h>

#define PAGE (1ull << SEL4_COLOUR_PAGE_BITS)

static bool pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

unsigned sel4_colour_count(uint64_t size, unsigned ways, unsigned line)
{
    if (!pow2(size) || !pow2(ways) || !pow2(line) || line > PAGE || size / ways < PAGE)
        return 0;
    uint64_t colours = size / ways / PAGE;
    return colours <= SEL4_COLOUR_MAX ? (unsigned)colours : 0;
}

static bool in_mask(uint64_t pa, uint64_t mask, unsigned colours)
{
    return (mask >> sel4_colour_of(pa, colours)) & 1u;
}

unsigned sel4_colour_skip_bits(uint64_t pa, uint64_t end, uint64_t mask, unsigned colours)
{
    if (in_mask(pa, mask, colours))
        return 0;
    unsigned bits = SEL4_COLOUR_PAGE_BITS;
    /* Double while the run stays aligned, below end and off the mask. */
    for (;;) {
        uint64_t next = 1ull << (bits + 1);
        if (bits + 1 >= 63 || pa % next != 0 || end - pa < next)
            break;
        bool clear = true;
        for (uint64_t p = pa + (next >> 1); p < pa + next && clear; p += PAGE)
            clear = !in_mask(p, mask, colours);
        if (!clear)
            break;
        bits++;
    }
    return bits;
}

bool sel4_colour_plan(uint64_t frames, uint64_t mask, unsigned colours,
                      struct sel4_colour_plan *plan)
{
    if (!pow2(colours) || colours > SEL4_COLOUR_MAX)
        return false;
    if (colours < SEL4_COLOUR_MAX)
        mask &= (1ull << colours) - 1;
    if (mask == 0)
        return false;
    plan->period_bits = SEL4_COLOUR_PAGE_BITS;
    while ((1u << (plan->period_bits - SEL4_COLOUR_PAGE_BITS)) < colours)
        plan->period_bits++;
    /*
     * Every period looks the same: the untypeds are aligned to at least one,
     * and no skipped run crosses one (a run of a whole period would mean
     * mask names no colour).
     */
    uint64_t period = 1ull << plan->period_bits;
    plan->frames_per_period = plan->skips_per_period = 0;
    for (uint64_t pa = 0; pa < period;) {
        unsigned skip = sel4_colour_skip_bits(pa, period, mask, colours);
        if (skip == 0) {
            plan->frames_per_period++;
            pa += PAGE;
        } else {
            plan->skips_per_period++;
            pa += 1ull << skip;
        }
    }
    plan->periods = (frames + plan->frames_per_period - 1) / plan->frames_per_period;
    plan->bytes = plan->periods << plan->period_bits;
    plan->slots = plan->periods * (plan->frames_per_period + plan->skips_per_period);
    return true;
}

const char *sel4_colour_format(uint64_t mask, char *buf, unsigned size)
{
    unsigned n = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned c = 0; c < SEL4_COLOUR_MAX; c++) {
        if (!((mask >> c) & 1u) || (c > 0 && ((mask >> (c - 1)) & 1u)))
            continue; /* not the start of a run */
        unsigned last = c;
        while (last + 1 < SEL4_COLOUR_MAX && ((mask >> (last + 1)) & 1u))
            last++;
        char item[16];
        unsigned len = 0;
        unsigned vals[2] = {c, last};
        for (unsigned k = 0; k < (last > c ? 2u : 1u); k++) {
            if (k == 1)
                item[len++] = '-';
            char digits[4];
            unsigned d = 0, v = vals[k];
            do {
                digits[d++] = (char)('0' + v % 10);
                v /= 10;
            } while (v != 0);
            while (d > 0)
                item[len++] = digits[--d];
        }
        if (n != 0 && n + 1 < size)
            buf[n++] = ',';
        for (unsigned k = 0; k < len && n + 1 < size; k++)
            buf[n++] = item[k];
        buf[n] = '\0';
    }
    return buf;
}
