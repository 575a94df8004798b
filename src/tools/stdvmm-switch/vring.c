/* SPDX-License-Identifier: BSD-2-Clause */
#include "vring.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "stdvmm/log.h"

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define AVAIL_F_NO_INTERRUPT 1u

static void *in_region(const struct swmem_region *r, uint64_t base, uint64_t addr, uint64_t len)
{
    /* addr - base < size and len <= size - (addr - base): no overflow either way. */
    if (addr < base || addr - base >= r->size || len > r->size - (addr - base))
        return NULL;
    return r->host + (addr - base);
}

void *swmem_gpa(const struct swmem *m, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < m->count; i++) {
        void *p = in_region(&m->r[i], m->r[i].gpa, gpa, len);
        if (p != NULL)
            return p;
    }
    return NULL;
}

void *swmem_uva(const struct swmem *m, uint64_t uva, uint64_t len)
{
    for (unsigned i = 0; i < m->count; i++) {
        void *p = in_region(&m->r[i], m->r[i].uva, uva, len);
        if (p != NULL)
            return p;
    }
    return NULL;
}

/* Ring indices are 16-bit fields the guest writes concurrently: one aligned access each. */
static uint16_t load16(const uint8_t *p)
{
    return atomic_load_explicit((const _Atomic uint16_t *)(const void *)p, memory_order_acquire);
}

static void store16(uint8_t *p, uint16_t v)
{
    atomic_store_explicit((_Atomic uint16_t *)(void *)p, v, memory_order_release);
}

static void broke(struct sw_vring *v, const char *what, const char *why)
{
    if (!v->broken)
        LOG_ERR("%s: %s; the queue stops until the frontend starts it again", what, why);
    v->broken = true;
}

bool sw_vring_resolve(struct sw_vring *v, const struct swmem *m, const char *what)
{
    v->desc = v->avail = v->used = NULL;
    if (v->num == 0 || !v->have_addr)
        return false;
    /* 2-byte alignment for the indices' atomic accesses; the spec asks for more. */
    if ((v->desc_uva & 15) != 0 || (v->avail_uva & 1) != 0 || (v->used_uva & 3) != 0) {
        broke(v, what, "ring addresses are misaligned");
        return false;
    }
    v->desc = swmem_uva(m, v->desc_uva, 16ull * v->num);
    v->avail = swmem_uva(m, v->avail_uva, 6 + 2ull * v->num);
    v->used = swmem_uva(m, v->used_uva, 6 + 8ull * v->num);
    if (v->desc == NULL || v->avail == NULL || v->used == NULL) {
        v->desc = v->avail = v->used = NULL;
        broke(v, what, "rings are not inside the memory table");
        return false;
    }
    return true;
}

int sw_vring_pop(struct sw_vring *v, const struct swmem *m, bool writable, struct sw_chain *c,
                 const char *what)
{
    if (!v->started || v->broken || v->desc == NULL)
        return 0;
    uint16_t avail_idx = load16(v->avail + 2);
    if (avail_idx == v->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - v->last_avail) > v->num) {
        broke(v, what, "the available index ran more than a queue ahead");
        return -1;
    }
    uint16_t head = load16(v->avail + 4 + 2 * (v->last_avail % v->num));
    if (head >= v->num) {
        broke(v, what, "a chain's head is outside the descriptor table");
        return -1;
    }
    c->head = head;
    c->segs = 0;
    c->total = 0;
    uint16_t i = head;
    for (uint32_t visited = 0;; visited++) {
        if (visited >= v->num) {
            broke(v, what, "a descriptor chain loops");
            return -1;
        }
        uint8_t d[16];
        memcpy(d, v->desc + 16u * i, sizeof(d)); /* one copy: the guest may change it */
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        memcpy(&addr, d, 8);
        memcpy(&len, d + 8, 4);
        memcpy(&flags, d + 12, 2);
        memcpy(&next, d + 14, 2);
        if (flags & DESC_F_INDIRECT) {
            broke(v, what, "an indirect descriptor (not negotiated)");
            return -1;
        }
        if (((flags & DESC_F_WRITE) != 0) != writable) {
            broke(v, what,
                  writable ? "a read-only buffer in a receive chain"
                           : "a writable buffer in a transmit chain");
            return -1;
        }
        if (len != 0) {
            uint8_t *p = swmem_gpa(m, addr, len);
            if (p == NULL) {
                broke(v, what, "a buffer outside guest memory");
                return -1;
            }
            if (c->segs == SW_CHAIN_MAX_SEGS) {
                broke(v, what, "a chain of too many buffers");
                return -1;
            }
            c->seg[c->segs].p = p;
            c->seg[c->segs].len = len;
            c->segs++;
            c->total += len;
        }
        if (!(flags & DESC_F_NEXT))
            break;
        if (next >= v->num) {
            broke(v, what, "a descriptor's next is outside the table");
            return -1;
        }
        i = next;
    }
    v->last_avail++;
    return 1;
}

