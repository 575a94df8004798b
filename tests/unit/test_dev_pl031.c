/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PL031 RTC through an MMIO bus, on a clock the test moves: the count
 * follows the wall clock, LR moves it, the IDs and read-only registers hold
 * whatever is written, and the match interrupt obeys RIS, IMSC and ICR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/pl031.h"
#include "stdvmm/error.h"

#define BASE 0x09030000ull
#define SPI 2
#define NS 1000000000ull
#define WALL 1764892800u /* 2025-12-05 00:00:00 UTC */

static uint64_t clock_ns;
static int line_changes;
static bool line;

static uint64_t now(void *ctx)
{
    (void)ctx;
    return clock_ns;
}

static void set_irq(void *ctx, uint32_t irq, bool level)
{
    (void)ctx;
    assert_int_equal(irq, SPI);
    line = level;
    line_changes++;
}

static struct bus bus;
static struct pl031 rtc;

static void setup_rtc(void)
{
    clock_ns = 5 * NS + 123; /* the VMM started at 5 s of monotonic time */
    line = false;
    line_changes = 0;
    bus_init(&bus, "mmio");
    struct pl031_config cfg = {.base = BASE,
                               .irq = SPI,
                               .set_irq = set_irq,
                               .now_ns = now,
                               .start_ns = clock_ns,
                               .wall_s = WALL};
    assert_int_equal(pl031_init(&rtc, &cfg), 0);
    assert_int_equal(pl031_register(&rtc, &bus), 0);
}

static uint32_t rd(uint64_t reg)
{
    uint8_t b[4];
    assert_int_equal(bus_read(&bus, BASE + reg, b, 4), 0);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(uint64_t reg, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(bus_write(&bus, BASE + reg, b, 4), 0);
}

static void counts_wall_clock_seconds(void **state)
{
    (void)state;
    setup_rtc();
    assert_int_equal(rd(PL031_DR), WALL);
    clock_ns += NS - 1; /* not yet a whole second */
    assert_int_equal(rd(PL031_DR), WALL);
    clock_ns += 1;
    assert_int_equal(rd(PL031_DR), WALL + 1);
    clock_ns += 3600 * NS;
    assert_int_equal(rd(PL031_DR), WALL + 3601);
    assert_int_equal(rd(PL031_CR), 1); /* always running */
    /* LR sets the count, which runs on from there. */
    wr(PL031_LR, 1000);
    assert_int_equal(rd(PL031_DR), 1000);
    clock_ns += 2 * NS;
    assert_int_equal(rd(PL031_DR), 1002);
    assert_int_equal(pl031_count(&rtc), 1002);
    /* DR is read-only. */
    wr(PL031_DR, 7);
    assert_int_equal(rd(PL031_DR), 1002);
    /* Registers beyond the defined ones read as zero. */
    assert_int_equal(rd(0x20), 0);
}

static void ids_and_read_only_registers(void **state)
{
    static const uint8_t want[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    uint8_t b;
    uint8_t h[2];

    (void)state;
    setup_rtc();
    for (int i = 0; i < 8; i++) {
        assert_int_equal(rd(PL031_PERIPH_ID + 4 * i), want[i]);
        /* Byte and halfword reads see the same low byte. */
        assert_int_equal(bus_read(&bus, BASE + PL031_PERIPH_ID + 4 * i, &b, 1), 0);
        assert_int_equal(b, want[i]);
        wr(PL031_PERIPH_ID + 4 * i, 0xdeadbeef);
        assert_int_equal(bus_write(&bus, BASE + PL031_PERIPH_ID + 4 * i, h, 2), 0);
        assert_int_equal(rd(PL031_PERIPH_ID + 4 * i), want[i]);
    }
    wr(PL031_RIS, 0xdeadbeef);
    wr(PL031_MIS, 0xdeadbeef);
    assert_int_equal(rd(PL031_RIS), 0);
    assert_int_equal(rd(PL031_MIS), 0);
}

static void match_interrupt(void **state)
{
    (void)state;
    setup_rtc();
    /* kvm-unit-tests' sequence: match in 1 s, wait 2 s, then unmask. */
    wr(PL031_MR, WALL + 1);
    assert_int_equal(rd(PL031_MR), WALL + 1);
    clock_ns += 2 * NS;
    assert_int_equal(rd(PL031_RIS), 1); /* raised, a second ago */
    assert_int_equal(rd(PL031_MIS), 0);
    assert_false(line); /* masked: not delivered */
    wr(PL031_IMSC, 1);
    assert_true(line);
    assert_int_equal(rd(PL031_MIS), 1);
    assert_int_equal(rd(PL031_IMSC), 1);
    /* ICR bit 0 clears it; other bits do nothing. */
    wr(PL031_ICR, 2);
    assert_true(line);
    wr(PL031_ICR, 1);
    assert_false(line);
    assert_int_equal(rd(PL031_RIS), 0);
    assert_int_equal(line_changes, 2);
    /* The match does not fire again until the count comes round to MR again. */
    clock_ns += 10 * NS;
    assert_int_equal(rd(PL031_RIS), 0);
    /* A match passed between two looks is still seen. */
    wr(PL031_MR, WALL + 15);
    clock_ns += 20 * NS;
    assert_int_equal(rd(PL031_MIS), 1);
    assert_true(line);
    /* Masking lowers the line and keeps the raw status. */
    wr(PL031_IMSC, 0);
    assert_false(line);
    assert_int_equal(rd(PL031_RIS), 1);
    wr(PL031_ICR, 1);
    /* A match set to the current count fires at once; one in the past does not. */
    wr(PL031_MR, rd(PL031_DR) - 5);
    assert_int_equal(rd(PL031_RIS), 0);
    wr(PL031_MR, rd(PL031_DR));
    assert_int_equal(rd(PL031_RIS), 1);
}

static void refuses_bad_setup(void **state)
{
    struct pl031_config none = {.base = BASE};
    (void)state;
    assert_int_equal(pl031_init(&rtc, &none), -STDVMM_EINVAL);
    assert_int_equal(pl031_init(NULL, &none), -STDVMM_EINVAL);
    setup_rtc();
    assert_int_equal(pl031_register(&rtc, NULL), -STDVMM_EINVAL);
    /* The window is taken: a second device there is refused by the bus. */
    assert_int_not_equal(pl031_register(&rtc, &bus), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_wall_clock_seconds),
        cmocka_unit_test(ids_and_read_only_registers),
        cmocka_unit_test(match_interrupt),
        cmocka_unit_test(refuses_bad_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
