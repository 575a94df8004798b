/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The x86_64 arch hooks (include/stdvmm/arch.h): a PC without firmware. The
 * kernel is entered at its 64-bit entry point with boot_params, e820 and
 * ACPI tables prepared here; the in-kernel irqchip supplies the PIC, IOAPIC
 * and local APICs. Platform devices follow PC conventions so that Debian's
 * unmodified kernel finds them: COM1 at 0x3f8/IRQ 4, pvpanic at 0x505,
 * HW-reduced ACPI sleep registers at 0x600/0x601, reset register 0xcf9.
 */
#include <string.h>

#include "arch/x86_64/boot_cpu.h"
#include "arch/x86_64/boot_params.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/msrs.h"
#include "arch/x86_64/mptable.h"
#include "stdvmm/acpi.h"
#include "stdvmm/arch.h"
#include "stdvmm/devices/acpi_pm.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/i8042_reset.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_x86_64.h"
#include "stdvmm/log.h"

#define X86_SLEEP_CONTROL_PORT 0x600
#define X86_SLEEP_STATUS_PORT 0x601
#define X86_RESET_PORT 0xcf9 /* the PC reset control register; Linux's reboot=pci uses it too */
#define X86_RESET_VALUE 0x06 /* "full reset": system reset + CPU reset bits */
#define X86_S5_SLEEP_TYPE 5
#define X86_VIRTIO_IRQ_BASE 5
/* The top I/O APIC pin: virtio devices count up from X86_VIRTIO_IRQ_BASE. */
#define X86_POWER_BUTTON_GSI 23
/* Where a device's write is an interrupt message: 0xfee00000-0xfeefffff. */
#define X86_MSI_WINDOW_SIZE 0x100000u

#define CPUID_MAX_ENTRIES 300

/*
 * The real-mode reset vector (F000:FFF0). With HW-reduced ACPI and no EFI,
 * Linux's reboot falls through to BOOT_BIOS: it drops to real mode and jumps
 * here, where a PC's BIOS would reset the machine. stdvmm has no BIOS, so the
 * last page of the BIOS area holds a stub that does what the BIOS would:
 *   mov dx, 0x0cf9 ; mov al, 0x06 ; out dx, al ; hlt ; jmp $-1
 * The ACPI tables end before that page.
 */
#define X86_RESET_VECTOR_ADDR 0xffff0ull
#define X86_RESET_PAGE_ADDR 0xff000ull
#define X86_ACPI_AREA_SIZE (X86_RESET_PAGE_ADDR - X86_ACPI_TABLES_ADDR)
static const uint8_t reset_vector_stub[] = {
    0xba,
    X86_RESET_PORT & 0xff,
    X86_RESET_PORT >> 8, /* mov dx, X86_RESET_PORT */
    0xb0,
    X86_RESET_VALUE, /* mov al, X86_RESET_VALUE */
    0xee,            /* out dx, al */
    0xf4,            /* hlt */
    0xeb,
    0xfd, /* jmp hlt */
};
_Static_assert(X86_RESET_PAGE_ADDR > X86_ACPI_TABLES_ADDR &&
                   X86_RESET_VECTOR_ADDR + sizeof(reset_vector_stub) <= X86_BIOS_END,
               "the reset vector stub must sit above the ACPI tables, below 1 MiB");

/* The PC platform devices every VM has once, in struct vm's arch_state. */
struct x86_state {
    struct acpi_pm pm;
    struct i8042_reset kbd_reset;
};
_Static_assert(sizeof(struct x86_state) <= VM_ARCH_STATE_SIZE, "VM_ARCH_STATE_SIZE too small");

static struct x86_state *state(struct vm *vm)
{
    return (struct x86_state *)(void *)vm->arch_state;
}

