/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GICv2 distributor of the seL4 VMM: Linux's irq-gic init sequence,
 * list-register injection, the overflow queue, level re-raise after EOI,
 * the virtual timer's acknowledgement, banked registers, SGIs, and hostile
 * offsets and widths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/sel4/portable/vgic_v2.h"
#include "stdvmm/error.h"

#define LRS 4
#define UART 33 /* SPI 1 */
#define VTIMER 27
#define MAXV 8 /* GICv2's bound: target lists are one byte */

struct hw {
    unsigned current;
    int injects;
    unsigned last_vcpu, last_lr;
    uint32_t last_intid;
    uint32_t lr[MAXV][LRS]; /* what each list register holds, 0 = free */
    int per_vcpu[MAXV];     /* injections into each vCPU */
    int acks;
    uint32_t acked;
    unsigned acked_vcpu;
    int fail_inject;
};

static struct hw hw;
static struct vgic g;

static int inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t prio)
{
    struct hw *h = ctx;
    (void)prio;
    if (h->fail_inject)
        return -STDVMM_EIO;
    assert_true(lr < LRS);
    assert_int_equal(h->lr[vcpu][lr], 0); /* never into a busy list register */
    h->lr[vcpu][lr] = intid;
    h->injects++;
    h->per_vcpu[vcpu]++;
    h->last_vcpu = vcpu;
    h->last_lr = lr;
    h->last_intid = intid;
    return 0;
}

static void ack_hw(void *ctx, unsigned vcpu, uint32_t intid)
{
    struct hw *h = ctx;
    h->acks++;
    h->acked = intid;
    h->acked_vcpu = vcpu;
}

static unsigned current(void *ctx)
{
    return ((struct hw *)ctx)->current;
}

