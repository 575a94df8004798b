/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes a sample riscv64 device tree (N harts, default 2; "plic": with
 * stdvmm's PLIC instead of the AIA) to a file, for dtc to read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/riscv64/isa.h"
#include "arch/riscv64/layout.h"
#include "stdvmm/dtb_riscv64.h"

int main(int argc, char **argv)
{
    static unsigned char buf[0x10000];
    static char isa[256], ext[256];
    uint32_t used = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.dtb [HARTS [plic]]\n", argv[0]);
        return 2;
    }
    uint64_t have = 1ull << RV64_EXT_I | 1ull << RV64_EXT_M | 1ull << RV64_EXT_A |
                    1ull << RV64_EXT_F | 1ull << RV64_EXT_D | 1ull << RV64_EXT_C |
                    1ull << RV64_EXT_ZICSR | 1ull << RV64_EXT_ZIFENCEI | 1ull << RV64_EXT_SSTC;
    int ext_len = rv64_isa_ext_list(have, ext, sizeof(ext));
    if (rv64_isa_string(have, isa, sizeof(isa)) < 0 || ext_len < 0)
        return 1;
    struct vm_platform_device devs[] = {
        {.kind = VM_DEV_SERIAL_8250, .base = RV64_UART_BASE, .size = 8, .irq = RV64_UART_IRQ},
        {.kind = VM_DEV_PVPANIC, .base = RV64_PVPANIC_BASE, .size = 1},
        {.kind = VM_DEV_VIRTIO_MMIO,
         .base = RV64_VIRTIO_MMIO_BASE,
         .size = RV64_VIRTIO_MMIO_SIZE,
         .irq = RV64_VIRTIO_IRQ_BASE},
        {.kind = VM_DEV_VIRTIO_MMIO,
         .base = RV64_VIRTIO_MMIO_BASE + RV64_VIRTIO_MMIO_SIZE,
         .size = RV64_VIRTIO_MMIO_SIZE,
         .irq = RV64_VIRTIO_IRQ_BASE + 1},
    };
    struct rv64_dtb_config cfg = {
        .memory = {{.base = RV64_RAM_BASE, .size = 512ull << 20}},
        .memory_count = 1,
        .hart_count = argc > 2 ? (unsigned)atoi(argv[2]) : 2,
        .isa = isa,
        .isa_ext = ext,
        .isa_ext_len = (unsigned)ext_len,
        .mmu_type = "riscv,sv48",
        .timebase_hz = 10000000,
        .plic_base = RV64_PLIC_BASE,
        .plic_size = 0,
        .plic_sources = RV64_PLIC_SOURCES,
        .imsic_base = RV64_IMSIC_BASE,
        .imsic_stride = RV64_IMSIC_SIZE,
        .imsic_ids = RV64_IMSIC_IDS,
        .aplic_base = RV64_APLIC_BASE,
        .aplic_size = RV64_APLIC_SIZE,
        .aplic_sources = RV64_APLIC_SOURCES,
        .bootargs = "console=ttyS0 earlycon panic=-1",
        .initrd_start = 0x9f000000,
        .initrd_end = 0x9f1a2b3c,
        .devices = devs,
        .device_count = sizeof(devs) / sizeof(devs[0]),
        .uart_clock_hz = RV64_UART_CLOCK_HZ,
    };
    if (argc > 3 && strcmp(argv[3], "plic") == 0)
        cfg.plic_size = 0x200000 + 0x1000ull * cfg.hart_count;
    if (rv64_dtb_build(&cfg, buf, sizeof(buf), &used) != 0)
        return 1;
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(buf, 1, used, f) != used || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
