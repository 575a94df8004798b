/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/plic.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define WORDS 2 /* 32-bit words of pending and enable bits: sources 0..63 */

static uint64_t bit(unsigned source)
{
    return 1ull << source;
}

/* Sources 1..sources: bit 0 (no source) and bits above never exist. */
static uint64_t valid_mask(const struct plic *p)
{
    uint64_t all = p->cfg.sources >= 63 ? ~0ull : bit(p->cfg.sources + 1) - 1;
    return all & ~1ull;
}

/* The source context c would claim now: the highest priority above its threshold, lowest id first.
 */
static unsigned best_locked(const struct plic *p, unsigned c)
{
    uint64_t eligible = p->pending & ~p->claimed & p->enable[c];
    unsigned best = 0;
    uint32_t best_prio = p->threshold[c];

    for (unsigned n = 1; n <= p->cfg.sources; n++) {
        if ((eligible & bit(n)) != 0 && p->priority[n] > best_prio) {
            best = n;
            best_prio = p->priority[n];
        }
    }
    return best;
}

/* Every context's output follows whether it has something to claim. */
static void update_locked(struct plic *p)
{
    for (unsigned c = 0; c < p->cfg.contexts; c++) {
        bool level = best_locked(p, c) != 0;
        if (level != ((p->output >> c) & 1)) {
            p->output ^= 1ull << c;
            p->cfg.set_context(p->cfg.ctx, c, level);
        }
    }
}

static uint32_t claim_locked(struct plic *p, unsigned c)
{
    unsigned n = best_locked(p, c);

    if (n != 0) {
        p->pending &= ~bit(n);
        p->claimed |= bit(n);
    }
    return n;
}

/* Completions naming a source not enabled for the context, or not claimed, are ignored (spec). */
static void complete_locked(struct plic *p, unsigned c, uint32_t n)
{
    if (n == 0 || n > p->cfg.sources || (p->enable[c] & bit(n)) == 0 || (p->claimed & bit(n)) == 0)
        return;
    p->claimed &= ~bit(n);
    if ((p->line & bit(n)) != 0)
        p->pending |= bit(n);
}

static uint32_t read_locked(struct plic *p, uint64_t off)
{
    if (off < PLIC_PENDING) {
        uint64_t n = off / 4;
        return n <= p->cfg.sources ? p->priority[n] : 0;
    }
    if (off < PLIC_ENABLE) {
        uint64_t w = (off - PLIC_PENDING) / 4;
        return w < WORDS ? (uint32_t)(p->pending >> (32 * w)) : 0;
    }
    if (off < PLIC_CONTEXT) {
        uint64_t c = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        uint64_t w = (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4;
        return c < p->cfg.contexts && w < WORDS ? (uint32_t)(p->enable[c] >> (32 * w)) : 0;
    }
    uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
    uint64_t reg = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (c >= p->cfg.contexts)
        return 0;
    if (reg == PLIC_THRESHOLD)
        return p->threshold[c];
    if (reg == PLIC_CLAIM)
        return claim_locked(p, (unsigned)c);
    return 0;
}

static void write_locked(struct plic *p, uint64_t off, uint32_t v)
{
    if (off < PLIC_PENDING) {
        uint64_t n = off / 4;
        if (n >= 1 && n <= p->cfg.sources)
            p->priority[n] = v & PLIC_MAX_PRIORITY; /* WARL: three bits */
        return;
    }
    if (off < PLIC_ENABLE)
        return; /* pending bits are read-only */
    if (off < PLIC_CONTEXT) {
        uint64_t c = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        uint64_t w = (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4;
        if (c >= p->cfg.contexts || w >= WORDS)
            return;
        uint64_t keep = ~(0xffffffffull << (32 * w));
        p->enable[c] = ((p->enable[c] & keep) | ((uint64_t)v << (32 * w))) & valid_mask(p);
        return;
    }
    uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
    uint64_t reg = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (c >= p->cfg.contexts)
        return;
    if (reg == PLIC_THRESHOLD)
        p->threshold[c] = v & PLIC_MAX_PRIORITY;
    else if (reg == PLIC_CLAIM)
        complete_locked(p, (unsigned)c, v);
}

/* Every register is 32 bits wide; other widths and unaligned accesses read 0 and write nothing. */
static void plic_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct plic *p = opaque;
    uint32_t v = 0;

    if (len == 4 && (offset & 3) == 0) {
        stdvmm_lock(&p->lock);
        v = read_locked(p, offset);
        update_locked(p); /* a claim takes its source off the output */
        stdvmm_unlock(&p->lock);
    }
    memset(data, 0, len);
    for (uint32_t i = 0; i < len && i < 4; i++)
        data[i] = (uint8_t)(v >> (8 * i));
}

static void plic_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct plic *p = opaque;

    if (len != 4 || (offset & 3) != 0)
        return;
    uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                 (uint32_t)data[3] << 24;
    stdvmm_lock(&p->lock);
    write_locked(p, offset, v);
    update_locked(p);
    stdvmm_unlock(&p->lock);
}

static const struct bus_device_ops plic_ops = {
    .read = plic_bus_read,
    .write = plic_bus_write,
};

int plic_init(struct plic *p, const struct plic_config *cfg)
{
    if (p == NULL || cfg == NULL || cfg->set_context == NULL) {
        LOG_ERR("plic: no device storage, configuration or output");
        return -STDVMM_EINVAL;
    }
    if (cfg->sources == 0 || cfg->sources > PLIC_MAX_SOURCES || cfg->contexts == 0 ||
        cfg->contexts > PLIC_MAX_CONTEXTS) {
        LOG_ERR("plic: %u sources (1..%d) and %u contexts (1..%d)", cfg->sources, PLIC_MAX_SOURCES,
                cfg->contexts, PLIC_MAX_CONTEXTS);
        return -STDVMM_EINVAL;
    }
    memset(p, 0, sizeof(*p));
    stdvmm_lock_init(&p->lock);
    p->cfg = *cfg;
    return 0;
}

int plic_register(struct plic *p, struct bus *bus)
{
    if (p == NULL || bus == NULL) {
        LOG_ERR("plic: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    return bus_register(bus, p->cfg.base, PLIC_SIZE(p->cfg.contexts), &plic_ops, p, "plic");
}

int plic_source_target(struct plic *p, uint32_t source, unsigned *context)
{
    if (source == 0 || source > p->cfg.sources)
        return -STDVMM_EINVAL;
    unsigned found = 0, n = 0;
    stdvmm_lock(&p->lock);
    for (unsigned c = 0; c < p->cfg.contexts; c++) {
        if ((p->enable[c] & bit(source)) != 0) {
            found = c;
            n++;
        }
    }
    stdvmm_unlock(&p->lock);
    if (n != 1)
        return -STDVMM_ENOENT;
    *context = found;
    return 0;
}

int plic_set_line(struct plic *p, uint32_t source, bool level)
{
    if (source == 0 || source > p->cfg.sources) {
        LOG_ERR("plic: interrupt source %u does not exist (1..%u)", source, p->cfg.sources);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&p->lock);
    if (level && (p->line & bit(source)) == 0)
        p->pending |= bit(source); /* the gateway's request, on the rising edge */
    p->line = level ? p->line | bit(source) : p->line & ~bit(source);
    update_locked(p);
    stdvmm_unlock(&p->lock);
    return 0;
}