static uint32_t rd(uint64_t off)
{
    uint8_t b[4];
    vgic_dist_read(&g, off, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    vgic_dist_write(&g, off, b, 4);
}

static void wr8(uint64_t off, uint8_t v)
{
    vgic_dist_write(&g, off, &v, 1);
}

/* The guest ends the interrupt in list register lr: the hypervisor reports maintenance. */
static void eoi(unsigned vcpu, unsigned lr)
{
    hw.lr[vcpu][lr] = 0;
    assert_int_equal(vgic_maintenance(&g, vcpu, lr), 0);
}

static int setup_n(unsigned vcpus)
{
    memset(&hw, 0, sizeof(hw));
    struct vgic_config cfg = {
        .vcpu_count = vcpus,
        .nr_irqs = 128,
        .nr_lrs = LRS,
        .ops = {.ctx = &hw, .inject = inject, .ack_hw = ack_hw, .current_vcpu = current}};
    return vgic_init(&g, &cfg);
}

static int setup(void **state)
{
    (void)state;
    return setup_n(1);
}

static int setup2(void **state)
{
    (void)state;
    return setup_n(2);
}

static int setup4(void **state)
{
    (void)state;
    return setup_n(4);
}

static int setup8(void **state)
{
    (void)state;
    return setup_n(MAXV);
}

/* The list register of vCPU v that holds intid, or -1. */
static int lr_of(unsigned v, uint32_t intid)
{
    for (int lr = 0; lr < LRS; lr++) {
        if (hw.lr[v][lr] == intid)
            return lr;
    }
    return -1;
}

/* What Linux's gic_dist_init() and gic_cpu_init() do, in order. */
static void linux_init(unsigned vcpus)
{
    wr(GICD_CTLR, 0);
    uint32_t typer = rd(GICD_TYPER);
    unsigned lines = ((typer & 0x1f) + 1) * 32;
    for (unsigned i = 32; i < lines; i += 16)
        wr(GICD_ICFGR + i / 4, 0);
    for (unsigned i = 32; i < lines; i += 4)
        wr(GICD_ITARGETSR + i, 0x01010101);
    for (unsigned i = 32; i < lines; i += 4)
        wr(GICD_IPRIORITYR + i, 0xa0a0a0a0);
    for (unsigned i = 32; i < lines; i += 32) {
        wr(GICD_ICACTIVER + i / 8, 0xffffffff);
        wr(GICD_ICENABLER + i / 8, 0xffffffff);
    }
    for (unsigned v = 0; v < vcpus; v++) {
        hw.current = v;
        wr(GICD_ICACTIVER, 0xffffffff);
        wr(GICD_ICENABLER, 0xffff0000);
        wr(GICD_ISENABLER, 0x0000ffff);
        for (unsigned i = 0; i < 32; i += 4)
            wr(GICD_IPRIORITYR + i, 0xa0a0a0a0);
    }
    hw.current = 0;
    wr(GICD_CTLR, GICD_CTLR_ENABLE);
}

static void identification(void **state)
{
    (void)state;
    assert_int_equal(rd(GICD_TYPER), 3); /* 128 interrupts, 1 CPU */
    assert_int_equal(rd(GICD_IIDR), GICD_IIDR_VALUE);
    assert_int_equal(rd(GICD_PIDR2) & 0xf0, 0x20); /* ArchRev 2 */
    assert_int_equal(rd(GICD_CIDR0), 0x0d);
    assert_int_equal(rd(GICD_ICFGR), 0xaaaaaaaa); /* SGIs are edge */
    assert_int_equal(rd(GICD_ISENABLER) & 0xffff, 0xffff);
}

static void level_irq_through_lr(void **state)
{
    (void)state;
    linux_init(1);
    /* Disabled: the line rises, nothing is injected. */
    assert_int_equal(vgic_set_spi_line(&g, UART, true), 0);
    assert_int_equal(hw.injects, 0);
    assert_int_equal(rd(GICD_ISPENDR + 4) & 2, 2); /* visible as pending */
    /* Enabling it delivers it. */
    wr(GICD_ISENABLER + 4, 1u << (UART - 32));
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_intid, UART);
    assert_int_equal(vgic_lrs_in_use(&g, 0), 1);
    /* The line stays high through the EOI: it is raised again. */
    eoi(0, hw.last_lr);
    assert_int_equal(hw.injects, 2);
    /* The driver drains the FIFO, the line drops, the EOI frees the LR for good. */
    vgic_set_spi_line(&g, UART, false);
    eoi(0, hw.last_lr);
    assert_int_equal(hw.injects, 2);
    assert_int_equal(vgic_lrs_in_use(&g, 0), 0);
}

static void distributor_disabled_holds_interrupts(void **state)
{
    (void)state;
    linux_init(1);
    wr(GICD_ISENABLER + 4, 1u << (UART - 32));
    wr(GICD_CTLR, 0);
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(hw.injects, 0);
    wr(GICD_CTLR, GICD_CTLR_ENABLE);
    assert_int_equal(hw.injects, 1);
}

static void overflow_queue(void **state)
{
    (void)state;
    linux_init(1);
    wr(GICD_ISENABLER + 4, 0xffffffff);
    /* Six lines, four list registers: two wait in the queue. */
    for (uint32_t i = 0; i < 6; i++)
        vgic_set_spi_line(&g, 40 + i, true);
    assert_int_equal(hw.injects, LRS);
    assert_int_equal(vgic_queued(&g, 0), 2);
    /* Each EOI moves the oldest waiting interrupt into the freed register. */
    vgic_set_spi_line(&g, 40, false);
    eoi(0, 0);
    assert_int_equal(hw.injects, LRS + 1);
    assert_int_equal(hw.last_intid, 44);
    assert_int_equal(hw.last_lr, 0);
    assert_int_equal(vgic_queued(&g, 0), 1);
    /* A queued interrupt whose line dropped meanwhile is not injected. */
    vgic_set_spi_line(&g, 45, false);
    vgic_set_spi_line(&g, 41, false);
    eoi(0, 1);
    assert_int_equal(hw.injects, LRS + 1);
    assert_int_equal(vgic_queued(&g, 0), 0);
    assert_int_equal(vgic_lrs_in_use(&g, 0), LRS - 1);
}

