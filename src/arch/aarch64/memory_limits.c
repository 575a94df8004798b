/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What an aarch64 guest's RAM may be (stdvmm/arch.h): device tree memory
 * nodes describe any regions, the devices own their area below 1 GiB
 * (layout.h), and the kernel, the initramfs and the DTB's 2 MiB slot go in
 * the lowest region, so regions keep the 2 MiB granule the slot needs.
 */
#include "arch/aarch64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/dtb.h"

_Static_assert(DTB_MAX_MEMORY <= MEMMAP_MAX_REGIONS, "the DTB's memory nodes fit a memory map");

static const struct memmap_limits a64_limits = {
    .arch = "aarch64",
    .align = A64_SZ_2M,
    .addr_end = A64_IPA_LIMIT,
    .boot_min = A64_MIN_RAM,
    .max_regions = DTB_MAX_MEMORY,
    .reserved = {{A64_GIC_DIST_BASE, A64_RAM_BASE,
                  "the device area (GIC, UART, RTC, virtio-mmio)"}},
    .reserved_count = 1,
};

const struct memmap_limits *arch_memory_limits(void)
{
    return &a64_limits;
}