void sw_vring_unpop(struct sw_vring *v, unsigned n)
{
    v->last_avail = (uint16_t)(v->last_avail - n);
}

void sw_vring_push(struct sw_vring *v, uint16_t head, uint32_t len)
{
    uint8_t *e = v->used + 4 + 8 * (v->used_idx % v->num);
    uint32_t id = head;
    memcpy(e, &id, 4);
    memcpy(e + 4, &len, 4);
    v->used_idx++;
    store16(v->used + 2, v->used_idx); /* release: the entry is visible first */
}

void sw_vring_notify(struct sw_vring *v)
{
    if (v->avail == NULL || v->call_fd < 0)
        return;
    atomic_thread_fence(memory_order_seq_cst);
    if (load16(v->avail) & AVAIL_F_NO_INTERRUPT)
        return;
    uint64_t one = 1;
    if (write(v->call_fd, &one, sizeof(one)) < 0) {
        /* The counter is full: the frontend has an interrupt pending anyway. */
    }
}

long sw_chain_read_frame(const struct sw_chain *c, uint8_t *frame, size_t cap)
{
    uint64_t skip = SW_NET_HDR;
    size_t len = 0;
    if (c->total < SW_NET_HDR || c->total - SW_NET_HDR > cap)
        return -1;
    for (unsigned s = 0; s < c->segs; s++) {
        uint32_t n = c->seg[s].len;
        const uint8_t *p = c->seg[s].p;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        p += skip;
        n -= (uint32_t)skip;
        skip = 0;
        memcpy(frame + len, p, n);
        len += n;
    }
    return (long)len;
}

/* Copies src into the chain's buffers from byte offset off on; returns the bytes written. */
static size_t chain_write(const struct sw_chain *c, size_t off, const uint8_t *src, size_t n)
{
    size_t done = 0;
    for (unsigned s = 0; s < c->segs && done < n; s++) {
        size_t sl = c->seg[s].len;
        if (off >= sl) {
            off -= sl;
            continue;
        }
        size_t k = sl - off < n - done ? sl - off : n - done;
        memcpy(c->seg[s].p + off, src + done, k);
        done += k;
        off = 0;
    }
    return done;
}

int sw_vring_deliver(struct sw_vring *v, const struct swmem *m, bool mrg, const uint8_t *frame,
                     size_t len, const char *what)
{
    static struct sw_chain chains[SW_CHAIN_MAX_SEGS];
    uint64_t need = SW_NET_HDR + len, have = 0;
    unsigned n = 0;

    if (!v->started || v->broken || v->desc == NULL)
        return 0;
    /* Enough buffers first, so that a frame is delivered whole or not at all. */
    while (have < need) {
        if (n == (mrg ? SW_CHAIN_MAX_SEGS : 1u)) {
            sw_vring_unpop(v, n);
            return 0;
        }
        int r = sw_vring_pop(v, m, true, &chains[n], what);
        if (r < 0)
            return r;
        if (r == 0) {
            sw_vring_unpop(v, n);
            return 0;
        }
        have += chains[n].total;
        n++;
    }
    uint8_t hdr[SW_NET_HDR] = {0};
    uint16_t buffers = (uint16_t)n;
    memcpy(hdr + 10, &buffers, 2); /* num_buffers; the rest: no checksum, no GSO */
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t w = 0;
        if (i == 0)
            w = chain_write(&chains[0], 0, hdr, SW_NET_HDR);
        size_t room = chains[i].total - w;
        size_t k = len - off < room ? len - off : room;
        w += chain_write(&chains[i], w, frame + off, k);
        off += k;
        sw_vring_push(v, chains[i].head, (uint32_t)w);
    }
    return 1;
}
