/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AML writer against hand-assembled bytes from the ACPI specification's
 * grammar. The PkgLength tests sit on both sides of each width change
 * (63, 4095, 1 MiB - 1), which is where an encoder is most easily wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/aml.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define BIG (2u * 1024 * 1024)
static uint8_t big[BIG];

/* Decodes a PkgLength; returns its width in bytes. */
static size_t pkglen_decode(const uint8_t *p, size_t *len)
{
    size_t n = (size_t)(p[0] >> 6) + 1;

    if (n == 1) {
        *len = p[0] & 0x3f;
        return 1;
    }
    *len = p[0] & 0x0f;
    for (size_t i = 1; i < n; i++) {
        *len |= (size_t)p[i] << (4 + 8 * (i - 1));
    }
    return n;
}

/* Scope(TEST) { filler bytes } with a body of exactly `content` bytes. */
static void check_pkglen(size_t content, size_t want_width)
{
    static uint8_t filler[0x100000];
    struct aml a;
    size_t len, width;

    memset(filler, 0x5a, sizeof(filler));
    memset(big, 0, BIG);
    aml_init(&a, big, BIG);
    aml_scope_begin(&a, "TEST");
    aml_bytes(&a, filler, content - 4);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);

    assert_int_equal(big[0], 0x10);
    width = pkglen_decode(big + 1, &len);
    assert_int_equal(width, want_width);
    assert_int_equal(len, content + width);
    assert_memory_equal(big + 1 + width, "TEST", 4);
    assert_int_equal(a.pos, 1 + width + content);
    for (size_t i = 1 + width + 4; i < a.pos; i++) {
        assert_int_equal(big[i], 0x5a);
    }
    /* Bits 4-5 of a multi-byte lead byte must stay zero. */
    if (width > 1) {
        assert_int_equal(big[1] & 0x30, 0);
    }
}

static void test_pkglen_boundaries(void **state)
{
    (void)state;
    check_pkglen(4, 1);
    check_pkglen(62, 1); /* 63 with the length byte: the largest 1-byte form */
    check_pkglen(63, 2);
    check_pkglen(64, 2);
    check_pkglen(4093, 2); /* 4095 */
    check_pkglen(4094, 3);
    check_pkglen(0xffffc, 3); /* 0xfffff */
    check_pkglen(0xffffd, 4);
    check_pkglen(0x100000, 4);
}

static void test_pkglen_exact_bytes(void **state)
{
    struct aml a;
    static const uint8_t want[] = {0x10, 0x41, 0x04, 'T', 'E', 'S', 'T'};

    (void)state;
    /* 63 content bytes + 2 = 65 = 0x41: low nibble 1 in byte 0, 0x04 next. */
    aml_init(&a, big, BIG);
    aml_scope_begin(&a, "TEST");
    memset(big + 1000, 0, 59);
    aml_bytes(&a, big + 1000, 59);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    assert_memory_equal(big, want, sizeof(want));
}

/* An inner object shrinking its PkgLength must not break the outer one's. */
static void test_pkglen_nested(void **state)
{
    struct aml a;
    size_t outer_len, inner_len, ow, iw;

    (void)state;
    memset(big, 0x5a, 8192);
    aml_init(&a, big, BIG);
    aml_scope_begin(&a, "OUTR");
    aml_device_begin(&a, "INNR");
    aml_bytes(&a, big + 4096, 100);
    aml_end(&a);
    aml_bytes(&a, big + 4096, 3);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);

    ow = pkglen_decode(big + 1, &outer_len);
    assert_int_equal(ow, 2);
    assert_memory_equal(big + 1 + ow, "OUTR", 4);
    assert_int_equal(big[1 + ow + 4], 0x5b);
    assert_int_equal(big[1 + ow + 5], 0x82);
    iw = pkglen_decode(big + 1 + ow + 6, &inner_len);
    assert_int_equal(iw, 2);
    assert_int_equal(inner_len, iw + 4 + 100);
    assert_memory_equal(big + 1 + ow + 6 + iw, "INNR", 4);
    assert_int_equal(outer_len, ow + 4 + 2 + inner_len + 3);
    assert_int_equal(a.pos, 1 + outer_len);
    /*
     * Each header gave back 2 of its 4 reserved bytes, the outer one after 3
     * more bytes followed the inner object: the writer reached 2 bytes past
     * the end, and those are zeroed rather than left as stale copies.
     */
    assert_int_equal(big[a.pos], 0);
    assert_int_equal(big[a.pos + 1], 0);
    assert_int_equal(big[a.pos + 2], 0x5a);
}

static void check_integer(uint64_t v, const uint8_t *want, size_t n)
{
    uint8_t buf[16];
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_integer(&a, v);
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, n);
    assert_memory_equal(buf, want, n);
}

