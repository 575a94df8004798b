/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch's MAC table: open addressing with linear probing in the
 * caller's storage, deletion by backward shift (no tombstones, so a long
 * run of learn/age cycles never degrades lookups). Private to src/vswitch.
 */
#ifndef STDVMM_VSWITCH_MAC_TABLE_H
#define STDVMM_VSWITCH_MAC_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/vswitch.h"

enum {
    VSWITCH_MT_EMPTY = 0,
    VSWITCH_MT_LEARNED = 1,
    VSWITCH_MT_STATIC = 2,
};

/* Index of mac's entry, or -1. */
int32_t vswitch_mt_find(const struct vswitch *sw, const struct vswitch_mac *mac);

/*
 * A new entry for mac (absent from the table). A full table makes room by
 * evicting its oldest learned entry. Index, or -STDVMM_ENOSPC when every
 * entry is static.
 */
int32_t vswitch_mt_insert(struct vswitch *sw, const struct vswitch_mac *mac, unsigned port,
                          uint8_t state, uint64_t now);

void vswitch_mt_delete(struct vswitch *sw, uint32_t idx);

/* Whether a learned entry has been silent for more than max_age at now. */
bool vswitch_mt_expired(const struct vswitch *sw, const struct vswitch_entry *e, uint64_t now);

/* Deletes every entry on port (static too). */
void vswitch_mt_forget_port(struct vswitch *sw, unsigned port);

/* Deletes every expired learned entry; returns how many. */
uint32_t vswitch_mt_age(struct vswitch *sw, uint64_t now);

#endif
