/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk request parsing: what reaches the backend, and what the guest
 * gets back, for good requests and for every kind of bad one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"

#define SECTORS 64 /* 32 KiB disk */
#define HDR (TD_DATA)
#define BUF (TD_DATA + 0x1000)
#define STATUS (TD_DATA + 0x20000)

/* What small_setup gives the device: fewer requests than the queue holds. */
#define SMALL_REQS 2

struct fixture {
    struct td d;
    struct virtio_blk blk;
    struct virtio_blk_req reqs[VIRTIO_BLK_QUEUE_SIZE];
    struct virtio_mmio t;
    bool async;          /* hold requests instead of completing them at once */
    unsigned submitted;
    unsigned batches;
    struct virtio_blk_io *held[8];
    unsigned held_count;
    struct virtio_blk_io last; /* copy of the last submitted request */
    struct virtq_seg last_segs[VIRTIO_BLK_MAX_SEGS];
    int result; /* what the fake backend reports */
    uint64_t now;      /* the fake clock, ns */
    uint64_t retry_ns; /* the last retry_after(), 0: none */
    unsigned retries;
};

static int fake_submit(void *ctx, struct virtio_blk_io *io)
{
    struct fixture *f = ctx;
    f->submitted++;
    f->last = *io;
    if (io->seg_count != 0)
        memcpy(f->last_segs, io->segs, sizeof(*io->segs) * io->seg_count);
    if (io->op == VIRTIO_BLK_OP_READ) {
        for (uint16_t i = 0; i < io->seg_count; i++)
            memset(io->segs[i].host, 0x5a, io->segs[i].len);
    }
    if (f->async) {
        f->held[f->held_count++] = io;
        return 0;
    }
    struct fixture *self = f;
    virtio_blk_complete(&self->blk, io, f->result);
    return 0;
}

static void fake_flush(void *ctx)
{
    ((struct fixture *)ctx)->batches++;
}

static uint64_t fake_now(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static void fake_retry(void *ctx, uint64_t ns)
{
    struct fixture *f = ctx;
    f->retry_ns = ns;
    f->retries++;
}

static int setup_with(void **state, bool readonly, unsigned reqs)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    struct virtio_blk_config cfg = {
        .slot = td_slot(&f->d, "blk0"),
        .capacity = SECTORS * 512 + 100, /* the partial sector is not reachable */
        .readonly = readonly,
        .discard = true,
        .serial = "serial-number-that-is-too-long",
        .backend = {.submit = fake_submit, .flush_batch = fake_flush, .ctx = f},
        .reqs = f->reqs,
        .reqs_size = VIRTIO_BLK_REQS_BYTES(reqs),
        .max_reqs = reqs,
    };
    if (virtio_blk_init(&f->blk, &cfg) != 0 || virtio_mmio_init(&f->t, &f->blk.vdev) != 0)
        return -1;
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL | (readonly ? 1ull << VIRTIO_BLK_F_RO : 0));
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, false, VIRTIO_BLK_QUEUE_SIZE);
}

static int setup_ro(void **state)
{
    return setup_with(state, true, VIRTIO_BLK_QUEUE_SIZE);
}

/* Room for SMALL_REQS requests only, as a caller short of memory may give. */
static int small_setup(void **state)
{
    return setup_with(state, false, SMALL_REQS);
}

