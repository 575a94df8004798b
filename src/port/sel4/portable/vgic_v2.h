/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A GICv2 distributor emulated in the VMM, for hypervisors (seL4) that give
 * the guest a virtual CPU interface (GICV, list registers) but leave the
 * distributor to user space. The guest's GICD accesses trap as MMIO and land
 * here through the device bus; interrupts reach the guest through list
 * registers the hypervisor writes for us (ops->inject, seL4's
 * seL4_ARM_VCPU_InjectIRQ). When every list register of a vCPU is taken,
 * interrupts wait in a per-vCPU overflow queue and move into the list
 * register that the next EOI maintenance event frees.
 *
 * Interrupt numbers here are GIC INTIDs: 0-15 SGIs, 16-31 PPIs (banked per
 * vCPU), 32 and up SPIs. Device lines are level-triggered as on QEMU's virt
 * board; the virtual timer is a PPI whose hardware source seL4 masks until
 * the guest's EOI lets us acknowledge it (ops->ack_hw), and so is a device
 * passed through to the VM: its physical interrupt stays masked by seL4
 * from its arrival to the guest's EOI.
 *
 * All entry points take the distributor lock; callbacks run with it held and
 * must not call back into the vGIC.
 */
#ifndef STDVMM_PORT_SEL4_VGIC_V2_H
#define STDVMM_PORT_SEL4_VGIC_V2_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/sync.h"

#define VGIC_DIST_SIZE 0x1000u
#define VGIC_MAX_VCPUS 8   /* GICv2's limit (ITARGETSR is a byte) */
#define VGIC_MAX_IRQS 256  /* INTIDs the emulation tracks; TYPER may announce fewer */
#define VGIC_NR_PRIVATE 32 /* SGIs and PPIs, banked per vCPU */
#define VGIC_NR_SGI 16
#define VGIC_MAX_LRS 64   /* GICH_VTR.ListRegs + 1 is at most 64 */
#define VGIC_QUEUE_LEN 64 /* overflow queue per vCPU */
#define VGIC_SPURIOUS 1023

/* Distributor register offsets (GICv2, IHI 0048B, 4.1.2). */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_NSACR 0xe00
#define GICD_SGIR 0xf00
#define GICD_CPENDSGIR 0xf10
#define GICD_SPENDSGIR 0xf20
#define GICD_PIDR4 0xfd0
#define GICD_PIDR2 0xfe8
#define GICD_CIDR0 0xff0

#define GICD_CTLR_ENABLE 1u
#define GICD_IIDR_VALUE 0x0100143bu /* implementer Arm (0x43b), GIC-400 style product */

struct vgic_ops {
    void *ctx;
    /*
     * Put intid in list register lr of vCPU vcpu as pending (seL4:
     * seL4_ARM_VCPU_InjectIRQ). The hypervisor asks for an EOI maintenance
     * event when the guest ends the interrupt. Returns 0 or a negative
     * STDVMM_E* code; on failure the interrupt stays queued.
     */
    int (*inject)(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority);
    /*
     * The guest ended a hardware-sourced interrupt (the virtual timer's PPI, a
     * passed-through device's SPI): unmask its source.
     */
    void (*ack_hw)(void *ctx, unsigned vcpu, uint32_t intid);
    /* Index of the vCPU whose thread is making the current GICD access (banked registers). */
    unsigned (*current_vcpu)(void *ctx);
};

struct vgic_config {
    unsigned vcpu_count; /* 1..VGIC_MAX_VCPUS */
    uint32_t nr_irqs;    /* INTIDs implemented: 32 + SPIs, a multiple of 32, <= VGIC_MAX_IRQS */
    unsigned nr_lrs;     /* list registers per vCPU, 1..VGIC_MAX_LRS */
    struct vgic_ops ops;
};

