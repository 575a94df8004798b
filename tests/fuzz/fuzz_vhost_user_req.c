/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for what a vhost-user frontend sends a backend
 * (stdvmm-switch): the input's first byte says how many descriptors came
 * with the message, the rest is the message. A decoded request is read
 * whole through the fields the switch uses for it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vhost_user_req.h"

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct vhu_req r;
    if (vhu_req_decode(data + 1, size - 1, data[0] % (VHU_REQ_MAX_FDS + 2), &r) != 0)
        return 0;
    switch (r.request) {
    case VHU_SET_MEM_TABLE:
        for (uint32_t i = 0; i < r.u.mem.count; i++)
            sink ^= r.u.mem.r[i].guest_phys_addr + r.u.mem.r[i].size + r.u.mem.r[i].user_addr +
                    r.u.mem.r[i].mmap_offset;
        break;
    case VHU_SET_VRING_ADDR:
        sink ^= r.u.addr.desc ^ r.u.addr.used ^ r.u.addr.avail ^ r.u.addr.index;
        break;
    case VHU_SET_VRING_KICK:
    case VHU_SET_VRING_CALL:
    case VHU_SET_VRING_ERR:
        sink ^= r.u.vring_fd.index + r.u.vring_fd.nofd;
        break;
    default:
        sink ^= r.u.u64;
        break;
    }
    uint8_t out[VHU_HDR_SIZE + 8];
    uint64_t v = r.u.u64;
    sink ^= vhu_req_reply(r.request, &v, 8, out, sizeof(out));
    return 0;
}
