/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest side of stdvmm-switch: a frontend's memory as the switch maps
 * it (SET_MEM_TABLE) and split virtqueues of virtio-net in that memory.
 * Everything in there is the guest's to change at any moment, so guest
 * memory is reached only through swmem_gpa()/swmem_uva(), which return a
 * pointer only when the whole range lies inside one mapped region; each
 * descriptor is copied out once and only the copy is used; a chain may
 * visit at most the queue size of descriptors; readable buffers only on
 * transmit, writable only on receive; no indirect descriptors (not
 * offered). A violation stops the queue (logged once) until the
 * frontend starts it again.
 */
#ifndef STDVMM_SWITCH_VRING_H
#define STDVMM_SWITCH_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost_user_req.h"

#define SW_VRING_MAX 1024u
#define SW_NET_HDR 12u      /* virtio_net_hdr with num_buffers (VERSION_1) */
#define SW_FRAME_MAX 65550u /* without offloads a guest sends at most its MTU; bound anyway */
#define SW_CHAIN_MAX_SEGS 64u

struct swmem_region {
    uint64_t gpa, size, uva;
    uint8_t *host; /* the region's first byte in this process */
    void *map;     /* what mmap returned, and its length */
    size_t map_len;
};

struct swmem {
    struct swmem_region r[VHOST_USER_MAX_REGIONS];
    unsigned count;
};

void *swmem_gpa(const struct swmem *m, uint64_t gpa, uint64_t len);
void *swmem_uva(const struct swmem *m, uint64_t uva, uint64_t len);

struct sw_vring {
    uint32_t num; /* 0: not set */
    uint64_t desc_uva, avail_uva, used_uva;
    bool have_addr;
    uint16_t last_avail, used_idx;
    bool enabled, started, broken;
    int kick_fd, call_fd;
    /* Resolved by sw_vring_resolve() for the current memory table. */
    uint8_t *desc, *avail, *used;
};

/* A popped chain: its head and its buffers (already checked to be in guest memory). */
struct sw_chain {
    uint16_t head;
    unsigned segs;
    struct {
        uint8_t *p;
        uint32_t len;
    } seg[SW_CHAIN_MAX_SEGS];
    uint64_t total;
};

/* Rings inside memory: false (and logged) when they are not. */
bool sw_vring_resolve(struct sw_vring *v, const struct swmem *m, const char *what);
/*
 * The next chain, all buffers writable (receive) or all readable
 * (transmit). 1: got one; 0: none available; <0: the guest broke the
 * queue (now broken).
 */
int sw_vring_pop(struct sw_vring *v, const struct swmem *m, bool writable, struct sw_chain *c,
                 const char *what);
/* Gives back the last n popped chains that were not used (receive: no room for a frame). */
void sw_vring_unpop(struct sw_vring *v, unsigned n);
void sw_vring_push(struct sw_vring *v, uint16_t head, uint32_t len);
/* Signals the call eventfd unless the driver asked for no interrupts. */
void sw_vring_notify(struct sw_vring *v);

/* Transmit: the frame of one chain, without its virtio-net header; its length or -1. */
long sw_chain_read_frame(const struct sw_chain *c, uint8_t *frame, size_t cap);
/*
 * Receive: writes frame into the receive queue v (MRG_RXBUF when mrg),
 * using as many chains as it needs. 1: delivered; 0: no room (dropped);
 * <0: the queue broke.
 */
int sw_vring_deliver(struct sw_vring *v, const struct swmem *m, bool mrg, const uint8_t *frame,
                     size_t len, const char *what);

#endif
