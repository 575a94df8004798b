/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU's pvpanic device, I/O port flavour (ACPI _HID "QEMU0001"; Linux's
 * pvpanic-mmio driver uses its I/O resource). Reading the register gives the
 * events the host understands; the guest writes an event when it happens.
 * A panic stops the VM with VM_STOP_PANIC.
 */
#ifndef STDVMM_DEVICES_PVPANIC_H
#define STDVMM_DEVICES_PVPANIC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"

#define PVPANIC_X86_PORT 0x505
#define PVPANIC_SIZE 1

#define PVPANIC_PANICKED (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1) /* a crash kernel will take over; log only */
#define PVPANIC_SUPPORTED_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct vm;

struct pvpanic_config {
    uint64_t base; /* I/O port on x86, MMIO address elsewhere */
    bool is_pio;   /* for messages; the caller picks the bus */
    struct vm *vm; /* stopped on a panic */
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct pvpanic {
    struct pvpanic_config cfg;
    /* Each message once: a guest writing in a loop must not flood the host log. */
    atomic_bool logged_panic;
    atomic_bool logged_crash_loaded;
    atomic_bool logged_unknown;
};

/* vm is required. */
int pvpanic_init(struct pvpanic *p, const struct pvpanic_config *cfg);

/* Claims PVPANIC_SIZE bytes at cfg.base on bus. */
int pvpanic_register(struct pvpanic *p, struct bus *bus);

#endif
