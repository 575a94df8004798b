/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A shared region's register page through a VM's MMIO bus: what it tells
 * the guest, doorbells both ways (rings passed to the host, rings counted
 * and the line driven by STATUS), and the writes of a read-only member
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/shared_region.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

#define REGS 0xd000f000ull
#define GPA 0x200000000ull
#define SIZE (1ull << 20)
#define IRQ 20

struct fixture {
    struct vm vm;
    struct shared_region s;
    uint32_t rung[8];
    unsigned ring_calls;
    int line;
    unsigned line_changes;
};

static void set_irq(void *ctx, uint32_t irq, bool level)
{
    struct fixture *f = ctx;
    assert_int_equal(irq, IRQ);
    f->line = level;
    f->line_changes++;
}

static void ring(void *ctx, uint32_t target)
{
    struct fixture *f = ctx;
    assert_true(f->ring_calls < 8);
    f->rung[f->ring_calls++] = target;
}

static int make(void **state, bool writable, bool doorbell)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    struct shared_region_config c = {
        .name = "chan",
        .regs = REGS,
        .gpa = GPA,
        .size = SIZE,
        .member = 1,
        .members = 3,
        .writable = writable,
        .doorbell = doorbell,
        .irq = IRQ,
        .set_irq = set_irq,
        .irq_ctx = f,
        .ring = ring,
        .ring_ctx = f,
    };
    if (shared_region_init(&f->s, &c) != 0 || shared_region_register(&f->s, &f->vm.mmio) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_rw(void **state)
{
    return make(state, true, true);
}

static int setup_ro(void **state)
{
    return make(state, false, false);
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
    uint8_t b[4];
    assert_int_equal(bus_read(&f->vm.mmio, REGS + off, b, 4), 0);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(bus_write(&f->vm.mmio, REGS + off, b, 4), 0);
}

static void registers_describe_the_region(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, SHARED_REGION_MAGIC_REG), SHARED_REGION_MAGIC);
    assert_int_equal(rd(f, SHARED_REGION_VERSION_REG), 1);
    assert_int_equal(rd(f, SHARED_REGION_MEMBER), 1);
    assert_int_equal(rd(f, SHARED_REGION_MEMBERS), 3);
    assert_int_equal(rd(f, SHARED_REGION_ADDR_LO), 0);
    assert_int_equal(rd(f, SHARED_REGION_ADDR_HI), 2);
    assert_int_equal(rd(f, SHARED_REGION_SIZE_LO), SIZE);
    assert_int_equal(rd(f, SHARED_REGION_SIZE_HI), 0);
    assert_int_equal(rd(f, SHARED_REGION_FLAGS),
                     SHARED_REGION_F_WRITABLE | SHARED_REGION_F_DOORBELL);
    char name[8] = {0};
    for (unsigned i = 0; i < 8; i++) {
        uint8_t c;
        assert_int_equal(bus_read(&f->vm.mmio, REGS + SHARED_REGION_NAME + i, &c, 1), 0);
        name[i] = (char)c;
    }
    assert_string_equal(name, "chan");
    assert_int_equal(rd(f, SHARED_REGION_NAME + 0x3c), 0); /* NUL-padded to the end */
    assert_int_equal(rd(f, 0x800), 0);                     /* the rest of the page reads 0 */
}

static void guest_rings_reach_the_host(void **state)
{
    struct fixture *f = *state;
    wr(f, SHARED_REGION_DOORBELL, 0);
    wr(f, SHARED_REGION_DOORBELL, 2);
    wr(f, SHARED_REGION_DOORBELL, SHARED_REGION_RING_ALL);
    assert_int_equal(f->ring_calls, 3);
    assert_int_equal(f->rung[0], 0);
    assert_int_equal(f->rung[1], 2);
    assert_int_equal(f->rung[2], SHARED_REGION_RING_ALL);
}

static void bad_rings_go_nowhere(void **state)
{
    struct fixture *f = *state;
    wr(f, SHARED_REGION_DOORBELL, 1);  /* itself */
    wr(f, SHARED_REGION_DOORBELL, 3);  /* no such member */
    wr(f, SHARED_REGION_DOORBELL, 99); /* no such member */
    uint8_t b = 0;                     /* a byte-wide write means nothing */
    assert_int_equal(bus_write(&f->vm.mmio, REGS + SHARED_REGION_DOORBELL, &b, 1), 0);
    assert_int_equal(f->ring_calls, 0);
    assert_int_equal(f->s.refused_rings, 3);
}

static void host_rings_are_counted_and_raise_the_line(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, SHARED_REGION_RINGS), 0);
    assert_int_equal(rd(f, SHARED_REGION_STATUS), 0);
    shared_region_doorbell(&f->s, 0); /* nothing */
    assert_int_equal(f->line_changes, 0);
    shared_region_doorbell(&f->s, 1);
    shared_region_doorbell(&f->s, 5);
    assert_int_equal(rd(f, SHARED_REGION_RINGS), 6);
    assert_int_equal(rd(f, SHARED_REGION_STATUS), 1);
    assert_int_equal(f->line, 1);
    wr(f, SHARED_REGION_STATUS, 0); /* writing 0 clears nothing */
    assert_int_equal(rd(f, SHARED_REGION_STATUS), 1);
    wr(f, SHARED_REGION_STATUS, 1);
    assert_int_equal(rd(f, SHARED_REGION_STATUS), 0);
    assert_int_equal(f->line, 0);
    assert_int_equal(rd(f, SHARED_REGION_RINGS), 6); /* clearing STATUS keeps the count */
}

static void read_only_member_writes_are_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(rd(f, SHARED_REGION_FLAGS), 0);
    /* The port maps the memory read-only: writes exit, and land here. */
    assert_int_equal(bus_write(&f->vm.mmio, GPA + 0x1000, v, 8), 0);
    assert_int_equal(bus_write(&f->vm.mmio, GPA + SIZE - 1, v, 1), 0);
    assert_int_equal(shared_region_refused_writes(&f->s), 2);
    /* No doorbells on this region: a ring is refused. */
    wr(f, SHARED_REGION_DOORBELL, 0);
    assert_int_equal(f->ring_calls, 0);
    /* Past the region is not the region's. */
    assert_int_not_equal(bus_write(&f->vm.mmio, GPA + SIZE, v, 1), 0);
}

static void bad_configurations_are_refused(void **state)
{
    struct shared_region s;
    struct shared_region_config c = {.name = "x", .gpa = GPA, .size = SIZE, .members = 2};
    (void)state;
    assert_int_equal(shared_region_init(&s, &c), 0);
    c.member = 2;
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
    c.member = 0;
    c.members = SHARED_REGION_MAX_MEMBERS + 1;
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
    c.members = 2;
    c.size = 0;
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
    c.size = SIZE;
    c.gpa = UINT64_MAX - 10;
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
    c.gpa = GPA;
    c.name = "";
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
    char longname[SHARED_REGION_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    c.name = longname;
    assert_int_equal(shared_region_init(&s, &c), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registers_describe_the_region, setup_rw, teardown),
        cmocka_unit_test_setup_teardown(guest_rings_reach_the_host, setup_rw, teardown),
        cmocka_unit_test_setup_teardown(bad_rings_go_nowhere, setup_rw, teardown),
        cmocka_unit_test_setup_teardown(host_rings_are_counted_and_raise_the_line, setup_rw,
                                        teardown),
        cmocka_unit_test_setup_teardown(read_only_member_writes_are_refused, setup_ro, teardown),
        cmocka_unit_test(bad_configurations_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
