/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aarch64 arch hooks (include/stdvmm/arch.h): an Arm board without
 * firmware. The kernel Image is entered at its first byte in EL1h with the
 * MMU off and x0 pointing at a device tree built here; the hypervisor's GIC
 * (v3, or v2 where v3 is missing), architected timer and PSCI do the rest.
 * Platform devices are MMIO: a 16550A UART that Linux's 8250 driver and
 * earlycon find through the device tree, the boot-timer byte, and
 * pvpanic-mmio for kernels that have its driver. Debian's arm64 kernel has
 * none, so panics are recognised through a ramoops record (panic_record.h).
 */
#include <string.h>

#include "arch/aarch64/image.h"
#include "arch/aarch64/layout.h"
#include "arch/aarch64/panic_record.h"
#include "stdvmm/arch.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/pl031.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/dtb.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_aarch64.h"
#include "stdvmm/log.h"

#define A64_CMDLINE_MAX 2048 /* the arm64 kernel's COMMAND_LINE_SIZE, NUL included */
/* PSTATE at entry: EL1h (EL1 with SP_EL1), D, A, I and F masked. */
#define A64_PSTATE_EL1H 0x5ull
#define A64_PSTATE_DAIF (0xfull << 6)

/* What the hooks learn in one step and use in a later one: struct vm's arch_state. */
struct a64_state {
    struct a64_gic_layout gic;
    struct a64_hv_features feat; /* what this guest gets, from vm->opts and the hypervisor */
    uint64_t ram_base, ram_size;
    uint64_t dtb_addr;
    uint64_t panic_record_addr;
    uint64_t initrd_start, initrd_end;
    char cmdline[A64_CMDLINE_MAX];
};
_Static_assert(sizeof(struct a64_state) <= VM_ARCH_STATE_SIZE, "VM_ARCH_STATE_SIZE too small");

static struct a64_state *state(struct vm *vm)
{
    return (struct a64_state *)(void *)vm->arch_state;
}

static const struct arch_platform a64_platform = {
    .uart = {.kind = VM_DEV_SERIAL_8250,
             .base = A64_UART_BASE,
             .size = SERIAL8250_REG_COUNT,
             .is_pio = false,
             .irq = A64_UART_SPI},
    .boot_timer = {.base = A64_BOOT_TIMER_BASE, .size = BOOT_TIMER_SIZE, .is_pio = false},
    .pvpanic = {.kind = VM_DEV_PVPANIC,
                .base = A64_PVPANIC_BASE,
                .size = PVPANIC_SIZE,
                .is_pio = false},
    .rtc = {.kind = VM_DEV_PL031,
            .base = A64_RTC_BASE,
            .size = PL031_SIZE,
            .is_pio = false,
            .irq = A64_RTC_SPI},
    .virtio_mmio_base = A64_VIRTIO_MMIO_BASE,
    .virtio_mmio_stride = A64_VIRTIO_MMIO_SIZE,
    .virtio_irq_base = A64_VIRTIO_SPI_BASE,
    .hwirq_base = A64_SPI_INTID_BASE,
    .vmm_routes_irqs = true,
    .iommu_described = true,
};

const struct arch_platform *arch_platform(void)
{
    return &a64_platform;
}

uint64_t arch_min_ram(void)
{
    return A64_MIN_RAM;
}

/* Aff0 counts 16 CPUs, then Aff1: the GICv3 SGI target list covers 16 per Aff1 group. */
static uint64_t mpidr_of(unsigned index)
{
    return (uint64_t)(index % 16) | (uint64_t)(index / 16) << 8;
}

static enum vm_stop_reason refine_stop(struct vm *vm, enum vm_stop_reason reason)
{
    struct a64_state *a64 = state(vm);
    if (reason == VM_STOP_RESET && a64->panic_record_addr != 0 &&
        a64_panic_record_found(&vm->mem, a64->panic_record_addr, A64_PANIC_RECORD_SIZE)) {
        LOG_INFO("the guest reset after recording a kernel panic");
        return VM_STOP_PANIC;
    }
    return reason;
}

