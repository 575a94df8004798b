/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Just enough of the PC keyboard controller (i8042) to reset the machine:
 * Linux falls back to pulsing its reset line when the ACPI reset register
 * does not take. No keyboard, no mouse: status reads 0 (nothing to read,
 * ready for a command) and data reads 0. Do not announce a PS/2 controller
 * in the firmware tables, or Linux's i8042 driver will wait for replies.
 */
#ifndef STDVMM_DEVICES_I8042_RESET_H
#define STDVMM_DEVICES_I8042_RESET_H

#include <stdint.h>

#include "stdvmm/bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64 /* status on read */
#define I8042_CMD_PULSE_RESET 0xfe

struct vm;

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct i8042_reset {
    struct vm *vm; /* stopped with VM_STOP_RESET */
};

int i8042_reset_init(struct i8042_reset *k, struct vm *vm);

/* Claims ports I8042_DATA_PORT and I8042_COMMAND_PORT (one byte each) on bus. */
int i8042_reset_register(struct i8042_reset *k, struct bus *bus);

#endif
