/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Register behaviour follows the GICv2 architecture specification (IHI 0048B)
 * as far as Linux's irq-gic driver depends on it; what is simplified is
 * said where it is done.
 */
#include "port/sel4/portable/vgic_v2.h"

#include <stddef.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define SGIR_FILTER_SHIFT 24
#define SGIR_FILTER_LIST 0u
#define SGIR_FILTER_OTHERS 1u
#define SGIR_FILTER_SELF 2u
#define SGIR_TARGETS_SHIFT 16
#define SGIR_INTID_MASK 0xfu

/* ICFGR: SGIs are always edge (0b10 per field); PPIs and SPIs default to level. */
#define ICFGR_SGI_VALUE 0xaaaaaaaau

static const uint8_t id_regs[12] = {
    /* 0xfd0..0xfdc: PIDR4..PIDR7 */ 0x04,
    0x00,
    0x00,
    0x00,
    /* 0xfe0..0xfec: PIDR0..PIDR3 (PIDR2 ArchRev 2 = GICv2) */ 0x90,
    0xb4,
    0x2b,
    0x00,
    /* 0xff0..0xffc: CIDR0..CIDR3 */ 0x0d,
    0xf0,
    0x05,
    0xb1,
};

static unsigned cpu_mask(const struct vgic *g)
{
    return (1u << g->cfg.vcpu_count) - 1u;
}

static struct vgic_irq *irq_of(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE)
        return vcpu < g->cfg.vcpu_count ? &g->vcpus[vcpu].priv[intid] : NULL;
    if (intid >= g->cfg.nr_irqs)
        return NULL;
    return &g->spi[intid - VGIC_NR_PRIVATE];
}

static bool is_pending(const struct vgic_irq *irq)
{
    return irq->latched || irq->sgi_sources != 0 || (!irq->edge && irq->line);
}

/*
 * The vCPU an SPI goes to: its owner if the VMM set one, else the
 * lowest-numbered target (no 1-of-N distribution).
 */
static bool spi_target(const struct vgic *g, const struct vgic_irq *irq, unsigned *vcpu)
{
    unsigned mask = irq->targets & cpu_mask(g);

    if (irq->owner != 0 && irq->owner <= g->cfg.vcpu_count) {
        *vcpu = irq->owner - 1u;
        return true;
    }

    for (unsigned i = 0; i < g->cfg.vcpu_count; i++) {
        if (mask & (1u << i)) {
            *vcpu = i;
            return true;
        }
    }
    return false;
}

static bool enqueue(struct vgic *g, unsigned vcpu, uint32_t intid, struct vgic_irq *irq)
{
    struct vgic_vcpu *v = &g->vcpus[vcpu];

    if (v->q_count == VGIC_QUEUE_LEN) {
        /* Cannot happen with fewer than VGIC_QUEUE_LEN sources per vCPU; say so if it does. */
        if (v->overflow_drops++ == 0)
            LOG_WARN("vGIC: vCPU %u overflow queue full, INTID %u waits for the next event", vcpu,
                     intid);
        return false;
    }
    v->queue[(v->q_head + v->q_count) % VGIC_QUEUE_LEN] = (uint16_t)intid;
    v->q_count++;
    v->queued_total++;
    irq->queued = true;
    return true;
}

static int free_lr(const struct vgic *g, unsigned vcpu)
{
    for (unsigned lr = 0; lr < g->cfg.nr_lrs; lr++) {
        if (!g->vcpus[vcpu].lr_used[lr])
            return (int)lr;
    }
    return -1;
}

