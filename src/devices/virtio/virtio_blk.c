/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk request parsing and bookkeeping. A request is a chain of
 *   readable:  struct virtio_blk_outhdr {le32 type; le32 ioprio; le64 sector}
 *              [data for OUT, or discard/write-zeroes segments]
 *   writable:  [data for IN and GET_ID] u8 status
 * and the spec lets the driver split or merge those pieces across
 * descriptors as it likes, so the parser works on byte offsets, not on
 * descriptor boundaries. The header is copied out before it is checked.
 */
#include "stdvmm/devices/virtio_blk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* parse() result meaning "valid: hand it to the backend". */
#define SUBMIT 0xff

/* Offsets in struct virtio_blk_config. */
#define CFG_CAPACITY 0x00
#define CFG_SIZE_MAX 0x08
#define CFG_SEG_MAX 0x0c
#define CFG_NUM_QUEUES 0x22
#define CFG_MAX_DISCARD_SECTORS 0x24
#define CFG_MAX_DISCARD_SEG 0x28
#define CFG_DISCARD_ALIGNMENT 0x2c
#define CFG_MAX_WZ_SECTORS 0x30
#define CFG_MAX_WZ_SEG 0x34
#define CFG_WZ_MAY_UNMAP 0x38

static void blk_config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_blk *d = dev;
    virtio_config_copy(d->config, sizeof(d->config), offset, data, len);
}

static void blk_reset(void *dev)
{
    struct virtio_blk *d = dev;
    /* The worker owns the requests: it drains them when it next runs. */
    atomic_store(&d->reset_pending, true);
    virtio_dev_kick(&d->vdev);
}

static void blk_notify(void *dev)
{
    virtio_blk_process(dev);
}

static const struct virtio_device_ops blk_ops = {
    .config_read = blk_config_read, .reset = blk_reset, .notify = blk_notify};