/*
 * AUTO: what the hypervisor has (MTE stays off: tagged memory costs RAM and
 * shared mappings); ON: required; OFF: hidden. "what" names the option.
 */
static int choose(enum vm_feature want, bool have, bool auto_on, const char *what, bool *out)
{
    *out = false;
    switch (want) {
    case VM_FEATURE_OFF:
        return 0;
    case VM_FEATURE_AUTO:
        *out = have && auto_on;
        return 0;
    case VM_FEATURE_ON:
        if (!have) {
            LOG_ERR("%s was asked for, and this hypervisor does not offer it", what);
            return -STDVMM_ENOTSUP;
        }
        *out = true;
        return 0;
    }
    LOG_ERR("%s: setting %d is not auto, on or off", what, (int)want);
    return -STDVMM_EINVAL;
}

static int create_gic(struct vm *vm, enum a64_gic_version version)
{
    struct a64_state *a64 = state(vm);

    if (version == A64_GIC_V2) {
        /* GICv2 reaches 8 CPUs only. */
        if (vm->vcpu_count > 8) {
            LOG_ERR("a GICv2 cannot serve %u vCPUs (8 at most)", vm->vcpu_count);
            return -STDVMM_ENOTSUP;
        }
        a64->gic = (struct a64_gic_layout){
            .version = A64_GIC_V2,
            .dist_base = A64_GIC_DIST_BASE,
            .dist_size = A64_GIC_DIST_SIZE_V2,
            .cpu_base = A64_GIC_CPU_BASE,
            .cpu_size = A64_GIC_CPU_SIZE,
            .spi_count = A64_GIC_SPI_COUNT,
        };
    } else {
        a64->gic = (struct a64_gic_layout){
            .version = A64_GIC_V3,
            .dist_base = A64_GIC_DIST_BASE,
            .dist_size = A64_GIC_DIST_SIZE_V3,
            .redist_base = A64_GIC_REDIST_BASE,
            .redist_size = vm->vcpu_count * A64_GIC_REDIST_FRAME_SIZE,
            .spi_count = A64_GIC_SPI_COUNT,
        };
    }
    return hv_a64_create_gic(vm->hv, &a64->gic);
}

static int setup_gic(struct vm *vm)
{
    int r;

    switch (vm->opts.irqchip) {
    case VM_IRQCHIP_GICV2:
        r = create_gic(vm, A64_GIC_V2);
        if (r == -STDVMM_ENODEV)
            LOG_ERR("--irqchip gicv2: this hypervisor cannot emulate a GICv2 (KVM can only where "
                    "the host's GIC has a GICv2-compatible CPU interface)");
        return r;
    case VM_IRQCHIP_GICV3:
        r = create_gic(vm, A64_GIC_V3);
        if (r == -STDVMM_ENODEV)
            LOG_ERR("--irqchip gicv3: this hypervisor cannot emulate a GICv3");
        return r;
    case VM_IRQCHIP_AUTO:
        r = create_gic(vm, A64_GIC_V3);
        if (r != -STDVMM_ENODEV)
            return r;
        LOG_INFO("no GICv3 in this hypervisor: the guest gets a GICv2");
        r = create_gic(vm, A64_GIC_V2);
        if (r == -STDVMM_ENOTSUP)
            LOG_ERR("no GICv3 in this hypervisor, and a GICv2 cannot serve %u vCPUs",
                    vm->vcpu_count);
        return r;
    }
    LOG_ERR("interrupt controller %d is not auto, gicv2 or gicv3", (int)vm->opts.irqchip);
    return -STDVMM_EINVAL;
}