/* Moves a deliverable interrupt into a list register, or into the queue when none is free. */
static void try_deliver(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    struct vgic_irq *irq = irq_of(g, vcpu, intid);

    if (irq == NULL || !(g->ctlr & GICD_CTLR_ENABLE) || !irq->enabled || !is_pending(irq) ||
        irq->in_lr || irq->queued)
        return;
    int lr = free_lr(g, vcpu);
    if (lr < 0) {
        enqueue(g, vcpu, intid, irq);
        return;
    }
    int r = g->cfg.ops.inject(g->cfg.ops.ctx, vcpu, (unsigned)lr, intid, irq->priority);
    if (r < 0) {
        LOG_ERR("vGIC: injecting INTID %u into list register %d of vCPU %u failed (%s)", intid, lr,
                vcpu, stdvmm_strerror(r));
        return; /* stays pending: the next event on this vCPU retries it */
    }
    g->vcpus[vcpu].lr_used[lr] = true;
    g->vcpus[vcpu].lr_intid[lr] = intid;
    irq->in_lr = true;
    /*
     * The list register now holds the pending state of edges and SGIs. The
     * LR carries no source CPU for SGIs here (seL4's injection takes none),
     * so all sources collapse into one delivery.
     */
    irq->latched = false;
    irq->sgi_sources = 0;
}

static void deliver_spi(struct vgic *g, uint32_t intid)
{
    struct vgic_irq *irq = irq_of(g, 0, intid);
    unsigned vcpu;

    if (irq != NULL && spi_target(g, irq, &vcpu))
        try_deliver(g, vcpu, intid);
}

static void deliver(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE)
        try_deliver(g, vcpu, intid);
    else
        deliver_spi(g, intid);
}

static void deliver_all(struct vgic *g)
{
    for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
        for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
            try_deliver(g, v, i);
    }
    for (uint32_t i = VGIC_NR_PRIVATE; i < g->cfg.nr_irqs; i++)
        deliver_spi(g, i);
}

static void drain_queue(struct vgic *g, unsigned vcpu)
{
    struct vgic_vcpu *v = &g->vcpus[vcpu];

    while (v->q_count != 0 && free_lr(g, vcpu) >= 0) {
        uint32_t intid = v->queue[v->q_head];
        v->q_head = (v->q_head + 1) % VGIC_QUEUE_LEN;
        v->q_count--;
        struct vgic_irq *irq = irq_of(g, vcpu, intid);
        if (irq == NULL)
            continue;
        irq->queued = false;
        /*
         * It may have been disabled, cleared or its line lowered while it
         * waited, and an SPI may have been retargeted: deliver() asks where
         * it goes now.
         */
        deliver(g, vcpu, intid);
    }
}

int vgic_init(struct vgic *g, const struct vgic_config *cfg)
{
    if (cfg->vcpu_count == 0 || cfg->vcpu_count > VGIC_MAX_VCPUS) {
        LOG_ERR("vGIC: %u vCPUs; a GICv2 serves 1 to %d", cfg->vcpu_count, VGIC_MAX_VCPUS);
        return -STDVMM_EINVAL;
    }
    if (cfg->nr_irqs <= VGIC_NR_PRIVATE || cfg->nr_irqs > VGIC_MAX_IRQS || cfg->nr_irqs % 32) {
        LOG_ERR("vGIC: %u interrupts; want a multiple of 32 from 64 to %d", cfg->nr_irqs,
                VGIC_MAX_IRQS);
        return -STDVMM_EINVAL;
    }
    if (cfg->nr_lrs == 0 || cfg->nr_lrs > VGIC_MAX_LRS) {
        LOG_ERR("vGIC: %u list registers; a GICv2 has 1 to %d", cfg->nr_lrs, VGIC_MAX_LRS);
        return -STDVMM_EINVAL;
    }
    if (cfg->ops.inject == NULL || cfg->ops.current_vcpu == NULL) {
        LOG_ERR("vGIC: the inject and current_vcpu callbacks are required");
        return -STDVMM_EINVAL;
    }
    memset(g, 0, sizeof(*g));
    stdvmm_lock_init(&g->lock);
    g->cfg = *cfg;
    for (unsigned v = 0; v < cfg->vcpu_count; v++) {
        for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++) {
            g->vcpus[v].priv[i].edge = i < VGIC_NR_SGI;
            g->vcpus[v].priv[i].enabled = i < VGIC_NR_SGI; /* SGI enables are RAO/WI */
        }
    }
    return 0;
}

