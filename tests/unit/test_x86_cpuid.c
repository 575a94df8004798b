/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-vCPU CPUID on realistic KVM_GET_SUPPORTED_CPUID lists (Intel and AMD EPYC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/cpuid.h"
#include "stdvmm/error.h"

#define SIGNIFICANT X86_CPUID_FLAG_SIGNIFICANT_INDEX
#define MAX_ENTRIES 100

/*
 * KVM_GET_SUPPORTED_CPUID on an Intel Xeon under nested KVM (captured from
 * the development host, a few all-zero leaves dropped). Note leaf 0xB: one
 * zeroed subleaf, no core level.
 */
static const struct x86_cpuid_entry intel[] = {
    {0x00000000, 0, 0, 0x0000001c, 0x756e6547, 0x6c65746e, 0x49656e69},
    {0x00000001, 0, 0, 0x000c06f2, 0x00020800, 0x81202000, 0x0f8bfbff},
    {0x00000002, 0, 0, 0x00feff01, 0x000000f0, 0x00000000, 0x00000000},
    {0x00000004, 0, SIGNIFICANT, 0x04000121, 0x02c0003f, 0x0000003f, 0x00000000},
    {0x00000004, 1, SIGNIFICANT, 0x04000122, 0x01c0003f, 0x0000003f, 0x00000000},
    {0x00000004, 2, SIGNIFICANT, 0x04000143, 0x03c0003f, 0x000007ff, 0x00000000},
    {0x00000004, 3, SIGNIFICANT, 0x04004163, 0x04c0003f, 0x00033fff, 0x00000000},
    {0x00000004, 4, SIGNIFICANT, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x00000006, 0, 0, 0x00000004, 0x00000000, 0x00000000, 0x00000000},
    {0x00000007, 0, SIGNIFICANT, 0x00000002, 0x01802852, 0x1a010104, 0x20010000},
    {0x00000007, 1, SIGNIFICANT, 0x00001c00, 0x00000000, 0x00000000, 0x00000000},
    {0x0000000b, 0, SIGNIFICANT, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x0000000d, 0, SIGNIFICANT, 0x000000e7, 0x00000a80, 0x00000a80, 0x00000000},
    {0x0000000d, 1, SIGNIFICANT, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x0000000d, 2, SIGNIFICANT, 0x00000100, 0x00000240, 0x00000000, 0x00000000},
    {0x80000000, 0, 0, 0x80000021, 0x00000000, 0x00000000, 0x00000000},
    {0x80000001, 0, 0, 0x00000000, 0x00000000, 0x00000101, 0x20100800},
    {0x80000006, 0, 0, 0x00000000, 0x00000000, 0x08007040, 0x00000000},
    {0x80000007, 0, 0, 0x00000000, 0x00000000, 0x00000000, 0x00000100},
    {0x80000008, 0, 0, 0x00003930, 0x00000000, 0x00000000, 0x00000000},
    {0x8000001d, 0, SIGNIFICANT, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x8000001e, 0, 0, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x80000021, 0, 0, 0x00000244, 0x00000000, 0x00000006, 0x00000000},
    {0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d},
    {0x40000001, 0, 0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000},
};

/*
 * The shape KVM reports on an AMD EPYC (Zen 3) host: host topology (a
 * 64-core package, 2 threads per core, L3 shared by 16 threads) leaking
 * through leaves 1, 0xB, 0x80000008 and 0x8000001D; 0x8000001E zeroed for
 * the VMM to fill.
 */
static const struct x86_cpuid_entry amd[] = {
    {0x00000000, 0, 0, 0x00000010, 0x68747541, 0x444d4163, 0x69746e65},
    {0x00000001, 0, 0, 0x00a00f11, 0x00800800, 0xf6f83203, 0x178bfbff},
    {0x00000007, 0, SIGNIFICANT, 0x00000000, 0x219c07a9, 0x0040068c, 0x00000010},
    {0x0000000b, 0, SIGNIFICANT, 0x00000001, 0x00000002, 0x00000100, 0x00000000},
    {0x0000000b, 1, SIGNIFICANT, 0x00000007, 0x00000080, 0x00000201, 0x00000000},
    {0x0000000d, 0, SIGNIFICANT, 0x00000207, 0x00000340, 0x00000988, 0x00000000},
    {0x80000000, 0, 0, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65},
    {0x80000001, 0, 0, 0x00a00f11, 0x40000000, 0x75c237ff, 0x2fd3fbff},
    {0x80000008, 0, 0, 0x00003030, 0x91bef657, 0x0000703f, 0x00000000},
    {0x8000001d, 0, SIGNIFICANT, 0x00004121, 0x01c0003f, 0x0000003f, 0x00000000},
    {0x8000001d, 1, SIGNIFICANT, 0x00004122, 0x01c0003f, 0x0000003f, 0x00000000},
    {0x8000001d, 2, SIGNIFICANT, 0x00004143, 0x01c0003f, 0x000003ff, 0x00000002},
    {0x8000001d, 3, SIGNIFICANT, 0x0003c163, 0x03c0003f, 0x00007fff, 0x00000001},
    {0x8000001d, 4, SIGNIFICANT, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x8000001e, 0, 0, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
    {0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d},
    {0x40000001, 0, 0, 0x01007efb, 0x00000000, 0x00000000, 0x00000000},
};

#define COUNT(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

static struct x86_cpuid_entry list[MAX_ENTRIES];

/* A fresh, completed copy of sample, patched for vCPU index of count. */
static unsigned prepare(const struct x86_cpuid_entry *sample, unsigned n, unsigned index,
                        unsigned count)
{
    memset(list, 0, sizeof(list));
    memcpy(list, sample, n * sizeof(*sample));
    int m = x86_cpuid_complete(list, n, MAX_ENTRIES);
    assert_true(m >= (int)n);
    assert_int_equal(x86_cpuid_configure(list, (unsigned)m, index, count), 0);
    return (unsigned)m;
}

static const struct x86_cpuid_entry *get(unsigned n, uint32_t function, uint32_t index)
{
    for (unsigned i = 0; i < n; i++)
        if (list[i].function == function && list[i].index == index)
            return &list[i];
    fail_msg("leaf 0x%x subleaf %u missing", function, index);
    return NULL;
}

/* Leaves nobody should touch are byte-identical to the sample. */
static void assert_rest_unchanged(const struct x86_cpuid_entry *sample, unsigned n)
{
    static const uint32_t patched[] = {1,          4,          0xb,        0x1f,
                                       0x80000001, 0x80000008, 0x8000001d, 0x8000001e};
    for (unsigned i = 0; i < n; i++) {
        int is_patched = 0;
        for (unsigned j = 0; j < COUNT(patched); j++)
            is_patched |= sample[i].function == patched[j];
        if (!is_patched)
            assert_memory_equal(&list[i], &sample[i], sizeof(sample[i]));
    }
}

static void assert_topology_leaf(unsigned n, unsigned apic_id, unsigned count, uint32_t shift)
{
    const struct x86_cpuid_entry *smt = get(n, 0xb, 0);
    assert_int_equal(smt->eax, 0);
    assert_int_equal(smt->ebx, 1);
    assert_int_equal(smt->ecx, 0x100);
    assert_int_equal(smt->edx, apic_id);
    const struct x86_cpuid_entry *core = get(n, 0xb, 1);
    assert_int_equal(core->eax, shift);
    assert_int_equal(core->ebx, count);
    assert_int_equal(core->ecx, 0x201);
    assert_int_equal(core->edx, apic_id);
    assert_true(core->flags & SIGNIFICANT);
}

static void test_intel_four_vcpus(void **state)
{
    (void)state;
    unsigned n = prepare(intel, COUNT(intel), 2, 4);
    assert_int_equal(n, COUNT(intel) + 1); /* 0xB core level added */

    const struct x86_cpuid_entry *l1 = get(n, 1, 0);
    assert_int_equal(l1->ebx >> 24, 2);
    assert_int_equal((l1->ebx >> 16) & 0xff, 4);
    assert_int_equal(l1->ebx & 0xffff, 0x0800); /* CLFLUSH size kept */
    assert_true(l1->edx & X86_CPUID_1_EDX_HTT);
    assert_true(l1->ecx & X86_CPUID_1_ECX_HYPERVISOR);
    assert_int_equal(l1->eax, 0x000c06f2);

    /* Leaf 4: 4 cores per package; L1/L2 private, L3 shared by all 4. */
    for (unsigned i = 0; i < 4; i++) {
        const struct x86_cpuid_entry *c = get(n, 4, i);
        assert_int_equal(c->eax >> 26, 3);
        unsigned level = (c->eax >> 5) & 7;
        assert_int_equal((c->eax >> 14) & 0xfff, level == 3 ? 3 : 0);
        assert_int_equal(c->eax & 0x3fff, intel[3 + i].eax & 0x3fff);
        assert_int_equal(c->ebx, intel[3 + i].ebx);
    }
    assert_int_equal(get(n, 4, 4)->eax, 0);

    assert_topology_leaf(n, 2, 4, 2);

    /* Intel: CmpLegacy stays clear, 0x80000008 ECX and 0x8000001D untouched. */
    assert_false(get(n, 0x80000001, 0)->ecx & X86_CPUID_80000001_ECX_CMP_LEGACY);
    assert_int_equal(get(n, 0x80000008, 0)->ecx, 0);
    assert_int_equal(get(n, 0x8000001d, 0)->eax, 0);

    /* kvmclock and friends pass through. */
    assert_int_equal(get(n, 0x40000000, 0)->ebx, 0x4b4d564b);
    assert_int_equal(get(n, 0x40000001, 0)->eax, 0x01007efb);
    assert_rest_unchanged(intel, COUNT(intel));
}

static void test_intel_one_vcpu(void **state)
{
    (void)state;
    unsigned n = prepare(intel, COUNT(intel), 0, 1);
    const struct x86_cpuid_entry *l1 = get(n, 1, 0);
    assert_int_equal(l1->ebx >> 24, 0);
    assert_int_equal((l1->ebx >> 16) & 0xff, 1);
    assert_false(l1->edx & X86_CPUID_1_EDX_HTT);
    assert_true(l1->ecx & X86_CPUID_1_ECX_HYPERVISOR);
    assert_int_equal(get(n, 4, 0)->eax >> 26, 0);
    assert_int_equal((get(n, 4, 3)->eax >> 14) & 0xfff, 0);
    assert_topology_leaf(n, 0, 1, 0);
}

static void test_amd_eight_vcpus(void **state)
{
    (void)state;
    unsigned n = prepare(amd, COUNT(amd), 5, 8);
    assert_int_equal(n, COUNT(amd)); /* 0xB already had its core level */

    const struct x86_cpuid_entry *l1 = get(n, 1, 0);
    assert_int_equal(l1->ebx >> 24, 5);
    assert_int_equal((l1->ebx >> 16) & 0xff, 8);
    assert_true(l1->edx & X86_CPUID_1_EDX_HTT);
    assert_true(l1->ecx & X86_CPUID_1_ECX_HYPERVISOR);

    assert_topology_leaf(n, 5, 8, 3);

    const struct x86_cpuid_entry *ext = get(n, 0x80000001, 0);
    assert_true(ext->ecx & X86_CPUID_80000001_ECX_CMP_LEGACY);
    assert_true(ext->ecx & X86_CPUID_80000001_ECX_TOPOEXT);
    assert_int_equal(ext->edx, 0x2fd3fbff);

    const struct x86_cpuid_entry *size = get(n, 0x80000008, 0);
    assert_int_equal(size->ecx & 0xff, 7);        /* NC: 8 cores */
    assert_int_equal((size->ecx >> 12) & 0xf, 3); /* ApicIdCoreIdSize */
    assert_int_equal(size->eax, 0x00003030);

    for (unsigned i = 0; i < 4; i++) {
        const struct x86_cpuid_entry *c = get(n, 0x8000001d, i);
        unsigned level = (c->eax >> 5) & 7;
        assert_int_equal((c->eax >> 14) & 0xfff, level == 3 ? 7 : 0);
        assert_int_equal(c->eax & 0x3fff, amd[9 + i].eax & 0x3fff);
    }

    const struct x86_cpuid_entry *topo = get(n, 0x8000001e, 0);
    assert_int_equal(topo->eax, 5);
    assert_int_equal(topo->ebx, 5); /* core 5, 1 thread per core */
    assert_int_equal(topo->ecx, 0); /* node 0, 1 node */
    assert_rest_unchanged(amd, COUNT(amd));
}

static void test_amd_one_vcpu(void **state)
{
    (void)state;
    unsigned n = prepare(amd, COUNT(amd), 0, 1);
    assert_false(get(n, 1, 0)->edx & X86_CPUID_1_EDX_HTT);
    assert_false(get(n, 0x80000001, 0)->ecx & X86_CPUID_80000001_ECX_CMP_LEGACY);
    assert_int_equal(get(n, 0x80000008, 0)->ecx & 0xf0ff, 0);
    assert_int_equal((get(n, 0x8000001d, 3)->eax >> 14) & 0xfff, 0);
    assert_topology_leaf(n, 0, 1, 0);
}

static void test_odd_count_rounds_shift_up(void **state)
{
    (void)state;
    unsigned n = prepare(amd, COUNT(amd), 2, 3);
    assert_topology_leaf(n, 2, 3, 2);
    assert_int_equal((get(n, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
}

static void test_same_input_same_output(void **state)
{
    static struct x86_cpuid_entry first[MAX_ENTRIES];
    (void)state;
    unsigned n = prepare(amd, COUNT(amd), 3, 4);
    memcpy(first, list, sizeof(list));
    /* Configuring twice (a vCPU reset) changes nothing further. */
    assert_int_equal(x86_cpuid_configure(list, n, 3, 4), 0);
    assert_memory_equal(first, list, n * sizeof(list[0]));
}

static void test_errors(void **state)
{
    (void)state;
    memcpy(list, intel, sizeof(intel));
    assert_int_equal(x86_cpuid_configure(list, COUNT(intel), 4, 4), -STDVMM_EINVAL);
    assert_int_equal(x86_cpuid_configure(list, COUNT(intel), 0, 0), -STDVMM_EINVAL);
    assert_int_equal(x86_cpuid_configure(list, COUNT(intel), 0, 256), -STDVMM_EINVAL);
    assert_int_equal(x86_cpuid_configure(list, COUNT(intel), 254, 255), 0);
    /* A list without leaf 1 cannot carry an APIC ID. */
    assert_int_equal(x86_cpuid_configure(list + 2, COUNT(intel) - 2, 0, 1), -STDVMM_EINVAL);
    assert_int_equal(x86_cpuid_configure(NULL, 0, 0, 1), -STDVMM_EINVAL);
}

static void test_complete(void **state)
{
    (void)state;
    memcpy(list, intel, sizeof(intel));
    /* No room for the core level. */
    assert_int_equal(x86_cpuid_complete(list, COUNT(intel), COUNT(intel)), -STDVMM_ENOSPC);
    /* Added once; a second call finds it. */
    int n = x86_cpuid_complete(list, COUNT(intel), MAX_ENTRIES);
    assert_int_equal(n, COUNT(intel) + 1);
    assert_int_equal(x86_cpuid_complete(list, (unsigned)n, MAX_ENTRIES), n);
    /* Without leaf 0xB nothing is added. */
    memcpy(list, intel, sizeof(intel));
    list[11].function = 0xa; /* the 0xB entry */
    assert_int_equal(x86_cpuid_complete(list, COUNT(intel), MAX_ENTRIES), COUNT(intel));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intel_four_vcpus),
        cmocka_unit_test(test_intel_one_vcpu),
        cmocka_unit_test(test_amd_eight_vcpus),
        cmocka_unit_test(test_amd_one_vcpu),
        cmocka_unit_test(test_odd_count_rounds_shift_up),
        cmocka_unit_test(test_same_input_same_output),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
