/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual switch's forwarding core: learning, aging, flooding, the
 * networks a port may reach, spoofed and invalid sources, static entries,
 * a port leaving, a full table, runts, multicast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error.h"
#include "stdvmm/vswitch.h"

#define SLOTS 16 /* 12 usable entries */
#define AGE 100
#define LAN (1ull << 0)
#define DMZ (1ull << 1)

struct fixture {
    struct vswitch sw;
    struct vswitch_entry table[SLOTS];
};

static struct fixture fx;

static struct vswitch_mac mac(uint8_t last)
{
    return (struct vswitch_mac){{0x52, 0x54, 0x00, 0x12, 0x34, last}};
}

static const struct vswitch_mac bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static size_t frame(uint8_t *buf, struct vswitch_mac dst, struct vswitch_mac src)
{
    memset(buf, 0, 64);
    memcpy(buf, dst.b, 6);
    memcpy(buf + 6, src.b, 6);
    buf[12] = 0x08; /* IPv4 */
    return 64;
}

static enum vswitch_verdict send(unsigned port, struct vswitch_mac dst, struct vswitch_mac src,
                                 uint64_t now, uint64_t *out)
{
    uint8_t buf[64];
    size_t len = frame(buf, dst, src);

    return vswitch_forward(&fx.sw, port, buf, len, now, out);
}

/* Ports 0..2 on lan with MACs :00..:02; port 3 on dmz with :03. */
static int setup(void **state)
{
    assert_int_equal(vswitch_init(&fx.sw, fx.table, SLOTS, AGE), 0);
    for (unsigned p = 0; p < 3; p++) {
        struct vswitch_mac m = mac((uint8_t)p);
        assert_int_equal(vswitch_add_port(&fx.sw, p, &m, LAN, 0), 0);
    }
    struct vswitch_mac m3 = mac(3);
    assert_int_equal(vswitch_add_port(&fx.sw, 3, &m3, DMZ, 0), 0);
    return 0;
}

static void init_refuses_bad_storage(void **state)
{
    struct vswitch sw;
    struct vswitch_entry t[8];

    assert_int_equal(vswitch_init(&sw, t, 6, AGE), -STDVMM_EINVAL);
    assert_int_equal(vswitch_init(&sw, t, 2, AGE), -STDVMM_EINVAL);
    assert_int_equal(vswitch_init(&sw, t, 8, 0), -STDVMM_EINVAL);
    assert_int_equal(vswitch_init(&sw, NULL, 8, AGE), -STDVMM_EINVAL);
    assert_int_equal(vswitch_init(&sw, t, 8, AGE), 0);
}

static void add_port_checks(void **state)
{
    struct vswitch_mac m = mac(0), m9 = mac(9);

    assert_int_equal(vswitch_add_port(&fx.sw, 0, &m9, LAN, 0), -STDVMM_EBUSY);
    assert_int_equal(vswitch_add_port(&fx.sw, 5, &m, LAN, 0), -STDVMM_EEXIST);
    assert_int_equal(vswitch_add_port(&fx.sw, VSWITCH_MAX_PORTS, &m9, LAN, 0), -STDVMM_EINVAL);
    assert_int_equal(vswitch_add_port(&fx.sw, 5, &bcast, LAN, 0), -STDVMM_EINVAL);
    struct vswitch_mac zero = {{0}};
    assert_int_equal(vswitch_add_port(&fx.sw, 5, &zero, LAN, 0), -STDVMM_EINVAL);
    assert_int_equal(vswitch_add_port(&fx.sw, 5, &m9, LAN, 0x80), -STDVMM_EINVAL);
    assert_int_equal(vswitch_remove_port(&fx.sw, 7), -STDVMM_ENOENT);
    assert_int_equal(vswitch_remove_port(&fx.sw, 1000), -STDVMM_ENOENT);
}

