/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where a riscv64 guest's RAM goes by default (from 2 GiB), and what a
 * chosen map may be (stdvmm/arch.h): up to the device tree's memory nodes,
 * anywhere above the devices' area and below the 39-bit (Sv39)
 * guest-physical limit; the kernel, the initramfs and the DTB's 2 MiB slot
 * go in the lowest region, so regions keep the 2 MiB granule the slot needs.
 */
#include "arch/riscv64/layout.h"
#include "stdvmm/arch.h"
#include "stdvmm/dtb_riscv64.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

_Static_assert(RV64_DTB_MAX_MEMORY <= MEMMAP_MAX_REGIONS,
               "the DTB's memory nodes fit a memory map");

static const struct memmap_limits rv64_limits = {
    .arch = "riscv64",
    .align = RV64_SZ_2M,
    .addr_end = RV64_RAM_BASE + RV64_RAM_MAX,
    .boot_min = RV64_MIN_RAM,
    .max_regions = RV64_DTB_MAX_MEMORY,
    .reserved = {{RV64_UART_BASE, RV64_RAM_BASE,
                  "the device area (UART, APLIC, IMSIC, virtio-mmio)"}},
    .reserved_count = 1,
};

const struct memmap_limits *arch_memory_limits(void)
{
    return &rv64_limits;
}

int arch_plan_memory(uint64_t ram_size, struct arch_memory_plan *plan)
{
    if (ram_size < RV64_MIN_RAM || ram_size > RV64_RAM_MAX || ram_size % RV64_SZ_2M != 0) {
        LOG_ERR("%llu MiB of RAM: a riscv64 guest takes %llu MiB to %llu GiB in 2 MiB steps",
                (unsigned long long)(ram_size >> 20), (unsigned long long)(RV64_MIN_RAM >> 20),
                (unsigned long long)(RV64_RAM_MAX >> 30));
        return -STDVMM_EINVAL;
    }
    plan->ram[0].gpa = RV64_RAM_BASE;
    plan->ram[0].size = ram_size;
    plan->ram_count = 1;
    return 0;
}
