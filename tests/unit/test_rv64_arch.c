/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The riscv64 arch hooks against a recording port: the order in which the
 * port is asked (AIA before the vCPUs, its init after the last), the boot
 * registers (pc at the Image, a0 = hart 0, a1 = the tree), what the device
 * tree says about the harts' ISA from the hypervisor's offer, and the
 * refusals: RAW kernels, Arm irqchip choices; without an AIA, stdvmm's
 * PLIC in the tree and between the devices and the harts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "arch/riscv64/image.h"
#include "arch/riscv64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/bus.h"
#include "stdvmm/dtb_riscv64.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_riscv64.h"
#include "arch_record.h"

static struct rv64_hv_features offer;
static struct rv64_boot_regs boot;
static struct rv64_aia_layout aia_seen;

int hv_rv64_features(struct hv_vm *hvm, struct rv64_hv_features *out)
{
    (void)hvm;
    *out = offer;
    return 0;
}

int hv_rv64_create_aia(struct hv_vm *hvm, const struct rv64_aia_layout *aia)
{
    (void)hvm;
    aia_seen = *aia;
    record("aia ");
    return 0;
}

int hv_rv64_aia_init(struct hv_vm *hvm)
{
    (void)hvm;
    record("aia_init ");
    return 0;
}

int hv_rv64_vcpu_init(struct hv_vcpu *vcpu, const struct rv64_vcpu_config *cfg)
{
    record("vcpu%u%s ", vcpu->index, cfg->powered_off ? ":off" : "");
    return 0;
}

int hv_rv64_vcpu_set_external_irq(struct hv_vcpu *vcpu, bool level)
{
    record("ext%u=%d ", vcpu->index, level);
    return 0;
}

int hv_rv64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct rv64_boot_regs *regs)
{
    record("regs%u ", vcpu->index);
    boot = *regs;
    return 0;
}

static uint8_t kernel[8192];
static const uint8_t initrd[] = "07070100initramfs";

#define BIT(e) (1ull << (e))
/* What KVM on QEMU's rv64 with H gives a new vCPU (H itself stays the host's). */
static const struct rv64_hv_features qemu_like = {
    .ext = BIT(RV64_EXT_I) | BIT(RV64_EXT_M) | BIT(RV64_EXT_A) | BIT(RV64_EXT_F) | BIT(RV64_EXT_D) |
           BIT(RV64_EXT_C) | BIT(RV64_EXT_H) | BIT(RV64_EXT_ZICSR) | BIT(RV64_EXT_ZIFENCEI) |
           BIT(RV64_EXT_ZICBOM) | BIT(RV64_EXT_SSTC) | BIT(RV64_EXT_SSAIA),
    .timebase_hz = 10000000,
    .satp_mode = 10,
    .cbom_block = 64,
    .aia = true,
};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A second RAM region above the first, added before it, when with_high says so. */
#define HIGH_GPA (1ull << 33)
static uint8_t high_ram[RV64_SZ_2M] __attribute__((aligned(4096)));
static bool with_high;

/* arch_vm_init .. arch_vcpu_init for two vCPUs, as machine_build calls them. */
static int build(const struct vm_arch_options *opts)
{
    calls[0] = '\0';
    memset(&boot, 0, sizeof(boot));
    vm_init(&vm, "t", &hv, 2);
    vm.opts = *opts;
    struct arch_memory_plan plan;
    assert_int_equal(arch_plan_memory(RAM_SIZE, &plan), 0);
    assert_int_equal(plan.ram[0].gpa, RV64_RAM_BASE);
    if (with_high && gmem_add_region(&vm.mem, HIGH_GPA, RV64_SZ_2M, high_ram) != 0)
        return -1;
    if (gmem_add_region(&vm.mem, plan.ram[0].gpa, RAM_SIZE, ram) != 0)
        return -1;
    int r = arch_vm_init(&vm);
    if (r < 0)
        return r;
    memset(kernel, 0, sizeof(kernel));
    put32(kernel + 8, 0x200000);  /* text_offset */
    put32(kernel + 16, 0x100000); /* image_size */
    put32(kernel + 32, 2);        /* header 0.2 */
    put32(kernel + RV64_IMAGE_MAGIC2_OFFSET, RV64_IMAGE_MAGIC2);
    struct vm_boot_images images = {.kernel = kernel,
                                    .kernel_size = sizeof(kernel),
                                    .initrd = initrd,
                                    .initrd_size = sizeof(initrd),
                                    .cmdline = "console=ttyS0 earlycon"};
    r = arch_load_kernel(&vm, &images);
    if (r == 0) {
        const struct arch_platform *p = arch_platform();
        vm.devices[0] = p->uart;
        vm.devices[1] = (struct vm_platform_device){.kind = VM_DEV_VIRTIO_MMIO,
                                                    .base = p->virtio_mmio_base,
                                                    .size = p->virtio_mmio_stride,
                                                    .irq = p->virtio_irq_base};
        vm.device_count = 2;
        r = arch_setup_firmware(&vm);
    }
    return r == 0 ? init_vcpus() : r;
}

