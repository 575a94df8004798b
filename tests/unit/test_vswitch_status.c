/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch's control-channel status (stdvmm/vswitch_status.h): what the
 * writer produces parses back to the same ports, rows and counters; the
 * parser refuses everything outside the grammar (a hostile or broken
 * switch), each case on its own line of the table below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error.h"
#include "stdvmm/vswitch_status.h"

static struct vswitch_status st;
static char text[VSWITCH_STATUS_MAX_TEXT];

static int parse(const char *s)
{
    return vswitch_status_parse(s, strlen(s), &st);
}

static void round_trip(void **state)
{
    (void)state;
    struct vswitch_stats stats = {.unicast = 12043,
                                  .flooded = 19,
                                  .drop_acl = 1,
                                  .drop_spoofed = 2,
                                  .drop_no_dest = 3,
                                  .drop_bad_src = 4,
                                  .drop_runt = 5,
                                  .learned = UINT64_MAX};
    struct vswitch_status_writer w;
    vswitch_status_begin(&w, text, sizeof(text), &stats);
    vswitch_status_port(&w, "net-a", VSWITCH_PORT_UP, 3);
    vswitch_status_port(&w, "net-b.1", VSWITCH_PORT_DOWN, 0);
    struct vswitch_row a = {.mac = {{0x02, 0, 0, 0, 7, 0x0a}}, .port = 0, .is_static = true};
    struct vswitch_row b = {.mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}}, .port = 1, .age = 251};
    vswitch_status_mac(&w, &a, "net-a");
    vswitch_status_mac(&w, &b, "net-b.1");
    size_t len = vswitch_status_end(&w);
    assert_true(len > 0);
    assert_string_equal(text, "stdvmm-switch-status 1\n"
                              "counters 12043 19 1 2 3 4 5 18446744073709551615\n"
                              "port net-a up 3\n"
                              "port net-b.1 down 0\n"
                              "mac 02:00:00:00:07:0a net-a static 0\n"
                              "mac 52:54:00:12:34:56 net-b.1 learned 251\n"
                              "end\n");
    assert_int_equal(vswitch_status_parse(text, len, &st), 0);
    assert_int_equal(st.port_count, 2);
    assert_string_equal(st.ports[1].name, "net-b.1");
    assert_int_equal(st.ports[0].state, VSWITCH_PORT_UP);
    assert_int_equal(st.ports[0].rx_dropped, 3);
    assert_int_equal(st.mac_count, 2);
    assert_memory_equal(st.macs[1].mac.b, b.mac.b, 6);
    assert_int_equal(st.macs[1].port, 1);
    assert_false(st.macs[1].is_static);
    assert_int_equal(st.macs[1].age_ms, 251);
    assert_true(st.macs[0].is_static);
    assert_true(st.learned == UINT64_MAX);
    assert_int_equal(st.drop_runt, 5);
}

static void writer_refuses_what_would_not_parse(void **state)
{
    (void)state;
    struct vswitch_stats stats = {0};
    struct vswitch_status_writer w;
    char small[40];
    vswitch_status_begin(&w, small, sizeof(small), &stats);
    vswitch_status_port(&w, "a", VSWITCH_PORT_UP, 0);
    assert_int_equal(vswitch_status_end(&w), 0); /* did not fit */
    vswitch_status_begin(&w, text, sizeof(text), &stats);
    vswitch_status_port(&w, "a name", VSWITCH_PORT_UP, 0);
    assert_int_equal(vswitch_status_end(&w), 0); /* a space would split the line */
}

#define HEAD "stdvmm-switch-status 1\ncounters 0 0 0 0 0 0 0 0\n"

static void parser_accepts_the_smallest(void **state)
{
    (void)state;
    assert_int_equal(parse(HEAD "end\n"), 0);
    assert_int_equal(st.port_count, 0);
    assert_int_equal(parse(HEAD "port p connected 0\nend\n"), 0);
    assert_int_equal(st.ports[0].state, VSWITCH_PORT_CONNECTED);
}

static void parser_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        HEAD,                                                      /* no end */
        HEAD "end",                                                /* no newline after end */
        HEAD "end\nend\n",                                         /* text after end */
        "stdvmm-switch-status 2\ncounters 0 0 0 0 0 0 0 0\nend\n", /* another version */
        "stdvmm-switch-status 1\nend\n",                           /* no counters */
        "stdvmm-switch-status 1\ncounters 0 0 0 0 0 0 0\nend\n",   /* seven counters */
        "stdvmm-switch-status 1\ncounters 0 0 0 0 0 0 0 18446744073709551616\nend\n", /* > 64 bits
                                                                                       */
        "stdvmm-switch-status 1\ncounters 0 0 0 0 0 0 0 01\nend\n", /* leading zero */
        "stdvmm-switch-status 1\ncounters 0 0 0 0 0 0 0 -1\nend\n",
        "stdvmm-switch-status 1\ncounters  0 0 0 0 0 0 0 0\nend\n", /* empty field */
        HEAD "port p up 0 \nend\n",                                 /* trailing space */
        HEAD "port p up\nend\n",                                    /* no drop count */
        HEAD "port p sideways 0\nend\n",                            /* no such state */
        HEAD "port p up 0\nport p up 0\nend\n",                     /* a port twice */
        HEAD "port p/q up 0\nend\n",                                /* a name out of the set */
        HEAD "port p\tq up 0\nend\n",                               /* a control byte */
        HEAD "port "
             "a234567890123456789012345678901234567890123456789012345678901234 up 0\nend\n",
        HEAD "mac 02:00:00:00:00:01 p static 0\nend\n",               /* a row of no listed port */
        HEAD "port p up 0\nmac 03:00:00:00:00:01 p learned 0\nend\n", /* multicast */
        HEAD "port p up 0\nmac 02:00:00:00:00:1 p learned 0\nend\n",
        HEAD "port p up 0\nmac 02:00:00:00:00:01 p dynamic 0\nend\n",
        HEAD "port p up 0\nmac 02:00:00:00:00:01 p learned 0\n"
             "mac 02:00:00:00:00:01 p learned 0\nend\n",                           /* a MAC twice */
        HEAD "port p up 0\nmac 02:00:00:00:00:01 p learned 0\nport q up 0\nend\n", /* order */
        HEAD "hello\nend\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i]) != -STDVMM_EPROTO)
            fail_msg("accepted bad[%zu]: %s", i, bad[i]);
    }
    /* A NUL inside is not the end of the text. */
    static const char nul[] = HEAD "port p up 0\0\nend\n";
    assert_int_equal(vswitch_status_parse(nul, sizeof(nul) - 1, &st), -STDVMM_EPROTO);
}

static void parser_bounds_the_table(void **state)
{
    (void)state;
    struct vswitch_stats stats = {0};
    struct vswitch_status_writer w;
    vswitch_status_begin(&w, text, sizeof(text), &stats);
    vswitch_status_port(&w, "p", VSWITCH_PORT_UP, 0);
    for (unsigned i = 0; i <= VSWITCH_STATUS_MAX_MACS; i++) {
        struct vswitch_row r = {.mac = {{0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}}};
        vswitch_status_mac(&w, &r, "p");
    }
    size_t len = vswitch_status_end(&w);
    assert_true(len > 0);
    /* One row more than a table may have. */
    assert_int_equal(vswitch_status_parse(text, len, &st), -STDVMM_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(writer_refuses_what_would_not_parse),
        cmocka_unit_test(parser_accepts_the_smallest),
        cmocka_unit_test(parser_refuses),
        cmocka_unit_test(parser_bounds_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