static unsigned current_vcpu(struct vgic *g)
{
    unsigned v = g->cfg.ops.current_vcpu(g->cfg.ops.ctx);
    return v < g->cfg.vcpu_count ? v : 0;
}

/* One bit per interrupt: IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER. */
static uint32_t read_bits(struct vgic *g, unsigned vcpu, uint32_t reg_base, uint64_t offset)
{
    uint32_t first = (uint32_t)(offset - reg_base) / 4 * 32;
    uint32_t value = 0;

    for (uint32_t i = 0; i < 32; i++) {
        const struct vgic_irq *irq = irq_of(g, vcpu, first + i);
        if (irq == NULL)
            break;
        bool bit = false;
        switch (reg_base) {
        case GICD_ISENABLER:
        case GICD_ICENABLER:
            bit = irq->enabled;
            break;
        case GICD_ISPENDR:
        case GICD_ICPENDR:
            bit = is_pending(irq) || irq->in_lr;
            break;
        default:
            /*
             * IGROUPR and the active bits read as zero: the active state lives
             * in list registers we cannot read back, and Linux's
             * synchronize_irq() would wait forever on a stale "active".
             */
            break;
        }
        value |= (uint32_t)bit << i;
    }
    return value;
}

static void write_bits(struct vgic *g, unsigned vcpu, uint32_t reg_base, uint64_t offset,
                       uint32_t value)
{
    uint32_t first = (uint32_t)(offset - reg_base) / 4 * 32;

    for (uint32_t i = 0; i < 32; i++) {
        uint32_t intid = first + i;
        struct vgic_irq *irq = irq_of(g, vcpu, intid);
        if (irq == NULL)
            break;
        if (!(value & (1u << i)))
            continue;
        switch (reg_base) {
        case GICD_ISENABLER:
            if (intid >= VGIC_NR_SGI) {
                irq->enabled = true;
                deliver(g, vcpu, intid);
            }
            break;
        case GICD_ICENABLER:
            if (intid >= VGIC_NR_SGI)
                irq->enabled = false;
            break;
        case GICD_ISPENDR:
            if (intid >= VGIC_NR_SGI) { /* SGIs are set through SGIR / SPENDSGIR */
                irq->latched = true;
                deliver(g, vcpu, intid);
            }
            break;
        case GICD_ICPENDR:
            /* A level interrupt whose line is high stays pending, as on hardware. */
            if (intid >= VGIC_NR_SGI)
                irq->latched = false;
            break;
        default:
            break; /* IGROUPR, IS/ICACTIVER: write-ignored (see read_bits) */
        }
    }
}

/* Byte-wide fields: IPRIORITYR and ITARGETSR. */
static uint8_t read_byte_field(struct vgic *g, unsigned vcpu, uint32_t reg_base, uint32_t intid)
{
    const struct vgic_irq *irq = irq_of(g, vcpu, intid);

    if (irq == NULL)
        return 0;
    if (reg_base == GICD_IPRIORITYR)
        return irq->priority;
    /* Private interrupts target the reading CPU only (read-only). */
    if (intid < VGIC_NR_PRIVATE)
        return (uint8_t)(1u << vcpu);
    return irq->targets;
}

static void write_byte_field(struct vgic *g, unsigned vcpu, uint32_t reg_base, uint32_t intid,
                             uint8_t value)
{
    struct vgic_irq *irq = irq_of(g, vcpu, intid);

    if (irq == NULL)
        return;
    if (reg_base == GICD_IPRIORITYR) {
        irq->priority = value;
        return;
    }
    if (intid < VGIC_NR_PRIVATE)
        return;
    irq->targets = (uint8_t)(value & cpu_mask(g));
    deliver_spi(g, intid);
}

