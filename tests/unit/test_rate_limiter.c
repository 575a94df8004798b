/* SPDX-License-Identifier: BSD-2-Clause */
/* The token buckets of src/devices/rate_limiter.c, on a clock the test moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stdvmm/devices/rate_limiter.h"

#define MS 1000000ull
#define T0 (1000 * MS) /* not zero: the clock is monotonic, not since boot */

static void config_checks(void **state)
{
    (void)state;
    struct rate_limiter_config off = {0};
    assert_true(rate_limiter_config_valid(&off));
    assert_false(rate_limiter_config_active(&off));
    struct rate_limiter_config c = {.bytes = {.size = 1000, .refill_ms = 100}};
    assert_true(rate_limiter_config_valid(&c));
    assert_true(rate_limiter_config_active(&c));
    c.bytes.refill_ms = 0; /* a size that never refills */
    assert_false(rate_limiter_config_valid(&c));
    c.bytes = (struct rate_bucket_config){.refill_ms = 100}; /* a refill of nothing */
    assert_false(rate_limiter_config_valid(&c));
    c.bytes = (struct rate_bucket_config){.burst = 5};
    assert_false(rate_limiter_config_valid(&c));
    c.bytes = (struct rate_bucket_config){.size = 1, .refill_ms = 3600 * 1000 + 1};
    assert_false(rate_limiter_config_valid(&c));
    c.bytes = (struct rate_bucket_config){.size = UINT64_MAX, .refill_ms = 1};
    assert_false(rate_limiter_config_valid(&c));
}

/* 1000 bytes per 100 ms: a full bucket, then a wait as long as the refill of what is missing. */
static void bytes_bucket_refills_linearly(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.bytes = {.size = 1000, .refill_ms = 100}};
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 600), 0);
    assert_int_equal(rate_limiter_take(&l, T0, 400), 0);
    uint64_t wait = rate_limiter_take(&l, T0, 500);
    /* 500 bytes at 10 bytes/ms: 50 ms */
    assert_in_range(wait, 50 * MS, 50 * MS + 2);
    assert_int_equal(l.throttled, 1);
    /* Not before: 49 ms give 490 bytes. */
    assert_true(rate_limiter_take(&l, T0 + 49 * MS, 500) > 0);
    assert_int_equal(rate_limiter_take(&l, T0 + 50 * MS, 500), 0);
    /* Never more than the bucket: after a long idle, one bucket and then a wait. */
    assert_int_equal(rate_limiter_take(&l, T0 + 10000 * MS, 1000), 0);
    assert_true(rate_limiter_take(&l, T0 + 10000 * MS, 1) > 0);
}

/* Small steps keep their fractions: 1 ms gives 10 bytes, 100 times, exactly one bucket. */
static void fractions_are_not_lost(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.bytes = {.size = 3, .refill_ms = 1}}; /* 3 per ms */
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 3), 0);
    uint64_t got = 0, now = T0;
    /* every 100 µs, take a token when one is there: 3 per ms in the long run */
    for (int i = 0; i < 1000; i++) {
        now += 100000;
        if (rate_limiter_take(&l, now, 1) == 0)
            got++;
    }
    assert_in_range(got, 299, 300); /* 100 ms */
}

static void ops_bucket_and_both(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.bytes = {.size = 4096, .refill_ms = 1000},
                                    .ops = {.size = 2, .refill_ms = 1000}};
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 0), 0); /* a flush: an op, no bytes */
    assert_int_equal(rate_limiter_take(&l, T0, 512), 0);
    uint64_t wait = rate_limiter_take(&l, T0, 512); /* bytes are there, ops are not */
    assert_in_range(wait, 500 * MS, 500 * MS + 2);
    /* A refused request takes nothing: the bytes are still all there for later. */
    assert_int_equal(rate_limiter_take(&l, T0 + 500 * MS, 3072), 0);
}

/* A request larger than the bucket waits for a full one, then leaves a debt. */
static void larger_than_the_bucket_goes_into_debt(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.bytes = {.size = 1000, .refill_ms = 100}};
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 100), 0);
    uint64_t wait = rate_limiter_take(&l, T0, 5000);
    assert_in_range(wait, 10 * MS, 10 * MS + 2); /* the 100 missing from a full bucket */
    assert_int_equal(rate_limiter_take(&l, T0 + 10 * MS, 5000), 0);
    /* 4000 in debt, then 1 more: 4001 bytes at 10/ms */
    wait = rate_limiter_take(&l, T0 + 10 * MS, 1);
    assert_in_range(wait, 400100000, 400100000 + 2);
    /* on average 10 bytes per ms all the same */
    assert_true(rate_limiter_take(&l, T0 + 409 * MS, 1) > 0);
    assert_int_equal(rate_limiter_take(&l, T0 + 411 * MS, 1), 0);
}

static void burst_is_spent_once(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.bytes = {.size = 100, .refill_ms = 100, .burst = 1000}};
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 1000), 0); /* all burst */
    assert_int_equal(rate_limiter_take(&l, T0, 100), 0);  /* the bucket */
    assert_true(rate_limiter_take(&l, T0, 1) > 0);
    /* long after: the bucket is back, the burst is not */
    assert_int_equal(rate_limiter_take(&l, T0 + 1000 * MS, 100), 0);
    assert_true(rate_limiter_take(&l, T0 + 1000 * MS, 1) > 0);
}

static void clock_going_back_gives_nothing(void **state)
{
    (void)state;
    struct rate_limiter_config c = {.ops = {.size = 1, .refill_ms = 10}};
    struct rate_limiter l;
    rate_limiter_init(&l, &c, T0);
    assert_int_equal(rate_limiter_take(&l, T0, 0), 0);
    assert_true(rate_limiter_take(&l, T0 - 100 * MS, 0) > 0);
    assert_int_equal(rate_limiter_take(&l, T0 + 10 * MS, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_checks),
        cmocka_unit_test(bytes_bucket_refills_linearly),
        cmocka_unit_test(fractions_are_not_lost),
        cmocka_unit_test(ops_bucket_and_both),
        cmocka_unit_test(larger_than_the_bucket_goes_into_debt),
        cmocka_unit_test(burst_is_spent_once),
        cmocka_unit_test(clock_going_back_gives_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