static const char *str(const void *fdt, const char *path, const char *name)
{
    int off = fdt_path_offset(fdt, path);
    assert_true(off >= 0);
    const char *v = fdt_getprop(fdt, off, name, NULL);
    if (v == NULL)
        fail_msg("no %s in %s", name, path);
    return v;
}

static void boots_with_aia(void **state)
{
    struct vm_arch_options opts = {0};

    (void)state;
    offer = qemu_like;
    assert_int_equal(build(&opts), 0);
    assert_string_equal(calls, "aia vcpu0 regs0 vcpu1:off aia_init ");
    assert_int_equal(aia_seen.aplic_base, RV64_APLIC_BASE);
    assert_int_equal(aia_seen.imsic_base, RV64_IMSIC_BASE);
    assert_int_equal(aia_seen.harts, 2);
    assert_int_equal(aia_seen.sources, RV64_APLIC_SOURCES);
    /* The Image goes text_offset above the start of RAM; the tree sits in the top 2 MiB. */
    assert_int_equal(boot.pc, RV64_RAM_BASE + 0x200000);
    assert_int_equal(boot.a0, 0);
    assert_int_equal(boot.a1, RV64_RAM_BASE + RAM_SIZE - RV64_SZ_2M);
    assert_int_equal(boot.a1, vm.boot.arg);

    const void *fdt = dtb();
    /* H is the host's: naming it would send the guest kernel looking for a hypervisor. */
    assert_string_equal(str(fdt, "/cpus/cpu@1", "riscv,isa"),
                        "rv64imafdc_zicbom_zicsr_zifencei_ssaia_sstc");
    assert_string_equal(str(fdt, "/cpus/cpu@0", "mmu-type"), "riscv,sv57");
    int len;
    const char *ext =
        fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "riscv,isa-extensions", &len);
    assert_non_null(ext);
    static const char want[] = "i\0m\0a\0f\0d\0c\0zicbom\0zicsr\0zifencei\0ssaia\0sstc";
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(ext, want, sizeof(want));
    const fdt32_t *cbom =
        fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "riscv,cbom-block-size", &len);
    assert_non_null(cbom);
    assert_int_equal(fdt32_to_cpu(*cbom), 64);
    /* No Zicboz offered: no block size stated for it. */
    assert_null(
        fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "riscv,cboz-block-size", &len));
    assert_string_equal(str(fdt, "/chosen", "bootargs"), "console=ttyS0 earlycon");
    const fdt64_t *start =
        fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-start", &len);
    assert_non_null(start);
    uint64_t initrd_at = fdt64_to_cpu(*start);
    assert_memory_equal(gmem_translate(&vm.mem, initrd_at, sizeof(initrd)), initrd, sizeof(initrd));
    assert_true(initrd_at >= boot.pc + 0x100000);
    assert_true(initrd_at + sizeof(initrd) <= boot.a1);
    assert_string_equal(str(fdt, "/chosen", "stdout-path"), "/serial@9000000");
    assert_string_equal(str(fdt, "/virtio_mmio@a000000", "compatible"), "virtio,mmio");
}

static uint32_t cell(const void *fdt, const char *path, const char *name, int index)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, fdt_path_offset(fdt, path), name, &len);
    if (v == NULL || len < 4 * (index + 1))
        fail_msg("no cell %d of %s in %s", index, name, path);
    return fdt32_to_cpu(v[index]);
}

