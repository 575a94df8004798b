/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a riscv64 guest's RAM may be (stdvmm/arch.h): one region for now
 * (the arch's kernel placement knows one), anywhere above the devices'
 * area and below the 39-bit (Sv39) guest-physical limit.
 */
#include "arch/riscv64/layout.h"
#include "stdvmm/arch.h"

static const struct memmap_limits rv64_limits = {
    .arch = "riscv64",
    .align = RV64_SZ_2M,
    .addr_end = RV64_RAM_BASE + RV64_RAM_MAX,
    .boot_min = RV64_MIN_RAM,
    .max_regions = 1,
    .reserved = {{RV64_UART_BASE, RV64_RAM_BASE,
                  "the device area (UART, APLIC, IMSIC, virtio-mmio)"}},
    .reserved_count = 1,
};

const struct memmap_limits *arch_memory_limits(void)
{
    return &rv64_limits;
}
