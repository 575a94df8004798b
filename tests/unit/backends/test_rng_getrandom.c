/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The entropy backend (src/backends/linux/rng_getrandom.c) under the real
 * virtio-rng model: every buffer the guest posts comes back full, with the
 * kernel's random bytes (no two buffers alike, not all zero).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/backends/rng_getrandom.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/devices/virtio_rng.h"
#include "support/virtio_driver.h"

#define BUF(i) (TD_DATA + 0x1000ull * (i))

struct fixture {
    struct td d;
    struct virtio_rng rng;
    struct virtio_mmio t;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_rng_config cfg = {
        .slot = td_slot(&f->d, "rng0"),
        .backend = {.fill = rng_getrandom_fill},
    };
    if (virtio_rng_init(&f->rng, &cfg) != 0 || virtio_mmio_init(&f->t, &f->rng.vdev) != 0)
        return -1;
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f);
    return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static void buffers_come_back_full_of_random_bytes(void **state)
{
    struct fixture *f = *state;
    enum { N = 4, LEN = 512 };

    for (uint16_t i = 0; i < N; i++) {
        td_desc(&f->d, 0, i, BUF(i), LEN, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, 0, i);
    }
    virtio_rng_process(&f->rng);
    assert_int_equal(td_used_idx(&f->d, 0), N);
    for (uint16_t i = 0; i < N; i++) {
        uint32_t id, len;
        td_used_elem(&f->d, 0, i, &id, &len);
        assert_int_equal(len, LEN);
        assert_false(all_zero(td_ptr(&f->d, BUF(id)), LEN));
        for (uint16_t j = 0; j < i; j++)
            assert_memory_not_equal(td_ptr(&f->d, BUF(i)), td_ptr(&f->d, BUF(j)), LEN);
    }
    assert_true(f->d.interrupts >= 1);
}

static void the_backend_fills_what_it_is_asked(void **state)
{
    uint8_t a[4096] = {0}, b[4096] = {0};
    (void)state;

    assert_int_equal(rng_getrandom_fill(NULL, a, sizeof(a)), sizeof(a));
    assert_int_equal(rng_getrandom_fill(NULL, b, sizeof(b)), sizeof(b));
    assert_false(all_zero(a, sizeof(a)));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(rng_getrandom_fill(NULL, a, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(buffers_come_back_full_of_random_bytes, setup, teardown),
        cmocka_unit_test(the_backend_fills_what_it_is_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
