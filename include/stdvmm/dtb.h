/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flattened device tree an Arm guest boots with: memory, CPUs with PSCI,
 * the architected timer, the GIC, /chosen (command line, initramfs, console)
 * and one node per platform device of the VM (16550A UART, virtio-mmio,
 * pvpanic-mmio), so a new device kind needs a case here and no arch code.
 * Written with libfdt's sequential-write functions into a caller's buffer;
 * nothing is allocated.
 */
#ifndef STDVMM_DTB_H
#define STDVMM_DTB_H

#include <stdint.h>

#include "stdvmm/vm.h"

#define DTB_MAX_MEMORY 4
#define DTB_GIC_PHANDLE 1
#define DTB_ITS_PHANDLE 2
#define DTB_APB_CLOCK_PHANDLE 3 /* the fixed clock AMBA devices (PL031) name */

/* Interrupt specifier type cells of the GIC binding. */
#define DTB_GIC_SPI 0
#define DTB_GIC_PPI 1
#define DTB_IRQ_EDGE_RISING 1
#define DTB_IRQ_LEVEL_HIGH 4

struct dtb_gic {
    unsigned version; /* 2 or 3 */
    uint64_t dist_base, dist_size;
    uint64_t redist_base, redist_size; /* v3 */
    uint64_t cpu_base, cpu_size;       /* v2 */
    uint64_t its_base, its_size;       /* v3: an ITS child node (msi-controller); size 0: none */
};

struct dtb_config {
    struct {
        uint64_t base, size;
    } memory[DTB_MAX_MEMORY];
    unsigned memory_count;
    unsigned cpu_count;
    const uint64_t *cpu_mpidr; /* cpu_count affinity values, the cpu nodes' "reg" */
    struct dtb_gic gic;
    const char *bootargs;
    uint64_t initrd_start, initrd_end; /* equal: no initramfs */
    const struct vm_platform_device *devices;
    unsigned device_count;
    uint32_t uart_clock_hz;
    /*
     * A RAM area the kernel's ramoops driver keeps its panic log in
     * (reserved-memory, compatible "ramoops"), written only for panics so
     * that the VMM can tell a panic reboot from a requested one; size 0: none.
     */
    uint64_t panic_record_base, panic_record_size;
    /* A PMUv3 node ("arm,armv8-pmuv3") with this PPI (device tree numbering); 0: no PMU. */
    uint32_t pmu_ppi;
};

/*
 * Writes the DTB into buf (at most size bytes) and its length to *used.
 * Refuses devices the tree cannot describe (port I/O) and a buffer too small.
 */
int dtb_build(const struct dtb_config *cfg, void *buf, uint32_t size, uint32_t *used);

#endif
