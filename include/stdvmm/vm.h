/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtual machine as the hypervisor-agnostic core sees it: guest memory,
 * the two device buses, the vCPUs, the platform devices the firmware tables
 * must announce, and why the VM stopped. The core never allocates: the
 * caller provides the struct vm (statically on seL4, on the heap on Linux).
 */
#ifndef STDVMM_VM_H
#define STDVMM_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/hv.h"

#define VM_MAX_VCPUS 64
#define VM_MAX_PLATFORM_DEVICES 32
/* Room for the arch hooks' per-VM state (src/arch/<name> checks that it fits). */
#define VM_ARCH_STATE_SIZE 4096

/* Why a VM stopped; the first reason recorded wins. */
enum vm_stop_reason {
    VM_STOP_NONE = 0,
    VM_STOP_POWEROFF, /* guest powered off */
    VM_STOP_RESET,    /* guest asked for a reset (or triple-faulted) */
    VM_STOP_PANIC,    /* guest reported a kernel panic */
    VM_STOP_ERROR,    /* the VMM or hypervisor failed */
    VM_STOP_REQUESTED /* the host asked the VM to stop */
};

/* A device the firmware tables (ACPI DSDT, device tree) must describe. */
enum vm_platform_device_kind {
    VM_DEV_SERIAL_8250,
    VM_DEV_VIRTIO_MMIO,
    VM_DEV_PVPANIC,
    VM_DEV_PL031, /* Arm PrimeCell RTC */
    /*
     * A virtio-mmio transport of the host's own hardware, mapped into the VM
     * (a driver VM's device, seL4): the VMM neither traps nor models it.
     */
    VM_DEV_VIRTIO_MMIO_PASSTHROUGH,
    /*
     * A shared region's register page (stdvmm/devices/shared_region.h),
     * described with the region's memory so that the guest finds both.
     */
    VM_DEV_SHARED_REGION,
};

struct vm_platform_device {
    enum vm_platform_device_kind kind;
    uint64_t base; /* MMIO address, or I/O port on x86 */
    uint64_t size;
    bool is_pio;
    uint32_t irq; /* GSI / SPI; 0 = none */
    /*
     * PASSTHROUGH only: the device addresses RAM by host physical address,
     * and the VM's RAM at guest address dma_cpu (dma_size bytes) is host
     * memory at dma_bus; the firmware tables tell the guest to translate.
     */
    uint64_t dma_cpu, dma_bus, dma_size;
    /*
     * VIRTIO_MMIO only: the virtio-iommu itself, or a device behind it with
     * its endpoint ID (device tree `iommus`, ACPI VIOT).
     */
    enum { VM_IOMMU_NONE = 0, VM_IOMMU_SELF, VM_IOMMU_ENDPOINT } iommu;
    uint32_t iommu_endpoint;
    /* SHARED_REGION only: the region's memory and name. */
    uint64_t shm_gpa, shm_size;
    const char *label;
};

struct vm;

struct vcpu {
    struct vm *vm;
    struct hv_vcpu *hv;
    unsigned index;
};

/*
 * How the kernel file is read where an arch knows more than one format
 * (arm64): its own boot header (a Linux Image), or raw code entered at its
 * first byte (test kernels such as kvm-unit-tests' .flat files, bare-metal
 * programs), or AUTO: the header's magic decides (src/arch/aarch64/image.h).
 */
enum vm_kernel_format {
    VM_KERNEL_AUTO = 0,
    VM_KERNEL_IMAGE,
    VM_KERNEL_RAW,
};

/* A hardware feature the guest may be given: AUTO = where the hypervisor offers it. */
enum vm_feature {
    VM_FEATURE_AUTO = 0,
    VM_FEATURE_ON,  /* required: the VM is not built without it */
    VM_FEATURE_OFF, /* hidden from the guest */
};

/* The interrupt controller an arm64 guest gets; AUTO: GICv3, else GICv2. */
enum vm_irqchip {
    VM_IRQCHIP_AUTO = 0,
    VM_IRQCHIP_GICV2,
    VM_IRQCHIP_GICV3,
};

/*
 * Per-VM choices the arch hooks act on; all zero is the default machine.
 * Architectures ignore what they do not have (x86 has no PMU choice yet).
 */
struct vm_arch_options {
    enum vm_kernel_format kernel_format;
    enum vm_irqchip irqchip;
    enum vm_feature pmu;   /* arm64: PMUv3, PPI 7 */
    enum vm_feature its;   /* arm64: GICv3 ITS (MSIs) */
    enum vm_feature sve;   /* arm64: scalable vectors */
    enum vm_feature pauth; /* arm64: pointer authentication */
    enum vm_feature mte;   /* arm64: memory tagging; AUTO means off (it costs memory) */
    /*
     * arm64 raw kernels: load and enter at kernel_addr, for programs linked
     * at a fixed address (non-relocatable guests); unset: 512 KiB into the
     * lowest RAM region. Other formats and arches refuse it.
     */
    bool kernel_addr_set;
    uint64_t kernel_addr;
};

