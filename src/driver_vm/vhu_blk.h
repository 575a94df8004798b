/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A vhost-user-blk backend (qemu-storage-daemon's vhost-user-blk export) as
 * the driver VM's block server sees it: the server is the frontend, in its
 * own memory (one memfd holding the queue and the buffers), and drives the
 * backend's one queue with the portable driver side of virtio
 * (virtio_driver.h); one request at a time.
 */
#ifndef STDVMM_DRIVER_VM_VHU_BLK_H
#define STDVMM_DRIVER_VM_VHU_BLK_H

#include <stdint.h>

#include "stdvmm/backends/vhost_user.h"
#include "stdvmm/virtio_driver.h"

#define VHU_BLK_MAX_IO (64u * 1024u) /* a request's data, the channel's slot */

struct vhu_blk {
    struct vhost_user vu;
    int mem_fd, kick_fd, call_fd;
    uint8_t *mem;
    struct vdrv_queue q;
};

/* Connects to the backend's socket and starts its queue: 0, or negative (logged). */
int vhu_blk_open(struct vhu_blk *b, const char *socket);

/*
 * One request: VIRTIO_BLK_T_IN (read len bytes at sector into buf),
 * VIRTIO_BLK_T_OUT (write them), VIRTIO_BLK_T_FLUSH. 0, or negative when the
 * backend failed it or broke the protocol.
 */
int vhu_blk_io(struct vhu_blk *b, uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len);

#endif
