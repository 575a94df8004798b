/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The generated ACPI tables read back the way a guest reads them: from the
 * RSDP through the XSDT to each table, checking signatures, lengths,
 * checksums and the fields Linux acts on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/acpi.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define GPA ACPI_X86_BIOS_AREA_GPA
#define AREA ACPI_X86_BIOS_AREA_SIZE

static uint8_t area[AREA + 64];

static const struct acpi_device typical_devices[] = {
    {.hid = "PNP0501", .uid = 0, .is_pio = true, .base = 0x3f8, .size = 8, .irq = 4},
    {.hid = "QEMU0001", .uid = 0, .is_pio = true, .base = 0x505, .size = 1},
    {.hid = "LNRO0005", .uid = 0, .base = 0xd0000000, .size = 0x200, .irq = 5},
    {.hid = "LNRO0005", .uid = 1, .base = 0xd0001000, .size = 0x200, .irq = 6},
    {.hid = "LNRO0005",
     .uid = 2,
     .base = 0xd0002000,
     .size = 0x200,
     .irq = 7,
     .irq_level_triggered = true},
};

static const uint32_t typical_apic_ids[] = {0, 2, 4, 6};

static void typical(struct acpi_platform *p)
{
    acpi_platform_init(p);
    p->cpu_count = 4;
    p->apic_ids = typical_apic_ids;
    p->sleep_control_port = 0x3c0;
    p->sleep_status_port = 0x3c1;
    p->reset_port = 0x3c2;
    p->reset_value = 0x0f;
    p->s5_sleep_type = 5;
    p->devices = typical_devices;
    p->device_count = sizeof(typical_devices) / sizeof(typical_devices[0]);
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    for (size_t i = 0; i < n; i++) {
        s = (uint8_t)(s + p[i]);
    }
    return s;
}

/* The table at gpa: inside [0, used), 16-byte aligned, signature, checksum 0. */
static const uint8_t *table_at(uint64_t gpa, size_t used, const char *sig)
{
    uint64_t off, len;

    assert_true(gpa >= GPA);
    off = gpa - GPA;
    assert_int_equal(off % 16, 0);
    assert_true(off + 36 <= used);
    len = le(area + off + 4, 4);
    assert_true(len >= 36);
    assert_true(off + len <= used);
    assert_memory_equal(area + off, sig, 4);
    assert_int_equal(sum(area + off, (size_t)len), 0);
    return area + off;
}

struct tables {
    size_t used;
    const uint8_t *rsdp, *xsdt, *fadt, *madt, *viot, *dsdt;
};

static void build_and_walk(const struct acpi_platform *p, struct tables *t)
{
    memset(area, 0xee, sizeof(area));
    assert_int_equal(acpi_build_tables(p, area, AREA, GPA, &t->used), 0);
    assert_true(t->used <= AREA);

    t->rsdp = area;
    assert_memory_equal(t->rsdp, "RSD PTR ", 8);
    assert_int_equal(sum(t->rsdp, 20), 0);
    assert_int_equal(t->rsdp[15], 2);
    assert_int_equal(le(t->rsdp + 20, 4), 36);
    assert_int_equal(sum(t->rsdp, 36), 0);

    t->xsdt = table_at(le(t->rsdp + 24, 8), t->used, "XSDT");
    t->fadt = table_at(le(t->xsdt + 36, 8), t->used, "FACP");
    t->madt = table_at(le(t->xsdt + 44, 8), t->used, "APIC");
    /* A third entry is the VIOT, there only when a device is a virtio-iommu. */
    t->viot = NULL;
    if (le(t->xsdt + 4, 4) == 36 + 3 * 8) {
        t->viot = table_at(le(t->xsdt + 52, 8), t->used, "VIOT");
    } else {
        assert_int_equal(le(t->xsdt + 4, 4), 36 + 2 * 8);
    }
    t->dsdt = table_at(le(t->fadt + 140, 8), t->used, "DSDT");
    /* The DSDT is last; after it at most some scratch bytes, zeroed. */
    assert_int_equal((size_t)(t->dsdt - area) + le(t->dsdt + 4, 4), t->used);
    for (size_t i = t->used; i < sizeof(area); i++) {
        if (area[i] != 0xee) {
            assert_int_equal(area[i], 0);
            assert_true(i < t->used + 64);
        }
    }
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) {
            return true;
        }
    }
    return false;
}

