/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-rng fills writable buffers only; virtio-console moves bytes both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_console.h"
#include "stdvmm/devices/virtio_rng.h"
#include "support/virtio_driver.h"

struct fixture {
    struct td d;
    struct virtio_rng rng;
    struct virtio_console con;
    struct virtio_mmio rng_t;
    struct virtio_mmio con_t;
    size_t fill_limit;
    char out[256];
    size_t out_len;
    uint64_t out_total; /* every byte handed to the host, kept in out or not */
};

static size_t fake_fill(void *ctx, uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;
    size_t n = len < f->fill_limit ? len : f->fill_limit;
    memset(buf, 0xa5, n);
    f->fill_limit -= n;
    return n;
}

static void fake_output(void *ctx, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;
    f->out_total += len;
    if (len > sizeof(f->out) - f->out_len)
        return;
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    f->fill_limit = SIZE_MAX;
    struct virtio_rng_config rc = {.slot = td_slot(&f->d, "rng"),
                                   .backend = {.fill = fake_fill, .ctx = f}};
    struct virtio_console_config cc = {.slot = td_slot(&f->d, "con"),
                                       .backend = {.output = fake_output, .ctx = f}};
    if (virtio_rng_init(&f->rng, &rc) != 0 || virtio_console_init(&f->con, &cc) != 0 ||
        virtio_mmio_init(&f->rng_t, &f->rng.vdev) != 0 ||
        virtio_mmio_init(&f->con_t, &f->con.vdev) != 0)
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

static void rng_fills_writable_buffers(void **state)
{
    struct fixture *f = *state;
    td_start(&f->d, &f->rng_t, 1, 16, TD_FEATURES_ALL);
    td_desc(&f->d, 0, 0, TD_DATA, 64, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    /* A readable buffer is not filled (and not an error). */
    td_desc(&f->d, 0, 1, TD_DATA + 0x100, 64, 0, 0);
    td_avail(&f->d, 0, 1);
    virtio_rng_process(&f->rng);
    assert_int_equal(td_used_idx(&f->d, 0), 2);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(len, 64);
    assert_int_equal(*td_ptr(&f->d, TD_DATA + 63), 0xa5);
    td_used_elem(&f->d, 0, 1, &id, &len);
    assert_int_equal(len, 0);
    assert_int_equal(*td_ptr(&f->d, TD_DATA + 0x100), 0);
}

static void rng_reports_short_fills(void **state)
{
    struct fixture *f = *state;
    td_start(&f->d, &f->rng_t, 1, 16, TD_FEATURES_ALL);
    f->fill_limit = 10;
    td_desc(&f->d, 0, 0, TD_DATA, 64, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    virtio_rng_process(&f->rng);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(len, 10);
}

static void console_output_and_input(void **state)
{
    struct fixture *f = *state;
    /* Input before the driver is ready is refused, not lost. */
    assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"x", 1), 0);
    td_start(&f->d, &f->con_t, 2, 16, TD_FEATURES_ALL);
    memcpy(td_ptr(&f->d, TD_DATA), "hello ", 6);
    memcpy(td_ptr(&f->d, TD_DATA + 0x100), "world", 5);
    td_desc(&f->d, 1, 0, TD_DATA, 6, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 1, 1, TD_DATA + 0x100, 5, 0, 0);
    td_avail(&f->d, 1, 0);
    virtio_console_process(&f->con);
    assert_int_equal(f->out_len, 11);
    assert_memory_equal(f->out, "hello world", 11);
    assert_int_equal(td_used_idx(&f->d, 1), 1);

    assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"abc", 3), 0);
    td_desc(&f->d, 0, 0, TD_DATA + 0x200, 2, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    td_desc(&f->d, 0, 1, TD_DATA + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 1);
    assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"abc", 3), 3);
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 0x200), "ab", 2);
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 0x300), "c", 1);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 1, &id, &len);
    assert_int_equal(len, 1);
}

/* Issue #15: 64 descriptors on one 64 KiB buffer sent 4 MiB to the host. */
static void console_chain_output_is_bounded(void **state)
{
    struct fixture *f = *state;
    td_start(&f->d, &f->con_t, 2, 64, TD_FEATURES_ALL);
    memset(td_ptr(&f->d, TD_DATA), 'A', 0x10000);
    for (uint16_t i = 0; i < 64; i++)
        td_desc(&f->d, 1, i, TD_DATA, 0x10000, i < 63 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    td_avail(&f->d, 1, 0);
    virtio_console_process(&f->con);
    assert_int_equal(td_used_idx(&f->d, 1), 1); /* answered all the same */
    assert_true(f->out_total <= VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT);
    assert_int_equal(f->out_total, 0x10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rng_fills_writable_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(rng_reports_short_fills, setup, teardown),
        cmocka_unit_test_setup_teardown(console_output_and_input, setup, teardown),
        cmocka_unit_test_setup_teardown(console_chain_output_is_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
