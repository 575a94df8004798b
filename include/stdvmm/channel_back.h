/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The backend's end of a channel (channel.h): the switch PD or process,
 * the block server. Everything in the shared memory is the VMM's to
 * write, so attaching checks the header, and every request is checked
 * before it is returned: known op, id of a slot not already in flight,
 * offset and len inside the data region. A request's data pointer is
 * safe to use for len bytes; the VMM can still change those bytes, so a
 * backend that decides on their contents (the switch reading MACs) first
 * copies them out.
 *
 * Doorbells are the port's: when respond sets *notify, signal the VMM.
 * -STDVMM_EPROTO means the VMM broke the protocol: the channel is dead,
 * detach that VM. One thread drives one end.
 */
#ifndef STDVMM_CHANNEL_BACK_H
#define STDVMM_CHANNEL_BACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/channel.h"

struct channel_back {
    uint8_t *data;
    uint32_t data_size;
    uint32_t slot_count;
    struct channel_ring req;  /* we consume */
    struct channel_ring resp; /* we produce */
    bool broken;
    uint8_t busy[CHANNEL_MAX_SLOTS / 8]; /* ids popped and not yet answered */
};

/* One checked request. */
struct channel_request {
    uint32_t id;
    enum channel_op op;
    uint64_t arg;
    uint32_t len;
    uint8_t *data; /* len bytes inside the data region */
};

/*
 * Takes the backend end of the channel in shm, size bytes as mapped here.
 * 0; -STDVMM_EINVAL (shm misaligned or smaller than a header);
 * -STDVMM_EPROTO (no channel, another version, a header that does not
 * match its own geometry or the mapping, impossible ring indices); the log
 * says which.
 */
int channel_back_attach(struct channel_back *b, void *shm, size_t size);

/* The next request: 1 and *r, 0 when there is none, or -STDVMM_EPROTO. */
int channel_back_pop(struct channel_back *b, struct channel_request *r);

/*
 * Answers request id (popped, not yet answered) with status and, for an
 * OK answer that fills the buffer, len bytes already written to its data.
 * *notify: the VMM may be asleep. 0, -STDVMM_EINVAL (not in flight, our
 * caller's mistake), -STDVMM_EAGAIN (response ring full: only a VMM that
 * tampered with its index makes that happen), -STDVMM_EPROTO.
 */
int channel_back_respond(struct channel_back *b, uint32_t id, enum channel_status status,
                         uint32_t len, bool *notify);

#endif
