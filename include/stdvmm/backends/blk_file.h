/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raw disk image backend for virtio-blk on Linux: a regular file (or block
 * device) driven through io_uring, so requests run asynchronously and
 * several at once without a thread per request; completions arrive on an
 * eventfd the device's event loop watches. Without io_uring (an old or
 * locked-down kernel) requests run synchronously on that same loop thread.
 *
 * The image is locked with an open-file-description lock: exclusive when
 * writable, shared when read-only, so two stdvmm processes never write one
 * image (and a read-only user never sees one being written).
 *
 * Through the ring, a short transfer is sent again for the rest, and a
 * write-zeroes the file system cannot do with fallocate is written as
 * zeros in chunks of at most VIRTIO_BLK_MAX_SEGS * 64 KiB, each its own
 * ring request, so the device thread is never busy with one for long.
 */
#ifndef STDVMM_BACKENDS_BLK_FILE_H
#define STDVMM_BACKENDS_BLK_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#if STDVMM_HAVE_LIBURING
#include <liburing.h>
#endif

#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/loop_timer.h"

struct blk_file {
    char name[24]; /* the setting's name in messages: the disk's id */
    const char *path;
    int fd;
    bool readonly;
    uint64_t size;
#if STDVMM_HAVE_LIBURING
    struct io_uring ring;
#endif
    bool ring_ok; /* false: requests run synchronously */
    int event_fd;
    struct host_loop_timer timer; /* the rate limit's retries */
    struct virtio_blk *dev;
    struct host_loop *loop;
    bool warned;
    struct iovec iov[VIRTIO_BLK_QUEUE_SIZE][VIRTIO_BLK_MAX_SEGS];
    /* Per request slot, while it is in the ring: */
    uint64_t done[VIRTIO_BLK_QUEUE_SIZE]; /* bytes through so far (short transfers go on) */
    bool zeroing[VIRTIO_BLK_QUEUE_SIZE];  /* write-zeroes written as zeros, a chunk at a time */
};

/*
 * Opens and locks the image; a clear error when another process holds it.
 * Messages name the disk as its setting does: "disk 'NAME' (PATH): ...".
 */
int blk_file_open(struct blk_file *f, const char *name, const char *path, bool readonly);
/* The virtio-blk backend operations for this image. */
struct virtio_blk_backend blk_file_backend(struct blk_file *f);
/* Binds the image to a device for one boot: completions are reaped on loop. */
int blk_file_attach(struct blk_file *f, struct virtio_blk *dev, struct host_loop *loop);
/* Waits for every request in flight, then unbinds. The loop must be stopped. */
void blk_file_detach(struct blk_file *f);
void blk_file_close(struct blk_file *f);

#endif
