/* SPDX-License-Identifier: BSD-2-Clause */
#include "vhost_user_req.h"

#include <string.h>

#include "stdvmm/error.h"

int vhu_req_payload_size(uint32_t request)
{
    switch (request) {
    case VHU_GET_FEATURES:
    case VHU_SET_OWNER:
    case VHU_RESET_OWNER:
    case VHU_GET_PROTOCOL_FEATURES:
    case VHU_GET_QUEUE_NUM:
        return 0;
    case VHU_SET_FEATURES:
    case VHU_SET_PROTOCOL_FEATURES:
    case VHU_SET_VRING_KICK:
    case VHU_SET_VRING_CALL:
    case VHU_SET_VRING_ERR:
    case VHU_SEND_RARP:
    case VHU_NET_SET_MTU:
        return 8;
    case VHU_SET_VRING_NUM:
    case VHU_SET_VRING_BASE:
    case VHU_GET_VRING_BASE:
    case VHU_SET_VRING_ENABLE:
        return 8;
    case VHU_SET_VRING_ADDR:
        return 40;
    default:
        return -1; /* SET_MEM_TABLE: by its count; others unknown */
    }
}

/* The region must be usable as [gpa, gpa+size), [uaddr, uaddr+size), [off, off+size) in its fd. */
static bool region_ok(const struct vhu_req_region *r)
{
    return r->size != 0 && r->guest_phys_addr + r->size > r->guest_phys_addr &&
           r->user_addr + r->size > r->user_addr && r->mmap_offset + r->size > r->mmap_offset;
}

static int decode_mem(const uint8_t *p, uint32_t size, unsigned nfds, struct vhu_req *r)
{
    if (size < 8)
        return -STDVMM_EPROTO;
    uint32_t count = vhu_get32(p);
    if (count == 0 || count > VHOST_USER_MAX_REGIONS || size != 8 + 32 * count || nfds != count)
        return -STDVMM_EPROTO;
    r->u.mem.count = count;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *q = p + 8 + 32 * i;
        struct vhu_req_region *g = &r->u.mem.r[i];
        *g = (struct vhu_req_region){vhu_get64(q), vhu_get64(q + 8), vhu_get64(q + 16),
                                     vhu_get64(q + 24)};
        if (!region_ok(g))
            return -STDVMM_EPROTO;
        /* Overlapping guest ranges would make a guest address mean two things. */
        for (uint32_t j = 0; j < i; j++) {
            const struct vhu_req_region *o = &r->u.mem.r[j];
            if (g->guest_phys_addr < o->guest_phys_addr + o->size &&
                o->guest_phys_addr < g->guest_phys_addr + g->size)
                return -STDVMM_EPROTO;
        }
    }
    return 0;
}

int vhu_req_decode(const uint8_t *buf, size_t len, unsigned nfds, struct vhu_req *r)
{
    memset(r, 0, sizeof(*r));
    if (len < VHU_HDR_SIZE)
        return -STDVMM_EPROTO;
    uint32_t request = vhu_get32(buf), flags = vhu_get32(buf + 4), size = vhu_get32(buf + 8);
    const uint8_t *p = buf + VHU_HDR_SIZE;
    if ((flags & VHU_FLAG_VERSION_MASK) != VHU_VERSION || (flags & VHU_FLAG_REPLY) != 0 ||
        size > VHU_MAX_PAYLOAD || len != VHU_HDR_SIZE + (size_t)size)
        return -STDVMM_EPROTO;
    r->request = request;
    r->need_reply = (flags & VHU_FLAG_NEED_REPLY) != 0;
    if (request == VHU_SET_MEM_TABLE)
        return decode_mem(p, size, nfds, r);
    int want = vhu_req_payload_size(request);
    if (want < 0)
        return -STDVMM_ENOTSUP;
    if (size != (uint32_t)want)
        return -STDVMM_EPROTO;
    switch (request) {
    case VHU_SET_VRING_KICK:
    case VHU_SET_VRING_CALL:
    case VHU_SET_VRING_ERR: {
        uint64_t v = vhu_get64(p);
        /* Bits 0-7: the ring; bit 8: no descriptor; the rest must be zero. */
        if ((v & ~(uint64_t)(0xffu | VHU_VRING_NOFD)) != 0)
            return -STDVMM_EPROTO;
        r->u.vring_fd.index = (uint32_t)(v & 0xffu);
        r->u.vring_fd.nofd = (v & VHU_VRING_NOFD) != 0;
        return nfds == (r->u.vring_fd.nofd ? 0u : 1u) ? 0 : -STDVMM_EPROTO;
    }
    case VHU_SET_VRING_NUM:
    case VHU_SET_VRING_BASE:
    case VHU_GET_VRING_BASE:
    case VHU_SET_VRING_ENABLE:
        r->u.state.index = vhu_get32(p);
        r->u.state.num = vhu_get32(p + 4);
        break;
    case VHU_SET_VRING_ADDR:
        r->u.addr.index = vhu_get32(p);
        r->u.addr.flags = vhu_get32(p + 4);
        r->u.addr.desc = vhu_get64(p + 8);
        r->u.addr.used = vhu_get64(p + 16);
        r->u.addr.avail = vhu_get64(p + 24);
        r->u.addr.log = vhu_get64(p + 32);
        break;
    default:
        if (size == 8)
            r->u.u64 = vhu_get64(p);
        break;
    }
    /* Only the requests above carry descriptors. */
    return nfds == 0 ? 0 : -STDVMM_EPROTO;
}

size_t vhu_req_reply(uint32_t request, const void *payload, uint32_t size, uint8_t *out, size_t cap)
{
    uint32_t flags = VHU_VERSION | VHU_FLAG_REPLY;
    if (size > VHU_MAX_PAYLOAD || cap < VHU_HDR_SIZE + (size_t)size)
        return 0;
    memcpy(out, &request, 4);
    memcpy(out + 4, &flags, 4);
    memcpy(out + 8, &size, 4);
    if (size != 0)
        memcpy(out + VHU_HDR_SIZE, payload, size);
    return VHU_HDR_SIZE + (size_t)size;
}
