/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/channel_front.h"

#include <string.h>

#include "channel_ring.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

enum { SLOT_FREE, SLOT_HELD, SLOT_SUBMITTED, SLOT_ANSWERED };

int channel_front_init(struct channel_front *f, void *shm, size_t size,
                       const struct channel_geometry *g)
{
    struct channel_shm_header h;

    if (channel_layout(g, &h) < 0)
        return -STDVMM_EINVAL;
    if (shm == NULL || ((uintptr_t)shm & 7) != 0 || size < h.total_size) {
        LOG_ERR("channel needs %u bytes of 8-byte aligned shared memory, got %zu at %p",
                (unsigned)h.total_size, size, shm);
        return -STDVMM_EINVAL;
    }
    uint8_t *base = shm;
    memset(base, 0, h.data); /* header and rings; slots are written before each use */
    struct channel_ring_shm *req = (struct channel_ring_shm *)(base + h.req_ring);
    struct channel_ring_shm *resp = (struct channel_ring_shm *)(base + h.resp_ring);
    atomic_init(&req->prod, CHANNEL_INITIAL_INDEX);
    atomic_init(&req->cons, CHANNEL_INITIAL_INDEX);
    atomic_init(&resp->prod, CHANNEL_INITIAL_INDEX);
    atomic_init(&resp->cons, CHANNEL_INITIAL_INDEX);

    memset(f, 0, sizeof(*f));
    f->data = base + h.data;
    f->slot_size = h.slot_size;
    f->slot_count = h.slot_count;
    channel_ring_open(&f->req, req, h.req_entries, CHANNEL_INITIAL_INDEX);
    channel_ring_open(&f->resp, resp, h.resp_entries, CHANNEL_INITIAL_INDEX);
    for (uint32_t i = 0; i < h.slot_count; i++)
        f->free_slots[i] = (uint16_t)(h.slot_count - 1 - i); /* slot 0 first */
    f->free_count = h.slot_count;
    /* The header last, with a release store of its first word: a backend
     * attaching meanwhile sees no magic rather than a half-made channel. */
    h.magic = 0;
    memcpy(base, &h, sizeof(h));
    atomic_store_explicit((_Atomic uint32_t *)base, CHANNEL_MAGIC, memory_order_release);
    return 0;
}

int channel_front_get(struct channel_front *f, uint32_t *id, uint8_t **buf)
{
    if (f->free_count == 0)
        return -STDVMM_ENOSPC;
    uint32_t i = f->free_slots[--f->free_count];
    f->slots[i].state = SLOT_HELD;
    *id = i;
    *buf = f->data + (size_t)i * f->slot_size;
    return 0;
}

int channel_front_submit(struct channel_front *f, uint32_t id, enum channel_op op, uint64_t arg,
                         uint32_t len, bool *notify)
{
    *notify = false;
    if (f->broken)
        return -STDVMM_EPROTO;
    if (id >= f->slot_count || f->slots[id].state != SLOT_HELD || op == 0 ||
        (uint32_t)op > CHANNEL_OP_MAX || len > f->slot_size) {
        LOG_ERR("request %u (%s, %u bytes): not a held slot, or longer than a slot (%u)",
                (unsigned)id, channel_op_name(op), (unsigned)len, (unsigned)f->slot_size);
        return -STDVMM_EINVAL;
    }
    struct channel_desc d = {
        .id = id, .op = (uint16_t)op, .offset = id * f->slot_size, .len = len, .arg = arg};
    int rc = channel_ring_push(&f->req, &d, notify);
    if (rc == -STDVMM_EPROTO)
        f->broken = true;
    if (rc < 0)
        return rc; /* EAGAIN only from a backend that lost track of its requests */
    f->slots[id] =
        (struct channel_front_slot){.len = len, .op = (uint16_t)op, .state = SLOT_SUBMITTED};
    return 0;
}

static bool fills_buffer(uint16_t op)
{
    return op == CHANNEL_OP_NET_RX || op == CHANNEL_OP_BLK_READ || op == CHANNEL_OP_BLK_GET_ID;
}

/* Whether response d may answer our request; logs why not. */
static bool answer_ok(const struct channel_front *f, const struct channel_desc *d)
{
    if (d->id >= f->slot_count || f->slots[d->id].state != SLOT_SUBMITTED) {
        LOG_WARN("backend answered request %u, which is not in flight", (unsigned)d->id);
        return false;
    }
    const struct channel_front_slot *s = &f->slots[d->id];
    if (d->status > CHANNEL_S_MAX) {
        LOG_WARN("backend answered request %u with unknown status %u", (unsigned)d->id,
                 (unsigned)d->status);
        return false;
    }
    if (d->status != CHANNEL_S_OK || !fills_buffer(s->op))
        return true; /* no data: len is not looked at */
    /* A short read would hand the guest stale slot contents as disk data. */
    bool short_read = s->op == CHANNEL_OP_BLK_READ && d->len != s->len;
    if (d->len > s->len || short_read) {
        LOG_WARN("backend answered %s request %u with %u bytes for %u", channel_op_name(s->op),
                 (unsigned)d->id, (unsigned)d->len, (unsigned)s->len);
        return false;
    }
    return true;
}

int channel_front_poll(struct channel_front *f, struct channel_completion *c)
{
    struct channel_desc d;

    if (f->broken)
        return -STDVMM_EPROTO;
    int rc = channel_ring_pop(&f->resp, &d);
    if (rc == 0)
        return 0;
    if (rc < 0 || !answer_ok(f, &d)) {
        f->broken = true;
        return -STDVMM_EPROTO;
    }
    struct channel_front_slot *s = &f->slots[d.id];
    s->state = SLOT_ANSWERED;
    bool has_data = d.status == CHANNEL_S_OK && fills_buffer(s->op);
    *c = (struct channel_completion){
        .id = d.id,
        .op = (enum channel_op)s->op,
        .status = d.status,
        .len = has_data ? d.len : 0,
        .data = f->data + (size_t)d.id * f->slot_size,
    };
    return 1;
}

void channel_front_put(struct channel_front *f, uint32_t id)
{
    /* A slot still submitted stays out of use: the backend may yet write it. */
    if (id >= f->slot_count ||
        (f->slots[id].state != SLOT_HELD && f->slots[id].state != SLOT_ANSWERED)) {
        LOG_ERR("slot %u is not held or answered", (unsigned)id);
        return;
    }
    f->slots[id].state = SLOT_FREE;
    f->free_slots[f->free_count++] = (uint16_t)id;
}