static uint32_t mmio32(uint64_t addr, const uint32_t *write)
{
    uint8_t b[4] = {0};
    if (write != NULL) {
        for (int i = 0; i < 4; i++)
            b[i] = (uint8_t)(*write >> (8 * i));
        assert_int_equal(bus_write(&vm.mmio, addr, b, 4), 0);
        return 0;
    }
    assert_int_equal(bus_read(&vm.mmio, addr, b, 4), 0);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/*
 * No in-kernel AIA: stdvmm's PLIC, in the tree (one context per hart, the
 * root's interrupt parent, one-cell specifiers) and on the bus, and device
 * lines reach the programmed hart's external interrupt through the port.
 */
static void boots_with_plic(void **state)
{
    struct vm_arch_options opts = {0};

    (void)state;
    offer = qemu_like;
    offer.aia = false;
    offer.ext &= ~BIT(RV64_EXT_SSAIA);
    assert_int_equal(build(&opts), 0);
    assert_string_equal(calls, "vcpu0 regs0 vcpu1:off ");

    const void *fdt = dtb();
    assert_true(fdt_path_offset(fdt, "/aplic@d000000") < 0);
    assert_true(fdt_path_offset(fdt, "/imsics@28000000") < 0);
    const char *plic = "/plic@c000000";
    assert_int_equal(fdt_node_check_compatible(fdt, fdt_path_offset(fdt, plic), "riscv,plic0"), 0);
    assert_int_equal(
        fdt_node_check_compatible(fdt, fdt_path_offset(fdt, plic), "sifive,plic-1.0.0"), 0);
    assert_int_equal(cell(fdt, plic, "riscv,ndev", 0), RV64_PLIC_SOURCES);
    assert_int_equal(cell(fdt, plic, "#interrupt-cells", 0), 1);
    /* Context n: hart n's local controller, supervisor external interrupt (9). */
    assert_int_equal(cell(fdt, plic, "interrupts-extended", 2),
                     cell(fdt, "/cpus/cpu@1/interrupt-controller", "phandle", 0));
    assert_int_equal(cell(fdt, plic, "interrupts-extended", 3), 9);
    /* Each device names the PLIC; the root does not (the harts' controllers would find it). */
    assert_int_equal(cell(fdt, "/serial@9000000", "interrupt-parent", 0),
                     cell(fdt, plic, "phandle", 0));
    assert_int_equal(cell(fdt, "/virtio_mmio@a000000", "interrupt-parent", 0),
                     cell(fdt, plic, "phandle", 0));
    assert_null(fdt_getprop(fdt, 0, "interrupt-parent", NULL));
    int len;
    assert_non_null(
        fdt_getprop(fdt, fdt_path_offset(fdt, "/virtio_mmio@a000000"), "interrupts", &len));
    assert_int_equal(len, 4);
    assert_int_equal(cell(fdt, "/virtio_mmio@a000000", "interrupts", 0), RV64_VIRTIO_IRQ_BASE);

    /* The guest gives the virtio source a priority and enables it for hart 1's context. */
    uint32_t prio = 1, on = 1u << RV64_VIRTIO_IRQ_BASE;
    mmio32(RV64_PLIC_BASE + 4 * RV64_VIRTIO_IRQ_BASE, &prio);
    mmio32(RV64_PLIC_BASE + 0x2000 + 0x80, &on);
    calls[0] = '\0';
    assert_int_equal(vm_set_irq_line(&vm, RV64_VIRTIO_IRQ_BASE, true), 0);
    assert_int_equal(vm_set_irq_line(&vm, RV64_VIRTIO_IRQ_BASE, false), 0);
    assert_string_equal(calls, "ext1=1 ");
    assert_int_equal(mmio32(RV64_PLIC_BASE + 0x200000 + 0x1000 + 4, NULL), RV64_VIRTIO_IRQ_BASE);
    assert_string_equal(calls, "ext1=1 ext1=0 ");
    /* What the guest enabled is what vm_irq_target reads back: hart 1. */
    unsigned target = 0;
    assert_int_equal(vm_irq_target(&vm, RV64_VIRTIO_IRQ_BASE, &target), 0);
    assert_int_equal(target, 1);
    assert_int_equal(vm_irq_target(&vm, RV64_VIRTIO_IRQ_BASE + 1, &target), -STDVMM_ENOENT);
    /* A source beyond the PLIC's is refused, not wrapped onto another. */
    assert_int_equal(vm_set_irq_line(&vm, RV64_PLIC_SOURCES + 1, true), -STDVMM_EINVAL);
}

/*
 * RAM in two regions, the higher one first: the kernel, initramfs and tree
 * go in the lowest, and the tree names both regions.
 */
static void two_ram_regions(void **state)
{
    struct vm_arch_options opts = {0};

    (void)state;
    offer = qemu_like;
    with_high = true;
    assert_int_equal(build(&opts), 0);
    with_high = false;
    assert_int_equal(boot.pc, RV64_RAM_BASE + 0x200000);
    assert_int_equal(boot.a1, RV64_RAM_BASE + RAM_SIZE - RV64_SZ_2M);
    const void *fdt = dtb();
    assert_int_equal(cell(fdt, "/memory@80000000", "reg", 1), RV64_RAM_BASE);
    assert_int_equal(cell(fdt, "/memory@80000000", "reg", 3), RAM_SIZE);
    assert_int_equal(cell(fdt, "/memory@200000000", "reg", 0), HIGH_GPA >> 32);
    assert_int_equal(cell(fdt, "/memory@200000000", "reg", 3), RV64_SZ_2M);
}

static void refusals(void **state)
{
    struct vm_arch_options dflt = {0};

    (void)state;
    /* A hart without A (atomics) cannot run Linux. */
    offer = qemu_like;
    offer.ext &= ~BIT(RV64_EXT_A);
    assert_int_equal(build(&dflt), -STDVMM_EINVAL);
    /* Bare (no paging) is no MMU type a kernel can use. */
    offer = qemu_like;
    offer.satp_mode = 0;
    assert_int_equal(build(&dflt), -STDVMM_ENOTSUP);
    /* GIC choices are Arm's. */
    offer = qemu_like;
    struct vm_arch_options gic = {.irqchip = VM_IRQCHIP_GICV3};
    assert_int_equal(build(&gic), -STDVMM_EINVAL);
    /* RAM off the 2 MiB grid or too small. */
    struct arch_memory_plan plan;
    assert_int_equal(arch_plan_memory(RAM_SIZE + 4096, &plan), -STDVMM_EINVAL);
    assert_int_equal(arch_plan_memory(32ull << 20, &plan), -STDVMM_EINVAL);
}

static void kernel_format_option(void **state)
{
    (void)state;
    uint8_t gz[64] = {0x1f, 0x8b, 0x08};
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_AUTO), -STDVMM_ENOEXEC);
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_IMAGE), -STDVMM_ENOEXEC);
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_RAW), -STDVMM_ENOTSUP);
}

