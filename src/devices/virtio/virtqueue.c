/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueue, device side. Layout in guest memory (VirtIO 1.2 §2.7):
 *   descriptor table  num x {le64 addr, le32 len, le16 flags, le16 next}, 16-byte aligned
 *   available ring    le16 flags, le16 idx, le16 ring[num], le16 used_event, 2-byte aligned
 *   used ring         le16 flags, le16 idx, {le32 id, le32 len}[num], le16 avail_event,
 *                     4-byte aligned
 * The guest owns all of it. Nothing read from it is trusted twice: a
 * descriptor is copied out, then checked, then used; ring indices are read
 * with single aligned loads so a concurrent guest write is never seen torn.
 */
#include "stdvmm/devices/virtqueue.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/virtio.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the virtqueue code reads little-endian rings with native loads"
#endif

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

void virtq_init(struct virtq *vq, const struct gmem *mem, const char *name)
{
    memset(vq, 0, sizeof(*vq));
    vq->mem = mem;
    vq->name = name ? name : "virtq";
    stdvmm_lock_init(&vq->lock);
}

void virtq_reset(struct virtq *vq)
{
    uint32_t generation = vq->generation + 1;
    const struct gmem *mem = vq->mem;
    const struct dma_space *dma = vq->dma;
    const char *name = vq->name;
    bool quiet = vq->quiet;

    /* The lock stays as it is: the caller holds it. */
    vq->num = 0;
    vq->ready = false;
    vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
    vq->event_idx = vq->indirect = false;
    vq->last_avail = vq->used_idx = vq->signalled_used = 0;
    vq->signalled_valid = false;
    vq->broken = false;
    vq->no_notify = false;
    vq->generation = generation;
    vq->quiet = quiet;
    vq->mem = mem;
    vq->dma = dma;
    vq->name = name;
}

void virtq_set_dma(struct virtq *vq, const struct dma_space *dma)
{
    vq->dma = dma;
}

void virtq_set_quiet(struct virtq *vq, bool quiet)
{
    vq->quiet = quiet;
}

/* Every guest address the queue touches comes through here: an IOVA when an IOMMU is in front. */
static void *vq_map(const struct virtq *vq, uint64_t addr, uint64_t len, unsigned access)
{
    return dma_translate(vq->dma, vq->mem, addr, len, access);
}

static uint64_t avail_size(uint16_t num)
{
    return 6 + 2ull * num;
}

static uint64_t used_size(uint16_t num)
{
    return 6 + (uint64_t)VIRTQ_USED_ELEM_SIZE * num;
}

int virtq_enable(struct virtq *vq, bool event_idx, bool indirect)
{
    uint16_t n = vq->num;

    if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)) != 0) {
        LOG_WARN("%s: queue size %u is not a power of two up to %d; queue stays off", vq->name, n,
                 VIRTQ_MAX_SIZE);
        return -STDVMM_EINVAL;
    }
    if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
        LOG_WARN("%s: misaligned rings (desc 0x%llx, avail 0x%llx, used 0x%llx); queue stays off",
                 vq->name, (unsigned long long)vq->desc_gpa, (unsigned long long)vq->avail_gpa,
                 (unsigned long long)vq->used_gpa);
        return -STDVMM_EINVAL;
    }
    if (vq_map(vq, vq->desc_gpa, (uint64_t)n * VIRTQ_DESC_SIZE, DMA_READ) == NULL ||
        vq_map(vq, vq->avail_gpa, avail_size(n), DMA_READ) == NULL ||
        vq_map(vq, vq->used_gpa, used_size(n), DMA_READ | DMA_WRITE) == NULL) {
        LOG_WARN("%s: rings (desc 0x%llx, avail 0x%llx, used 0x%llx, size %u) lie outside guest "
                 "RAM; queue stays off",
                 vq->name, (unsigned long long)vq->desc_gpa, (unsigned long long)vq->avail_gpa,
                 (unsigned long long)vq->used_gpa, n);
        return -STDVMM_EFAULT;
    }
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail = vq->used_idx = vq->signalled_used = 0;
    vq->signalled_valid = false;
    vq->broken = false;
    vq->no_notify = false; /* the driver hands the used ring over zeroed */
    vq->ready = true;
    return 0;
}

