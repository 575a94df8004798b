/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A device whose queues another process serves: the backend gets the rings
 * at DRIVER_OK with the driver's features, loses them on reset before the
 * driver can free them, a start overtaken by a reset is marked stale, and
 * the backend's "used" raises the interrupt with the status bit set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_vhost.h"
#include "support/virtio_driver.h"

struct fixture {
    struct td d;
    struct virtio_vhost dev;
    struct virtio_mmio t;
    unsigned starts, stops;
    unsigned start_gen, stop_gen;
    uint64_t features;
    struct virtio_vhost_queue q[VIRTIO_MAX_QUEUES];
    unsigned count;
    int start_result;
    /* Runs inside start(), as a vCPU's reset could on another thread. */
    void (*during_start)(struct fixture *f);
};

static void fake_config(void *ctx, uint32_t offset, uint8_t *data, uint32_t len)
{
    (void)ctx;
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(offset + i);
}

static int fake_start(void *ctx, unsigned gen, uint64_t features,
                      const struct virtio_vhost_queue *q, unsigned count)
{
    struct fixture *f = ctx;
    if (f->during_start != NULL)
        f->during_start(f);
    f->starts++;
    f->start_gen = gen;
    f->features = features;
    memcpy(f->q, q, sizeof(*q) * count);
    f->count = count;
    return f->start_result;
}

static void fake_stop(void *ctx, unsigned gen)
{
    struct fixture *f = ctx;
    f->stops++;
    f->stop_gen = gen;
}

#define OFFERED (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(6))

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_vhost_config c = {
        .slot = td_slot(&f->d, "vhost"),
        .device_id = VIRTIO_ID_FS,
        .features = OFFERED,
        .num_queues = 2,
        .queue_max = 64,
        .config_size = 40,
        .backend = {.config_read = fake_config, .start = fake_start, .stop = fake_stop, .ctx = f},
    };
    if (virtio_vhost_init(&f->dev, &c) != 0 || virtio_mmio_init(&f->t, &f->dev.vdev) != 0)
        return -1;
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

static void offers_exactly_the_backends_features(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio *t = &f->t;
    /* No INDIRECT_DESC: the backend did not offer it, so the transport must not add it. */
    td_w32(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(td_r32(t, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)OFFERED);
    td_w32(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(td_r32(t, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(OFFERED >> 32));
    assert_int_equal(td_r32(t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_FS);
    assert_int_equal(td_r32(t, VIRTIO_MMIO_CONFIG + 4), 0x07060504);
    /* Asking for more than offered is refused as for any device. */
    uint32_t status = td_negotiate(t, OFFERED | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
    assert_false(status & VIRTIO_STATUS_FEATURES_OK);
}

static void rings_go_over_at_driver_ok(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio *t = &f->t;
    uint64_t accepted = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);

    td_negotiate(t, accepted);
    td_setup_queue(&f->d, t, 0, 16);
    td_setup_queue(&f->d, t, 1, 32);
    virtio_vhost_process(&f->dev);
    assert_int_equal(f->starts, 0); /* not before DRIVER_OK */
    td_w32(t, VIRTIO_MMIO_STATUS,
           VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
               VIRTIO_STATUS_DRIVER_OK);
    virtio_vhost_process(&f->dev);
    assert_int_equal(f->starts, 1);
    assert_int_equal(f->features, accepted);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->q[1].index, 1);
    assert_int_equal(f->q[1].num, 32);
    assert_int_equal(f->q[1].desc, f->d.q[1].desc);
    assert_int_equal(f->q[1].avail, f->d.q[1].avail);
    assert_int_equal(f->q[1].used, f->d.q[1].used);
    /* More kicks do not start it again. */
    virtio_vhost_process(&f->dev);
    assert_int_equal(f->starts, 1);

    /* A reset takes the rings back at once, and the next DRIVER_OK starts them again. */
    unsigned stops = f->stops; /* negotiation begins with a reset too */
    td_w32(t, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(f->stops, stops + 1);
    assert_true((int)(f->stop_gen - f->start_gen) > 0);
    td_start(&f->d, t, 2, 16, accepted);
    virtio_vhost_process(&f->dev);
    assert_int_equal(f->starts, 2);
    assert_int_equal(f->start_gen, f->stop_gen);
}

static void reset_during_start(struct fixture *f)
{
    f->during_start = NULL;
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
}

static void a_start_overtaken_by_a_reset_is_stale(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio *t = &f->t;

    td_start(&f->d, t, 2, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    unsigned stops = f->stops;
    f->during_start = reset_during_start;
    virtio_vhost_process(&f->dev);
    /* The backend sees a stop with a later generation than the start it was given. */
    assert_int_equal(f->starts, 1);
    assert_int_equal(f->stops, stops + 1);
    assert_true((int)(f->stop_gen - f->start_gen) > 0);
    /* And the driver's next DRIVER_OK is not mistaken for the one already started. */
    td_start(&f->d, t, 2, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    virtio_vhost_process(&f->dev);
    assert_int_equal(f->starts, 2);
}

static void used_sets_the_status_and_interrupts(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio *t = &f->t;

    td_start(&f->d, t, 2, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    virtio_vhost_process(&f->dev);
    unsigned before = f->d.interrupts;
    virtio_vhost_used(&f->dev);
    assert_int_equal(f->d.interrupts, before + 1);
    assert_int_equal(td_r32(t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
}

static void a_failed_start_asks_for_a_reset(void **state)
{
    struct fixture *f = *state;
    struct virtio_mmio *t = &f->t;

    f->start_result = -1;
    td_start(&f->d, t, 2, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    virtio_vhost_process(&f->dev);
    assert_true(td_r32(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(td_r32(t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(offers_exactly_the_backends_features, setup, teardown),
        cmocka_unit_test_setup_teardown(rings_go_over_at_driver_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(a_start_overtaken_by_a_reset_is_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(used_sets_the_status_and_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_start_asks_for_a_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
