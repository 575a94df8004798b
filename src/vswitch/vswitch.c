/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/vswitch.h"

#include <string.h>

#include "mac_table.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

static bool is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1) != 0; /* the I/G bit; broadcast is a multicast too */
}

static bool is_zero(const uint8_t *mac)
{
    static const uint8_t zero[VSWITCH_ETH_ALEN];

    return memcmp(mac, zero, VSWITCH_ETH_ALEN) == 0;
}

int vswitch_init(struct vswitch *sw, struct vswitch_entry *table, uint32_t slots, uint64_t max_age)
{
    if (table == NULL || slots < 4 || (slots & (slots - 1)) != 0 || max_age == 0) {
        LOG_ERR("MAC table of %u slots, max age %llu: need a power of two >= 4 and an age > 0",
                (unsigned)slots, (unsigned long long)max_age);
        return -STDVMM_EINVAL;
    }
    memset(sw, 0, sizeof(*sw));
    memset(table, 0, (size_t)slots * sizeof(*table));
    sw->table = table;
    sw->slots = slots;
    sw->max_entries = slots - slots / 4;
    sw->max_age = max_age;
    return 0;
}

int vswitch_add_port(struct vswitch *sw, unsigned port, const struct vswitch_mac *mac,
                     uint64_t networks_mask, uint32_t flags)
{
    if (port >= VSWITCH_MAX_PORTS || (flags & ~VSWITCH_PORT_NO_ANTISPOOF) != 0) {
        LOG_ERR("port %u, flags %#x: ports go up to %u", port, (unsigned)flags,
                VSWITCH_MAX_PORTS - 1);
        return -STDVMM_EINVAL;
    }
    if (sw->ports[port].in_use) {
        LOG_ERR("port %u is already attached", port);
        return -STDVMM_EBUSY;
    }
    if (mac != NULL) {
        if (is_multicast(mac->b) || is_zero(mac->b)) {
            LOG_ERR("port %u: a NIC's MAC must be unicast and not zero", port);
            return -STDVMM_EINVAL;
        }
        int32_t i = vswitch_mt_find(sw, mac);
        if (i >= 0 && sw->table[i].state == VSWITCH_MT_STATIC) {
            LOG_ERR("port %u: its MAC is already port %u's", port, sw->table[i].port);
            return -STDVMM_EEXIST;
        }
        if (i >= 0) /* learned elsewhere (behind an uplink): the description wins */
            vswitch_mt_delete(sw, (uint32_t)i);
        if (vswitch_mt_insert(sw, mac, port, VSWITCH_MT_STATIC, 0) < 0) {
            LOG_ERR("port %u: the MAC table is full of static entries", port);
            return -STDVMM_ENOSPC;
        }
    }
    sw->ports[port] = (struct vswitch_port){
        .networks = networks_mask,
        .mac = mac != NULL ? *mac : (struct vswitch_mac){{0}},
        .in_use = true,
        .has_mac = mac != NULL,
        .antispoof = mac != NULL && (flags & VSWITCH_PORT_NO_ANTISPOOF) == 0,
    };
    return 0;
}

int vswitch_remove_port(struct vswitch *sw, unsigned port)
{
    if (port >= VSWITCH_MAX_PORTS || !sw->ports[port].in_use) {
        LOG_ERR("port %u is not attached", port);
        return -STDVMM_ENOENT;
    }
    vswitch_mt_forget_port(sw, port);
    memset(&sw->ports[port], 0, sizeof(sw->ports[port]));
    return 0;
}

/* Every other attached port that shares a network with ingress. */
static uint64_t peers(const struct vswitch *sw, unsigned ingress)
{
    uint64_t nets = sw->ports[ingress].networks;
    uint64_t set = 0;

    for (unsigned p = 0; p < VSWITCH_MAX_PORTS; p++) {
        if (p != ingress && sw->ports[p].in_use && (sw->ports[p].networks & nets) != 0)
            set |= 1ull << p;
    }
    return set;
}

/* Checks the source MAC and learns it; VSWITCH_FLOOD here means "go on". */
static enum vswitch_verdict check_source(struct vswitch *sw, unsigned ingress,
                                         const struct vswitch_mac *src, uint64_t now)
{
    const struct vswitch_port *p = &sw->ports[ingress];

    if (is_multicast(src->b) || is_zero(src->b))
        return VSWITCH_DROP_BAD_SRC;
    if (p->antispoof && memcmp(src->b, p->mac.b, VSWITCH_ETH_ALEN) != 0)
        return VSWITCH_DROP_SPOOFED;
    int32_t i = vswitch_mt_find(sw, src);
    if (i < 0) {
        if (vswitch_mt_insert(sw, src, ingress, VSWITCH_MT_LEARNED, now) < 0)
            sw->stats.learn_refused++; /* forward anyway: the frame itself is fine */
        else
            sw->stats.learned++;
        return VSWITCH_FLOOD;
    }
    struct vswitch_entry *e = &sw->table[i];
    if (e->state == VSWITCH_MT_STATIC) {
        /* Pinned by the description: only its own port may use it. */
        return e->port == ingress ? VSWITCH_FLOOD : VSWITCH_DROP_SPOOFED;
    }
    if (e->port != ingress) {
        e->port = (uint8_t)ingress;
        sw->stats.moved++;
    }
    e->last_seen = now;
    return VSWITCH_FLOOD;
}

