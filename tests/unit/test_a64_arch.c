/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aarch64 arch hooks against a recording port: which optional features
 * (PMU, ITS, SVE, pointer authentication, MTE, the GIC version) a guest
 * gets from its options and the hypervisor's offer, the order in which the
 * port is asked for them (MTE and ITS before vCPUs, each PMU after the
 * vGIC's init), what the device tree then says, and where a raw kernel goes.
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

#include "arch/aarch64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/dtb.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_aarch64.h"
#include "arch_record.h"

static struct a64_hv_features offer;
static bool v2_only;
static struct a64_boot_regs boot;

int hv_a64_features(struct hv_vm *hvm, struct a64_hv_features *out)
{
    (void)hvm;
    *out = offer;
    return 0;
}

int hv_a64_enable_mte(struct hv_vm *hvm)
{
    (void)hvm;
    record("mte ");
    return 0;
}

int hv_a64_create_gic(struct hv_vm *hvm, const struct a64_gic_layout *gic)
{
    (void)hvm;
    if ((gic->version == A64_GIC_V3 && v2_only) || (gic->version == A64_GIC_V2 && !offer.gicv2))
        return -STDVMM_ENODEV;
    record("gic%d ", (int)gic->version);
    return 0;
}

int hv_a64_create_its(struct hv_vm *hvm, uint64_t base)
{
    (void)hvm;
    record("its@%llx ", (unsigned long long)base);
    return 0;
}

int hv_a64_gic_init(struct hv_vm *hvm)
{
    (void)hvm;
    record("gic_init ");
    return 0;
}

int hv_a64_vcpu_init(struct hv_vcpu *vcpu, const struct a64_vcpu_config *cfg)
{
    record("vcpu%u%s%s%s%s ", vcpu->index, cfg->powered_off ? ":off" : "", cfg->pmu ? ":pmu" : "",
           cfg->sve ? ":sve" : "", cfg->pauth ? ":pauth" : "");
    return 0;
}

int hv_a64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct a64_boot_regs *regs)
{
    (void)vcpu;
    boot = *regs;
    return 0;
}

int hv_a64_vcpu_pmu_init(struct hv_vcpu *vcpu, uint32_t ppi_intid)
{
    record("pmu%u@%u ", vcpu->index, ppi_intid);
    return 0;
}

static uint8_t flat[4096];
/* A second RAM region above 4 GiB, added before the one the kernel goes in; off by default. */
#define HIGH_GPA 0x100000000ull
static uint8_t high_ram[2ull << 20];
static bool with_high_ram;

static const struct a64_hv_features everything = {
    .pmu = true, .its = true, .sve = true, .pauth = true, .mte = true, .gicv2 = true};

/* arch_vm_init .. arch_vcpu_init for two vCPUs, as machine_build calls them. */
static int build(const struct vm_arch_options *opts)
{
    calls[0] = '\0';
    memset(&boot, 0, sizeof(boot));
    vm_init(&vm, "t", &hv, 2);
    vm.opts = *opts;
    if (with_high_ram && gmem_add_region(&vm.mem, HIGH_GPA, sizeof(high_ram), high_ram) != 0)
        return -1;
    if (gmem_add_region(&vm.mem, A64_RAM_BASE, RAM_SIZE, ram) != 0)
        return -1;
    int r = arch_vm_init(&vm);
    if (r < 0)
        return r;
    /* A headerless program: b . */
    memset(flat, 0, sizeof(flat));
    memcpy(flat, "\x00\x00\x00\x14", 4);
    struct vm_boot_images images = {.kernel = flat, .kernel_size = sizeof(flat), .cmdline = "x"};
    r = arch_load_kernel(&vm, &images);
    if (r == 0)
        r = arch_setup_firmware(&vm);
    return r == 0 ? init_vcpus() : r;
}

static void everything_offered_defaults(void **state)
{
    struct vm_arch_options opts = {0};

    (void)state;
    offer = everything;
    v2_only = false;
    assert_int_equal(build(&opts), 0);
    /* MTE stays off unless asked for; the ITS comes with the GICv3, before any vCPU. */
    assert_string_equal(calls, "gic3 its@8080000 vcpu0:pmu:sve:pauth vcpu1:off:pmu:sve:pauth "
                               "gic_init pmu0@23 pmu1@23 ");
    const void *fdt = dtb();
    int pmu = fdt_path_offset(fdt, "/pmu");
    assert_true(pmu >= 0);
    assert_int_equal(fdt_node_check_compatible(fdt, pmu, "arm,armv8-pmuv3"), 0);
    int its = fdt_path_offset(fdt, "/intc@8000000/msi-controller@8080000");
    assert_true(its >= 0);
    assert_int_equal(fdt_node_check_compatible(fdt, its, "arm,gic-v3-its"), 0);
    /* The raw program runs from its first byte, 512 KiB into RAM, with the tree in x0. */
    assert_int_equal(boot.pc, A64_RAM_BASE + 0x80000);
    assert_int_equal(boot.x0, vm.boot.arg);
    assert_memory_equal(gmem_translate(&vm.mem, boot.pc, 4), flat, 4);
}

