/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver side of virtio (src/drivers/virtio) against the device side
 * of this project (src/devices/virtio: the virtio-mmio transport and the
 * virtio-blk model with a disk in memory): probe, negotiation, a queue,
 * writes, reads and a flush through real rings, descriptors recycled over
 * many rounds; and a device that returns what was never in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/error.h"
#include "stdvmm/virtio_driver.h"
#include "support/virtio_driver.h"

#define SECTORS 256
#define QNUM 8u
#define REQ (TD_DATA)           /* headers (16 bytes) and status bytes per slot */
#define BUF (TD_DATA + 0x10000) /* data, 4 KiB per slot */

struct fixture {
    struct td d;
    struct virtio_blk blk;
    struct virtio_blk_req reqs[VIRTIO_BLK_QUEUE_SIZE];
    struct virtio_mmio t;
    uint8_t disk[SECTORS * 512];
    unsigned flushes;
    bool kicked;
    struct vdrv_io io;
    struct vdrv_dma dma;
    struct vdrv_queue q;
};

static struct fixture *fx;

/* The in-memory disk behind the device model. */
static int disk_submit(void *ctx, struct virtio_blk_io *io)
{
    struct fixture *f = ctx;
    uint64_t off = io->offset;
    for (uint16_t i = 0; i < io->seg_count; i++) {
        if (io->op == VIRTIO_BLK_OP_READ)
            memcpy(io->segs[i].host, f->disk + off, io->segs[i].len);
        else if (io->op == VIRTIO_BLK_OP_WRITE)
            memcpy(f->disk + off, io->segs[i].host, io->segs[i].len);
        off += io->segs[i].len;
    }
    if (io->op == VIRTIO_BLK_OP_FLUSH)
        f->flushes++;
    virtio_blk_complete(&f->blk, io, 0);
    return 0;
}

static uint32_t dev_read32(void *ctx, uint32_t off)
{
    return td_r32(&((struct fixture *)ctx)->t, off);
}

/*
 * A kick (a notify, or a reset) wakes the device's worker, which runs once
 * the register access is over, as a host worker thread would: never inside
 * the transport's lock.
 */
static void dev_write32(void *ctx, uint32_t off, uint32_t v)
{
    struct fixture *f = ctx;
    td_w32(&f->t, off, v);
    if (f->kicked) {
        f->kicked = false;
        virtio_blk_process(&f->blk);
    }
}

static void dev_kick(void *ctx)
{
    (void)ctx;
    fx->kicked = true;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    fx = f;
    struct virtio_slot slot = td_slot(&f->d, "blk0");
    slot.kick = dev_kick;
    struct virtio_blk_config cfg = {
        .slot = slot,
        .capacity = sizeof(f->disk),
        .serial = "drv-test",
        .backend = {.submit = disk_submit, .ctx = f},
        .reqs = f->reqs,
        .reqs_size = sizeof(f->reqs),
        .max_reqs = VIRTIO_BLK_QUEUE_SIZE,
    };
    if (virtio_blk_init(&f->blk, &cfg) != 0 || virtio_mmio_init(&f->t, &f->blk.vdev) != 0)
        return -1;
    f->io = (struct vdrv_io){.read32 = dev_read32, .write32 = dev_write32, .ctx = f};
    /* The DMA region is the fake guest RAM: the device sees bus addresses as its gpas. */
    f->dma = (struct vdrv_dma){.va = f->d.ram, .pa = TD_RAM_GPA, .size = TD_DATA - TD_RAM_GPA};
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

static void bring_up(struct fixture *f)
{
    uint64_t features;
    assert_int_equal(vdrv_probe(&f->io, VIRTIO_ID_BLOCK), 0);
    assert_int_equal(vdrv_negotiate(&f->io, 1ull << VIRTIO_BLK_F_FLUSH, &features), 0);
    assert_true(features & (1ull << VIRTIO_F_VERSION_1));
    assert_true(features & (1ull << VIRTIO_BLK_F_FLUSH));
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, QNUM, &f->dma, 0), 0);
    vdrv_driver_ok(&f->io);
    assert_true(virtio_dev_driver_ok(&f->blk.vdev));
}

/* One request in slot s: header, data (if len), status. Returns its head. */
static uint16_t submit(struct fixture *f, unsigned s, uint32_t type, uint64_t sector, uint32_t len)
{
    uint8_t *h = td_ptr(&f->d, REQ + 32ull * s);
    virtio_put_le32(h, type);
    virtio_put_le32(h + 4, 0);
    virtio_put_le64(h + 8, sector);
    h[16] = 0xee;
    struct vdrv_buf b[3] = {{REQ + 32ull * s, 16, false}};
    unsigned n = 1;
    if (len > 0)
        b[n++] = (struct vdrv_buf){BUF + 0x1000ull * s, len, type == VIRTIO_BLK_T_IN};
    b[n++] = (struct vdrv_buf){REQ + 32ull * s + 16, 1, true};
    uint16_t head;
    assert_int_equal(vdrv_queue_add(&f->q, b, n, &head), 0);
    return head;
}

