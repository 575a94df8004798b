/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux x86 bzImage: a real-mode setup area (boot sector + setup_sects
 * sectors) carrying the setup header at 0x1F1, followed by the
 * protected-mode kernel. stdvmm uses only the header and the protected-mode
 * part, entered at its 64-bit entry point (boot protocol 2.12 or later).
 */
#ifndef STDVMM_ARCH_X86_64_BZIMAGE_H
#define STDVMM_ARCH_X86_64_BZIMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/guest_memory.h"

/* Setup header fields: offsets in the image file and in boot_params alike. */
#define X86_HDR_SETUP_SECTS 0x1f1      /* u8 */
#define X86_HDR_SYSSIZE 0x1f4          /* u32, 16-byte units */
#define X86_HDR_VID_MODE 0x1fa         /* u16 */
#define X86_HDR_BOOT_FLAG 0x1fe        /* u16, 0xAA55 */
#define X86_HDR_JUMP 0x200             /* u16, short jump; byte 0x201 = header length - 2 */
#define X86_HDR_MAGIC 0x202            /* u32, "HdrS" */
#define X86_HDR_VERSION 0x206          /* u16 */
#define X86_HDR_TYPE_OF_LOADER 0x210   /* u8 */
#define X86_HDR_LOADFLAGS 0x211        /* u8 */
#define X86_HDR_CODE32_START 0x214     /* u32 */
#define X86_HDR_RAMDISK_IMAGE 0x218    /* u32 */
#define X86_HDR_RAMDISK_SIZE 0x21c     /* u32 */
#define X86_HDR_HEAP_END_PTR 0x224     /* u16 */
#define X86_HDR_CMD_LINE_PTR 0x228     /* u32 */
#define X86_HDR_INITRD_ADDR_MAX 0x22c  /* u32 */
#define X86_HDR_KERNEL_ALIGNMENT 0x230 /* u32 */
#define X86_HDR_RELOCATABLE 0x234      /* u8 */
#define X86_HDR_MIN_ALIGNMENT 0x235    /* u8, log2 */
#define X86_HDR_XLOADFLAGS 0x236       /* u16 */
#define X86_HDR_CMDLINE_SIZE 0x238     /* u32 */
#define X86_HDR_SETUP_DATA 0x250       /* u64 */
#define X86_HDR_PREF_ADDRESS 0x258     /* u64 */
#define X86_HDR_INIT_SIZE 0x260        /* u32 */
#define X86_HDR_END_2_12 0x264         /* the 2.12 header must reach at least this far */
#define X86_HDR_END_MAX 0x290          /* the header area of boot_params ends here */

#define X86_BOOT_FLAG_MAGIC 0xaa55u
#define X86_HDR_MAGIC_HDRS 0x53726448u /* "HdrS" read little-endian */
#define X86_BOOT_PROTOCOL_MIN 0x020c   /* 2.12: xloadflags, so XLF_KERNEL_64 can be checked */

/* loadflags */
#define X86_LOADED_HIGH (1u << 0)
#define X86_KASLR_FLAG (1u << 1)
#define X86_QUIET_FLAG (1u << 5)
#define X86_KEEP_SEGMENTS (1u << 6)
#define X86_CAN_USE_HEAP (1u << 7)

/* xloadflags */
#define X86_XLF_KERNEL_64 (1u << 0)
#define X86_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

/* The 64-bit entry point is this far into the protected-mode kernel. */
#define X86_ENTRY64_OFFSET 0x200u

struct x86_bzimage {
    uint16_t protocol; /* e.g. 0x020f for 2.15 */
    uint8_t loadflags;
    uint16_t xloadflags;
    uint32_t header_end;    /* file offset one past the setup header */
    uint32_t setup_size;    /* boot sector + setup sectors, bytes */
    uint64_t kernel_offset; /* protected-mode kernel in the file */
    uint64_t kernel_size;
    uint64_t load_addr;  /* where the protected-mode kernel goes */
    uint64_t entry64;    /* load_addr + 0x200 */
    uint32_t init_size;  /* memory the kernel needs from load_addr on */
    uint64_t kernel_end; /* load_addr + max(init_size, kernel_size) */
    uint32_t kernel_alignment;
    bool relocatable;
    uint32_t cmdline_size;    /* longest command line, NUL not counted */
    uint32_t initrd_addr_max; /* highest address an initramfs byte may occupy */
};

/*
 * Validates a bzImage of size bytes and describes it in *out. Rejects what
 * stdvmm cannot boot with a message naming the problem: truncated files
 * (-STDVMM_EIO), files that are not a bzImage at all, such as an ELF vmlinux
 * or an arm64 Image (-STDVMM_ENOEXEC), a boot protocol older than 2.12 or a
 * kernel without a 64-bit entry point (-STDVMM_ENOTSUP), and header fields
 * that contradict the file or each other (-STDVMM_ERANGE, -STDVMM_EINVAL).
 */
int x86_bzimage_parse(const uint8_t *img, uint64_t size, struct x86_bzimage *out);

/*
 * Copies the protected-mode kernel of a parsed image to bz->load_addr, after
 * checking that guest RAM covers the init_size bytes the kernel will use.
 */
int x86_bzimage_load(const struct gmem *gm, const uint8_t *img, const struct x86_bzimage *bz);

/* Little-endian field access for the setup header and the zero page. */
static inline uint16_t x86_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t x86_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t x86_get64(const uint8_t *p)
{
    return (uint64_t)x86_get32(p) | (uint64_t)x86_get32(p + 4) << 32;
}

static inline void x86_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void x86_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void x86_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