static void build_config(struct virtio_blk *d)
{
    uint8_t *c = d->config;

    memset(c, 0, sizeof(d->config));
    virtio_put_le64(c + CFG_CAPACITY, d->sectors);
    virtio_put_le32(c + CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
    virtio_put_le32(c + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    virtio_put_le16(c + CFG_NUM_QUEUES, 1);
    if (d->discard) {
        virtio_put_le32(c + CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
        /* One range per request keeps each request one backend operation. */
        virtio_put_le32(c + CFG_MAX_DISCARD_SEG, 1);
        /* 4 KiB: what file systems allocate in, so holes line up with their blocks. */
        virtio_put_le32(c + CFG_DISCARD_ALIGNMENT, 8);
        virtio_put_le32(c + CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_DISCARD_SECTORS);
        virtio_put_le32(c + CFG_MAX_WZ_SEG, 1);
        c[CFG_WZ_MAY_UNMAP] = 1;
    }
}

int virtio_blk_init(struct virtio_blk *d, const struct virtio_blk_config *cfg)
{
    if (cfg->backend.submit == NULL) {
        LOG_ERR("virtio-blk %s: no backend", cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    if (!rate_limiter_config_valid(&cfg->limit)) {
        LOG_ERR("virtio-blk %s: a rate limit needs a size and a refill time (at most an hour)",
                cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    bool limited = rate_limiter_config_active(&cfg->limit);
    if (limited && (cfg->backend.now_ns == NULL || cfg->backend.retry_after == NULL)) {
        LOG_ERR("virtio-blk %s: this backend cannot rate-limit (no timer)",
                cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_ENOTSUP;
    }
    /* Slots are 16-bit and index free_slots[]: a bound keeps both sane. */
    if (cfg->reqs == NULL || cfg->max_reqs == 0 || cfg->max_reqs > VIRTIO_BLK_QUEUE_SIZE ||
        cfg->reqs_size < VIRTIO_BLK_REQS_BYTES(cfg->max_reqs)) {
        LOG_ERR("virtio-blk %s: no room for its requests (%u requests of %zu bytes in %zu bytes; "
                "1 to %d requests)",
                cfg->slot.name ? cfg->slot.name : "?", cfg->max_reqs, sizeof(struct virtio_blk_req),
                cfg->reqs == NULL ? (size_t)0 : cfg->reqs_size, VIRTIO_BLK_QUEUE_SIZE);
        return -STDVMM_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    atomic_init(&d->reset_pending, false);
    d->reqs = cfg->reqs;
    d->max_reqs = (uint16_t)cfg->max_reqs;
    d->backend = cfg->backend;
    d->limited = limited;
    if (limited)
        rate_limiter_init(&d->limiter, &cfg->limit, d->backend.now_ns(d->backend.ctx));
    d->sectors = cfg->capacity / VIRTIO_BLK_SECTOR_SIZE;
    d->readonly = cfg->readonly;
    d->discard = cfg->discard && !cfg->readonly;
    if (cfg->serial != NULL) {
        size_t n = strlen(cfg->serial);
        memcpy(d->serial, cfg->serial, n < sizeof(d->serial) ? n : sizeof(d->serial));
    }
    build_config(d);
    for (uint16_t i = 0; i < d->max_reqs; i++)
        d->free_slots[i] = (uint16_t)(d->max_reqs - 1 - i);
    d->free_count = d->max_reqs;

    uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
                        VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
    if (d->readonly)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
    if (d->discard)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
    struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_BLOCK,
        .features = features,
        .num_queues = 1,
        .queue_max = VIRTIO_BLK_QUEUE_SIZE,
        .config_size = sizeof(d->config),
        .ops = &blk_ops,
        .dev = d,
    };
    return virtio_dev_init(&d->vdev, &t);
}

unsigned virtio_blk_inflight(const struct virtio_blk *d)
{
    /* A request the rate limiter holds has not reached the backend. */
    return d->max_reqs - d->free_count - (d->held != NULL ? 1u : 0u);
}

uint64_t virtio_blk_throttled(const struct virtio_blk *d)
{
    return d->limiter.throttled;
}

static void warn_once(struct virtio_blk *d, const char *what, uint64_t a, uint64_t b)
{
    if (d->warned)
        return;
    d->warned = true;
    LOG_WARN("virtio-blk %s: %s (0x%llx, 0x%llx); failing the request (warning once)",
             d->vdev.cfg.slot.name, what, (unsigned long long)a, (unsigned long long)b);
}

/* The readable bytes after the header, as data segments. */
static uint16_t out_data(struct virtio_blk_req *r)
{
    const struct virtq_chain *c = &r->chain;
    uint64_t skip = VIRTIO_BLK_HDR_SIZE;
    uint16_t n = 0;

    for (uint16_t i = 0; i < c->out_count; i++) {
        const struct virtq_seg *s = &c->segs[i];
        if (skip >= s->len) {
            skip -= s->len;
            continue;
        }
        r->data[n++] = (struct virtq_seg){.host = s->host + skip, .len = (uint32_t)(s->len - skip)};
        skip = 0;
    }
    return n;
}

/* The writable bytes before the status byte, as data segments. */
static uint16_t in_data(struct virtio_blk_req *r)
{
    const struct virtq_chain *c = &r->chain;
    uint16_t n = 0;

    for (uint16_t i = 0; i < c->in_count; i++) {
        struct virtq_seg s = c->segs[c->out_count + i];
        if (i == c->in_count - 1)
            s.len--; /* the status byte */
        if (s.len != 0)
            r->data[n++] = s;
    }
    return n;
}

static bool in_range(const struct virtio_blk *d, uint64_t sector, uint64_t count)
{
    /* Subtractions only: sector and count are the guest's. */
    return sector <= d->sectors && count <= d->sectors - sector;
}

static uint8_t parse_rw(struct virtio_blk *d, struct virtio_blk_req *r, uint32_t type,
                        uint64_t sector)
{
    const struct virtq_chain *c = &r->chain;
    bool is_read = type == VIRTIO_BLK_T_IN;
    uint64_t len = is_read ? c->in_bytes - 1 : c->out_bytes - VIRTIO_BLK_HDR_SIZE;

    if (!is_read && d->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (len > VIRTIO_BLK_MAX_REQUEST) {
        warn_once(d, "request larger than 1 GiB", sector, len);
        return VIRTIO_BLK_S_IOERR;
    }
    if (len % VIRTIO_BLK_SECTOR_SIZE != 0) {
        warn_once(d, "data length is not a multiple of 512", sector, len);
        return VIRTIO_BLK_S_IOERR;
    }
    if (!in_range(d, sector, len / VIRTIO_BLK_SECTOR_SIZE)) {
        warn_once(d, "sector range past the end of the disk", sector, len);
        return VIRTIO_BLK_S_IOERR;
    }
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    r->io.op = is_read ? VIRTIO_BLK_OP_READ : VIRTIO_BLK_OP_WRITE;
    r->io.offset = sector * VIRTIO_BLK_SECTOR_SIZE;
    r->io.len = len;
    r->io.segs = r->data;
    r->io.seg_count = is_read ? in_data(r) : out_data(r);
    r->io.write_through = !is_read && !virtio_dev_has_feature(&d->vdev, VIRTIO_BLK_F_FLUSH);
    r->reply = is_read ? (uint32_t)len : 0;
    return SUBMIT;
}

/* DISCARD and WRITE_ZEROES carry {le64 sector; le32 num_sectors; le32 flags} ranges. */
static uint8_t parse_discard(struct virtio_blk *d, struct virtio_blk_req *r, uint32_t type)
{
    const struct virtq_chain *c = &r->chain;
    uint8_t seg[VIRTIO_BLK_DISCARD_SEG_SIZE];
    bool zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;

    if (!d->discard)
        return d->readonly ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_UNSUPP;
    if (c->out_bytes - VIRTIO_BLK_HDR_SIZE != VIRTIO_BLK_DISCARD_SEG_SIZE)
        return VIRTIO_BLK_S_UNSUPP; /* we announced one range per request */
    virtq_chain_read(c, VIRTIO_BLK_HDR_SIZE, seg, sizeof(seg));
    uint64_t sector = virtio_le64(seg);
    uint32_t count = virtio_le32(seg + 8);
    uint32_t flags = virtio_le32(seg + 12);
    if ((flags & ~VIRTIO_BLK_WZ_FLAG_UNMAP) != 0 || (!zeroes && flags != 0))
        return VIRTIO_BLK_S_UNSUPP;
    if (count > VIRTIO_BLK_MAX_DISCARD_SECTORS || !in_range(d, sector, count)) {
        warn_once(d, "discard range past the end of the disk or too long", sector, count);
        return VIRTIO_BLK_S_IOERR;
    }
    if (count == 0)
        return VIRTIO_BLK_S_OK;
    r->io.op = zeroes ? VIRTIO_BLK_OP_WRITE_ZEROES : VIRTIO_BLK_OP_DISCARD;
    r->io.offset = sector * VIRTIO_BLK_SECTOR_SIZE;
    r->io.len = (uint64_t)count * VIRTIO_BLK_SECTOR_SIZE;
    r->io.may_unmap = zeroes && (flags & VIRTIO_BLK_WZ_FLAG_UNMAP);
    return SUBMIT;
}

static uint8_t parse_get_id(struct virtio_blk *d, struct virtio_blk_req *r)
{
    uint64_t room = r->chain.in_bytes - 1;
    uint32_t n = room < VIRTIO_BLK_ID_BYTES ? (uint32_t)room : VIRTIO_BLK_ID_BYTES;

    r->reply = (uint32_t)virtq_chain_write(&r->chain, 0, d->serial, n);
    return VIRTIO_BLK_S_OK;
}

/* Checks a popped request; SUBMIT or the status to answer with at once. */
static uint8_t parse(struct virtio_blk *d, struct virtio_blk_req *r)
{
    const struct virtq_chain *c = &r->chain;
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE];

    if (c->out_bytes < VIRTIO_BLK_HDR_SIZE) {
        warn_once(d, "request without a complete header", c->head, c->out_bytes);
        return VIRTIO_BLK_S_IOERR;
    }
    virtq_chain_read(c, 0, hdr, sizeof(hdr));
    uint32_t type = virtio_le32(hdr);
    uint64_t sector = virtio_le64(hdr + 8);

    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: return parse_rw(d, r, type, sector);
    case VIRTIO_BLK_T_FLUSH:
        if (d->readonly)
            return VIRTIO_BLK_S_OK; /* nothing this device wrote can be pending */
        r->io.op = VIRTIO_BLK_OP_FLUSH;
        r->io.offset = r->io.len = 0;
        return SUBMIT;
    case VIRTIO_BLK_T_GET_ID: return parse_get_id(d, r);
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: return parse_discard(d, r, type);
    default: return VIRTIO_BLK_S_UNSUPP;
    }
}

static void release(struct virtio_blk *d, struct virtio_blk_req *r)
{
    d->free_slots[d->free_count++] = (uint16_t)(r - d->reqs);
}

/* Answers a request; the interrupt waits for virtio_blk_flush(), so a batch costs one. */
static void finish(struct virtio_blk *d, struct virtio_blk_req *r, uint8_t status)
{
    /* A request from before a reset: its buffers may be the guest's for something else now. */
    if (virtio_dev_chain_store(&d->vdev, 0, &r->chain, r->status, &status, 1)) {
        uint32_t len = (status == VIRTIO_BLK_S_OK ? r->reply : 0) + 1;
        virtio_dev_push_nosignal(&d->vdev, 0, &r->chain, len);
        d->unsignalled = true;
    }
    release(d, r);
}

/* True while the requests of a reset driver session are still with the backend. */
static bool draining(struct virtio_blk *d)
{
    if (!atomic_load(&d->reset_pending))
        return false;
    if (virtio_blk_inflight(d) > 0)
        return true;
    atomic_store(&d->reset_pending, false);
    return false;
}

void virtio_blk_flush(struct virtio_blk *d)
{
    if (!d->unsignalled)
        return;
    d->unsignalled = false;
    virtio_dev_signal(&d->vdev, 0);
}

/*
 * Hands a parsed request to the backend, or holds it while the rate limiter
 * says wait; false when held.
 */
static bool submit(struct virtio_blk *d, struct virtio_blk_req *r)
{
    if (d->limited) {
        uint64_t bytes =
            r->io.op == VIRTIO_BLK_OP_READ || r->io.op == VIRTIO_BLK_OP_WRITE ? r->io.len : 0;
        uint64_t wait = rate_limiter_take(&d->limiter, d->backend.now_ns(d->backend.ctx), bytes);
        if (wait != 0) {
            if (!d->told_limited)
                LOG_INFO("virtio-blk %s: rate limit reached, requests wait (said once)",
                         d->vdev.cfg.slot.name);
            d->told_limited = true;
            d->held = r;
            d->backend.retry_after(d->backend.ctx, wait);
            return false;
        }
    }
    if (d->backend.submit(d->backend.ctx, &r->io) < 0)
        finish(d, r, VIRTIO_BLK_S_IOERR);
    return true;
}

void virtio_blk_process(struct virtio_blk *d)
{
    d->processing = true;
    if (d->held != NULL) {
        struct virtio_blk_req *r = d->held;
        d->held = NULL;
        if (atomic_load(&d->reset_pending))
            release(d, r); /* the driver that made it is gone: drop it unanswered */
        else if (!submit(d, r))
            goto out;
    }
    for (;;) {
        if (draining(d))
            break; /* the last completion calls us again */
        if (d->free_count == 0) {
            d->starved = true; /* a completion frees a slot and calls us again */
            break;
        }
        struct virtio_blk_req *r = &d->reqs[d->free_slots[--d->free_count]];
        virtq_chain_init(&r->chain, r->segs, VIRTIO_BLK_MAX_SEGS);
        if (virtio_dev_pop(&d->vdev, 0, &r->chain) <= 0) {
            release(d, r);
            break;
        }
        memset(&r->io, 0, sizeof(r->io));
        r->io.slot = (uint16_t)(r - d->reqs);
        r->reply = 0;
        if (r->chain.in_count == 0) {
            /* No byte to put a status in: return it unanswered rather than guess. */
            warn_once(d, "request without a writable status byte", r->chain.head, 0);
            virtio_dev_push_nosignal(&d->vdev, 0, &r->chain, 0);
            d->unsignalled = true;
            release(d, r);
            continue;
        }
        const struct virtq_seg *last = &r->chain.segs[r->chain.out_count + r->chain.in_count - 1];
        r->status = last->host + last->len - 1;
        uint8_t status = parse(d, r);
        if (status != SUBMIT) {
            finish(d, r, status);
            continue;
        }
        if (!submit(d, r))
            break; /* the backend's retry_after() calls us again */
    }
out:
    if (d->backend.flush_batch != NULL)
        d->backend.flush_batch(d->backend.ctx);
    d->processing = false;
    virtio_blk_flush(d);
}

void virtio_blk_complete(struct virtio_blk *d, struct virtio_blk_io *io, int result)
{
    if (io->slot >= d->max_reqs || &d->reqs[io->slot].io != io) {
        LOG_ERR("virtio-blk %s: backend completed an unknown request", d->vdev.cfg.slot.name);
        return;
    }
    struct virtio_blk_req *r = &d->reqs[io->slot];
    uint8_t status = VIRTIO_BLK_S_OK;
    if (result == -STDVMM_ENOTSUP)
        status = VIRTIO_BLK_S_UNSUPP;
    else if (result < 0)
        status = VIRTIO_BLK_S_IOERR;
    finish(d, r, status);
    if (d->processing)
        return;
    if (d->starved || (atomic_load(&d->reset_pending) && virtio_blk_inflight(d) == 0)) {
        d->starved = false;
        virtio_blk_process(d);
    }
}