void virtq_chain_init(struct virtq_chain *c, struct virtq_seg *segs, uint16_t cap)
{
    memset(c, 0, sizeof(*c));
    c->segs = segs;
    c->cap = cap;
}

/* Ring indices: one aligned 16-bit load or store, never torn by a concurrent guest access. */
static bool load_u16(const struct virtq *vq, uint64_t gpa, uint16_t *out)
{
    const uint8_t *p = vq_map(vq, gpa, 2, DMA_READ);

    if (p == NULL)
        return false;
    if (((uintptr_t)p & 1) == 0)
        *out = *(const volatile uint16_t *)(const void *)p;
    else
        *out = virtio_le16(p); /* only test harnesses map RAM at odd host addresses */
    return true;
}

static bool store_u16(const struct virtq *vq, uint64_t gpa, uint16_t v)
{
    uint8_t *p = vq_map(vq, gpa, 2, DMA_WRITE);

    if (p == NULL)
        return false;
    if (((uintptr_t)p & 1) == 0)
        *(volatile uint16_t *)(void *)p = v;
    else
        virtio_put_le16(p, v);
    return true;
}

/* Logs the first problem of a queue and stops it; later pops fail quietly. */
static int broken(struct virtq *vq, const char *what, uint64_t a, uint64_t b)
{
    if (!vq->broken)
        LOG_WARN("%s: malformed guest request: %s (0x%llx, 0x%llx); the device needs a reset",
                 vq->name, what, (unsigned long long)a, (unsigned long long)b);
    vq->broken = true;
    return -STDVMM_EIO;
}

static bool read_desc(const struct virtq *vq, uint64_t table, uint32_t i, struct desc *d)
{
    uint8_t raw[VIRTQ_DESC_SIZE];
    /* table + 16 * i cannot wrap: i < 65536 and the table was checked or translated whole. */
    const uint8_t *p = vq_map(vq, table + (uint64_t)i * VIRTQ_DESC_SIZE, sizeof(raw), DMA_READ);
    if (p == NULL)
        return false;
    memcpy(raw, p, sizeof(raw));
    d->addr = virtio_le64(raw);
    d->len = virtio_le32(raw + 8);
    d->flags = virtio_le16(raw + 12);
    d->next = virtio_le16(raw + 14);
    return true;
}

static int add_segment(struct virtq *vq, struct virtq_chain *c, const struct desc *d)
{
    if (d->len == 0)
        return 0; /* nothing to translate or use */
    if (c->out_count + c->in_count >= c->cap)
        return broken(vq, "chain has more buffers than the device accepts", c->head, c->cap);
    unsigned access = (d->flags & VIRTQ_DESC_F_WRITE) ? DMA_WRITE : DMA_READ;
    uint8_t *host = vq_map(vq, d->addr, d->len, access);
    if (host == NULL)
        return broken(vq, "buffer outside guest RAM", d->addr, d->len);
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        c->in_count++;
        c->in_bytes += d->len;
    } else {
        if (c->in_count != 0)
            return broken(vq, "readable buffer after a writable one", c->head, d->addr);
        c->out_count++;
        c->out_bytes += d->len;
    }
    c->segs[c->out_count + c->in_count - 1] = (struct virtq_seg){.host = host, .len = d->len};
    return 0;
}

