/* SPDX-License-Identifier: BSD-2-Clause */
/* A virtio-vsock packet header as a guest driver writes one (VirtIO 1.2 §5.10.6), for tests. */
#ifndef STDVMM_TEST_VSOCK_PACKET_H
#define STDVMM_TEST_VSOCK_PACKET_H

#include <stdint.h>
#include <string.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtio_vsock.h"

static inline void td_vsock_hdr(uint8_t *h, uint64_t src_cid, uint64_t dst_cid, uint32_t src_port,
                                uint32_t dst_port, uint32_t len, uint16_t type, uint16_t op,
                                uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt)
{
    memset(h, 0, VIRTIO_VSOCK_HDR_SIZE);
    virtio_put_le64(h, src_cid);
    virtio_put_le64(h + 8, dst_cid);
    virtio_put_le32(h + 16, src_port);
    virtio_put_le32(h + 20, dst_port);
    virtio_put_le32(h + 24, len);
    virtio_put_le16(h + 28, type);
    virtio_put_le16(h + 30, op);
    virtio_put_le32(h + 32, flags);
    virtio_put_le32(h + 36, buf_alloc);
    virtio_put_le32(h + 40, fwd_cnt);
}

#endif
