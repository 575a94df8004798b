/* SPDX-License-Identifier: BSD-2-Clause */
#include "vhost_user_msg.h"

#include <string.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

const char *vhu_request_name(uint32_t req)
{
    switch (req) {
    case VHU_GET_FEATURES:
        return "GET_FEATURES";
    case VHU_SET_FEATURES:
        return "SET_FEATURES";
    case VHU_SET_OWNER:
        return "SET_OWNER";
    case VHU_RESET_OWNER:
        return "RESET_OWNER";
    case VHU_SET_MEM_TABLE:
        return "SET_MEM_TABLE";
    case VHU_SET_VRING_NUM:
        return "SET_VRING_NUM";
    case VHU_SET_VRING_ADDR:
        return "SET_VRING_ADDR";
    case VHU_SET_VRING_BASE:
        return "SET_VRING_BASE";
    case VHU_GET_VRING_BASE:
        return "GET_VRING_BASE";
    case VHU_SET_VRING_KICK:
        return "SET_VRING_KICK";
    case VHU_SET_VRING_CALL:
        return "SET_VRING_CALL";
    case VHU_GET_PROTOCOL_FEATURES:
        return "GET_PROTOCOL_FEATURES";
    case VHU_SET_PROTOCOL_FEATURES:
        return "SET_PROTOCOL_FEATURES";
    case VHU_GET_QUEUE_NUM:
        return "GET_QUEUE_NUM";
    case VHU_SET_VRING_ENABLE:
        return "SET_VRING_ENABLE";
    case VHU_SET_BACKEND_REQ_FD:
        return "SET_BACKEND_REQ_FD";
    case VHU_IOTLB_MSG:
        return "IOTLB_MSG";
    case VHU_GET_CONFIG:
        return "GET_CONFIG";
    default:
        return "an unknown request";
    }
}

void vhu_msg_plain(struct vhu_msg *m, enum vhu_request req)
{
    memset(m, 0, sizeof(*m));
    m->request = req;
    m->flags = VHU_VERSION;
}

void vhu_msg_u64(struct vhu_msg *m, enum vhu_request req, uint64_t value)
{
    vhu_msg_plain(m, req);
    vhu_put64(m->payload, value);
    m->size = 8;
}

void vhu_msg_state(struct vhu_msg *m, enum vhu_request req, uint32_t index, uint32_t num)
{
    vhu_msg_plain(m, req);
    vhu_put32(m->payload, index);
    vhu_put32(m->payload + 4, num);
    m->size = 8;
}

/* struct vhost_vring_addr: index, flags, then descriptor, used, available and log addresses. */
void vhu_msg_addr(struct vhu_msg *m, uint32_t index, uint64_t desc, uint64_t used, uint64_t avail)
{
    vhu_msg_plain(m, VHU_SET_VRING_ADDR);
    vhu_put32(m->payload, index);
    vhu_put32(m->payload + 4, 0); /* no dirty logging */
    vhu_put64(m->payload + 8, desc);
    vhu_put64(m->payload + 16, used);
    vhu_put64(m->payload + 24, avail);
    vhu_put64(m->payload + 32, 0);
    m->size = 40;
}

/* u32 count, u32 padding, then per region: guest address, size, user address, mmap offset. */
int vhu_msg_mem_table(struct vhu_msg *m, const struct vhost_user_region *r, unsigned count)
{
    if (count == 0 || count > VHOST_USER_MAX_REGIONS) {
        LOG_ERR("vhost-user: %u memory regions; the protocol carries 1 to %u", count,
                VHOST_USER_MAX_REGIONS);
        return -STDVMM_EINVAL;
    }
    vhu_msg_plain(m, VHU_SET_MEM_TABLE);
    vhu_put32(m->payload, count);
    for (unsigned i = 0; i < count; i++) {
        uint8_t *p = m->payload + 8 + 32 * i;
        vhu_put64(p, r[i].guest_phys_addr);
        vhu_put64(p + 8, r[i].size);
        vhu_put64(p + 16, r[i].user_addr);
        vhu_put64(p + 24, r[i].mmap_offset);
    }
    m->size = 8 + 32 * count;
    return 0;
}

/* u32 offset, u32 size, u32 flags, then size bytes (zero in the request). */
int vhu_msg_config(struct vhu_msg *m, uint32_t offset, uint32_t size)
{
    if (size == 0 || size > VHU_CONFIG_MAX || offset > VHU_CONFIG_MAX - size) {
        LOG_ERR("vhost-user: config space bytes %u..%u: the protocol carries up to %u", offset,
                offset + size, VHU_CONFIG_MAX);
        return -STDVMM_EINVAL;
    }
    vhu_msg_plain(m, VHU_GET_CONFIG);
    vhu_put32(m->payload, offset);
    vhu_put32(m->payload + 4, size);
    m->size = 12 + size;
    return 0;
}

void vhu_msg_iotlb(struct vhu_msg *m, unsigned type, uint64_t iova, uint64_t size, uint64_t uaddr,
                   unsigned perm)
{
    vhu_msg_plain(m, VHU_IOTLB_MSG);
    vhu_put64(m->payload, iova);
    vhu_put64(m->payload + 8, size);
    vhu_put64(m->payload + 16, uaddr);
    m->payload[24] = (uint8_t)(((perm & DMA_READ) ? VHU_ACCESS_RO : 0) |
                               ((perm & DMA_WRITE) ? VHU_ACCESS_WO : 0));
    m->payload[25] = (uint8_t)type;
    m->size = VHU_IOTLB_SIZE;
}

