/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The riscv64 arch hooks (include/stdvmm/arch.h): a board without firmware
 * of its own. The kernel Image is entered at its first byte in S-mode with
 * the MMU off, a0 = hart ID, a1 = a device tree built here; the
 * hypervisor's SBI (timer, IPIs, HSM for the secondary harts, SRST), its
 * AIA (or, where it has none, stdvmm's PLIC) and the harts' timers do the
 * rest. Platform devices are MMIO at the
 * aarch64 guest's addresses (layout.h).
 */
#include <string.h>

#include "arch/riscv64/image.h"
#include "arch/riscv64/isa.h"
#include "arch/riscv64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/plic.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/dtb_riscv64.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_riscv64.h"
#include "stdvmm/log.h"

#define RV64_ISA_MAX 512

/* What the hooks learn in one step and use in a later one: struct vm's arch_state. */
struct rv64_state {
    struct rv64_hv_features feat;
    uint64_t ram_base, ram_size;
    uint64_t dtb_addr;
    uint64_t initrd_start, initrd_end;
    char isa[RV64_ISA_MAX];
    char isa_ext[RV64_ISA_MAX];
    unsigned isa_ext_len;
    char cmdline[RV64_CMDLINE_MAX];
    bool has_plic; /* the hypervisor has no AIA: stdvmm's PLIC */
    struct plic plic;
};
_Static_assert(sizeof(struct rv64_state) <= VM_ARCH_STATE_SIZE, "VM_ARCH_STATE_SIZE too small");

static struct rv64_state *state(struct vm *vm)
{
    return (struct rv64_state *)(void *)vm->arch_state;
}

static const struct arch_platform rv64_platform = {
    .uart = {.kind = VM_DEV_SERIAL_8250,
             .base = RV64_UART_BASE,
             .size = SERIAL8250_REG_COUNT,
             .is_pio = false,
             .irq = RV64_UART_IRQ},
    .boot_timer = {.base = RV64_BOOT_TIMER_BASE, .size = BOOT_TIMER_SIZE, .is_pio = false},
    .pvpanic = {.kind = VM_DEV_PVPANIC,
                .base = RV64_PVPANIC_BASE,
                .size = PVPANIC_SIZE,
                .is_pio = false},
    .virtio_mmio_base = RV64_VIRTIO_MMIO_BASE,
    .virtio_mmio_stride = RV64_VIRTIO_MMIO_SIZE,
    .virtio_irq_base = RV64_VIRTIO_IRQ_BASE,
    .hwirq_base = 0, /* APLIC source n is the guest's interrupt n */
    /* In MSI mode the guest programs each source's target hart in the APLIC. */
    .vmm_routes_irqs = false,
    .iommu_described = true,
};

const struct arch_platform *arch_platform(void)
{
    return &rv64_platform;
}

uint64_t arch_min_ram(void)
{
    return RV64_MIN_RAM;
}

static const char *mmu_type(unsigned satp_mode)
{
    switch (satp_mode) {
    case 8:
        return "riscv,sv39";
    case 9:
        return "riscv,sv48";
    case 10:
        return "riscv,sv57";
    }
    return NULL;
}

/* The PLIC's context c is hart c's supervisor external interrupt. */
static void plic_output(void *ctx, unsigned context, bool level)
{
    struct vm *vm = ctx;

    /* No vCPU yet: nothing to interrupt, and no guest to have enabled a source. */
    if (context < vm->vcpu_count && vm->vcpus[context].hv != NULL)
        (void)hv_rv64_vcpu_set_external_irq(vm->vcpus[context].hv, level);
}

static int plic_line(void *ctx, uint32_t irq, bool level)
{
    return plic_set_line(&state(ctx)->plic, irq, level);
}

/* Context c is hart c's: the context the guest enabled the source for is its vCPU. */
static int plic_target(void *ctx, uint32_t irq, unsigned *vcpu)
{
    return plic_source_target(&state(ctx)->plic, irq, vcpu);
}

/* Without an in-hypervisor AIA, the guest's interrupt controller is stdvmm's PLIC. */
static int plic_init_vm(struct vm *vm)
{
    struct rv64_state *rv = state(vm);
    struct plic_config cfg = {.base = RV64_PLIC_BASE,
                              .sources = RV64_PLIC_SOURCES,
                              .contexts = vm->vcpu_count,
                              .set_context = plic_output,
                              .ctx = vm};
    int r = plic_init(&rv->plic, &cfg);

    if (r == 0)
        r = plic_register(&rv->plic, &vm->mmio);
    if (r < 0)
        return r;
    rv->has_plic = true;
    vm->irq_line = plic_line;
    vm->irq_target = plic_target;
    vm->irq_line_ctx = vm;
    LOG_INFO("riscv64: no in-kernel AIA; stdvmm emulates a PLIC at 0x%llx",
             (unsigned long long)RV64_PLIC_BASE);
    return 0;
}

int arch_vm_init(struct vm *vm)
{
    struct rv64_state *rv = state(vm);

    if (vm->vcpu_count > RV64_MAX_HARTS) {
        LOG_ERR("%u vCPUs: the riscv64 layout has IMSIC files for %d", vm->vcpu_count,
                RV64_MAX_HARTS);
        return -STDVMM_EINVAL;
    }
    if (vm->opts.irqchip != VM_IRQCHIP_AUTO) {
        LOG_ERR("--irqchip %s is an Arm choice: a riscv64 guest gets the AIA",
                vm_irqchip_name(vm->opts.irqchip));
        return -STDVMM_EINVAL;
    }
    int r = hv_rv64_features(vm->hv, &rv->feat);
    if (r < 0)
        return r;
    if (mmu_type(rv->feat.satp_mode) == NULL) {
        LOG_ERR("riscv64: the hypervisor's vCPUs have paging mode %u; Linux needs Sv39, Sv48 or "
                "Sv57",
                rv->feat.satp_mode);
        return -STDVMM_ENOTSUP;
    }
    int len = rv64_isa_string(rv->feat.ext, rv->isa, sizeof(rv->isa));
    if (len >= 0)
        len = rv64_isa_ext_list(rv->feat.ext, rv->isa_ext, sizeof(rv->isa_ext));
    if (len < 0)
        return len;
    rv->isa_ext_len = (unsigned)len;
    if (!rv->feat.aia)
        return plic_init_vm(vm);
    struct rv64_aia_layout aia = {
        .aplic_base = RV64_APLIC_BASE,
        .imsic_base = RV64_IMSIC_BASE,
        .imsic_stride = RV64_IMSIC_SIZE,
        .sources = RV64_APLIC_SOURCES,
        .ids = RV64_IMSIC_IDS,
        .harts = vm->vcpu_count,
    };
    return hv_rv64_create_aia(vm->hv, &aia);
}

static int probe(const uint8_t *kernel, uint64_t size, enum vm_kernel_format format,
                 struct rv64_image *img)
{
    if (format == VM_KERNEL_RAW) {
        LOG_ERR("--kernel-format raw: riscv64 boots Linux Images only so far");
        return -STDVMM_ENOTSUP;
    }
    return rv64_image_parse(kernel, size, img);
}

int arch_probe_kernel(const uint8_t *kernel, uint64_t size, enum vm_kernel_format format)
{
    struct rv64_image img;
    return probe(kernel, size, format, &img);
}

static int copy_cmdline(struct rv64_state *rv, const char *cmdline)
{
    size_t len = cmdline != NULL ? strlen(cmdline) : 0;

    if (len >= sizeof(rv->cmdline)) {
        LOG_ERR("kernel command line of %zu bytes: the riscv64 kernel takes at most %d", len,
                RV64_CMDLINE_MAX - 1);
        return -STDVMM_E2BIG;
    }
    if (len != 0)
        memcpy(rv->cmdline, cmdline, len);
    rv->cmdline[len] = '\0';
    return 0;
}

/* From the top of RAM down: the DTB slot, then the initramfs, clear of the kernel's image_size. */
static int place_top(struct vm *vm, const struct vm_boot_images *images, uint64_t kernel_end)
{
    struct rv64_state *rv = state(vm);
    uint64_t ram_end = rv->ram_base + rv->ram_size;

    rv->dtb_addr = ram_end - RV64_SZ_2M; /* RAM size is a 2 MiB multiple */
    rv->initrd_start = rv->initrd_end = 0;
    if (rv->dtb_addr < kernel_end) {
        LOG_ERR("%llu MiB of RAM leave no room above the kernel for the device tree",
                (unsigned long long)(rv->ram_size >> 20));
        return -STDVMM_ENOSPC;
    }
    if (images->initrd == NULL || images->initrd_size == 0)
        return 0;
    uint64_t room = rv->dtb_addr - kernel_end;
    if (images->initrd_size > room) {
        LOG_ERR("initramfs of %llu MiB does not fit in the %llu MiB between the kernel and the "
                "top of RAM: give the guest more --memory",
                (unsigned long long)(images->initrd_size >> 20), (unsigned long long)(room >> 20));
        return -STDVMM_ENOSPC;
    }
    rv->initrd_start = (rv->dtb_addr - images->initrd_size) & ~(RV64_SZ_4K - 1);
    rv->initrd_end = rv->initrd_start + images->initrd_size;
    return gmem_write(&vm->mem, rv->initrd_start, images->initrd, images->initrd_size);
}

int arch_load_kernel(struct vm *vm, const struct vm_boot_images *images)
{
    struct rv64_state *rv = state(vm);
    struct rv64_image img;
    uint64_t load;
    int r;

    if (vm->mem.count == 0 || vm->mem.count > RV64_DTB_MAX_MEMORY) {
        LOG_ERR("riscv64 guests have 1 to %d RAM regions, this VM has %u", RV64_DTB_MAX_MEMORY,
                vm->mem.count);
        return -STDVMM_EINVAL;
    }
    if (vm->opts.kernel_addr_set) {
        LOG_ERR("kernel_addr: riscv64 places its kernels itself (no fixed address yet)");
        return -STDVMM_EINVAL;
    }
    /* The kernel, initramfs and DTB go in the lowest region (arch_memory_limits' boot_min). */
    const struct gmem_region *low = gmem_lowest(&vm->mem);
    rv->ram_base = low->gpa;
    rv->ram_size = low->size;
    r = copy_cmdline(rv, images->cmdline);
    if (r == 0)
        r = probe(images->kernel, images->kernel_size, vm->opts.kernel_format, &img);
    if (r == 0)
        r = rv64_image_place(&img, rv->ram_base, rv->ram_size, &load);
    if (r == 0)
        r = rv64_image_load(&vm->mem, images->kernel, &img, load);
    if (r == 0)
        r = place_top(vm, images, load + img.image_size);
    if (r < 0)
        return r;
    vm->boot.entry = load;
    vm->boot.arg = rv->dtb_addr;
    return 0;
}

int arch_setup_firmware(struct vm *vm)
{
    struct rv64_state *rv = state(vm);
    uint32_t used;
    struct rv64_dtb_config cfg = {
        .memory_count = vm->mem.count,
        .hart_count = vm->vcpu_count,
        .isa = rv->isa,
        .isa_ext = rv->isa_ext,
        .isa_ext_len = rv->isa_ext_len,
        .mmu_type = mmu_type(rv->feat.satp_mode),
        .cbom_block = (rv->feat.ext >> RV64_EXT_ZICBOM) & 1 ? rv->feat.cbom_block : 0,
        .cboz_block = (rv->feat.ext >> RV64_EXT_ZICBOZ) & 1 ? rv->feat.cboz_block : 0,
        .timebase_hz = rv->feat.timebase_hz,
        .plic_base = RV64_PLIC_BASE,
        .plic_size = rv->has_plic ? PLIC_SIZE(vm->vcpu_count) : 0,
        .plic_sources = RV64_PLIC_SOURCES,
        .imsic_base = RV64_IMSIC_BASE,
        .imsic_stride = RV64_IMSIC_SIZE,
        .imsic_ids = RV64_IMSIC_IDS,
        .aplic_base = RV64_APLIC_BASE,
        .aplic_size = RV64_APLIC_SIZE,
        .aplic_sources = RV64_APLIC_SOURCES,
        .bootargs = rv->cmdline,
        .initrd_start = rv->initrd_start,
        .initrd_end = rv->initrd_end,
        .devices = vm->devices,
        .device_count = vm->device_count,
        .uart_clock_hz = RV64_UART_CLOCK_HZ,
    };
    for (unsigned i = 0; i < vm->mem.count && i < RV64_DTB_MAX_MEMORY; i++) {
        cfg.memory[i].base = vm->mem.regions[i].gpa;
        cfg.memory[i].size = vm->mem.regions[i].size;
    }
    /* Written in place, in the DTB's slot of guest RAM: no buffer shared between VMs. */
    uint8_t *dtb = gmem_translate(&vm->mem, rv->dtb_addr, RV64_DTB_MAX_SIZE);
    if (dtb == NULL) {
        LOG_ERR("the device tree's slot at 0x%llx is not in guest RAM",
                (unsigned long long)rv->dtb_addr);
        return -STDVMM_EFAULT;
    }
    return rv64_dtb_build(&cfg, dtb, RV64_DTB_MAX_SIZE, &used);
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu)
{
    struct rv64_vcpu_config cfg = {.powered_off = vcpu->index != 0};
    int r = hv_rv64_vcpu_init(vcpu->hv, &cfg);

    if (r == 0 && vcpu->index == 0) {
        struct rv64_boot_regs regs = {.pc = vm->boot.entry, .a0 = 0, .a1 = vm->boot.arg};
        r = hv_rv64_vcpu_set_boot_regs(vcpu->hv, &regs);
    }
    /* The AIA is finished once the last vCPU exists: the machine layer creates them in order. */
    if (r == 0 && vcpu->index + 1 == vm->vcpu_count && !state(vm)->has_plic)
        r = hv_rv64_aia_init(vm->hv);
    return r;
}
