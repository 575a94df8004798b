/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/backends/blk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define RING_ENTRIES VIRTIO_BLK_QUEUE_SIZE

static void on_timer(void *ctx);

int blk_file_open(struct blk_file *f, const char *name, const char *path, bool readonly)
{
    struct stat st;

    memset(f, 0, sizeof(*f));
    f->fd = f->event_fd = -1;
    f->path = path;
    snprintf(f->name, sizeof(f->name), "%s", name);
    host_loop_timer_init(&f->timer, path, on_timer, f);
    f->readonly = readonly;
    f->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        LOG_ERR("disk '%s' (%s): cannot open %s: %s", name, path,
                readonly ? "it" : "it for writing", strerror(e));
        return -e;
    }
    /*
     * An OFD lock belongs to this open file, not to the process, so it
     * holds across our threads and goes away with the descriptor (or a kill -9).
     */
    struct flock lk = {.l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(f->fd, F_OFD_SETLK, &lk) < 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES)
            LOG_ERR("disk '%s' (%s): the image is in use by another process (another stdvmm "
                    "has it open%s); refusing to open it",
                    name, path, readonly ? " writable" : "");
        else
            LOG_ERR("disk '%s' (%s): cannot lock the image: %s", name, path, strerror(e));
        close(f->fd);
        f->fd = -1;
        return e == EAGAIN || e == EACCES ? -STDVMM_EBUSY : -e;
    }
    if (fstat(f->fd, &st) < 0) {
        int e = errno;
        LOG_ERR("disk '%s' (%s): fstat: %s", name, path, strerror(e));
        blk_file_close(f);
        return -e;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(f->fd, BLKGETSIZE64, &f->size) < 0) {
            int e = errno;
            LOG_ERR("disk '%s' (%s): cannot read the block device's size: %s", name, path,
                    strerror(e));
            blk_file_close(f);
            return -e;
        }
    } else if (S_ISREG(st.st_mode)) {
        f->size = (uint64_t)st.st_size;
    } else {
        LOG_ERR("disk '%s' (%s): not a regular file or block device", name, path);
        blk_file_close(f);
        return -STDVMM_EINVAL;
    }
    if (f->size % VIRTIO_BLK_SECTOR_SIZE != 0)
        LOG_WARN("disk '%s' (%s): size %llu is not a multiple of 512; the last %llu bytes are "
                 "not visible to the guest",
                 name, path, (unsigned long long)f->size,
                 (unsigned long long)(f->size % VIRTIO_BLK_SECTOR_SIZE));
    return 0;
}

static void warn_once(struct blk_file *f, const char *what, int err)
{
    if (f->warned)
        return;
    f->warned = true;
    LOG_WARN("disk '%s' (%s): %s: %s (the guest sees an I/O error; warning once)", f->name, f->path,
             what, strerror(err));
}

static unsigned fill_iov(struct blk_file *f, const struct virtio_blk_io *io)
{
    struct iovec *iov = f->iov[io->slot];
    for (uint16_t i = 0; i < io->seg_count; i++)
        iov[i] = (struct iovec){.iov_base = io->segs[i].host, .iov_len = io->segs[i].len};
    return io->seg_count;
}

/* The request's buffers past its first done bytes: *out and the count. */
static unsigned iov_from(struct blk_file *f, const struct virtio_blk_io *io, uint64_t done,
                         struct iovec **out)
{
    unsigned cnt = fill_iov(f, io), i = 0;
    struct iovec *iov = f->iov[io->slot];

    while (i < cnt && done >= iov[i].iov_len)
        done -= iov[i++].iov_len;
    if (i < cnt) {
        iov[i].iov_base = (uint8_t *)iov[i].iov_base + done;
        iov[i].iov_len -= done;
    }
    *out = &iov[i];
    return cnt - i;
}

static const uint8_t zeros[65536];


static int zero_mode(const struct virtio_blk_io *io)
{
    if (io->op == VIRTIO_BLK_OP_DISCARD || io->may_unmap)
        return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

/*
 * Writes zeros by hand where the file system has no fallocate mode for it:
 * without a ring only (the ring writes them a chunk at a time).
 */
static int write_zeroes_slowly(struct blk_file *f, uint64_t offset, uint64_t len)
{
    while (len > 0) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        ssize_t w = pwrite(f->fd, zeros, n, (off_t)offset);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -STDVMM_EIO;
        offset += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

/*
 * A discard is only a hint, so "cannot" is success; zeroes must be zeroes,
 * so fall back from ZERO_RANGE to a hole, and from a hole to writing them.
 */
static int finish_zeroing(struct blk_file *f, const struct virtio_blk_io *io, int res)
{
    if (res != -EOPNOTSUPP && res != -EINVAL)
        return res;
    if (io->op == VIRTIO_BLK_OP_DISCARD)
        return 0;
    if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)io->offset,
                  (off_t)io->len) == 0)
        return 0;
    return write_zeroes_slowly(f, io->offset, io->len);
}