int arch_vm_init(struct vm *vm)
{
    struct a64_state *a64 = state(vm);
    struct a64_hv_features have;
    const struct vm_arch_options *o = &vm->opts;

    if (vm->vcpu_count > A64_GIC_REDIST_MAX_CPUS) {
        LOG_ERR("%u vCPUs: the aarch64 layout has redistributors for %d", vm->vcpu_count,
                A64_GIC_REDIST_MAX_CPUS);
        return -STDVMM_EINVAL;
    }
    int r = hv_a64_features(vm->hv, &have);
    if (r == 0)
        r = choose(o->pmu, have.pmu, true, "a PMU (--pmu)", &a64->feat.pmu);
    if (r == 0)
        r = choose(o->sve, have.sve, true, "SVE (--sve)", &a64->feat.sve);
    if (r == 0)
        r = choose(o->pauth, have.pauth, true, "pointer authentication (--pauth)",
                   &a64->feat.pauth);
    if (r == 0)
        r = choose(o->mte, have.mte, false, "MTE (--mte)", &a64->feat.mte);
    /* KVM refuses MTE once a vCPU exists, and the vGIC is created with none. */
    if (r == 0 && a64->feat.mte)
        r = hv_a64_enable_mte(vm->hv);
    if (r == 0)
        r = setup_gic(vm);
    if (r == 0 && o->its == VM_FEATURE_ON && a64->gic.version != A64_GIC_V3) {
        LOG_ERR("an ITS (--its on) needs a GICv3, and this guest has a GICv2");
        r = -STDVMM_ENOTSUP;
    }
    if (r == 0)
        r = choose(o->its, have.its && a64->gic.version == A64_GIC_V3, true, "an ITS (--its)",
                   &a64->feat.its);
    if (r == 0 && a64->feat.its)
        r = hv_a64_create_its(vm->hv, A64_GIC_ITS_BASE);
    if (r < 0)
        return r;
    vm->refine_stop = refine_stop;
    return 0;
}

int arch_probe_kernel(const uint8_t *kernel, uint64_t size, enum vm_kernel_format format)
{
    struct a64_image img;
    return a64_kernel_probe(kernel, size, format, &img);
}

static int copy_cmdline(struct a64_state *a64, const char *cmdline)
{
    size_t len = cmdline != NULL ? strlen(cmdline) : 0;

    if (len >= sizeof(a64->cmdline)) {
        LOG_ERR("kernel command line of %zu bytes: the arm64 kernel takes at most %d", len,
                A64_CMDLINE_MAX - 1);
        return -STDVMM_E2BIG;
    }
    if (len != 0)
        memcpy(a64->cmdline, cmdline, len);
    a64->cmdline[len] = '\0';
    return 0;
}

/*
 * From the top of RAM down: the DTB slot, the panic-record slot, then the
 * initramfs, which must stay clear of the kernel's image_size.
 */
static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

static int place_top(struct vm *vm, const struct vm_boot_images *images, uint64_t kernel_start,
                     uint64_t kernel_end)
{
    struct a64_state *a64 = state(vm);
    uint64_t ram_end = a64->ram_base + a64->ram_size;

    a64->dtb_addr = ram_end - A64_SZ_2M; /* RAM size is a 2 MiB multiple */
    a64->panic_record_addr = a64->dtb_addr - A64_SZ_2M;
    a64->initrd_start = a64->initrd_end = 0;
    if (a64->panic_record_addr < a64->ram_base ||
        overlaps(kernel_start, kernel_end, a64->panic_record_addr, ram_end)) {
        LOG_ERR("the kernel at [0x%llx, 0x%llx) runs into the device tree and panic-record "
                "slots at the top of the lowest RAM region [0x%llx, 0x%llx)",
                (unsigned long long)kernel_start, (unsigned long long)kernel_end,
                (unsigned long long)a64->panic_record_addr, (unsigned long long)ram_end);
        return -STDVMM_ENOSPC;
    }
    if (images->initrd == NULL || images->initrd_size == 0)
        return 0;
    /* A kernel placed elsewhere (kernel_addr) leaves the whole region below the slots. */
    uint64_t floor = kernel_end <= a64->panic_record_addr && kernel_end > a64->ram_base
                         ? kernel_end
                         : a64->ram_base;
    uint64_t room = a64->panic_record_addr - floor;
    if (images->initrd_size > room) {
        LOG_ERR("initramfs of %llu MiB does not fit in the %llu MiB between the kernel and the "
                "top of RAM: give the guest more --memory",
                (unsigned long long)(images->initrd_size >> 20), (unsigned long long)(room >> 20));
        return -STDVMM_ENOSPC;
    }
    a64->initrd_start = (a64->panic_record_addr - images->initrd_size) & ~(A64_SZ_4K - 1);
    if (a64->initrd_start < floor ||
        overlaps(a64->initrd_start, a64->initrd_start + images->initrd_size, kernel_start,
                 kernel_end)) {
        LOG_ERR("initramfs of %llu bytes runs into the kernel",
                (unsigned long long)images->initrd_size);
        return -STDVMM_ENOSPC;
    }
    a64->initrd_end = a64->initrd_start + images->initrd_size;
    return gmem_write(&vm->mem, a64->initrd_start, images->initrd, images->initrd_size);
}