static size_t count(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    size_t c = 0;

    for (size_t i = 0; i + m <= n; i++) {
        c += memcmp(hay + i, needle, m) == 0;
    }
    return c;
}

static void test_chain_and_checksums(void **state)
{
    struct acpi_platform p;
    struct tables t;

    (void)state;
    typical(&p);
    build_and_walk(&p, &t);
    assert_int_equal(le(t.rsdp + 16, 4), 0); /* no RSDT */
    assert_memory_equal(t.rsdp + 9, "STDVMM", 6);
    assert_memory_equal(t.xsdt + 10, "STDVMM", 6);
    assert_memory_equal(t.xsdt + 16, "STDVMM  ", 8);
    assert_int_equal(t.dsdt[8], 2);
}

static void test_fadt(void **state)
{
    static const uint8_t sleep_ctl[12] = {1, 8, 0, 1, 0xc0, 0x03, 0, 0, 0, 0, 0, 0};
    static const uint8_t sleep_sts[12] = {1, 8, 0, 1, 0xc1, 0x03, 0, 0, 0, 0, 0, 0};
    static const uint8_t reset[12] = {1, 8, 0, 1, 0xc2, 0x03, 0, 0, 0, 0, 0, 0};
    struct acpi_platform p;
    struct tables t;
    uint32_t flags;

    (void)state;
    typical(&p);
    build_and_walk(&p, &t);
    assert_int_equal(le(t.fadt + 4, 4), 276);
    assert_int_equal(t.fadt[8], 6);
    flags = (uint32_t)le(t.fadt + 112, 4);
    assert_true(flags & (1u << 20)); /* HW_REDUCED_ACPI */
    assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
    assert_int_equal(le(t.fadt + 109, 2), (1u << 2) | (1u << 5));
    assert_memory_equal(t.fadt + 116, reset, 12);
    assert_int_equal(t.fadt[128], 0x0f);
    assert_memory_equal(t.fadt + 244, sleep_ctl, 12);
    assert_memory_equal(t.fadt + 256, sleep_sts, 12);
    assert_memory_equal(t.fadt + 268, "STDVMM\0\0", 8);
    /* Hardware-reduced: no FACS, SCI, SMI port or PM blocks; 64-bit DSDT only. */
    for (size_t i = 36; i < 109; i++) {
        assert_int_equal(t.fadt[i], 0);
    }
    assert_int_equal(le(t.fadt + 132, 8), 0);
    for (size_t i = 148; i < 244; i++) {
        assert_int_equal(t.fadt[i], 0);
    }
}

static void test_madt(void **state)
{
    struct acpi_platform p;
    struct tables t;
    const uint8_t *e;

    (void)state;
    typical(&p);
    build_and_walk(&p, &t);
    assert_int_equal(le(t.madt + 4, 4), 44 + 4 * 8 + 12);
    assert_int_equal(le(t.madt + 36, 4), 0xfee00000);
    assert_int_equal(le(t.madt + 40, 4), 0); /* PCAT_COMPAT clear */
    e = t.madt + 44;
    for (unsigned i = 0; i < 4; i++, e += 8) {
        assert_int_equal(e[0], 0);
        assert_int_equal(e[1], 8);
        assert_int_equal(e[2], i);
        assert_int_equal(e[3], typical_apic_ids[i]);
        assert_int_equal(le(e + 4, 4), 1);
    }
    assert_int_equal(e[0], 1);
    assert_int_equal(e[1], 12);
    assert_int_equal(e[2], 0);
    assert_int_equal(le(e + 4, 4), 0xfec00000);
    assert_int_equal(le(e + 8, 4), 0);
}

static void test_madt_default_ids(void **state)
{
    struct acpi_platform p;
    struct tables t;

    (void)state;
    typical(&p);
    p.apic_ids = NULL;
    p.cpu_count = ACPI_MAX_CPUS;
    p.ioapic_id = 255;
    build_and_walk(&p, &t);
    assert_int_equal(le(t.madt + 4, 4), 44 + ACPI_MAX_CPUS * 8 + 12);
    for (unsigned i = 0; i < ACPI_MAX_CPUS; i++) {
        assert_int_equal(t.madt[44 + 8 * i + 3], i);
    }
    assert_int_equal(t.madt[44 + 8 * ACPI_MAX_CPUS + 2], 255);
}