static void hidden_and_required(void **state)
{
    struct vm_arch_options opts = {.pmu = VM_FEATURE_OFF,
                                   .its = VM_FEATURE_OFF,
                                   .sve = VM_FEATURE_OFF,
                                   .pauth = VM_FEATURE_OFF,
                                   .mte = VM_FEATURE_ON};

    (void)state;
    offer = everything;
    v2_only = false;
    assert_int_equal(build(&opts), 0);
    /* MTE is enabled before the vGIC and the vCPUs exist. */
    assert_string_equal(calls, "mte gic3 vcpu0 vcpu1:off gic_init ");
    const void *fdt = dtb();
    assert_true(fdt_path_offset(fdt, "/pmu") < 0);
    assert_true(fdt_path_offset(fdt, "/intc@8000000/msi-controller@8080000") < 0);

    /* Asked for and not offered: the VM is not built. */
    struct vm_arch_options want_pmu = {.pmu = VM_FEATURE_ON};
    offer = (struct a64_hv_features){.gicv2 = true};
    assert_int_equal(build(&want_pmu), -STDVMM_ENOTSUP);
    struct vm_arch_options want_its = {.its = VM_FEATURE_ON};
    assert_int_equal(build(&want_its), -STDVMM_ENOTSUP);
    struct vm_arch_options want_mte = {.mte = VM_FEATURE_ON};
    assert_int_equal(build(&want_mte), -STDVMM_ENOTSUP);
    /* Nothing offered, nothing asked: the base machine. */
    struct vm_arch_options none = {0};
    assert_int_equal(build(&none), 0);
    assert_string_equal(calls, "gic3 vcpu0 vcpu1:off gic_init ");
}

static void irqchip_choice(void **state)
{
    struct vm_arch_options v2 = {.irqchip = VM_IRQCHIP_GICV2};
    struct vm_arch_options v3 = {.irqchip = VM_IRQCHIP_GICV3};
    struct vm_arch_options v2_its = {.irqchip = VM_IRQCHIP_GICV2, .its = VM_FEATURE_ON};
    struct vm_arch_options dflt = {0};

    (void)state;
    offer = everything;
    v2_only = false;
    /* A GICv2 guest gets no ITS (AUTO), and an ITS cannot be forced on it. */
    assert_int_equal(build(&v2), 0);
    assert_string_equal(calls, "gic2 vcpu0:pmu:sve:pauth vcpu1:off:pmu:sve:pauth gic_init "
                               "pmu0@23 pmu1@23 ");
    const void *fdt = dtb();
    assert_int_equal(
        fdt_node_check_compatible(fdt, fdt_path_offset(fdt, "/intc@8000000"), "arm,gic-400"), 0);
    assert_int_equal(build(&v2_its), -STDVMM_ENOTSUP);
    /* A host that cannot emulate a GICv2 (the aarch64 test host): a clear refusal. */
    offer.gicv2 = false;
    assert_int_equal(build(&v2), -STDVMM_ENODEV);
    /* No GICv3: gicv3 fails, auto falls back to a GICv2 without an ITS. */
    v2_only = true;
    offer.gicv2 = true;
    assert_int_equal(build(&v3), -STDVMM_ENODEV);
    assert_int_equal(build(&dflt), 0);
    assert_string_equal(calls, "gic2 vcpu0:pmu:sve:pauth vcpu1:off:pmu:sve:pauth gic_init "
                               "pmu0@23 pmu1@23 ");
}

static void kernel_format_option(void **state)
{
    (void)state;
    uint8_t gz[64] = {0x1f, 0x8b, 0x08};
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_AUTO), -STDVMM_ENOEXEC);
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_RAW), 0);
    assert_int_equal(arch_probe_kernel(gz, sizeof(gz), VM_KERNEL_IMAGE), -STDVMM_ENOEXEC);
}