/* res: what the kernel returned for io (bytes, or -errno). */
static void complete(struct blk_file *f, struct virtio_blk_io *io, int res)
{
    int result = 0;

    switch (io->op) {
    case VIRTIO_BLK_OP_READ:
    case VIRTIO_BLK_OP_WRITE:
        if (res < 0) {
            warn_once(f, io->op == VIRTIO_BLK_OP_READ ? "read failed" : "write failed", -res);
            result = -STDVMM_EIO;
        } else if ((uint64_t)res != io->len) {
            /* The image shrank under us, or the disk is full: never hand back stale bytes. */
            warn_once(f, "short transfer", EIO);
            result = -STDVMM_EIO;
        }
        break;
    case VIRTIO_BLK_OP_FLUSH:
        if (res < 0) {
            warn_once(f, "fdatasync failed", -res);
            result = -STDVMM_EIO;
        }
        break;
    case VIRTIO_BLK_OP_DISCARD:
    case VIRTIO_BLK_OP_WRITE_ZEROES:
        res = finish_zeroing(f, io, res);
        if (res < 0) {
            warn_once(f, "discard/write-zeroes failed", -res);
            result = -STDVMM_EIO;
        }
        break;
    }
    virtio_blk_complete(f->dev, io, result);
}

static int run_sync(struct blk_file *f, struct virtio_blk_io *io)
{
    ssize_t n = 0;
    int res;

    switch (io->op) {
    case VIRTIO_BLK_OP_READ:
    case VIRTIO_BLK_OP_WRITE: {
        uint64_t done = 0;
        /* Loop over short transfers: only a real error or end of file stops it. */
        while (done < io->len) {
            struct iovec *iov;
            unsigned cnt = iov_from(f, io, done, &iov);
            n = io->op == VIRTIO_BLK_OP_READ
                    ? preadv(f->fd, iov, (int)cnt, (off_t)(io->offset + done))
                    : pwritev2(f->fd, iov, (int)cnt, (off_t)(io->offset + done),
                               io->write_through ? RWF_DSYNC : 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += (uint64_t)n;
        }
        res = n < 0 ? -errno : (int)done;
        break;
    }
    case VIRTIO_BLK_OP_FLUSH: res = fdatasync(f->fd) < 0 ? -errno : 0; break;
    default:
        res = fallocate(f->fd, zero_mode(io), (off_t)io->offset, (off_t)io->len) < 0 ? -errno : 0;
        break;
    }
    complete(f, io, res);
    return 0;
}

static int blk_submit(void *ctx, struct virtio_blk_io *io)
{
    struct blk_file *f = ctx;

    if (io->op != VIRTIO_BLK_OP_READ && io->op != VIRTIO_BLK_OP_FLUSH && f->readonly)
        return -STDVMM_EPERM; /* the device refuses these already; belt and braces */
    if (!f->ring_ok)
        return run_sync(f, io);
#if STDVMM_HAVE_LIBURING
    struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
    if (sqe == NULL) {
        io_uring_submit(&f->ring);
        sqe = io_uring_get_sqe(&f->ring);
        if (sqe == NULL)
            return run_sync(f, io);
    }
    f->done[io->slot] = 0;
    f->zeroing[io->slot] = false;
    /* The disk is the ring's registered file 0, the only one it may act on. */
    switch (io->op) {
    case VIRTIO_BLK_OP_READ:
        io_uring_prep_readv(sqe, 0, f->iov[io->slot], fill_iov(f, io), io->offset);
        break;
    case VIRTIO_BLK_OP_WRITE:
        io_uring_prep_writev(sqe, 0, f->iov[io->slot], fill_iov(f, io), io->offset);
        if (io->write_through)
            sqe->rw_flags = RWF_DSYNC;
        break;
    case VIRTIO_BLK_OP_FLUSH: io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC); break;
    case VIRTIO_BLK_OP_DISCARD:
    case VIRTIO_BLK_OP_WRITE_ZEROES:
        io_uring_prep_fallocate(sqe, 0, zero_mode(io), io->offset, io->len);
        break;
    }
    io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
    io_uring_sqe_set_data(sqe, io);
    return 0;
#else
    return run_sync(f, io);
#endif
}

