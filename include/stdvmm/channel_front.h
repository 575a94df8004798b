/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's end of a backend channel (channel.h): it lays out the shared
 * memory, owns the data region's slots, copies payloads into them (from
 * guest memory, through the core's checked accessor) and publishes
 * requests; it checks every response against what it asked for.
 *
 * A request's life: channel_front_get() a slot -> fill it ->
 * channel_front_submit() -> ... channel_front_poll() returns its
 * completion -> copy the answer out -> channel_front_put() the slot.
 *
 * Doorbells are the port's: when submit sets *notify, signal the backend
 * (an seL4 notification, an eventfd); wait for the backend's signal before
 * polling again once poll returns 0. A backend that breaks the protocol
 * (-STDVMM_EPROTO) has broken the channel for good: detach it.
 * One thread drives one end.
 */
#ifndef STDVMM_CHANNEL_FRONT_H
#define STDVMM_CHANNEL_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/channel.h"

struct channel_front_slot {
    uint32_t len; /* what the request carried or offered */
    uint16_t op;
    uint8_t state;
};

struct channel_front {
    uint8_t *data;
    uint32_t slot_size;
    uint32_t slot_count;
    struct channel_ring req;  /* we produce */
    struct channel_ring resp; /* we consume */
    bool broken;
    uint32_t free_count;
    uint16_t free_slots[CHANNEL_MAX_SLOTS];
    struct channel_front_slot slots[CHANNEL_MAX_SLOTS];
};

/* One answered request; data points into its slot until channel_front_put(). */
struct channel_completion {
    uint32_t id;
    enum channel_op op; /* the request's, from our own records */
    uint16_t status;    /* enum channel_status */
    uint32_t len;       /* bytes of answer in data (OK answers to NET_RX, BLK_READ, BLK_GET_ID) */
    const uint8_t *data;
};

/*
 * Formats shm (size bytes, 8-byte aligned, at least channel_shm_size(g))
 * as a channel of geometry g and takes its VMM end. 0 or -STDVMM_EINVAL.
 */
int channel_front_init(struct channel_front *f, void *shm, size_t size,
                       const struct channel_geometry *g);

/* A free slot: *id, and *buf of slot_size bytes to fill. -STDVMM_ENOSPC: all in use. */
int channel_front_get(struct channel_front *f, uint32_t *id, uint8_t **buf);

/*
 * Publishes request id (a slot from get) with op and arg; len as in enum
 * channel_op, at most slot_size. *notify: the backend may be asleep.
 * 0, -STDVMM_EINVAL (our caller's mistake), -STDVMM_EPROTO (broken).
 */
int channel_front_submit(struct channel_front *f, uint32_t id, enum channel_op op, uint64_t arg,
                         uint32_t len, bool *notify);

/*
 * The next completion: 1 and *c, 0 when there is none, or -STDVMM_EPROTO:
 * the backend answered a request that is not in flight, twice, with an
 * unknown status, or with more data than was asked for.
 */
int channel_front_poll(struct channel_front *f, struct channel_completion *c);

/* Frees slot id: a completed request, or one got and never submitted. */
void channel_front_put(struct channel_front *f, uint32_t id);

#endif
