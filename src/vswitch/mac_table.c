/* SPDX-License-Identifier: BSD-2-Clause */
#include "mac_table.h"

#include <string.h>

#include "stdvmm/error.h"

static uint32_t hash(const struct vswitch *sw, const struct vswitch_mac *mac)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < VSWITCH_ETH_ALEN; i++)
        v = (v << 8) | mac->b[i];
    /* Fibonacci hashing: the top bits of the product mix every input bit,
     * so MACs that differ only in their last byte (the usual case) spread. */
    v *= 0x9e3779b97f4a7c15ull;
    return (uint32_t)(v >> 32) & (sw->slots - 1);
}

static bool same_mac(const struct vswitch_mac *a, const struct vswitch_mac *b)
{
    return memcmp(a->b, b->b, VSWITCH_ETH_ALEN) == 0;
}

int32_t vswitch_mt_find(const struct vswitch *sw, const struct vswitch_mac *mac)
{
    uint32_t mask = sw->slots - 1;
    uint32_t i = hash(sw, mac);

    /* At most max_entries < slots are used, so an empty slot ends every probe. */
    for (;; i = (i + 1) & mask) {
        const struct vswitch_entry *e = &sw->table[i];
        if (e->state == VSWITCH_MT_EMPTY)
            return -1;
        if (same_mac(&e->mac, mac))
            return (int32_t)i;
    }
}

bool vswitch_mt_expired(const struct vswitch *sw, const struct vswitch_entry *e, uint64_t now)
{
    /* A clock that went backwards makes an entry young, never old. */
    return e->state == VSWITCH_MT_LEARNED && now > e->last_seen && now - e->last_seen > sw->max_age;
}

void vswitch_mt_delete(struct vswitch *sw, uint32_t idx)
{
    uint32_t mask = sw->slots - 1;
    uint32_t hole = idx;

    /* Backward shift: move each later entry of the probe run into the hole
     * when its home slot does not lie cyclically between hole and itself. */
    for (uint32_t j = (idx + 1) & mask;; j = (j + 1) & mask) {
        struct vswitch_entry *e = &sw->table[j];
        if (e->state == VSWITCH_MT_EMPTY)
            break;
        uint32_t home = hash(sw, &e->mac);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        sw->table[hole] = *e;
        hole = j;
    }
    memset(&sw->table[hole], 0, sizeof(sw->table[hole]));
    sw->count--;
}

static int32_t oldest_learned(const struct vswitch *sw)
{
    int32_t best = -1;

    for (uint32_t i = 0; i < sw->slots; i++) {
        const struct vswitch_entry *e = &sw->table[i];
        if (e->state == VSWITCH_MT_LEARNED &&
            (best < 0 || e->last_seen < sw->table[best].last_seen))
            best = (int32_t)i;
    }
    return best;
}

int32_t vswitch_mt_insert(struct vswitch *sw, const struct vswitch_mac *mac, unsigned port,
                          uint8_t state, uint64_t now)
{
    uint32_t mask = sw->slots - 1;

    if (sw->count >= sw->max_entries) {
        int32_t victim = oldest_learned(sw);
        if (victim < 0)
            return -STDVMM_ENOSPC;
        vswitch_mt_delete(sw, (uint32_t)victim);
        sw->stats.evicted++;
    }
    uint32_t i = hash(sw, mac);
    while (sw->table[i].state != VSWITCH_MT_EMPTY)
        i = (i + 1) & mask;
    sw->table[i] = (struct vswitch_entry){
        .last_seen = now, .mac = *mac, .port = (uint8_t)port, .state = state};
    sw->count++;
    return (int32_t)i;
}

/* Deletes the entries drop() picks. A deletion shifts a later entry into
 * slot i, so i is looked at again before moving on; entries only ever move
 * towards the start of their run, so none is skipped. */
static uint32_t delete_if(struct vswitch *sw,
                          bool (*drop)(const struct vswitch *sw, const struct vswitch_entry *e,
                                       uint64_t arg),
                          uint64_t arg)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < sw->slots;) {
        const struct vswitch_entry *e = &sw->table[i];
        if (e->state != VSWITCH_MT_EMPTY && drop(sw, e, arg)) {
            vswitch_mt_delete(sw, i);
            n++;
            continue;
        }
        i++;
    }
    return n;
}

static bool on_port(const struct vswitch *sw, const struct vswitch_entry *e, uint64_t port)
{
    return e->port == port;
}

static bool expired(const struct vswitch *sw, const struct vswitch_entry *e, uint64_t now)
{
    return vswitch_mt_expired(sw, e, now);
}

void vswitch_mt_forget_port(struct vswitch *sw, unsigned port)
{
    delete_if(sw, on_port, port);
}

uint32_t vswitch_mt_age(struct vswitch *sw, uint64_t now)
{
    uint32_t n = delete_if(sw, expired, now);

    sw->stats.aged += n;
    return n;
}