static void vtimer_ppi(void **state)
{
    (void)state;
    linux_init(1);
    /* The timer PPI fires before the guest enabled it: held, not acknowledged. */
    assert_int_equal(vgic_ppi_event(&g, 0, VTIMER), 0);
    assert_int_equal(hw.injects, 0);
    wr(GICD_ISENABLER, 1u << VTIMER);
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_intid, VTIMER);
    assert_int_equal(hw.acks, 0);
    /* Its EOI unmasks the source: seL4_ARM_VCPU_AckVPPI. */
    eoi(0, hw.last_lr);
    assert_int_equal(hw.acks, 1);
    assert_int_equal(hw.acked, VTIMER);
    assert_int_equal(hw.injects, 1); /* no line to re-raise it: the next event will */
    assert_int_equal(vgic_ppi_event(&g, 0, VTIMER), 0);
    assert_int_equal(hw.injects, 2);
}

/*
 * A passed-through device's SPI (INTID 96): latched on arrival even with the
 * line configured level, delivered once enabled, and its source acknowledged
 * only at the guest's EOI, never before (the physical interrupt stays masked
 * at seL4 until then, so an early acknowledgement would storm).
 */
static void passthrough_spi(void **state)
{
    (void)state;
    linux_init(1);
    assert_int_equal(vgic_hw_spi_event(&g, 96), 0);
    assert_int_equal(hw.injects, 0); /* not enabled yet: held */
    wr(GICD_ISENABLER + 12, 1u); /* INTIDs 96-127 */
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_intid, 96);
    assert_int_equal(hw.acks, 0);
    eoi(0, hw.last_lr);
    assert_int_equal(hw.acks, 1);
    assert_int_equal(hw.acked, 96);
    assert_int_equal(hw.injects, 1); /* latched, not a line: nothing re-raised */
    /* The next arrival is delivered at once, and acknowledged at its EOI again. */
    assert_int_equal(vgic_hw_spi_event(&g, 96), 0);
    assert_int_equal(hw.injects, 2);
    eoi(0, hw.last_lr);
    assert_int_equal(hw.acks, 2);
    /* Not an SPI of this distributor: refused, nothing acknowledged. */
    assert_int_equal(vgic_hw_spi_event(&g, 27), -STDVMM_EINVAL);
    assert_int_equal(vgic_hw_spi_event(&g, 128), -STDVMM_EINVAL);
    assert_int_equal(hw.acks, 2);
}

static void priorities_and_targets(void **state)
{
    (void)state;
    wr8(GICD_IPRIORITYR + UART, 0x80);
    assert_int_equal(rd(GICD_IPRIORITYR + 32) & 0xff00, 0x8000);
    uint8_t b;
    vgic_dist_read(&g, GICD_IPRIORITYR + UART, &b, 1);
    assert_int_equal(b, 0x80);
    /* Private interrupts target the reader; SPI targets keep only existing CPUs. */
    assert_int_equal(rd(GICD_ITARGETSR), 0x01010101);
    wr(GICD_ITARGETSR + 32, 0xffffffff);
    assert_int_equal(rd(GICD_ITARGETSR + 32), 0x01010101);
    wr(GICD_ICFGR + 8, 0x2); /* INTID 32 edge */
    assert_int_equal(rd(GICD_ICFGR + 8), 0x2);
    wr(GICD_ICFGR + 4, 0xffffffff); /* PPIs are fixed */
    assert_int_equal(rd(GICD_ICFGR + 4), 0);
}

