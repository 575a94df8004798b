/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MSR values for every vCPU at boot. Without firmware nothing else would put
 * these architectural registers into a defined state, and a vCPU re-used
 * across a guest reset would keep its old values.
 */
#ifndef STDVMM_ARCH_X86_64_MSRS_H
#define STDVMM_ARCH_X86_64_MSRS_H

#include "stdvmm/hv_x86_64.h"

#define X86_MSR_IA32_TSC 0x10
#define X86_MSR_IA32_SYSENTER_CS 0x174
#define X86_MSR_IA32_SYSENTER_ESP 0x175
#define X86_MSR_IA32_SYSENTER_EIP 0x176
#define X86_MSR_IA32_MISC_ENABLE 0x1a0
#define X86_MSR_MTRR_DEF_TYPE 0x2ff
#define X86_MSR_STAR 0xc0000081
#define X86_MSR_LSTAR 0xc0000082
#define X86_MSR_CSTAR 0xc0000083
#define X86_MSR_SYSCALL_MASK 0xc0000084
#define X86_MSR_KERNEL_GS_BASE 0xc0000102

#define X86_MISC_ENABLE_FAST_STRING (1ull << 0)
#define X86_MTRR_DEF_TYPE_E (1ull << 11)
#define X86_MTRR_TYPE_WB 6ull

#define X86_BOOT_MSR_COUNT 11

/* Fills out[0..X86_BOOT_MSR_COUNT); returns that count, or -STDVMM_ENOSPC if max is smaller. */
int x86_boot_msrs(struct x86_msr *out, unsigned max);

#endif
