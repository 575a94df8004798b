/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (VirtIO 1.2 §5.2): one request queue, raw images. The device
 * parses and checks each guest request (header, sector range, data
 * buffers, status byte) and hands a validated struct virtio_blk_io to its
 * backend, which does the I/O (io_uring on Linux) and reports back with
 * virtio_blk_complete(). Several requests are in flight at once.
 *
 * The device never lets a request reach past the image: a sector range
 * beyond the capacity completes with VIRTIO_BLK_S_IOERR before the backend
 * sees it. A read-only device (VIRTIO_BLK_F_RO) also refuses every write,
 * discard and write-zeroes itself, whatever the guest driver does.
 *
 * Threads: virtio_blk_process() and virtio_blk_complete() run on one host
 * thread, the device's worker (io_uring completions are reaped there too).
 *
 * A driver reset (status 0, on a vCPU thread) cannot cancel requests the
 * backend has started. Their completions are dropped: no status byte and
 * no used-ring entry reach the guest. The device pops no new request until
 * every old one has completed, so the backend's transfers into guest RAM
 * of one driver session never overlap the next session's.
 */
#ifndef STDVMM_DEVICES_VIRTIO_BLK_H
#define STDVMM_DEVICES_VIRTIO_BLK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/rate_limiter.h"
#include "stdvmm/devices/virtio_device.h"

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data buffers per request we announce (seg_max); header and status come on top. */
#define VIRTIO_BLK_SEG_MAX 126
#define VIRTIO_BLK_MAX_SEGS (VIRTIO_BLK_SEG_MAX + 2)
#define VIRTIO_BLK_ID_BYTES 20
/* Largest data buffer we announce (size_max); bounds a request to 126 MiB. */
#define VIRTIO_BLK_SIZE_MAX (1u << 20)
/* Larger requests fail: one backend operation must be able to move them whole. */
#define VIRTIO_BLK_MAX_REQUEST (1u << 30)

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_HDR_SIZE 16
#define VIRTIO_BLK_DISCARD_SEG_SIZE 16
#define VIRTIO_BLK_WZ_FLAG_UNMAP 1u
/* Largest range one discard/write-zeroes request may cover, in sectors. */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS 0x400000u /* 2 GiB */

enum virtio_blk_op {
    VIRTIO_BLK_OP_READ,
    VIRTIO_BLK_OP_WRITE,
    VIRTIO_BLK_OP_FLUSH,        /* fdatasync */
    VIRTIO_BLK_OP_DISCARD,      /* may deallocate; reads after it may return anything */
    VIRTIO_BLK_OP_WRITE_ZEROES, /* reads after it return zeros */
};

/* One checked request as the backend sees it. */
struct virtio_blk_io {
    enum virtio_blk_op op;
    uint64_t offset; /* bytes into the image; offset + len <= capacity */
    uint64_t len;    /* bytes */
    const struct virtq_seg *segs; /* READ/WRITE: the data, in order, summing to len */
    uint16_t seg_count;
    bool may_unmap; /* WRITE_ZEROES: the range may be deallocated (punch a hole) */
    /*
     * WRITE: the driver did not negotiate VIRTIO_BLK_F_FLUSH, so it has no
     * way to ask for durability and the write must be on stable storage
     * before it completes (VirtIO 1.2 §5.2.6.2; RWF_DSYNC on Linux).
     */
    bool write_through;
    uint16_t slot;  /* 0..VIRTIO_BLK_QUEUE_SIZE-1, unique among requests in flight */
};

struct virtio_blk_backend {
    /*
     * Starts io. The backend reports the result later with
     * virtio_blk_complete() (a synchronous backend may do so before
     * returning). A negative return means it did not start: the device
     * completes the request with IOERR itself.
     */
    int (*submit)(void *ctx, struct virtio_blk_io *io);
    /* End of a batch of submits (e.g. one io_uring_submit()). May be NULL. */
    void (*flush_batch)(void *ctx);
    /*
     * Needed only with a rate limit: the monotonic time in ns, and a request
     * to call virtio_blk_process() again in ns nanoseconds (replacing any
     * earlier such request).
     */
    uint64_t (*now_ns)(void *ctx);
    void (*retry_after)(void *ctx, uint64_t ns);
    void *ctx;
};

