/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/boot_timer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/sync.h"

#define NS_PER_US 1000u
#define US_PER_MS 1000u

static void log_userspace_reached(uint64_t elapsed_ns)
{
    uint64_t us = elapsed_ns / NS_PER_US;
    uint64_t ms = us / US_PER_MS;

    /* %u keeps the message printable everywhere; 2^32 ms is 49 days of booting. */
    if (ms > UINT32_MAX)
        ms = UINT32_MAX;
    LOG_INFO("boot-timer: guest reached userspace %u.%03u ms after VMM start", (unsigned)ms,
             (unsigned)(us % US_PER_MS));
}

static void boot_timer_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    (void)opaque;
    (void)offset;
    /* Write-only: nothing to report to the guest. */
    memset(data, 0, len);
}

static void boot_timer_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct boot_timer *t = opaque;
    uint64_t now, elapsed = 0;
    bool first = false, warn = false;

    if (len == 0 || offset != 0)
        return;
    /* The low byte is the register; /init writes exactly one byte. */
    if (data[0] != BOOT_TIMER_MAGIC) {
        stdvmm_lock(&t->lock);
        warn = !t->warned_value;
        t->warned_value = true;
        stdvmm_unlock(&t->lock);
        if (warn)
            LOG_WARN("boot-timer at %s 0x%llx: ignoring write of 0x%02x (expected 0x%02x; "
                     "warning once)",
                     t->cfg.is_pio ? "port" : "MMIO", (unsigned long long)t->cfg.base, data[0],
                     BOOT_TIMER_MAGIC);
        return;
    }
    now = t->cfg.now_ns(t->cfg.clock_ctx);
    if (now > t->cfg.start_ns)
        elapsed = now - t->cfg.start_ns;
    stdvmm_lock(&t->lock);
    /* Only the first signal is the boot time; later ones (a re-run /init) are not. */
    if (!t->reached) {
        t->reached = true;
        t->userspace_ns = elapsed;
        first = true;
    }
    stdvmm_unlock(&t->lock);
    if (first)
        log_userspace_reached(elapsed);
    else
        LOG_DEBUG("boot-timer: repeated signal ignored");
}

static const struct bus_device_ops boot_timer_ops = {
    .read = boot_timer_bus_read,
    .write = boot_timer_bus_write,
};

int boot_timer_init(struct boot_timer *t, const struct boot_timer_config *cfg)
{
    if (t == NULL || cfg == NULL || cfg->now_ns == NULL) {
        LOG_ERR("boot-timer: no device storage, configuration or clock");
        return -STDVMM_EINVAL;
    }
    memset(t, 0, sizeof(*t));
    stdvmm_lock_init(&t->lock);
    t->cfg = *cfg;
    if (t->cfg.start_ns == 0)
        t->cfg.start_ns = t->cfg.now_ns(t->cfg.clock_ctx);
    return 0;
}

int boot_timer_register(struct boot_timer *t, struct bus *bus)
{
    if (t == NULL || bus == NULL) {
        LOG_ERR("boot-timer: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    return bus_register(bus, t->cfg.base, BOOT_TIMER_SIZE, &boot_timer_ops, t, "boot-timer");
}

bool boot_timer_userspace_ns(struct boot_timer *t, uint64_t *elapsed_ns)
{
    bool reached;

    stdvmm_lock(&t->lock);
    reached = t->reached;
    if (reached && elapsed_ns != NULL)
        *elapsed_ns = t->userspace_ns;
    stdvmm_unlock(&t->lock);
    return reached;
}
