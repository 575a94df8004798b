/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/cpuid.h"

#include <stdbool.h>
#include <stddef.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

enum vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

/* Leaf 0 vendor strings, as EBX, EDX, ECX. */
#define SIG(a, b, c, d)                                                                            \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Leaf 0xB/0x1F level types */
#define LEVEL_INVALID 0u
#define LEVEL_SMT 1u
#define LEVEL_CORE 2u

static struct x86_cpuid_entry *find(struct x86_cpuid_entry *e, unsigned n, uint32_t function,
                                    uint32_t index)
{
    for (unsigned i = 0; i < n; i++)
        if (e[i].function == function && e[i].index == index)
            return &e[i];
    return NULL;
}

static enum vendor vendor_of(struct x86_cpuid_entry *e, unsigned n)
{
    const struct x86_cpuid_entry *v = find(e, n, 0, 0);
    if (v == NULL)
        return VENDOR_OTHER;
    if (v->ebx == SIG('G', 'e', 'n', 'u') && v->edx == SIG('i', 'n', 'e', 'I') &&
        v->ecx == SIG('n', 't', 'e', 'l'))
        return VENDOR_INTEL;
    /* Hygon CPUs are Zen cores and take the same topology leaves. */
    if ((v->ebx == SIG('A', 'u', 't', 'h') && v->edx == SIG('e', 'n', 't', 'i') &&
         v->ecx == SIG('c', 'A', 'M', 'D')) ||
        (v->ebx == SIG('H', 'y', 'g', 'o') && v->edx == SIG('n', 'G', 'e', 'n') &&
         v->ecx == SIG('u', 'i', 'n', 'e')))
        return VENDOR_AMD;
    return VENDOR_OTHER;
}

/* Bits needed to number count items: the APIC-ID field widths of leaves 0xB and 0x80000008. */
static uint32_t order(unsigned count)
{
    uint32_t bits = 0;
    while ((1u << bits) < count)
        bits++;
    return bits;
}

static uint32_t set_field(uint32_t reg, unsigned shift, unsigned width, uint32_t value)
{
    uint32_t mask = ((1u << width) - 1) << shift;
    uint32_t max = (1u << width) - 1;
    if (value > max)
        value = max;
    return (reg & ~mask) | (value << shift);
}

/*
 * Leaves 4 (Intel) and 0x8000001D (AMD) describe caches with the same
 * EAX layout: type in 4:0, level in 7:5, sharing threads - 1 in 25:14.
 * One thread per core shares L1 and L2; the whole package shares L3.
 */
static void patch_cache_leaf(struct x86_cpuid_entry *c, unsigned vcpu_count)
{
    if ((c->eax & 0x1f) == 0)
        return; /* no cache at this subleaf */
    unsigned level = (c->eax >> 5) & 7;
    c->eax = set_field(c->eax, 14, 12, level >= 3 ? vcpu_count - 1 : 0);
}

static void patch_topology_leaf(struct x86_cpuid_entry *t, unsigned vcpu_index, unsigned vcpu_count)
{
    switch (t->index) {
    case 0:
        t->eax = 0; /* one thread per core: no SMT bits in the APIC ID */
        t->ebx = 1;
        t->ecx = LEVEL_SMT << 8 | 0;
        break;
    case 1:
        t->eax = order(vcpu_count);
        t->ebx = vcpu_count;
        t->ecx = LEVEL_CORE << 8 | 1;
        break;
    default:
        t->eax = 0;
        t->ebx = 0;
        t->ecx = LEVEL_INVALID << 8 | (t->index & 0xff);
        break;
    }
    t->edx = vcpu_index; /* x2APIC ID equals the APIC ID */
}

int x86_cpuid_complete(struct x86_cpuid_entry *e, unsigned n, unsigned max)
{
    static const uint32_t topology_leaves[] = {0xb, 0x1f};

    for (size_t i = 0; i < sizeof(topology_leaves) / sizeof(topology_leaves[0]); i++) {
        uint32_t f = topology_leaves[i];
        if (find(e, n, f, 0) == NULL || find(e, n, f, 1) != NULL)
            continue;
        if (n >= max) {
            LOG_ERR("CPUID list is full (%u entries): no room for leaf 0x%x subleaf 1", max, f);
            return -STDVMM_ENOSPC;
        }
        e[n++] = (struct x86_cpuid_entry){
            .function = f, .index = 1, .flags = X86_CPUID_FLAG_SIGNIFICANT_INDEX};
    }
    return (int)n;
}

int x86_cpuid_configure(struct x86_cpuid_entry *e, unsigned n, unsigned vcpu_index,
                        unsigned vcpu_count)
{
    if (vcpu_count == 0 || vcpu_count > X86_CPUID_MAX_VCPUS || vcpu_index >= vcpu_count) {
        LOG_ERR("CPUID: vCPU %u of %u is out of range (1 to %u vCPUs)", vcpu_index, vcpu_count,
                X86_CPUID_MAX_VCPUS);
        return -STDVMM_EINVAL;
    }
    if (e == NULL || find(e, n, 1, 0) == NULL) {
        LOG_ERR("CPUID: the supported list (%u entries) has no leaf 1", n);
        return -STDVMM_EINVAL;
    }
    enum vendor vendor = vendor_of(e, n);
    bool multi = vcpu_count > 1;

    for (unsigned i = 0; i < n; i++) {
        struct x86_cpuid_entry *c = &e[i];
        switch (c->function) {
        case 1:
            /* Keep brand index and CLFLUSH size (15:0); APIC ID and logical count are ours. */
            c->ebx = (c->ebx & 0xffff) | vcpu_count << 16 | vcpu_index << 24;
            c->edx = multi ? c->edx | X86_CPUID_1_EDX_HTT : c->edx & ~X86_CPUID_1_EDX_HTT;
            c->ecx |= X86_CPUID_1_ECX_HYPERVISOR;
            break;
        case 4:
            if ((c->eax & 0x1f) != 0)
                c->eax = set_field(c->eax, 26, 6, vcpu_count - 1); /* cores per package - 1 */
            patch_cache_leaf(c, vcpu_count);
            break;
        case 0xb:
        case 0x1f:
            patch_topology_leaf(c, vcpu_index, vcpu_count);
            break;
        case 0x80000001:
            /*
             * On AMD, CmpLegacy tells Linux the leaf 1 logical count is cores,
             * not hyperthreads. Intel leaves the bit reserved.
             */
            if (vendor == VENDOR_AMD && multi)
                c->ecx |= X86_CPUID_80000001_ECX_CMP_LEGACY;
            else
                c->ecx &= ~X86_CPUID_80000001_ECX_CMP_LEGACY;
            break;
        case 0x80000008:
            /* NC (7:0) and ApicIdCoreIdSize (15:12) are AMD's; on Intel ECX is reserved. */
            if (vendor == VENDOR_AMD) {
                c->ecx = set_field(c->ecx, 0, 8, vcpu_count - 1);
                c->ecx = set_field(c->ecx, 12, 4, order(vcpu_count));
            }
            break;
        case 0x8000001d:
            patch_cache_leaf(c, vcpu_count);
            break;
        case 0x8000001e:
            /* Extended APIC ID; compute unit = core, 1 thread each; one node. */
            c->eax = vcpu_index;
            c->ebx = vcpu_index & 0xff;
            c->ecx = 0;
            c->edx = 0;
            break;
        default:
            break;
        }
    }
    return 0;
}
