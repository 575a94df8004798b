/* SPDX-License-Identifier: BSD-2-Clause */
/* The device tree builder, read back with libfdt: what Linux will find in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "stdvmm/dtb.h"
#include "stdvmm/error.h"
#include "support/dtb_sample.h"

static uint8_t blob[0x10000];

static void build(unsigned gic_version)
{
    struct dtb_config cfg;
    uint32_t used = 0;

    dtb_sample_config(&cfg, gic_version);
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), 0);
    assert_int_equal(fdt_check_header(blob), 0);
    assert_int_equal(used, fdt_totalsize(blob));
}

static int node(const char *path)
{
    int off = fdt_path_offset(blob, path);
    if (off < 0)
        fail_msg("no node %s: %s", path, fdt_strerror(off));
    return off;
}

static const char *str(const char *path, const char *name)
{
    int len;
    const char *v = fdt_getprop(blob, node(path), name, &len);
    if (v == NULL)
        fail_msg("no property %s in %s", name, path);
    return v;
}

static uint32_t cell(const char *path, const char *name, int index)
{
    int len;
    const fdt32_t *v = fdt_getprop(blob, node(path), name, &len);
    if (v == NULL || len < (index + 1) * 4)
        fail_msg("property %s of %s has no cell %d", name, path, index);
    return fdt32_to_cpu(v[index]);
}

static uint64_t cell64(const char *path, const char *name, int index)
{
    return (uint64_t)cell(path, name, 2 * index) << 32 | cell(path, name, 2 * index + 1);
}

static void root_memory_and_chosen(void **s)
{
    (void)s;
    build(3);
    assert_int_equal(cell("/", "#address-cells", 0), 2);
    assert_int_equal(cell("/", "#size-cells", 0), 2);
    assert_int_equal(cell("/", "interrupt-parent", 0), DTB_GIC_PHANDLE);
    assert_string_equal(str("/memory@40000000", "device_type"), "memory");
    assert_int_equal(cell64("/memory@40000000", "reg", 0), SAMPLE_RAM_BASE);
    assert_int_equal(cell64("/memory@40000000", "reg", 1), SAMPLE_RAM_SIZE);
    assert_string_equal(str("/chosen", "bootargs"), SAMPLE_BOOTARGS);
    assert_int_equal(cell64("/chosen", "linux,initrd-start", 0), SAMPLE_INITRD_START);
    assert_int_equal(cell64("/chosen", "linux,initrd-end", 0), SAMPLE_INITRD_END);
    /* stdout-path must name a node that exists: Linux's earlycon and console follow it. */
    assert_string_equal(str("/chosen", "stdout-path"), "/serial@9000000");
    node(str("/chosen", "stdout-path"));
}

static void cpus_psci_timer(void **s)
{
    (void)s;
    build(3);
    assert_int_equal(cell("/cpus", "#address-cells", 0), 1);
    assert_int_equal(cell("/cpus/cpu@0", "reg", 0), 0);
    assert_int_equal(cell("/cpus/cpu@1", "reg", 0), 1);
    assert_string_equal(str("/cpus/cpu@1", "enable-method"), "psci");
    assert_string_equal(str("/cpus/cpu@1", "device_type"), "cpu");
    assert_int_equal(fdt_node_check_compatible(blob, node("/psci"), "arm,psci-0.2"), 0);
    assert_string_equal(str("/psci", "method"), "hvc");
    assert_int_equal(fdt_node_check_compatible(blob, node("/timer"), "arm,armv8-timer"), 0);
    /* Secure, physical, virtual, hypervisor PPIs, level-high; no CPU mask on GICv3. */
    static const uint32_t ppis[4] = {13, 14, 11, 10};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cell("/timer", "interrupts", 3 * i), DTB_GIC_PPI);
        assert_int_equal(cell("/timer", "interrupts", 3 * i + 1), ppis[i]);
        assert_int_equal(cell("/timer", "interrupts", 3 * i + 2), DTB_IRQ_LEVEL_HIGH);
    }
}

static void gic_v3(void **s)
{
    (void)s;
    build(3);
    int gic = fdt_node_offset_by_phandle(blob, DTB_GIC_PHANDLE);
    assert_int_equal(gic, node("/intc@8000000"));
    assert_int_equal(fdt_node_check_compatible(blob, gic, "arm,gic-v3"), 0);
    assert_non_null(fdt_getprop(blob, gic, "interrupt-controller", NULL));
    assert_int_equal(cell("/intc@8000000", "#interrupt-cells", 0), 3);
    assert_int_equal(cell64("/intc@8000000", "reg", 0), 0x08000000);
    assert_int_equal(cell64("/intc@8000000", "reg", 1), 0x10000);
    assert_int_equal(cell64("/intc@8000000", "reg", 2), 0x080a0000);
    assert_int_equal(cell64("/intc@8000000", "reg", 3), 2 * 0x20000);
}

