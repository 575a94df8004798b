/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-user from the backend's side (stdvmm-switch): the frontend's
 * requests as they arrive on the socket, checked and decoded, and the
 * replies a backend sends. The frontend is another process, possibly a
 * hostile or broken one, so the header, the exact payload size of each
 * request, the number of descriptors that came with it and the memory
 * table's arithmetic are all checked here before the backend acts
 * (tests/unit/backends/test_vhost_user_req.c, tests/fuzz/fuzz_vhost_user_req.c).
 */
#ifndef STDVMM_BACKENDS_VHOST_USER_REQ_H
#define STDVMM_BACKENDS_VHOST_USER_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost_user_msg.h"

/* Requests a backend may see besides those of enum vhu_request. */
#define VHU_SET_LOG_BASE 6u
#define VHU_SET_LOG_FD 7u
#define VHU_SET_VRING_ERR 14u
#define VHU_SEND_RARP 19u
#define VHU_NET_SET_MTU 20u

#define VHU_REQ_MAX_FDS VHOST_USER_MAX_REGIONS

/* A frontend's memory region as SET_MEM_TABLE describes it (the fd comes separately). */
struct vhu_req_region {
    uint64_t guest_phys_addr, size, user_addr, mmap_offset;
};

struct vhu_req {
    uint32_t request;
    bool need_reply;
    union {
        uint64_t u64; /* features, protocol features, MTU, RARP MAC */
        struct {
            uint32_t index, num;
        } state; /* SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE */
        struct {
            uint32_t index, flags;
            uint64_t desc, used, avail, log;
        } addr; /* SET_VRING_ADDR: the frontend's user addresses */
        struct {
            uint32_t index;
            bool nofd; /* polling asked for: no eventfd came */
        } vring_fd;    /* SET_VRING_KICK/CALL/ERR */
        struct {
            uint32_t count;
            struct vhu_req_region r[VHOST_USER_MAX_REGIONS];
        } mem; /* SET_MEM_TABLE, one fd per region */
    } u;
};

/*
 * Decodes one request: buf holds len bytes (the header and its payload,
 * exactly), nfds descriptors came with it. 0, or -STDVMM_EPROTO for
 * anything out of protocol (version, reply flag, size, descriptor count,
 * region arithmetic), or -STDVMM_ENOTSUP for a request this backend does
 * not know (the header was fine: the caller may answer it and go on).
 */
int vhu_req_decode(const uint8_t *buf, size_t len, unsigned nfds, struct vhu_req *r);
/* The payload size a request's header must announce; -1: variable or unknown. */
int vhu_req_payload_size(uint32_t request);
/* A reply to request carrying size payload bytes; returns the bytes to send. */
size_t vhu_req_reply(uint32_t request, const void *payload, uint32_t size, uint8_t *out,
                     size_t cap);

#endif