static uint32_t read_icfgr(struct vgic *g, unsigned vcpu, uint64_t offset)
{
    uint32_t first = (uint32_t)(offset - GICD_ICFGR) / 4 * 16;
    uint32_t value = 0;

    if (first == 0)
        return ICFGR_SGI_VALUE;
    for (uint32_t i = 0; i < 16; i++) {
        const struct vgic_irq *irq = irq_of(g, vcpu, first + i);
        if (irq == NULL)
            break;
        if (irq->edge)
            value |= 2u << (i * 2);
    }
    return value;
}

static void write_icfgr(struct vgic *g, unsigned vcpu, uint64_t offset, uint32_t value)
{
    uint32_t first = (uint32_t)(offset - GICD_ICFGR) / 4 * 16;

    /* SGIs are fixed; PPIs are fixed too (the timer is level), as on GIC-400. */
    if (first < VGIC_NR_PRIVATE)
        return;
    for (uint32_t i = 0; i < 16; i++) {
        struct vgic_irq *irq = irq_of(g, vcpu, first + i);
        if (irq == NULL)
            break;
        irq->edge = (value >> (i * 2 + 1)) & 1u;
    }
}

static void write_sgir(struct vgic *g, unsigned self, uint32_t value)
{
    uint32_t intid = value & SGIR_INTID_MASK;
    unsigned filter = (value >> SGIR_FILTER_SHIFT) & 3u;
    unsigned targets;

    switch (filter) {
    case SGIR_FILTER_LIST:
        targets = (value >> SGIR_TARGETS_SHIFT) & 0xffu;
        break;
    case SGIR_FILTER_OTHERS:
        targets = ~(1u << self);
        break;
    case SGIR_FILTER_SELF:
        targets = 1u << self;
        break;
    default:
        return; /* reserved filter: the architecture says nothing is sent */
    }
    targets &= cpu_mask(g);
    for (unsigned v = 0; v < g->cfg.vcpu_count; v++) {
        if (!(targets & (1u << v)))
            continue;
        g->vcpus[v].priv[intid].sgi_sources |= (uint8_t)(1u << self);
        try_deliver(g, v, intid);
    }
}

/* CPENDSGIR / SPENDSGIR: one byte per SGI, one bit per source CPU. */
static void write_sgi_pending(struct vgic *g, unsigned vcpu, uint32_t sgi, uint8_t sources,
                              bool set)
{
    struct vgic_irq *irq = &g->vcpus[vcpu].priv[sgi];

    sources &= (uint8_t)cpu_mask(g);
    if (set) {
        irq->sgi_sources |= sources;
        try_deliver(g, vcpu, sgi);
    } else {
        irq->sgi_sources &= (uint8_t)~sources;
    }
}

static bool in(uint64_t offset, uint32_t base, uint32_t size)
{
    return offset >= base && offset < (uint64_t)base + size;
}

static bool byte_array_reg(uint64_t offset)
{
    return in(offset, GICD_IPRIORITYR, 0x400) || in(offset, GICD_ITARGETSR, 0x400) ||
           in(offset, GICD_CPENDSGIR, 0x20);
}

static void warn_access(struct vgic *g, const char *what, uint64_t offset, uint32_t len)
{
    if (!g->warned_access) {
        g->warned_access = true;
        LOG_WARN("vGIC: %s of %u bytes at GICD+0x%llx ignored (reads as zero; further such "
                 "accesses are not reported)",
                 what, len, (unsigned long long)offset);
    }
}

static uint8_t read_byte(struct vgic *g, unsigned vcpu, uint64_t offset)
{
    if (in(offset, GICD_IPRIORITYR, 0x400))
        return read_byte_field(g, vcpu, GICD_IPRIORITYR, (uint32_t)(offset - GICD_IPRIORITYR));
    if (in(offset, GICD_ITARGETSR, 0x400))
        return read_byte_field(g, vcpu, GICD_ITARGETSR, (uint32_t)(offset - GICD_ITARGETSR));
    /* CPENDSGIR and SPENDSGIR both read the pending sources. */
    uint32_t sgi = (uint32_t)(offset - GICD_CPENDSGIR) % 0x10;
    return g->vcpus[vcpu].priv[sgi].sgi_sources;
}

