/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user frontend against a real third-party backend: QEMU's
 * qemu-storage-daemon exporting a raw image as vhost-user-blk. The test
 * plays the guest: its "RAM" is a memfd shared with the daemon through
 * SET_MEM_TABLE, it lays out a split virtqueue there, writes virtio-blk
 * requests into it, kicks the daemon's eventfd and waits for its call.
 * Asserted: negotiation, the config space's capacity, a 4 KiB write that
 * reaches the image file on the host, reading it back through the ring,
 * a flush, stopping the ring where it was, and clear errors for a missing
 * backend and for requests after the backend went away.
 *
 *   test_vhost_user_qsd QEMU_STORAGE_DAEMON
 *
 * The socket and the image go to a fresh directory under /tmp: a socket's
 * path must fit sockaddr_un, wherever the build tree is.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/backends/vhost_user.h"
#include "stdvmm/error.h"

#define RAM_SIZE (1u << 20)
#define RAM_GPA 0x40000000ull
#define QSIZE 16u
#define IMAGE_SIZE (4u << 20)
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_F_FLUSH 9
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4

/* Offsets in guest RAM. */
#define DESC 0x0000u
#define AVAIL 0x1000u
#define USED 0x2000u
#define HDR 0x3000u
#define DATA_OUT 0x4000u
#define DATA_IN 0x8000u
#define STATUS 0xc000u

static const char *qsd_path;
static char scratch[] = "/tmp/vhu-qsd-XXXXXX";
static char image[256], sock[256];
static pid_t qsd = -1;
static uint8_t *ram;
static int ram_fd = -1, kick = -1, call = -1;
static uint16_t avail_idx;

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static int start_daemon(void **state)
{
    (void)state;
    snprintf(image, sizeof(image), "%s/vhu-qsd.img", scratch);
    snprintf(sock, sizeof(sock), "%s/vhu-qsd.sock", scratch);
    unlink(sock);
    int fd = open(image, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, IMAGE_SIZE) < 0)
        return -1;
    close(fd);
    char blockdev[400], export[400];
    snprintf(blockdev, sizeof(blockdev), "driver=file,node-name=disk0,filename=%s", image);
    snprintf(export, sizeof(export),
             "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=%s,"
             "writable=on",
             sock);
    qsd = fork();
    if (qsd == 0) {
        execl(qsd_path, qsd_path, "--blockdev", blockdev, "--export", export, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s for the socket to appear */
        struct stat st;
        if (stat(sock, &st) == 0)
            return 0;
        usleep(50000);
    }
    fprintf(stderr, "qemu-storage-daemon did not create %s\n", sock);
    return -1;
}

static int stop_daemon(void **state)
{
    (void)state;
    if (qsd > 0) {
        kill(qsd, SIGTERM);
        waitpid(qsd, NULL, 0);
    }
    unlink(sock);
    unlink(image);
    rmdir(scratch);
    return 0;
}

static void *gpa(uint32_t off)
{
    return ram + off;
}

static void set_desc(unsigned i, uint32_t off, uint32_t len, uint16_t flags, uint16_t next)
{
    struct desc d = {.addr = RAM_GPA + off, .len = len, .flags = flags, .next = next};
    memcpy(ram + DESC + i * sizeof(d), &d, sizeof(d));
}

/* Puts the chain at head into the available ring, kicks, waits for its completion. */
static uint8_t submit(uint16_t head)
{
    uint16_t *avail = gpa(AVAIL);
    avail[2 + avail_idx % QSIZE] = head;
    avail_idx++;
    __atomic_store_n(&avail[1], avail_idx, __ATOMIC_RELEASE);
    uint64_t one = 1;
    assert_int_equal(write(kick, &one, 8), 8);
    /*
     * A call can be spurious (libvhost-user signals one when the call fd
     * is set, against hangs after a reconnect): wait until the used index
     * moves, as a driver does.
     */
    uint16_t *used = gpa(USED);
    for (int tries = 0; __atomic_load_n(&used[1], __ATOMIC_ACQUIRE) != avail_idx; tries++) {
        struct pollfd p = {.fd = call, .events = POLLIN};
        assert_true(tries < 10);
        assert_int_equal(poll(&p, 1, 10000), 1);
        uint64_t count;
        assert_int_equal(read(call, &count, 8), 8);
    }
    uint32_t id;
    memcpy(&id, (uint8_t *)used + 4 + ((avail_idx - 1) % QSIZE) * 8, 4);
    assert_int_equal(id, head);
    return *(uint8_t *)gpa(STATUS);
}

