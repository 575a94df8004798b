/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/i8042_reset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

/*
 * Commands 0xf0..0xff pulse the output port lines whose bits are 0 in the
 * low nibble; bit 0 is the CPU reset line. Linux sends 0xfe.
 */
#define CMD_PULSE_OUTPUT_MASK 0xf0
#define OUTPUT_RESET_LINE 0x01

static void read_zero(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    (void)opaque;
    (void)offset;
    memset(data, 0, len);
}

static void data_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    /* No keyboard to talk to. */
    (void)opaque;
    (void)offset;
    (void)data;
    (void)len;
}

static void command_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct i8042_reset *k = opaque;
    uint8_t cmd;

    if (len == 0 || offset != 0)
        return;
    cmd = data[0];
    if ((cmd & CMD_PULSE_OUTPUT_MASK) == CMD_PULSE_OUTPUT_MASK && !(cmd & OUTPUT_RESET_LINE)) {
        LOG_INFO("i8042: guest pulsed the reset line");
        vm_request_stop(k->vm, VM_STOP_RESET);
    }
}

static const struct bus_device_ops data_ops = {
    .read = read_zero,
    .write = data_write,
};

static const struct bus_device_ops command_ops = {
    .read = read_zero,
    .write = command_write,
};

int i8042_reset_init(struct i8042_reset *k, struct vm *vm)
{
    if (k == NULL || vm == NULL) {
        LOG_ERR("i8042: no device storage or VM");
        return -STDVMM_EINVAL;
    }
    k->vm = vm;
    return 0;
}

int i8042_reset_register(struct i8042_reset *k, struct bus *bus)
{
    int err;

    if (k == NULL || bus == NULL) {
        LOG_ERR("i8042: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    err = bus_register(bus, I8042_DATA_PORT, 1, &data_ops, k, "i8042-data");
    if (err == 0)
        err = bus_register(bus, I8042_COMMAND_PORT, 1, &command_ops, k, "i8042-command");
    return err;
}
