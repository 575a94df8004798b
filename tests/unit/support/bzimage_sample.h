/* SPDX-License-Identifier: BSD-2-Clause */
/* A synthetic x86_64 bzImage for the loader and machine tests. */
#ifndef STDVMM_TEST_BZIMAGE_SAMPLE_H
#define STDVMM_TEST_BZIMAGE_SAMPLE_H

#include <stdint.h>

#define BZIMAGE_SAMPLE_SETUP_SECTS 4
#define BZIMAGE_SAMPLE_SETUP_SIZE ((BZIMAGE_SAMPLE_SETUP_SECTS + 1) * 512)
#define BZIMAGE_SAMPLE_KERNEL_SIZE 8192
#define BZIMAGE_SAMPLE_SIZE (BZIMAGE_SAMPLE_SETUP_SIZE + BZIMAGE_SAMPLE_KERNEL_SIZE)
#define BZIMAGE_SAMPLE_INIT_SIZE 0x800000u

/*
 * Fills image with a minimal but complete protocol 2.15 x86_64 bzImage,
 * like a current distribution kernel's; the payload is a known pattern.
 */
void bzimage_sample(uint8_t image[BZIMAGE_SAMPLE_SIZE]);

#endif