static void edge_spi_latches(void **state)
{
    (void)state;
    linux_init(1);
    wr(GICD_ICFGR + 8, 0x2); /* INTID 32 edge */
    vgic_set_spi_line(&g, 32, true);
    vgic_set_spi_line(&g, 32, false);
    assert_int_equal(hw.injects, 0);
    wr(GICD_ISENABLER + 4, 1);
    assert_int_equal(hw.injects, 1); /* the edge was latched */
    eoi(0, hw.last_lr);
    assert_int_equal(hw.injects, 1);
    /* ISPENDR sets it pending by software; ICPENDR clears that. */
    wr(GICD_ICENABLER + 4, 1);
    wr(GICD_ISPENDR + 4, 1);
    assert_int_equal(rd(GICD_ISPENDR + 4) & 1, 1);
    wr(GICD_ICPENDR + 4, 1);
    assert_int_equal(rd(GICD_ISPENDR + 4) & 1, 0);
}

/*
 * Interrupt ownership: an SPI the VMM gives to vCPU 1 is injected there
 * although the guest's ITARGETSR names CPU 0; the guest still reads its own
 * routing back; giving ownership back lets ITARGETSR decide again.
 */
static void spi_owner_overrides_targets(void **state)
{
    unsigned target = 99;
    (void)state;
    linux_init(2);
    wr(GICD_ISENABLER + 4, 1u << (UART - 32));
    assert_int_equal(vgic_spi_target(&g, UART, &target), 0);
    assert_int_equal(target, 0);

    assert_int_equal(vgic_set_spi_owner(&g, UART, 1), 0);
    assert_int_equal(vgic_spi_target(&g, UART, &target), 0);
    assert_int_equal(target, 1);
    wr8(GICD_ITARGETSR + UART, 0x01); /* the guest insists on CPU 0 */
    assert_int_equal(rd(GICD_ITARGETSR + 32) >> 8 & 0xff, 0x01);
    assert_int_equal(vgic_set_spi_line(&g, UART, true), 0);
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_vcpu, 1);
    assert_int_equal(hw.last_intid, UART);
    vgic_set_spi_line(&g, UART, false);
    eoi(1, hw.last_lr);

    assert_int_equal(vgic_set_spi_owner(&g, UART, -1), 0);
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(hw.injects, 2);
    assert_int_equal(hw.last_vcpu, 0);

    /* Not an SPI, or not a vCPU of this VM: refused, nothing changes. */
    assert_int_equal(vgic_set_spi_owner(&g, VTIMER, 1), -STDVMM_EINVAL);
    assert_int_equal(vgic_set_spi_owner(&g, UART, 2), -STDVMM_EINVAL);
    assert_int_equal(vgic_set_spi_owner(&g, 128, 0), -STDVMM_EINVAL);
    assert_int_equal(vgic_spi_target(&g, 128, &target), -STDVMM_EINVAL);
    assert_int_equal(vgic_spi_target(&g, UART, &target), 0);
    assert_int_equal(target, 0);
}

static void sgis_between_vcpus(void **state)
{
    (void)state;
    linux_init(2);
    assert_int_equal(rd(GICD_TYPER) >> 5 & 7, 1); /* two CPUs */
    hw.current = 1;
    assert_int_equal(rd(GICD_ITARGETSR), 0x02020202); /* banked: CPU 1 reads its own bit */
    /* CPU 1 sends SGI 3 to CPU 0 by target list. */
    wr(GICD_SGIR, (1u << 16) | 3);
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_vcpu, 0);
    assert_int_equal(hw.last_intid, 3);
    /* "All but self" from CPU 0 reaches CPU 1. */
    hw.current = 0;
    wr(GICD_SGIR, (1u << 24) | 5);
    assert_int_equal(hw.last_vcpu, 1);
    assert_int_equal(hw.last_intid, 5);
    /* Banked enables: CPU 1 enabling PPI 27 does not enable CPU 0's. */
    hw.current = 1;
    wr(GICD_ISENABLER, 1u << VTIMER);
    hw.current = 0;
    assert_int_equal(rd(GICD_ISENABLER) & (1u << VTIMER), 0);
    /* SPENDSGIR from the guest, reserved SGIR filter ignored. */
    wr8(GICD_SPENDSGIR + 2, 0x2);
    assert_int_equal(hw.last_intid, 2);
    int before = hw.injects;
    wr(GICD_SGIR, (3u << 24) | 1);
    assert_int_equal(hw.injects, before);
}