/* One request per 10 ms and 4 KiB per 10 ms. */
static int setup_limited(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    f->now = 5000000000ull;
    struct virtio_blk_config cfg = {
        .slot = td_slot(&f->d, "blk0"),
        .capacity = SECTORS * 512,
        .limit = {.bytes = {.size = 4096, .refill_ms = 10}, .ops = {.size = 1, .refill_ms = 10}},
        .backend = {.submit = fake_submit,
                    .flush_batch = fake_flush,
                    .now_ns = fake_now,
                    .retry_after = fake_retry,
                    .ctx = f},
        .reqs = f->reqs,
        .reqs_size = sizeof(f->reqs),
        .max_reqs = VIRTIO_BLK_QUEUE_SIZE,
    };
    if (virtio_blk_init(&f->blk, &cfg) != 0 || virtio_mmio_init(&f->t, &f->blk.vdev) != 0)
        return -1;
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
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

static void put_hdr(struct fixture *f, uint64_t gpa, uint32_t type, uint64_t sector)
{
    uint8_t *p = td_ptr(&f->d, gpa);
    virtio_put_le32(p, type);
    virtio_put_le32(p + 4, 0);
    virtio_put_le64(p + 8, sector);
}

/* header | data (readable or writable) | status, as three descriptors from index first. */
static void request(struct fixture *f, uint16_t first, uint32_t type, uint64_t sector,
                    uint32_t len)
{
    bool write_data = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    put_hdr(f, HDR + 16ull * first, type, sector);
    *td_ptr(&f->d, STATUS + first) = 0xee;
    td_desc(&f->d, 0, first, HDR + 16ull * first, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(first + 1));
    if (len != 0) {
        td_desc(&f->d, 0, (uint16_t)(first + 1), BUF + 0x2000ull * first, len,
                VIRTQ_DESC_F_NEXT | (write_data ? VIRTQ_DESC_F_WRITE : 0), (uint16_t)(first + 2));
        td_desc(&f->d, 0, (uint16_t)(first + 2), STATUS + first, 1, VIRTQ_DESC_F_WRITE, 0);
    } else {
        td_desc(&f->d, 0, (uint16_t)(first + 1), STATUS + first, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    td_avail(&f->d, 0, first);
}

static uint8_t status_of(struct fixture *f, uint16_t first)
{
    return *td_ptr(&f->d, STATUS + first);
}

static uint32_t used_len(struct fixture *f, uint16_t i)
{
    uint32_t id, len;
    td_used_elem(&f->d, 0, i, &id, &len);
    return len;
}

static void read_reaches_backend(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_IN, 3, 1024);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_int_equal(f->batches, 1);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_READ);
    assert_int_equal(f->last.offset, 3 * 512);
    assert_int_equal(f->last.len, 1024);
    assert_int_equal(f->last.seg_count, 1);
    assert_ptr_equal(f->last_segs[0].host, td_ptr(&f->d, BUF));
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(td_used_idx(&f->d, 0), 1);
    assert_int_equal(used_len(f, 0), 1025);
}

static void write_reaches_backend(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_OUT, SECTORS - 2, 1024); /* the last two sectors */
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_WRITE);
    assert_int_equal(f->last.offset, (SECTORS - 2) * 512);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(used_len(f, 0), 1);
}

static void past_the_end_is_ioerr_without_backend(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_IN, SECTORS - 1, 1024); /* second sector is past the end */
    request(f, 3, VIRTIO_BLK_T_IN, SECTORS, 512);
    request(f, 6, VIRTIO_BLK_T_OUT, UINT64_MAX, 512); /* sector * 512 would wrap */
    request(f, 9, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 0);
    for (uint16_t i = 0; i < 12; i += 3)
        assert_int_equal(status_of(f, i), VIRTIO_BLK_S_IOERR);
    assert_int_equal(td_used_idx(&f->d, 0), 4);
}

static void partial_sector_is_ioerr(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_IN, 0, 100);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 0);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_IOERR);
}

static void readonly_refuses_writes(void **state)
{
    struct fixture *f = *state;
    td_w32(&f->t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_true(td_r32(&f->t, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_RO));
    assert_false(td_r32(&f->t, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_DISCARD));
    request(f, 0, VIRTIO_BLK_T_OUT, 0, 512);
    request(f, 3, VIRTIO_BLK_T_DISCARD, 0, 16);
    request(f, 6, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16);
    request(f, 9, VIRTIO_BLK_T_IN, 0, 512);
    request(f, 12, VIRTIO_BLK_T_FLUSH, 0, 0);
    virtio_blk_process(&f->blk);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(status_of(f, 3), VIRTIO_BLK_S_IOERR);
    assert_int_equal(status_of(f, 6), VIRTIO_BLK_S_IOERR);
    assert_int_equal(status_of(f, 9), VIRTIO_BLK_S_OK);
    assert_int_equal(status_of(f, 12), VIRTIO_BLK_S_OK);
    assert_int_equal(f->submitted, 1); /* only the read */
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_READ);
}

