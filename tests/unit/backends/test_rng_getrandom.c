/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The entropy backend (src/backends/linux/rng_getrandom.c): it fills what it
 * is asked with the kernel's random bytes (not all zero, no two fills
 * alike). Through the virtio-rng model and the runtime's wiring it is
 * checked by test_virtio_wiring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/backends/rng_getrandom.h"

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static void the_backend_fills_what_it_is_asked(void **state)
{
    static uint8_t a[70000], b[70000]; /* more than the virtio-rng model asks at once */
    (void)state;

    assert_int_equal(rng_getrandom_fill(NULL, a, sizeof(a)), sizeof(a));
    assert_int_equal(rng_getrandom_fill(NULL, b, sizeof(b)), sizeof(b));
    assert_false(all_zero(a, sizeof(a)));
    assert_false(all_zero(a + sizeof(a) - 4096, 4096)); /* the end is filled too */
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(rng_getrandom_fill(NULL, a, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_backend_fills_what_it_is_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