/*
 * Eight vCPUs (the bound): SGIs fan out to exactly the vCPUs the filter
 * names, each vCPU sees its own banked registers, and what is pending is
 * pending per vCPU.
 */
static void sgi_fanout_eight(void **state)
{
    (void)state;
    linux_init(MAXV);
    assert_int_equal(rd(GICD_TYPER) >> 5 & 7, MAXV - 1);
    for (unsigned v = 0; v < MAXV; v++) {
        hw.current = v;
        assert_int_equal(rd(GICD_ITARGETSR + 24), (1u << v) * 0x01010101u);
    }
    /* CPU 0 to the list 0xfe: SGI 1 once into each of vCPUs 1-7. */
    hw.current = 0;
    wr(GICD_SGIR, (0xfeu << 16) | 1);
    assert_int_equal(hw.per_vcpu[0], 0);
    for (unsigned v = 1; v < MAXV; v++) {
        assert_int_equal(hw.per_vcpu[v], 1);
        assert_true(lr_of(v, 1) >= 0);
    }
    /* CPU 3, "all but self": SGI 2 everywhere except vCPU 3. */
    hw.current = 3;
    wr(GICD_SGIR, (1u << 24) | 2);
    for (unsigned v = 0; v < MAXV; v++)
        assert_int_equal(lr_of(v, 2) >= 0, v != 3);
    /* CPU 5, "self": SGI 4 into vCPU 5 only. */
    hw.current = 5;
    int before = hw.injects;
    wr(GICD_SGIR, (2u << 24) | 4);
    assert_int_equal(hw.injects, before + 1);
    assert_int_equal(hw.last_vcpu, 5);
    /* ISPENDR is banked: SGI 4 pending for CPU 5, not for CPU 4. */
    assert_int_equal(rd(GICD_ISPENDR) >> 4 & 1, 1);
    hw.current = 4;
    assert_int_equal(rd(GICD_ISPENDR) >> 4 & 1, 0);
    assert_int_equal(rd(GICD_ISPENDR) >> 2 & 1, 1); /* but SGI 2 from CPU 3 is */
    /* An EOI on vCPU 6 frees vCPU 6's register only. */
    eoi(6, (unsigned)lr_of(6, 1));
    assert_int_equal(lr_of(6, 1), -1);
    assert_true(lr_of(7, 1) >= 0);
}

/*
 * SPI targets with eight vCPUs: ITARGETSR picks the vCPU (the lowest of
 * several), bits of CPUs the VM lacks read back as zero, and an interrupt
 * with no target stays pending until it gets one.
 */
static void spi_targets_eight(void **state)
{
    (void)state;
    linux_init(MAXV);
    wr(GICD_ISENABLER + 4, 1u << (UART - 32));
    wr8(GICD_ITARGETSR + UART, 0x80);
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(hw.last_vcpu, 7);
    vgic_set_spi_line(&g, UART, false);
    eoi(7, hw.last_lr);
    wr8(GICD_ITARGETSR + UART, 0x30);
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(hw.last_vcpu, 4);
    vgic_set_spi_line(&g, UART, false);
    eoi(4, hw.last_lr);
    assert_int_equal(hw.injects, 2);
}

static void spi_without_target_waits(void **state)
{
    (void)state;
    linux_init(4);
    wr(GICD_ISENABLER + 4, 1u << (UART - 32));
    wr8(GICD_ITARGETSR + UART, 0xf0); /* CPUs 4-7: this VM has four */
    assert_int_equal(rd(GICD_ITARGETSR + 32) >> 8 & 0xff, 0);
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(hw.injects, 0);
    assert_int_equal(rd(GICD_ISPENDR + 4) >> 1 & 1, 1);
    wr8(GICD_ITARGETSR + UART, 0x04); /* a target appears: delivered there */
    assert_int_equal(hw.injects, 1);
    assert_int_equal(hw.last_vcpu, 2);
}