static void flush_and_get_id(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_FLUSH, 0, 0);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_FLUSH);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_OK);

    request(f, 3, VIRTIO_BLK_T_GET_ID, 0, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_int_equal(status_of(f, 3), VIRTIO_BLK_S_OK);
    assert_memory_equal(td_ptr(&f->d, BUF + 0x2000 * 3), "serial-number-that-i", 20);
    assert_int_equal(used_len(f, 1), 21);
}

static void unknown_type_is_unsupported(void **state)
{
    struct fixture *f = *state;
    request(f, 0, 0x1234, 0, 0);
    virtio_blk_process(&f->blk);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(f->submitted, 0);
}

static void put_range(struct fixture *f, uint16_t first, uint64_t sector, uint32_t count,
                      uint32_t flags)
{
    uint8_t *p = td_ptr(&f->d, BUF + 0x2000ull * first);
    virtio_put_le64(p, sector);
    virtio_put_le32(p + 8, count);
    virtio_put_le32(p + 12, flags);
}

static void discard_and_write_zeroes(void **state)
{
    struct fixture *f = *state;
    put_range(f, 0, 8, 16, 0);
    request(f, 0, VIRTIO_BLK_T_DISCARD, 0, 16);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_DISCARD);
    assert_int_equal(f->last.offset, 8 * 512);
    assert_int_equal(f->last.len, 16 * 512);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_OK);

    put_range(f, 3, 0, 4, VIRTIO_BLK_WZ_FLAG_UNMAP);
    request(f, 3, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_WRITE_ZEROES);
    assert_true(f->last.may_unmap);

    unsigned before = f->submitted;
    put_range(f, 6, 0, 4, VIRTIO_BLK_WZ_FLAG_UNMAP); /* unmap flag on a discard */
    request(f, 6, VIRTIO_BLK_T_DISCARD, 0, 16);
    put_range(f, 9, 0, 4, 0); /* two ranges: we announced one */
    request(f, 9, VIRTIO_BLK_T_DISCARD, 0, 32);
    put_range(f, 12, SECTORS - 1, 2, 0); /* past the end */
    request(f, 12, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16);
    put_range(f, 15, 0, 1, 0);
    request(f, 15, VIRTIO_BLK_T_DISCARD, 0, 8); /* truncated range */
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, before);
    assert_int_equal(status_of(f, 6), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(status_of(f, 9), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(status_of(f, 12), VIRTIO_BLK_S_IOERR);
    assert_int_equal(status_of(f, 15), VIRTIO_BLK_S_UNSUPP);
}

static void header_split_and_status_merged(void **state)
{
    struct fixture *f = *state;
    /* Header in two pieces (5 + 11 bytes), data and status in one writable buffer. */
    put_hdr(f, HDR, VIRTIO_BLK_T_IN, 1);
    td_desc(&f->d, 0, 0, HDR, 5, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, HDR + 5, 11, VIRTQ_DESC_F_NEXT, 2);
    td_desc(&f->d, 0, 2, BUF, 513, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_int_equal(f->last.offset, 512);
    assert_int_equal(f->last.len, 512);
    assert_int_equal(f->last.seg_count, 1);
    assert_int_equal(f->last_segs[0].len, 512);
    assert_int_equal(*td_ptr(&f->d, BUF + 511), 0x5a);
    assert_int_equal(*td_ptr(&f->d, BUF + 512), VIRTIO_BLK_S_OK);
}

static void write_data_after_header_in_same_buffer(void **state)
{
    struct fixture *f = *state;
    put_hdr(f, HDR, VIRTIO_BLK_T_OUT, 0);
    td_desc(&f->d, 0, 0, HDR, 16 + 512, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 0);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_WRITE);
    assert_int_equal(f->last.len, 512);
    assert_ptr_equal(f->last_segs[0].host, td_ptr(&f->d, HDR + 16));
}

static void malformed_layouts(void **state)
{
    struct fixture *f = *state;
    /* No writable byte at all: returned unanswered. */
    put_hdr(f, HDR, VIRTIO_BLK_T_IN, 0);
    td_desc(&f->d, 0, 0, HDR, 16, 0, 0);
    td_avail(&f->d, 0, 0);
    /* Short header. */
    td_desc(&f->d, 0, 1, HDR, 8, VIRTQ_DESC_F_NEXT, 2);
    td_desc(&f->d, 0, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, 1);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 0);
    assert_int_equal(td_used_idx(&f->d, 0), 2);
    assert_int_equal(used_len(f, 0), 0);
    assert_int_equal(*td_ptr(&f->d, STATUS), VIRTIO_BLK_S_IOERR);
}

