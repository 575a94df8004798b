/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where an aarch64 guest's RAM goes by default (from 1 GiB), and what a
 * chosen map may be (stdvmm/arch.h): device tree memory
 * nodes describe any regions, the devices own their area below 1 GiB
 * (layout.h), and the kernel, the initramfs and the DTB's 2 MiB slot go in
 * the lowest region, so regions keep the 2 MiB granule the slot needs.
 */
#include "arch/aarch64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
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

int arch_plan_memory(uint64_t ram_size, struct arch_memory_plan *plan)
{
    if (ram_size < A64_MIN_RAM || ram_size > A64_RAM_MAX || ram_size % A64_SZ_2M != 0) {
        LOG_ERR("%llu MiB of RAM: an aarch64 guest takes %llu MiB to %llu GiB in 2 MiB steps",
                (unsigned long long)(ram_size >> 20), (unsigned long long)(A64_MIN_RAM >> 20),
                (unsigned long long)(A64_RAM_MAX >> 30));
        return -STDVMM_EINVAL;
    }
    plan->ram[0].gpa = A64_RAM_BASE;
    plan->ram[0].size = ram_size;
    plan->ram_count = 1;
    return 0;
}
