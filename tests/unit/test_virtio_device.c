/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A device model on a transport that is not virtio-mmio: the test is the
 * transport, driving the device only through its transport half
 * (stdvmm/devices/virtio_device.h) and hearing its interrupts through its
 * own struct virtio_transport_ops. What a PCI or shared-memory transport
 * would do, without registers: if a device model reached past
 * virtio_device.h to the MMIO transport, this would not work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_console.h"
#include "stdvmm/devices/virtio_device.h"
#include "stdvmm/devices/virtio_rng.h"
#include "support/virtio_driver.h"

struct fixture {
    struct td d; /* guest RAM and the driver's side of the rings */
    struct virtio_rng rng;
    struct virtio_console con;
    unsigned vring, config; /* interrupts the transport was asked for, by cause */
};

static void direct_interrupt(void *transport, unsigned cause)
{
    struct fixture *f = transport;
    if (cause & VIRTIO_INT_VRING)
        f->vring++;
    if (cause & VIRTIO_INT_CONFIG)
        f->config++;
}

static const struct virtio_transport_ops direct_ops = {.interrupt = direct_interrupt};

static size_t fill_0x3c(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x3c, len);
    return len;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_rng_config rc = {.slot = td_slot(&f->d, "rng"), .backend = {.fill = fill_0x3c}};
    struct virtio_console_config cc = {.slot = td_slot(&f->d, "con")};
    if (virtio_rng_init(&f->rng, &rc) != 0 || virtio_console_init(&f->con, &cc) != 0)
        return -1;
    virtio_dev_attach(&f->rng.vdev, &direct_ops, f);
    virtio_dev_attach(&f->con.vdev, &direct_ops, f);
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

/* The driver's side of feature negotiation, as a transport hands it over. */
static void negotiate(struct virtio_dev *vd, uint64_t features)
{
    stdvmm_lock(&vd->lock);
    virtio_dev_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(vd, 0, (uint32_t)features);
    virtio_dev_set_driver_features(vd, 1, (uint32_t)(features >> 32));
    virtio_dev_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK);
    stdvmm_unlock(&vd->lock);
}

static void start_queue(struct fixture *f, struct virtio_dev *vd, unsigned q, uint16_t num)
{
    stdvmm_lock(&vd->lock);
    struct virtq *vq = virtio_dev_queue(vd, q);
    assert_non_null(vq);
    stdvmm_lock(&vq->lock);
    vq->num = num;
    vq->desc_gpa = TD_RING(q);
    vq->avail_gpa = TD_RING(q) + 0x4000;
    vq->used_gpa = TD_RING(q) + 0x8000;
    stdvmm_unlock(&vq->lock);
    virtio_dev_queue_set_ready(vd, vq, true);
    stdvmm_unlock(&vd->lock);
    f->d.q[q] = (struct td_queue){
        .num = num, .desc = TD_RING(q), .avail = TD_RING(q) + 0x4000, .used = TD_RING(q) + 0x8000};
}

static void driver_ok(struct virtio_dev *vd)
{
    stdvmm_lock(&vd->lock);
    virtio_dev_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    stdvmm_unlock(&vd->lock);
}

static void a_request_without_registers(void **state)
{
    struct fixture *f = *state;
    struct virtio_dev *vd = &f->rng.vdev;

    stdvmm_lock(&vd->lock);
    assert_int_equal(virtio_dev_device_features(vd, 1), 1); /* VERSION_1 is bit 32 */
    assert_int_equal(virtio_dev_device_features(vd, 2), 0);
    stdvmm_unlock(&vd->lock);
    negotiate(vd, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    assert_true(virtio_dev_status(vd) & VIRTIO_STATUS_FEATURES_OK);
    start_queue(f, vd, 0, 16);
    driver_ok(vd);
    assert_true(virtio_dev_driver_ok(vd));
    assert_true(virtio_dev_queue_ready(vd, 0));

    td_desc(&f->d, 0, 0, TD_DATA, 32, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    virtio_dev_notify(vd); /* the model's notify op: what a transport's doorbell runs */
    assert_int_equal(td_used_idx(&f->d, 0), 1);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(len, 32);
    assert_int_equal(*td_ptr(&f->d, TD_DATA + 31), 0x3c);
    assert_int_equal(f->vring, 1);
    assert_int_equal(f->config, 0);

    /* Configuration changes and a broken queue reach the driver as CONFIG. */
    virtio_dev_config_changed(vd);
    assert_int_equal(f->config, 1);
    td_desc(&f->d, 0, 1, TD_DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1); /* a loop */
    td_avail(&f->d, 0, 1);
    virtio_dev_notify(vd);
    assert_true(virtio_dev_status(vd) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->config, 2);
    assert_false(virtio_dev_queue_ready(vd, 0));

    /* A reset clears it all. */
    virtio_dev_reset(vd);
    assert_int_equal(virtio_dev_status(vd), 0);
    assert_int_equal(virtio_dev_features(vd), 0);
}

static void the_status_state_machine(void **state)
{
    struct fixture *f = *state;
    struct virtio_dev *vd = &f->con.vdev;

    /* More than the device offers: FEATURES_OK is refused. */
    negotiate(vd, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(40));
    assert_false(virtio_dev_status(vd) & VIRTIO_STATUS_FEATURES_OK);
    /* Without VERSION_1 too (modern devices only). */
    virtio_dev_reset(vd);
    negotiate(vd, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    assert_false(virtio_dev_status(vd) & VIRTIO_STATUS_FEATURES_OK);

    virtio_dev_reset(vd);
    negotiate(vd, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    assert_true(virtio_dev_has_feature(vd, VIRTIO_F_EVENT_IDX));
    assert_false(virtio_dev_has_feature(vd, VIRTIO_F_INDIRECT_DESC));
    /* Features are fixed once accepted. */
    stdvmm_lock(&vd->lock);
    assert_false(virtio_dev_set_driver_features(vd, 0, 0));
    /* A status write that clears bits without a reset is ignored. */
    virtio_dev_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    stdvmm_unlock(&vd->lock);
    assert_true(virtio_dev_status(vd) & VIRTIO_STATUS_FEATURES_OK);
    assert_true(virtio_dev_has_feature(vd, VIRTIO_F_EVENT_IDX));

    /* A queue larger than the device's maximum stays off. */
    stdvmm_lock(&vd->lock);
    struct virtq *vq = virtio_dev_queue(vd, VIRTIO_CONSOLE_TX);
    vq->num = VIRTIO_CONSOLE_QUEUE_SIZE * 2;
    virtio_dev_queue_set_ready(vd, vq, true);
    assert_null(virtio_dev_queue(vd, 2)); /* the console has two queues */
    stdvmm_unlock(&vd->lock);
    assert_false(virtio_dev_queue_ready(vd, VIRTIO_CONSOLE_TX));

    /* Configuration space: in range through the model, zero outside. */
    uint8_t b[4] = {1, 2, 3, 4};
    virtio_dev_config_read(vd, 0, b, 4);
    assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
    memset(b, 0xff, sizeof(b));
    virtio_dev_config_read(vd, 4096, b, 4);
    assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_request_without_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(the_status_state_machine, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