static void blk_flush_batch(void *ctx)
{
#if STDVMM_HAVE_LIBURING
    struct blk_file *f = ctx;
    if (f->ring_ok)
        io_uring_submit(&f->ring);
#else
    (void)ctx;
#endif
}

static uint64_t blk_now_ns(void *ctx)
{
    (void)ctx;
    return host_clock_monotonic_ns();
}

static void on_timer(void *ctx)
{
    struct blk_file *f = ctx;
    if (f->dev != NULL)
        virtio_blk_process(f->dev);
}

static void blk_retry_after(void *ctx, uint64_t ns)
{
    struct blk_file *f = ctx;
    host_loop_timer_arm(&f->timer, f->loop, ns);
}

struct virtio_blk_backend blk_file_backend(struct blk_file *f)
{
    return (struct virtio_blk_backend){.submit = blk_submit,
                                       .flush_batch = blk_flush_batch,
                                       .now_ns = blk_now_ns,
                                       .retry_after = blk_retry_after,
                                       .ctx = f};
}

#if STDVMM_HAVE_LIBURING
/*
 * A ring's operations bypass seccomp, so a thread that may submit to it
 * could otherwise open, read or send anything through it. The ring starts
 * disabled; before it is enabled it is limited to the operations a disk
 * needs (the same the device thread's filter allows as system calls), on
 * its registered disk file only, and no further registration.
 */
static int restrict_ring(struct blk_file *f)
{
    static const uint8_t ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
                                  IORING_OP_FALLOCATE};
    struct io_uring_restriction res[sizeof(ops) + 2];
    unsigned n = 0;

    memset(res, 0, sizeof(res));
    for (unsigned i = 0; i < sizeof(ops); i++) {
        res[n].opcode = IORING_RESTRICTION_SQE_OP;
        res[n++].sqe_op = ops[i];
    }
    res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
    res[n++].sqe_flags = IOSQE_FIXED_FILE;
    res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
    res[n++].sqe_flags = IOSQE_FIXED_FILE;
    /*
     * Raw io_uring_register: Debian 12's liburing 2.3 declares
     * io_uring_register_restrictions and io_uring_enable_rings but its
     * shared library does not export them.
     */
    int r = io_uring_register_files(&f->ring, &f->fd, 1);
    if (r == 0 && syscall(__NR_io_uring_register, f->ring.ring_fd, IORING_REGISTER_RESTRICTIONS,
                          res, n) < 0)
        r = -errno;
    if (r == 0 &&
        syscall(__NR_io_uring_register, f->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
        r = -errno;
    return r;
}

/* Up to VIRTIO_BLK_MAX_SEGS * 64 KiB of zeros for the rest of a write-zeroes past done. */
static unsigned zero_iov(struct blk_file *f, const struct virtio_blk_io *io, uint64_t done)
{
    struct iovec *iov = f->iov[io->slot];
    uint64_t rest = io->len - done;
    unsigned n = 0;

    while (rest > 0 && n < VIRTIO_BLK_MAX_SEGS) {
        size_t k = rest < sizeof(zeros) ? (size_t)rest : sizeof(zeros);
        iov[n++] = (struct iovec){.iov_base = (void *)zeros, .iov_len = k}; /* only read */
        rest -= k;
    }
    return n;
}

/* Queues the rest of a read, write or zeroing past f->done; false if the ring is full. */
static bool resubmit(struct blk_file *f, struct virtio_blk_io *io)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
    uint64_t done = f->done[io->slot];
    struct iovec *iov;
    unsigned cnt;

    if (sqe == NULL) {
        io_uring_submit(&f->ring);
        if ((sqe = io_uring_get_sqe(&f->ring)) == NULL)
            return false;
    }
    if (f->zeroing[io->slot]) {
        cnt = zero_iov(f, io, done);
        io_uring_prep_writev(sqe, 0, f->iov[io->slot], cnt, io->offset + done);
    } else {
        cnt = iov_from(f, io, done, &iov);
        if (io->op == VIRTIO_BLK_OP_READ)
            io_uring_prep_readv(sqe, 0, iov, cnt, io->offset + done);
        else
            io_uring_prep_writev(sqe, 0, iov, cnt, io->offset + done);
    }
    if (io->op != VIRTIO_BLK_OP_READ && io->write_through)
        sqe->rw_flags = RWF_DSYNC;
    io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
    io_uring_sqe_set_data(sqe, io);
    return true;
}

/*
 * A completion that leaves work: a short read or write goes on from where
 * it stopped (only a real error or the end of the file ends it, as
 * without a ring), and a write-zeroes that fallocate cannot do becomes a
 * hole or, failing that, zeros written a chunk per ring request. True if
 * io went back into the ring; else *res is what complete() takes.
 */