static const struct arch_platform x86_platform = {
    .uart = {.kind = VM_DEV_SERIAL_8250,
             .base = SERIAL8250_COM1_PORT,
             .size = SERIAL8250_REG_COUNT,
             .is_pio = true,
             .irq = SERIAL8250_COM1_IRQ},
    .boot_timer = {.base = BOOT_TIMER_X86_PORT, .size = BOOT_TIMER_SIZE, .is_pio = true},
    .pvpanic = {.kind = VM_DEV_PVPANIC,
                .base = PVPANIC_X86_PORT,
                .size = PVPANIC_SIZE,
                .is_pio = true},
    .virtio_mmio_base = X86_VIRTIO_MMIO_BASE,
    .virtio_mmio_stride = X86_VIRTIO_MMIO_SIZE,
    .virtio_irq_base = X86_VIRTIO_IRQ_BASE,
    .power_button_irq = X86_POWER_BUTTON_GSI,
    .iommu_described = true, /* ACPI VIOT */
    .iommu_msi_base = ACPI_X86_LAPIC_ADDR,
    .iommu_msi_size = X86_MSI_WINDOW_SIZE,
};

const struct arch_platform *arch_platform(void)
{
    return &x86_platform;
}

uint64_t arch_min_ram(void)
{
    return X86_MIN_RAM;
}

int arch_vm_init(struct vm *vm)
{
    struct x86_state *x86 = state(vm);
    int r = hv_x86_create_irqchip(vm->hv);
    if (r == 0)
        r = hv_x86_create_pit(vm->hv);
    if (r < 0)
        return r;

    struct acpi_pm_config pm_cfg = {
        .vm = vm,
        .is_pio = true,
        .sleep_control_base = X86_SLEEP_CONTROL_PORT,
        .sleep_status_base = X86_SLEEP_STATUS_PORT,
        .reset_base = X86_RESET_PORT,
        .reset_value = X86_RESET_VALUE,
        .s5_sleep_type = X86_S5_SLEEP_TYPE,
    };
    r = acpi_pm_init(&x86->pm, &pm_cfg);
    if (r == 0)
        r = acpi_pm_register(&x86->pm, &vm->pio);
    if (r == 0)
        r = i8042_reset_init(&x86->kbd_reset, vm);
    if (r == 0)
        r = i8042_reset_register(&x86->kbd_reset, &vm->pio);
    return r;
}

/* The RAM regions as the arch code knows them, read back from the VM's memory map. */
static unsigned ram_ranges(const struct vm *vm, struct x86_ram_range *out, uint64_t *low_end)
{
    unsigned n = vm->mem.count;

    *low_end = 0;
    for (unsigned i = 0; i < n; i++) {
        out[i].gpa = vm->mem.regions[i].gpa;
        out[i].size = vm->mem.regions[i].size;
        if (out[i].gpa == 0)
            *low_end = out[i].size;
    }
    return n;
}

int arch_probe_kernel(const uint8_t *kernel, uint64_t size, enum vm_kernel_format format)
{
    struct x86_bzimage bz;

    if (format != VM_KERNEL_AUTO) {
        LOG_ERR("x86_64 boots bzImages only: the kernel format cannot be chosen");
        return -STDVMM_EINVAL;
    }
    return x86_bzimage_parse(kernel, size, &bz);
}