size_t vhu_msg_encode(const struct vhu_msg *m, uint8_t *out, size_t cap)
{
    if (m->size > VHU_MAX_PAYLOAD || cap < VHU_HDR_SIZE + m->size)
        return 0;
    vhu_put32(out, m->request);
    vhu_put32(out + 4, m->flags);
    vhu_put32(out + 8, m->size);
    memcpy(out + VHU_HDR_SIZE, m->payload, m->size);
    return VHU_HDR_SIZE + m->size;
}

/* A message whose header was checked: its payload must be all there and fit; then m is it. */
static int fill(const uint8_t *buf, size_t len, const char *what, const char *name,
                struct vhu_msg *m)
{
    uint32_t size = vhu_get32(buf + 8);
    if (size > VHU_MAX_PAYLOAD || len - VHU_HDR_SIZE != size) {
        LOG_ERR("vhost-user: %s %s says %u payload bytes, %zu came (at most %u)", what, name, size,
                len - VHU_HDR_SIZE, VHU_MAX_PAYLOAD);
        return -STDVMM_EPROTO;
    }
    memset(m, 0, sizeof(*m));
    m->request = vhu_get32(buf);
    m->flags = vhu_get32(buf + 4);
    m->size = size;
    memcpy(m->payload, buf + VHU_HDR_SIZE, size);
    return 0;
}

int vhu_reply_decode(const uint8_t *buf, size_t len, enum vhu_request req, struct vhu_msg *m)
{
    if (len < VHU_HDR_SIZE) {
        LOG_ERR("vhost-user: reply to %s: %zu bytes, shorter than a header", vhu_request_name(req),
                len);
        return -STDVMM_EPROTO;
    }
    uint32_t request = vhu_get32(buf), flags = vhu_get32(buf + 4);
    if ((flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION) {
        LOG_ERR("vhost-user: reply to %s is protocol version %u; this frontend speaks %u",
                vhu_request_name(req), flags & VHU_FLAG_VERSION_MASK, VHU_VERSION);
        return -STDVMM_EPROTO;
    }
    if (!(flags & VHU_FLAG_REPLY) || request != (uint32_t)req) {
        LOG_ERR("vhost-user: waiting for the reply to %s, got %s%s", vhu_request_name(req),
                (flags & VHU_FLAG_REPLY) ? "a reply to " : "a request ", vhu_request_name(request));
        return -STDVMM_EPROTO;
    }
    return fill(buf, len, "reply to", vhu_request_name(req), m);
}

int vhu_reply_u64(const struct vhu_msg *m, uint64_t *value)
{
    if (m->size != 8) {
        LOG_ERR("vhost-user: reply to %s has %u payload bytes, want 8",
                vhu_request_name(m->request), m->size);
        return -STDVMM_EPROTO;
    }
    *value = vhu_get64(m->payload);
    return 0;
}

int vhu_reply_state(const struct vhu_msg *m, uint32_t index, uint32_t *num)
{
    if (m->size != 8 || vhu_get32(m->payload) != index) {
        LOG_ERR("vhost-user: reply to %s is not the state of vring %u",
                vhu_request_name(m->request), index);
        return -STDVMM_EPROTO;
    }
    *num = vhu_get32(m->payload + 4);
    return 0;
}

int vhu_reply_config(const struct vhu_msg *m, uint32_t offset, uint32_t size, const uint8_t **data)
{
    if (m->size != 12 + size || vhu_get32(m->payload) != offset ||
        vhu_get32(m->payload + 4) != size) {
        LOG_ERR("vhost-user: reply to GET_CONFIG is not config bytes %u..%u", offset,
                offset + size);
        return -STDVMM_EPROTO;
    }
    *data = m->payload + 12;
    return 0;
}

int vhu_backend_decode(const uint8_t *buf, size_t len, struct vhu_msg *m)
{
    if (len < VHU_HDR_SIZE) {
        LOG_ERR("vhost-user: backend request of %zu bytes, shorter than a header", len);
        return -STDVMM_EPROTO;
    }
    uint32_t request = vhu_get32(buf), flags = vhu_get32(buf + 4);
    if ((flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION || (flags & VHU_FLAG_REPLY)) {
        LOG_ERR("vhost-user: backend request %u with flags 0x%x: not a version %u request", request,
                flags, VHU_VERSION);
        return -STDVMM_EPROTO;
    }
    return fill(buf, len, "backend request", vhu_request_name(request), m);
}

int vhu_backend_iotlb_miss(const struct vhu_msg *m, uint64_t *iova, unsigned *access)
{
    /* The two u8 after the three u64; the padding after them is not required. */
    if (m->request != VHU_BACKEND_IOTLB_MSG || m->size < 26 || m->payload[25] != VHU_IOTLB_MISS) {
        LOG_ERR("vhost-user: backend request %u (%u bytes) is not an IOTLB miss", m->request,
                m->size);
        return -STDVMM_EPROTO;
    }
    uint8_t perm = m->payload[24];
    if (perm == 0 || (perm & ~(VHU_ACCESS_RO | VHU_ACCESS_WO)) != 0) {
        LOG_ERR("vhost-user: IOTLB miss with permission 0x%x", perm);
        return -STDVMM_EPROTO;
    }
    *iova = vhu_get64(m->payload);
    *access = ((perm & VHU_ACCESS_RO) ? DMA_READ : 0) | ((perm & VHU_ACCESS_WO) ? DMA_WRITE : 0);
    return 0;
}

void vhu_msg_backend_reply(struct vhu_msg *m, uint32_t request, uint64_t status)
{
    memset(m, 0, sizeof(*m));
    m->request = request;
    m->flags = VHU_VERSION | VHU_FLAG_REPLY;
    vhu_put64(m->payload, status);
    m->size = 8;
}
