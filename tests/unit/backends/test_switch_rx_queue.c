/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-switch's receive queue (src/tools/stdvmm-switch/rx_queue.h): order
 * kept, a guest without room keeps frames queued, the bounds in frames,
 * bytes and age, a broken ring empties it, every drop counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rx_queue.h"

/* A guest ring stand-in: room for `room` frames, records what it received. */
struct guest {
    int room;
    int broken;
    unsigned got;
    uint8_t first[64];
    size_t lens[RXQ_MAX_FRAMES + 8];
};

static int take(void *ctx, const uint8_t *f, size_t len)
{
    struct guest *g = ctx;
    if (g->broken)
        return -1;
    if (g->room == 0)
        return 0;
    g->room--;
    g->first[g->got % 64] = len ? f[0] : 0;
    g->lens[g->got++] = len;
    return 1;
}

static struct rx_queue q;

static int setup(void **state)
{
    (void)state;
    rxq_clear(&q);
    memset(&q, 0, sizeof(q));
    return 0;
}

static void order_kept_until_room(void **state)
{
    (void)state;
    struct guest g = {0};
    for (uint8_t i = 0; i < 5; i++)
        assert_true(rxq_push(&q, (uint8_t[3]){i, 9, 9}, 3, 100));
    assert_int_equal(rxq_flush(&q, 110, take, &g), 0); /* no room: all stay */
    assert_int_equal(q.count, 5);
    g.room = 2;
    assert_int_equal(rxq_flush(&q, 120, take, &g), 2);
    assert_int_equal(g.first[0], 0);
    assert_int_equal(g.first[1], 1);
    g.room = 10;
    assert_int_equal(rxq_flush(&q, 130, take, &g), 3);
    assert_int_equal(g.first[4], 4);
    assert_int_equal(q.count, 0);
    assert_int_equal(q.bytes, 0);
    assert_int_equal(q.dropped, 0);
}

static void bounded_in_frames_and_bytes(void **state)
{
    (void)state;
    static uint8_t big[RXQ_MAX_BYTES];
    for (unsigned i = 0; i < RXQ_MAX_FRAMES; i++)
        assert_true(rxq_push(&q, big, 1, 0));
    assert_false(rxq_push(&q, big, 1, 0));
    assert_int_equal(q.dropped, 1);
    rxq_clear(&q);
    assert_int_equal(q.dropped, 1 + RXQ_MAX_FRAMES);
    assert_true(rxq_push(&q, big, RXQ_MAX_BYTES - 10, 0));
    assert_false(rxq_push(&q, big, 11, 0)); /* one byte over */
    assert_true(rxq_push(&q, big, 10, 0));
    assert_int_equal(q.bytes, RXQ_MAX_BYTES);
}

static void old_frames_expire(void **state)
{
    (void)state;
    struct guest g = {0};
    assert_true(rxq_push(&q, (uint8_t[1]){1}, 1, 1000));
    assert_true(rxq_push(&q, (uint8_t[1]){2}, 1, 1000 + RXQ_MAX_AGE_MS));
    rxq_expire(&q, 1000 + RXQ_MAX_AGE_MS); /* the first is exactly the limit: kept */
    assert_int_equal(q.count, 2);
    g.room = 5;
    /* One past the first's limit: dropped unsent, the second still goes. */
    assert_int_equal(rxq_flush(&q, 1001 + RXQ_MAX_AGE_MS, take, &g), 1);
    assert_int_equal(g.first[0], 2);
    assert_int_equal(q.dropped, 1);
}

static void broken_ring_empties(void **state)
{
    (void)state;
    struct guest g = {.room = 5, .broken = 1};
    for (int i = 0; i < 3; i++)
        assert_true(rxq_push(&q, (uint8_t[1]){0}, 1, 0));
    assert_int_equal(rxq_flush(&q, 0, take, &g), 0);
    assert_int_equal(q.count, 0);
    assert_int_equal(q.dropped, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(order_kept_until_room, setup),
        cmocka_unit_test_setup(bounded_in_frames_and_bytes, setup),
        cmocka_unit_test_setup(old_frames_expire, setup),
        cmocka_unit_test_setup(broken_ring_empties, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
