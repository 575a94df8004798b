/* SPDX-License-Identifier: BSD-2-Clause */
/* HW-reduced ACPI sleep and reset registers through a VM's port I/O bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/acpi_pm.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

#define SLEEP_CONTROL 0x3c0
#define SLEEP_STATUS 0x3c1
#define RESET 0x3c2
#define RESET_VALUE 0x0e
#define S5_TYPE 5

struct fixture {
    struct vm vm;
    struct acpi_pm pm;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    struct acpi_pm_config cfg = {.vm = &f->vm,
                                 .is_pio = true,
                                 .sleep_control_base = SLEEP_CONTROL,
                                 .sleep_status_base = SLEEP_STATUS,
                                 .reset_base = RESET,
                                 .reset_value = RESET_VALUE,
                                 .s5_sleep_type = S5_TYPE};
    if (acpi_pm_init(&f->pm, &cfg) != 0 || acpi_pm_register(&f->pm, &f->vm.pio) != 0) {
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

static uint8_t sleep_request(unsigned type)
{
    return (uint8_t)((type << ACPI_PM_SLP_TYP_SHIFT) | ACPI_PM_SLP_EN);
}

static void s5_powers_off(void **state)
{
    struct fixture *f = *state;

    /* Linux clears WAK_STS first, then writes the sleep type with SLP_EN. */
    out(f, SLEEP_STATUS, ACPI_PM_WAK_STS);
    out(f, SLEEP_CONTROL, sleep_request(S5_TYPE));
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_POWEROFF);
}

static void reset_value_resets(void **state)
{
    struct fixture *f = *state;

    out(f, RESET, RESET_VALUE);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_RESET);
}

static void other_values_do_not_stop(void **state)
{
    struct fixture *f = *state;

    /* The S5 type without SLP_EN only selects it. */
    out(f, SLEEP_CONTROL, (uint8_t)(S5_TYPE << ACPI_PM_SLP_TYP_SHIFT));
    out(f, SLEEP_CONTROL, ACPI_PM_SLP_EN); /* S0 */
    out(f, SLEEP_CONTROL, sleep_request(3));
    out(f, SLEEP_CONTROL, 0xff & (uint8_t)~ACPI_PM_SLP_EN);
    out(f, RESET, 0);
    out(f, RESET, RESET_VALUE + 1);
    out(f, RESET, 0xff);
    out(f, SLEEP_STATUS, 0xff);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void refused_sleep_wakes_at_once(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(in(f, SLEEP_STATUS), 0);
    out(f, SLEEP_CONTROL, sleep_request(3));
    assert_int_equal(in(f, SLEEP_STATUS), ACPI_PM_WAK_STS);
    out(f, SLEEP_STATUS, 0x7f); /* only a 1 in bit 7 clears it */
    assert_int_equal(in(f, SLEEP_STATUS), ACPI_PM_WAK_STS);
    out(f, SLEEP_STATUS, ACPI_PM_WAK_STS);
    assert_int_equal(in(f, SLEEP_STATUS), 0);
    assert_int_equal(in(f, SLEEP_CONTROL), 0);
    assert_int_equal(in(f, RESET), 0);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void offsets_outside_a_register_do_nothing(void **state)
{
    struct fixture *f = *state;
    const uint8_t reset[2] = {RESET_VALUE, RESET_VALUE};
    const struct bus_range *r = bus_find(&f->vm.pio, RESET, 1);

    assert_int_equal(bus_write(&f->vm.pio, RESET, reset, 2), -STDVMM_ENODEV);
    assert_non_null(r);
    r->ops->write(r->opaque, 1, reset, 1);
    r->ops->write(r->opaque, 0, reset, 0);
    r = bus_find(&f->vm.pio, SLEEP_CONTROL, 1);
    assert_non_null(r);
    r->ops->write(r->opaque, 3, (const uint8_t[]){sleep_request(S5_TYPE)}, 1);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_NONE);
}

static void init_refuses_bad_configuration(void **state)
{
    struct fixture *f = *state;
    struct acpi_pm pm;
    struct acpi_pm_config cfg = {.sleep_control_base = 0x500,
                                 .sleep_status_base = 0x501,
                                 .reset_base = 0x501,
                                 .s5_sleep_type = S5_TYPE};

    assert_int_equal(acpi_pm_init(&pm, &cfg), -STDVMM_EINVAL); /* no VM */
    cfg.vm = &f->vm;
    cfg.s5_sleep_type = ACPI_PM_SLEEP_TYPE_MAX + 1;
    assert_int_equal(acpi_pm_init(&pm, &cfg), -STDVMM_EINVAL);
    cfg.s5_sleep_type = S5_TYPE;
    assert_int_equal(acpi_pm_init(NULL, &cfg), -STDVMM_EINVAL);
    assert_int_equal(acpi_pm_init(&pm, NULL), -STDVMM_EINVAL);
    assert_int_equal(acpi_pm_init(&pm, &cfg), 0);
    assert_int_equal(acpi_pm_register(&pm, NULL), -STDVMM_EINVAL);
    /* Status and reset share a port: the bus refuses the second. */
    assert_int_equal(acpi_pm_register(&pm, &f->vm.pio), -STDVMM_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(s5_powers_off, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_value_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(other_values_do_not_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_sleep_wakes_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_outside_a_register_do_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(init_refuses_bad_configuration, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
