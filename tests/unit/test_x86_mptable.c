/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MP table read back the way Linux's mpparse.c reads it: the floating
 * pointer found by a 16-byte-step signature scan, both checksums, the
 * configuration table's entries walked by type and length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/mptable.h"
#include "stdvmm/error.h"

#define AREA_GPA 0x9fc00u
#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u

static uint8_t area[8192];

static uint16_t r16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)r16(p) | (uint32_t)r16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

struct parsed {
    unsigned cpus, bsps, buses, ioapics, intsrcs, lintsrcs;
    uint8_t apic_ids[256];
    uint8_t irq_pin[16];
    uint8_t ioapic_id;
    uint32_t ioapic_addr;
};

/* Like smp_scan_config() over the first KiB, then smp_read_mpc(). */
static void parse(struct parsed *out)
{
    const uint8_t *mpf = NULL;
    for (size_t off = 0; off + 16 <= 1024; off += 16) {
        const uint8_t *p = area + off;
        if (memcmp(p, "_MP_", 4) == 0 && p[8] == 1 && sum(p, 16) == 0 && (p[9] == 1 || p[9] == 4)) {
            mpf = p;
            break;
        }
    }
    assert_non_null(mpf);
    assert_int_equal(mpf[11], 0); /* feature1: a real table, no default configuration */
    uint32_t physptr = r32(mpf + 4);
    assert_true(physptr >= AREA_GPA && physptr + 44 <= AREA_GPA + sizeof(area));
    const uint8_t *mpc = area + (physptr - AREA_GPA);
    assert_memory_equal(mpc, "PCMP", 4);
    uint16_t len = r16(mpc + 4);
    assert_true(physptr + len <= AREA_GPA + sizeof(area));
    assert_int_equal(sum(mpc, len), 0);
    assert_int_equal(mpc[6], 4);
    assert_int_equal(r32(mpc + 36), LAPIC_ADDR);

    memset(out, 0, sizeof(*out));
    memset(out->irq_pin, 0xff, sizeof(out->irq_pin));
    unsigned count = r16(mpc + 34), seen = 0;
    const uint8_t *e = mpc + 44, *end = mpc + len;
    while (e < end) {
        seen++;
        switch (e[0]) {
        case 0:
            assert_true(e + 20 <= end);
            assert_true(e[3] & 1);
            out->apic_ids[out->cpus++] = e[1];
            out->bsps += (e[3] & 2) != 0;
            e += 20;
            continue;
        case 1:
            assert_memory_equal(e + 2, "ISA   ", 6);
            out->buses++;
            break;
        case 2:
            assert_true(e[3] & 1);
            out->ioapic_id = e[1];
            out->ioapic_addr = r32(e + 4);
            out->ioapics++;
            break;
        case 3:
            assert_int_equal(e[1], 0);
            assert_int_equal(e[6], out->ioapic_id);
            assert_true(e[5] < 16);
            out->irq_pin[e[5]] = e[7];
            out->intsrcs++;
            break;
        case 4:
            assert_int_equal(e[6], 0xff);
            out->lintsrcs++;
            break;
        default:
            fail_msg("unknown MP table entry type %u", e[0]);
        }
        assert_true(e + 8 <= end);
        e += 8;
    }
    assert_ptr_equal(e, end);
    assert_int_equal(seen, count);
}

static void test_one_vcpu(void **state)
{
    (void)state;
    struct parsed p;
    memset(area, 0xa5, sizeof(area));
    assert_int_equal(x86_mptable_build(area, sizeof(area), AREA_GPA, 1, 0, IOAPIC_ADDR, LAPIC_ADDR),
                     0);
    parse(&p);
    assert_int_equal(p.cpus, 1);
    assert_int_equal(p.bsps, 1);
    assert_int_equal(p.apic_ids[0], 0);
    assert_int_equal(p.buses, 1);
    assert_int_equal(p.ioapics, 1);
    assert_int_equal(p.ioapic_addr, IOAPIC_ADDR);
    assert_int_equal(p.lintsrcs, 2);
    assert_int_equal(p.intsrcs, 16);
    for (unsigned irq = 0; irq < 16; irq++)
        assert_int_equal(p.irq_pin[irq], irq); /* no overrides, as in the MADT */
    /* Nothing written past what the size function promises. */
    size_t n = x86_mptable_size(1);
    assert_int_equal(area[n], 0xa5);
}

static void test_many_vcpus(void **state)
{
    (void)state;
    struct parsed p;
    for (unsigned count = 2; count <= X86_MPTABLE_MAX_CPUS; count += 51) {
        memset(area, 0, sizeof(area));
        assert_true(x86_mptable_size(count) <= sizeof(area));
        assert_int_equal(
            x86_mptable_build(area, sizeof(area), AREA_GPA, count, 7, IOAPIC_ADDR, LAPIC_ADDR), 0);
        parse(&p);
        assert_int_equal(p.cpus, count);
        assert_int_equal(p.bsps, 1);
        for (unsigned i = 0; i < count; i++)
            assert_int_equal(p.apic_ids[i], i);
        assert_int_equal(p.ioapic_id, 7);
    }
}

static void test_errors(void **state)
{
    (void)state;
    assert_int_equal(x86_mptable_build(area, sizeof(area), AREA_GPA, 0, 0, IOAPIC_ADDR, LAPIC_ADDR),
                     -STDVMM_EINVAL);
    assert_int_equal(x86_mptable_build(area, sizeof(area), AREA_GPA, X86_MPTABLE_MAX_CPUS + 1, 0,
                                       IOAPIC_ADDR, LAPIC_ADDR),
                     -STDVMM_EINVAL);
    assert_int_equal(
        x86_mptable_build(area, sizeof(area), AREA_GPA + 8, 1, 0, IOAPIC_ADDR, LAPIC_ADDR),
        -STDVMM_EINVAL);
    assert_int_equal(
        x86_mptable_build(area, sizeof(area), 0xfffffff8ull, 1, 0, IOAPIC_ADDR, LAPIC_ADDR),
        -STDVMM_EINVAL);
    assert_int_equal(
        x86_mptable_build(area, x86_mptable_size(4) - 1, AREA_GPA, 4, 0, IOAPIC_ADDR, LAPIC_ADDR),
        -STDVMM_ENOSPC);
    assert_int_equal(x86_mptable_build(NULL, sizeof(area), AREA_GPA, 1, 0, IOAPIC_ADDR, LAPIC_ADDR),
                     -STDVMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_vcpu),
        cmocka_unit_test(test_many_vcpus),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
