/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The riscv64 Linux Image format (Documentation/arch/riscv/boot-image-header.rst):
 * a 64-byte header, then the kernel, entered at its first byte in S-mode
 * with the MMU off, a0 = the hart's ID, a1 = the device tree. The header
 * gives the kernel's size in memory (BSS included) and its offset from a
 * 2 MiB-aligned base. Under KVM the SBI firmware is the hypervisor's, so
 * nothing needs to sit below the kernel: the base is the start of RAM.
 */
#ifndef STDVMM_ARCH_RISCV64_IMAGE_H
#define STDVMM_ARCH_RISCV64_IMAGE_H

#include <stdint.h>

#include "stdvmm/guest_memory.h"

#define RV64_IMAGE_HEADER_SIZE 64
#define RV64_IMAGE_MAGIC2 0x05435352u /* "RSC\x05", little-endian at offset 0x38 */
#define RV64_IMAGE_MAGIC2_OFFSET 0x38
#define RV64_IMAGE_MAGIC 0x0000005643534952ull /* "RISCV\0\0\0" at 0x30, deprecated */
#define RV64_IMAGE_MAGIC_OFFSET 0x30
#define RV64_IMAGE_ALIGN 0x200000ull /* a PMD on rv64: the base text_offset is counted from */
#define RV64_IMAGE_MAX_SIZE (512ull << 20)
#define RV64_IMAGE_FLAG_BE (1ull << 0)
/* Header version 0.2 is the first with magic2 and the fields used here. */
#define RV64_IMAGE_VERSION_MIN 0x00000002u

struct rv64_image {
    uint64_t text_offset;
    uint64_t image_size;
    uint64_t flags;
    uint32_t version;
    uint64_t file_size;
};

/* Validates the header; every refusal names the field and its value. */
int rv64_image_parse(const uint8_t *data, uint64_t size, struct rv64_image *img);
/* text_offset above the start of RAM, which must be 2 MiB aligned; the kernel must fit. */
int rv64_image_place(const struct rv64_image *img, uint64_t ram_base, uint64_t ram_size,
                     uint64_t *load_addr);
/* Copies the file to load_addr and zeroes the rest of image_size (BSS). */
int rv64_image_load(struct gmem *mem, const uint8_t *data, const struct rv64_image *img,
                    uint64_t load_addr);

#endif
