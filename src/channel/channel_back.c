/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/channel_back.h"

#include <string.h>

#include "channel_ring.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

static bool header_ok(const struct channel_shm_header *h, size_t size)
{
    struct channel_shm_header want;
    struct channel_geometry g = {
        .req_entries = h->req_entries,
        .resp_entries = h->resp_entries,
        .slot_size = h->slot_size,
        .slot_count = h->slot_count,
    };

    if (h->magic != CHANNEL_MAGIC) {
        LOG_ERR("no backend channel here (magic %#x, want %#x)", (unsigned)h->magic, CHANNEL_MAGIC);
        return false;
    }
    if (h->version != CHANNEL_VERSION) {
        LOG_ERR("backend channel version %u, this backend speaks version %u: run a VMM and "
                "backends from the same stdvmm release",
                (unsigned)h->version, CHANNEL_VERSION);
        return false;
    }
    /* The layout follows from the geometry: any other offset is a lie. */
    if (channel_layout(&g, &want) < 0 || memcmp(&want, h, sizeof(want)) != 0) {
        LOG_ERR("backend channel header does not match its own geometry");
        return false;
    }
    if (h->total_size > size) {
        LOG_ERR("backend channel of %u bytes in a mapping of %zu", (unsigned)h->total_size, size);
        return false;
    }
    return true;
}

/* A ring's indices as found: no more outstanding than it holds. */
static bool indices_ok(const struct channel_ring_shm *r, uint32_t entries, uint32_t *prod,
                       uint32_t *cons)
{
    *prod = atomic_load_explicit(&r->prod, memory_order_acquire);
    *cons = atomic_load_explicit(&r->cons, memory_order_acquire);
    if (*prod - *cons > entries) {
        LOG_ERR("backend channel ring with producer index %u and consumer index %u, %u entries",
                (unsigned)*prod, (unsigned)*cons, (unsigned)entries);
        return false;
    }
    return true;
}

int channel_back_attach(struct channel_back *b, void *shm, size_t size)
{
    struct channel_shm_header h;
    uint32_t prod, cons, rprod, rcons;

    memset(b, 0, sizeof(*b));
    b->broken = true;
    if (shm == NULL || ((uintptr_t)shm & 7) != 0 || size < sizeof(h)) {
        LOG_ERR("backend channel mapping of %zu bytes at %p: need 8-byte alignment and %zu bytes",
                size, shm, sizeof(h));
        return -STDVMM_EINVAL;
    }
    uint8_t *base = shm;
    /* Acquire pairs with the VMM's release of the magic: the rest is complete. */
    (void)atomic_load_explicit((_Atomic uint32_t *)base, memory_order_acquire);
    memcpy(&h, base, sizeof(h)); /* one copy, checked and kept */
    if (!header_ok(&h, size))
        return -STDVMM_EPROTO;
    struct channel_ring_shm *req = (struct channel_ring_shm *)(base + h.req_ring);
    struct channel_ring_shm *resp = (struct channel_ring_shm *)(base + h.resp_ring);
    if (!indices_ok(req, h.req_entries, &prod, &cons) ||
        !indices_ok(resp, h.resp_entries, &rprod, &rcons))
        return -STDVMM_EPROTO;
    b->data = base + h.data;
    b->data_size = h.total_size - h.data;
    b->slot_count = h.slot_count;
    channel_ring_open(&b->req, req, h.req_entries, cons);
    channel_ring_open(&b->resp, resp, h.resp_entries, rprod);
    b->broken = false;
    return 0;
}

static bool busy(const struct channel_back *b, uint32_t id)
{
    return (b->busy[id / 8] >> (id % 8)) & 1;
}

static void set_busy(struct channel_back *b, uint32_t id, bool on)
{
    if (on)
        b->busy[id / 8] |= (uint8_t)(1u << (id % 8));
    else
        b->busy[id / 8] &= (uint8_t) ~(1u << (id % 8));
}

/* Whether request d (our private copy) may be served; logs why not. */
static bool request_ok(const struct channel_back *b, const struct channel_desc *d)
{
    if (d->op == 0 || d->op > CHANNEL_OP_MAX) {
        LOG_WARN("VMM sent request %u with unknown op %u", (unsigned)d->id, (unsigned)d->op);
        return false;
    }
    if (d->id >= b->slot_count || busy(b, d->id)) {
        LOG_WARN("VMM sent %s request %u: no such slot, or already in flight",
                 channel_op_name(d->op), (unsigned)d->id);
        return false;
    }
    /* Subtraction only: offset and len are the VMM's. */
    if (d->offset > b->data_size || d->len > b->data_size - d->offset) {
        LOG_WARN("VMM sent %s request %u for %u bytes at %u, outside the %u-byte data region",
                 channel_op_name(d->op), (unsigned)d->id, (unsigned)d->len, (unsigned)d->offset,
                 (unsigned)b->data_size);
        return false;
    }
    return true;
}

int channel_back_pop(struct channel_back *b, struct channel_request *r)
{
    struct channel_desc d;

    if (b->broken)
        return -STDVMM_EPROTO;
    int rc = channel_ring_pop(&b->req, &d);
    if (rc == 0)
        return 0;
    if (rc < 0 || !request_ok(b, &d)) {
        b->broken = true;
        return -STDVMM_EPROTO;
    }
    set_busy(b, d.id, true);
    *r = (struct channel_request){.id = d.id,
                                  .op = (enum channel_op)d.op,
                                  .arg = d.arg,
                                  .len = d.len,
                                  .data = b->data + d.offset};
    return 1;
}

int channel_back_respond(struct channel_back *b, uint32_t id, enum channel_status status,
                         uint32_t len, bool *notify)
{
    *notify = false;
    if (b->broken)
        return -STDVMM_EPROTO;
    if (id >= b->slot_count || !busy(b, id) || (uint32_t)status > CHANNEL_S_MAX) {
        LOG_ERR("answer to request %u (status %u): not in flight", (unsigned)id, (unsigned)status);
        return -STDVMM_EINVAL;
    }
    struct channel_desc d = {.id = id, .status = (uint16_t)status, .len = len};
    int rc = channel_ring_push(&b->resp, &d, notify);
    if (rc == -STDVMM_EPROTO)
        b->broken = true;
    if (rc < 0)
        return rc;
    set_busy(b, id, false);
    return 0;
}
