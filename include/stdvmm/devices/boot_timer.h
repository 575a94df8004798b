/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot timer (Firecracker's idea): a one-byte debug register that the
 * guest's /init writes BOOT_TIMER_MAGIC to once it reaches userspace, so the
 * VMM can measure and report how long the boot took.
 */
#ifndef STDVMM_DEVICES_BOOT_TIMER_H
#define STDVMM_DEVICES_BOOT_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/sync.h"

#define BOOT_TIMER_X86_PORT 0x440
#define BOOT_TIMER_SIZE 1
#define BOOT_TIMER_MAGIC 0x7b

struct boot_timer_config {
    uint64_t base; /* I/O port on x86, MMIO address on Arm */
    bool is_pio;   /* for messages; the caller picks the bus */
    /* A monotonic clock in nanoseconds; called from vCPU threads. */
    uint64_t (*now_ns)(void *clock_ctx);
    void *clock_ctx;
    /* now_ns() when the VMM started; 0: when boot_timer_init() runs. */
    uint64_t start_ns;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct boot_timer {
    stdvmm_lock_t lock;
    struct boot_timer_config cfg;
    bool reached;
    uint64_t userspace_ns; /* from start_ns to the first magic write */
    bool warned_value;
};

/* now_ns is required. */
int boot_timer_init(struct boot_timer *t, const struct boot_timer_config *cfg);

/* Claims BOOT_TIMER_SIZE bytes at cfg.base on bus. */
int boot_timer_register(struct boot_timer *t, struct bus *bus);

/* True, with the time from VMM start to the guest's signal, once the guest has signalled. */
bool boot_timer_userspace_ns(struct boot_timer *t, uint64_t *elapsed_ns);

#endif
