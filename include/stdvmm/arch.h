/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The architecture hooks. Every arch/<name> folder implements this same set
 * of functions (the kvmtool idea); the build picks one folder. The order of
 * calls is: arch_plan_memory, (caller maps RAM), arch_vm_init,
 * arch_load_kernel, (caller registers devices), arch_setup_firmware,
 * arch_vcpu_init for each vCPU.
 */
#ifndef STDVMM_ARCH_H
#define STDVMM_ARCH_H

#include <stdint.h>

#include "stdvmm/memory_map.h"
#include "stdvmm/vm.h"

#define ARCH_MAX_RAM_REGIONS MEMMAP_MAX_REGIONS

struct arch_memory_plan {
    struct {
        uint64_t gpa;
        uint64_t size;
    } ram[ARCH_MAX_RAM_REGIONS];
    unsigned ram_count;
};

/* Smallest guest RAM this arch can boot a Linux kernel in. */
uint64_t arch_min_ram(void);

/* Where ram_size bytes of RAM go in the guest-physical map (holes for MMIO). */
int arch_plan_memory(uint64_t ram_size, struct arch_memory_plan *plan);

/*
 * What a memory map chosen by the user may hold on this arch (memmap_check).
 * It and arch_plan_memory are in a file of their own in each arch folder,
 * with no hypervisor calls, so that the system description links them
 * without the rest of the arch.
 */
const struct memmap_limits *arch_memory_limits(void);

/* Interrupt controller, timers and the arch's own platform devices. */
int arch_vm_init(struct vm *vm);

/*
 * Checks that a kernel image is one this arch can boot in this format,
 * before any VM exists (x86_64 knows one format, the bzImage: it takes AUTO only).
 */
int arch_probe_kernel(const uint8_t *kernel, uint64_t size, enum vm_kernel_format format);

/* Parse and place kernel (in vm->opts.kernel_format), initramfs and command line; sets vm->boot. */
int arch_load_kernel(struct vm *vm, const struct vm_boot_images *images);

/* Firmware tables describing CPUs, memory and vm->devices (ACPI or DTB). */
int arch_setup_firmware(struct vm *vm);

/* Boot state of one vCPU: the boot vCPU starts at vm->boot.entry. */
int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu);

/*
 * Where this arch puts the devices every stdvmm VM has. The machine layer
 * creates them; the arch only says where they live (an I/O port on x86, an
 * MMIO address on Arm) and which interrupt they use.
 */
struct arch_platform {
    struct vm_platform_device uart;       /* console 16550A */
    struct vm_platform_device boot_timer; /* one-byte debug port /init writes */
    struct vm_platform_device pvpanic;    /* panic notification (size 0: none) */
    struct vm_platform_device rtc;        /* PL031 real-time clock (size 0: none) */
    uint64_t virtio_mmio_base;            /* first virtio-mmio window */
    uint64_t virtio_mmio_stride;
    uint32_t virtio_irq_base; /* first interrupt for virtio devices */
    /* The guest's own number for line n is hwirq_base + n (x86: GSI n; Arm: INTID 32 + n). */
    uint32_t hwirq_base;
    /*
     * The VMM can send a line to a vCPU of its choice (hv_vm_route_irq):
     * true on Arm, where an SPI means the same on every CPU; false on x86,
     * where the guest's per-CPU vectors make routing the guest's alone.
     */
    bool vmm_routes_irqs;
    /*
     * Interrupt whose edge is an ACPI power-button press (graceful shutdown
     * from the host); 0: the arch has no power button yet.
     */
    uint32_t power_button_irq;
    /*
     * The firmware tables can put virtio devices behind a virtio-iommu
     * (device tree `iommus`, ACPI VIOT on x86).
     */
    bool iommu_described;
    /*
     * A window the virtio-iommu reports to every endpoint as a reserved
     * MSI region (PROBE), so that the guest never hands a device an IOVA
     * there: x86's 0xfee00000-0xfeefffff, where a device's write is an
     * interrupt message that no IOMMU translates (QEMU reports the same
     * range). Size 0: none (arm64 and riscv64).
     */
    uint64_t iommu_msi_base, iommu_msi_size;
};
const struct arch_platform *arch_platform(void);

#endif
