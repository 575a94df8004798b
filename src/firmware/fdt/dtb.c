/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Node and property names follow the Linux bindings
 * (Documentation/devicetree/bindings): arm/cpus.yaml, arm/psci.yaml,
 * timer/arm,arch_timer.yaml, interrupt-controller/arm,gic-v3.yaml and
 * arm,gic.yaml, serial/8250.yaml, virtio/mmio.yaml, reserved-memory/ramoops.yaml,
 * arm/pmu.yaml, rtc/arm,pl031.yaml (an AMBA device: it names its bus clock).
 */
#include "stdvmm/dtb.h"

#include <libfdt.h>
#include <stdbool.h>
#include <string.h>

#include "fdt_writer.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define KMSG_DUMP_PANIC 1 /* ramoops max-reason: record panics, not oopses */

static void prop_irq(struct writer *w, uint32_t type, uint32_t num, uint32_t flags)
{
    fdt32_t cells[3] = {cpu_to_fdt32(type), cpu_to_fdt32(num), cpu_to_fdt32(flags)};
    prop(w, "interrupts", cells, sizeof(cells));
}

static void add_memory(struct writer *w, const struct dtb_config *cfg)
{
    for (unsigned i = 0; i < cfg->memory_count; i++)
        add_memory_node(w, cfg->memory[i].base, cfg->memory[i].size);
}

static void add_cpus(struct writer *w, const struct dtb_config *cfg)
{
    char name[NAME_MAX_LEN];

    begin(w, "cpus");
    /* One cell is enough for Aff2..Aff0; Aff3 stays 0 below 2^24 CPUs. */
    prop_u32(w, "#address-cells", 1);
    prop_u32(w, "#size-cells", 0);
    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        uint32_t mpidr = (uint32_t)(cfg->cpu_mpidr[i] & 0xffffff);
        begin(w, unit_name(name, "cpu", mpidr));
        prop_str(w, "device_type", "cpu");
        prop_str(w, "compatible", "arm,armv8");
        prop_str(w, "enable-method", "psci");
        prop_u32(w, "reg", mpidr);
        end(w);
    }
    end(w);
}

static void add_psci(struct writer *w)
{
    begin(w, "psci");
    prop_compat2(w, "arm,psci-1.0", "arm,psci-0.2");
    prop_str(w, "method", "hvc");
    end(w);
}

/* GICv2 PPI specifiers also name the CPUs the interrupt goes to (at most 8). */
static uint32_t ppi_flags(const struct dtb_config *cfg)
{
    uint32_t flags = DTB_IRQ_LEVEL_HIGH;
    if (cfg->gic.version == 2) {
        unsigned n = cfg->cpu_count > 8 ? 8 : cfg->cpu_count;
        flags |= ((1u << n) - 1) << 8;
    }
    return flags;
}

static void add_pmu(struct writer *w, const struct dtb_config *cfg)
{
    begin(w, "pmu");
    prop_str(w, "compatible", "arm,armv8-pmuv3");
    prop_irq(w, DTB_GIC_PPI, cfg->pmu_ppi, ppi_flags(cfg));
    end(w);
}

static void add_timer(struct writer *w, const struct dtb_config *cfg)
{
    uint32_t flags = ppi_flags(cfg);
    /* Secure, non-secure physical, virtual, hypervisor: the binding's fixed order. */
    static const uint32_t ppis[4] = {13, 14, 11, 10};
    fdt32_t cells[12];
    for (int i = 0; i < 4; i++) {
        cells[i * 3] = cpu_to_fdt32(DTB_GIC_PPI);
        cells[i * 3 + 1] = cpu_to_fdt32(ppis[i]);
        cells[i * 3 + 2] = cpu_to_fdt32(flags);
    }
    begin(w, "timer");
    prop_compat2(w, "arm,armv8-timer", "arm,armv7-timer");
    prop(w, "interrupts", cells, sizeof(cells));
    prop_empty(w, "always-on");
    end(w);
}

