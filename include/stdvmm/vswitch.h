/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The forwarding core of the virtual switch between VMs: the decision where
 * one Ethernet frame goes, nothing else. The seL4 switch PD and the Linux
 * stdvmm-switch process both wrap it; they own the frames, the rings and
 * the clock, and deliver a frame to every port the verdict names.
 *
 * Ports are VMs' NICs (or an uplink), numbered 0..VSWITCH_MAX_PORTS-1 by
 * the caller. Each port belongs to a set of networks (a bitmask, one bit
 * per network of the system description); a frame only ever reaches ports
 * that share a network with the port it came in on, whether it is
 * forwarded to a learned port or flooded.
 *
 * A port's configured MAC is a static entry: learning never moves it, and
 * by default (VSWITCH_PORT_NO_ANTISPOOF unset) the port may send frames
 * from that source MAC only. Other MACs are learned from source addresses
 * and forgotten after max_age without traffic, measured with the caller's
 * timestamps (any unit, monotonic; the core never reads a clock). When the
 * table is full, the oldest learned entry makes room.
 *
 * The frame bytes are the sending VM's: the caller passes a private copy
 * (a VM could rewrite shared memory between the check and the delivery).
 * No allocation: the MAC table lives in storage the caller gives to
 * vswitch_init(). Not thread-safe: one thread drives one switch.
 */
#ifndef STDVMM_VSWITCH_H
#define STDVMM_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSWITCH_MAX_PORTS 64 /* out-port sets are one uint64_t */
#define VSWITCH_ETH_ALEN 6
#define VSWITCH_ETH_HLEN 14 /* destination, source, EtherType */

/* vswitch_add_port() flags. */
#define VSWITCH_PORT_NO_ANTISPOOF 1u /* may send from any unicast source MAC (nested VMs) */

struct vswitch_mac {
    uint8_t b[VSWITCH_ETH_ALEN];
};

/* One MAC-table slot; the storage is the caller's, the contents the switch's. */
struct vswitch_entry {
    uint64_t last_seen; /* the caller's time of the last frame from this MAC */
    struct vswitch_mac mac;
    uint8_t port;
    uint8_t state; /* empty, learned or static */
};

struct vswitch_port {
    uint64_t networks;
    struct vswitch_mac mac;
    bool in_use;
    bool has_mac;
    bool antispoof;
};

struct vswitch_stats {
    uint64_t unicast;       /* frames sent to one learned port */
    uint64_t flooded;       /* broadcast, multicast and unknown unicast */
    uint64_t drop_runt;     /* shorter than an Ethernet header */
    uint64_t drop_bad_port; /* ingress port not attached */
    uint64_t drop_bad_src;  /* multicast or all-zero source MAC */
    uint64_t drop_spoofed;  /* source MAC not the port's own, or another port's static MAC */
    uint64_t drop_acl;      /* destination learned on a port of no shared network */
    uint64_t drop_local;    /* destination learned on the ingress port itself */
    uint64_t drop_no_dest;  /* flood with no other port on the ingress's networks */
    uint64_t learned;       /* new dynamic entries */
    uint64_t moved;         /* dynamic entries that changed port */
    uint64_t evicted;       /* dynamic entries dropped to make room (table full) */
    uint64_t aged;          /* dynamic entries dropped after max_age */
    uint64_t learn_refused; /* no room and no dynamic entry to evict */
};

struct vswitch {
    struct vswitch_port ports[VSWITCH_MAX_PORTS];
    struct vswitch_entry *table;
    uint32_t slots;       /* power of two */
    uint32_t max_entries; /* 3/4 of slots: keeps probe sequences short */
    uint32_t count;
    uint64_t max_age;
    struct vswitch_stats stats;
};

enum vswitch_verdict {
    VSWITCH_UNICAST, /* *out has exactly one bit */
    VSWITCH_FLOOD,   /* *out has one or more bits */
    VSWITCH_DROP_RUNT,
    VSWITCH_DROP_BAD_PORT,
    VSWITCH_DROP_BAD_SRC,
    VSWITCH_DROP_SPOOFED,
    VSWITCH_DROP_ACL,
    VSWITCH_DROP_LOCAL,
    VSWITCH_DROP_NO_DEST,
};

/*
 * table: slots entries of storage, slots a power of two >= 4; up to 3/4 of
 * them hold MACs (static ones included). max_age > 0, in the caller's time
 * unit. 0, or -STDVMM_EINVAL.
 */
int vswitch_init(struct vswitch *sw, struct vswitch_entry *table, uint32_t slots, uint64_t max_age);

/*
 * Attaches port (< VSWITCH_MAX_PORTS) on the networks in networks_mask.
 * mac: the VM's configured MAC, pinned to this port, or NULL for a port
 * that has none (an uplink: it learns, and is never anti-spoofed).
 * -STDVMM_EBUSY: port in use; -STDVMM_EEXIST: mac is another port's;
 * -STDVMM_EINVAL: bad port or a multicast/zero mac; -STDVMM_ENOSPC: the
 * table is full of static entries.
 */
int vswitch_add_port(struct vswitch *sw, unsigned port, const struct vswitch_mac *mac,
                     uint64_t networks_mask, uint32_t flags);

/* Detaches port and forgets every MAC on it, static and learned (a stopped VM). */
int vswitch_remove_port(struct vswitch *sw, unsigned port);

/*
 * Where a frame of len bytes from ingress goes at time now. On
 * VSWITCH_UNICAST and VSWITCH_FLOOD, *out is the set of ports (bit n =
 * port n) to deliver it to; the ingress is never in it. On a drop, *out is
 * 0 and the reason is counted in the stats.
 */
enum vswitch_verdict vswitch_forward(struct vswitch *sw, unsigned ingress, const uint8_t *frame,
                                     size_t len, uint64_t now, uint64_t *out);

/* Forgets learned MACs silent for more than max_age. Returns how many. */
uint32_t vswitch_age(struct vswitch *sw, uint64_t now);

const struct vswitch_stats *vswitch_stats(const struct vswitch *sw);

/* One MAC-table row, as the manager API shows it. */
struct vswitch_row {
    struct vswitch_mac mac;
    unsigned port;
    bool is_static;
    uint64_t age; /* now - last_seen; 0 for static entries */
};

/* Calls fn for each entry (in table order); stops early when fn returns false. */
void vswitch_table_walk(const struct vswitch *sw, uint64_t now,
                        bool (*fn)(void *ctx, const struct vswitch_row *row), void *ctx);

const char *vswitch_verdict_name(enum vswitch_verdict v);

#endif