int arch_load_kernel(struct vm *vm, const struct vm_boot_images *images)
{
    struct x86_bzimage bz;
    struct x86_ram_range ram[GMEM_MAX_REGIONS];
    struct x86_e820_entry e820[X86_E820_MAX];
    uint8_t zero_page[X86_ZERO_PAGE_SIZE];
    unsigned e820_count;
    uint64_t low_end;
    int r;

    if (vm->opts.kernel_format != VM_KERNEL_AUTO)
        return arch_probe_kernel(images->kernel, images->kernel_size, vm->opts.kernel_format);
    if (vm->opts.kernel_addr_set) {
        LOG_ERR("kernel_addr: a bzImage is loaded where its header says; x86_64 has no raw "
                "kernels to place");
        return -STDVMM_EINVAL;
    }
    r = x86_bzimage_parse(images->kernel, images->kernel_size, &bz);
    if (r < 0)
        return r;
    r = x86_bzimage_load(&vm->mem, images->kernel, &bz);
    if (r < 0)
        return r;
    r = x86_cmdline_write(&vm->mem, &bz, images->cmdline);
    if (r < 0)
        return r;

    unsigned ram_count = ram_ranges(vm, ram, &low_end);
    struct x86_boot_config cfg = {
        .cmdline_addr = X86_CMDLINE_ADDR,
        .acpi_rsdp_addr = X86_ACPI_TABLES_ADDR, /* the RSDP opens the table area */
    };
    if (images->initrd != NULL && images->initrd_size != 0) {
        r = x86_initrd_place(&bz, images->initrd_size, low_end, &cfg.initrd_addr);
        if (r < 0)
            return r;
        r = gmem_write(&vm->mem, cfg.initrd_addr, images->initrd, images->initrd_size);
        if (r < 0)
            return r;
        cfg.initrd_size = images->initrd_size;
    }
    r = x86_e820_build(ram, ram_count, e820, X86_E820_MAX, &e820_count);
    if (r < 0)
        return r;
    cfg.e820 = e820;
    cfg.e820_count = e820_count;
    r = x86_boot_params_build(zero_page, images->kernel, &bz, &cfg);
    if (r < 0)
        return r;
    r = gmem_write(&vm->mem, X86_BOOT_PARAMS_ADDR, zero_page, sizeof(zero_page));
    if (r < 0)
        return r;
    r = x86_boot_cpu_write_tables(&vm->mem);
    if (r < 0)
        return r;
    vm->boot.entry = bz.entry64;
    vm->boot.arg = X86_BOOT_PARAMS_ADDR;
    return 0;
}

static int to_acpi_device(const struct vm_platform_device *d, unsigned *uid_by_kind,
                          struct acpi_device *out)
{
    memset(out, 0, sizeof(*out));
    switch (d->kind) {
    case VM_DEV_SERIAL_8250:
        out->hid = "PNP0501";
        break;
    case VM_DEV_PVPANIC:
        out->hid = "QEMU0001";
        break;
    case VM_DEV_VIRTIO_MMIO:
        out->hid = "LNRO0005";
        break;
    case VM_DEV_SHARED_REGION:
        out->hid = ACPI_SHARED_REGION_HID;
        out->mem_base = d->shm_gpa;
        out->mem_size = d->shm_size;
        out->mem_writable = true; /* what the guest may do is the register page's to say */
        break;
    default:
        LOG_ERR("platform device kind %d has no ACPI description", (int)d->kind);
        return -STDVMM_EINVAL;
    }
    if (d->iommu == VM_IOMMU_SELF)
        out->iommu = ACPI_IOMMU_SELF;
    else if (d->iommu == VM_IOMMU_ENDPOINT)
        out->iommu = ACPI_IOMMU_ENDPOINT;
    out->iommu_endpoint = d->iommu_endpoint;
    out->uid = uid_by_kind[d->kind]++;
    out->is_pio = d->is_pio;
    out->base = d->base;
    out->size = d->size;
    out->irq = d->irq;
    /* ISA-style and virtio-mmio lines are edge here; a region's follows its STATUS. */
    out->irq_level_triggered = d->kind == VM_DEV_SHARED_REGION;
    return 0;
}

