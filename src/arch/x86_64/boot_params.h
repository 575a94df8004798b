/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "zero page" (struct boot_params, Documentation/arch/x86/zero-page.rst)
 * the kernel finds through %rsi at its 64-bit entry, plus the placement of
 * the two things it points to: the command line and the initramfs.
 */
#ifndef STDVMM_ARCH_X86_64_BOOT_PARAMS_H
#define STDVMM_ARCH_X86_64_BOOT_PARAMS_H

#include <stdint.h>

#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/e820.h"
#include "stdvmm/guest_memory.h"

/* Zero-page fields outside the setup header (which keeps its file offsets, X86_HDR_*). */
#define X86_BP_ACPI_RSDP_ADDR 0x070    /* u64, read by protocol >= 2.14 kernels */
#define X86_BP_EXT_RAMDISK_IMAGE 0x0c0 /* u32, high half of ramdisk_image */
#define X86_BP_EXT_RAMDISK_SIZE 0x0c4  /* u32 */
#define X86_BP_EXT_CMD_LINE_PTR 0x0c8  /* u32 */
#define X86_BP_E820_ENTRIES 0x1e8      /* u8 */
#define X86_BP_SENTINEL 0x1ef          /* u8, must stay 0 */
#define X86_BP_E820_TABLE 0x2d0        /* X86_E820_MAX entries of 20 bytes */
#define X86_BP_E820_ENTRY_SIZE 20

#define X86_BOOT_PROTOCOL_RSDP 0x020e /* 2.14 */
#define X86_LOADER_TYPE_UNDEFINED 0xff
/*
 * Only the real-mode setup code uses the heap; 0xfe00 is the conventional
 * end (setup segment + 64 KiB - 512) that boot.rst's examples use.
 */
#define X86_HEAP_END_PTR 0xfe00

struct x86_boot_config {
    uint64_t cmdline_addr; /* 0: no command line */
    uint64_t initrd_addr;  /* 0 with initrd_size 0: no initramfs */
    uint64_t initrd_size;
    const struct x86_e820_entry *e820;
    unsigned e820_count;
    uint64_t acpi_rsdp_addr; /* 0: the kernel scans the BIOS area itself */
};

/*
 * Builds the zero page in zp (X86_ZERO_PAGE_SIZE bytes) for the image img
 * that x86_bzimage_parse() described as bz: the image's setup header,
 * followed by the loader's fields from cfg. The caller writes zp to
 * X86_BOOT_PARAMS_ADDR.
 */
int x86_boot_params_build(uint8_t *zp, const uint8_t *img, const struct x86_bzimage *bz,
                          const struct x86_boot_config *cfg);

/*
 * Writes cmdline (NULL: empty), NUL-terminated, to X86_CMDLINE_ADDR. Refuses
 * a line longer than the kernel's cmdline_size or the 64 KiB area.
 */
int x86_cmdline_write(const struct gmem *gm, const struct x86_bzimage *bz, const char *cmdline);

/*
 * Where an initramfs of initrd_size bytes goes: the highest page-aligned
 * address at which it ends at or below both initrd_addr_max and
 * low_ram_end, and starts at or above the kernel's end (load address +
 * init_size). -STDVMM_ENOMEM, with the sizes, when it does not fit.
 */
int x86_initrd_place(const struct x86_bzimage *bz, uint64_t initrd_size, uint64_t low_ram_end,
                     uint64_t *addr);

#endif