/* One read the backend holds (async), in slot 0's descriptors. */
static void hold_one(struct fixture *f)
{
    f->async = true;
    request(f, 0, VIRTIO_BLK_T_IN, 0, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->held_count, 1);
}

static void several_in_flight_complete_out_of_order(void **state)
{
    struct fixture *f = *state;
    f->async = true;
    request(f, 0, VIRTIO_BLK_T_IN, 0, 512);
    request(f, 3, VIRTIO_BLK_T_OUT, 1, 512);
    request(f, 6, VIRTIO_BLK_T_IN, 2, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->held_count, 3);
    assert_int_equal(virtio_blk_inflight(&f->blk), 3);
    assert_int_equal(f->batches, 1);
    assert_int_equal(td_used_idx(&f->d, 0), 0);
    unsigned before = f->d.interrupts;
    virtio_blk_complete(&f->blk, f->held[2], 0);
    virtio_blk_complete(&f->blk, f->held[0], -STDVMM_EIO);
    virtio_blk_complete(&f->blk, f->held[1], -STDVMM_ENOTSUP);
    assert_int_equal(virtio_blk_inflight(&f->blk), 0);
    assert_int_equal(f->d.interrupts, before); /* a batch of completions ... */
    virtio_blk_flush(&f->blk);
    assert_int_equal(f->d.interrupts, before + 1); /* ... costs one interrupt */
    assert_int_equal(td_used_idx(&f->d, 0), 3);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(id, 6);
    assert_int_equal(len, 513);
    td_used_elem(&f->d, 0, 1, &id, &len);
    assert_int_equal(id, 0);
    assert_int_equal(len, 1);
    assert_int_equal(status_of(f, 0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(status_of(f, 3), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(status_of(f, 6), VIRTIO_BLK_S_OK);
}

static void completion_after_reset_is_dropped(void **state)
{
    struct fixture *f = *state;
    hold_one(f);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
    virtio_blk_complete(&f->blk, f->held[0], 0);
    assert_int_equal(td_used_idx(&f->d, 0), 0);
    assert_int_equal(virtio_blk_inflight(&f->blk), 0);
}

/*
 * Issue #15: after a reset, a request still with the backend wrote its
 * status byte into what is the guest's memory again, and a new session's
 * requests went to the backend while the old ones still wrote guest RAM.
 */
static void reset_drains_before_new_requests(void **state)
{
    struct fixture *f = *state;
    hold_one(f);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
    *td_ptr(&f->d, STATUS) = 0xee; /* the guest's memory again, reused for something else */
    request(f, 3, VIRTIO_BLK_T_IN, 1, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1); /* the new request waits for the old one */
    virtio_blk_complete(&f->blk, f->held[0], 0);
    assert_int_equal(*td_ptr(&f->d, STATUS), 0xee);
    /* The last old completion lets the new session's request through. */
    assert_int_equal(f->submitted, 2);
    assert_int_equal(f->held_count, 2);
    virtio_blk_complete(&f->blk, f->held[1], 0);
    virtio_blk_flush(&f->blk);
    assert_int_equal(td_used_idx(&f->d, 0), 1);
    assert_int_equal(status_of(f, 3), VIRTIO_BLK_S_OK);
}

/* Issue #15: without FLUSH negotiated, the guest cannot ask for durability. */
static void write_through_without_flush_feature(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_OUT, 0, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->last.op, VIRTIO_BLK_OP_WRITE);
    assert_true(f->last.write_through);

    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
    request(f, 0, VIRTIO_BLK_T_OUT, 0, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 2);
    assert_false(f->last.write_through);
}

static void config_space(void **state)
{
    struct fixture *f = *state;
    uint8_t b[8];
    virtio_mmio_read(&f->t, VIRTIO_MMIO_CONFIG, b, 8);
    assert_int_equal(virtio_le64(b), SECTORS);
    virtio_mmio_read(&f->t, VIRTIO_MMIO_CONFIG + 0x0c, b, 4);
    assert_int_equal(virtio_le32(b), VIRTIO_BLK_SEG_MAX);
    /* Beyond the structure: zero, and no out-of-bounds read. */
    virtio_mmio_read(&f->t, VIRTIO_MMIO_SIZE - 4, b, 4);
    assert_int_equal(virtio_le32(b), 0);
}

static void rate_limit_holds_then_resumes(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_IN, 0, 512);
    request(f, 3, VIRTIO_BLK_T_IN, 1, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1); /* one op per 10 ms */
    assert_int_equal(f->retries, 1);
    assert_in_range(f->retry_ns, 10000000, 10000002);
    assert_int_equal(virtio_blk_throttled(&f->blk), 1);
    assert_int_equal(virtio_blk_inflight(&f->blk), 0); /* the held one is not the backend's */
    assert_int_equal(td_used_idx(&f->d, 0), 1);
    /* A kick before the time: still held, the timer armed again. */
    f->now += 5000000;
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_int_equal(f->retries, 2);
    f->now += 5000000;
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 2);
    assert_int_equal(f->last.offset, 512);
    assert_int_equal(status_of(f, 3), VIRTIO_BLK_S_OK);
    assert_int_equal(td_used_idx(&f->d, 0), 2);
}

