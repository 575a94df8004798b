/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Power management of a hardware-reduced ACPI platform: the FADT's sleep
 * control, sleep status and reset registers, each one byte. The guest powers
 * off by writing SLP_EN with the _S5 sleep type to sleep control, and resets
 * by writing the FADT's RESET_VALUE to the reset register. Other sleep states
 * are not supported: the request is refused as an immediate wake-up.
 */
#ifndef STDVMM_DEVICES_ACPI_PM_H
#define STDVMM_DEVICES_ACPI_PM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"

#define ACPI_PM_REG_SIZE 1

/* Sleep control register (ACPI 6.5 §4.8.3.7). */
#define ACPI_PM_SLP_TYP_SHIFT 2
#define ACPI_PM_SLP_TYP_MASK (7u << ACPI_PM_SLP_TYP_SHIFT)
#define ACPI_PM_SLP_EN (1u << 5)
/* Sleep status register (§4.8.3.8): set on wake, cleared by writing 1. */
#define ACPI_PM_WAK_STS (1u << 7)

#define ACPI_PM_SLEEP_TYPE_MAX 7

struct vm;

struct acpi_pm_config {
    struct vm *vm; /* stopped on power-off and reset */
    /* I/O ports on x86 (FADT generic addresses), MMIO addresses elsewhere. */
    bool is_pio; /* for messages; the caller picks the bus */
    uint64_t sleep_control_base;
    uint64_t sleep_status_base;
    uint64_t reset_base;
    uint8_t reset_value;   /* FADT RESET_VALUE */
    uint8_t s5_sleep_type; /* SLP_TYPa of the DSDT's \_S5 package, 0..7 */
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct acpi_pm {
    struct acpi_pm_config cfg;
    atomic_bool wake_status;
    atomic_bool warned_sleep;
    atomic_bool warned_reset;
};

/* vm is required; s5_sleep_type must fit SLP_TYPx. */
int acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_config *cfg);

/* Claims the three one-byte registers on bus. */
int acpi_pm_register(struct acpi_pm *pm, struct bus *bus);

#endif
