/* SPDX-License-Identifier: BSD-2-Clause */
/* The device tree configuration the DTB tests build: a 2-vCPU guest with every device kind. */
#ifndef STDVMM_TEST_DTB_SAMPLE_H
#define STDVMM_TEST_DTB_SAMPLE_H

#include "stdvmm/dtb.h"

#define SAMPLE_RAM_BASE 0x40000000ull
#define SAMPLE_RAM_SIZE 0x20000000ull
#define SAMPLE_INITRD_START 0x5f000000ull
#define SAMPLE_INITRD_END 0x5f1a2b3cull
#define SAMPLE_RECORD_BASE 0x5fc00000ull
#define SAMPLE_BOOTARGS "console=ttyS0 earlycon panic=-1"
#define SAMPLE_ITS_BASE 0x08080000ull

/* Fills cfg for a GICv3 (version 3) or GICv2 (version 2) guest. */
void dtb_sample_config(struct dtb_config *cfg, unsigned gic_version);
/* Adds a GICv3 ITS and a PMU (PPI 7) to a v3 sample. */
void dtb_sample_its_pmu(struct dtb_config *cfg);

#endif
