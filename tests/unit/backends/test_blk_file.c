/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The raw image backend (src/backends/linux/blk_file.c) under the real
 * virtio-blk model, on an event loop thread as the runtime runs it: a
 * guest's write reaches the file, a read brings the file's bytes into
 * guest memory, flush and write-zeroes complete, and the image lock keeps
 * a second opener out. io_uring when the kernel has it, the synchronous
 * path otherwise: both must give the same answers. Where the test may
 * mount (root), a write-zeroes on ramfs, which has no fallocate at all.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/backends/blk_file.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "support/loop_wiring.h"
#include "support/stderr_capture.h"
#include "support/virtio_driver.h"

#define IMAGE_SIZE (1u << 20)
#define RAMFS_IMAGE_SIZE (130u << 20)
#define HDR (TD_DATA)
#define BUF (TD_DATA + 0x1000)
#define STATUS (TD_DATA + 0x800)

struct fixture {
    struct td d;
    char path[64];
    struct blk_file file;
    struct virtio_blk blk;
    struct virtio_blk_req reqs[VIRTIO_BLK_QUEUE_SIZE];
    struct virtio_mmio t;
    struct host_loop loop;
    struct loop_wiring wiring;
};

static void process(void *model)
{
    virtio_blk_process(model);
}

static char ramfs_dir[] = "/tmp/test_blk_file.ramfs.XXXXXX";
static bool have_ramfs;

static int setup_in(void **state, const char *dir, unsigned size)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/test_blk_file.XXXXXX", dir);
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    uint8_t *pattern = malloc(IMAGE_SIZE);
    for (unsigned i = 0; i < IMAGE_SIZE; i++)
        pattern[i] = (uint8_t)(i / 512 + i);
    ssize_t w = 0;
    for (unsigned done = 0; done < size; done += IMAGE_SIZE)
        w += write(fd, pattern, IMAGE_SIZE);
    free(pattern);
    close(fd);
    if (w != (ssize_t)size || blk_file_open(&f->file, "disk0", f->path, false) != 0)
        return -1;
    struct virtio_blk_config cfg = {
        .slot = td_slot(&f->d, "blk0"),
        .capacity = f->file.size,
        .discard = true,
        .backend = blk_file_backend(&f->file),
        .reqs = f->reqs,
        .reqs_size = sizeof(f->reqs),
        .max_reqs = VIRTIO_BLK_QUEUE_SIZE,
    };
    if (host_loop_init(&f->loop, "blk0") != 0 ||
        loop_wiring_init(&f->wiring, &cfg.slot, &f->loop, process, &f->blk) != 0 ||
        virtio_blk_init(&f->blk, &cfg) != 0 || virtio_mmio_init(&f->t, &f->blk.vdev) != 0 ||
        blk_file_attach(&f->file, &f->blk, &f->loop) != 0 || host_loop_start(&f->loop) != 0)
        return -1;
    td_start(&f->d, &f->t, 1, 64, TD_FEATURES_ALL);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_in(state, "/tmp", IMAGE_SIZE);
}

static int setup_ramfs(void **state)
{
    if (!have_ramfs) {
        *state = NULL;
        return 0;
    }
    return setup_in(state, ramfs_dir, RAMFS_IMAGE_SIZE);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0; /* skipped */
    host_loop_stop(&f->loop);
    blk_file_detach(&f->file);
    host_loop_destroy(&f->loop);
    blk_file_close(&f->file);
    close(f->wiring.kick_fd);
    unlink(f->path);
    td_free(&f->d);
    free(f);
    return 0;
}

/* Queues header | data | status at descriptor 0 and waits for the device to answer. */
static uint8_t submit(struct fixture *f, uint32_t type, uint64_t sector, uint32_t len)
{
    uint16_t before = td_used_idx(&f->d, 0);
    bool to_guest = type == VIRTIO_BLK_T_IN;
    uint8_t *hdr = td_ptr(&f->d, HDR);

    virtio_put_le32(hdr, type);
    virtio_put_le32(hdr + 4, 0);
    virtio_put_le64(hdr + 8, sector);
    *td_ptr(&f->d, STATUS) = 0xee;
    td_desc(&f->d, 0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, BUF, len, VIRTQ_DESC_F_NEXT | (to_guest ? VIRTQ_DESC_F_WRITE : 0), 2);
    td_desc(&f->d, 0, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the ring is written before the notification */
    td_avail(&f->d, 0, 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint32_t id, used_len;
    if (td_next_used(&f->d, 0, &before, 5000, &id, &used_len))
        return *(volatile uint8_t *)td_ptr(&f->d, STATUS);
    fail_msg("request type %u at sector %llu: no answer within 5 s", type,
             (unsigned long long)sector);
    return 0xff;
}

static void file_bytes(struct fixture *f, uint64_t offset, uint8_t *out, size_t len)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, out, len, (off_t)offset), (ssize_t)len);
    close(fd);
}

