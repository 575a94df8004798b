/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/shared_region.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

int shared_region_init(struct shared_region *s, const struct shared_region_config *cfg)
{
    if (s == NULL || cfg == NULL || cfg->name == NULL) {
        LOG_ERR("shared region: no device storage, configuration or name");
        return -STDVMM_EINVAL;
    }
    size_t len = strlen(cfg->name);
    if (len == 0 || len > SHARED_REGION_NAME_MAX) {
        LOG_ERR("shared region '%s': a name has 1 to %d characters", cfg->name,
                SHARED_REGION_NAME_MAX);
        return -STDVMM_EINVAL;
    }
    if (cfg->members == 0 || cfg->members > SHARED_REGION_MAX_MEMBERS ||
        cfg->member >= cfg->members) {
        LOG_ERR("shared region '%s': member %u of %u (at most %d members)", cfg->name, cfg->member,
                cfg->members, SHARED_REGION_MAX_MEMBERS);
        return -STDVMM_EINVAL;
    }
    if (cfg->size == 0 || cfg->gpa + cfg->size < cfg->gpa) {
        LOG_ERR("shared region '%s': empty, or past the end of the address space", cfg->name);
        return -STDVMM_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    memcpy(s->name, cfg->name, len + 1);
    s->cfg.name = s->name;
    atomic_init(&s->rings, 0);
    atomic_init(&s->pending, false);
    atomic_init(&s->refused_rings, 0);
    atomic_init(&s->refused_writes, 0);
    return 0;
}

static void set_line(struct shared_region *s, bool level)
{
    if (s->cfg.irq != 0 && s->cfg.set_irq != NULL)
        s->cfg.set_irq(s->cfg.irq_ctx, s->cfg.irq, level);
}

void shared_region_doorbell(struct shared_region *s, uint32_t rings)
{
    if (rings == 0)
        return;
    atomic_fetch_add(&s->rings, rings);
    atomic_store(&s->pending, true);
    set_line(s, true);
}

static uint32_t reg(const struct shared_region *s, uint64_t offset)
{
    const struct shared_region_config *c = &s->cfg;

    switch (offset) {
    case SHARED_REGION_MAGIC_REG: return SHARED_REGION_MAGIC;
    case SHARED_REGION_VERSION_REG: return SHARED_REGION_VERSION;
    case SHARED_REGION_MEMBER: return c->member;
    case SHARED_REGION_MEMBERS: return c->members;
    case SHARED_REGION_ADDR_LO: return (uint32_t)c->gpa;
    case SHARED_REGION_ADDR_HI: return (uint32_t)(c->gpa >> 32);
    case SHARED_REGION_SIZE_LO: return (uint32_t)c->size;
    case SHARED_REGION_SIZE_HI: return (uint32_t)(c->size >> 32);
    case SHARED_REGION_FLAGS:
        return (c->writable ? SHARED_REGION_F_WRITABLE : 0) |
               (c->doorbell ? SHARED_REGION_F_DOORBELL : 0);
    case SHARED_REGION_RINGS: return atomic_load(&s->rings);
    case SHARED_REGION_STATUS: return atomic_load(&s->pending) ? 1u : 0u;
    default: break;
    }
    if (offset >= SHARED_REGION_NAME && offset < SHARED_REGION_NAME + SHARED_REGION_NAME_MAX + 1) {
        uint32_t v = 0;
        for (unsigned i = 0; i < 4; i++) {
            uint64_t at = offset - SHARED_REGION_NAME + i;
            if (at < sizeof(s->name))
                v |= (uint32_t)(uint8_t)s->name[at] << (8 * i);
        }
        return v;
    }
    return 0;
}

/* Any width and alignment: the guest may read the name byte by byte. */
static void shared_region_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    const struct shared_region *s = opaque;

    for (uint32_t i = 0; i < len; i++) {
        uint64_t at = offset + i;
        data[i] = (uint8_t)(reg(s, at & ~3ull) >> (8 * (at & 3)));
    }
}

static void refuse_ring(struct shared_region *s, uint32_t target, const char *why)
{
    if (atomic_fetch_add(&s->refused_rings, 1) == 0)
        LOG_WARN("shared region '%s': the guest rang %u: %s (ignored; said once)", s->name, target,
                 why);
}

static void shared_region_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct shared_region *s = opaque;

    /* Registers are 32 bits wide: a narrower or misplaced write means nothing. */
    if (len != 4 || (offset & 3) != 0)
        return;
    uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                 (uint32_t)data[3] << 24;
    if (offset == SHARED_REGION_STATUS) {
        if (v & 1u) {
            atomic_store(&s->pending, false);
            set_line(s, false);
        }
        return;
    }
    if (offset != SHARED_REGION_DOORBELL)
        return;
    if (!s->cfg.doorbell)
        refuse_ring(s, v, "this region has no doorbells");
    else if (v == s->cfg.member)
        refuse_ring(s, v, "that is this VM itself");
    else if (v != SHARED_REGION_RING_ALL && v >= s->cfg.members)
        refuse_ring(s, v, "no such member");
    else if (s->cfg.ring != NULL)
        s->cfg.ring(s->cfg.ring_ctx, v);
}

/*
 * The memory of a read-only member: the port maps it readable only, so
 * only writes arrive here. They are dropped and reported, and the VM goes
 * on (docs/memory.md): a guest that writes what it may only read hurts
 * nobody else.
 */
static void readonly_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    (void)opaque;
    (void)offset;
    memset(data, 0xff, len);
}

static void readonly_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct shared_region *s = opaque;
    (void)data;
    if (atomic_fetch_add(&s->refused_writes, 1) == 0)
        LOG_WARN("shared region '%s': the guest wrote %u bytes at offset 0x%llx of memory it may "
                 "only read: refused (said once; counted)",
                 s->name, len, (unsigned long long)offset);
}

static const struct bus_device_ops readonly_ops = {
    .read = readonly_read,
    .write = readonly_write,
};

unsigned shared_region_refused_writes(const struct shared_region *s)
{
    return atomic_load(&s->refused_writes);
}

static const struct bus_device_ops shared_region_ops = {
    .read = shared_region_read,
    .write = shared_region_write,
};

int shared_region_register(struct shared_region *s, struct bus *bus)
{
    if (s == NULL || bus == NULL) {
        LOG_ERR("shared region: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    int r = bus_register(bus, s->cfg.regs, SHARED_REGION_REGS_SIZE, &shared_region_ops, s,
                         "shared-region");
    if (r == 0 && !s->cfg.writable)
        r = bus_register(bus, s->cfg.gpa, s->cfg.size, &readonly_ops, s, "shared-region-ro");
    return r;
}
