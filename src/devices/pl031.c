/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/pl031.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define NS_PER_S 1000000000ull

/* PrimeCell peripheral ID (part 0x031, designer Arm, revision 1) and cell ID. */
static const uint8_t ids[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint32_t count_locked(const struct pl031 *rtc)
{
    uint64_t now = rtc->cfg.now_ns(rtc->cfg.clock_ctx);
    uint64_t elapsed = now > rtc->cfg.start_ns ? (now - rtc->cfg.start_ns) / NS_PER_S : 0;
    /* The register is 32 bits: it wraps, as the hardware's does (in 2106). */
    return (uint32_t)(rtc->cfg.wall_s + elapsed + (uint64_t)rtc->offset_s);
}

/*
 * The match fires when the count reaches MR: counted since the last look,
 * so a match passed between two accesses is not missed.
 */
static void check_match_locked(struct pl031 *rtc, uint32_t count)
{
    uint32_t since = rtc->mr - rtc->last_count; /* ticks from the last look to MR */
    uint32_t moved = count - rtc->last_count;

    if (moved != 0 && since != 0 && since <= moved)
        rtc->ris = true;
    rtc->last_count = count;
}

/* Called with the lock held; the line follows MIS = RIS & IMSC. */
static void update_line_locked(struct pl031 *rtc)
{
    bool level = rtc->ris && rtc->imsc;
    if (level != rtc->line) {
        rtc->line = level;
        rtc->cfg.set_irq(rtc->cfg.irq_ctx, rtc->cfg.irq, level);
    }
}

static uint32_t reg_read_locked(struct pl031 *rtc, uint64_t reg)
{
    switch (reg) {
    case PL031_DR:
        return rtc->last_count;
    case PL031_MR:
        return rtc->mr;
    case PL031_LR:
        return rtc->last_count; /* reads back the count, as QEMU's does */
    case PL031_CR:
        return 1;
    case PL031_IMSC:
        return rtc->imsc;
    case PL031_RIS:
        return rtc->ris;
    case PL031_MIS:
        return rtc->ris && rtc->imsc;
    default:
        if (reg >= PL031_PERIPH_ID && reg < PL031_PERIPH_ID + 4 * sizeof(ids))
            return ids[(reg - PL031_PERIPH_ID) / 4];
        return 0;
    }
}

static void reg_write_locked(struct pl031 *rtc, uint64_t reg, uint32_t v)
{
    switch (reg) {
    case PL031_MR:
        rtc->mr = v;
        break;
    case PL031_LR:
        rtc->offset_s += (int64_t)v - (int64_t)rtc->last_count;
        rtc->last_count = v;
        break;
    case PL031_IMSC:
        rtc->imsc = v & 1;
        break;
    case PL031_ICR:
        if (v & 1)
            rtc->ris = false;
        break;
    default: /* DR, CR (the counter always runs), RIS, MIS and the IDs are read-only */
        break;
    }
}

/*
 * Registers are 32 bits wide; a narrower access reads or writes the low
 * bytes of the word it falls in (kvm-unit-tests checks that byte and
 * halfword writes do not change read-only registers either).
 */
static void pl031_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct pl031 *rtc = opaque;
    uint64_t reg = offset & ~3ull;

    stdvmm_lock(&rtc->lock);
    check_match_locked(rtc, count_locked(rtc));
    update_line_locked(rtc);
    uint32_t v = reg_read_locked(rtc, reg) >> (8 * (offset & 3));
    stdvmm_unlock(&rtc->lock);
    for (uint32_t i = 0; i < len; i++)
        data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void pl031_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct pl031 *rtc = opaque;
    uint32_t v = 0;

    if ((offset & 3) != 0)
        return; /* only whole-register writes from the register's first byte mean anything */
    for (uint32_t i = 0; i < len && i < 4; i++)
        v |= (uint32_t)data[i] << (8 * i);
    stdvmm_lock(&rtc->lock);
    check_match_locked(rtc, count_locked(rtc));
    reg_write_locked(rtc, offset, v);
    /* A match register written to the current count matches at once. */
    if (offset == PL031_MR && rtc->mr == rtc->last_count)
        rtc->ris = true;
    update_line_locked(rtc);
    stdvmm_unlock(&rtc->lock);
}

static const struct bus_device_ops pl031_ops = {
    .read = pl031_bus_read,
    .write = pl031_bus_write,
};

int pl031_init(struct pl031 *rtc, const struct pl031_config *cfg)
{
    if (rtc == NULL || cfg == NULL || cfg->set_irq == NULL || cfg->now_ns == NULL) {
        LOG_ERR("pl031: no device storage, configuration, interrupt or clock");
        return -STDVMM_EINVAL;
    }
    memset(rtc, 0, sizeof(*rtc));
    stdvmm_lock_init(&rtc->lock);
    rtc->cfg = *cfg;
    rtc->last_count = count_locked(rtc);
    return 0;
}

int pl031_register(struct pl031 *rtc, struct bus *bus)
{
    if (rtc == NULL || bus == NULL) {
        LOG_ERR("pl031: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    return bus_register(bus, rtc->cfg.base, PL031_SIZE, &pl031_ops, rtc, "pl031");
}

uint32_t pl031_count(struct pl031 *rtc)
{
    stdvmm_lock(&rtc->lock);
    uint32_t c = count_locked(rtc);
    stdvmm_unlock(&rtc->lock);
    return c;
}