static void test_dsdt_contents(void **state)
{
    static const uint8_t s5[] = {0x08, '\\', '_',  'S',  '5',  '_',
                                 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00};
    static const uint8_t sb[] = {'\\', '_', 'S', 'B', '_'};
    static const uint8_t hid_eisa[] = {0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01};
    static const uint8_t hid_virtio[] = {0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N',
                                         'R',  'O', '0', '0', '0', '5',  0x00};
    static const uint8_t sta[] = {0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f};
    static const uint8_t com_io[] = {0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08};
    static const uint8_t com_irq[] = {0x89, 0x06, 0x00, 0x03, 0x01, 0x04, 0, 0, 0};
    static const uint8_t vr2_mem[] = {0x86, 0x09, 0x00, 0x01, 0x00, 0x20,
                                      0x00, 0xd0, 0x00, 0x02, 0x00, 0x00};
    static const uint8_t vr2_irq[] = {0x89, 0x06, 0x00, 0x01, 0x01, 0x07, 0, 0, 0};
    struct acpi_platform p;
    struct tables t;
    size_t len;

    (void)state;
    typical(&p);
    build_and_walk(&p, &t);
    len = (size_t)le(t.dsdt + 4, 4);
    assert_memory_equal(t.dsdt + 36, s5, sizeof(s5));
    assert_true(contains(t.dsdt, len, sb, sizeof(sb)));
    assert_int_equal(count(t.dsdt, len, "\x5b\x82", 2), 5);
    assert_int_equal(count(t.dsdt, len, hid_eisa, sizeof(hid_eisa)), 1);
    assert_int_equal(count(t.dsdt, len, hid_virtio, sizeof(hid_virtio)), 3);
    assert_int_equal(count(t.dsdt, len, "QEMU0001", 8), 1);
    assert_int_equal(count(t.dsdt, len, sta, sizeof(sta)), 5);
    assert_true(contains(t.dsdt, len, com_io, sizeof(com_io)));
    assert_true(contains(t.dsdt, len, com_irq, sizeof(com_irq)));
    assert_true(contains(t.dsdt, len, vr2_mem, sizeof(vr2_mem)));
    /* The third virtio device is level-triggered: consumer, no edge bit. */
    assert_true(contains(t.dsdt, len, vr2_irq, sizeof(vr2_irq)));
    /* pvpanic has no interrupt: 5 devices, 4 Interrupt descriptors. */
    assert_int_equal(count(t.dsdt, len, "\x89\x06\x00", 3), 4);
}

/* A virtio-iommu at 0xd0000000 and two of the three other virtio devices behind it. */
static const struct acpi_device iommu_devices[] = {
    {.hid = "PNP0501", .uid = 0, .is_pio = true, .base = 0x3f8, .size = 8, .irq = 4},
    {.hid = "LNRO0005",
     .uid = 0,
     .base = 0xd0000000,
     .size = 0x200,
     .irq = 5,
     .iommu = ACPI_IOMMU_SELF},
    {.hid = "LNRO0005",
     .uid = 1,
     .base = 0xd0001000,
     .size = 0x200,
     .irq = 6,
     .iommu = ACPI_IOMMU_ENDPOINT,
     .iommu_endpoint = 1},
    {.hid = "LNRO0005", .uid = 2, .base = 0xd0002000, .size = 0x200, .irq = 7},
    {.hid = "LNRO0005",
     .uid = 3,
     .base = 0xd0003000,
     .size = 0x200,
     .irq = 8,
     .iommu = ACPI_IOMMU_ENDPOINT,
     .iommu_endpoint = 7},
};

static void iommu_platform(struct acpi_platform *p)
{
    typical(p);
    p->devices = iommu_devices;
    p->device_count = sizeof(iommu_devices) / sizeof(iommu_devices[0]);
}

/* The DSDT has a device whose Memory32Fixed resource starts at base. */
static bool dsdt_has_window(const struct tables *t, uint64_t base)
{
    uint8_t mem[8] = {0x86, 0x09, 0x00, 0x01};

    for (int i = 0; i < 4; i++) {
        mem[4 + i] = (uint8_t)(base >> (8 * i));
    }
    return contains(t->dsdt, (size_t)le(t->dsdt + 4, 4), mem, sizeof(mem));
}

/*
 * The VIOT read the way Linux's drivers/acpi/viot.c reads it: node_count
 * nodes from node_offset, each within the table and at least a header
 * long; an endpoint's output_node is the offset of an IOMMU node.
 */
