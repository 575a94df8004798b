/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/pvpanic.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

static bool first_time(atomic_bool *logged)
{
    return !atomic_exchange(logged, true);
}

static void pvpanic_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    (void)opaque;
    memset(data, 0, len);
    /* The guest driver reads which events it may report, and reports only those. */
    if (len > 0 && offset == 0)
        data[0] = PVPANIC_SUPPORTED_EVENTS;
}

static void pvpanic_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct pvpanic *p = opaque;
    uint8_t events;

    if (len == 0 || offset != 0)
        return;
    events = data[0];
    if ((events & ~PVPANIC_SUPPORTED_EVENTS) && first_time(&p->logged_unknown))
        LOG_WARN("pvpanic at %s 0x%llx: guest reported unknown events 0x%02x (warning once)",
                 p->cfg.is_pio ? "port" : "MMIO", (unsigned long long)p->cfg.base,
                 events & ~PVPANIC_SUPPORTED_EVENTS);
    if ((events & PVPANIC_CRASH_LOADED) && first_time(&p->logged_crash_loaded))
        LOG_WARN("pvpanic: guest kernel crashed; its crash kernel takes over");
    if (events & PVPANIC_PANICKED) {
        if (first_time(&p->logged_panic))
            LOG_ERR("pvpanic: guest kernel panicked");
        vm_request_stop(p->cfg.vm, VM_STOP_PANIC);
    }
}

static const struct bus_device_ops pvpanic_ops = {
    .read = pvpanic_bus_read,
    .write = pvpanic_bus_write,
};

int pvpanic_init(struct pvpanic *p, const struct pvpanic_config *cfg)
{
    if (p == NULL || cfg == NULL || cfg->vm == NULL) {
        LOG_ERR("pvpanic: no device storage, configuration or VM");
        return -STDVMM_EINVAL;
    }
    p->cfg = *cfg;
    atomic_init(&p->logged_panic, false);
    atomic_init(&p->logged_crash_loaded, false);
    atomic_init(&p->logged_unknown, false);
    return 0;
}

int pvpanic_register(struct pvpanic *p, struct bus *bus)
{
    if (p == NULL || bus == NULL) {
        LOG_ERR("pvpanic: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    return bus_register(bus, p->cfg.base, PVPANIC_SIZE, &pvpanic_ops, p, "pvpanic");
}