/*
 * Follows a chain from head. A chain in the descriptor table can visit at
 * most num descriptors and one in an indirect table at most its length, so
 * counting visits catches every loop without remembering where we were.
 */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
    uint64_t table = vq->desc_gpa;
    uint32_t table_len = vq->num;
    uint32_t visited = 0;
    bool in_indirect = false;
    uint32_t i = head;
    struct desc d;

    c->head = head;
    c->generation = vq->generation;
    c->out_count = c->in_count = 0;
    c->out_bytes = c->in_bytes = 0;
    if (head >= vq->num)
        return broken(vq, "head descriptor index beyond the queue", head, vq->num);
    for (;;) {
        if (!read_desc(vq, table, i, &d))
            return broken(vq, "descriptor table outside guest RAM", table, i);
        if (++visited > table_len)
            return broken(vq, "descriptor chain loops or is longer than its table", head,
                          table_len);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return broken(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC", head, i);
            if (in_indirect)
                return broken(vq, "indirect descriptor inside an indirect table", head, i);
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return broken(vq, "indirect descriptor with NEXT set", head, i);
            if (d.len == 0 || d.len % VIRTQ_DESC_SIZE != 0 ||
                d.len / VIRTQ_DESC_SIZE > VIRTQ_MAX_INDIRECT)
                return broken(vq, "indirect table length", d.addr, d.len);
            if (vq_map(vq, d.addr, d.len, DMA_READ) == NULL)
                return broken(vq, "indirect table outside guest RAM", d.addr, d.len);
            in_indirect = true;
            table = d.addr;
            table_len = d.len / VIRTQ_DESC_SIZE;
            visited = 0;
            i = 0;
            continue;
        }
        int r = add_segment(vq, c, &d);
        if (r < 0)
            return r;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= table_len)
            return broken(vq, "next descriptor index beyond its table", d.next, table_len);
        i = d.next;
    }
}

static uint64_t avail_idx_gpa(const struct virtq *vq)
{
    return vq->avail_gpa + 2;
}

static uint64_t used_event_gpa(const struct virtq *vq)
{
    return vq->avail_gpa + 4 + 2ull * vq->num;
}

static uint64_t avail_event_gpa(const struct virtq *vq)
{
    return vq->used_gpa + 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * vq->num;
}

/* How many chains the driver has made available; -1 when the ring is unreadable or nonsense. */
static int pending(struct virtq *vq)
{
    uint16_t idx;

    if (!load_u16(vq, avail_idx_gpa(vq), &idx))
        return broken(vq, "available ring outside guest RAM", vq->avail_gpa, vq->num);
    uint16_t n = (uint16_t)(idx - vq->last_avail);
    if (n > vq->num)
        return broken(vq, "available index runs more than a queue ahead", idx, vq->last_avail);
    return n;
}

/*
 * Tells the driver whether to notify when it adds the chain at last_avail
 * (VirtIO 1.2 §2.7.10). With EVENT_IDX "no" is last_avail - 1: the driver
 * publishes only indices at or past last_avail, so it never crosses it.
 * Without EVENT_IDX only a quiet queue touches the flag.
 */
static bool want_notify(struct virtq *vq, bool want)
{
    if (vq->event_idx)
        return store_u16(vq, avail_event_gpa(vq),
                         want ? vq->last_avail : (uint16_t)(vq->last_avail - 1));
    if (!vq->quiet || vq->no_notify == !want)
        return true;
    vq->no_notify = !want;
    return store_u16(vq, vq->used_gpa, want ? 0 : VIRTQ_USED_F_NO_NOTIFY);
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
    if (!vq->ready)
        return 0;
    if (vq->broken)
        return -STDVMM_EIO;
    int n = pending(vq);
    if (n == 0 && (vq->event_idx || vq->quiet)) {
        /*
         * Ask to be notified from here on, then look again: the driver may
         * have added a chain before it could see the request.
         */
        if (!want_notify(vq, true))
            return broken(vq, "used ring outside guest RAM", vq->used_gpa, vq->num);
        atomic_thread_fence(memory_order_seq_cst);
        n = pending(vq);
    }
    if (n <= 0)
        return n;
    /* The ring entry and the descriptors were written before idx: read them after it. */
    atomic_thread_fence(memory_order_acquire);
    uint16_t head;
    if (!load_u16(vq, vq->avail_gpa + 4 + 2ull * (vq->last_avail % vq->num), &head))
        return broken(vq, "available ring outside guest RAM", vq->avail_gpa, vq->num);
    vq->last_avail++;
    /* A queue drained on every notification wants the next one; a quiet one does not yet. */
    if (!want_notify(vq, !vq->quiet))
        return broken(vq, "used ring outside guest RAM", vq->used_gpa, vq->num);
    int r = walk_chain(vq, head, c);
    return r < 0 ? r : 1;
}