static void test_integers(void **state)
{
    (void)state;
    check_integer(0, (const uint8_t[]){0x00}, 1);
    check_integer(1, (const uint8_t[]){0x01}, 1);
    check_integer(2, (const uint8_t[]){0x0a, 0x02}, 2);
    check_integer(0xff, (const uint8_t[]){0x0a, 0xff}, 2);
    check_integer(0x100, (const uint8_t[]){0x0b, 0x00, 0x01}, 3);
    check_integer(0xffff, (const uint8_t[]){0x0b, 0xff, 0xff}, 3);
    check_integer(0x10000, (const uint8_t[]){0x0c, 0x00, 0x00, 0x01, 0x00}, 5);
    check_integer(0xfee00000, (const uint8_t[]){0x0c, 0x00, 0x00, 0xe0, 0xfe}, 5);
    check_integer(0xffffffff, (const uint8_t[]){0x0c, 0xff, 0xff, 0xff, 0xff}, 5);
    check_integer(0x100000000ull,
                  (const uint8_t[]){0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, 9);
    check_integer(0x0123456789abcdefull,
                  (const uint8_t[]){0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}, 9);
    check_integer(UINT64_MAX,
                  (const uint8_t[]){0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9);
}

static void test_string(void **state)
{
    uint8_t buf[16];
    struct aml a;
    static const uint8_t want[] = {0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00};

    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_string(&a, "LNRO0005");
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    LOG_INFO("expect an error about a non-ASCII byte");
    aml_init(&a, buf, sizeof(buf));
    aml_string(&a, "caf\xc3\xa9");
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);
    assert_int_equal(a.pos, 0);
}

static void test_eisaid(void **state)
{
    uint8_t buf[8];
    struct aml a;
    uint32_t v;
    static const uint8_t want[] = {0x0c, 0x41, 0xd0, 0x05, 0x01};

    (void)state;
    assert_int_equal(aml_eisaid_value("PNP0501", &v), 0);
    assert_int_equal(v, 0x0105d041);
    assert_int_equal(aml_eisaid_value("PNP0A03", &v), 0);
    assert_int_equal(v, 0x030ad041);
    assert_int_equal(aml_eisaid_value("PNP0C0F", &v), 0);
    assert_int_equal(v, 0x0f0cd041);

    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP0501");
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    LOG_INFO("expect five errors about malformed EISA ids");
    assert_int_equal(aml_eisaid_value("PNP050", &v), -STDVMM_EINVAL);
    assert_int_equal(aml_eisaid_value("LNRO0005", &v), -STDVMM_EINVAL);
    assert_int_equal(aml_eisaid_value("pnp0501", &v), -STDVMM_EINVAL);
    assert_int_equal(aml_eisaid_value("PNP05G1", &v), -STDVMM_EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP0a03");
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);
    assert_int_equal(a.pos, 0);
}

static void check_name(const char *path, const uint8_t *want, size_t n)
{
    uint8_t buf[64];
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, path);
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, n);
    assert_memory_equal(buf, want, n);
}

static void check_bad_name(const char *path)
{
    uint8_t buf[64];
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, path);
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);
    assert_int_equal(a.pos, 0);
}

static void test_names(void **state)
{
    (void)state;
    check_name("_HID", (const uint8_t *)"_HID", 4);
    check_name("_S5", (const uint8_t *)"_S5_", 4);
    check_name("A", (const uint8_t *)"A___", 4);
    check_name("\\_SB_", (const uint8_t *)"\\_SB_", 5);
    check_name("\\_SB", (const uint8_t *)"\\_SB_", 5);
    check_name("\\_SB_.PCI0", (const uint8_t *)"\\\x2e_SB_PCI0", 10);
    check_name("_SB_.COM1", (const uint8_t *)"\x2e_SB_COM1", 9);
    check_name("\\_SB_.PCI0.ISA", (const uint8_t *)"\\\x2f\x03_SB_PCI0ISA_", 15);
    check_name("^FOO", (const uint8_t *)"^FOO_", 5);
    check_name("^^A.B", (const uint8_t[]){'^', '^', 0x2e, 'A', '_', '_', '_', 'B', '_', '_', '_'},
               11);
    check_name("", (const uint8_t[]){0x00}, 1);
    check_name("\\", (const uint8_t[]){0x5c, 0x00}, 2);

    LOG_INFO("expect nine errors about invalid names");
    check_bad_name("1ABC");  /* leads with a digit */
    check_bad_name("ABCDE"); /* five characters */
    check_bad_name("_hid");  /* lower case */
    check_bad_name("A..B");
    check_bad_name("A.");
    check_bad_name(".A");
    check_bad_name("\\^A");
    check_bad_name("A-B");
    check_bad_name(NULL);
}