static void blk_request(uint16_t head, uint32_t type, uint64_t sector, uint32_t data_off,
                        uint32_t len, bool device_writes)
{
    uint8_t hdr[16] = {0};
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    memcpy(gpa(HDR), hdr, sizeof(hdr));
    *(uint8_t *)gpa(STATUS) = 0xff;
    if (len > 0) {
        set_desc(head, HDR, 16, 1 /* NEXT */, (uint16_t)(head + 1));
        set_desc(head + 1u, data_off, len, (uint16_t)(1 | (device_writes ? 2 : 0)),
                 (uint16_t)(head + 2));
        set_desc(head + 2u, STATUS, 1, 2 /* WRITE */, 0);
    } else {
        set_desc(head, HDR, 16, 1, (uint16_t)(head + 1));
        set_desc(head + 1u, STATUS, 1, 2, 0);
    }
}

static void blk_through_qsd(void **state)
{
    (void)state;
    struct vhost_user vu;
    uint64_t features;

    assert_int_equal(vhost_user_connect(&vu, sock), 0);
    assert_int_equal(vhost_user_negotiate(
                         &vu, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH, &features),
                     0);
    assert_true(features & (1ull << VIRTIO_F_VERSION_1));
    assert_true(vu.protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));

    uint64_t capacity = 0;
    assert_int_equal(vhost_user_get_config(&vu, 0, &capacity, 8), 0);
    assert_int_equal(capacity, IMAGE_SIZE / 512);
    uint32_t queues = 0;
    assert_int_equal(vhost_user_queue_num(&vu, &queues), 0);
    assert_true(queues >= 1);

    ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
    assert_true(ram_fd >= 0);
    assert_int_equal(ftruncate(ram_fd, RAM_SIZE), 0);
    ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
    assert_true(ram != MAP_FAILED);
    struct vhost_user_region region = {.guest_phys_addr = RAM_GPA,
                                       .size = RAM_SIZE,
                                       .user_addr = (uint64_t)(uintptr_t)ram,
                                       .mmap_offset = 0,
                                       .fd = ram_fd};
    assert_int_equal(vhost_user_set_mem_table(&vu, &region, 1), 0);

    kick = eventfd(0, EFD_CLOEXEC);
    call = eventfd(0, EFD_CLOEXEC);
    struct vhost_user_vring ring = {.index = 0,
                                    .num = QSIZE,
                                    .desc = (uint64_t)(uintptr_t)gpa(DESC),
                                    .avail = (uint64_t)(uintptr_t)gpa(AVAIL),
                                    .used = (uint64_t)(uintptr_t)gpa(USED),
                                    .base = 0,
                                    .kick_fd = kick,
                                    .call_fd = call};
    assert_int_equal(vhost_user_start_vring(&vu, &ring), 0);

    /* Write 4 KiB at sector 8: it reaches the image on the host. */
    for (unsigned i = 0; i < 4096; i++)
        ram[DATA_OUT + i] = (uint8_t)(i * 7 + 3);
    blk_request(0, T_OUT, 8, DATA_OUT, 4096, false);
    assert_int_equal(submit(0), 0);
    /* Read it back through the ring. */
    blk_request(3, T_IN, 8, DATA_IN, 4096, true);
    assert_int_equal(submit(3), 0);
    assert_memory_equal(ram + DATA_IN, ram + DATA_OUT, 4096);
    /* Flush, which the daemon offers and this frontend acknowledged. */
    assert_true(features & (1ull << VIRTIO_BLK_F_FLUSH));
    blk_request(6, T_FLUSH, 0, 0, 0, false);
    assert_int_equal(submit(6), 0);

    uint8_t file[4096];
    int fd = open(image, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, file, sizeof(file), 8 * 512), (ssize_t)sizeof(file));
    close(fd);
    assert_memory_equal(file, ram + DATA_OUT, sizeof(file));

    /* Stopping the ring says where the daemon got to: three requests. */
    uint16_t base = 0;
    assert_int_equal(vhost_user_stop_vring(&vu, 0, &base), 0);
    assert_int_equal(base, 3);

    /* The daemon goes away: the next request is an error, not a hang. */
    kill(qsd, SIGKILL);
    waitpid(qsd, NULL, 0);
    qsd = -1;
    assert_true(vhost_user_get_config(&vu, 0, &capacity, 8) < 0);
    assert_true(vu.broken);
    assert_true(vhost_user_queue_num(&vu, &queues) < 0 || queues == 1);
    vhost_user_close(&vu);
    munmap(ram, RAM_SIZE);
    close(ram_fd);
    close(kick);
    close(call);
}

static void no_backend(void **state)
{
    (void)state;
    struct vhost_user vu;
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no-such-backend.sock", scratch);
    assert_int_equal(vhost_user_connect(&vu, missing), -STDVMM_ENOENT);
    char long_path[200];
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(vhost_user_connect(&vu, long_path), -STDVMM_EINVAL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s QEMU_STORAGE_DAEMON\n", argv[0]);
        return 2;
    }
    qsd_path = argv[1];
    if (mkdtemp(scratch) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blk_through_qsd),
        cmocka_unit_test(no_backend),
    };
    return cmocka_run_group_tests(tests, start_daemon, stop_daemon);
}