static void memory_limits(void **state)
{
    const struct memmap_limits *lim = arch_memory_limits();
    const struct memmap_range one[] = {{RV64_RAM_BASE + RV64_SZ_2M, 64ull << 20}};
    const struct memmap_range two[] = {{RV64_RAM_BASE, 64ull << 20}, {1ull << 33, RV64_SZ_2M}};
    const struct memmap_range five[] = {{RV64_RAM_BASE, 64ull << 20},
                                        {1ull << 33, RV64_SZ_2M},
                                        {(1ull << 33) + (4ull << 20), RV64_SZ_2M},
                                        {(1ull << 33) + (8ull << 20), RV64_SZ_2M},
                                        {(1ull << 33) + (12ull << 20), RV64_SZ_2M}};
    const struct memmap_range on_imsic[] = {{RV64_IMSIC_BASE, 64ull << 20}};

    (void)state;
    assert_string_equal(lim->arch, "riscv64");
    assert_int_equal(memmap_check(lim, one, 1, NULL, NULL), 0);
    assert_int_equal(memmap_check(lim, two, 2, NULL, NULL), 0);
    /* The device tree holds RV64_DTB_MAX_MEMORY memory nodes. */
    assert_int_equal(memmap_check(lim, five, 5, NULL, NULL), -STDVMM_EINVAL);
    assert_int_equal(memmap_check(lim, on_imsic, 1, NULL, NULL), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boots_with_aia),       cmocka_unit_test(boots_with_plic),
        cmocka_unit_test(two_ram_regions),      cmocka_unit_test(refusals),
        cmocka_unit_test(kernel_format_option), cmocka_unit_test(memory_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
