/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Placing and loading a Linux kernel Image laid out as arm64 and riscv64
 * both lay it out: the first byte goes text_offset above a 2 MiB-aligned
 * base, and image_size bytes from there belong to the kernel (the file,
 * then BSS and early page tables, which must read as zero). The arch
 * loaders parse their own headers and call these with the fields.
 */
#ifndef STDVMM_KERNEL_IMAGE_H
#define STDVMM_KERNEL_IMAGE_H

#include <stdint.h>

#include "stdvmm/guest_memory.h"

#define KERNEL_IMAGE_ALIGN 0x200000ull

struct kernel_image_layout {
    const char *what; /* "arm64 Image", for messages */
    uint64_t text_offset, image_size, file_size;
};

/* text_offset above the start of RAM, which must be 2 MiB aligned; image_size must fit. */
int kernel_image_place(const struct kernel_image_layout *k, uint64_t ram_base, uint64_t ram_size,
                       uint64_t *load_addr);
/* Copies the file to load_addr (text_offset above a 2 MiB boundary) and zeroes the rest. */
int kernel_image_load(const struct kernel_image_layout *k, struct gmem *mem, const uint8_t *data,
                      uint64_t load_addr);

#endif
