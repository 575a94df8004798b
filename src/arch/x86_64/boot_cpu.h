/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU state the Linux 64-bit boot protocol asks for at the kernel's
 * 64-bit entry (load address + 0x200): long mode with paging on, a GDT with
 * flat 4 GiB segments at __BOOT_CS (0x10) and __BOOT_DS (0x18), CS/DS/ES/SS
 * loaded from them, interrupts off, %rsi = the zero page, and an identity
 * mapping covering the kernel, the zero page and the command line.
 *
 * Only the boot vCPU gets this state. The others (APs) need nothing beyond
 * CPUID and MSRs: with the in-kernel local APIC they start in the
 * wait-for-SIPI state, and Linux starts them itself with INIT/SIPI into its
 * own real-mode trampoline, exactly as on hardware. Setting registers on an
 * AP would be overwritten by that SIPI anyway.
 */
#ifndef STDVMM_ARCH_X86_64_BOOT_CPU_H
#define STDVMM_ARCH_X86_64_BOOT_CPU_H

#include <stdint.h>

#include "stdvmm/guest_memory.h"
#include "stdvmm/hv_x86_64.h"

/* GDT descriptors; the segment registers are decoded from these same values. */
/* Both: present, DPL 0, base 0, limit 4 GiB in 4 KiB units. */
#define X86_GDT_CODE64 0x00af9b000000ffffull /* execute/read, accessed, L (64-bit) */
#define X86_GDT_DATA 0x00cf93000000ffffull   /* read/write, accessed, D/B (32-bit) */

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PAE (1ull << 5)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_RFLAGS_RESERVED (1ull << 1) /* always-one bit; IF stays clear */

#define X86_PTE_PRESENT (1ull << 0)
#define X86_PTE_WRITE (1ull << 1)
#define X86_PTE_LARGE (1ull << 7)

/*
 * Writes the GDT, the TSS and the identity page tables (first 4 GiB, 2 MiB
 * pages) at their places in layout.h. Guest RAM must cover them.
 */
int x86_boot_cpu_write_tables(const struct gmem *gm);

/*
 * Registers of the boot vCPU for entry at entry64 (x86_bzimage.entry64)
 * with the zero page at boot_params. Everything not listed in the boot
 * protocol is zero.
 */
void x86_boot_cpu_state(uint64_t entry64, uint64_t boot_params, struct x86_regs *regs,
                        struct x86_sregs *sregs);

#endif
