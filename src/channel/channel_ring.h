/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One end of one ring: a single producer or a single consumer. Each end
 * keeps its own index privately and only ever reads the peer's index from
 * shared memory, checking it against its own: a peer index claiming more
 * than `entries` outstanding entries is a protocol error, never an overrun.
 * Private to src/channel.
 */
#ifndef STDVMM_CHANNEL_RING_H
#define STDVMM_CHANNEL_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/channel.h"

void channel_ring_open(struct channel_ring *r, void *shm, uint32_t entries, uint32_t index);

/*
 * Producer: publishes *d. *was_empty: the consumer had taken everything
 * before it, so it may be asleep and needs a doorbell. 0, -STDVMM_EAGAIN
 * (full), or -STDVMM_EPROTO (the consumer's index is impossible).
 */
int channel_ring_push(struct channel_ring *r, const struct channel_desc *d, bool *was_empty);

/*
 * Consumer: copies the next entry into *d, once (the producer may rewrite
 * the shared one at any time). 1, 0 (empty), or -STDVMM_EPROTO (the
 * producer's index claims more than the ring holds).
 */
int channel_ring_pop(struct channel_ring *r, struct channel_desc *d);

#endif
