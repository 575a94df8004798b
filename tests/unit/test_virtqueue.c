/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The split virtqueue and the virtio-mmio transport against hostile
 * drivers: loops, out-of-range addresses, overlong chains, indirect tables,
 * event index arithmetic, resets with requests in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"

#define QSIZE 16
#define CAP 8

struct fixture {
    struct td d;
    struct virtio_dev vd;
    struct virtio_mmio t;
    struct virtq_seg segs[CAP];
    struct virtq_chain c;
};

static int setup_with(void **state, uint64_t features)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_dev_config cfg = {
        .slot = td_slot(&f->d, "test"),
        .device_id = VIRTIO_ID_RNG,
        .num_queues = 2,
        .queue_max = 256,
    };
    if (virtio_dev_init(&f->vd, &cfg) != 0 || virtio_mmio_init(&f->t, &f->vd) != 0)
        return -1;
    td_start(&f->d, &f->t, 2, QSIZE, features);
    virtq_chain_init(&f->c, f->segs, CAP);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, TD_FEATURES_ALL);
}

static int setup_plain(void **state)
{
    return setup_with(state, VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f);
    return 0;
}

static int pop(struct fixture *f)
{
    return virtio_dev_pop(&f->vd, 0, &f->c);
}

static uint32_t status(struct fixture *f)
{
    return td_r32(&f->t, VIRTIO_MMIO_STATUS);
}

static void expect_broken(struct fixture *f)
{
    unsigned before = f->d.interrupts;
    assert_int_equal(pop(f), -STDVMM_EIO);
    assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
    assert_int_equal(f->d.interrupts, before + 1);
    /* Stays broken, and quietly. */
    assert_int_equal(pop(f), -STDVMM_EIO);
    assert_int_equal(f->d.interrupts, before + 1);
}

static void registers_identify_a_modern_device(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_VERSION), 2);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    td_w32(&f->t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 1);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_SEL, 2);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
    assert_true(status(f) & VIRTIO_STATUS_DRIVER_OK);
}

static void unknown_features_refuse_features_ok(void **state)
{
    struct fixture *f = *state;
    uint32_t s = td_negotiate(&f->t, TD_FEATURES_ALL | VIRTIO_BIT(40));
    assert_false(s & VIRTIO_STATUS_FEATURES_OK);
    s = td_negotiate(&f->t, VIRTIO_BIT(VIRTIO_F_EVENT_IDX)); /* no VERSION_1: legacy driver */
    assert_false(s & VIRTIO_STATUS_FEATURES_OK);
    s = td_negotiate(&f->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    assert_true(s & VIRTIO_STATUS_FEATURES_OK);
}

static void narrow_register_access_is_ignored(void **state)
{
    struct fixture *f = *state;
    uint8_t b[2] = {0xaa, 0xbb};
    virtio_mmio_read(&f->t, VIRTIO_MMIO_MAGIC_VALUE, b, 2);
    assert_int_equal(b[0], 0);
    virtio_mmio_write(&f->t, VIRTIO_MMIO_STATUS, b, 2);
    assert_true(status(f) & VIRTIO_STATUS_DRIVER_OK);
}

static void empty_queue_pops_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pop(f), 0);
    /* With EVENT_IDX the device asks to hear about the next entry. */
    assert_int_equal(td_avail_event(&f->d, 0), 0);
}

static void simple_chain_round_trip(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 3, TD_DATA, 100, VIRTQ_DESC_F_NEXT, 7);
    td_desc(&f->d, 0, 7, TD_DATA + 0x1000, 50, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 3);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->c.head, 3);
    assert_int_equal(f->c.out_count, 1);
    assert_int_equal(f->c.in_count, 1);
    assert_int_equal(f->c.out_bytes, 100);
    assert_int_equal(f->c.in_bytes, 50);
    assert_ptr_equal(f->c.segs[0].host, td_ptr(&f->d, TD_DATA));
    assert_ptr_equal(f->c.segs[1].host, td_ptr(&f->d, TD_DATA + 0x1000));
    assert_int_equal(td_avail_event(&f->d, 0), 1);
    assert_int_equal(pop(f), 0);

    unsigned before = f->d.interrupts;
    virtio_dev_push(&f->vd, 0, &f->c, 999); /* clamped to what the chain offered */
    assert_int_equal(td_used_idx(&f->d, 0), 1);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(id, 3);
    assert_int_equal(len, 50);
    assert_int_equal(f->d.interrupts, before + 1);
    assert_true(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_VRING);
    td_w32(&f->t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void zero_length_descriptors_are_dropped(void **state)
{
    struct fixture *f = *state;
    /* A zero-length buffer is not translated, so its address does not matter. */
    td_desc(&f->d, 0, 0, UINT64_MAX, 0, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, TD_DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->c.out_count, 0);
    assert_int_equal(f->c.in_count, 1);
}

static void loop_in_table_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 1, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, TD_DATA, 0, VIRTQ_DESC_F_NEXT, 0); /* zero length: no cap to hit */
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void self_loop_of_empty_descriptors_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 5, TD_DATA, 0, VIRTQ_DESC_F_NEXT, 5);
    td_avail(&f->d, 0, 5);
    expect_broken(f);
}

