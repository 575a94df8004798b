/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/error.h"

struct probe {
    uint64_t last_offset;
    uint32_t last_len;
    uint8_t last_data[8];
    unsigned reads, writes;
};

static void probe_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct probe *p = opaque;
    p->reads++;
    p->last_offset = offset;
    p->last_len = len;
    memset(data, 0x5a, len);
}

static void probe_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct probe *p = opaque;
    p->writes++;
    p->last_offset = offset;
    p->last_len = len;
    memcpy(p->last_data, data, len);
}

static const struct bus_device_ops probe_ops = {.read = probe_read, .write = probe_write};

static void dispatch_relative_offset(void **state)
{
    struct bus bus;
    struct probe a = {0}, b = {0};
    uint8_t data[8] = {0x11, 0x22};

    bus_init(&bus, "mmio");
    assert_int_equal(bus_register(&bus, 0x1000, 0x100, &probe_ops, &a, "a"), 0);
    assert_int_equal(bus_register(&bus, 0x2000, 0x10, &probe_ops, &b, "b"), 0);
    assert_int_equal(bus_write(&bus, 0x1010, data, 2), 0);
    assert_int_equal(a.writes, 1);
    assert_int_equal(a.last_offset, 0x10);
    assert_int_equal(a.last_len, 2);
    assert_memory_equal(a.last_data, data, 2);
    assert_int_equal(bus_read(&bus, 0x2008, data, 8), 0);
    assert_int_equal(b.reads, 1);
    assert_int_equal(b.last_offset, 8);
    assert_int_equal(data[7], 0x5a);
}

static void unclaimed_reads_all_ones(void **state)
{
    struct bus bus;
    struct probe a = {0};
    uint8_t data[4] = {0};

    bus_init(&bus, "pio");
    assert_int_equal(bus_register(&bus, 0x3f8, 8, &probe_ops, &a, "uart"), 0);
    assert_int_equal(bus_read(&bus, 0x80, data, 4), -STDVMM_ENODEV);
    assert_int_equal(data[0] & data[1] & data[2] & data[3], 0xff);
    /* an access that starts inside but runs past the end belongs to nobody */
    assert_int_equal(bus_read(&bus, 0x3fe, data, 4), -STDVMM_ENODEV);
    assert_int_equal(bus_write(&bus, 0x3fe, data, 4), -STDVMM_ENODEV);
    assert_int_equal(a.reads + a.writes, 0);
}

static void bad_widths_refused(void **state)
{
    struct bus bus;
    struct probe a = {0};
    uint8_t data[16];

    bus_init(&bus, "mmio");
    assert_int_equal(bus_register(&bus, 0, 0x100, &probe_ops, &a, "a"), 0);
    assert_int_equal(bus_read(&bus, 0, data, 3), -STDVMM_EINVAL);
    assert_int_equal(bus_write(&bus, 0, data, 16), -STDVMM_EINVAL);
    assert_int_equal(bus_write(&bus, 0, data, 0), -STDVMM_EINVAL);
    assert_int_equal(a.reads + a.writes, 0);
}

static void register_refusals(void **state)
{
    struct bus bus;
    struct probe a = {0};

    bus_init(&bus, "mmio");
    assert_int_equal(bus_register(&bus, 0x1000, 0x1000, &probe_ops, &a, "a"), 0);
    assert_int_equal(bus_register(&bus, 0x1fff, 2, &probe_ops, &a, "overlap-end"), -STDVMM_EEXIST);
    assert_int_equal(bus_register(&bus, 0x0fff, 2, &probe_ops, &a, "overlap-start"),
                     -STDVMM_EEXIST);
    assert_int_equal(bus_register(&bus, 0x5000, 0, &probe_ops, &a, "empty"), -STDVMM_EINVAL);
    assert_int_equal(bus_register(&bus, UINT64_MAX, 2, &probe_ops, &a, "wraps"), -STDVMM_EINVAL);
    assert_int_equal(bus_register(&bus, 0x5000, 1, NULL, &a, "no-ops"), -STDVMM_EINVAL);
    assert_int_equal(bus_register(&bus, 0x2000, 1, &probe_ops, &a, "adjacent"), 0);
    assert_int_equal(bus.count, 2);
}

static void bus_full(void **state)
{
    struct bus bus;
    struct probe a = {0};

    bus_init(&bus, "pio");
    for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
        assert_int_equal(bus_register(&bus, i * 2ull, 1, &probe_ops, &a, "x"), 0);
    assert_int_equal(bus_register(&bus, 0x10000, 1, &probe_ops, &a, "one-too-many"),
                     -STDVMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dispatch_relative_offset),
        cmocka_unit_test(unclaimed_reads_all_ones),
        cmocka_unit_test(bad_widths_refused),
        cmocka_unit_test(register_refusals),
        cmocka_unit_test(bus_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
