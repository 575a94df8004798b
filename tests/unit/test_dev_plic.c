/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PLIC through an MMIO bus, as a guest drives it: priorities, per-context
 * enables and thresholds decide which context's output goes up and which
 * source a claim returns; a claim takes the source off, a completion with
 * the line still high offers it again, a pulse during service is kept; the
 * pending bits, the read-only and reserved registers and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/plic.h"
#include "stdvmm/error.h"

#define BASE 0x0c000000ull
#define SOURCES 40
#define CONTEXTS 3

static struct bus bus;
static struct plic plic;
static bool out[CONTEXTS];
static int changes;

static void set_context(void *ctx, unsigned c, bool level)
{
    assert_ptr_equal(ctx, &plic);
    assert_true(c < CONTEXTS);
    assert_true(out[c] != level); /* only changes are reported */
    out[c] = level;
    changes++;
}

static int setup(void **state)
{
    struct plic_config cfg = {.base = BASE,
                              .sources = SOURCES,
                              .contexts = CONTEXTS,
                              .set_context = set_context,
                              .ctx = &plic};
    (void)state;
    bus_init(&bus, "mmio");
    for (unsigned c = 0; c < CONTEXTS; c++)
        out[c] = false;
    changes = 0;
    assert_int_equal(plic_init(&plic, &cfg), 0);
    assert_int_equal(plic_register(&plic, &bus), 0);
    return 0;
}

static uint32_t rd(uint64_t off)
{
    uint8_t b[4];
    assert_int_equal(bus_read(&bus, BASE + off, b, 4), 0);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(bus_write(&bus, BASE + off, b, 4), 0);
}

static void prio(unsigned n, uint32_t p)
{
    wr(PLIC_PRIORITY + 4 * n, p);
}

static void enable(unsigned c, unsigned n)
{
    uint64_t reg = PLIC_ENABLE + c * PLIC_ENABLE_STRIDE + 4 * (n / 32);
    wr(reg, rd(reg) | 1u << (n % 32));
}

static uint32_t claim(unsigned c)
{
    return rd(PLIC_CONTEXT + c * PLIC_CONTEXT_STRIDE + PLIC_CLAIM);
}

static void complete(unsigned c, uint32_t n)
{
    wr(PLIC_CONTEXT + c * PLIC_CONTEXT_STRIDE + PLIC_CLAIM, n);
}

static void threshold(unsigned c, uint32_t t)
{
    wr(PLIC_CONTEXT + c * PLIC_CONTEXT_STRIDE + PLIC_THRESHOLD, t);
}

/* A level source: claimed, completed while still high (offered again), then low. */
static void claim_complete_level(void **state)
{
    (void)state;
    prio(5, 1);
    enable(1, 5);
    assert_int_equal(plic_set_line(&plic, 5, true), 0);
    assert_true(out[1]);
    assert_false(out[0]);
    assert_false(out[2]);
    assert_int_equal(rd(PLIC_PENDING), 1u << 5);
    assert_int_equal(claim(1), 5);
    assert_false(out[1]);
    assert_int_equal(rd(PLIC_PENDING), 0);
    /* In service: a second claim finds nothing. */
    assert_int_equal(claim(1), 0);
    complete(1, 5);
    assert_true(out[1]); /* the line is still high */
    assert_int_equal(claim(1), 5);
    assert_int_equal(plic_set_line(&plic, 5, false), 0);
    complete(1, 5);
    assert_false(out[1]);
    assert_int_equal(claim(1), 0);
    assert_int_equal(rd(PLIC_PENDING), 0);
}

/* A pulse (raise, lower at once: an irqfd-less virtio edge) while in service is kept. */
static void pulse_during_service(void **state)
{
    (void)state;
    prio(16, 2);
    enable(0, 16);
    plic_set_line(&plic, 16, true);
    plic_set_line(&plic, 16, false);
    assert_true(out[0]);
    assert_int_equal(claim(0), 16);
    plic_set_line(&plic, 16, true);
    plic_set_line(&plic, 16, false);
    assert_false(out[0]); /* not offered while claimed */
    complete(0, 16);
    assert_true(out[0]);
    assert_int_equal(claim(0), 16);
    complete(0, 16);
    assert_false(out[0]);
    assert_int_equal(claim(0), 0);
}

/* Highest priority first; equal priorities: the lower source; priority 0 never. */
static void priorities(void **state)
{
    (void)state;
    prio(3, 2);
    prio(7, 5);
    prio(9, 5);
    prio(11, 0);
    for (unsigned n = 3; n <= 11; n += 2)
        enable(0, n);
    for (unsigned n = 3; n <= 11; n += 2)
        plic_set_line(&plic, n, true);
    assert_int_equal(claim(0), 7);
    assert_int_equal(claim(0), 9);
    assert_int_equal(claim(0), 3);
    assert_int_equal(claim(0), 0); /* 5 has priority 0 (never set), 11 was set to 0 */
    assert_false(out[0]);
    /* Priorities are three bits wide (WARL). */
    prio(3, 0xff);
    assert_int_equal(rd(PLIC_PRIORITY + 4 * 3), PLIC_MAX_PRIORITY);
}

/* Only a priority above the threshold interrupts; lowering the threshold lets it through. */
static void thresholds(void **state)
{
    (void)state;
    prio(4, 3);
    enable(2, 4);
    threshold(2, 3);
    assert_int_equal(rd(PLIC_CONTEXT + 2 * PLIC_CONTEXT_STRIDE), 3);
    plic_set_line(&plic, 4, true);
    assert_false(out[2]);
    assert_int_equal(claim(2), 0);
    assert_int_equal(rd(PLIC_PENDING), 1u << 4);
    threshold(2, 2);
    assert_true(out[2]);
    threshold(2, 7);
    assert_false(out[2]);
    threshold(2, 0);
    assert_int_equal(claim(2), 4);
}

