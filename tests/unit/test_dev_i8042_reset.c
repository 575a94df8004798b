/* SPDX-License-Identifier: BSD-2-Clause */
/* The keyboard controller's reset line, the legacy fallback of Linux's reboot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/i8042_reset.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

struct fixture {
    struct vm vm;
    struct i8042_reset kbc;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    if (i8042_reset_init(&f->kbc, &f->vm) != 0 || i8042_reset_register(&f->kbc, &f->vm.pio) != 0) {
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

static void out(struct fixture *f, uint64_t port, uint8_t v)
{
    assert_int_equal(bus_write(&f->vm.pio, port, &v, 1), 0);
}

static uint8_t in(struct fixture *f, uint64_t port)
{
    uint8_t v = 0xaa;

    assert_int_equal(bus_read(&f->vm.pio, port, &v, 1), 0);
    return v;
}

static void pulse_reset_resets(void **state)
{
    struct fixture *f = *state;

    /* Linux's kb_wait() polls for an empty input buffer before the command. */
    assert_int_equal(in(f, I8042_COMMAND_PORT) & 0x02, 0);
    out(f, I8042_COMMAND_PORT, I8042_CMD_PULSE_RESET);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_RESET);
}

static void other_commands_and_data_do_nothing(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(in(f, I8042_COMMAND_PORT), 0);
    assert_int_equal(in(f, I8042_DATA_PORT), 0);
    out(f, I8042_COMMAND_PORT, 0xaa); /* self test */
    out(f, I8042_COMMAND_PORT, 0xff); /* pulse no line */
    out(f, I8042_COMMAND_PORT, 0xfd); /* pulse line 1, not reset */
    out(f, I8042_DATA_PORT, 0xfe);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void wide_and_stray_accesses_are_refused(void **state)
{
    struct fixture *f = *state;
    const uint8_t cmd[2] = {I8042_CMD_PULSE_RESET, I8042_CMD_PULSE_RESET};
    const struct bus_range *r = bus_find(&f->vm.pio, I8042_COMMAND_PORT, 1);

    assert_int_equal(bus_write(&f->vm.pio, I8042_COMMAND_PORT, cmd, 2), -STDVMM_ENODEV);
    assert_non_null(r);
    r->ops->write(r->opaque, 1, cmd, 1);
    r->ops->write(r->opaque, 0, cmd, 0);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void init_refuses_missing_arguments(void **state)
{
    struct fixture *f = *state;
    struct i8042_reset k;

    assert_int_equal(i8042_reset_init(&k, NULL), -STDVMM_EINVAL);
    assert_int_equal(i8042_reset_init(NULL, &f->vm), -STDVMM_EINVAL);
    assert_int_equal(i8042_reset_init(&k, &f->vm), 0);
    assert_int_equal(i8042_reset_register(&k, NULL), -STDVMM_EINVAL);
    assert_int_equal(i8042_reset_register(&k, &f->vm.pio), -STDVMM_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pulse_reset_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(other_commands_and_data_do_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(wide_and_stray_accesses_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(init_refuses_missing_arguments, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
