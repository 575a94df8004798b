/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64 part of the hypervisor port contract (see hv.h). The types are
 * stdvmm's own, so that the arch code stays free of Linux headers; the KVM
 * port converts them, an seL4 port maps them onto its VCPU and vGIC objects.
 *
 * Order of calls for one VM: hv_a64_features, hv_a64_enable_mte (if wanted),
 * hv_a64_create_gic, hv_a64_create_its (if wanted; both before any vCPU
 * exists), hv_vcpu_create + hv_a64_vcpu_init for every vCPU,
 * hv_a64_vcpu_set_boot_regs on the boot vCPU, hv_a64_gic_init once all
 * vCPUs exist, then hv_a64_vcpu_pmu_init on every vCPU given a PMU.
 *
 * irqfd-style notifiers (hv_vm_add_irqfd) may be added before
 * hv_a64_gic_init; they take effect when it runs (KVM accepts them only for
 * an initialised vGIC), and a notifier signalled meanwhile is not lost.
 *
 * Interrupt numbers passed to hv_vm_set_irq_line() and hv_vm_add_irqfd() on
 * aarch64 are SPI numbers (the device tree's <GIC_SPI n ...>), not INTIDs:
 * the port adds the 32 private interrupts itself.
 *
 * The architected timer runs in the hypervisor: the virtual timer raises
 * PPI A64_PPI_VTIMER, the physical timer PPI A64_PPI_PTIMER on each vCPU.
 * PSCI is either done by the hypervisor (KVM) or by the port with the
 * portable decoder in src/arch/aarch64/psci.c; either way a guest's
 * SYSTEM_OFF / SYSTEM_RESET reaches the VMM as HV_EXIT_SYSTEM_OFF / _RESET.
 */
#ifndef STDVMM_HV_AARCH64_H
#define STDVMM_HV_AARCH64_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/hv.h"

/* PPIs as the device tree numbers them (INTID - 16). */
#define A64_PPI_HYP_TIMER 10 /* INTID 26 */
#define A64_PPI_VTIMER 11    /* INTID 27 */
#define A64_PPI_SEC_TIMER 13 /* INTID 29 */
#define A64_PPI_PTIMER 14    /* INTID 30 */
#define A64_PPI_PMU 7        /* INTID 23: the PMU overflow interrupt, as kvmtool and QEMU use */

/* SPI n is INTID 32 + n. */
#define A64_SPI_INTID_BASE 32

enum a64_gic_version {
    A64_GIC_V2 = 2,
    A64_GIC_V3 = 3,
};

struct a64_gic_layout {
    enum a64_gic_version version;
    uint64_t dist_base; /* distributor, 64 KiB (v3) / 4 KiB (v2) */
    uint64_t dist_size;
    uint64_t redist_base; /* v3: one 128 KiB redistributor frame pair per vCPU */
    uint64_t redist_size;
    uint64_t cpu_base; /* v2: CPU interface, 8 KiB */
    uint64_t cpu_size;
    uint32_t spi_count; /* SPIs the distributor implements (multiple of 32) */
};

/*
 * Creates the in-hypervisor GIC with this layout. Returns -STDVMM_ENODEV when
 * the hypervisor cannot emulate this GIC version (the caller may try another).
 */
int hv_a64_create_gic(struct hv_vm *vm, const struct a64_gic_layout *gic);

/* Finishes the GIC once every vCPU exists (KVM: KVM_DEV_ARM_VGIC_CTRL_INIT). */
int hv_a64_gic_init(struct hv_vm *vm);

/* The GICv3 ITS's register frames (control, then the doorbell page): 128 KiB. */
#define A64_GIC_ITS_SIZE 0x20000ull

/*
 * What the hypervisor can give a guest beyond the base vCPU and GIC; asked
 * before any vCPU exists. A port without a feature says false.
 */
struct a64_hv_features {
    bool pmu;   /* PMUv3 with its overflow interrupt */
    bool its;   /* GICv3 ITS (MSIs, LPIs) */
    bool sve;   /* scalable vector extension, at the host's vector lengths */
    bool pauth; /* pointer authentication: address and generic keys both */
    bool mte;   /* memory tagging (must be enabled before any vCPU exists) */
    bool gicv2; /* a GICv2 can be emulated (KVM: needs GICv2-compatible hardware) */
};
int hv_a64_features(struct hv_vm *vm, struct a64_hv_features *out);

/* Adds a GICv3 ITS at base (A64_GIC_ITS_SIZE), after hv_a64_create_gic with a v3. */
int hv_a64_create_its(struct hv_vm *vm, uint64_t base);

/* Turns memory tagging on for this VM; before any vCPU exists. */
int hv_a64_enable_mte(struct hv_vm *vm);

struct a64_vcpu_config {
    /* Start powered off: the guest's PSCI CPU_ON starts it (secondary vCPUs). */
    bool powered_off;
    /* MPIDR_EL1 affinity the guest sees; the device tree's cpu "reg". */
    uint64_t mpidr;
    /* Features from hv_a64_features that this vCPU gets (all vCPUs alike). */
    bool pmu, sve, pauth;
};

/* Resets the vCPU to the architecture's EL1 reset state with PSCI 0.2+ firmware. */
int hv_a64_vcpu_init(struct hv_vcpu *vcpu, const struct a64_vcpu_config *cfg);

/*
 * Connects the vCPU's PMU (hv_a64_vcpu_config.pmu) to its overflow PPI,
 * given as an INTID (16 + the device tree's PPI number), and finishes it;
 * after hv_a64_gic_init (KVM wants an initialised vGIC for this).
 */
int hv_a64_vcpu_pmu_init(struct hv_vcpu *vcpu, uint32_t ppi_intid);

/* The registers the Linux arm64 boot protocol defines; all others stay at reset. */
struct a64_boot_regs {
    uint64_t x0, x1, x2, x3;
    uint64_t pc;
    uint64_t pstate;
};

int hv_a64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct a64_boot_regs *regs);

#endif
