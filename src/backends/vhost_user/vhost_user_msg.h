/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user messages as bytes: building the frontend's requests and
 * checking the backend's replies (QEMU's vhost-user specification). A reply
 * is input from another process, possibly hostile or of another protocol
 * version, so every field is checked here before the frontend uses it
 * (tests/unit/test_vhost_user_msg.c, tests/fuzz/fuzz_vhost_user.c).
 * Both ends share one host, so numbers are in its byte order.
 */
#ifndef STDVMM_BACKENDS_VHOST_USER_MSG_H
#define STDVMM_BACKENDS_VHOST_USER_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/backends/vhost_user.h"

/* A message's numbers, at any alignment, in the host's byte order. */
static inline void vhu_put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}
static inline void vhu_put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}
static inline uint32_t vhu_get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}
static inline uint64_t vhu_get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

#define VHU_HDR_SIZE 12u
#define VHU_VERSION 0x1u
#define VHU_FLAG_VERSION_MASK 0x3u
#define VHU_FLAG_REPLY 0x4u
#define VHU_FLAG_NEED_REPLY 0x8u
/* The largest payload either side sends here: a config space read (12 + 256). */
#define VHU_MAX_PAYLOAD 512u
#define VHU_CONFIG_MAX 256u
#define VHU_VRING_NOFD 0x100u /* SET_VRING_KICK/CALL: no descriptor comes with it */

enum vhu_request {
    VHU_GET_FEATURES = 1,
    VHU_SET_FEATURES = 2,
    VHU_SET_OWNER = 3,
    VHU_RESET_OWNER = 4,
    VHU_SET_MEM_TABLE = 5,
    VHU_SET_VRING_NUM = 8,
    VHU_SET_VRING_ADDR = 9,
    VHU_SET_VRING_BASE = 10,
    VHU_GET_VRING_BASE = 11,
    VHU_SET_VRING_KICK = 12,
    VHU_SET_VRING_CALL = 13,
    VHU_GET_PROTOCOL_FEATURES = 15,
    VHU_SET_PROTOCOL_FEATURES = 16,
    VHU_GET_QUEUE_NUM = 17,
    VHU_SET_VRING_ENABLE = 18,
    VHU_SET_BACKEND_REQ_FD = 21,
    VHU_IOTLB_MSG = 22,
    VHU_GET_CONFIG = 24,
};

/* What the backend sends on its own channel (F_BACKEND_REQ). */
#define VHU_BACKEND_IOTLB_MSG 1u

/*
 * struct vhost_iotlb_msg: iova, size, uaddr (u64 each), perm, type (u8),
 * padded to 32 bytes, as the kernel's and DPDK's layout.
 */
#define VHU_IOTLB_SIZE 32u
#define VHU_IOTLB_MISS 1u
#define VHU_IOTLB_UPDATE 2u
#define VHU_IOTLB_INVALIDATE 3u
#define VHU_ACCESS_RO 1u
#define VHU_ACCESS_WO 2u

struct vhu_msg {
    uint32_t request, flags, size;
    uint8_t payload[VHU_MAX_PAYLOAD];
};

/* Requests: each fills m completely (header and payload). */
void vhu_msg_plain(struct vhu_msg *m, enum vhu_request req);
void vhu_msg_u64(struct vhu_msg *m, enum vhu_request req, uint64_t value);
void vhu_msg_state(struct vhu_msg *m, enum vhu_request req, uint32_t index, uint32_t num);
void vhu_msg_addr(struct vhu_msg *m, uint32_t index, uint64_t desc, uint64_t used, uint64_t avail);
int vhu_msg_mem_table(struct vhu_msg *m, const struct vhost_user_region *r, unsigned count);
int vhu_msg_config(struct vhu_msg *m, uint32_t offset, uint32_t size);
/* VHOST_USER_IOTLB_MSG; perm in DMA_READ / DMA_WRITE (stdvmm/devices/dma.h). */
void vhu_msg_iotlb(struct vhu_msg *m, unsigned type, uint64_t iova, uint64_t size, uint64_t uaddr,
                   unsigned perm);
/* The bytes to send: the header followed by size bytes of payload. */
size_t vhu_msg_encode(const struct vhu_msg *m, uint8_t *out, size_t cap);

/*
 * Checks the header of a reply to req (version 1, the reply flag, the same
 * request, a payload that fits) and decodes it into m. len is what arrived;
 * the payload must be complete.
 */
int vhu_reply_decode(const uint8_t *buf, size_t len, enum vhu_request req, struct vhu_msg *m);
/* A reply carrying one u64 (features, queue count). */
int vhu_reply_u64(const struct vhu_msg *m, uint64_t *value);
/* GET_VRING_BASE's reply: the state of vring index. */
int vhu_reply_state(const struct vhu_msg *m, uint32_t index, uint32_t *num);
/* GET_CONFIG's reply for (offset, size): the config bytes. */
int vhu_reply_config(const struct vhu_msg *m, uint32_t offset, uint32_t size, const uint8_t **data);

/*
 * A request the backend sent on its channel: version 1, not a reply, a
 * payload that fits (len is what arrived, complete). Decoded into m.
 */
int vhu_backend_decode(const uint8_t *buf, size_t len, struct vhu_msg *m);
/* BACKEND_IOTLB_MSG of type MISS: the IOVA and the access (DMA_READ, DMA_WRITE) wanted. */
int vhu_backend_iotlb_miss(const struct vhu_msg *m, uint64_t *iova, unsigned *access);
/* The answer to a backend request that set NEED_REPLY: status 0 done, else failed. */
void vhu_msg_backend_reply(struct vhu_msg *m, uint32_t request, uint64_t status);

const char *vhu_request_name(uint32_t req);

#endif
