/* SPDX-License-Identifier: BSD-2-Clause */
/* pvpanic through a VM's port I/O bus: panics stop the VM, nothing else does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

struct fixture {
    struct vm vm;
    struct pvpanic pvpanic;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    struct pvpanic_config cfg = {.base = PVPANIC_X86_PORT, .is_pio = true, .vm = &f->vm};
    if (pvpanic_init(&f->pvpanic, &cfg) != 0 || pvpanic_register(&f->pvpanic, &f->vm.pio) != 0) {
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
    assert_int_equal(bus_write(&f->vm.pio, PVPANIC_X86_PORT, &v, 1), 0);
}

static void read_reports_supported_events(void **state)
{
    struct fixture *f = *state;
    uint8_t v = 0;

    assert_int_equal(bus_read(&f->vm.pio, PVPANIC_X86_PORT, &v, 1), 0);
    assert_int_equal(v, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
}

static void panic_stops_the_vm(void **state)
{
    struct fixture *f = *state;

    out(f, PVPANIC_PANICKED);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_PANIC);
    out(f, PVPANIC_PANICKED); /* a second report changes nothing */
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_PANIC);
}

static void panic_wins_over_other_bits(void **state)
{
    struct fixture *f = *state;

    out(f, 0xff);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_PANIC);
}

static void crash_loaded_and_unknown_bits_only_log(void **state)
{
    struct fixture *f = *state;

    out(f, PVPANIC_CRASH_LOADED);
    out(f, 0x04);
    out(f, 0xfc);
    out(f, 0);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void offsets_outside_the_port_do_nothing(void **state)
{
    struct fixture *f = *state;
    const struct bus_range *r = bus_find(&f->vm.pio, PVPANIC_X86_PORT, 1);
    const uint8_t panic[2] = {PVPANIC_PANICKED, PVPANIC_PANICKED};
    uint8_t buf[2] = {0xaa, 0xaa};

    assert_int_equal(bus_write(&f->vm.pio, PVPANIC_X86_PORT, panic, 2), -STDVMM_ENODEV);
    assert_non_null(r);
    r->ops->write(r->opaque, 1, panic, 1);
    r->ops->write(r->opaque, 0, panic, 0);
    r->ops->read(r->opaque, 1, buf, 2);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 0);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void init_refuses_missing_vm(void **state)
{
    struct fixture *f = *state;
    struct pvpanic p;
    struct pvpanic_config cfg = {.base = PVPANIC_X86_PORT, .is_pio = true};

    assert_int_equal(pvpanic_init(&p, &cfg), -STDVMM_EINVAL);
    assert_int_equal(pvpanic_init(NULL, &cfg), -STDVMM_EINVAL);
    assert_int_equal(pvpanic_init(&p, NULL), -STDVMM_EINVAL);
    cfg.vm = &f->vm;
    assert_int_equal(pvpanic_init(&p, &cfg), 0);
    assert_int_equal(pvpanic_register(&p, NULL), -STDVMM_EINVAL);
    assert_int_equal(pvpanic_register(&p, &f->vm.pio), -STDVMM_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_reports_supported_events, setup, teardown),
        cmocka_unit_test_setup_teardown(panic_stops_the_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(panic_wins_over_other_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_loaded_and_unknown_bits_only_log, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_outside_the_port_do_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(init_refuses_missing_vm, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
