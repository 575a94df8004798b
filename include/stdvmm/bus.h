/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The device bus: guest-physical (MMIO) or port (PIO) ranges mapped to device
 * models. A device fills a bus_device_ops table and registers a range; the
 * vCPU loop dispatches each access exit to the one range that contains it.
 * The offset handed to a device is relative to its base and already checked
 * to lie, with its length, inside the range. Ranges are registered before
 * vCPUs start and never change afterwards, so dispatch takes no lock; each
 * device serialises its own state.
 */
#ifndef STDVMM_BUS_H
#define STDVMM_BUS_H

#include <stdint.h>

#define BUS_MAX_RANGES 64

struct bus_device_ops {
    /* len is 1, 2, 4 or 8; data is little-endian guest order. */
    void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
    void (*write)(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct bus_range {
    uint64_t base;
    uint64_t size;
    const struct bus_device_ops *ops;
    void *opaque;
    const char *name;
};

struct bus {
    const char *name; /* "mmio" or "pio", for messages */
    struct bus_range ranges[BUS_MAX_RANGES];
    unsigned count;
};

void bus_init(struct bus *bus, const char *name);

/* Refuses empty, wrapping or overlapping ranges and a full bus. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_device_ops *ops,
                 void *opaque, const char *name);

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len);

/*
 * Dispatch one access. Returns 0 when a device took it and -STDVMM_ENODEV
 * when none did; then reads see all-ones, as on real hardware with nothing
 * decoding the address, and writes are dropped.
 */
int bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
int bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