int arch_setup_firmware(struct vm *vm)
{
    struct acpi_device devices[VM_MAX_PLATFORM_DEVICES];
    unsigned uid_by_kind[VM_DEV_SHARED_REGION + 1] = {0};
    struct acpi_platform p;
    size_t used;
    int r;

    for (unsigned i = 0; i < vm->device_count; i++) {
        r = to_acpi_device(&vm->devices[i], uid_by_kind, &devices[i]);
        if (r < 0)
            return r;
    }
    acpi_platform_init(&p);
    p.cpu_count = vm->vcpu_count;
    p.sleep_control_port = X86_SLEEP_CONTROL_PORT;
    p.sleep_status_port = X86_SLEEP_STATUS_PORT;
    p.s5_sleep_type = X86_S5_SLEEP_TYPE;
    p.reset_port = X86_RESET_PORT;
    p.reset_value = X86_RESET_VALUE;
    p.devices = devices;
    p.device_count = vm->device_count;
    p.power_button_gsi = X86_POWER_BUTTON_GSI;

    uint8_t *area = gmem_translate(&vm->mem, X86_ACPI_TABLES_ADDR, X86_ACPI_AREA_SIZE);
    if (area == NULL) {
        LOG_ERR("guest RAM does not cover the ACPI table area at 0x%llx",
                (unsigned long long)X86_ACPI_TABLES_ADDR);
        return -STDVMM_EFAULT;
    }
    r = acpi_build_tables(&p, area, X86_ACPI_AREA_SIZE, X86_ACPI_TABLES_ADDR, &used);
    if (r < 0)
        return r;
    uint8_t *mp = gmem_translate(&vm->mem, X86_MPTABLE_ADDR, X86_MPTABLE_AREA_SIZE);
    if (mp == NULL) {
        LOG_ERR("guest RAM does not cover the MP table area at 0x%llx",
                (unsigned long long)X86_MPTABLE_ADDR);
        return -STDVMM_EFAULT;
    }
    r = x86_mptable_build(mp, X86_MPTABLE_AREA_SIZE, X86_MPTABLE_ADDR, vm->vcpu_count, p.ioapic_id,
                          p.ioapic_addr, p.lapic_addr);
    if (r < 0)
        return r;
    return gmem_write(&vm->mem, X86_RESET_VECTOR_ADDR, reset_vector_stub,
                      sizeof(reset_vector_stub));
}

static int setup_cpuid(struct vm *vm, struct vcpu *vcpu)
{
    struct x86_cpuid_entry entries[CPUID_MAX_ENTRIES]; /* 8 KiB: x86 runs on Linux stacks only */
    unsigned n;
    int r = hv_x86_get_supported_cpuid(vm->hv, entries, CPUID_MAX_ENTRIES - 8, &n);

    if (r < 0)
        return r;
    r = x86_cpuid_complete(entries, n, CPUID_MAX_ENTRIES);
    if (r < 0)
        return r;
    n = (unsigned)r;
    r = x86_cpuid_configure(entries, n, vcpu->index, vm->vcpu_count);
    if (r < 0)
        return r;
    return hv_x86_vcpu_set_cpuid(vcpu->hv, entries, n);
}

int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu)
{
    struct x86_msr msrs[X86_BOOT_MSR_COUNT];
    int r = setup_cpuid(vm, vcpu);

    if (r < 0)
        return r;
    r = x86_boot_msrs(msrs, X86_BOOT_MSR_COUNT);
    if (r < 0)
        return r;
    r = hv_x86_vcpu_set_msrs(vcpu->hv, msrs, (unsigned)r);
    if (r == 0)
        r = hv_x86_vcpu_reset_fpu(vcpu->hv);
    if (r == 0)
        r = hv_x86_vcpu_setup_lapic(vcpu->hv);
    if (r < 0 || vcpu->index != 0)
        return r; /* application processors wait for INIT/SIPI in the in-kernel LAPIC */

    struct x86_regs regs;
    struct x86_sregs sregs;
    x86_boot_cpu_state(vm->boot.entry, vm->boot.arg, &regs, &sregs);
    r = hv_x86_vcpu_set_sregs(vcpu->hv, &sregs);
    if (r == 0)
        r = hv_x86_vcpu_set_regs(vcpu->hv, &regs);
    return r;
}
