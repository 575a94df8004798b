/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arm64 Linux Image format (Documentation/arch/arm64/booting.rst): a
 * 64-byte header, then the kernel, entered at its first byte with the MMU
 * off. The header says how far the kernel extends beyond the file (BSS,
 * early page tables) and where it must sit relative to a 2 MiB boundary.
 */
#ifndef STDVMM_ARCH_AARCH64_IMAGE_H
#define STDVMM_ARCH_AARCH64_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/guest_memory.h"
#include "stdvmm/vm.h"

#define A64_IMAGE_HEADER_SIZE 64
#define A64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64", little-endian at offset 0x38 */
#define A64_IMAGE_MAGIC_OFFSET 0x38
#define A64_IMAGE_ALIGN 0x200000ull /* the 2 MiB base text_offset is counted from */
/* Far beyond any real kernel (Debian's is ~40 MiB); a bigger size is a corrupt header. */
#define A64_IMAGE_MAX_SIZE (512ull << 20)

#define A64_IMAGE_FLAG_BE (1ull << 0)            /* big-endian kernel */
#define A64_IMAGE_FLAG_ANY_PLACEMENT (1ull << 3) /* base may be anywhere in RAM */

/*
 * Where a raw kernel (no Image header) goes: 512 KiB above the start of
 * RAM, the text_offset pre-3.17 kernels assumed, and where QEMU and kvmtool
 * load such files; kvm-unit-tests' .flat images are linked for it.
 */
#define A64_RAW_TEXT_OFFSET 0x80000ull

struct a64_image {
    bool raw;             /* no header: the file is the whole kernel, entered at byte 0 */
    uint64_t text_offset; /* from a 2 MiB-aligned base to the first byte */
    uint64_t image_size;  /* bytes the kernel occupies from there, BSS included */
    uint64_t flags;
    uint64_t file_size;
};

/* Validates the header; every refusal names the field and its value. */
int a64_image_parse(const uint8_t *data, uint64_t size, struct a64_image *img);

/*
 * Decides how to load a kernel file and validates it. IMAGE: a64_image_parse.
 * RAW: the file as it is, at A64_RAW_TEXT_OFFSET, entered at its first
 * byte. AUTO: an Image when "ARM\x64" is at 0x38, else raw, except for
 * files whose first bytes say they are something else that would crash if
 * jumped into (compressed kernels, ELF, EFI PE without the Image header,
 * U-Boot images, x86 bzImages, riscv64 Images): those are refused, naming
 * the format. Returns 0 or -STDVMM_ENOEXEC with the reason logged.
 */
int a64_kernel_probe(const uint8_t *data, uint64_t size, enum vm_kernel_format format,
                     struct a64_image *img);

/* The name of a known non-raw format that data starts with, or NULL (exposed for tests). */
const char *a64_kernel_foreign_format(const uint8_t *data, uint64_t size);

/*
 * Where the kernel goes in RAM [ram_base, ram_base + ram_size): text_offset
 * above the first 2 MiB boundary, which the boot protocol prefers to be the
 * start of RAM (memory below the kernel may be unusable to it).
 */
int a64_image_place(const struct a64_image *img, uint64_t ram_base, uint64_t ram_size,
                    uint64_t *load_addr);

/* Copies the file to load_addr and zeroes the rest of image_size (BSS). */
int a64_image_load(struct gmem *mem, const uint8_t *data, const struct a64_image *img,
                   uint64_t load_addr);

#endif
