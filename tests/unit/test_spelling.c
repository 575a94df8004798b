/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The size and MAC grammars (stdvmm/spelling.h): each formatter's text
 * parses back to the value, and the parsers refuse what no writer produces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/spelling.h"

static void assert_size_round_trip(uint64_t bytes)
{
    char text[32];
    uint64_t back = ~bytes;

    spelling_format_size(bytes, text, sizeof(text));
    if (!spelling_parse_size(text, &back))
        fail_msg("'%s' (from %llu) does not parse", text, (unsigned long long)bytes);
    assert_int_equal(back, bytes);
}

static void size_round_trip(void **state)
{
    (void)state;
    static const uint64_t values[] = {
        0,
        1,
        1023,
        1024,
        1025,
        4096,
        1536ull << 20,
        512ull << 20,
        1ull << 30,
        3ull << 40,
        5ull << 50,
        UINT64_MAX,
        UINT64_MAX - 1023,
        1ull << 63,
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        assert_size_round_trip(values[i]);
    /* Every multiple of a unit, near the unit boundaries. */
    for (unsigned shift = 0; shift <= 50; shift += 10)
        for (uint64_t k = 1; k < 2100; k += 7)
            assert_size_round_trip(k << shift);
}

static void size_spellings(void **state)
{
    char text[32];
    uint64_t v;
    (void)state;

    spelling_format_size(1536ull << 20, text, sizeof(text));
    assert_string_equal(text, "1536M");
    spelling_format_size(2ull << 30, text, sizeof(text));
    assert_string_equal(text, "2G");
    spelling_format_size(100, text, sizeof(text));
    assert_string_equal(text, "100");
    spelling_format_size(1ull << 60, text, sizeof(text));
    assert_string_equal(text, "1048576T"); /* T is the largest unit */
    spelling_format_size(1ull << 30, text, 3);
    assert_string_equal(text, "1G"); /* fits exactly */
    spelling_format_size(123456, text, 4);
    assert_string_equal(text, "123"); /* cut short, still terminated */

    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"512M", 512ull << 20},
        {"512m", 512ull << 20},
        {"1GiB", 1ull << 30},
        {"1Gi", 1ull << 30},
        {"1GB", 1ull << 30},
        {"4096", 4096},
        {"2T", 2ull << 40},
        {"0", 0},
        {"18446744073709551615", UINT64_MAX},
        {"16777215T", 16777215ull << 40},
        {"0x40000000", 0x40000000ull}, /* addresses */
        {"0X1000", 0x1000},
        {"0xffffffffffffffff", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!spelling_parse_size(ok[i].text, &v))
            fail_msg("'%s' refused", ok[i].text);
        assert_int_equal(v, ok[i].bytes);
    }
    static const char *const bad[] = {
        "",          " 1",  "1 ",   "+1",    "-1", "1.5G", "0x",   "0x1G", "0xg",
        "0x10000000000000000",
        "1B",        "1i",  "1KB2", "1KiBB", "1P", "M",    "18446744073709551616",
        "16777216T", "1kb", NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 7;
        if (spelling_parse_size(bad[i], &v))
            fail_msg("'%s' accepted as %llu", bad[i] ? bad[i] : "(null)", (unsigned long long)v);
        assert_int_equal(v, 7); /* untouched */
    }
}

static void mac_round_trip(void **state)
{
    char text[SPELLING_MAC_LEN];
    uint8_t mac[6], back[6];
    (void)state;

    /* Every value of each octet, the others fixed (the first kept unicast). */
    for (unsigned pos = 0; pos < 6; pos++) {
        for (unsigned b = 0; b < 256; b++) {
            static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
            memcpy(mac, base, 6);
            mac[pos] = (uint8_t)(pos == 0 ? b & 0xfe : b);
            if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
                continue;
            spelling_format_mac(mac, text, sizeof(text));
            if (!spelling_parse_mac(text, back))
                fail_msg("'%s' does not parse", text);
            assert_memory_equal(back, mac, 6);
        }
    }
    static const uint8_t m[6] = {0x52, 0x54, 0x00, 0xab, 0xCD, 0x0f};
    spelling_format_mac(m, text, sizeof(text));
    assert_string_equal(text, "52:54:00:ab:cd:0f");
}