static void write_byte(struct vgic *g, unsigned vcpu, uint64_t offset, uint8_t value)
{
    if (in(offset, GICD_IPRIORITYR, 0x400))
        write_byte_field(g, vcpu, GICD_IPRIORITYR, (uint32_t)(offset - GICD_IPRIORITYR), value);
    else if (in(offset, GICD_ITARGETSR, 0x400))
        write_byte_field(g, vcpu, GICD_ITARGETSR, (uint32_t)(offset - GICD_ITARGETSR), value);
    else if (in(offset, GICD_CPENDSGIR, 0x10))
        write_sgi_pending(g, vcpu, (uint32_t)(offset - GICD_CPENDSGIR), value, false);
    else
        write_sgi_pending(g, vcpu, (uint32_t)(offset - GICD_SPENDSGIR), value, true);
}

static uint32_t read_word(struct vgic *g, unsigned vcpu, uint64_t offset)
{
    if (offset == GICD_CTLR)
        return g->ctlr;
    if (offset == GICD_TYPER)
        return (g->cfg.nr_irqs / 32 - 1) | ((g->cfg.vcpu_count - 1) << 5);
    if (offset == GICD_IIDR)
        return GICD_IIDR_VALUE;
    if (in(offset, GICD_IGROUPR, 0x80))
        return read_bits(g, vcpu, GICD_IGROUPR, offset);
    if (in(offset, GICD_ISENABLER, 0x80))
        return read_bits(g, vcpu, GICD_ISENABLER, offset);
    if (in(offset, GICD_ICENABLER, 0x80))
        return read_bits(g, vcpu, GICD_ICENABLER, offset);
    if (in(offset, GICD_ISPENDR, 0x80))
        return read_bits(g, vcpu, GICD_ISPENDR, offset);
    if (in(offset, GICD_ICPENDR, 0x80))
        return read_bits(g, vcpu, GICD_ICPENDR, offset);
    if (in(offset, GICD_ISACTIVER, 0x100))
        return 0;
    if (in(offset, GICD_ICFGR, 0x100))
        return read_icfgr(g, vcpu, offset);
    if (byte_array_reg(offset)) {
        uint32_t v = 0;
        for (unsigned i = 0; i < 4; i++)
            v |= (uint32_t)read_byte(g, vcpu, offset + i) << (i * 8);
        return v;
    }
    if (in(offset, GICD_PIDR4, 0x30))
        return id_regs[(offset - GICD_PIDR4) / 4];
    return 0; /* NSACR, SGIR (write-only) and reserved space read as zero */
}

static void write_word(struct vgic *g, unsigned vcpu, uint64_t offset, uint32_t value)
{
    if (offset == GICD_CTLR) {
        g->ctlr = value & GICD_CTLR_ENABLE;
        deliver_all(g);
    } else if (in(offset, GICD_IGROUPR, 0x80)) {
        write_bits(g, vcpu, GICD_IGROUPR, offset, value);
    } else if (in(offset, GICD_ISENABLER, 0x80)) {
        write_bits(g, vcpu, GICD_ISENABLER, offset, value);
    } else if (in(offset, GICD_ICENABLER, 0x80)) {
        write_bits(g, vcpu, GICD_ICENABLER, offset, value);
    } else if (in(offset, GICD_ISPENDR, 0x80)) {
        write_bits(g, vcpu, GICD_ISPENDR, offset, value);
    } else if (in(offset, GICD_ICPENDR, 0x80)) {
        write_bits(g, vcpu, GICD_ICPENDR, offset, value);
    } else if (in(offset, GICD_ICFGR, 0x100)) {
        write_icfgr(g, vcpu, offset, value);
    } else if (offset == GICD_SGIR) {
        write_sgir(g, vcpu, value);
    } else if (byte_array_reg(offset)) {
        for (unsigned i = 0; i < 4; i++)
            write_byte(g, vcpu, offset + i, (uint8_t)(value >> (i * 8)));
    }
    /* Everything else (TYPER, IIDR, active bits, NSACR, IDs) ignores writes. */
}

