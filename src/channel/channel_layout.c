/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/channel.h"

#include <stdbool.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

_Static_assert(sizeof(struct channel_desc) == 32, "ring entries are part of the wire format");
_Static_assert(sizeof(struct channel_shm_header) == 64, "the header is part of the wire format");
_Static_assert(sizeof(struct channel_ring_shm) == 2 * CHANNEL_ALIGN, "indices on own lines");

static bool ring_size_ok(uint32_t n, uint32_t slots)
{
    return n != 0 && (n & (n - 1)) == 0 && n <= CHANNEL_MAX_ENTRIES && n >= slots;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int channel_layout(const struct channel_geometry *g, struct channel_shm_header *out)
{
    if (g->slot_count == 0 || g->slot_count > CHANNEL_MAX_SLOTS) {
        LOG_ERR("channel of %u slots: between 1 and %u", (unsigned)g->slot_count,
                CHANNEL_MAX_SLOTS);
        return -STDVMM_EINVAL;
    }
    if (!ring_size_ok(g->req_entries, g->slot_count) ||
        !ring_size_ok(g->resp_entries, g->slot_count)) {
        LOG_ERR("channel rings of %u and %u entries: powers of two from the slot count (%u) "
                "up to %u",
                (unsigned)g->req_entries, (unsigned)g->resp_entries, (unsigned)g->slot_count,
                CHANNEL_MAX_ENTRIES);
        return -STDVMM_EINVAL;
    }
    if (g->slot_size == 0 || g->slot_size % CHANNEL_ALIGN != 0) {
        LOG_ERR("channel slots of %u bytes: a non-zero multiple of %u", (unsigned)g->slot_size,
                CHANNEL_ALIGN);
        return -STDVMM_EINVAL;
    }
    /* 64-bit arithmetic: every term is below 2^32, so nothing overflows. */
    uint64_t req = sizeof(struct channel_shm_header);
    uint64_t resp = req + sizeof(struct channel_ring_shm) +
                    (uint64_t)g->req_entries * sizeof(struct channel_desc);
    uint64_t data = align_up(resp + sizeof(struct channel_ring_shm) +
                                 (uint64_t)g->resp_entries * sizeof(struct channel_desc),
                             CHANNEL_DATA_ALIGN);
    uint64_t total = data + (uint64_t)g->slot_size * g->slot_count;
    if (total > UINT32_MAX) {
        LOG_ERR("channel of %u slots of %u bytes: more than 4 GiB", (unsigned)g->slot_count,
                (unsigned)g->slot_size);
        return -STDVMM_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->magic = CHANNEL_MAGIC;
    out->version = CHANNEL_VERSION;
    out->total_size = (uint32_t)total;
    out->req_ring = (uint32_t)req;
    out->req_entries = g->req_entries;
    out->resp_ring = (uint32_t)resp;
    out->resp_entries = g->resp_entries;
    out->data = (uint32_t)data;
    out->slot_size = g->slot_size;
    out->slot_count = g->slot_count;
    return 0;
}

size_t channel_shm_size(const struct channel_geometry *g)
{
    struct channel_shm_header h;

    return channel_layout(g, &h) == 0 ? h.total_size : 0;
}

const char *channel_op_name(uint32_t op)
{
    static const char *const names[] = {
        [CHANNEL_OP_NET_TX] = "net-tx",       [CHANNEL_OP_NET_RX] = "net-rx",
        [CHANNEL_OP_BLK_READ] = "blk-read",   [CHANNEL_OP_BLK_WRITE] = "blk-write",
        [CHANNEL_OP_BLK_FLUSH] = "blk-flush", [CHANNEL_OP_BLK_GET_ID] = "blk-get-id",
    };

    return op != 0 && op <= CHANNEL_OP_MAX ? names[op] : "unknown";
}