static enum vswitch_verdict route(struct vswitch *sw, unsigned ingress,
                                  const struct vswitch_mac *dst, uint64_t now, uint64_t *out)
{
    uint64_t allowed = peers(sw, ingress);

    if (!is_multicast(dst->b)) {
        int32_t i = vswitch_mt_find(sw, dst);
        if (i >= 0 && vswitch_mt_expired(sw, &sw->table[i], now)) {
            /* Aging is lazy too: a stale entry never steers traffic. */
            vswitch_mt_delete(sw, (uint32_t)i);
            sw->stats.aged++;
            i = -1;
        }
        if (i >= 0) {
            unsigned port = sw->table[i].port;
            if (port == ingress)
                return VSWITCH_DROP_LOCAL;
            /* Known to be on a port this one may not reach: flooding would
             * only show the frame to bystanders. */
            if ((allowed & (1ull << port)) == 0)
                return VSWITCH_DROP_ACL;
            *out = 1ull << port;
            return VSWITCH_UNICAST;
        }
    }
    if (allowed == 0)
        return VSWITCH_DROP_NO_DEST;
    *out = allowed;
    return VSWITCH_FLOOD;
}

static void count(struct vswitch_stats *s, enum vswitch_verdict v)
{
    switch (v) {
    case VSWITCH_UNICAST:
        s->unicast++;
        break;
    case VSWITCH_FLOOD:
        s->flooded++;
        break;
    case VSWITCH_DROP_RUNT:
        s->drop_runt++;
        break;
    case VSWITCH_DROP_BAD_PORT:
        s->drop_bad_port++;
        break;
    case VSWITCH_DROP_BAD_SRC:
        s->drop_bad_src++;
        break;
    case VSWITCH_DROP_SPOOFED:
        s->drop_spoofed++;
        break;
    case VSWITCH_DROP_ACL:
        s->drop_acl++;
        break;
    case VSWITCH_DROP_LOCAL:
        s->drop_local++;
        break;
    case VSWITCH_DROP_NO_DEST:
        s->drop_no_dest++;
        break;
    }
}

static enum vswitch_verdict decide(struct vswitch *sw, unsigned ingress, const uint8_t *frame,
                                   size_t len, uint64_t now, uint64_t *out)
{
    struct vswitch_mac dst, src;

    if (ingress >= VSWITCH_MAX_PORTS || !sw->ports[ingress].in_use)
        return VSWITCH_DROP_BAD_PORT;
    if (frame == NULL || len < VSWITCH_ETH_HLEN)
        return VSWITCH_DROP_RUNT;
    memcpy(dst.b, frame, VSWITCH_ETH_ALEN);
    memcpy(src.b, frame + VSWITCH_ETH_ALEN, VSWITCH_ETH_ALEN);
    enum vswitch_verdict v = check_source(sw, ingress, &src, now);
    if (v != VSWITCH_FLOOD)
        return v;
    return route(sw, ingress, &dst, now, out);
}

enum vswitch_verdict vswitch_forward(struct vswitch *sw, unsigned ingress, const uint8_t *frame,
                                     size_t len, uint64_t now, uint64_t *out)
{
    *out = 0;
    enum vswitch_verdict v = decide(sw, ingress, frame, len, now, out);
    count(&sw->stats, v);
    return v;
}

uint32_t vswitch_age(struct vswitch *sw, uint64_t now)
{
    return vswitch_mt_age(sw, now);
}

const struct vswitch_stats *vswitch_stats(const struct vswitch *sw)
{
    return &sw->stats;
}

void vswitch_table_walk(const struct vswitch *sw, uint64_t now,
                        bool (*fn)(void *ctx, const struct vswitch_row *row), void *ctx)
{
    for (uint32_t i = 0; i < sw->slots; i++) {
        const struct vswitch_entry *e = &sw->table[i];
        if (e->state == VSWITCH_MT_EMPTY)
            continue;
        bool is_static = e->state == VSWITCH_MT_STATIC;
        struct vswitch_row row = {
            .mac = e->mac,
            .port = e->port,
            .is_static = is_static,
            .age = is_static || now < e->last_seen ? 0 : now - e->last_seen,
        };
        if (!fn(ctx, &row))
            return;
    }
}

const char *vswitch_verdict_name(enum vswitch_verdict v)
{
    static const char *const names[] = {
        [VSWITCH_UNICAST] = "unicast",      [VSWITCH_FLOOD] = "flood",
        [VSWITCH_DROP_RUNT] = "runt",       [VSWITCH_DROP_BAD_PORT] = "bad-port",
        [VSWITCH_DROP_BAD_SRC] = "bad-src", [VSWITCH_DROP_SPOOFED] = "spoofed",
        [VSWITCH_DROP_ACL] = "acl",         [VSWITCH_DROP_LOCAL] = "local",
        [VSWITCH_DROP_NO_DEST] = "no-dest",
    };

    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}