/* A source interrupts only the contexts that enable it; enable bits beyond the sources read 0. */
static void enables(void **state)
{
    (void)state;
    prio(33, 1);
    plic_set_line(&plic, 33, true);
    assert_int_equal(changes, 0);
    assert_int_equal(rd(PLIC_PENDING + 4), 1u << 1); /* source 33: word 1, bit 1 */
    enable(2, 33);
    assert_true(out[2]);
    assert_false(out[0]);
    assert_false(out[1]);
    /* Disabling it again takes the output down; the request stays pending. */
    wr(PLIC_ENABLE + 2 * PLIC_ENABLE_STRIDE + 4, 0);
    assert_false(out[2]);
    assert_int_equal(rd(PLIC_PENDING + 4), 1u << 1);
    /* Source 0 and sources past SOURCES (40) do not exist. */
    wr(PLIC_ENABLE, 0xffffffff);
    wr(PLIC_ENABLE + 4, 0xffffffff);
    assert_int_equal(rd(PLIC_ENABLE), 0xfffffffe);
    assert_int_equal(rd(PLIC_ENABLE + 4), (1u << (SOURCES - 32 + 1)) - 1);
    assert_int_equal(claim(0), 33);
    /* A completion for a source the context does not enable is ignored. */
    wr(PLIC_ENABLE, 0);
    wr(PLIC_ENABLE + 4, 0);
    complete(0, 33);
    enable(1, 33);
    assert_int_equal(claim(1), 0); /* still in service */
}

/* The target read back is the one context the guest enabled a source for. */
static void source_target(void **state)
{
    unsigned c = 99;

    (void)state;
    assert_int_equal(plic_source_target(&plic, 20, &c), -STDVMM_ENOENT); /* nowhere yet */
    enable(2, 20);
    assert_int_equal(plic_source_target(&plic, 20, &c), 0);
    assert_int_equal(c, 2);
    /* Moved to context 1, as Linux does for a new affinity: disabled on 2, enabled on 1. */
    wr(PLIC_ENABLE + 2 * PLIC_ENABLE_STRIDE, 0);
    enable(1, 20);
    assert_int_equal(plic_source_target(&plic, 20, &c), 0);
    assert_int_equal(c, 1);
    /* Enabled on two contexts: no single target to report. */
    enable(0, 20);
    assert_int_equal(plic_source_target(&plic, 20, &c), -STDVMM_ENOENT);
    assert_int_equal(plic_source_target(&plic, 0, &c), -STDVMM_EINVAL);
    assert_int_equal(plic_source_target(&plic, SOURCES + 1, &c), -STDVMM_EINVAL);
}

/* Read-only, reserved and odd-sized accesses change nothing; bad sources are refused. */
static void refusals(void **state)
{
    (void)state;
    prio(6, 1);
    enable(0, 6);
    plic_set_line(&plic, 6, true);
    wr(PLIC_PENDING, 0); /* pending is read-only */
    assert_int_equal(rd(PLIC_PENDING), 1u << 6);
    wr(PLIC_PRIORITY, 7); /* source 0 */
    assert_int_equal(rd(PLIC_PRIORITY), 0);
    wr(PLIC_PRIORITY + 4 * (SOURCES + 1), 7);
    assert_int_equal(rd(PLIC_PRIORITY + 4 * (SOURCES + 1)), 0);
    /* A byte-wide claim is no claim. */
    uint8_t b = 0xaa;
    assert_int_equal(bus_read(&bus, BASE + PLIC_CONTEXT + PLIC_CLAIM, &b, 1), 0);
    assert_int_equal(b, 0);
    assert_true(out[0]);
    uint8_t two[2] = {0, 0};
    assert_int_equal(bus_write(&bus, BASE + PLIC_PRIORITY + 4 * 6, two, 2), 0);
    assert_int_equal(rd(PLIC_PRIORITY + 4 * 6), 1);
    /* Contexts past the last are outside the device. */
    uint8_t w[4];
    assert_int_not_equal(bus_read(&bus, BASE + PLIC_SIZE(CONTEXTS), w, 4), 0);
    assert_int_equal(plic_set_line(&plic, 0, true), -STDVMM_EINVAL);
    assert_int_equal(plic_set_line(&plic, SOURCES + 1, true), -STDVMM_EINVAL);

    struct plic other;
    struct plic_config cfg = {
        .base = BASE, .sources = 0, .contexts = 1, .set_context = set_context};
    assert_int_equal(plic_init(&other, &cfg), -STDVMM_EINVAL);
    cfg.sources = PLIC_MAX_SOURCES + 1;
    assert_int_equal(plic_init(&other, &cfg), -STDVMM_EINVAL);
    cfg.sources = 1;
    cfg.contexts = PLIC_MAX_CONTEXTS + 1;
    assert_int_equal(plic_init(&other, &cfg), -STDVMM_EINVAL);
    cfg.contexts = 1;
    cfg.set_context = NULL;
    assert_int_equal(plic_init(&other, &cfg), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(claim_complete_level, setup),
        cmocka_unit_test_setup(pulse_during_service, setup),
        cmocka_unit_test_setup(priorities, setup),
        cmocka_unit_test_setup(thresholds, setup),
        cmocka_unit_test_setup(enables, setup),
        cmocka_unit_test_setup(source_target, setup),
        cmocka_unit_test_setup(refusals, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
