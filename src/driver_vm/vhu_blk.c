/* SPDX-License-Identifier: BSD-2-Clause */
/* A vhost-user-blk backend driven from a driver VM's block server (vhu_blk.h). */
#include "vhu_blk.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stdvmm/error.h"

#define QUEUE_SIZE 8
#define MEM_SIZE (256u * 1024u)
/* The memfd's layout; "guest-physical" addresses are offsets into it (one region at 0). */
#define HDR_AT 0x10000u    /* struct virtio_blk_outhdr */
#define STATUS_AT 0x10010u /* one byte */
#define DATA_AT 0x20000u   /* VHU_BLK_MAX_IO bytes */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_S_OK 0

_Static_assert(DATA_AT + VHU_BLK_MAX_IO <= MEM_SIZE, "the data buffer fits the memfd");

int vhu_blk_open(struct vhu_blk *b, const char *socket)
{
    uint64_t features;
    int r;

    memset(b, 0, sizeof(*b));
    b->mem_fd = b->kick_fd = b->call_fd = -1;
    b->mem_fd = memfd_create("stdvmm-blkserve", MFD_CLOEXEC);
    if (b->mem_fd < 0 || ftruncate(b->mem_fd, MEM_SIZE) < 0)
        return -STDVMM_ENOMEM;
    b->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, b->mem_fd, 0);
    if (b->mem == MAP_FAILED)
        return -STDVMM_ENOMEM;
    b->kick_fd = eventfd(0, EFD_CLOEXEC);
    b->call_fd = eventfd(0, EFD_CLOEXEC);
    if (b->kick_fd < 0 || b->call_fd < 0)
        return -STDVMM_EIO;
    const struct vdrv_dma dma = {.va = b->mem, .pa = 0, .size = MEM_SIZE};
    if ((r = vdrv_queue_init(&b->q, 0, QUEUE_SIZE, &dma, 0)) < 0)
        return r;
    if ((r = vhost_user_connect(&b->vu, socket)) < 0 ||
        (r = vhost_user_negotiate(&b->vu, 1ull << VIRTIO_F_VERSION_1, &features)) < 0)
        return r;
    if (!(features & (1ull << VIRTIO_F_VERSION_1))) {
        fprintf(stderr, "stdvmm-blkserve: %s: the backend does not speak virtio 1\n", socket);
        return -STDVMM_ENOTSUP;
    }
    const struct vhost_user_region region = {
        .guest_phys_addr = 0,
        .size = MEM_SIZE,
        .user_addr = (uint64_t)(uintptr_t)b->mem,
        .mmap_offset = 0,
        .fd = b->mem_fd,
    };
    if ((r = vhost_user_set_mem_table(&b->vu, &region, 1)) < 0)
        return r;
    const struct vhost_user_vring v = {
        .index = 0,
        .num = QUEUE_SIZE,
        .desc = (uint64_t)(uintptr_t)b->q.desc,
        .avail = (uint64_t)(uintptr_t)b->q.avail,
        .used = (uint64_t)(uintptr_t)b->q.used,
        .base = 0,
        .kick_fd = b->kick_fd,
        .call_fd = b->call_fd,
    };
    return vhost_user_start_vring(&b->vu, &v);
}

int vhu_blk_io(struct vhu_blk *b, uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len)
{
    if (len > VHU_BLK_MAX_IO)
        return -STDVMM_EINVAL;
    bool out = type == 1; /* VIRTIO_BLK_T_OUT */
    uint8_t *hdr = b->mem + HDR_AT;
    memset(hdr, 0, 16);
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    b->mem[STATUS_AT] = 0xff;
    if (out)
        memcpy(b->mem + DATA_AT, buf, len);
    struct vdrv_buf bufs[3] = {{HDR_AT, 16, false}};
    unsigned n = 1;
    if (len != 0)
        bufs[n++] = (struct vdrv_buf){DATA_AT, len, !out};
    bufs[n++] = (struct vdrv_buf){STATUS_AT, 1, true};
    uint16_t head, done;
    uint32_t written;
    int r = vdrv_queue_add(&b->q, bufs, n, &head);
    if (r < 0)
        return r;
    /* vdrv_queue_add published the chain (release); the kick is the eventfd. */
    uint64_t one = 1;
    if (write(b->kick_fd, &one, sizeof(one)) != sizeof(one))
        return -STDVMM_EIO;
    for (;;) {
        r = vdrv_queue_used(&b->q, &done, &written);
        if (r == 0)
            break;
        if (r != -STDVMM_EAGAIN)
            return r; /* the backend returned something not in flight: unusable */
        struct pollfd p = {.fd = b->call_fd, .events = POLLIN};
        if (poll(&p, 1, 30000) <= 0)
            return -STDVMM_EIO; /* 30 s without an answer: the backend is stuck */
        uint64_t count;
        if (read(b->call_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
            return -STDVMM_EIO;
    }
    if (done != head || b->mem[STATUS_AT] != VIRTIO_BLK_S_OK)
        return -STDVMM_EIO;
    if (!out && len != 0)
        memcpy(buf, b->mem + DATA_AT, len);
    return 0;
}
