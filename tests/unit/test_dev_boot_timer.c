/* SPDX-License-Identifier: BSD-2-Clause */
/* The boot timer, reached through a VM's port I/O bus with a clock the test controls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

struct fixture {
    struct vm vm;
    struct boot_timer timer;
    uint64_t now;
};

static uint64_t fake_now_ns(void *ctx)
{
    struct fixture *f = ctx;

    return f->now;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    f->now = 5000000000ull;
    struct boot_timer_config cfg = {.base = BOOT_TIMER_X86_PORT,
                                    .is_pio = true,
                                    .now_ns = fake_now_ns,
                                    .clock_ctx = f,
                                    .start_ns = 1000000000ull};
    if (boot_timer_init(&f->timer, &cfg) != 0 || boot_timer_register(&f->timer, &f->vm.pio) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void out(struct fixture *f, uint8_t v)
{
    assert_int_equal(bus_write(&f->vm.pio, BOOT_TIMER_X86_PORT, &v, 1), 0);
}

static void records_first_signal(void **state)
{
    struct fixture *f = *state;
    uint64_t elapsed = 0;

    assert_false(boot_timer_userspace_ns(&f->timer, &elapsed));
    f->now = 1000000000ull + 123456789ull;
    out(f, BOOT_TIMER_MAGIC);
    assert_true(boot_timer_userspace_ns(&f->timer, &elapsed));
    assert_int_equal(elapsed, 123456789ull);

    /* A second signal does not move the boot time. */
    f->now += 1000000000ull;
    out(f, BOOT_TIMER_MAGIC);
    assert_true(boot_timer_userspace_ns(&f->timer, &elapsed));
    assert_int_equal(elapsed, 123456789ull);
    assert_true(boot_timer_userspace_ns(&f->timer, NULL));
}

static void other_values_are_ignored(void **state)
{
    struct fixture *f = *state;
    uint8_t v = 0xaa;

    out(f, 0x00);
    out(f, 0x7a);
    out(f, 0xff);
    assert_false(boot_timer_userspace_ns(&f->timer, NULL));
    assert_int_equal(bus_read(&f->vm.pio, BOOT_TIMER_X86_PORT, &v, 1), 0);
    assert_int_equal(v, 0);
}

static void accesses_outside_the_byte_are_not_its(void **state)
{
    struct fixture *f = *state;
    const uint8_t wide[4] = {BOOT_TIMER_MAGIC, 0, 0, 0};
    const struct bus_range *r = bus_find(&f->vm.pio, BOOT_TIMER_X86_PORT, 1);

    assert_int_equal(bus_write(&f->vm.pio, BOOT_TIMER_X86_PORT, wide, 4), -STDVMM_ENODEV);
    assert_int_equal(bus_write(&f->vm.pio, BOOT_TIMER_X86_PORT + 1, wide, 1), -STDVMM_ENODEV);
    /* The device itself ignores offsets the bus would never pass. */
    assert_non_null(r);
    r->ops->write(r->opaque, 1, wide, 1);
    r->ops->write(r->opaque, 0, wide, 0);
    assert_false(boot_timer_userspace_ns(&f->timer, NULL));
}

static void clock_before_start_counts_as_zero(void **state)
{
    struct fixture *f = *state;
    uint64_t elapsed = 1;

    f->now = 10;
    out(f, BOOT_TIMER_MAGIC);
    assert_true(boot_timer_userspace_ns(&f->timer, &elapsed));
    assert_int_equal(elapsed, 0);
}

static void start_defaults_to_init_time(void **state)
{
    struct fixture *f = *state;
    struct boot_timer t;
    struct bus bus;
    uint64_t elapsed = 0;
    const uint8_t magic = BOOT_TIMER_MAGIC;
    struct boot_timer_config cfg = {.base = 0x440, .now_ns = fake_now_ns, .clock_ctx = f};

    bus_init(&bus, "pio");
    f->now = 7000000;
    assert_int_equal(boot_timer_init(&t, &cfg), 0);
    assert_int_equal(boot_timer_register(&t, &bus), 0);
    f->now = 9500000;
    assert_int_equal(bus_write(&bus, 0x440, &magic, 1), 0);
    assert_true(boot_timer_userspace_ns(&t, &elapsed));
    assert_int_equal(elapsed, 2500000);
}

static void init_refuses_missing_clock(void **state)
{
    struct fixture *f = *state;
    struct boot_timer t;
    struct boot_timer_config cfg = {.base = 0x440};

    assert_int_equal(boot_timer_init(&t, &cfg), -STDVMM_EINVAL);
    assert_int_equal(boot_timer_init(NULL, &cfg), -STDVMM_EINVAL);
    assert_int_equal(boot_timer_init(&t, NULL), -STDVMM_EINVAL);
    cfg.now_ns = fake_now_ns;
    cfg.clock_ctx = f;
    assert_int_equal(boot_timer_init(&t, &cfg), 0);
    assert_int_equal(boot_timer_register(&t, NULL), -STDVMM_EINVAL);
    assert_int_equal(boot_timer_register(&t, &f->vm.pio), -STDVMM_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(records_first_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(other_values_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(accesses_outside_the_byte_are_not_its, setup, teardown),
        cmocka_unit_test_setup_teardown(clock_before_start_counts_as_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(start_defaults_to_init_time, setup, teardown),
        cmocka_unit_test_setup_teardown(init_refuses_missing_clock, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
