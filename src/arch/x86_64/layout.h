/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest-physical layout of an x86_64 stdvmm guest booted directly into
 * the Linux 64-bit entry point (Documentation/arch/x86/boot.rst), with no
 * firmware. Everything the VMM itself writes lives below 1 MiB, in places a
 * PC BIOS would also have used, so the kernel's own view of "low memory" is
 * the familiar one:
 *
 *   0x00000000 ...            real-mode IVT area, left zero (no BIOS)
 *   0x00000500 GDT            null, null, code 0x10, data 0x18, TSS 0x20
 *   0x00000580 TSS            104 bytes, only so TR can be loaded
 *   0x00007000 boot_params    the 4 KiB "zero page"
 *   0x00008ff0 boot stack     top of a scratch stack below the page tables
 *   0x00009000 PML4
 *   0x0000a000 PDPT
 *   0x0000b000 PD x 4         identity map of the first 4 GiB, 2 MiB pages
 *   0x00020000 command line   at most 64 KiB (and the kernel's cmdline_size)
 *   0x0009fc00 EBDA ...       reserved up to 1 MiB, like a PC's BIOS area;
 *                             the MP table opens it (mptable.h says why)
 *   0x000e0000 ACPI tables    128 KiB, inside the reserved BIOS area, where
 *                             the kernel's RSDP scan looks when the zero page
 *                             cannot carry acpi_rsdp_addr (protocol < 2.14)
 *   0x01000000 kernel         the header's pref_address (16 MiB normally)
 *   ...        initramfs      top of low RAM, below initrd_addr_max
 *   0xc0000000 32-bit hole    no RAM up to 4 GiB; RAM above 3 GiB moves to 4 GiB
 *   0xd0000000 virtio-mmio    one 4 KiB window per device
 *   0xfec00000 IOAPIC
 *   0xfee00000 local APIC
 *
 * The page tables map the whole first 4 GiB, hole included, because the boot
 * protocol only promises the kernel that its own image, the zero page and the
 * command line are mapped; covering everything below 4 GiB also covers the
 * initramfs wherever it lands and costs 4 page directories.
 */
#ifndef STDVMM_ARCH_X86_64_LAYOUT_H
#define STDVMM_ARCH_X86_64_LAYOUT_H

#define X86_PAGE_SIZE 0x1000ull

#define X86_GDT_ADDR 0x500ull
#define X86_GDT_ENTRIES 6 /* TSS descriptor takes two 8-byte slots in long mode */
#define X86_GDT_LIMIT (X86_GDT_ENTRIES * 8 - 1)
#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18
#define X86_BOOT_TSS 0x20

#define X86_TSS_ADDR 0x580ull
#define X86_TSS_SIZE 0x68ull /* smallest 64-bit TSS, no I/O permission bitmap */

#define X86_BOOT_PARAMS_ADDR 0x7000ull
#define X86_ZERO_PAGE_SIZE 0x1000u

/*
 * The 64-bit entry code sets its own stack before it calls anything; this one
 * only gives a stray push a harmless, mapped target inside reserved space.
 */
#define X86_BOOT_STACK_TOP 0x8ff0ull

#define X86_PML4_ADDR 0x9000ull
#define X86_PDPT_ADDR 0xa000ull
#define X86_PD_ADDR 0xb000ull
#define X86_PD_COUNT 4 /* 4 x 512 x 2 MiB = 4 GiB */
#define X86_IDENTITY_MAP_END 0x100000000ull

#define X86_CMDLINE_ADDR 0x20000ull
#define X86_CMDLINE_MAX 0x10000ull /* bytes, terminating NUL included */

#define X86_EBDA_START 0x9fc00ull
#define X86_ACPI_TABLES_ADDR 0xe0000ull
/* The top KiB of base memory is the first place Linux's MP table scan looks at after the IVT. */
#define X86_MPTABLE_ADDR X86_EBDA_START
#define X86_MPTABLE_AREA_SIZE (X86_ACPI_TABLES_ADDR - X86_MPTABLE_ADDR)
#define X86_ACPI_TABLES_SIZE 0x20000ull
#define X86_BIOS_END 0x100000ull /* end of the reserved BIOS area: 1 MiB */

/* Where a relocatable kernel goes when its pref_address is unusable. */
#define X86_KERNEL_DEFAULT_ADDR 0x1000000ull
/*
 * The smallest RAM stdvmm accepts: the fixed areas above plus a small kernel
 * at 16 MiB. Whether a given kernel really fits (load address + init_size,
 * then the initramfs) is checked when it is loaded.
 */
#define X86_MIN_RAM (32ull << 20)

#define X86_MMIO_HOLE_START 0xc0000000ull
#define X86_MMIO_HOLE_END 0x100000000ull
#define X86_HIGH_RAM_START X86_MMIO_HOLE_END

#define X86_VIRTIO_MMIO_BASE 0xd0000000ull
#define X86_VIRTIO_MMIO_SIZE 0x1000ull /* per device */

#define X86_IOAPIC_ADDR 0xfec00000ull
#define X86_IOAPIC_SIZE 0x1000ull
#define X86_LAPIC_ADDR 0xfee00000ull
#define X86_LAPIC_SIZE 0x1000ull

/* The areas above must not overlap; a wrong edit should not build. */
_Static_assert(X86_GDT_ADDR + X86_GDT_LIMIT + 1 <= X86_TSS_ADDR, "GDT runs into the TSS");
_Static_assert(X86_TSS_ADDR + X86_TSS_SIZE <= X86_BOOT_PARAMS_ADDR, "TSS runs into boot_params");
_Static_assert(X86_BOOT_PARAMS_ADDR + X86_ZERO_PAGE_SIZE < X86_BOOT_STACK_TOP,
               "zero page runs into the boot stack");
_Static_assert(X86_BOOT_STACK_TOP < X86_PML4_ADDR, "boot stack runs into the page tables");
_Static_assert(X86_PD_ADDR + X86_PD_COUNT * X86_PAGE_SIZE <= X86_CMDLINE_ADDR,
               "page tables run into the command line");
_Static_assert(X86_CMDLINE_ADDR + X86_CMDLINE_MAX <= X86_EBDA_START,
               "command line runs into the EBDA");
_Static_assert(X86_ACPI_TABLES_ADDR >= X86_EBDA_START &&
                   X86_ACPI_TABLES_ADDR + X86_ACPI_TABLES_SIZE <= X86_BIOS_END,
               "ACPI tables must sit in the reserved BIOS area");
_Static_assert(X86_VIRTIO_MMIO_BASE >= X86_MMIO_HOLE_START && X86_IOAPIC_ADDR < X86_MMIO_HOLE_END,
               "devices must sit in the 32-bit hole");

#endif