static void blk_io_through_rings(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    /* Capacity from config space, in 512-byte sectors. */
    uint64_t cap = vdrv_config32(&f->io, 0) | (uint64_t)vdrv_config32(&f->io, 4) << 32;
    assert_int_equal(cap, SECTORS);

    /* Many rounds of write + read-back: descriptors must come back to the free list. */
    for (unsigned round = 0; round < 40; round++) {
        uint8_t *out = td_ptr(&f->d, BUF);
        for (unsigned i = 0; i < 4096; i++)
            out[i] = (uint8_t)(i ^ round);
        uint16_t w = submit(f, 0, VIRTIO_BLK_T_OUT, 8 * (round % 16), 4096);
        uint16_t r = submit(f, 1, VIRTIO_BLK_T_IN, 8 * (round % 16), 4096);
        vdrv_queue_kick(&f->io, &f->q);
        uint16_t head;
        uint32_t len;
        assert_int_equal(vdrv_queue_used(&f->q, &head, &len), 0);
        assert_int_equal(head, w);
        assert_int_equal(len, 1); /* the status byte */
        assert_int_equal(vdrv_queue_used(&f->q, &head, &len), 0);
        assert_int_equal(head, r);
        assert_int_equal(len, 4096 + 1);
        assert_int_equal(vdrv_queue_used(&f->q, &head, &len), -STDVMM_EAGAIN);
        assert_int_equal(*td_ptr(&f->d, REQ + 16), VIRTIO_BLK_S_OK);
        assert_int_equal(*td_ptr(&f->d, REQ + 32 + 16), VIRTIO_BLK_S_OK);
        assert_memory_equal(td_ptr(&f->d, BUF + 0x1000), out, 4096);
        assert_memory_equal(f->disk + 512 * 8 * (round % 16), out, 4096);
        assert_int_equal(f->q.num_free, QNUM);
    }
    uint32_t isr = vdrv_irq_ack(&f->io);
    assert_true(isr & VIRTIO_INT_VRING);

    /* A flush, and a full queue refused rather than overrun. */
    submit(f, 2, VIRTIO_BLK_T_FLUSH, 0, 0);
    vdrv_queue_kick(&f->io, &f->q);
    uint16_t head;
    uint32_t len;
    assert_int_equal(vdrv_queue_used(&f->q, &head, &len), 0);
    assert_int_equal(f->flushes, 1);
    struct vdrv_buf big[QNUM + 1];
    for (unsigned i = 0; i <= QNUM; i++)
        big[i] = (struct vdrv_buf){BUF, 512, false};
    assert_int_equal(vdrv_queue_add(&f->q, big, QNUM + 1, &head), -STDVMM_ENOSPC);
}

/* A device that answers with a head it was never given, or a length too long. */
static void hostile_device(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    uint16_t head = submit(f, 0, VIRTIO_BLK_T_OUT, 0, 512);
    /* Forge the used ring instead of kicking the device. */
    uint8_t *used = f->q.used;
    virtio_put_le32(used + 4, (uint32_t)(head + 1) % QNUM); /* not in flight */
    virtio_put_le32(used + 8, 1);
    virtio_put_le16(used + 2, 1);
    uint16_t got;
    uint32_t len;
    assert_int_equal(vdrv_queue_used(&f->q, &got, &len), -STDVMM_EPROTO);
    virtio_put_le32(used + 4, head);
    virtio_put_le32(used + 8, 4096); /* more than its one writable byte */
    assert_int_equal(vdrv_queue_used(&f->q, &got, &len), -STDVMM_EPROTO);
    virtio_put_le32(used + 8, 1);
    virtio_put_le16(used + 2, 200); /* an index running ahead of the ring */
    assert_int_equal(vdrv_queue_used(&f->q, &got, &len), -STDVMM_EPROTO);
    virtio_put_le16(used + 2, 1);
    assert_int_equal(vdrv_queue_used(&f->q, &got, &len), 0);
    assert_int_equal(got, head);
    /* A device rewriting the descriptor table does not touch the driver's free list. */
    memset(f->q.desc, 0xff, 16u * QNUM);
    struct vdrv_buf b[QNUM];
    for (unsigned i = 0; i < QNUM; i++)
        b[i] = (struct vdrv_buf){BUF, 512, false};
    assert_int_equal(vdrv_queue_add(&f->q, b, QNUM, &got), 0);
    assert_int_equal(f->q.num_free, 0);
}

static void bad_setups(void **state)
{
    struct fixture *f = *state;
    uint64_t features;
    assert_int_equal(vdrv_probe(&f->io, VIRTIO_ID_BLOCK + 1), -STDVMM_ENODEV);
    assert_int_equal(vdrv_negotiate(&f->io, 0, &features), 0);
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, 6, &f->dma, 0), -STDVMM_EINVAL);
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, 8, &f->dma, 100), -STDVMM_EINVAL);
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, 8, &f->dma, f->dma.size), -STDVMM_EINVAL);
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, 8, &f->dma, 0), 0);
    assert_int_equal(vdrv_queue_setup(&f->io, &f->q, 0, 8, &f->dma, 0x8000), -STDVMM_EBUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(blk_io_through_rings, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_device, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_setups, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
