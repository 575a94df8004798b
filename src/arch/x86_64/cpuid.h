/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turning the CPUID list the hypervisor supports into what one vCPU of an
 * N-vCPU guest reports: its APIC ID, and a topology of one package with N
 * single-threaded cores, told consistently through every leaf Linux reads
 * (1, 4, 0xB/0x1F on Intel; 0x80000001, 0x80000008, 0x8000001D/0x8000001E on
 * AMD). Leaves stdvmm has no opinion on, the KVM paravirt leaves 0x40000000+
 * (kvmclock) among them, pass through unchanged.
 */
#ifndef STDVMM_ARCH_X86_64_CPUID_H
#define STDVMM_ARCH_X86_64_CPUID_H

#include "stdvmm/hv_x86_64.h"

#define X86_CPUID_MAX_VCPUS 255 /* leaf 1 carries the APIC ID in 8 bits */

/* Leaf 1 */
#define X86_CPUID_1_ECX_HYPERVISOR (1u << 31)
#define X86_CPUID_1_EDX_HTT (1u << 28)
/* Leaf 0x80000001 */
#define X86_CPUID_80000001_ECX_CMP_LEGACY (1u << 1)
#define X86_CPUID_80000001_ECX_TOPOEXT (1u << 22)

/*
 * Adds the entries x86_cpuid_configure() needs but a hypervisor may leave
 * out: subleaf 1 (the core level) of leaves 0xB and 0x1F when subleaf 0 is
 * there without it (KVM under nested virtualisation reports a lone, zeroed
 * subleaf 0). e has room for max entries, n are used. Returns the new count,
 * or a negative error when there is no room. Call once on the supported list.
 */
int x86_cpuid_complete(struct x86_cpuid_entry *e, unsigned n, unsigned max);

/*
 * Patches e[0..n) in place for vCPU vcpu_index of vcpu_count. Pure: the same
 * inputs give the same list. Call on a fresh copy of the supported list for
 * each vCPU.
 */
int x86_cpuid_configure(struct x86_cpuid_entry *e, unsigned n, unsigned vcpu_index,
                        unsigned vcpu_count);

#endif
