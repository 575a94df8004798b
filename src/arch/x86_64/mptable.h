/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An Intel MultiProcessor Specification 1.4 table: the floating pointer
 * structure and a configuration table with one processor entry per vCPU,
 * the ISA bus, the I/O APIC and the ISA interrupts wired straight to its
 * pins (GSI n on pin n, as stdvmm's MADT has it: no source overrides).
 *
 * ACPI's MADT is what Linux uses; the MP table is there because Linux looks
 * for it before it reads ACPI (find_smp_config() in setup_arch()). Without
 * one it ends by scanning the 64 KiB BIOS area in 16-byte steps, and each
 * step maps all of the rest of the area through early_memremap(): about
 * 70,000 single-page TLB flushes (INVLPG) while booting, each a VM exit
 * when the host has no nested paging (docs/benchmarks.md). Found at the
 * first place Linux looks, the top KiB of base memory, it costs one
 * mapping. It is also a correct description for a guest booted with
 * acpi=off.
 */
#ifndef STDVMM_ARCH_X86_64_MPTABLE_H
#define STDVMM_ARCH_X86_64_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define X86_MPTABLE_MAX_CPUS 255 /* processor entries carry an 8-bit APIC ID; 0xff is broadcast */
#define X86_MPTABLE_ISA_IRQS 16

/* Bytes x86_mptable_build() writes for cpu_count vCPUs. */
size_t x86_mptable_size(unsigned cpu_count);

/*
 * Writes the floating pointer at area[0] and the configuration table right
 * after it; area is guest memory at guest-physical area_gpa (16-byte
 * aligned, below 4 GiB), size bytes long. vCPU i has APIC ID i; the I/O
 * APIC has ID ioapic_id at ioapic_addr, the local APICs are at lapic_addr.
 * Returns 0, or a negative error when the arguments are out of range or
 * the area too small.
 */
int x86_mptable_build(uint8_t *area, size_t size, uint64_t area_gpa, unsigned cpu_count,
                      uint8_t ioapic_id, uint32_t ioapic_addr, uint32_t lapic_addr);

#endif