/* Scope(\_SB) { Device(COM1) { _HID, _CRS {IO, IRQNoFlags}, _STA } } */
static void test_nested_device(void **state)
{
    uint8_t buf[128];
    struct aml a;
    static const uint8_t want[] = {
        0x10, 0x37, '\\', '_',  'S',  'B',  '_',                    /* Scope */
        0x5b, 0x82, 0x2f, 'C',  'O',  'M',  '1',                    /* Device */
        0x08, '_',  'H',  'I',  'D',  0x0c, 0x41, 0xd0, 0x05, 0x01, /* _HID */
        0x08, '_',  'C',  'R',  'S',  0x11, 0x10, 0x0a, 0x0d,       /* _CRS Buffer */
        0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,             /* IO */
        0x22, 0x10, 0x00,                                           /* IRQNoFlags {4} */
        0x79, 0x0e,                                                 /* EndTag */
        0x14, 0x09, '_',  'S',  'T',  'A',  0x00, 0xa4, 0x0a, 0x0f, /* _STA */
    };

    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_scope_begin(&a, "\\_SB_");
    aml_device_begin(&a, "COM1");
    aml_name_eisaid(&a, "_HID", "PNP0501");
    aml_name(&a, "_CRS");
    aml_resource_begin(&a);
    aml_io(&a, 0x3f8, 0x3f8, 1, 8);
    aml_irq_no_flags(&a, 4);
    aml_resource_end(&a);
    aml_method_begin(&a, "_STA", 0, false);
    aml_return_integer(&a, 0x0f);
    aml_end(&a);
    aml_end(&a);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_package_counts_elements(void **state)
{
    uint8_t buf[64];
    struct aml a;
    static const uint8_t want[] = {0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x0c, 0x04, 0x01,
                                   0x0d, 'A',  0x00, 0x12, 0x02, 0x00, 0x0b, 0x34, 0x12};

    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "\\_S5_");
    aml_package_begin(&a);
    aml_integer(&a, 1);
    aml_string(&a, "A");
    aml_package_begin(&a);
    aml_end(&a);
    aml_integer(&a, 0x1234);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(a.pos, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_buffer_size_and_method_flags(void **state)
{
    struct aml a;
    size_t len;

    (void)state;
    memset(big, 0x33, 4096);
    aml_init(&a, big + 4096, BIG - 4096);
    aml_buffer_begin(&a);
    aml_bytes(&a, big, 300);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    /* 0x11, PkgLength (2 bytes), WordConst 300, the data. */
    assert_int_equal(big[4096], 0x11);
    assert_int_equal(pkglen_decode(big + 4097, &len), 2);
    assert_int_equal(len, 2 + 3 + 300);
    assert_memory_equal(big + 4099, ((const uint8_t[]){0x0b, 0x2c, 0x01}), 3);
    assert_memory_equal(big + 4102, big, 300);
    assert_int_equal(a.pos, 1 + 2 + 3 + 300);

    aml_init(&a, big, 64);
    aml_method_begin(&a, "MTHD", 2, true);
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    assert_memory_equal(big, ((const uint8_t[]){0x14, 0x06, 'M', 'T', 'H', 'D', 0x0a}), 7);
}

static void test_resource_descriptors(void **state)
{
    uint8_t buf[128];
    struct aml a;
    static const uint8_t want[] = {
        0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00, /* Mem32Fixed */
        0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x10, 0x00, 0x00, /* read-only */
        0x4b, 0x05, 0x01, 0x01,                                                 /* FixedIO */
        0x22, 0x01, 0x00,                                                       /* IRQ 0 */
        0x22, 0x00, 0x80,                                                       /* IRQ 15 */
        0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00, /* edge, high, exclusive */
        0x89, 0x06, 0x00, 0x0d, 0x01, 0x28, 0x00, 0x00, 0x00, /* level, low, shared */
    };
    const uint8_t *data;
    uint8_t sum = 0;
    size_t w, len;

    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_resource_begin(&a);
    aml_memory32_fixed(&a, 0xd0001000, 0x200, true);
    aml_memory32_fixed(&a, 0xfec00000, 0x1000, false);
    aml_fixed_io(&a, 0x105, 1);
    aml_irq_no_flags(&a, 0);
    aml_irq_no_flags(&a, 15);
    aml_interrupt(&a, 5, AML_IRQ_EDGE, AML_IRQ_ACTIVE_HIGH, false);
    aml_interrupt(&a, 40, AML_IRQ_LEVEL, AML_IRQ_ACTIVE_LOW, true);
    aml_resource_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    /* 0x11, PkgLength, ByteConst BufferSize, descriptors, EndTag */
    assert_int_equal(buf[0], 0x11);
    w = pkglen_decode(buf + 1, &len);
    assert_int_equal(len, w + 2 + sizeof(want) + 2);
    assert_int_equal(buf[1 + w], 0x0a);
    assert_int_equal(buf[2 + w], sizeof(want) + 2);
    data = buf + 3 + w;
    assert_memory_equal(data, want, sizeof(want));
    assert_int_equal(data[sizeof(want)], 0x79);
    for (size_t i = 0; i < sizeof(want) + 2; i++) {
        sum = (uint8_t)(sum + data[i]);
    }
    assert_int_equal(sum, 0);
    assert_int_equal(a.pos, 1 + len);
}

static void test_misuse(void **state)
{
    uint8_t buf[64];
    struct aml a;

    (void)state;
    LOG_INFO("expect seven errors about misused AML objects");
    aml_init(&a, buf, sizeof(buf));
    aml_end(&a);
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);

    aml_init(&a, buf, sizeof(buf));
    aml_device_begin(&a, "OPEN");
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);

    aml_init(&a, buf, sizeof(buf));
    aml_io(&a, 0x3f8, 0x3f8, 1, 8);
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);

    aml_init(&a, buf, sizeof(buf));
    aml_resource_begin(&a);
    aml_irq_no_flags(&a, 16);
    assert_int_equal(aml_finish(&a), -STDVMM_ERANGE);

    aml_init(&a, buf, sizeof(buf));
    aml_resource_begin(&a);
    aml_fixed_io(&a, 0x400, 1);
    assert_int_equal(aml_finish(&a), -STDVMM_ERANGE);

    aml_init(&a, buf, sizeof(buf));
    aml_method_begin(&a, "MTHD", 8, false);
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);

    /* Sticky: nothing is written after the first error. */
    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "bad");
    aml_integer(&a, 5);
    aml_device_begin(&a, "GOOD");
    aml_end(&a);
    assert_int_equal(a.pos, 0);
    assert_int_equal(aml_finish(&a), -STDVMM_EINVAL);
}

