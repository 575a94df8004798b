/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Node and property names follow the Linux bindings
 * (Documentation/devicetree/bindings): riscv/cpus.yaml and extensions.yaml,
 * interrupt-controller/riscv,cpu-intc.yaml, riscv,imsics.yaml and
 * riscv,aplic.yaml, sifive,plic-1.0.0.yaml, serial/8250.yaml,
 * virtio/mmio.yaml.
 */
#include "stdvmm/dtb_riscv64.h"

#include <libfdt.h>
#include <stdbool.h>
#include <string.h>

#include "fdt_writer.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* The APLIC's specifiers are <source flags>, the PLIC's <source> (its gateways take any kind). */
static void prop_irq(struct writer *w, const struct rv64_dtb_config *cfg, uint32_t num,
                     uint32_t flags)
{
    fdt32_t cells[2] = {cpu_to_fdt32(num), cpu_to_fdt32(flags)};
    bool plic = cfg->plic_size != 0;
    /*
     * Named per device, not at the root: Linux looks for the harts' local
     * controllers' parent up the tree too, and one found at the root (the
     * PLIC or APLIC, itself their child) makes a loop in which it finds no
     * root controller ("No interrupt controller found", measured).
     */
    prop_u32(w, "interrupt-parent", plic ? RV64_DTB_PLIC_PHANDLE : RV64_DTB_APLIC_PHANDLE);
    prop(w, "interrupts", cells, plic ? sizeof(cells[0]) : sizeof(cells));
}

static void add_memory(struct writer *w, const struct rv64_dtb_config *cfg)
{
    for (unsigned i = 0; i < cfg->memory_count; i++)
        add_memory_node(w, cfg->memory[i].base, cfg->memory[i].size);
}

static void add_cpus(struct writer *w, const struct rv64_dtb_config *cfg)
{
    char name[NAME_MAX_LEN];

    begin(w, "cpus");
    prop_u32(w, "#address-cells", 1);
    prop_u32(w, "#size-cells", 0);
    /* The binding allows it per hart; Linux reads it here only. */
    prop_u32(w, "timebase-frequency", (uint32_t)cfg->timebase_hz);
    for (unsigned i = 0; i < cfg->hart_count; i++) {
        begin(w, unit_name(name, "cpu", i));
        prop_str(w, "device_type", "cpu");
        prop_str(w, "compatible", "riscv");
        prop_u32(w, "reg", i);
        prop_str(w, "status", "okay");
        prop_str(w, "riscv,isa", cfg->isa);
        prop_str(w, "riscv,isa-base", "rv64i");
        prop(w, "riscv,isa-extensions", cfg->isa_ext, (int)cfg->isa_ext_len);
        prop_str(w, "mmu-type", cfg->mmu_type);
        if (cfg->cbom_block != 0)
            prop_u32(w, "riscv,cbom-block-size", (uint32_t)cfg->cbom_block);
        if (cfg->cboz_block != 0)
            prop_u32(w, "riscv,cboz-block-size", (uint32_t)cfg->cboz_block);
        begin(w, "interrupt-controller");
        prop_str(w, "compatible", "riscv,cpu-intc");
        prop_u32(w, "#interrupt-cells", 1);
        prop_u32(w, "#address-cells", 0);
        prop_empty(w, "interrupt-controller");
        prop_u32(w, "phandle", RV64_DTB_INTC_PHANDLE + i);
        end(w);
        end(w);
    }
    end(w);
}

/* Hart n's entry: its local controller's supervisor external interrupt (IRQ_S_EXT). */
static void prop_harts_s_ext(struct writer *w, const struct rv64_dtb_config *cfg)
{
    fdt32_t ext[2 * 64];

    for (unsigned i = 0; i < cfg->hart_count; i++) {
        ext[2 * i] = cpu_to_fdt32(RV64_DTB_INTC_PHANDLE + i);
        ext[2 * i + 1] = cpu_to_fdt32(9);
    }
    prop(w, "interrupts-extended", ext, (int)(cfg->hart_count * 2 * sizeof(ext[0])));
}

