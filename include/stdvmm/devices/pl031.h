/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Arm PrimeCell PL031 real-time clock (Arm DDI 0224): a 32-bit seconds
 * counter with a match register and one level interrupt, the RTC that
 * QEMU's and kvmtool's Arm boards give, found by Linux's rtc-pl031 and by
 * kvm-unit-tests' pl031 test through the device tree ("arm,pl031").
 *
 * The counter reads the host's wall clock at VMM start plus the monotonic
 * time since, so a guest sees real time and cannot make it run backwards
 * by the host's clock being set. The device has no timer of its own (the
 * portable layer has no threads): the match is noticed, and the interrupt
 * raised, when the guest next reads or writes the RTC. A guest that arms
 * an alarm and waits for it without touching the device waits until then.
 */
#ifndef STDVMM_DEVICES_PL031_H
#define STDVMM_DEVICES_PL031_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/sync.h"

#define PL031_SIZE 0x1000 /* one 4 KiB PrimeCell window, ID registers at its top */

/* Register offsets. */
#define PL031_DR 0x00         /* data: the current count (read-only) */
#define PL031_MR 0x04         /* match */
#define PL031_LR 0x08         /* load: sets the count */
#define PL031_CR 0x0c         /* control: bit 0 starts the counter (always started here) */
#define PL031_IMSC 0x10       /* interrupt mask set/clear: bit 0 lets the match interrupt out */
#define PL031_RIS 0x14        /* raw interrupt status (read-only) */
#define PL031_MIS 0x18        /* masked interrupt status (read-only) */
#define PL031_ICR 0x1c        /* interrupt clear (write-only) */
#define PL031_PERIPH_ID 0xfe0 /* four byte-wide IDs in 32-bit slots, then the PrimeCell IDs */

struct pl031_config {
    uint64_t base;
    uint32_t irq; /* SPI */
    void (*set_irq)(void *irq_ctx, uint32_t irq, bool level);
    void *irq_ctx;
    /* A monotonic clock in nanoseconds (called from vCPU threads). */
    uint64_t (*now_ns)(void *clock_ctx);
    void *clock_ctx;
    /* now_ns() at the moment the wall clock read wall_s (seconds since 1970). */
    uint64_t start_ns;
    uint64_t wall_s;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct pl031 {
    stdvmm_lock_t lock;
    struct pl031_config cfg;
    int64_t offset_s; /* count = wall_s + elapsed seconds + offset_s (LR moves it) */
    uint32_t mr;
    uint32_t last_count; /* the count when the match was last looked at */
    bool imsc, ris, line;
};

/* set_irq and now_ns are required. */
int pl031_init(struct pl031 *rtc, const struct pl031_config *cfg);
int pl031_register(struct pl031 *rtc, struct bus *bus);

/* The count a guest would read now (for tests and the VMM's own messages). */
uint32_t pl031_count(struct pl031 *rtc);

#endif
