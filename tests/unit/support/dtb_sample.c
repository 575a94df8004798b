/* SPDX-License-Identifier: BSD-2-Clause */
#include "dtb_sample.h"

#include <string.h>

static const uint64_t sample_mpidr[2] = {0x0, 0x1};

static const struct vm_platform_device sample_devices[] = {
    {.kind = VM_DEV_SERIAL_8250, .base = 0x09000000, .size = 8, .irq = 1},
    {.kind = VM_DEV_PVPANIC, .base = 0x09020000, .size = 1},
    {.kind = VM_DEV_PL031, .base = 0x09030000, .size = 0x1000, .irq = 2},
    {.kind = VM_DEV_VIRTIO_MMIO, .base = 0x0a000000, .size = 0x1000, .irq = 16},
    {.kind = VM_DEV_VIRTIO_MMIO, .base = 0x0a001000, .size = 0x1000, .irq = 17},
    /* A driver VM's board device: its RAM (the sample's) is host memory at 0x60000000. */
    {.kind = VM_DEV_VIRTIO_MMIO_PASSTHROUGH,
     .base = 0x0c000e00,
     .size = 0x200,
     .irq = 64,
     .dma_cpu = 0x40000000,
     .dma_bus = 0x60000000,
     .dma_size = 0x20000000},
    /* A shared region: its register page in the last virtio slot, its memory at 4 GiB. */
    {.kind = VM_DEV_SHARED_REGION,
     .base = 0x0a00f000,
     .size = 0x1000,
     .irq = 31,
     .shm_gpa = 0x100000000ull,
     .shm_size = 0x200000,
     .label = "chan"},
};

void dtb_sample_config(struct dtb_config *cfg, unsigned gic_version)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->memory[0].base = SAMPLE_RAM_BASE;
    cfg->memory[0].size = SAMPLE_RAM_SIZE;
    cfg->memory_count = 1;
    cfg->cpu_count = 2;
    cfg->cpu_mpidr = sample_mpidr;
    cfg->gic.version = gic_version;
    cfg->gic.dist_base = 0x08000000;
    if (gic_version == 3) {
        cfg->gic.dist_size = 0x10000;
        cfg->gic.redist_base = 0x080a0000;
        cfg->gic.redist_size = 2 * 0x20000;
    } else {
        cfg->gic.dist_size = 0x1000;
        cfg->gic.cpu_base = 0x08010000;
        cfg->gic.cpu_size = 0x2000;
    }
    cfg->bootargs = SAMPLE_BOOTARGS;
    cfg->initrd_start = SAMPLE_INITRD_START;
    cfg->initrd_end = SAMPLE_INITRD_END;
    cfg->devices = sample_devices;
    cfg->device_count = sizeof(sample_devices) / sizeof(sample_devices[0]);
    cfg->uart_clock_hz = 1843200;
    cfg->panic_record_base = SAMPLE_RECORD_BASE;
    cfg->panic_record_size = 0x10000;
}

void dtb_sample_its_pmu(struct dtb_config *cfg)
{
    cfg->gic.its_base = SAMPLE_ITS_BASE;
    cfg->gic.its_size = 0x20000;
    cfg->pmu_ppi = 7;
}