void vgic_dist_read(struct vgic *g, uint64_t offset, uint8_t *data, uint32_t len)
{
    uint32_t value = 0;

    stdvmm_lock(&g->lock);
    unsigned vcpu = current_vcpu(g);
    if (offset >= VGIC_DIST_SIZE || offset + len > VGIC_DIST_SIZE) {
        warn_access(g, "read beyond the distributor", offset, len);
    } else if (len == 4 && offset % 4 == 0) {
        value = read_word(g, vcpu, offset);
    } else if (len == 1 && byte_array_reg(offset)) {
        value = read_byte(g, vcpu, offset);
    } else {
        warn_access(g, "read of unsupported width", offset, len);
    }
    stdvmm_unlock(&g->lock);
    for (uint32_t i = 0; i < len; i++)
        data[i] = i < 4 ? (uint8_t)(value >> (i * 8)) : 0;
}

void vgic_dist_write(struct vgic *g, uint64_t offset, const uint8_t *data, uint32_t len)
{
    uint32_t value = 0;

    for (uint32_t i = 0; i < len && i < 4; i++)
        value |= (uint32_t)data[i] << (i * 8);
    stdvmm_lock(&g->lock);
    unsigned vcpu = current_vcpu(g);
    if (offset >= VGIC_DIST_SIZE || offset + len > VGIC_DIST_SIZE)
        warn_access(g, "write beyond the distributor", offset, len);
    else if (len == 4 && offset % 4 == 0)
        write_word(g, vcpu, offset, value);
    else if (len == 1 && byte_array_reg(offset))
        write_byte(g, vcpu, offset, (uint8_t)value);
    else
        warn_access(g, "write of unsupported width", offset, len);
    stdvmm_unlock(&g->lock);
}

static void dist_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    vgic_dist_read(opaque, offset, data, len);
}

static void dist_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    vgic_dist_write(opaque, offset, data, len);
}

static const struct bus_device_ops dist_ops = {.read = dist_bus_read, .write = dist_bus_write};

int vgic_register(struct vgic *g, struct bus *mmio, uint64_t base)
{
    return bus_register(mmio, base, VGIC_DIST_SIZE, &dist_ops, g, "gicv2-distributor");
}

int vgic_set_spi_line(struct vgic *g, uint32_t intid, bool level)
{
    if (intid < VGIC_NR_PRIVATE || intid >= g->cfg.nr_irqs) {
        LOG_ERR("vGIC: device line INTID %u is not an SPI of this distributor (32..%u)", intid,
                g->cfg.nr_irqs - 1);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&g->lock);
    struct vgic_irq *irq = &g->spi[intid - VGIC_NR_PRIVATE];
    bool rising = level && !irq->line;
    irq->line = level;
    /* An edge-configured SPI latches the rising edge; a level one follows the line. */
    if (rising && irq->edge)
        irq->latched = true;
    if (level)
        deliver_spi(g, intid);
    stdvmm_unlock(&g->lock);
    return 0;
}

static bool is_spi(const struct vgic *g, uint32_t intid)
{
    return intid >= VGIC_NR_PRIVATE && intid < g->cfg.nr_irqs;
}

int vgic_set_spi_owner(struct vgic *g, uint32_t intid, int vcpu)
{
    if (!is_spi(g, intid) || vcpu >= (int)g->cfg.vcpu_count) {
        LOG_ERR("vGIC: cannot give INTID %u to vCPU %d: not an SPI (32..%u) or not a vCPU (0..%u)",
                intid, vcpu, g->cfg.nr_irqs - 1, g->cfg.vcpu_count - 1);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&g->lock);
    g->spi[intid - VGIC_NR_PRIVATE].owner = vcpu < 0 ? 0 : (uint8_t)(vcpu + 1);
    /* A pending SPI that no target could take so far may have one now. */
    deliver_spi(g, intid);
    stdvmm_unlock(&g->lock);
    return 0;
}