/* 8 KiB in one request: a full bucket lets it through, the next waits for the debt. */
static void rate_limit_bytes_debt(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_OUT, 0, 8192);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    f->now += 10000000; /* ops are back; bytes are at 0 after a 4 KiB debt */
    request(f, 3, VIRTIO_BLK_T_OUT, 16, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    assert_in_range(f->retry_ns, 1250000, 1250002); /* 512 bytes at 4096 per 10 ms */
}

static void reset_drops_a_held_request(void **state)
{
    struct fixture *f = *state;
    request(f, 0, VIRTIO_BLK_T_IN, 0, 512);
    request(f, 3, VIRTIO_BLK_T_IN, 1, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 1);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    memset(td_ptr(&f->d, TD_RING(0)), 0, 0x10000);
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
    f->now += 10000000;
    virtio_blk_process(&f->blk); /* the timer: the old session's request is dropped */
    assert_int_equal(f->submitted, 1);
    assert_int_equal(td_used_idx(&f->d, 0), 0);
    assert_int_equal(status_of(f, 3), 0xee);
    /* and the new session works, the slot back in the pool */
    request(f, 6, VIRTIO_BLK_T_IN, 2, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, 2);
    assert_int_equal(f->blk.free_count, VIRTIO_BLK_QUEUE_SIZE);
}

/* A second device's configuration on the fixture's memory: room for 4 requests, no limit. */
static struct virtio_blk_config other_config(struct fixture *f)
{
    return (struct virtio_blk_config){
        .slot = td_slot(&f->d, "blk1"),
        .capacity = SECTORS * 512,
        .backend = {.submit = fake_submit, .now_ns = fake_now, .retry_after = fake_retry, .ctx = f},
        .reqs = f->reqs,
        .reqs_size = VIRTIO_BLK_REQS_BYTES(4),
        .max_reqs = 4,
    };
}

static void rate_limit_config_refused(void **state)
{
    struct fixture *f = *state;
    struct virtio_blk other;
    struct virtio_blk_config cfg = other_config(f);
    cfg.limit = (struct rate_limiter_config){.ops = {.size = 10}}; /* no refill time */
    assert_int_equal(virtio_blk_init(&other, &cfg), -STDVMM_EINVAL);
    cfg.limit.ops.refill_ms = 100;
    cfg.backend.retry_after = NULL; /* a backend without a timer */
    assert_int_equal(virtio_blk_init(&other, &cfg), -STDVMM_ENOTSUP);
}