static void mac_spellings(void **state)
{
    uint8_t mac[6];
    (void)state;

    assert_true(spelling_parse_mac("52:54:00:AB:cd:0F", mac));
    assert_int_equal(mac[3], 0xab);
    assert_int_equal(mac[5], 0x0f);
    static const char *const bad[] = {
        "01:00:5e:00:00:01", /* multicast */
        "00:00:00:00:00:00", /* no address */
        "52:54:00:12:34",
        "52:54:00:12:34:56:78",
        "52:54:00:12:34:5",
        "52-54-00-12-34-56",
        "5:54:00:12:34:56",
        " 52:54:00:12:34:56",
        "52:54:00:12:34:56 ",
        "52:54:00:12:34:5g",
        "",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(mac, 0x77, sizeof(mac));
        if (spelling_parse_mac(bad[i], mac))
            fail_msg("'%s' accepted", bad[i] ? bad[i] : "(null)");
        assert_int_equal(mac[0], 0x77); /* untouched */
    }
    char small[8] = "x";
    spelling_format_mac((const uint8_t[6]){2, 0, 0, 0, 0, 1}, small, sizeof(small));
    assert_string_equal(small, ""); /* too small: empty, never cut */
}

static void hostfwd_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *text, *full;
    } good[] = {
        {"tcp:5556-:8080", "tcp:127.0.0.1:5556-10.0.2.15:8080"}, /* stdvmm's older form */
        {"tcp::5556-:8080", "tcp:127.0.0.1:5556-10.0.2.15:8080"},
        {"::22-:22", "tcp:127.0.0.1:22-10.0.2.15:22"},
        {"udp:0.0.0.0:53-10.0.2.16:5353", "udp:0.0.0.0:53-10.0.2.16:5353"},
        {"tcp:192.168.1.10:65535-:1", "tcp:192.168.1.10:65535-10.0.2.15:1"},
        {"tcp:5556-8080", "tcp:127.0.0.1:5556-10.0.2.15:8080"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct spelling_hostfwd f, g;
        char buf[SPELLING_HOSTFWD_LEN];
        if (!spelling_parse_hostfwd(good[i].text, &f))
            fail_msg("'%s' refused", good[i].text);
        spelling_format_hostfwd(&f, buf, sizeof(buf));
        assert_string_equal(buf, good[i].full);
        assert_true(spelling_parse_hostfwd(buf, &g)); /* parse(format(x)) == x */
        assert_int_equal(f.udp, g.udp);
        assert_int_equal(f.host_port, g.host_port);
        assert_int_equal(f.guest_port, g.guest_port);
        assert_memory_equal(f.host_addr, g.host_addr, 4);
        assert_memory_equal(f.guest_addr, g.guest_addr, 4);
    }
    static const char *const bad[] = {
        "sctp::1-:2",
        "tcp:0-:22",
        "tcp::22-:0",
        "tcp::65536-:22",
        "tcp::22",
        "tcp::22-",
        "tcp:1.2.3:22-:22",
        "tcp:1.2.3.256:22-:22",
        "tcp:1.2.3.4.5:1-:2",
        "tcp:localhost:1-:2",
        "tcp::1-:2 ",
        "tcp::1--:2",
        "tcp::-1-:2",
        "tcp:: 1-:2",
        "tcp::1-10.0.2.15",
        "",
        "tcp",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct spelling_hostfwd f = {.host_port = 7};
        if (spelling_parse_hostfwd(bad[i], &f))
            fail_msg("'%s' accepted", bad[i] ? bad[i] : "(null)");
        assert_int_equal(f.host_port, 7); /* untouched */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(size_round_trip),   cmocka_unit_test(size_spellings),
        cmocka_unit_test(mac_round_trip),    cmocka_unit_test(mac_spellings),
        cmocka_unit_test(hostfwd_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