/* One S-mode interrupt file per hart, each signalling its hart's supervisor external interrupt. */
static void add_imsic(struct writer *w, const struct rv64_dtb_config *cfg)
{
    char name[NAME_MAX_LEN];

    begin(w, unit_name(name, "imsics", cfg->imsic_base));
    prop_str(w, "compatible", "riscv,imsics");
    prop_reg(w, cfg->imsic_base, cfg->hart_count * cfg->imsic_stride);
    prop_harts_s_ext(w, cfg);
    prop_empty(w, "interrupt-controller");
    prop_u32(w, "#interrupt-cells", 0);
    prop_u32(w, "#address-cells", 0);
    prop_empty(w, "msi-controller");
    prop_u32(w, "#msi-cells", 0);
    prop_u32(w, "riscv,num-ids", cfg->imsic_ids);
    prop_u32(w, "phandle", RV64_DTB_IMSIC_PHANDLE);
    end(w);
}

/* The APLIC turns wired interrupts into MSIs to the IMSIC files (no direct mode under KVM). */
static void add_aplic(struct writer *w, const struct rv64_dtb_config *cfg)
{
    char name[NAME_MAX_LEN];

    begin(w, unit_name(name, "aplic", cfg->aplic_base));
    prop_str(w, "compatible", "riscv,aplic");
    prop_reg(w, cfg->aplic_base, cfg->aplic_size);
    prop_empty(w, "interrupt-controller");
    prop_u32(w, "#interrupt-cells", 2);
    prop_u32(w, "#address-cells", 0);
    prop_u32(w, "msi-parent", RV64_DTB_IMSIC_PHANDLE);
    prop_u32(w, "riscv,num-sources", cfg->aplic_sources);
    prop_u32(w, "phandle", RV64_DTB_APLIC_PHANDLE);
    end(w);
}

/* One context per hart, on its supervisor external interrupt (no M-mode contexts under KVM). */
static void add_plic(struct writer *w, const struct rv64_dtb_config *cfg)
{
    static const char compatible[] = "sifive,plic-1.0.0\0riscv,plic0";
    char name[NAME_MAX_LEN];

    begin(w, unit_name(name, "plic", cfg->plic_base));
    prop(w, "compatible", compatible, (int)sizeof(compatible));
    prop_reg(w, cfg->plic_base, cfg->plic_size);
    prop_harts_s_ext(w, cfg);
    prop_empty(w, "interrupt-controller");
    prop_u32(w, "#interrupt-cells", 1);
    prop_u32(w, "#address-cells", 0);
    prop_u32(w, "riscv,ndev", cfg->plic_sources);
    prop_u32(w, "phandle", RV64_DTB_PLIC_PHANDLE);
    end(w);
}

static int add_device(struct writer *w, const struct rv64_dtb_config *cfg,
                      const struct vm_platform_device *d)
{
    char name[NAME_MAX_LEN];

    uint32_t sources = cfg->plic_size != 0 ? cfg->plic_sources : cfg->aplic_sources;

    if (d->is_pio || d->irq > sources) {
        LOG_ERR("device tree: device kind %d at 0x%llx (interrupt %u): riscv64 has no I/O ports "
                "and interrupt sources 1..%u",
                (int)d->kind, (unsigned long long)d->base, d->irq, sources);
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
            prop_irq(w, cfg, d->irq, RV64_DTB_IRQ_LEVEL_HIGH);
        end(w);
        break;
    case VM_DEV_VIRTIO_MMIO:
        begin(w, unit_name(name, "virtio_mmio", d->base));
        prop_str(w, "compatible", "virtio,mmio");
        prop_reg(w, d->base, d->size);
        if (d->irq != 0)
            prop_irq(w, cfg, d->irq, RV64_DTB_IRQ_EDGE_RISING);
        prop_empty(w, "dma-coherent");
        write_iommu(w, d);
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
            prop_irq(w, cfg, d->irq, RV64_DTB_IRQ_LEVEL_HIGH);
        end(w);
        break;
    default:
        LOG_ERR("device tree: platform device kind %d has no riscv64 device tree description",
                (int)d->kind);
        return -STDVMM_EINVAL;
    }
    return 0;
}