/* The requests' storage is the caller's: init refuses none, too little, or a count out of range. */
static void init_needs_room_for_its_requests(void **state)
{
    struct fixture *f = *state;
    struct virtio_blk other;
    struct virtio_blk_config cfg = other_config(f);
    struct virtio_blk_config bad = cfg;
    bad.reqs = NULL;
    assert_int_equal(virtio_blk_init(&other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.reqs_size = VIRTIO_BLK_REQS_BYTES(4) - 1; /* one byte short of the fourth */
    assert_int_equal(virtio_blk_init(&other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.max_reqs = 0;
    assert_int_equal(virtio_blk_init(&other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.max_reqs = VIRTIO_BLK_QUEUE_SIZE + 1;
    bad.reqs_size = VIRTIO_BLK_REQS_BYTES(VIRTIO_BLK_QUEUE_SIZE + 1);
    assert_int_equal(virtio_blk_init(&other, &bad), -STDVMM_EINVAL);
    /* Exactly the configured size is enough, and the device uses that many slots. */
    assert_int_equal(virtio_blk_init(&other, &cfg), 0);
    assert_int_equal(other.free_count, 4);
    assert_int_equal(virtio_blk_inflight(&other), 0);
}

/*
 * With all SMALL_REQS requests in flight the next one stays in the queue,
 * untouched, until a completion frees a slot; every request is answered in
 * the end, and the backend only ever sees slots inside the storage.
 */
static void full_table_waits_for_a_completion(void **state)
{
    struct fixture *f = *state;
    f->async = true;
    /* Four reads of a sector each, twice as many as there are slots. */
    for (uint16_t k = 0; k < 2 * SMALL_REQS; k++)
        request(f, (uint16_t)(3 * k), VIRTIO_BLK_T_IN, k, 512);
    virtio_blk_process(&f->blk);
    assert_int_equal(f->submitted, SMALL_REQS);
    assert_int_equal(virtio_blk_inflight(&f->blk), SMALL_REQS);
    for (unsigned i = 0; i < f->held_count; i++) {
        assert_true(f->held[i]->slot < SMALL_REQS);
        assert_ptr_equal(f->held[i], &f->reqs[f->held[i]->slot].io);
    }
    assert_int_equal(status_of(f, 6), 0xee); /* not even parsed yet */
    virtio_blk_process(&f->blk);             /* a kick changes nothing while full */
    assert_int_equal(f->submitted, SMALL_REQS);
    /* One completion lets exactly one more through. */
    virtio_blk_complete(&f->blk, f->held[0], 0);
    assert_int_equal(f->submitted, SMALL_REQS + 1);
    assert_int_equal(virtio_blk_inflight(&f->blk), SMALL_REQS);
    virtio_blk_complete(&f->blk, f->held[1], 0);
    virtio_blk_complete(&f->blk, f->held[2], 0);
    assert_int_equal(f->submitted, 2 * SMALL_REQS);
    virtio_blk_complete(&f->blk, f->held[3], 0);
    virtio_blk_flush(&f->blk);
    assert_int_equal(virtio_blk_inflight(&f->blk), 0);
    assert_int_equal(td_used_idx(&f->d, 0), 2 * SMALL_REQS);
    for (uint16_t k = 0; k < 2 * SMALL_REQS; k++)
        assert_int_equal(status_of(f, (uint16_t)(3 * k)), VIRTIO_BLK_S_OK);
}

/* A completion for a slot beyond the storage is refused, not used. */
static void completion_outside_the_storage_is_refused(void **state)
{
    struct fixture *f = *state;
    hold_one(f);
    struct virtio_blk_io forged = *f->held[0];
    forged.slot = SMALL_REQS; /* the first slot past the caller's storage */
    virtio_blk_complete(&f->blk, &forged, 0);
    assert_int_equal(virtio_blk_inflight(&f->blk), 1);
    assert_int_equal(td_used_idx(&f->d, 0), 0);
    virtio_blk_complete(&f->blk, f->held[0], 0);
    virtio_blk_flush(&f->blk);
    assert_int_equal(td_used_idx(&f->d, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_reaches_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(init_needs_room_for_its_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(full_table_waits_for_a_completion, small_setup, teardown),
        cmocka_unit_test_setup_teardown(completion_outside_the_storage_is_refused, small_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(write_reaches_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(past_the_end_is_ioerr_without_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_sector_is_ioerr, setup, teardown),
        cmocka_unit_test_setup_teardown(readonly_refuses_writes, setup_ro, teardown),
        cmocka_unit_test_setup_teardown(flush_and_get_id, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_type_is_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(discard_and_write_zeroes, setup, teardown),
        cmocka_unit_test_setup_teardown(header_split_and_status_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(write_data_after_header_in_same_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(several_in_flight_complete_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(completion_after_reset_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_drains_before_new_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(write_through_without_flush_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(config_space, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_holds_then_resumes, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_bytes_debt, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(reset_drops_a_held_request, setup_limited, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_config_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