static void test_viot(void **state)
{
    struct acpi_platform p;
    struct tables t;
    uint64_t ep_base[2] = {0}, iommu_base = 0;
    uint32_t ep_id[2] = {0};
    size_t len, off, iommu_off = 0;
    unsigned nodes, iommus = 0, eps = 0;

    (void)state;
    typical(&p);
    build_and_walk(&p, &t);
    assert_null(t.viot); /* no IOMMU, no table */

    iommu_platform(&p);
    build_and_walk(&p, &t);
    assert_non_null(t.viot);
    assert_true(t.viot < t.dsdt); /* the DSDT stays last */
    len = (size_t)le(t.viot + 4, 4);
    assert_int_equal(t.viot[8], 0); /* revision 0 */
    assert_memory_equal(t.viot + 10, "STDVMM", 6);
    nodes = (unsigned)le(t.viot + 36, 2);
    off = (size_t)le(t.viot + 38, 2);
    assert_int_equal(nodes, 3);
    assert_true(off >= 48); /* after the fixed part, whose last 8 bytes are reserved */
    for (size_t i = 40; i < 48; i++) {
        assert_int_equal(t.viot[i], 0);
    }
    for (unsigned n = 0; n < nodes; n++) {
        const uint8_t *node = t.viot + off;
        size_t nlen;

        assert_true(off + 4 <= len);
        nlen = (size_t)le(node + 2, 2);
        assert_true(nlen >= 4 && off + nlen <= len);
        assert_int_equal(node[1], 0);
        switch (node[0]) {
        case 4: /* virtio-mmio based virtio-iommu */
            assert_int_equal(nlen, 16);
            assert_int_equal(le(node + 4, 4), 0);
            iommu_off = off;
            iommu_base = le(node + 8, 8);
            iommus++;
            break;
        case 2: /* virtio-mmio endpoint */
            assert_int_equal(nlen, 24);
            assert_true(eps < 2);
            ep_id[eps] = (uint32_t)le(node + 4, 4);
            ep_base[eps] = le(node + 8, 8);
            /* output_node, checked against the IOMMU node's offset below */
            assert_int_equal(le(node + 16, 2), 48);
            for (size_t i = 18; i < 24; i++) {
                assert_int_equal(node[i], 0);
            }
            eps++;
            break;
        default:
            fail_msg("unexpected VIOT node type %u at offset %zu", node[0], off);
        }
        off += nlen;
    }
    assert_int_equal(off, len); /* nothing after the last node */
    assert_int_equal(iommus, 1);
    assert_int_equal(eps, 2);
    assert_int_equal(iommu_off, 48);
    assert_int_equal(iommu_base, 0xd0000000);
    assert_int_equal(ep_id[0], 1);
    assert_int_equal(ep_base[0], 0xd0001000);
    assert_int_equal(ep_id[1], 7);
    assert_int_equal(ep_base[1], 0xd0003000);
    /* Linux finds each of them by a DSDT device's first memory resource. */
    assert_true(dsdt_has_window(&t, iommu_base));
    assert_true(dsdt_has_window(&t, ep_base[0]));
    assert_true(dsdt_has_window(&t, ep_base[1]));
}

static void test_custom_oem_and_deterministic(void **state)
{
    static uint8_t first[AREA];
    struct acpi_platform p;
    struct tables t;
    size_t used;

    (void)state;
    typical(&p);
    p.oem_id = "ABC";
    p.oem_table_id = "TABLE123";
    build_and_walk(&p, &t);
    assert_memory_equal(t.rsdp + 9, "ABC   ", 6);
    assert_memory_equal(t.fadt + 10, "ABC   ", 6);
    assert_memory_equal(t.madt + 16, "TABLE123", 8);
    used = t.used;
    memcpy(first, area, used);
    build_and_walk(&p, &t);
    assert_int_equal(t.used, used);
    assert_memory_equal(area, first, used);
}

/* Many CPUs and devices still fit the BIOS area below 1 MiB. */
static void test_fits_bios_area(void **state)
{
    static struct acpi_device devs[ACPI_MAX_DEVICES];
    struct acpi_platform p;
    struct tables t;

    (void)state;
    for (unsigned i = 0; i < ACPI_MAX_DEVICES; i++) {
        devs[i] = (struct acpi_device){.hid = "LNRO0005",
                                       .uid = i,
                                       .base = 0xd0000000u + 0x1000u * i,
                                       .size = 0x200,
                                       .irq = 5 + i % 19};
    }
    typical(&p);
    p.apic_ids = NULL;
    p.devices = devs;
    p.device_count = 32;
    build_and_walk(&p, &t);
    assert_int_equal(count(t.dsdt, le(t.dsdt + 4, 4), "\x5b\x82", 2), 32);

    p.cpu_count = ACPI_MAX_CPUS;
    p.device_count = ACPI_MAX_DEVICES;
    build_and_walk(&p, &t);
    assert_int_equal(count(t.dsdt, le(t.dsdt + 4, 4), "LNRO0005", 8), ACPI_MAX_DEVICES);
    print_message("%u CPUs and %u devices: %zu bytes of tables\n", ACPI_MAX_CPUS, ACPI_MAX_DEVICES,
                  t.used);
}