/* Static entries answer at once: no flood needed to reach a configured MAC. */
static void unicast_to_static_mac(void **state)
{
    uint64_t out;

    assert_int_equal(send(0, mac(1), mac(0), 1, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 1);
    assert_int_equal(vswitch_stats(&fx.sw)->unicast, 1);
}

static void unknown_unicast_floods_within_network(void **state)
{
    uint64_t out;

    assert_int_equal(send(0, mac(0x77), mac(0), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, (1ull << 1) | (1ull << 2)); /* not 0 (ingress), not 3 (dmz) */
}

static void broadcast_and_multicast_flood(void **state)
{
    struct vswitch_mac mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    struct vswitch_mac v6 = {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};
    uint64_t out;

    assert_int_equal(send(1, bcast, mac(1), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, (1ull << 0) | (1ull << 2));
    assert_int_equal(send(2, mcast, mac(2), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, (1ull << 0) | (1ull << 1));
    assert_int_equal(send(0, v6, mac(0), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, (1ull << 1) | (1ull << 2));
    /* dmz has no other member: nowhere to go. */
    assert_int_equal(send(3, bcast, mac(3), 1, &out), VSWITCH_DROP_NO_DEST);
    assert_int_equal(out, 0);
    assert_int_equal(vswitch_stats(&fx.sw)->flooded, 3);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_no_dest, 1);
}

/* An uplink (no MAC of its own) learns what is behind it. */
static void learning_behind_uplink(void **state)
{
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    assert_int_equal(send(0, mac(0x40), mac(0), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, (1ull << 1) | (1ull << 2) | (1ull << 4));
    /* The reply teaches the switch where :40 is. */
    assert_int_equal(send(4, mac(0), mac(0x40), 2, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 0);
    assert_int_equal(send(0, mac(0x40), mac(0), 3, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 4);
    assert_int_equal(vswitch_stats(&fx.sw)->learned, 1);
}

static void learned_mac_moves(void **state)
{
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    assert_int_equal(vswitch_add_port(&fx.sw, 5, NULL, LAN, 0), 0);
    send(4, bcast, mac(0x40), 1, &out);
    assert_int_equal(send(0, mac(0x40), mac(0), 2, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 4);
    send(5, bcast, mac(0x40), 3, &out); /* the host moved behind port 5 */
    assert_int_equal(send(0, mac(0x40), mac(0), 4, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 5);
    assert_int_equal(vswitch_stats(&fx.sw)->moved, 1);
    /* A frame to a MAC on its own port stays there. */
    assert_int_equal(send(5, mac(0x40), mac(0x41), 5, &out), VSWITCH_DROP_LOCAL);
}

static void aging(void **state)
{
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    send(4, bcast, mac(0x40), 1000, &out);
    assert_int_equal(vswitch_age(&fx.sw, 1000 + AGE), 0); /* exactly max_age: still fresh */
    assert_int_equal(send(0, mac(0x40), mac(0), 1000 + AGE, &out), VSWITCH_UNICAST);
    assert_int_equal(vswitch_age(&fx.sw, 1001 + AGE), 1);
    assert_int_equal(send(0, mac(0x40), mac(0), 1001 + AGE, &out), VSWITCH_FLOOD);
    /* Static entries never age. */
    assert_int_equal(send(0, mac(1), mac(0), 1000000, &out), VSWITCH_UNICAST);
    assert_int_equal(vswitch_stats(&fx.sw)->aged, 1);
}

/* Without a call to vswitch_age(), a stale entry still does not steer frames. */
static void lazy_aging_and_clock_going_back(void **state)
{
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    send(4, bcast, mac(0x40), 1000, &out);
    assert_int_equal(send(0, mac(0x40), mac(0), 10, &out), VSWITCH_UNICAST); /* earlier time */
    assert_int_equal(send(0, mac(0x40), mac(0), 1000 + AGE + 1, &out), VSWITCH_FLOOD);
    assert_int_equal(vswitch_stats(&fx.sw)->aged, 1);
}

/* Networks are the ACL: lan and dmz never meet, even to a known MAC. */
static void acl_between_networks(void **state)
{
    uint64_t out;

    assert_int_equal(send(0, mac(3), mac(0), 1, &out), VSWITCH_DROP_ACL);
    assert_int_equal(out, 0);
    assert_int_equal(send(3, mac(0), mac(3), 1, &out), VSWITCH_DROP_ACL);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_acl, 2);
    /* A port on both networks reaches both, and both reach it. */
    struct vswitch_mac m6 = mac(6);
    assert_int_equal(vswitch_add_port(&fx.sw, 6, &m6, LAN | DMZ, 0), 0);
    assert_int_equal(send(6, bcast, mac(6), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, 0x0full);
    assert_int_equal(send(3, bcast, mac(3), 1, &out), VSWITCH_FLOOD);
    assert_int_equal(out, 1ull << 6);
    assert_int_equal(send(3, mac(6), mac(3), 1, &out), VSWITCH_UNICAST);
    /* A port on no network reaches nobody. */
    struct vswitch_mac m7 = mac(7);
    assert_int_equal(vswitch_add_port(&fx.sw, 7, &m7, 0, 0), 0);
    assert_int_equal(send(7, bcast, mac(7), 1, &out), VSWITCH_DROP_NO_DEST);
    assert_int_equal(send(0, mac(7), mac(0), 1, &out), VSWITCH_DROP_ACL);
}

static void spoofed_source_dropped(void **state)
{
    uint64_t out;

    /* Port 0 pretends to be a stranger, then to be port 1. */
    assert_int_equal(send(0, bcast, mac(0x66), 1, &out), VSWITCH_DROP_SPOOFED);
    assert_int_equal(out, 0);
    assert_int_equal(send(0, mac(2), mac(1), 1, &out), VSWITCH_DROP_SPOOFED);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_spoofed, 2);
    assert_int_equal(vswitch_stats(&fx.sw)->learned, 0); /* nothing learned from them */
    /* Traffic to port 1 still goes to port 1. */
    assert_int_equal(send(2, mac(1), mac(2), 1, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 1);
}

/* Opting out of anti-spoofing allows other sources, but never a pinned one. */
static void static_entry_not_overridden(void **state)
{
    struct vswitch_mac m5 = mac(5);
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 5, &m5, LAN, VSWITCH_PORT_NO_ANTISPOOF), 0);
    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    assert_int_equal(send(5, bcast, mac(0x50), 1, &out), VSWITCH_FLOOD); /* a nested VM */
    assert_int_equal(send(5, bcast, mac(1), 1, &out), VSWITCH_DROP_SPOOFED);
    assert_int_equal(send(4, bcast, mac(1), 1, &out), VSWITCH_DROP_SPOOFED); /* uplink too */
    assert_int_equal(send(0, mac(1), mac(0), 2, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 1);
    assert_int_equal(send(0, mac(0x50), mac(0), 2, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 5);
}

/* A MAC first learned behind the uplink becomes a VM's configured one. */
static void static_replaces_learned(void **state)
{
    struct vswitch_mac m9 = mac(9);
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    send(4, bcast, m9, 1, &out);
    assert_int_equal(vswitch_add_port(&fx.sw, 9, &m9, LAN, 0), 0);
    assert_int_equal(send(0, m9, mac(0), 2, &out), VSWITCH_UNICAST);
    assert_int_equal(out, 1ull << 9);
    assert_int_equal(send(4, bcast, m9, 3, &out), VSWITCH_DROP_SPOOFED);
}

static bool count_port(void *ctx, const struct vswitch_row *row)
{
    unsigned *n = ctx;

    n[row->port]++;
    n[VSWITCH_MAX_PORTS] += row->is_static;
    return true;
}

static void remove_port_forgets_macs(void **state)
{
    unsigned n[VSWITCH_MAX_PORTS + 1] = {0};
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    for (uint8_t i = 0; i < 5; i++)
        send(4, bcast, mac(0x40 + i), 1, &out);
    vswitch_table_walk(&fx.sw, 1, count_port, n);
    assert_int_equal(n[4], 5);
    assert_int_equal(n[VSWITCH_MAX_PORTS], 4);

    assert_int_equal(vswitch_remove_port(&fx.sw, 4), 0);
    assert_int_equal(vswitch_remove_port(&fx.sw, 1), 0);
    memset(n, 0, sizeof(n));
    vswitch_table_walk(&fx.sw, 1, count_port, n);
    assert_int_equal(n[4], 0);
    assert_int_equal(n[1], 0);
    assert_int_equal(n[0] + n[2] + n[3], 3);
    assert_int_equal(fx.sw.count, 3);
    /* Every remaining entry is still found after the deletions moved them. */
    for (uint8_t p = 0; p < 4; p++) {
        if (p == 1)
            continue;
        assert_int_equal(send(p, bcast, mac(p), 2, &out) == VSWITCH_DROP_SPOOFED, 0);
    }
    assert_int_equal(send(0, mac(0x40), mac(0), 2, &out), VSWITCH_FLOOD);
    assert_int_equal(out, 1ull << 2); /* ports 1 and 4 are gone */
    assert_int_equal(send(4, bcast, mac(0x40), 2, &out), VSWITCH_DROP_BAD_PORT);
    /* The port can come back, with a new MAC (a restarted VM). */
    struct vswitch_mac m11 = mac(0x11);
    assert_int_equal(vswitch_add_port(&fx.sw, 1, &m11, LAN, 0), 0);
    assert_int_equal(send(1, bcast, mac(1), 3, &out), VSWITCH_DROP_SPOOFED);
    assert_int_equal(send(1, bcast, m11, 3, &out), VSWITCH_FLOOD);
}

/* 12 usable entries: 4 static, 8 learned; a 9th learned evicts the oldest. */
static void table_full_evicts_oldest(void **state)
{
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    for (uint8_t i = 0; i < 8; i++)
        send(4, bcast, mac(0x40 + i), 10 + i, &out);
    assert_int_equal(fx.sw.count, 12);
    /* Refresh :40 so that :41 is now the oldest. */
    send(4, bcast, mac(0x40), 50, &out);
    send(4, bcast, mac(0x60), 51, &out);
    assert_int_equal(fx.sw.count, 12);
    assert_int_equal(vswitch_stats(&fx.sw)->evicted, 1);
    assert_int_equal(send(0, mac(0x41), mac(0), 52, &out), VSWITCH_FLOOD); /* forgotten */
    assert_int_equal(send(0, mac(0x40), mac(0), 52, &out), VSWITCH_UNICAST);
    assert_int_equal(send(0, mac(0x60), mac(0), 52, &out), VSWITCH_UNICAST);
    /* Static entries are never evicted. */
    for (uint8_t i = 0; i < 20; i++)
        send(4, bcast, mac(0x80 + i), 60 + i, &out);
    assert_int_equal(send(0, mac(0), mac(0), 100, &out), VSWITCH_DROP_LOCAL);
    for (uint8_t p = 1; p < 3; p++) {
        assert_int_equal(send(0, mac(p), mac(0), 100, &out), VSWITCH_UNICAST);
        assert_int_equal(out, 1ull << p);
    }
    assert_int_equal(fx.sw.count, 12);
}

static void table_of_statics_refuses_more(void **state)
{
    struct vswitch sw;
    struct vswitch_entry t[4]; /* 3 usable */
    uint64_t out;
    uint8_t buf[64];

    assert_int_equal(vswitch_init(&sw, t, 4, AGE), 0);
    for (uint8_t p = 0; p < 3; p++) {
        struct vswitch_mac m = mac(p);
        assert_int_equal(vswitch_add_port(&sw, p, &m, LAN, 0), 0);
    }
    struct vswitch_mac m3 = mac(3);
    assert_int_equal(vswitch_add_port(&sw, 3, &m3, LAN, 0), -STDVMM_ENOSPC);
    assert_int_equal(vswitch_add_port(&sw, 3, NULL, LAN, 0), 0);
    /* Nothing to evict: the frame still goes out, its source just is not learned. */
    size_t len = frame(buf, bcast, mac(0x30));
    assert_int_equal(vswitch_forward(&sw, 3, buf, len, 1, &out), VSWITCH_FLOOD);
    assert_int_equal(vswitch_stats(&sw)->learn_refused, 1);
}

static void runt_frames(void **state)
{
    uint8_t buf[64];
    uint64_t out = 123;

    frame(buf, mac(1), mac(0));
    assert_int_equal(vswitch_forward(&fx.sw, 0, buf, 13, 1, &out), VSWITCH_DROP_RUNT);
    assert_int_equal(out, 0);
    assert_int_equal(vswitch_forward(&fx.sw, 0, buf, 0, 1, &out), VSWITCH_DROP_RUNT);
    assert_int_equal(vswitch_forward(&fx.sw, 0, NULL, 64, 1, &out), VSWITCH_DROP_RUNT);
    assert_int_equal(vswitch_forward(&fx.sw, 0, buf, 14, 1, &out), VSWITCH_UNICAST);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_runt, 3);
}

static void bad_sources_and_ports(void **state)
{
    struct vswitch_mac zero = {{0}};
    uint64_t out;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    assert_int_equal(send(4, mac(0), bcast, 1, &out), VSWITCH_DROP_BAD_SRC);
    assert_int_equal(send(4, mac(0), zero, 1, &out), VSWITCH_DROP_BAD_SRC);
    assert_int_equal(send(9, mac(0), mac(9), 1, &out), VSWITCH_DROP_BAD_PORT);
    assert_int_equal(send(VSWITCH_MAX_PORTS + 5, mac(0), mac(9), 1, &out), VSWITCH_DROP_BAD_PORT);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_bad_src, 2);
    assert_int_equal(vswitch_stats(&fx.sw)->drop_bad_port, 2);
    assert_string_equal(vswitch_verdict_name(VSWITCH_DROP_SPOOFED), "spoofed");
    assert_string_equal(vswitch_verdict_name((enum vswitch_verdict)99), "unknown");
}

/* Many learn/age rounds through a small table: every lookup still lands. */
static void churn_keeps_table_consistent(void **state)
{
    uint64_t out;
    uint32_t seed = 1;

    assert_int_equal(vswitch_add_port(&fx.sw, 4, NULL, LAN, 0), 0);
    assert_int_equal(vswitch_add_port(&fx.sw, 5, NULL, LAN, 0), 0);
    for (uint64_t t = 1; t < 5000; t++) {
        seed = seed * 1103515245u + 12345u;
        uint8_t last = (uint8_t)(0x40 + ((seed >> 16) % 40));
        unsigned port = 4 + ((seed >> 8) & 1);
        assert_int_equal(send(port, bcast, mac(last), t, &out), VSWITCH_FLOOD);
        /* The MAC just seen must be found on its port right away. */
        assert_int_equal(send(0, mac(last), mac(0), t, &out), VSWITCH_UNICAST);
        assert_int_equal(out, 1ull << port);
        if (t % 97 == 0)
            vswitch_age(&fx.sw, t);
        assert_true(fx.sw.count <= fx.sw.max_entries);
    }
    for (uint8_t p = 1; p < 4; p++) {
        assert_int_equal(send(0, mac(p), mac(0), 5000, &out) == VSWITCH_DROP_ACL, p == 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_refuses_bad_storage),
        cmocka_unit_test_setup(add_port_checks, setup),
        cmocka_unit_test_setup(unicast_to_static_mac, setup),
        cmocka_unit_test_setup(unknown_unicast_floods_within_network, setup),
        cmocka_unit_test_setup(broadcast_and_multicast_flood, setup),
        cmocka_unit_test_setup(learning_behind_uplink, setup),
        cmocka_unit_test_setup(learned_mac_moves, setup),
        cmocka_unit_test_setup(aging, setup),
        cmocka_unit_test_setup(lazy_aging_and_clock_going_back, setup),
        cmocka_unit_test_setup(acl_between_networks, setup),
        cmocka_unit_test_setup(spoofed_source_dropped, setup),
        cmocka_unit_test_setup(static_entry_not_overridden, setup),
        cmocka_unit_test_setup(static_replaces_learned, setup),
        cmocka_unit_test_setup(remove_port_forgets_macs, setup),
        cmocka_unit_test_setup(table_full_evicts_oldest, setup),
        cmocka_unit_test(table_of_statics_refuses_more),
        cmocka_unit_test_setup(runt_frames, setup),
        cmocka_unit_test_setup(bad_sources_and_ports, setup),
        cmocka_unit_test_setup(churn_keeps_table_consistent, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