int vgic_spi_target(struct vgic *g, uint32_t intid, unsigned *vcpu)
{
    if (!is_spi(g, intid))
        return -STDVMM_EINVAL;
    stdvmm_lock(&g->lock);
    bool ok = spi_target(g, &g->spi[intid - VGIC_NR_PRIVATE], vcpu);
    stdvmm_unlock(&g->lock);
    return ok ? 0 : -STDVMM_ENOENT;
}

int vgic_ppi_event(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (vcpu >= g->cfg.vcpu_count || intid < VGIC_NR_SGI || intid >= VGIC_NR_PRIVATE) {
        LOG_ERR("vGIC: PPI event for INTID %u on vCPU %u: not a PPI of a vCPU of this VM", intid,
                vcpu);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&g->lock);
    struct vgic_irq *irq = &g->vcpus[vcpu].priv[intid];
    irq->hw = true;
    irq->latched = true;
    try_deliver(g, vcpu, intid);
    stdvmm_unlock(&g->lock);
    return 0;
}

int vgic_hw_spi_event(struct vgic *g, uint32_t intid)
{
    if (!is_spi(g, intid)) {
        LOG_ERR("vGIC: hardware interrupt for INTID %u: not an SPI of this distributor (32..%u)",
                intid, g->cfg.nr_irqs - 1);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&g->lock);
    struct vgic_irq *irq = &g->spi[intid - VGIC_NR_PRIVATE];
    irq->hw = true;
    irq->latched = true;
    deliver_spi(g, intid);
    stdvmm_unlock(&g->lock);
    return 0;
}

int vgic_maintenance(struct vgic *g, unsigned vcpu, unsigned lr)
{
    if (vcpu >= g->cfg.vcpu_count || lr >= g->cfg.nr_lrs) {
        LOG_ERR("vGIC: maintenance for list register %u of vCPU %u: no such register", lr, vcpu);
        return -STDVMM_EINVAL;
    }
    stdvmm_lock(&g->lock);
    struct vgic_vcpu *v = &g->vcpus[vcpu];
    uint32_t intid = VGIC_SPURIOUS;
    if (v->lr_used[lr]) {
        intid = v->lr_intid[lr];
        v->lr_used[lr] = false;
        struct vgic_irq *irq = irq_of(g, vcpu, intid);
        if (irq != NULL) {
            irq->in_lr = false;
            if (irq->hw && g->cfg.ops.ack_hw != NULL)
                g->cfg.ops.ack_hw(g->cfg.ops.ctx, vcpu, intid);
        }
    }
    /* Queued interrupts first: they have waited longer than a re-raised level line. */
    drain_queue(g, vcpu);
    if (intid != VGIC_SPURIOUS)
        deliver(g, vcpu, intid);
    stdvmm_unlock(&g->lock);
    return 0;
}

unsigned vgic_lrs_in_use(struct vgic *g, unsigned vcpu)
{
    unsigned n = 0;

    if (vcpu >= g->cfg.vcpu_count)
        return 0;
    stdvmm_lock(&g->lock);
    for (unsigned lr = 0; lr < g->cfg.nr_lrs; lr++)
        n += g->vcpus[vcpu].lr_used[lr];
    stdvmm_unlock(&g->lock);
    return n;
}

unsigned vgic_queued(struct vgic *g, unsigned vcpu)
{
    if (vcpu >= g->cfg.vcpu_count)
        return 0;
    stdvmm_lock(&g->lock);
    unsigned n = g->vcpus[vcpu].q_count;
    stdvmm_unlock(&g->lock);
    return n;
}