static void add_chosen(struct writer *w, const struct rv64_dtb_config *cfg)
{
    uint64_t console = 0;
    for (unsigned i = 0; i < cfg->device_count && console == 0; i++) {
        if (cfg->devices[i].kind == VM_DEV_SERIAL_8250)
            console = cfg->devices[i].base;
    }
    add_chosen_node(w, cfg->bootargs, cfg->initrd_start, cfg->initrd_end, console);
}

static int check_config(const struct rv64_dtb_config *cfg)
{
    if (cfg->memory_count == 0 || cfg->memory_count > RV64_DTB_MAX_MEMORY) {
        LOG_ERR("device tree: %u memory regions (1..%d)", cfg->memory_count, RV64_DTB_MAX_MEMORY);
        return -STDVMM_EINVAL;
    }
    if (cfg->hart_count == 0 || cfg->hart_count > 64) {
        LOG_ERR("device tree: %u harts (1..64)", cfg->hart_count);
        return -STDVMM_EINVAL;
    }
    if (cfg->isa == NULL || cfg->isa_ext == NULL || cfg->isa_ext_len == 0 ||
        cfg->isa_ext[cfg->isa_ext_len - 1] != '\0' || cfg->mmu_type == NULL) {
        LOG_ERR("device tree: the harts' ISA or MMU type is missing");
        return -STDVMM_EINVAL;
    }
    if (cfg->timebase_hz == 0 || cfg->timebase_hz > UINT32_MAX) {
        LOG_ERR("device tree: timebase of %llu Hz (1 Hz to 4 GHz)",
                (unsigned long long)cfg->timebase_hz);
        return -STDVMM_EINVAL;
    }
    if (cfg->plic_size != 0) {
        /* The PLIC specification's bounds; its per-context registers must be in reg. */
        if (cfg->plic_sources == 0 || cfg->plic_sources > 1023 ||
            cfg->plic_size < 0x200000 + 0x1000ull * cfg->hart_count) {
            LOG_ERR("device tree: PLIC of 0x%llx bytes with %u sources (1..1023) for %u harts",
                    (unsigned long long)cfg->plic_size, cfg->plic_sources, cfg->hart_count);
            return -STDVMM_EINVAL;
        }
        return 0;
    }
    if (cfg->aplic_sources == 0 || cfg->aplic_sources > 1023 || cfg->imsic_ids < 63 ||
        cfg->imsic_ids > 2047 || cfg->imsic_ids % 64 != 63) {
        /* The AIA specification's bounds: 1..1023 sources, 63..2047 identities in steps of 64. */
        LOG_ERR("device tree: %u APLIC sources (1..1023), %u MSI identities (63..2047, 64n-1)",
                cfg->aplic_sources, cfg->imsic_ids);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int rv64_dtb_build(const struct rv64_dtb_config *cfg, void *buf, uint32_t size, uint32_t *used)
{
    struct writer w;
    int r = check_config(cfg);

    if (r < 0)
        return r;
    bool plic = cfg->plic_size != 0;
    open_root(&w, buf, size, 0);
    add_chosen(&w, cfg);
    add_memory(&w, cfg);
    add_cpus(&w, cfg);
    if (plic) {
        add_plic(&w, cfg);
    } else {
        add_imsic(&w, cfg);
        add_aplic(&w, cfg);
    }
    for (unsigned i = 0; i < cfg->device_count && w.err == 0; i++) {
        r = add_device(&w, cfg, &cfg->devices[i]);
        if (r < 0)
            return r;
    }
    return close_root(&w, size, used);
}
