/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where an x86_64 guest's RAM goes by default, and what a chosen map may
 * be (stdvmm/arch.h): the e820 map in the zero page describes any
 * page-aligned regions, but the boot layout (layout.h) needs low memory at
 * 0, and the devices own the 32-bit hole. No hypervisor calls here: the
 * system description links this file alone.
 */
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "stdvmm/arch.h"

/*
 * The guest sees the host's physical address width (CPUID 0x80000008 is
 * passed through); 40 bits is what every x86_64 CPU KVM supports has.
 */
#define X86_GUEST_PHYS_END (1ull << 40)

/* Two e820 entries go to the BIOS area's split of the region at 0. */
_Static_assert(MEMMAP_MAX_REGIONS + 2 <= X86_E820_MAX, "the e820 map holds every region");

static const struct memmap_limits x86_limits = {
    .arch = "x86_64",
    .align = X86_PAGE_SIZE,
    .addr_end = X86_GUEST_PHYS_END,
    .boot_min = X86_MIN_RAM,
    .boot_gpa_fixed = true,
    .boot_gpa = 0,
    .max_regions = MEMMAP_MAX_REGIONS,
    .reserved = {{X86_MMIO_HOLE_START, X86_MMIO_HOLE_END,
                  "the 32-bit MMIO hole (virtio-mmio, I/O APIC, local APIC)"}},
    .reserved_count = 1,
};

const struct memmap_limits *arch_memory_limits(void)
{
    return &x86_limits;
}

int arch_plan_memory(uint64_t ram_size, struct arch_memory_plan *plan)
{
    struct x86_ram_range ranges[ARCH_MAX_RAM_REGIONS];
    unsigned count;
    int r = x86_ram_plan(ram_size, ranges, ARCH_MAX_RAM_REGIONS, &count);

    if (r < 0)
        return r;
    for (unsigned i = 0; i < count; i++) {
        plan->ram[i].gpa = ranges[i].gpa;
        plan->ram[i].size = ranges[i].size;
    }
    plan->ram_count = count;
    return 0;
}
