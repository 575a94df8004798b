/* SPDX-License-Identifier: BSD-2-Clause */
/* The seL4 port's cache colouring: colours of a geometry and of an address, the walk, the plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/sel4/portable/colour.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)

static void colours_of_a_geometry(void **state)
{
    (void)state;
    /* 1 MiB, 16 ways: a way is 64 KiB, 16 pages. */
    assert_int_equal(sel4_colour_count(1 * MiB, 16, 64), 16);
    assert_int_equal(sel4_colour_count(2 * MiB, 16, 64), 32);
    assert_int_equal(sel4_colour_count(512 * KiB, 8, 64), 16);
    assert_int_equal(sel4_colour_count(64 * KiB, 16, 64), 1); /* a way is one page */
    assert_int_equal(sel4_colour_count(32 * KiB, 16, 64), 0); /* a way below a page */
    assert_int_equal(sel4_colour_count(3 * MiB, 16, 64), 0);  /* not a power of two */
    assert_int_equal(sel4_colour_count(1 * MiB, 12, 64), 0);
    assert_int_equal(sel4_colour_count(1 * MiB, 16, 48), 0);
    assert_int_equal(sel4_colour_count(1 * MiB, 0, 64), 0);
    assert_int_equal(sel4_colour_count(0, 16, 64), 0);
    assert_int_equal(sel4_colour_count(64 * MiB, 4, 64), 0); /* 4096 colours: above the mask */
}

static void colour_of_an_address(void **state)
{
    (void)state;
    assert_int_equal(sel4_colour_of(0x40000000, 16), 0);
    assert_int_equal(sel4_colour_of(0x40003fff, 16), 3);
    assert_int_equal(sel4_colour_of(0x4000f000, 16), 15);
    assert_int_equal(sel4_colour_of(0x40010000, 16), 0);
    assert_int_equal(sel4_colour_of(0x12345678, 1), 0);
}

/* Walks [base, end) as the admin does; every frame taken must be of mask, every page seen. */
static void walk(uint64_t base, uint64_t end, uint64_t mask, unsigned colours, uint64_t *frames,
                 uint64_t *skips)
{
    *frames = *skips = 0;
    for (uint64_t pa = base; pa < end;) {
        unsigned bits = sel4_colour_skip_bits(pa, end, mask, colours);
        if (bits == 0) {
            assert_true((mask >> sel4_colour_of(pa, colours)) & 1u);
            ++*frames;
            pa += 4 * KiB;
            continue;
        }
        uint64_t size = 1ull << bits;
        assert_true(bits >= 12);
        assert_int_equal(pa % size, 0); /* the kernel puts an untyped at its alignment */
        assert_true(pa + size <= end);
        for (uint64_t p = pa; p < pa + size; p += 4 * KiB)
            assert_false((mask >> sel4_colour_of(p, colours)) & 1u);
        ++*skips;
        pa += size;
    }
}

static void the_walk_takes_only_the_colours(void **state)
{
    (void)state;
    uint64_t frames, skips;
    /* Colours 0-3 of 16: per 64 KiB, 4 frames, then 16 KiB and 32 KiB skipped. */
    walk(0x40000000, 0x40000000 + 1 * MiB, 0xf, 16, &frames, &skips);
    assert_int_equal(frames, 64);
    assert_int_equal(skips, 32);
    /* 4-7: 0-3 skipped (16 KiB), 8-15 (32 KiB): two per period as well. */
    walk(0x40000000, 0x40000000 + 1 * MiB, 0xf0, 16, &frames, &skips);
    assert_int_equal(frames, 64);
    assert_int_equal(skips, 32);
    /* 8-15: one skip of 32 KiB per period. */
    walk(0x40000000, 0x40000000 + 1 * MiB, 0xff00, 16, &frames, &skips);
    assert_int_equal(frames, 128);
    assert_int_equal(skips, 16);
    /* Scattered colours 1, 6: skips of 4, 8, 4... pages split at their alignment. */
    walk(0x40000000, 0x40000000 + 64 * KiB, (1u << 1) | (1u << 6), 16, &frames, &skips);
    assert_int_equal(frames, 2);
    assert_int_equal(skips, 5); /* 0, 2-3, 4-5, 7, 8-15 */
    /* One colour of one: every page. */
    walk(0x40000000, 0x40000000 + 64 * KiB, 1, 1, &frames, &skips);
    assert_int_equal(frames, 16);
    assert_int_equal(skips, 0);
    /* A skip never runs past the end of the untyped. */
    assert_int_equal(
        sel4_colour_skip_bits(0x40000000 + 8 * 4 * KiB, 0x40000000 + 64 * KiB, 0xf, 16), 15);
    assert_int_equal(
        sel4_colour_skip_bits(0x40000000 + 8 * 4 * KiB, 0x40000000 + 44 * KiB, 0xf, 16), 13);
    assert_int_equal(sel4_colour_skip_bits(0x40000000, 0x40000000 + 64 * KiB, 0xf, 16), 0);
}

static void the_plan_matches_the_walk(void **state)
{
    (void)state;
    struct sel4_colour_plan p;
    uint64_t frames, skips;

    /* 64 MiB of RAM and 300 VMM pages in colours 0-3 of 16. */
    assert_true(sel4_colour_plan(16384 + 300, 0xf, 16, &p));
    assert_int_equal(p.period_bits, 16);
    assert_int_equal(p.frames_per_period, 4);
    assert_int_equal(p.skips_per_period, 2);
    assert_int_equal(p.periods, 4171); /* 16684 / 4, rounded up */
    assert_int_equal(p.bytes, 4171ull * 64 * KiB);
    assert_int_equal(p.slots, 4171ull * 6);
    walk(0, p.bytes, 0xf, 16, &frames, &skips);
    assert_true(frames >= 16384 + 300);
    assert_int_equal(frames, p.periods * p.frames_per_period);
    assert_int_equal(frames + skips, p.slots);
    /* Colours 8-15: half the memory is theirs. */
    assert_true(sel4_colour_plan(1000, 0xff00, 16, &p));
    assert_int_equal(p.bytes, 125ull * 64 * KiB);
    /* Masks beyond the colours are cut; none left is refused. */
    assert_false(sel4_colour_plan(10, 0xf0000, 16, &p));
    assert_false(sel4_colour_plan(10, 0, 16, &p));
    assert_false(sel4_colour_plan(10, 1, 12, &p));
    assert_true(sel4_colour_plan(10, ~0ull, 64, &p));
    assert_int_equal(p.skips_per_period, 0);
}

static void colour_sets_are_spelt(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(sel4_colour_format(0xf, buf, sizeof(buf)), "0-3");
    assert_string_equal(sel4_colour_format(0xff00, buf, sizeof(buf)), "8-15");
    assert_string_equal(sel4_colour_format(0x1 | 0x4 | 0x30, buf, sizeof(buf)), "0,2,4-5");
    assert_string_equal(sel4_colour_format(1ull << 63, buf, sizeof(buf)), "63");
    assert_string_equal(sel4_colour_format(0, buf, sizeof(buf)), "");
    assert_string_equal(sel4_colour_format(0xf, buf, 3), "0-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(colours_of_a_geometry),
        cmocka_unit_test(colour_of_an_address),
        cmocka_unit_test(the_walk_takes_only_the_colours),
        cmocka_unit_test(the_plan_matches_the_walk),
        cmocka_unit_test(colour_sets_are_spelt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