static void buffer_outside_ram_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_RAM_GPA + TD_RAM_SIZE - 4, 8, 0, 0); /* straddles the end */
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void wrapping_address_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, UINT64_MAX - 3, 16, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void overlong_chain_breaks_queue(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i <= CAP; i++)
        td_desc(&f->d, 0, i, TD_DATA, 4, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    td_desc(&f->d, 0, CAP, TD_DATA, 4, 0, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void chain_of_exactly_cap_is_fine(void **state)
{
    struct fixture *f = *state;
    for (uint16_t i = 0; i < CAP; i++)
        td_desc(&f->d, 0, i, TD_DATA, 4, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    td_desc(&f->d, 0, CAP - 1, TD_DATA, 4, 0, 0);
    td_avail(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->c.out_count, CAP);
}

static void next_beyond_queue_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 4, VIRTQ_DESC_F_NEXT, QSIZE);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void head_beyond_queue_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_avail(&f->d, 0, 0xffff);
    expect_broken(f);
}

static void readable_after_writable_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, TD_DATA, 4, 0, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void avail_index_running_ahead_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_set_avail_idx(&f->d, 0, QSIZE + 1);
    expect_broken(f);
}

static void reset_clears_needs_reset(void **state)
{
    struct fixture *f = *state;
    td_avail(&f->d, 0, 0xffff);
    expect_broken(f);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(f), 0);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, QSIZE, TD_FEATURES_ALL);
    td_desc(&f->d, 0, 0, TD_DATA, 4, 0, 0);
    td_avail(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
}