/* Reads the two-cell reg of the memory node at path into base and size. */
static void memory_node(const void *fdt, const char *path, uint64_t *base, uint64_t *size)
{
    int node = fdt_path_offset(fdt, path);
    int len = 0;
    assert_true(node >= 0);
    const void *reg = fdt_getprop(fdt, node, "reg", &len);
    assert_non_null(reg);
    assert_int_equal(len, 16);
    /* A property is only 4-byte aligned in the blob: copy before reading 64-bit cells. */
    fdt64_t cells[2];
    memcpy(cells, reg, sizeof(cells));
    *base = fdt64_to_cpu(cells[0]);
    *size = fdt64_to_cpu(cells[1]);
}

static void two_memory_regions_in_the_device_tree(void **state)
{
    struct vm_arch_options opts = {0};
    uint64_t base, size;

    (void)state;
    offer = everything;
    v2_only = false;
    with_high_ram = true;
    int r = build(&opts);
    with_high_ram = false;
    assert_int_equal(r, 0);
    /* The kernel and the DTB go in the lowest region even though it was added second. */
    assert_int_equal(vm.boot.entry, A64_RAM_BASE + 0x80000);
    assert_true(vm.boot.arg >= A64_RAM_BASE && vm.boot.arg < A64_RAM_BASE + RAM_SIZE);
    const void *fdt = dtb();
    memory_node(fdt, "/memory@40000000", &base, &size);
    assert_int_equal(base, A64_RAM_BASE);
    assert_int_equal(size, RAM_SIZE);
    memory_node(fdt, "/memory@100000000", &base, &size);
    assert_int_equal(base, HIGH_GPA);
    assert_int_equal(size, sizeof(high_ram));
}

static void memory_limits_keep_ram_out_of_the_devices(void **state)
{
    const struct memmap_limits *lim = arch_memory_limits();
    const struct memmap_range on_uart[] = {{A64_RAM_BASE, RAM_SIZE}, {A64_UART_BASE, A64_SZ_2M}};
    const struct memmap_range good[] = {{A64_RAM_BASE, RAM_SIZE}, {HIGH_GPA, A64_SZ_2M}};

    (void)state;
    assert_string_equal(lim->arch, "aarch64");
    assert_int_equal(memmap_check(lim, good, 2, NULL, NULL), 0);
    assert_int_equal(memmap_check(lim, on_uart, 2, NULL, NULL), -STDVMM_EINVAL);
    assert_int_equal(lim->max_regions, DTB_MAX_MEMORY);
}

/* A raw program linked at a fixed address is loaded and entered exactly there. */
static void raw_kernel_at_a_fixed_address(void **state)
{
    struct vm_arch_options opts = {.kernel_format = VM_KERNEL_RAW, .kernel_addr_set = true};
    uint32_t word = 0;

    (void)state;
    offer = everything;
    v2_only = false;
    opts.kernel_addr = A64_RAM_BASE + 0x300100; /* not where an Image would go */
    assert_int_equal(build(&opts), 0);
    assert_int_equal(vm.boot.entry, opts.kernel_addr);
    assert_int_equal(gmem_read(&vm.mem, opts.kernel_addr, &word, 4), 0);
    assert_int_equal(word, 0x14000000); /* b . */
    /* In a region other than the lowest; the DTB stays in the lowest. */
    with_high_ram = true;
    opts.kernel_addr = HIGH_GPA + 0x1000;
    int r = build(&opts);
    assert_int_equal(r, 0);
    assert_int_equal(vm.boot.entry, HIGH_GPA + 0x1000);
    assert_true(vm.boot.arg >= A64_RAM_BASE && vm.boot.arg < A64_RAM_BASE + RAM_SIZE);
    /* Past the end of that region, outside RAM, misaligned, or on the DTB's slot: refused. */
    opts.kernel_addr = HIGH_GPA + sizeof(high_ram) - 0x800;
    assert_int_equal(build(&opts), -STDVMM_EINVAL);
    with_high_ram = false;
    opts.kernel_addr = 0x20000000;
    assert_int_equal(build(&opts), -STDVMM_EINVAL);
    opts.kernel_addr = A64_RAM_BASE + 2;
    assert_int_equal(build(&opts), -STDVMM_EINVAL);
    opts.kernel_addr = A64_RAM_BASE + RAM_SIZE - 0x1000;
    assert_int_equal(build(&opts), -STDVMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(everything_offered_defaults),
        cmocka_unit_test(hidden_and_required),
        cmocka_unit_test(irqchip_choice),
        cmocka_unit_test(kernel_format_option),
        cmocka_unit_test(two_memory_regions_in_the_device_tree),
        cmocka_unit_test(memory_limits_keep_ram_out_of_the_devices),
        cmocka_unit_test(raw_kernel_at_a_fixed_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
