/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest RAM placement around the 32-bit MMIO hole, and the BIOS-style e820
 * memory map the kernel reads from the zero page in place of firmware.
 */
#ifndef STDVMM_ARCH_X86_64_E820_H
#define STDVMM_ARCH_X86_64_E820_H

#include <stdint.h>

#define X86_E820_RAM 1
#define X86_E820_RESERVED 2
#define X86_E820_ACPI 3
#define X86_E820_NVS 4

/* The zero page holds at most this many entries. */
#define X86_E820_MAX 128

struct x86_ram_range {
    uint64_t gpa;
    uint64_t size;
};

struct x86_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};

/*
 * Splits ram_size bytes of RAM around the 32-bit hole: up to 3 GiB at 0, the
 * rest from 4 GiB. ram_size must be page-aligned and at least X86_MIN_RAM.
 * Fills out[0..*count), *count being 1 or 2.
 */
int x86_ram_plan(uint64_t ram_size, struct x86_ram_range *out, unsigned max, unsigned *count);

/*
 * The e820 map for a RAM plan: RAM [0, EBDA), reserved [EBDA, 1 MiB), RAM
 * from 1 MiB to the end of low RAM, then every range above the hole as RAM.
 * The plan must have a range starting at 0 that reaches past 1 MiB and ends
 * below the hole, and no range overlapping another, the BIOS area or the
 * hole. The result is sorted and free of overlaps.
 */
int x86_e820_build(const struct x86_ram_range *ram, unsigned ram_count, struct x86_e820_entry *out,
                   unsigned max, unsigned *count);

#endif