/*
 * A raw program linked at a fixed address (kernel_addr) goes exactly there,
 * in any RAM region: only an Image has a header that makes it relocatable.
 */
static int load_fixed(struct vm *vm, const struct vm_boot_images *images,
                      const struct a64_image *img, uint64_t *load)
{
    uint64_t addr = vm->opts.kernel_addr;

    if (!img->raw) {
        LOG_ERR("kernel_addr 0x%llx: an arm64 Image places itself (text_offset above a 2 MiB "
                "boundary); a fixed address is for raw kernels (--kernel-format raw)",
                (unsigned long long)addr);
        return -STDVMM_EINVAL;
    }
    if (addr % 4 != 0) {
        LOG_ERR("kernel_addr 0x%llx is not 4-byte aligned: an arm64 entry point is an instruction",
                (unsigned long long)addr);
        return -STDVMM_EINVAL;
    }
    if (!gmem_contains(&vm->mem, addr, img->image_size)) {
        LOG_ERR("kernel_addr: [0x%llx, +0x%llx) of raw kernel is not inside one guest RAM "
                "region",
                (unsigned long long)addr, (unsigned long long)img->image_size);
        return -STDVMM_EINVAL;
    }
    *load = addr;
    return gmem_write(&vm->mem, addr, images->kernel, img->file_size);
}

int arch_load_kernel(struct vm *vm, const struct vm_boot_images *images)
{
    struct a64_state *a64 = state(vm);
    struct a64_image img;
    uint64_t load;
    int r;

    if (vm->mem.count == 0 || vm->mem.count > DTB_MAX_MEMORY) {
        LOG_ERR("aarch64 guests have 1 to %d RAM regions, this VM has %u", DTB_MAX_MEMORY,
                vm->mem.count);
        return -STDVMM_EINVAL;
    }
    /* The kernel, initramfs and DTB go in the lowest region (arch_memory_limits' boot_min). */
    const struct gmem_region *low = gmem_lowest(&vm->mem);
    a64->ram_base = low->gpa;
    a64->ram_size = low->size;
    r = copy_cmdline(a64, images->cmdline);
    if (r == 0)
        r = a64_kernel_probe(images->kernel, images->kernel_size, vm->opts.kernel_format, &img);
    if (r == 0 && vm->opts.kernel_addr_set)
        r = load_fixed(vm, images, &img, &load);
    else if (r == 0)
        r = a64_image_place(&img, a64->ram_base, a64->ram_size, &load);
    if (r == 0 && !vm->opts.kernel_addr_set)
        r = a64_image_load(&vm->mem, images->kernel, &img, load);
    if (r == 0)
        r = place_top(vm, images, load, load + img.image_size);
    if (r < 0)
        return r;
    vm->boot.entry = load;
    vm->boot.arg = a64->dtb_addr;
    return 0;
}