static void its_and_pmu(void **s)
{
    struct dtb_config cfg;
    uint32_t used = 0;

    (void)s;
    dtb_sample_config(&cfg, 3);
    dtb_sample_its_pmu(&cfg);
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), 0);
    /* The GIC node now has a child in the root's address space. */
    assert_int_equal(cell("/intc@8000000", "#address-cells", 0), 2);
    assert_int_equal(cell("/intc@8000000", "#size-cells", 0), 2);
    int len = -1;
    assert_non_null(fdt_getprop(blob, node("/intc@8000000"), "ranges", &len));
    assert_int_equal(len, 0);
    int its = node("/intc@8000000/msi-controller@8080000");
    assert_int_equal(fdt_node_check_compatible(blob, its, "arm,gic-v3-its"), 0);
    assert_non_null(fdt_getprop(blob, its, "msi-controller", NULL));
    assert_int_equal(cell64("/intc@8000000/msi-controller@8080000", "reg", 0), SAMPLE_ITS_BASE);
    assert_int_equal(cell64("/intc@8000000/msi-controller@8080000", "reg", 1), 0x20000);
    assert_int_equal(fdt_node_offset_by_phandle(blob, DTB_ITS_PHANDLE), its);
    /* PMUv3 on PPI 7 (INTID 23), level, as the timer's PPIs are. */
    assert_int_equal(fdt_node_check_compatible(blob, node("/pmu"), "arm,armv8-pmuv3"), 0);
    assert_int_equal(cell("/pmu", "interrupts", 0), DTB_GIC_PPI);
    assert_int_equal(cell("/pmu", "interrupts", 1), 7);
    assert_int_equal(cell("/pmu", "interrupts", 2), DTB_IRQ_LEVEL_HIGH);

    /* Without them: no child, no PMU. */
    build(3);
    assert_int_equal(cell("/intc@8000000", "#address-cells", 0), 0);
    assert_true(fdt_path_offset(blob, "/pmu") < 0);
    assert_true(fdt_subnode_offset(blob, node("/intc@8000000"), "msi-controller@8080000") < 0);

    /* A GICv2 has no ITS; a PMU there names its CPUs like the timer. */
    dtb_sample_config(&cfg, 2);
    cfg.gic.its_base = SAMPLE_ITS_BASE;
    cfg.gic.its_size = 0x20000;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), -STDVMM_EINVAL);
    cfg.gic.its_size = 0;
    cfg.pmu_ppi = 7;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), 0);
    assert_int_equal(cell("/pmu", "interrupts", 2), DTB_IRQ_LEVEL_HIGH | (0x3 << 8));
    cfg.pmu_ppi = 16; /* PPIs are 0..15 */
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), -STDVMM_EINVAL);
}

static void gic_v2_and_its_timer_cpu_mask(void **s)
{
    (void)s;
    build(2);
    assert_int_equal(fdt_node_check_compatible(blob, node("/intc@8000000"), "arm,gic-400"), 0);
    assert_int_equal(cell64("/intc@8000000", "reg", 2), 0x08010000);
    assert_int_equal(cell64("/intc@8000000", "reg", 3), 0x2000);
    assert_int_equal(cell("/timer", "interrupts", 2), DTB_IRQ_LEVEL_HIGH | (0x3 << 8));
}

static void devices(void **s)
{
    (void)s;
    build(3);
    assert_string_equal(str("/serial@9000000", "compatible"), "ns16550a");
    assert_int_equal(cell64("/serial@9000000", "reg", 0), 0x09000000);
    assert_int_equal(cell64("/serial@9000000", "reg", 1), 8);
    /* THR is the byte at the base: the one-byte buffered-write zone (machine.c) holds the access.
     */
    assert_int_equal(cell("/serial@9000000", "reg-shift", 0), 0);
    assert_int_equal(cell("/serial@9000000", "reg-io-width", 0), 1);
    assert_int_equal(cell("/serial@9000000", "clock-frequency", 0), 1843200);
    assert_int_equal(cell("/serial@9000000", "interrupts", 0), DTB_GIC_SPI);
    assert_int_equal(cell("/serial@9000000", "interrupts", 1), 1);
    assert_int_equal(cell("/serial@9000000", "interrupts", 2), DTB_IRQ_LEVEL_HIGH);
    assert_string_equal(str("/pvpanic@9020000", "compatible"), "qemu,pvpanic-mmio");
    assert_null(fdt_getprop(blob, node("/pvpanic@9020000"), "interrupts", NULL));
    /* One node per virtio-mmio device, found the way Linux's virtio_mmio driver finds them. */
    int n = 0;
    for (int off = fdt_node_offset_by_compatible(blob, -1, "virtio,mmio"); off >= 0;
         off = fdt_node_offset_by_compatible(blob, off, "virtio,mmio"))
        n++;
    assert_int_equal(n, 3);
    assert_int_equal(cell64("/virtio_mmio@a001000", "reg", 0), 0x0a001000);
    assert_int_equal(cell("/virtio_mmio@a001000", "interrupts", 1), 17);
    assert_int_equal(cell("/virtio_mmio@a001000", "interrupts", 2), DTB_IRQ_EDGE_RISING);
}