/*
 * The words for these values on the command line and in the system
 * description ("auto", "image", "raw"; "auto", "on", "off"; "auto",
 * "gicv2", "gicv3"): false for anything else, *out untouched.
 */
bool vm_kernel_format_parse(const char *s, enum vm_kernel_format *out);
bool vm_feature_parse(const char *s, enum vm_feature *out);
bool vm_irqchip_parse(const char *s, enum vm_irqchip *out);
const char *vm_kernel_format_name(enum vm_kernel_format f);
const char *vm_feature_name(enum vm_feature f);
const char *vm_irqchip_name(enum vm_irqchip c);

struct vm_boot_images {
    const uint8_t *kernel;
    uint64_t kernel_size;
    const uint8_t *initrd; /* may be NULL */
    uint64_t initrd_size;
    const char *cmdline;
};

struct vm {
    const char *name;
    struct hv_vm *hv;
    struct gmem mem;
    struct bus mmio;
    struct bus pio;
    unsigned vcpu_count;
    struct vcpu vcpus[VM_MAX_VCPUS];
    struct vm_platform_device devices[VM_MAX_PLATFORM_DEVICES];
    unsigned device_count;
    /* Filled by the arch code when it loads the kernel. */
    struct {
        uint64_t entry; /* first instruction of the boot vCPU */
        uint64_t arg;   /* x86: boot_params; arm64: DTB */
    } boot;
    /*
     * What the arch hooks learn in one step and use in a later one (the GIC
     * layout, where the DTB and initramfs went; x86's ACPI PM and reset
     * registers), per VM so that several VMs can live in one address space
     * (the seL4 admin, unit tests). Only src/arch/<name> looks inside;
     * vm_init() clears it, so it is rebuilt on every (re)boot.
     */
    _Alignas(16) unsigned char arch_state[VM_ARCH_STATE_SIZE];
    /* Set by whoever builds the VM after vm_init() (machine_build: from its desc). */
    struct vm_arch_options opts;
    atomic_int stop_reason;
    /*
     * Set by the arch code where a stop reason needs a second look before it
     * is recorded (arm64: a reset that follows a recorded kernel panic is a
     * panic). Runs on the thread requesting the stop; NULL: none.
     */
    enum vm_stop_reason (*refine_stop)(struct vm *vm, enum vm_stop_reason reason);
    /* Called once, from the thread that records the first stop reason. */
    void (*on_stop)(struct vm *vm, void *ctx);
    void *on_stop_ctx;
    /*
     * Called on a vCPU's own thread each time a kick interrupts its run
     * (hv_vcpu_kick). It may block: the Linux runtime parks vCPUs there
     * while the VM is paused. NULL: none.
     */
    void (*on_kick)(struct vcpu *vcpu, void *ctx);
    void *on_kick_ctx;
    /*
     * An interrupt controller the VMM emulates, set by the arch code where
     * the hypervisor has none (riscv64 without an in-kernel AIA: a PLIC).
     * vm_set_irq_line() hands lines to it instead of the hypervisor; NULL:
     * the hypervisor's.
     */
    int (*irq_line)(void *ctx, uint32_t irq, bool level);
    /* That controller's answer to vm_irq_target(); NULL: the hypervisor's. */
    int (*irq_target)(void *ctx, uint32_t irq, unsigned *vcpu);
    void *irq_line_ctx;
};

void vm_init(struct vm *vm, const char *name, struct hv_vm *hv, unsigned vcpu_count);

int vm_add_platform_device(struct vm *vm, const struct vm_platform_device *dev);

/* Records why the VM stops (first caller wins) and kicks every vCPU. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);
enum vm_stop_reason vm_stop_reason(const struct vm *vm);
const char *vm_stop_reason_name(enum vm_stop_reason reason);

/* Raise or lower a device interrupt line. */
int vm_set_irq_line(struct vm *vm, uint32_t irq, bool level);

/* The vCPU the guest programmed line irq to interrupt, where that can be read back. */
int vm_irq_target(struct vm *vm, uint32_t irq, unsigned *vcpu);

/*
 * Hands the writes the port queued (hv_vm_add_buffered_writes) to the
 * buses, oldest first, and returns how many. The vCPU loop calls it before
 * it handles any exit; a host calls it from time to time while the guest
 * runs (queued console output is not seen otherwise), and machine_teardown()
 * once more at the end.
 */
unsigned vm_flush_buffered_writes(struct vm *vm);

/*
 * Runs one vCPU until the VM stops: dispatches MMIO and port I/O to the
 * buses and turns power events into stop reasons. Call from the vCPU's own
 * thread. Returns 0 on an orderly stop, or the port's error.
 */
int vcpu_run_loop(struct vcpu *vcpu);

#endif