/* Opaque to users: fields are public only so that callers can provide storage. */
struct vgic_irq {
    uint8_t priority;
    uint8_t targets; /* ITARGETSR byte (SPIs) */
    bool enabled;
    bool edge;           /* ICFGR: edge-triggered */
    bool line;           /* level of the input line (level-triggered sources) */
    bool latched;        /* pending state not tied to the line: edges, ISPENDR, SGIs */
    bool in_lr;          /* owned by a list register until its EOI */
    bool queued;         /* waiting in the overflow queue */
    bool hw;             /* hardware-sourced: acknowledge its source on EOI (ack_hw) */
    uint8_t sgi_sources; /* SGIs: bit n = pending from vCPU n */
    uint8_t owner;       /* SPIs: 1 + the vCPU the VMM pinned it to; 0: ITARGETSR decides */
};

struct vgic_vcpu {
    struct vgic_irq priv[VGIC_NR_PRIVATE];
    uint32_t lr_intid[VGIC_MAX_LRS];
    bool lr_used[VGIC_MAX_LRS];
    uint16_t queue[VGIC_QUEUE_LEN];
    unsigned q_head, q_count;
    uint64_t queued_total, overflow_drops; /* statistics, for messages */
};

struct vgic {
    stdvmm_lock_t lock;
    struct vgic_config cfg;
    uint32_t ctlr;
    struct vgic_vcpu vcpus[VGIC_MAX_VCPUS];
    struct vgic_irq spi[VGIC_MAX_IRQS - VGIC_NR_PRIVATE];
    bool warned_access;
};

/* Validates cfg (logging what is wrong) and puts the distributor in its reset state. */
int vgic_init(struct vgic *g, const struct vgic_config *cfg);

/* Claims VGIC_DIST_SIZE bytes at base on the VM's MMIO bus. */
int vgic_register(struct vgic *g, struct bus *mmio, uint64_t base);

/* The distributor's register interface (also reachable through the bus). */
void vgic_dist_read(struct vgic *g, uint64_t offset, uint8_t *data, uint32_t len);
void vgic_dist_write(struct vgic *g, uint64_t offset, const uint8_t *data, uint32_t len);

/*
 * Interrupt ownership: SPI intid goes to vCPU vcpu whatever the guest
 * writes to ITARGETSR (it still reads back its own value, as a GIC with
 * fixed routing would let it). vcpu < 0 gives the routing back to the guest.
 */
int vgic_set_spi_owner(struct vgic *g, uint32_t intid, int vcpu);
/* The vCPU SPI intid is delivered to now; -STDVMM_ENOENT if it has no target. */
int vgic_spi_target(struct vgic *g, uint32_t intid, unsigned *vcpu);

/* A device's level-triggered SPI line (intid >= 32) goes to level. */
int vgic_set_spi_line(struct vgic *g, uint32_t intid, bool level);

/*
 * The hypervisor reports that a hardware PPI (intid 16..31) fired for vCPU
 * vcpu and is now masked at its source (seL4's VPPIEvent): make it pending;
 * its EOI calls ops->ack_hw.
 */
int vgic_ppi_event(struct vgic *g, unsigned vcpu, uint32_t intid);

/*
 * A passed-through device's interrupt arrived for SPI intid and is masked at
 * seL4 until acknowledged: make it pending (whatever its ICFGR says: the
 * physical line may already be low again by the time the guest looks, so the
 * arrival is latched), to its target; its EOI calls ops->ack_hw.
 */
int vgic_hw_spi_event(struct vgic *g, uint32_t intid);

/*
 * The guest ended the interrupt in list register lr of vCPU vcpu (seL4's
 * VGICMaintenance with the LR index): free it, re-raise a level interrupt
 * whose line is still high, acknowledge hardware PPIs, and refill free list
 * registers from the overflow queue.
 */
int vgic_maintenance(struct vgic *g, unsigned vcpu, unsigned lr);

/* For tests and messages: list registers in use and interrupts queued. */
unsigned vgic_lrs_in_use(struct vgic *g, unsigned vcpu);
unsigned vgic_queued(struct vgic *g, unsigned vcpu);

#endif