static void indirect_table(void **state)
{
    struct fixture *f = *state;
    uint64_t table = TD_DATA + 0x10000;
    td_desc_at(&f->d, table, 0, TD_DATA, 16, VIRTQ_DESC_F_NEXT, 2);
    td_desc_at(&f->d, table, 2, TD_DATA + 0x100, 32, VIRTQ_DESC_F_NEXT, 1);
    td_desc_at(&f->d, table, 1, TD_DATA + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
    td_desc(&f->d, 0, 4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 4);
    assert_int_equal(pop(f), 1);
    assert_int_equal(f->c.head, 4);
    assert_int_equal(f->c.out_count, 2);
    assert_int_equal(f->c.in_count, 1);
    assert_int_equal(f->c.out_bytes, 48);
    assert_ptr_equal(f->c.segs[2].host, td_ptr(&f->d, TD_DATA + 0x200));
}

static void indirect_without_feature_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc_at(&f->d, TD_DATA, 0, TD_DATA, 16, 0, 0);
    td_desc(&f->d, 0, 0, TD_DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void nested_indirect_breaks_queue(void **state)
{
    struct fixture *f = *state;
    uint64_t table = TD_DATA + 0x10000;
    td_desc_at(&f->d, table, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
    td_desc(&f->d, 0, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void indirect_with_next_breaks_queue(void **state)
{
    struct fixture *f = *state;
    uint64_t table = TD_DATA + 0x10000;
    td_desc_at(&f->d, table, 0, TD_DATA, 16, 0, 0);
    td_desc(&f->d, 0, 0, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void indirect_bad_length_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA + 0x10000, 24, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void indirect_table_outside_ram_breaks_queue(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_RAM_GPA + TD_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void indirect_loop_breaks_queue(void **state)
{
    struct fixture *f = *state;
    uint64_t table = TD_DATA + 0x10000;
    td_desc_at(&f->d, table, 0, TD_DATA, 0, VIRTQ_DESC_F_NEXT, 1);
    td_desc_at(&f->d, table, 1, TD_DATA, 0, VIRTQ_DESC_F_NEXT, 0);
    td_desc(&f->d, 0, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void indirect_next_beyond_table_breaks_queue(void **state)
{
    struct fixture *f = *state;
    uint64_t table = TD_DATA + 0x10000;
    td_desc_at(&f->d, table, 0, TD_DATA, 4, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
    td_desc(&f->d, 0, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    td_avail(&f->d, 0, 0);
    expect_broken(f);
}

static void event_idx_interrupts_only_when_asked(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain chains[4];
    struct virtq_seg segs[4][CAP];

    for (uint16_t i = 0; i < 4; i++) {
        td_desc(&f->d, 0, i, TD_DATA, 4, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, 0, i);
    }
    for (int i = 0; i < 4; i++) {
        virtq_chain_init(&chains[i], segs[i], CAP);
        assert_int_equal(virtio_dev_pop(&f->vd, 0, &chains[i]), 1);
    }
    /* The driver wants an interrupt once used_idx passes 2 (after the third). */
    td_set_used_event(&f->d, 0, 2);
    unsigned base = f->d.interrupts;
    virtio_dev_push(&f->vd, 0, &chains[0], 0); /* first push always signals */
    assert_int_equal(f->d.interrupts, base + 1);
    td_w32(&f->t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING); /* the driver's handler */
    virtio_dev_push(&f->vd, 0, &chains[1], 0);
    assert_int_equal(f->d.interrupts, base + 1);
    virtio_dev_push(&f->vd, 0, &chains[2], 0); /* used_idx 2 -> 3 crosses used_event 2 */
    assert_int_equal(f->d.interrupts, base + 2);
    virtio_dev_push(&f->vd, 0, &chains[3], 0);
    assert_int_equal(f->d.interrupts, base + 2);
    assert_int_equal(td_used_idx(&f->d, 0), 4);
}

/* The driver offers three 4-byte writable chains; the device takes them all. */
static void pop_three(struct fixture *f, struct virtq_chain chains[3], struct virtq_seg segs[][CAP])
{
    for (uint16_t i = 0; i < 3; i++) {
        td_desc(&f->d, 0, i, TD_DATA, 4, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, 0, i);
        virtq_chain_init(&chains[i], segs[i], CAP);
        assert_int_equal(virtio_dev_pop(&f->vd, 0, &chains[i]), 1);
    }
}

/*
 * virtio-mmio's line behaves as a level: a cause still pending (not
 * acknowledged) raises no second interrupt, a new cause or one raised after
 * the acknowledgement does.
 */
static void pending_cause_interrupts_once(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain chains[3];
    struct virtq_seg segs[3][CAP];

    pop_three(f, chains, segs);
    td_set_used_event(&f->d, 0, 0); /* the driver wants every completion */
    unsigned base = f->d.interrupts;
    virtio_dev_push(&f->vd, 0, &chains[0], 0);
    assert_int_equal(f->d.interrupts, base + 1);
    td_set_used_event(&f->d, 0, 1);
    virtio_dev_push(&f->vd, 0, &chains[1], 0); /* asked for, but VRING is still pending */
    assert_int_equal(f->d.interrupts, base + 1);
    virtio_dev_config_changed(&f->vd); /* another cause: its own interrupt */
    assert_int_equal(f->d.interrupts, base + 2);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS),
                     VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
    td_w32(&f->t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
    td_set_used_event(&f->d, 0, 2);
    virtio_dev_push(&f->vd, 0, &chains[2], 0); /* acknowledged: this one interrupts */
    assert_int_equal(f->d.interrupts, base + 3);
    assert_int_equal(td_used_idx(&f->d, 0), 3);
}

static void batched_push_signals_once(void **state)
{
    struct fixture *f = *state;
    struct virtq_chain chains[3];
    struct virtq_seg segs[3][CAP];

    pop_three(f, chains, segs);
    td_set_used_event(&f->d, 0, 0);
    unsigned base = f->d.interrupts;
    for (int i = 0; i < 3; i++)
        virtio_dev_push_nosignal(&f->vd, 0, &chains[i], 0);
    assert_int_equal(f->d.interrupts, base);
    virtio_dev_signal(&f->vd, 0);
    assert_int_equal(f->d.interrupts, base + 1);
}

static void no_interrupt_flag_without_event_idx(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 4, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    td_desc(&f->d, 0, 1, TD_DATA, 4, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 1);
    td_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_int_equal(pop(f), 1);
    unsigned base = f->d.interrupts;
    virtio_dev_push(&f->vd, 0, &f->c, 0);
    assert_int_equal(f->d.interrupts, base);
    td_set_avail_flags(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
    virtio_dev_push(&f->vd, 0, &f->c, 0);
    assert_int_equal(f->d.interrupts, base + 1);
}

static void stale_chain_after_reset_is_dropped(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 4, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, QSIZE, TD_FEATURES_ALL);
    virtio_dev_push(&f->vd, 0, &f->c, 4);
    assert_int_equal(td_used_idx(&f->d, 0), 0);
}

/*
 * Issue #15: 0x100 was taken for "not a reset" and then masked to status 0,
 * leaving the queues live under a status of 0. The register is 8 bits: it
 * is a reset.
 */
static void status_0x100_is_a_full_reset(void **state)
{
    struct fixture *f = *state;
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0x100);
    assert_int_equal(status(f), 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
}

/* Clearing DRIVER_OK and setting it again must not start the device twice. */
static void status_bits_clear_only_by_reset(void **state)
{
    struct fixture *f = *state;
    unsigned kicks = f->d.kicks;
    uint32_t all = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    td_w32(&f->t, VIRTIO_MMIO_STATUS, all);
    assert_true(status(f) & VIRTIO_STATUS_DRIVER_OK);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, all | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->d.kicks, kicks);
    /* Adding FAILED is allowed. */
    td_w32(&f->t, VIRTIO_MMIO_STATUS, all | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED);
    assert_true(status(f) & VIRTIO_STATUS_FAILED);
}

static void queue_setup_is_checked(void **state)
{
    struct fixture *f = *state;
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    td_negotiate(&f->t, TD_FEATURES_ALL);
    /* Not a power of two. */
    td_setup_queue_at(&f->d, &f->t, 0, 12, TD_RING(0), TD_RING(0) + 0x4000, TD_RING(0) + 0x8000);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Above QueueNumMax. */
    td_setup_queue_at(&f->d, &f->t, 0, 512, TD_RING(0), TD_RING(0) + 0x4000, TD_RING(0) + 0x8000);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Misaligned descriptor table. */
    td_setup_queue_at(&f->d, &f->t, 0, 16, TD_RING(0) + 8, TD_RING(0) + 0x4000,
                      TD_RING(0) + 0x8000);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Used ring past the end of RAM. */
    td_setup_queue_at(&f->d, &f->t, 0, 16, TD_RING(0), TD_RING(0) + 0x4000,
                      TD_RAM_GPA + TD_RAM_SIZE - 64);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Ring address with a high half that wraps. */
    td_setup_queue_at(&f->d, &f->t, 0, 16, 0xfffffffffffff000ull, TD_RING(0) + 0x4000,
                      TD_RING(0) + 0x8000);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(virtio_dev_pop(&f->vd, 0, &f->c), 0);
    /* A good one works, and cannot be changed while running. */
    td_setup_queue(&f->d, &f->t, 0, 16);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_QUEUE_READY), 1);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
    td_desc(&f->d, 0, 0, TD_DATA, 4, 0, 0);
    td_avail(&f->d, 0, 0);
    assert_int_equal(virtio_dev_pop(&f->vd, 0, &f->c), 1);
}

static void chain_copy_helpers_cross_segments(void **state)
{
    struct fixture *f = *state;
    td_desc(&f->d, 0, 0, TD_DATA, 3, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, TD_DATA + 0x100, 5, VIRTQ_DESC_F_NEXT, 2);
    td_desc(&f->d, 0, 2, TD_DATA + 0x200, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    td_desc(&f->d, 0, 3, TD_DATA + 0x300, 4, VIRTQ_DESC_F_WRITE, 0);
    memcpy(td_ptr(&f->d, TD_DATA), "abc", 3);
    memcpy(td_ptr(&f->d, TD_DATA + 0x100), "defgh", 5);
    td_avail(&f->d, 0, 0);
    assert_int_equal(pop(f), 1);
    char buf[16] = {0};
    assert_int_equal(virtq_chain_read(&f->c, 2, buf, 16), 6);
    assert_string_equal(buf, "cdefgh");
    assert_int_equal(virtq_chain_write(&f->c, 1, "WXYZ!", 9), 5);
    assert_int_equal(*td_ptr(&f->d, TD_DATA + 0x201), 'W');
    assert_memory_equal(td_ptr(&f->d, TD_DATA + 0x300), "XYZ!", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registers_identify_a_modern_device, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_features_refuse_features_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(narrow_register_access_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_queue_pops_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(simple_chain_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_length_descriptors_are_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(loop_in_table_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(self_loop_of_empty_descriptors_breaks_queue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(buffer_outside_ram_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(wrapping_address_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(overlong_chain_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_of_exactly_cap_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(next_beyond_queue_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(head_beyond_queue_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(readable_after_writable_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(avail_index_running_ahead_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_clears_needs_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_table, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_without_feature_breaks_queue, setup_plain,
                                        teardown),
        cmocka_unit_test_setup_teardown(nested_indirect_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_with_next_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_bad_length_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_table_outside_ram_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_loop_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_next_beyond_table_breaks_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(event_idx_interrupts_only_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(pending_cause_interrupts_once, setup, teardown),
        cmocka_unit_test_setup_teardown(batched_push_signals_once, setup, teardown),
        cmocka_unit_test_setup_teardown(no_interrupt_flag_without_event_idx, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(stale_chain_after_reset_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(status_0x100_is_a_full_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(status_bits_clear_only_by_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_setup_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_copy_helpers_cross_segments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