struct virtio_blk_config {
    struct virtio_slot slot;
    uint64_t capacity; /* bytes; a trailing partial sector is not reachable */
    bool readonly;
    bool discard;       /* offer DISCARD and WRITE_ZEROES (the backend can punch holes) */
    const char *serial; /* GET_ID answer, at most VIRTIO_BLK_ID_BYTES are used */
    /* Bytes (of reads and writes) and requests the guest may make; zeros: no limit. */
    struct rate_limiter_config limit;
    struct virtio_blk_backend backend;
    /*
     * The requests in flight, the caller's storage (this layer has no heap),
     * so that a VM without a disk carries none: max_reqs of them (1 to
     * VIRTIO_BLK_QUEUE_SIZE) at reqs, which holds reqs_size bytes
     * (VIRTIO_BLK_REQS_BYTES(max_reqs) at least, or init refuses). With all
     * of them in flight, the guest's next requests wait in the queue until
     * one completes.
     */
    struct virtio_blk_req *reqs;
    size_t reqs_size;
    unsigned max_reqs;
};

struct virtio_blk_req {
    struct virtio_blk_io io;
    struct virtq_chain chain;
    uint8_t *status; /* the last writable byte of the chain */
    uint32_t reply;  /* bytes of data written to the guest on success */
    struct virtq_seg segs[VIRTIO_BLK_MAX_SEGS];
    struct virtq_seg data[VIRTIO_BLK_MAX_SEGS];
};

#define VIRTIO_BLK_REQS_BYTES(n) ((size_t)(n) * sizeof(struct virtio_blk_req))

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_blk {
    struct virtio_dev vdev;
    struct virtio_blk_backend backend;
    uint64_t sectors;
    bool readonly;
    bool discard;
    bool processing;
    bool starved;
    bool warned;
    bool unsignalled; /* answers pushed since the last interrupt decision */
    bool limited;
    bool told_limited; /* the first wait was logged */
    struct rate_limiter limiter;
    struct virtio_blk_req *held; /* parsed, waiting for the rate limiter */
    atomic_bool reset_pending; /* set on a vCPU by a reset; cleared once the old requests drain */
    char serial[VIRTIO_BLK_ID_BYTES];
    uint8_t config[0x3c];
    uint16_t free_slots[VIRTIO_BLK_QUEUE_SIZE];
    uint16_t free_count;
    uint16_t max_reqs;
    struct virtio_blk_req *reqs; /* cfg.reqs, max_reqs of them */
};

/* -STDVMM_EINVAL (logged) without a backend, or without room for cfg->max_reqs requests. */
int virtio_blk_init(struct virtio_blk *d, const struct virtio_blk_config *cfg);
/* Host worker: the request queue was notified. */
void virtio_blk_process(struct virtio_blk *d);
/*
 * Backend: io finished; result 0, -STDVMM_ENOTSUP (UNSUPP) or another
 * negative code (IOERR). The guest hears of it at the next
 * virtio_blk_flush() (virtio_blk_process() ends with one), so a backend
 * reaping several completions interrupts the guest once.
 */
void virtio_blk_complete(struct virtio_blk *d, struct virtio_blk_io *io, int result);
/* Interrupts the guest if answers are waiting and it wants to hear of them. */
void virtio_blk_flush(struct virtio_blk *d);
/* Requests handed to the backend and not completed yet. */
unsigned virtio_blk_inflight(const struct virtio_blk *d);
/* Requests the rate limiter made wait, so far. */
uint64_t virtio_blk_throttled(const struct virtio_blk *d);

#endif