static bool continue_request(struct blk_file *f, struct virtio_blk_io *io, int *res)
{
    uint64_t *done = &f->done[io->slot];

    switch (io->op) {
    case VIRTIO_BLK_OP_READ:
    case VIRTIO_BLK_OP_WRITE:
        if (*res > 0 && *done + (uint64_t)*res < io->len) {
            *done += (uint64_t)*res;
            if (resubmit(f, io))
                return true;
            *res = -EIO;
            return false;
        }
        if (*res >= 0)
            *res = (int)(*done + (uint64_t)*res);
        return false;
    case VIRTIO_BLK_OP_WRITE_ZEROES:
        if (f->zeroing[io->slot]) {
            if (*res <= 0) {
                *res = *res < 0 ? *res : -EIO;
                return false;
            }
            *done += (uint64_t)*res;
            *res = 0;
            if (*done >= io->len)
                return false;
            if (resubmit(f, io))
                return true;
            *res = -EIO;
            return false;
        }
        if (*res != -EOPNOTSUPP && *res != -EINVAL)
            return false;
        if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)io->offset,
                      (off_t)io->len) == 0) {
            *res = 0;
            return false;
        }
        f->zeroing[io->slot] = true;
        *done = 0;
        if (resubmit(f, io))
            return true;
        *res = -EIO;
        return false;
    default:
        return false;
    }
}

static void reap(struct blk_file *f)
{
    struct io_uring_cqe *cqe;
    bool again = false;

    while (io_uring_peek_cqe(&f->ring, &cqe) == 0) {
        struct virtio_blk_io *io = io_uring_cqe_get_data(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&f->ring, cqe);
        if (continue_request(f, io, &res))
            again = true;
        else
            complete(f, io, res);
    }
    if (again)
        io_uring_submit(&f->ring);
    virtio_blk_flush(f->dev); /* one interrupt for the whole batch */
}

static void on_completion(void *ctx, int fd, short revents)
{
    struct blk_file *f = ctx;
    host_eventfd_drain(fd);
    reap(f);
}

#endif

int blk_file_attach(struct blk_file *f, struct virtio_blk *dev, struct host_loop *loop)
{
    f->dev = dev;
    f->loop = loop;
    f->ring_ok = false;
#if !STDVMM_HAVE_LIBURING
    LOG_INFO("disk '%s' (%s): built without liburing; requests run synchronously", f->name,
             f->path);
    return 0;
#else
    int r = io_uring_queue_init(RING_ENTRIES, &f->ring, IORING_SETUP_R_DISABLED);
    if (r < 0) {
        LOG_WARN("disk '%s' (%s): io_uring unavailable (%s); requests run synchronously on the "
                 "device thread",
                 f->name, f->path, strerror(-r));
        return 0;
    }
    /*
     * The ring is used only restricted (restrict_ring): one that cannot be
     * restricted would be a hole in the sandbox, so requests then run
     * synchronously instead.
     */
    const char *why = NULL;
    f->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (f->event_fd < 0 || io_uring_register_eventfd(&f->ring, f->event_fd) < 0)
        why = "cannot signal its completions";
    else if ((r = restrict_ring(f)) < 0)
        why = "cannot restrict its ring";
    else if (host_loop_add(loop, f->event_fd, POLLIN, on_completion, f) < 0)
        why = "cannot wire its completions to the event loop";
    if (why != NULL) {
        LOG_WARN("disk '%s' (%s): io_uring %s; requests run synchronously", f->name, f->path, why);
        io_uring_queue_exit(&f->ring);
        if (f->event_fd >= 0)
            close(f->event_fd);
        f->event_fd = -1;
        return 0;
    }
    f->ring_ok = true;
    return 0;
#endif
}

void blk_file_detach(struct blk_file *f)
{
    host_loop_timer_close(&f->timer);
#if STDVMM_HAVE_LIBURING
    if (f->ring_ok) {
        /* Guest RAM must outlive every transfer into it. */
        while (f->dev != NULL && virtio_blk_inflight(f->dev) > 0) {
            struct io_uring_cqe *cqe;
            io_uring_submit(&f->ring);
            if (io_uring_wait_cqe(&f->ring, &cqe) < 0)
                break;
            reap(f);
        }
        host_loop_remove(f->loop, f->event_fd);
        io_uring_queue_exit(&f->ring);
        close(f->event_fd);
        f->event_fd = -1;
        f->ring_ok = false;
    }
#endif
    f->dev = NULL;
    f->loop = NULL;
}

void blk_file_close(struct blk_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}