static void write_then_read_back(void **state)
{
    struct fixture *f = *state;
    uint8_t got[4096];

    print_message("blk_file: %s\n", f->file.ring_ok ? "io_uring" : "synchronous (no io_uring)");
    memset(td_ptr(&f->d, BUF), 0xab, 4096);
    assert_int_equal(submit(f, VIRTIO_BLK_T_OUT, 8, 4096), VIRTIO_BLK_S_OK);
    file_bytes(f, 8 * 512, got, sizeof(got));
    for (unsigned i = 0; i < sizeof(got); i++)
        assert_int_equal(got[i], 0xab);
    file_bytes(f, 8 * 512 - 1, got, 1); /* the byte before is untouched */
    assert_int_equal(got[0], (uint8_t)((8 * 512 - 1) / 512 + 8 * 512 - 1));

    memset(td_ptr(&f->d, BUF), 0, 4096);
    assert_int_equal(submit(f, VIRTIO_BLK_T_IN, 100, 1024), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 1024; i++)
        assert_int_equal(*td_ptr(&f->d, BUF + i), (uint8_t)(100 + i / 512 + 100 * 512 + i));
    assert_int_equal(submit(f, VIRTIO_BLK_T_IN, 8, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(*td_ptr(&f->d, BUF + 511), 0xab);

    assert_int_equal(submit(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
    /* Past the end is the device model's refusal; the file is never asked. */
    assert_int_equal(submit(f, VIRTIO_BLK_T_IN, IMAGE_SIZE / 512, 512), VIRTIO_BLK_S_IOERR);
}

static void write_zeroes_reach_the_file(void **state)
{
    struct fixture *f = *state;
    uint8_t got[2048];
    uint8_t *seg = td_ptr(&f->d, BUF);

    /* One write-zeroes segment: sector 16, 4 sectors, no unmap. */
    virtio_put_le64(seg, 16);
    virtio_put_le32(seg + 8, 4);
    virtio_put_le32(seg + 12, 0);
    assert_int_equal(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16), VIRTIO_BLK_S_OK);
    file_bytes(f, 16 * 512, got, sizeof(got));
    for (unsigned i = 0; i < sizeof(got); i++)
        assert_int_equal(got[i], 0);
    file_bytes(f, 20 * 512, got, 1);
    assert_int_equal(got[0], (uint8_t)(20 + 20 * 512));
}

#define HDR2 (TD_DATA + 0x3000)
#define BUF2 (TD_DATA + 0x4000)
#define STATUS2 (TD_DATA + 0x900)
#define ZERO_AT (1ull << 20)
#define ZERO_LEN ((128ull << 20) - 512) /* ends where the pattern is not 0 */

/*
 * ramfs has no fallocate, so neither ZERO_RANGE nor a hole: the zeros are
 * written. Before, the device thread wrote all of them (up to 2 GiB per
 * request) before it looked at anything else; now each chunk is a ring
 * request of its own, so a read the guest sends once the zeroing has begun
 * is answered before the 128 MiB are.
 */
static void zeroes_without_fallocate_do_not_hold_the_device(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        skip(); /* cannot mount ramfs here (not root) */
    if (!f->file.ring_ok)
        skip(); /* without a ring the device thread does all its I/O itself */
    uint8_t *seg = td_ptr(&f->d, BUF), *hdr = td_ptr(&f->d, HDR), *hdr2 = td_ptr(&f->d, HDR2);
    uint16_t seen = td_used_idx(&f->d, 0);

    virtio_put_le32(hdr, VIRTIO_BLK_T_WRITE_ZEROES);
    virtio_put_le32(hdr + 4, 0);
    virtio_put_le64(hdr + 8, 0);
    virtio_put_le64(seg, ZERO_AT / 512);
    virtio_put_le32(seg + 8, (uint32_t)(ZERO_LEN / 512));
    virtio_put_le32(seg + 12, 0); /* no unmap: zeros */
    td_desc(&f->d, 0, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    td_desc(&f->d, 0, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
    td_desc(&f->d, 0, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    virtio_put_le32(hdr2, VIRTIO_BLK_T_IN);
    virtio_put_le32(hdr2 + 4, 0);
    virtio_put_le64(hdr2 + 8, 0);
    td_desc(&f->d, 0, 3, HDR2, 16, VIRTQ_DESC_F_NEXT, 4);
    td_desc(&f->d, 0, 4, BUF2, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
    td_desc(&f->d, 0, 5, STATUS2, 1, VIRTQ_DESC_F_WRITE, 0);
    *td_ptr(&f->d, STATUS) = *td_ptr(&f->d, STATUS2) = 0xee;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    td_avail(&f->d, 0, 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

    /* The zeroing has begun once the range's first bytes are zeros. */
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    uint8_t first[16] = {1}, none[16] = {0};
    for (int i = 0; i < 50000 && memcmp(first, none, sizeof(first)) != 0; i++) {
        assert_int_equal(pread(fd, first, sizeof(first), ZERO_AT), sizeof(first));
        usleep(100);
    }
    close(fd);
    assert_memory_equal(first, none, sizeof(first));
    td_avail(&f->d, 0, 3);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

    uint32_t order[2], len;
    for (int i = 0; i < 2; i++) {
        if (!td_next_used(&f->d, 0, &seen, 20000, &order[i], &len))
            fail_msg("only %d of 2 requests answered within 20 s", i);
    }
    assert_int_equal(*(volatile uint8_t *)td_ptr(&f->d, STATUS), VIRTIO_BLK_S_OK);
    assert_int_equal(*(volatile uint8_t *)td_ptr(&f->d, STATUS2), VIRTIO_BLK_S_OK);
    if (order[0] != 3)
        fail_msg("the read was answered after the 128 MiB write-zeroes: the device thread "
                 "wrote all the zeros before it looked at the read");
    /* The zeros are all there, and not a byte beyond. */
    uint8_t *got = malloc(1u << 20);
    assert_non_null(got);
    for (uint64_t off = ZERO_AT; off < ZERO_AT + ZERO_LEN; off += 1u << 20) {
        size_t n = ZERO_AT + ZERO_LEN - off < (1u << 20) ? ZERO_AT + ZERO_LEN - off : 1u << 20;
        file_bytes(f, off, got, n);
        for (unsigned i = 0; i < n; i++) {
            if (got[i] != 0)
                fail_msg("byte %llu is %u, not zero", (unsigned long long)(off + i), got[i]);
        }
    }
    free(got);
    uint8_t edge[1];
    file_bytes(f, ZERO_AT - 1, edge, 1);
    assert_int_equal(edge[0], (uint8_t)((IMAGE_SIZE - 1) / 512 + IMAGE_SIZE - 1));
    file_bytes(f, ZERO_AT + ZERO_LEN, edge, 1);
    assert_int_equal(edge[0], (uint8_t)((IMAGE_SIZE - 512) / 512 + IMAGE_SIZE - 512));
}

/*
 * An image that shrank under the VM: a read across the new end comes back
 * short, is sent again for the rest, gets nothing more, and fails (no stale
 * bytes handed back as data); a read before the end still works.
 */
static void a_read_across_a_shrunk_end_fails(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(truncate(f->path, 2048), 0);
    assert_int_equal(submit(f, VIRTIO_BLK_T_IN, 0, 4096), VIRTIO_BLK_S_IOERR);
    assert_int_equal(submit(f, VIRTIO_BLK_T_IN, 0, 2048), VIRTIO_BLK_S_OK);
    assert_int_equal(*td_ptr(&f->d, BUF + 600), (uint8_t)(1 + 600));
}

static void the_image_lock_keeps_a_second_opener_out(void **state)
{
    struct fixture *f = *state;
    struct blk_file other;
    struct stderr_capture c;
    char said[1024], want[256];

    assert_int_equal(stderr_capture_begin(&c), 0);
    int r = blk_file_open(&other, "data", f->path, false);
    stderr_capture_end(&c, said, sizeof(said));
    assert_int_equal(r, -STDVMM_EBUSY);
    /* Named as the setting is, whichever input (CLI, description, manager) gave it. */
    snprintf(want, sizeof(want), "disk 'data' (%s): the image is in use by another process",
             f->path);
    assert_non_null(strstr(said, want));
    assert_null(strstr(said, "--disk"));

    assert_int_equal(blk_file_open(&other, "data", f->path, true), -STDVMM_EBUSY);

    assert_int_equal(stderr_capture_begin(&c), 0);
    r = blk_file_open(&other, "root", "/nonexistent/disk.img", true);
    stderr_capture_end(&c, said, sizeof(said));
    assert_true(r < 0);
    assert_non_null(strstr(said, "disk 'root' (/nonexistent/disk.img): cannot open it: "));
}

/* A ramfs of the test's own, in a mount namespace of its own where it may make one. */
static void mount_ramfs(void)
{
    if (mkdtemp(ramfs_dir) == NULL || unshare(CLONE_NEWNS) != 0)
        return;
    (void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL); /* keep it from the host's */
    have_ramfs = mount("test_blk_file", ramfs_dir, "ramfs", 0, "mode=0700") == 0;
}

int main(void)
{
    mount_ramfs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(zeroes_without_fallocate_do_not_hold_the_device,
                                        setup_ramfs, teardown),
        cmocka_unit_test_setup_teardown(write_then_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(write_zeroes_reach_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(the_image_lock_keeps_a_second_opener_out, setup, teardown),
        cmocka_unit_test_setup_teardown(a_read_across_a_shrunk_end_fails, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (have_ramfs)
        umount2(ramfs_dir, MNT_DETACH);
    rmdir(ramfs_dir);
    return failed;
}