static void add_gic(struct writer *w, const struct dtb_config *cfg)
{
    char name[NAME_MAX_LEN];
    const struct dtb_gic *g = &cfg->gic;
    bool v3 = g->version == 3;

    begin(w, unit_name(name, "intc", g->dist_base));
    prop_str(w, "compatible", v3 ? "arm,gic-v3" : "arm,gic-400");
    prop_u32(w, "#interrupt-cells", 3);
    bool its = v3 && g->its_size != 0;
    if (its) {
        /* The ITS child's reg is in the root's address space (arm,gic-v3.yaml). */
        prop_u32(w, "#address-cells", 2);
        prop_u32(w, "#size-cells", 2);
        prop_empty(w, "ranges");
    } else {
        /* No child nodes; dtc wants the cell count of an interrupt provider stated. */
        prop_u32(w, "#address-cells", 0);
    }
    prop_empty(w, "interrupt-controller");
    fdt64_t reg[4] = {cpu_to_fdt64(g->dist_base), cpu_to_fdt64(g->dist_size),
                      cpu_to_fdt64(v3 ? g->redist_base : g->cpu_base),
                      cpu_to_fdt64(v3 ? g->redist_size : g->cpu_size)};
    prop(w, "reg", reg, sizeof(reg));
    if (v3)
        prop_u32(w, "#redistributor-regions", 1);
    prop_u32(w, "phandle", DTB_GIC_PHANDLE);
    if (its) {
        begin(w, unit_name(name, "msi-controller", g->its_base));
        prop_str(w, "compatible", "arm,gic-v3-its");
        prop_empty(w, "msi-controller");
        prop_u32(w, "#msi-cells", 1); /* the device ID */
        prop_reg(w, g->its_base, g->its_size);
        prop_u32(w, "phandle", DTB_ITS_PHANDLE);
        end(w);
    }
    end(w);
}

static int add_device(struct writer *w, const struct dtb_config *cfg,
                      const struct vm_platform_device *d)
{
    char name[NAME_MAX_LEN];

    if (d->is_pio) {
        LOG_ERR("device tree: device kind %d at port 0x%llx: a device tree has no I/O ports",
                (int)d->kind, (unsigned long long)d->base);
        return -STDVMM_EINVAL;
    }
    switch (d->kind) {
    case VM_DEV_SERIAL_8250:
        begin(w, unit_name(name, "serial", d->base));
        prop_str(w, "compatible", "ns16550a");
        prop_reg(w, d->base, d->size);
        prop_u32(w, "reg-shift", 0);
        prop_u32(w, "reg-io-width", 1);
        prop_u32(w, "clock-frequency", cfg->uart_clock_hz);
        if (d->irq != 0)
            prop_irq(w, DTB_GIC_SPI, d->irq, DTB_IRQ_LEVEL_HIGH);
        end(w);
        break;
    case VM_DEV_VIRTIO_MMIO:
        begin(w, unit_name(name, "virtio_mmio", d->base));
        prop_str(w, "compatible", "virtio,mmio");
        prop_reg(w, d->base, d->size);
        if (d->irq != 0)
            prop_irq(w, DTB_GIC_SPI, d->irq, DTB_IRQ_EDGE_RISING);
        prop_empty(w, "dma-coherent");
        write_iommu(w, d);
        end(w);
        break;
    case VM_DEV_VIRTIO_MMIO_PASSTHROUGH: {
        /*
         * The device reads and writes host physical memory, not the guest's
         * addresses: a bus node whose dma-ranges say where the VM's RAM is
         * for the device makes the guest's DMA API translate (the guest must
         * negotiate VIRTIO_F_ACCESS_PLATFORM for its virtio driver to use that
         * API). The line is the hardware's, level-triggered; no dma-coherent:
         * nothing here says the board's device snoops the CPU's caches.
         */
        fdt64_t window[3] = {cpu_to_fdt64(d->base), cpu_to_fdt64(d->base), cpu_to_fdt64(d->size)};
        fdt64_t dma[3] = {cpu_to_fdt64(d->dma_bus), cpu_to_fdt64(d->dma_cpu),
                          cpu_to_fdt64(d->dma_size)};
        begin(w, unit_name(name, "passthrough", d->base));
        prop_str(w, "compatible", "simple-bus");
        prop_u32(w, "#address-cells", 2);
        prop_u32(w, "#size-cells", 2);
        prop(w, "ranges", window, sizeof(window)); /* the registers: 1:1 */
        prop(w, "dma-ranges", dma, sizeof(dma));
        begin(w, unit_name(name, "virtio_mmio", d->base));
        prop_str(w, "compatible", "virtio,mmio");
        prop_reg(w, d->base, d->size);
        if (d->irq != 0)
            prop_irq(w, DTB_GIC_SPI, d->irq, DTB_IRQ_LEVEL_HIGH);
        end(w);
        end(w);
        break;
    }
    case VM_DEV_PL031:
        begin(w, unit_name(name, "rtc", d->base));
        prop_compat2(w, "arm,pl031", "arm,primecell");
        prop_reg(w, d->base, d->size);
        if (d->irq != 0)
            prop_irq(w, DTB_GIC_SPI, d->irq, DTB_IRQ_LEVEL_HIGH);
        prop_u32(w, "clocks", DTB_APB_CLOCK_PHANDLE);
        prop_str(w, "clock-names", "apb_pclk");
        end(w);
        break;
    case VM_DEV_PVPANIC:
        begin(w, unit_name(name, "pvpanic", d->base));
        prop_str(w, "compatible", "qemu,pvpanic-mmio");
        prop_reg(w, d->base, d->size);
        end(w);
        break;
    case VM_DEV_SHARED_REGION:
        shared_region_begin(w, unit_name(name, "shared-region", d->base), d);
        if (d->irq != 0)
            prop_irq(w, DTB_GIC_SPI, d->irq, DTB_IRQ_LEVEL_HIGH);
        end(w);
        break;
    default:
        LOG_ERR("device tree: platform device kind %d has no device tree description",
                (int)d->kind);
        return -STDVMM_EINVAL;
    }
    return 0;
}