static void test_too_small_buffer(void **state)
{
    static uint8_t buf[2048];
    struct acpi_platform p;
    size_t full, used;

    (void)state;
    typical(&p);
    assert_int_equal(acpi_build_tables(&p, buf, sizeof(buf), GPA, &full), 0);

    /*
     * Below the DSDT one size check decides, so a few sizes do; inside the
     * DSDT every size is tried, as each lands the AML writer at a different
     * point of an object.
     */
    LOG_INFO("expect 'too small' errors for sizes below %zu", full);
    for (size_t size = 0; size < full; size = size < 400 ? size + 37 : size + 1) {
        memset(buf, 0xee, sizeof(buf));
        used = 12345;
        assert_int_equal(acpi_build_tables(&p, buf, size, GPA, &used), -STDVMM_ENOSPC);
        assert_int_equal(used, 12345);
        for (size_t i = size; i < sizeof(buf); i++) {
            assert_int_equal(buf[i], 0xee);
        }
    }
}

static void expect_refused(const struct acpi_platform *p, const char *why)
{
    size_t used = 777;

    LOG_INFO("expect an error: %s", why);
    assert_int_equal(acpi_build_tables(p, area, AREA, GPA, &used), -STDVMM_EINVAL);
    assert_int_equal(used, 777);
}

static void expect_device_refused(const struct acpi_device *d, const char *why)
{
    struct acpi_platform p;

    typical(&p);
    p.devices = d;
    p.device_count = 1;
    expect_refused(&p, why);
}

static void test_bad_platform(void **state)
{
    static const uint32_t too_big[] = {0, 255};
    static const uint32_t dup[] = {0, 1, 1};
    struct acpi_platform p;
    size_t used;

    (void)state;
    typical(&p);
    p.cpu_count = 0;
    expect_refused(&p, "no vCPUs");
    typical(&p);
    p.apic_ids = NULL;
    p.cpu_count = ACPI_MAX_CPUS + 1;
    expect_refused(&p, "256 vCPUs");
    typical(&p);
    p.apic_ids = too_big;
    p.cpu_count = 2;
    expect_refused(&p, "APIC ID 255");
    typical(&p);
    p.apic_ids = dup;
    p.cpu_count = 3;
    expect_refused(&p, "duplicate APIC ID");
    typical(&p);
    p.s5_sleep_type = 8;
    expect_refused(&p, "S5 type 8");
    typical(&p);
    p.sleep_control_port = 0;
    expect_refused(&p, "no sleep control port");
    typical(&p);
    p.reset_port = 0;
    expect_refused(&p, "no reset port");
    typical(&p);
    p.lapic_addr = 0;
    expect_refused(&p, "no LAPIC address");
    typical(&p);
    p.oem_id = "SEVENCH";
    expect_refused(&p, "7-character OEM id");
    typical(&p);
    p.oem_table_id = "NINECHARS";
    expect_refused(&p, "9-character OEM table id");
    typical(&p);
    p.devices = NULL;
    expect_refused(&p, "device_count without devices");
    typical(&p);
    p.device_count = ACPI_MAX_DEVICES + 1;
    expect_refused(&p, "too many devices");

    typical(&p);
    LOG_INFO("expect errors for NULL arguments and a misaligned GPA");
    assert_int_equal(acpi_build_tables(NULL, area, AREA, GPA, &used), -STDVMM_EINVAL);
    assert_int_equal(acpi_build_tables(&p, NULL, AREA, GPA, &used), -STDVMM_EINVAL);
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA, NULL), -STDVMM_EINVAL);
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA + 8, &used), -STDVMM_EINVAL);
    assert_int_equal(acpi_build_tables(&p, area, AREA, UINT64_MAX - 15, &used), -STDVMM_EINVAL);
}

