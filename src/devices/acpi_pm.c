/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/acpi_pm.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

/* All three registers are one byte at offset 0; wider accesses use the low byte. */
static bool register_byte(uint64_t offset, const uint8_t *data, uint32_t len, uint8_t *value)
{
    if (len == 0 || offset != 0)
        return false;
    *value = data[0];
    return true;
}

static void read_zero(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    (void)opaque;
    (void)offset;
    /* Sleep control and reset are write-only. */
    memset(data, 0, len);
}

static void sleep_control_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct acpi_pm *pm = opaque;
    uint8_t value;
    unsigned type;

    if (!register_byte(offset, data, len, &value) || !(value & ACPI_PM_SLP_EN))
        return; /* without SLP_EN the write only selects a type */
    type = (value & ACPI_PM_SLP_TYP_MASK) >> ACPI_PM_SLP_TYP_SHIFT;
    if (type == pm->cfg.s5_sleep_type) {
        LOG_INFO("acpi-pm: guest powered off");
        vm_request_stop(pm->cfg.vm, VM_STOP_POWEROFF);
        return;
    }
    /*
     * Linux spins on WAK_STS after entering a sleep state; setting it at once
     * makes an unsupported request look like an immediate wake-up.
     */
    atomic_store(&pm->wake_status, true);
    if (!atomic_exchange(&pm->warned_sleep, true))
        LOG_WARN("acpi-pm: guest asked for sleep type %u; only S5 (type %u) is supported, "
                 "waking it at once (warning once)",
                 type, pm->cfg.s5_sleep_type);
}

static void sleep_status_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct acpi_pm *pm = opaque;

    memset(data, 0, len);
    if (len > 0 && offset == 0 && atomic_load(&pm->wake_status))
        data[0] = ACPI_PM_WAK_STS;
}

static void sleep_status_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct acpi_pm *pm = opaque;
    uint8_t value;

    if (register_byte(offset, data, len, &value) && (value & ACPI_PM_WAK_STS))
        atomic_store(&pm->wake_status, false); /* write-one-to-clear */
}

static void reset_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct acpi_pm *pm = opaque;
    uint8_t value;

    if (!register_byte(offset, data, len, &value))
        return;
    if (value == pm->cfg.reset_value) {
        LOG_INFO("acpi-pm: guest reset");
        vm_request_stop(pm->cfg.vm, VM_STOP_RESET);
        return;
    }
    if (!atomic_exchange(&pm->warned_reset, true))
        LOG_WARN("acpi-pm: ignoring write of 0x%02x to the reset register at %s 0x%llx "
                 "(reset value is 0x%02x; warning once)",
                 value, pm->cfg.is_pio ? "port" : "MMIO", (unsigned long long)pm->cfg.reset_base,
                 pm->cfg.reset_value);
}

static const struct bus_device_ops sleep_control_ops = {
    .read = read_zero,
    .write = sleep_control_write,
};

static const struct bus_device_ops sleep_status_ops = {
    .read = sleep_status_read,
    .write = sleep_status_write,
};

static const struct bus_device_ops reset_ops = {
    .read = read_zero,
    .write = reset_write,
};

int acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_config *cfg)
{
    if (pm == NULL || cfg == NULL || cfg->vm == NULL) {
        LOG_ERR("acpi-pm: no device storage, configuration or VM");
        return -STDVMM_EINVAL;
    }
    if (cfg->s5_sleep_type > ACPI_PM_SLEEP_TYPE_MAX) {
        LOG_ERR("acpi-pm: S5 sleep type %u does not fit SLP_TYPx (0..%u)", cfg->s5_sleep_type,
                ACPI_PM_SLEEP_TYPE_MAX);
        return -STDVMM_EINVAL;
    }
    pm->cfg = *cfg;
    atomic_init(&pm->wake_status, false);
    atomic_init(&pm->warned_sleep, false);
    atomic_init(&pm->warned_reset, false);
    return 0;
}

int acpi_pm_register(struct acpi_pm *pm, struct bus *bus)
{
    int err;

    if (pm == NULL || bus == NULL) {
        LOG_ERR("acpi-pm: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    err = bus_register(bus, pm->cfg.sleep_control_base, ACPI_PM_REG_SIZE, &sleep_control_ops, pm,
                       "acpi-sleep-control");
    if (err == 0)
        err = bus_register(bus, pm->cfg.sleep_status_base, ACPI_PM_REG_SIZE, &sleep_status_ops, pm,
                           "acpi-sleep-status");
    if (err == 0)
        err = bus_register(bus, pm->cfg.reset_base, ACPI_PM_REG_SIZE, &reset_ops, pm, "acpi-reset");
    return err;
}