void virtq_unpop(struct virtq *vq, uint32_t generation, uint16_t n)
{
    if (!vq->ready || vq->broken || generation != vq->generation)
        return;
    /*
     * avail_event stays where the last pop left it. After a pop that found
     * the ring empty that is the driver's current index, which is what a
     * device short of buffers wants: a notification when more come. Moving
     * it back to the rewound position would ask for one the driver has
     * already passed, and it would never come.
     */
    vq->last_avail = (uint16_t)(vq->last_avail - n);
}

void virtq_push(struct virtq *vq, const struct virtq_chain *c, uint32_t len)
{
    uint8_t elem[VIRTQ_USED_ELEM_SIZE];

    if (!vq->ready || vq->broken || c->generation != vq->generation)
        return; /* the driver reset the queue while the request was in flight */
    if (len > c->in_bytes)
        len = (uint32_t)c->in_bytes;
    virtio_put_le32(elem, c->head);
    virtio_put_le32(elem + 4, len);
    uint64_t slot = vq->used_gpa + 4 + (uint64_t)VIRTQ_USED_ELEM_SIZE * (vq->used_idx % vq->num);
    uint8_t *p = vq_map(vq, slot, sizeof(elem), DMA_WRITE);
    if (p == NULL) {
        broken(vq, "used ring outside guest RAM", vq->used_gpa, vq->num);
        return;
    }
    memcpy(p, elem, sizeof(elem));
    /* The element must be visible before the index that hands it over. */
    atomic_thread_fence(memory_order_release);
    vq->used_idx++;
    if (!store_u16(vq, vq->used_gpa + 2, vq->used_idx))
        broken(vq, "used ring outside guest RAM", vq->used_gpa, vq->num);
}

bool virtq_should_notify(struct virtq *vq)
{
    uint16_t v;

    if (!vq->ready || vq->broken)
        return false;
    /* Our used index store must be ordered before reading the driver's wishes. */
    atomic_thread_fence(memory_order_seq_cst);
    if (!vq->event_idx) {
        if (!load_u16(vq, vq->avail_gpa, &v))
            return false;
        return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    uint16_t old = vq->signalled_used;
    uint16_t now = vq->used_idx;
    bool valid = vq->signalled_valid;
    vq->signalled_used = now;
    vq->signalled_valid = true;
    if (!valid)
        return true;
    if (!load_u16(vq, used_event_gpa(vq), &v))
        return false;
    /* vring_need_event(): did used_idx pass used_event since the last interrupt? */
    return (uint16_t)(now - v - 1) < (uint16_t)(now - old);
}

uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst, uint64_t len)
{
    uint8_t *out = dst;
    uint64_t done = 0;

    for (uint16_t i = 0; i < c->out_count && done < len; i++) {
        const struct virtq_seg *s = &c->segs[i];
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        uint64_t n = s->len - offset;
        if (n > len - done)
            n = len - done;
        memcpy(out + done, s->host + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset, const void *src,
                           uint64_t len)
{
    const uint8_t *in = src;
    uint64_t done = 0;

    for (uint16_t i = 0; i < c->in_count && done < len; i++) {
        const struct virtq_seg *s = &c->segs[c->out_count + i];
        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        uint64_t n = s->len - offset;
        if (n > len - done)
            n = len - done;
        memcpy(s->host + offset, in + done, n);
        done += n;
        offset = 0;
    }
    return done;
}