static void test_bad_devices(void **state)
{
    const struct acpi_device ok = {.hid = "LNRO0005", .base = 0xd0000000, .size = 0x200, .irq = 5};
    struct acpi_device d;
    struct acpi_device two[2];
    struct acpi_platform p;

    (void)state;
    d = ok, d.hid = NULL;
    expect_device_refused(&d, "no _HID");
    d = ok, d.hid = "PNP050";
    expect_device_refused(&d, "6-character _HID");
    d = ok, d.hid = "LNRO00055";
    expect_device_refused(&d, "9-character _HID");
    d = ok, d.hid = "pnp0501";
    expect_device_refused(&d, "lower-case EISA id");
    d = ok, d.hid = "LNRO000G";
    expect_device_refused(&d, "non-hex ACPI id");
    d = ok, d.hid = "lnro0005";
    expect_device_refused(&d, "lower-case ACPI id");
    d = ok, d.size = 0;
    expect_device_refused(&d, "size 0");
    d = ok, d.base = 0xfffff000, d.size = 0x2000;
    expect_device_refused(&d, "MMIO across 4 GiB");
    d = ok, d.base = 0x100000000ull;
    expect_device_refused(&d, "MMIO above 4 GiB");
    d = ok, d.base = 0, d.size = 0x100000000ull;
    expect_device_refused(&d, "4 GiB of MMIO, more than Memory32Fixed's length holds");
    d = ok, d.is_pio = true, d.base = 0x3f8, d.size = 256;
    expect_device_refused(&d, "256 ports");
    d = ok, d.is_pio = true, d.base = 0xffff, d.size = 2;
    expect_device_refused(&d, "ports past 0xffff");
    d = ok, d.irq = ACPI_IOAPIC_PINS;
    expect_device_refused(&d, "IRQ beyond the I/O APIC's pins");

    typical(&p);
    two[0] = ok;
    two[1] = ok;
    two[1].base = 0xd0001000;
    p.devices = two;
    p.device_count = 2;
    expect_refused(&p, "two LNRO0005 devices with _UID 0");

    /* The edges that are fine. */
    typical(&p);
    d = ok, d.base = 0xfffff000, d.size = 0x1000, d.irq = ACPI_IOAPIC_PINS - 1;
    p.devices = &d;
    p.device_count = 1;
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA, &(size_t){0}), 0);
    d = ok, d.is_pio = true, d.base = 0xff01, d.size = 0xff, d.irq = 0;
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA, &(size_t){0}), 0);
    p.device_count = 0;
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA, &(size_t){0}), 0);
}

static void test_viot_refused(void **state)
{
    struct acpi_device d[sizeof(iommu_devices) / sizeof(iommu_devices[0])];
    struct acpi_platform p;

    (void)state;
    iommu_platform(&p);
    p.devices = d;
    memcpy(d, iommu_devices, sizeof(d));
    d[3].iommu = ACPI_IOMMU_SELF;
    expect_refused(&p, "two virtio-iommus");
    memcpy(d, iommu_devices, sizeof(d));
    d[1].iommu = ACPI_IOMMU_NONE;
    d[3].iommu = ACPI_IOMMU_ENDPOINT, d[3].iommu_endpoint = 2;
    expect_refused(&p, "endpoints without an IOMMU");
    memcpy(d, iommu_devices, sizeof(d));
    d[4].iommu_endpoint = 1;
    expect_refused(&p, "endpoint 1 twice");
    memcpy(d, iommu_devices, sizeof(d));
    d[0].iommu = ACPI_IOMMU_ENDPOINT, d[0].iommu_endpoint = 9;
    expect_refused(&p, "an I/O-port device as an endpoint");
    memcpy(d, iommu_devices, sizeof(d));
    d[4].iommu = (enum acpi_iommu_role)7;
    expect_refused(&p, "an unknown IOMMU role");
    memcpy(d, iommu_devices, sizeof(d));
    assert_int_equal(acpi_build_tables(&p, area, AREA, GPA, &(size_t){0}), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_checksums),
        cmocka_unit_test(test_fadt),
        cmocka_unit_test(test_madt),
        cmocka_unit_test(test_madt_default_ids),
        cmocka_unit_test(test_dsdt_contents),
        cmocka_unit_test(test_viot),
        cmocka_unit_test(test_viot_refused),
        cmocka_unit_test(test_custom_oem_and_deterministic),
        cmocka_unit_test(test_fits_bios_area),
        cmocka_unit_test(test_too_small_buffer),
        cmocka_unit_test(test_bad_platform),
        cmocka_unit_test(test_bad_devices),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
