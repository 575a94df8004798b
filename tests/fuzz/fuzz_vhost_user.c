/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for what a vhost-user backend sends the frontend: the
 * input's first byte picks the request the frontend waits on (and, for
 * the accessors, the ring or config bytes it asked for); the rest arrives
 * as the reply. Every decoded reply goes through the accessor the frontend
 * uses for that request, so an accepted reply is read whole. One more
 * selector value stands for the backend's own channel (F_BACKEND_REQ): the
 * rest is a request from it, decoded as the IOTLB miss the frontend reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vhost_user_msg.h"

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum vhu_request reqs[] = {VHU_GET_FEATURES,  VHU_GET_PROTOCOL_FEATURES,
                                            VHU_GET_QUEUE_NUM, VHU_GET_VRING_BASE,
                                            VHU_GET_CONFIG,    VHU_SET_MEM_TABLE};
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    struct vhu_msg m;
    const unsigned nreqs = sizeof(reqs) / sizeof(reqs[0]);
    if (sel % (nreqs + 1) == nreqs) {
        uint64_t iova;
        unsigned access;
        if (vhu_backend_decode(data + 1, size - 1, &m) == 0 &&
            vhu_backend_iotlb_miss(&m, &iova, &access) == 0)
            sink ^= (uint8_t)(iova ^ access);
        return 0;
    }
    enum vhu_request req = reqs[sel % nreqs];
    if (vhu_reply_decode(data + 1, size - 1, req, &m) < 0)
        return 0;
    uint64_t v;
    uint32_t num;
    const uint8_t *cfg;
    uint32_t cfg_size = (uint32_t)(sel >> 3) + 1; /* 1..32 bytes asked for */
    switch (req) {
    case VHU_GET_VRING_BASE:
        if (vhu_reply_state(&m, sel >> 4, &num) == 0)
            sink ^= (uint8_t)num;
        break;
    case VHU_GET_CONFIG:
        if (vhu_reply_config(&m, 0, cfg_size, &cfg) == 0) {
            for (uint32_t i = 0; i < cfg_size; i++)
                sink ^= cfg[i];
        }
        break;
    default:
        if (vhu_reply_u64(&m, &v) == 0)
            sink ^= (uint8_t)v;
        break;
    }
    return 0;
}