/*
 * Linux's AMBA bus enables a PrimeCell's "apb_pclk" before probing it; a
 * fixed clock stands for the bus (its rate matters to no device here).
 */
static void add_apb_clock(struct writer *w)
{
    begin(w, "apb-pclk");
    prop_str(w, "compatible", "fixed-clock");
    prop_u32(w, "#clock-cells", 0);
    prop_u32(w, "clock-frequency", 24000000);
    prop_str(w, "clock-output-names", "clk24mhz");
    prop_u32(w, "phandle", DTB_APB_CLOCK_PHANDLE);
    end(w);
}

static const struct vm_platform_device *console(const struct dtb_config *cfg)
{
    for (unsigned i = 0; i < cfg->device_count; i++) {
        if (cfg->devices[i].kind == VM_DEV_SERIAL_8250 && !cfg->devices[i].is_pio)
            return &cfg->devices[i];
    }
    return NULL;
}

static void add_chosen(struct writer *w, const struct dtb_config *cfg)
{
    const struct vm_platform_device *con = console(cfg);
    add_chosen_node(w, cfg->bootargs, cfg->initrd_start, cfg->initrd_end,
                    con != NULL ? con->base : 0);
}

static void add_panic_record(struct writer *w, const struct dtb_config *cfg)
{
    char name[NAME_MAX_LEN];

    begin(w, "reserved-memory");
    prop_u32(w, "#address-cells", 2);
    prop_u32(w, "#size-cells", 2);
    prop_empty(w, "ranges");
    begin(w, unit_name(name, "ramoops", cfg->panic_record_base));
    prop_str(w, "compatible", "ramoops");
    prop_reg(w, cfg->panic_record_base, cfg->panic_record_size);
    /* One record zone spanning the area; no console, ftrace or pmsg zones. */
    prop_u32(w, "record-size", (uint32_t)cfg->panic_record_size);
    prop_u32(w, "max-reason", KMSG_DUMP_PANIC);
    end(w);
    end(w);
}

static int check_config(const struct dtb_config *cfg)
{
    if (cfg->memory_count == 0 || cfg->memory_count > DTB_MAX_MEMORY) {
        LOG_ERR("device tree: %u memory regions (1..%d)", cfg->memory_count, DTB_MAX_MEMORY);
        return -STDVMM_EINVAL;
    }
    if (cfg->cpu_count == 0 || cfg->cpu_mpidr == NULL) {
        LOG_ERR("device tree: no CPUs to describe");
        return -STDVMM_EINVAL;
    }
    if (cfg->gic.version != 2 && cfg->gic.version != 3) {
        LOG_ERR("device tree: GIC version %u (2 or 3)", cfg->gic.version);
        return -STDVMM_EINVAL;
    }
    if (cfg->gic.its_size != 0 && cfg->gic.version != 3) {
        LOG_ERR("device tree: an ITS needs a GICv3");
        return -STDVMM_EINVAL;
    }
    if (cfg->pmu_ppi > 15) {
        LOG_ERR("device tree: PMU interrupt PPI %u (0..15)", cfg->pmu_ppi);
        return -STDVMM_EINVAL;
    }
    if (cfg->panic_record_size > UINT32_MAX) {
        LOG_ERR("device tree: panic record of 0x%llx bytes is too big",
                (unsigned long long)cfg->panic_record_size);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int dtb_build(const struct dtb_config *cfg, void *buf, uint32_t size, uint32_t *used)
{
    struct writer w;
    int r = check_config(cfg);

    if (r < 0)
        return r;
    open_root(&w, buf, size, DTB_GIC_PHANDLE);
    add_chosen(&w, cfg);
    add_memory(&w, cfg);
    if (cfg->panic_record_size != 0)
        add_panic_record(&w, cfg);
    add_cpus(&w, cfg);
    add_psci(&w);
    add_timer(&w, cfg);
    if (cfg->pmu_ppi != 0)
        add_pmu(&w, cfg);
    add_gic(&w, cfg);
    for (unsigned i = 0; i < cfg->device_count; i++) {
        if (cfg->devices[i].kind == VM_DEV_PL031) {
            add_apb_clock(&w);
            break;
        }
    }
    for (unsigned i = 0; i < cfg->device_count && w.err == 0; i++) {
        r = add_device(&w, cfg, &cfg->devices[i]);
        if (r < 0)
            return r;
    }
    return close_root(&w, size, used);
}
