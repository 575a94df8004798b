/* SPDX-License-Identifier: BSD-2-Clause */
#include "bzimage_sample.h"

#include <string.h>

#include "arch/x86_64/bzimage.h"

void bzimage_sample(uint8_t image[BZIMAGE_SAMPLE_SIZE])
{
    memset(image, 0, BZIMAGE_SAMPLE_SIZE);
    image[X86_HDR_SETUP_SECTS] = BZIMAGE_SAMPLE_SETUP_SECTS;
    x86_put32(image + X86_HDR_SYSSIZE, BZIMAGE_SAMPLE_KERNEL_SIZE / 16);
    x86_put16(image + X86_HDR_VID_MODE, 0xffff);
    x86_put16(image + X86_HDR_BOOT_FLAG, 0xaa55);
    image[X86_HDR_JUMP] = 0xeb;
    image[X86_HDR_JUMP + 1] = 0x6a; /* header ends at 0x26c */
    memcpy(image + X86_HDR_MAGIC, "HdrS", 4);
    x86_put16(image + X86_HDR_VERSION, 0x020f);
    image[X86_HDR_LOADFLAGS] = X86_LOADED_HIGH;
    x86_put32(image + X86_HDR_INITRD_ADDR_MAX, 0x7fffffff);
    x86_put32(image + X86_HDR_KERNEL_ALIGNMENT, 0x200000);
    image[X86_HDR_RELOCATABLE] = 1;
    image[X86_HDR_MIN_ALIGNMENT] = 21;
    x86_put16(image + X86_HDR_XLOADFLAGS, 0x7f);
    x86_put32(image + X86_HDR_CMDLINE_SIZE, 2047);
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x1000000);
    x86_put32(image + X86_HDR_INIT_SIZE, BZIMAGE_SAMPLE_INIT_SIZE);
    for (unsigned i = 0; i < BZIMAGE_SAMPLE_KERNEL_SIZE; i++)
        image[BZIMAGE_SAMPLE_SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
}
