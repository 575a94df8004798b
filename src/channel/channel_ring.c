/* SPDX-License-Identifier: BSD-2-Clause */
#include "channel_ring.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

void channel_ring_open(struct channel_ring *r, void *shm, uint32_t entries, uint32_t index)
{
    r->shm = shm;
    r->entries = entries;
    r->index = index;
}

int channel_ring_push(struct channel_ring *r, const struct channel_desc *d, bool *was_empty)
{
    uint32_t cons = atomic_load_explicit(&r->shm->cons, memory_order_acquire);
    uint32_t used = r->index - cons; /* modulo 2^32: right across the wrap */

    if (used > r->entries) {
        LOG_WARN("ring consumer index %u is %u behind producer index %u, ring of %u: "
                 "the peer broke the protocol",
                 (unsigned)cons, (unsigned)used, (unsigned)r->index, (unsigned)r->entries);
        return -STDVMM_EPROTO;
    }
    if (used == r->entries)
        return -STDVMM_EAGAIN;
    /* The acquire load of cons above orders the consumer's last read of
     * this entry before our write of it. */
    memcpy(&r->shm->desc[r->index & (r->entries - 1)], d, sizeof(*d));
    r->index++;
    atomic_store_explicit(&r->shm->prod, r->index, memory_order_release);
    /* Store prod, then load cons; the consumer stores cons, then loads
     * prod (channel_ring_pop). The two full fences make at least one side
     * see the other's store: either we see it idle and ring the doorbell,
     * or it sees the new entry before going to sleep. */
    atomic_thread_fence(memory_order_seq_cst);
    cons = atomic_load_explicit(&r->shm->cons, memory_order_relaxed);
    *was_empty = cons == r->index - 1;
    return 0;
}

int channel_ring_pop(struct channel_ring *r, struct channel_desc *d)
{
    atomic_thread_fence(memory_order_seq_cst); /* see channel_ring_push */
    uint32_t prod = atomic_load_explicit(&r->shm->prod, memory_order_acquire);
    uint32_t avail = prod - r->index;

    if (avail == 0)
        return 0;
    if (avail > r->entries) {
        LOG_WARN("ring producer index %u is %u ahead of consumer index %u, ring of %u: "
                 "the peer broke the protocol",
                 (unsigned)prod, (unsigned)avail, (unsigned)r->index, (unsigned)r->entries);
        return -STDVMM_EPROTO;
    }
    memcpy(d, &r->shm->desc[r->index & (r->entries - 1)], sizeof(*d));
    r->index++;
    /* Release: our copy of the entry is complete before the producer may reuse it. */
    atomic_store_explicit(&r->shm->cons, r->index, memory_order_release);
    return 1;
}