/*
 * A passed-through board device: a bus node whose dma-ranges map the VM's
 * RAM (CPU side) to where it is in host memory (device side), so that
 * Linux's DMA API hands the device host physical addresses.
 */
static void passthrough_device(void **s)
{
    (void)s;
    build(2);
    const char *bus = "/passthrough@c000e00";
    assert_int_equal(fdt_node_check_compatible(blob, node(bus), "simple-bus"), 0);
    assert_int_equal(cell64(bus, "ranges", 0), 0x0c000e00); /* the registers, 1:1 */
    assert_int_equal(cell64(bus, "ranges", 1), 0x0c000e00);
    assert_int_equal(cell64(bus, "ranges", 2), 0x200);
    assert_int_equal(cell64(bus, "dma-ranges", 0), 0x60000000); /* device address */
    assert_int_equal(cell64(bus, "dma-ranges", 1), 0x40000000); /* guest address */
    assert_int_equal(cell64(bus, "dma-ranges", 2), 0x20000000);
    const char *dev = "/passthrough@c000e00/virtio_mmio@c000e00";
    assert_string_equal(str(dev, "compatible"), "virtio,mmio");
    assert_int_equal(cell64(dev, "reg", 0), 0x0c000e00);
    assert_int_equal(cell64(dev, "reg", 1), 0x200);
    assert_int_equal(cell(dev, "interrupts", 1), 64);
    /* The hardware's line is a level; no claim that the device snoops caches. */
    assert_int_equal(cell(dev, "interrupts", 2), DTB_IRQ_LEVEL_HIGH);
    assert_null(fdt_getprop(blob, node(dev), "dma-coherent", NULL));
}

/*
 * Linux's virtio-iommu binding: the IOMMU's node is an IOMMU with one cell
 * and a phandle, a device behind it names that phandle and its endpoint ID.
 */
static void virtio_iommu(void **s)
{
    struct dtb_config cfg;
    struct vm_platform_device devs[16];
    uint32_t used = 0;
    (void)s;
    dtb_sample_config(&cfg, 3);
    assert_true(cfg.device_count <= 16);
    memcpy(devs, cfg.devices, cfg.device_count * sizeof(devs[0]));
    for (unsigned i = 0; i < cfg.device_count; i++) {
        if (devs[i].base == 0x0a000000)
            devs[i].iommu = VM_IOMMU_SELF;
        if (devs[i].base == 0x0a001000) {
            devs[i].iommu = VM_IOMMU_ENDPOINT;
            devs[i].iommu_endpoint = 5;
        }
    }
    cfg.devices = devs;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), 0);
    const char *iommu = "/virtio_mmio@a000000", *ep = "/virtio_mmio@a001000";
    assert_int_equal(cell(iommu, "#iommu-cells", 0), 1);
    uint32_t phandle = cell(iommu, "phandle", 0);
    assert_int_equal(fdt_node_offset_by_phandle(blob, phandle), node(iommu));
    assert_int_equal(cell(ep, "iommus", 0), phandle);
    assert_int_equal(cell(ep, "iommus", 1), 5);
    assert_null(fdt_getprop(blob, node(iommu), "iommus", NULL));
    /* The phandle is nobody else's. */
    int off = -1, holders = 0;
    while ((off = fdt_next_node(blob, off, NULL)) >= 0)
        holders += fdt_get_phandle(blob, off) == phandle;
    assert_int_equal(holders, 1);
    /* Without an IOMMU nothing of it appears. */
    build(3);
    assert_null(fdt_getprop(blob, node(ep), "iommus", NULL));
    assert_null(fdt_getprop(blob, node(iommu), "#iommu-cells", NULL));
}