/*
 * Overflow queues are per vCPU: one vCPU's full list registers and queue
 * neither block nor take another's; an SPI retargeted while it waited in
 * one vCPU's queue goes where it is targeted now.
 */
static void overflow_per_vcpu(void **state)
{
    (void)state;
    linux_init(MAXV);
    wr(GICD_ISENABLER + 4, 0xffffffff);
    for (uint32_t i = 40; i < 46; i++)
        wr8(GICD_ITARGETSR + i, 0x40); /* vCPU 6 */
    wr8(GICD_ITARGETSR + 50, 0x02);    /* vCPU 1 */
    wr8(GICD_ITARGETSR + 51, 0x02);
    for (uint32_t i = 40; i < 46; i++)
        vgic_set_spi_line(&g, i, true);
    vgic_set_spi_line(&g, 50, true);
    vgic_set_spi_line(&g, 51, true);
    assert_int_equal(vgic_lrs_in_use(&g, 6), LRS);
    assert_int_equal(vgic_queued(&g, 6), 2);
    assert_int_equal(vgic_lrs_in_use(&g, 1), 2);
    assert_int_equal(vgic_queued(&g, 1), 0);
    /* vCPU 1's EOI does not pull vCPU 6's waiting interrupts over. */
    vgic_set_spi_line(&g, 50, false);
    eoi(1, (unsigned)lr_of(1, 50));
    assert_int_equal(vgic_queued(&g, 6), 2);
    assert_int_equal(lr_of(1, 44), -1);
    /* SPI 45 waits in vCPU 6's queue; the guest moves it to vCPU 2. */
    wr8(GICD_ITARGETSR + 45, 0x04);
    vgic_set_spi_line(&g, 40, false);
    eoi(6, (unsigned)lr_of(6, 40));
    assert_true(lr_of(6, 44) >= 0); /* the older one, still vCPU 6's */
    vgic_set_spi_line(&g, 41, false);
    eoi(6, (unsigned)lr_of(6, 41));
    assert_int_equal(lr_of(6, 45), -1);
    assert_true(lr_of(2, 45) >= 0);
    assert_int_equal(vgic_queued(&g, 6), 0);
}

/* The virtual timer is each vCPU's own: an event, the enable and the acknowledgement. */
static void vtimer_per_vcpu(void **state)
{
    (void)state;
    linux_init(MAXV);
    hw.current = 3;
    wr(GICD_ISENABLER, 1u << VTIMER);
    hw.current = 0;
    int before = hw.injects;
    assert_int_equal(vgic_ppi_event(&g, 5, VTIMER), 0); /* vCPU 5 has not enabled it */
    assert_int_equal(hw.injects, before);
    assert_int_equal(vgic_ppi_event(&g, 3, VTIMER), 0);
    assert_int_equal(hw.injects, before + 1);
    assert_int_equal(hw.last_vcpu, 3);
    eoi(3, (unsigned)lr_of(3, VTIMER));
    assert_int_equal(hw.acks, 1);
    assert_int_equal(hw.acked_vcpu, 3);
    /* vCPU 5 enables it: its held event is delivered to it, not to vCPU 3. */
    hw.current = 5;
    wr(GICD_ISENABLER, 1u << VTIMER);
    assert_int_equal(hw.last_vcpu, 5);
    assert_true(lr_of(5, VTIMER) >= 0);
    assert_int_equal(lr_of(3, VTIMER), -1);
}