static void test_package_element_limit(void **state)
{
    struct aml a;

    (void)state;
    aml_init(&a, big, BIG);
    aml_package_begin(&a);
    for (int i = 0; i < 255; i++) {
        aml_integer(&a, 0);
    }
    aml_end(&a);
    assert_int_equal(aml_finish(&a), 0);
    assert_int_equal(big[3], 255);

    LOG_INFO("expect an error about a 256-element Package");
    aml_init(&a, big, BIG);
    aml_package_begin(&a);
    for (int i = 0; i < 256; i++) {
        aml_integer(&a, 0);
    }
    aml_end(&a);
    assert_int_equal(aml_finish(&a), -STDVMM_E2BIG);
}

/* The same DSDT-like content into every buffer size up to a little above its length. */
static size_t write_sample(struct aml *a)
{
    aml_scope_begin(a, "\\_SB_");
    for (int i = 0; i < 3; i++) {
        aml_device_begin(a, "VR00");
        aml_name_string(a, "_HID", "LNRO0005");
        aml_name_integer(a, "_UID", (uint64_t)i);
        aml_name(a, "_CRS");
        aml_resource_begin(a);
        aml_memory32_fixed(a, 0xd0000000u + 0x1000u * (uint32_t)i, 0x200, true);
        aml_interrupt(a, 5 + (uint32_t)i, AML_IRQ_EDGE, AML_IRQ_ACTIVE_HIGH, false);
        aml_resource_end(a);
        aml_end(a);
    }
    aml_end(a);
    return a->pos;
}

static void test_overflow_never_writes_past_end(void **state)
{
    static uint8_t ref[512], buf[1024];
    struct aml a;
    size_t full;

    (void)state;
    aml_init(&a, ref, sizeof(ref));
    full = write_sample(&a);
    assert_int_equal(aml_finish(&a), 0);

    LOG_INFO("expect 'AML buffer full' errors");
    for (size_t size = 0; size <= full + 3 * 9; size++) {
        memset(buf, 0xaa, sizeof(buf));
        aml_init(&a, buf, size);
        write_sample(&a);
        if (aml_finish(&a) == 0) {
            /* Each open object briefly needs room for its widest header. */
            assert_true(size >= full);
            assert_int_equal(a.pos, full);
            assert_memory_equal(buf, ref, full);
        } else {
            assert_int_equal(a.err, -STDVMM_ENOSPC);
            assert_true(size < full + 3 * 9);
            assert_true(a.pos <= size);
        }
        for (size_t i = size; i < sizeof(buf); i++) {
            assert_int_equal(buf[i], 0xaa);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkglen_boundaries),
        cmocka_unit_test(test_pkglen_exact_bytes),
        cmocka_unit_test(test_pkglen_nested),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_eisaid),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_nested_device),
        cmocka_unit_test(test_package_counts_elements),
        cmocka_unit_test(test_buffer_size_and_method_flags),
        cmocka_unit_test(test_resource_descriptors),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_package_element_limit),
        cmocka_unit_test(test_overflow_never_writes_past_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