/* Both ranges (registers, then memory) and the name, found by compatible. */
static void shared_region(void **s)
{
    (void)s;
    build(3);
    const char *dev = "/shared-region@a00f000";
    int off = fdt_node_offset_by_compatible(blob, -1, "stdvmm,shared-region");
    assert_int_equal(off, node(dev));
    assert_int_equal(cell64(dev, "reg", 0), 0x0a00f000);
    assert_int_equal(cell64(dev, "reg", 1), 0x1000);
    assert_int_equal(cell64(dev, "reg", 2), 0x100000000ull);
    assert_int_equal(cell64(dev, "reg", 3), 0x200000);
    assert_string_equal(str(dev, "label"), "chan");
    int len;
    const char *names = fdt_getprop(blob, node(dev), "reg-names", &len);
    assert_int_equal(len, sizeof("registers") + sizeof("memory"));
    assert_string_equal(names, "registers");
    assert_string_equal(names + sizeof("registers"), "memory");
    /* Level: the line follows STATUS until the guest clears it. */
    assert_int_equal(cell(dev, "interrupts", 1), 31);
    assert_int_equal(cell(dev, "interrupts", 2), DTB_IRQ_LEVEL_HIGH);
}

static void pl031_and_its_clock(void **s)
{
    (void)s;
    build(3);
    int rtc = node("/rtc@9030000");
    assert_int_equal(fdt_node_check_compatible(blob, rtc, "arm,pl031"), 0);
    assert_int_equal(fdt_node_check_compatible(blob, rtc, "arm,primecell"), 0);
    assert_int_equal(cell64("/rtc@9030000", "reg", 0), 0x09030000);
    assert_int_equal(cell64("/rtc@9030000", "reg", 1), 0x1000);
    assert_int_equal(cell("/rtc@9030000", "interrupts", 0), DTB_GIC_SPI);
    assert_int_equal(cell("/rtc@9030000", "interrupts", 1), 2);
    assert_int_equal(cell("/rtc@9030000", "interrupts", 2), DTB_IRQ_LEVEL_HIGH);
    assert_string_equal(str("/rtc@9030000", "clock-names"), "apb_pclk");
    /* Linux's AMBA bus enables that clock before it probes the device. */
    int clk = fdt_node_offset_by_phandle(blob, cell("/rtc@9030000", "clocks", 0));
    assert_int_equal(clk, node("/apb-pclk"));
    assert_int_equal(fdt_node_check_compatible(blob, clk, "fixed-clock"), 0);
    assert_int_equal(cell("/apb-pclk", "#clock-cells", 0), 0);
}

static void panic_record(void **s)
{
    (void)s;
    build(3);
    const char *p = "/reserved-memory/ramoops@5fc00000";
    assert_string_equal(str(p, "compatible"), "ramoops");
    assert_int_equal(cell64(p, "reg", 0), SAMPLE_RECORD_BASE);
    assert_int_equal(cell(p, "record-size", 0), 0x10000);
    assert_int_equal(cell(p, "max-reason", 0), 1);
}

static void refuses_what_it_cannot_describe(void **s)
{
    struct dtb_config cfg;
    uint32_t used;
    struct vm_platform_device pio = {.kind = VM_DEV_SERIAL_8250, .base = 0x3f8, .is_pio = true};

    (void)s;
    dtb_sample_config(&cfg, 3);
    cfg.devices = &pio;
    cfg.device_count = 1;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), -STDVMM_EINVAL);
    dtb_sample_config(&cfg, 4);
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), -STDVMM_EINVAL);
    dtb_sample_config(&cfg, 3);
    cfg.cpu_count = 0;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), -STDVMM_EINVAL);
    dtb_sample_config(&cfg, 3);
    assert_int_equal(dtb_build(&cfg, blob, 256, &used), -STDVMM_ENOSPC);
}

static void no_initrd_no_record(void **s)
{
    struct dtb_config cfg;
    uint32_t used;

    (void)s;
    dtb_sample_config(&cfg, 3);
    cfg.initrd_start = cfg.initrd_end = 0;
    cfg.panic_record_size = 0;
    assert_int_equal(dtb_build(&cfg, blob, sizeof(blob), &used), 0);
    assert_null(fdt_getprop(blob, node("/chosen"), "linux,initrd-start", NULL));
    assert_true(fdt_path_offset(blob, "/reserved-memory") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_memory_and_chosen),
        cmocka_unit_test(cpus_psci_timer),
        cmocka_unit_test(gic_v3),
        cmocka_unit_test(gic_v2_and_its_timer_cpu_mask),
        cmocka_unit_test(its_and_pmu),
        cmocka_unit_test(devices),
        cmocka_unit_test(passthrough_device),
        cmocka_unit_test(shared_region),
        cmocka_unit_test(panic_record),
        cmocka_unit_test(pl031_and_its_clock),
        cmocka_unit_test(refuses_what_it_cannot_describe),
        cmocka_unit_test(no_initrd_no_record),
        cmocka_unit_test(virtio_iommu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
