/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/bus.h"

#include <stdbool.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

void bus_init(struct bus *bus, const char *name)
{
    memset(bus, 0, sizeof(*bus));
    bus->name = name;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_device_ops *ops,
                 void *opaque, const char *name)
{
    if (size == 0 || base + size < base || ops == NULL) {
        LOG_ERR("%s bus: device %s at 0x%llx+0x%llx: empty or wrapping range", bus->name, name,
                (unsigned long long)base, (unsigned long long)size);
        return -STDVMM_EINVAL;
    }
    if (bus->count >= BUS_MAX_RANGES) {
        LOG_ERR("%s bus: full (%d devices), cannot add %s", bus->name, BUS_MAX_RANGES, name);
        return -STDVMM_ENOSPC;
    }
    for (unsigned i = 0; i < bus->count; i++) {
        const struct bus_range *r = &bus->ranges[i];
        if (base < r->base + r->size && r->base < base + size) {
            LOG_ERR("%s bus: device %s at 0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx", bus->name,
                    name, (unsigned long long)base, (unsigned long long)size, r->name,
                    (unsigned long long)r->base, (unsigned long long)r->size);
            return -STDVMM_EEXIST;
        }
    }
    bus->ranges[bus->count++] =
        (struct bus_range){.base = base, .size = size, .ops = ops, .opaque = opaque, .name = name};
    return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len)
{
    for (unsigned i = 0; i < bus->count; i++) {
        const struct bus_range *r = &bus->ranges[i];
        if (addr < r->base)
            continue;
        uint64_t off = addr - r->base;
        if (off < r->size && len <= r->size - off)
            return r;
    }
    return NULL;
}

static bool valid_len(uint32_t len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

int bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
    if (!valid_len(len))
        return -STDVMM_EINVAL;
    const struct bus_range *r = bus_find(bus, addr, len);
    if (r == NULL || r->ops->read == NULL) {
        memset(data, 0xff, len);
        return -STDVMM_ENODEV;
    }
    r->ops->read(r->opaque, addr - r->base, data, len);
    return 0;
}

int bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len)
{
    if (!valid_len(len))
        return -STDVMM_EINVAL;
    const struct bus_range *r = bus_find(bus, addr, len);
    if (r == NULL || r->ops->write == NULL)
        return -STDVMM_ENODEV;
    r->ops->write(r->opaque, addr - r->base, data, len);
    return 0;
}