int arch_setup_firmware(struct vm *vm)
{
    struct a64_state *a64 = state(vm);
    uint64_t mpidr[VM_MAX_VCPUS];
    uint32_t used;

    for (unsigned i = 0; i < vm->vcpu_count; i++)
        mpidr[i] = mpidr_of(i);
    struct dtb_config cfg = {
        .memory_count = vm->mem.count,
        .cpu_count = vm->vcpu_count,
        .cpu_mpidr = mpidr,
        .gic =
            {
                .version = (unsigned)a64->gic.version,
                .dist_base = a64->gic.dist_base,
                .dist_size = a64->gic.dist_size,
                .redist_base = a64->gic.redist_base,
                .redist_size = a64->gic.redist_size,
                .cpu_base = a64->gic.cpu_base,
                .cpu_size = a64->gic.cpu_size,
                .its_base = a64->feat.its ? A64_GIC_ITS_BASE : 0,
                .its_size = a64->feat.its ? A64_GIC_ITS_SIZE : 0,
            },
        .bootargs = a64->cmdline,
        .initrd_start = a64->initrd_start,
        .initrd_end = a64->initrd_end,
        .devices = vm->devices,
        .device_count = vm->device_count,
        .uart_clock_hz = A64_UART_CLOCK_HZ,
        .panic_record_base = a64->panic_record_addr,
        .panic_record_size = A64_PANIC_RECORD_SIZE,
        .pmu_ppi = a64->feat.pmu ? A64_PPI_PMU : 0,
    };
    for (unsigned i = 0; i < vm->mem.count && i < DTB_MAX_MEMORY; i++) {
        cfg.memory[i].base = vm->mem.regions[i].gpa;
        cfg.memory[i].size = vm->mem.regions[i].size;
    }
    /* Written in place, in the DTB's slot of guest RAM: no buffer shared between VMs. */
    uint8_t *dtb = gmem_translate(&vm->mem, a64->dtb_addr, A64_DTB_MAX_SIZE);
    if (dtb == NULL) {
        LOG_ERR("the device tree's slot at 0x%llx is not in guest RAM",
                (unsigned long long)a64->dtb_addr);
        return -STDVMM_EFAULT;
    }
    int r = dtb_build(&cfg, dtb, A64_DTB_MAX_SIZE, &used);
    if (r < 0)
        return r;
    /* A record left from an earlier boot of this RAM must not count as this boot's panic. */
    uint8_t *record = gmem_translate(&vm->mem, a64->panic_record_addr, A64_PANIC_RECORD_SIZE);
    if (record == NULL) {
        LOG_ERR("the panic record at 0x%llx is not in guest RAM",
                (unsigned long long)a64->panic_record_addr);
        return -STDVMM_EFAULT;
    }
    memset(record, 0, A64_PANIC_RECORD_SIZE);
    return 0;
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu)
{
    const struct a64_state *a64 = state(vm);
    struct a64_vcpu_config cfg = {
        .powered_off = vcpu->index != 0, /* the guest starts the others with PSCI CPU_ON */
        .mpidr = mpidr_of(vcpu->index),
        .pmu = a64->feat.pmu,
        .sve = a64->feat.sve,
        .pauth = a64->feat.pauth,
    };
    int r = hv_a64_vcpu_init(vcpu->hv, &cfg);

    if (r == 0 && vcpu->index == 0) {
        struct a64_boot_regs regs = {
            .x0 = vm->boot.arg,
            .pc = vm->boot.entry,
            .pstate = A64_PSTATE_EL1H | A64_PSTATE_DAIF,
        };
        r = hv_a64_vcpu_set_boot_regs(vcpu->hv, &regs);
    }
    /* The vGIC is finished once the last vCPU exists: the machine layer creates them in order. */
    if (r == 0 && vcpu->index + 1 == vm->vcpu_count) {
        r = hv_a64_gic_init(vm->hv);
        /* Each PMU's interrupt is a PPI of an initialised vGIC. */
        for (unsigned i = 0; r == 0 && a64->feat.pmu && i < vm->vcpu_count; i++)
            r = hv_a64_vcpu_pmu_init(vm->vcpus[i].hv, A64_PPI_PMU + 16);
    }
    return r;
}