static void hostile_accesses(void **state)
{
    (void)state;
    uint8_t b[8];
    memset(b, 0x55, sizeof(b));
    /* Beyond the frame, odd widths, misaligned words: read as zero, no effect. */
    vgic_dist_read(&g, VGIC_DIST_SIZE - 2, b, 4);
    assert_int_equal(b[0], 0);
    vgic_dist_read(&g, GICD_CTLR, b, 8);
    assert_int_equal(b[4], 0);
    vgic_dist_write(&g, GICD_CTLR + 1, b, 4);
    assert_int_equal(rd(GICD_CTLR), 0);
    vgic_dist_write(&g, GICD_ISENABLER + 4, b, 2);
    assert_int_equal(rd(GICD_ISENABLER + 4), 0);
    /* Interrupts beyond TYPER's 128 are RAZ/WI. */
    wr(GICD_ISENABLER + 0x10, 0xffffffff);
    assert_int_equal(rd(GICD_ISENABLER + 0x10), 0);
    wr8(GICD_IPRIORITYR + 200, 0x10);
    assert_int_equal(rd(GICD_IPRIORITYR + 200), 0);
    /* Lines, PPIs and maintenance the VM does not have are refused. */
    assert_int_equal(vgic_set_spi_line(&g, 128, true), -STDVMM_EINVAL);
    assert_int_equal(vgic_set_spi_line(&g, 27, true), -STDVMM_EINVAL);
    assert_int_equal(vgic_ppi_event(&g, 0, 33), -STDVMM_EINVAL);
    assert_int_equal(vgic_ppi_event(&g, 1, 27), -STDVMM_EINVAL);
    assert_int_equal(vgic_maintenance(&g, 0, LRS), -STDVMM_EINVAL);
    /* Maintenance for a free register is harmless. */
    assert_int_equal(vgic_maintenance(&g, 0, 0), 0);
}

static void failed_injection_retries(void **state)
{
    (void)state;
    linux_init(1);
    wr(GICD_ISENABLER + 4, 0xffffffff);
    hw.fail_inject = 1;
    vgic_set_spi_line(&g, UART, true);
    assert_int_equal(vgic_lrs_in_use(&g, 0), 0);
    hw.fail_inject = 0;
    vgic_set_spi_line(&g, 34, true); /* the next event retries */
    wr(GICD_CTLR, GICD_CTLR_ENABLE);
    assert_int_equal(vgic_lrs_in_use(&g, 0), 2);
}

static void bad_configs(void **state)
{
    (void)state;
    struct vgic_config cfg = {.vcpu_count = 1,
                              .nr_irqs = 100,
                              .nr_lrs = 4,
                              .ops = {.inject = inject, .current_vcpu = current}};
    assert_int_equal(vgic_init(&g, &cfg), -STDVMM_EINVAL);
    cfg.nr_irqs = 128;
    cfg.vcpu_count = 9;
    assert_int_equal(vgic_init(&g, &cfg), -STDVMM_EINVAL);
    cfg.vcpu_count = 1;
    cfg.nr_lrs = 65;
    assert_int_equal(vgic_init(&g, &cfg), -STDVMM_EINVAL);
    cfg.nr_lrs = 4;
    cfg.ops.inject = NULL;
    assert_int_equal(vgic_init(&g, &cfg), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(identification, setup),
        cmocka_unit_test_setup(level_irq_through_lr, setup),
        cmocka_unit_test_setup(distributor_disabled_holds_interrupts, setup),
        cmocka_unit_test_setup(overflow_queue, setup),
        cmocka_unit_test_setup(vtimer_ppi, setup),
        cmocka_unit_test_setup(priorities_and_targets, setup),
        cmocka_unit_test_setup(edge_spi_latches, setup),
        cmocka_unit_test_setup(sgis_between_vcpus, setup2),
        cmocka_unit_test_setup(spi_owner_overrides_targets, setup2),
        cmocka_unit_test_setup(sgi_fanout_eight, setup8),
        cmocka_unit_test_setup(spi_targets_eight, setup8),
        cmocka_unit_test_setup(spi_without_target_waits, setup4),
        cmocka_unit_test_setup(overflow_per_vcpu, setup8),
        cmocka_unit_test_setup(vtimer_per_vcpu, setup8),
        cmocka_unit_test_setup(hostile_accesses, setup),
        cmocka_unit_test_setup(passthrough_spi, setup),
        cmocka_unit_test_setup(failed_injection_retries, setup),
        cmocka_unit_test(bad_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
