/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM <-> backend channel: one shared-memory region through which a
 * VMM hands I/O to a backend in another protection domain (seL4) or
 * process (Linux), without the backend ever mapping guest RAM. The wire
 * format is here; the two ends are channel_front.h (the VMM) and
 * channel_back.h (the backend). docs/backend-channel.md has the picture.
 *
 *   offset 0        struct channel_shm_header   written once by the VMM
 *   req_ring        struct channel_ring_shm     requests, VMM -> backend
 *   resp_ring       struct channel_ring_shm     responses, backend -> VMM
 *   data            slot_count * slot_size      payloads, one slot per request
 *
 * The layout is a function of the geometry alone (channel_layout()), so a
 * backend checks the header by recomputing it, and both ends keep their
 * own copy of it: a peer that rewrites the header later changes nothing.
 * Both ends run on one machine: fields are in its native byte order.
 *
 * Indices are free-running 32-bit counters (entry = index & (entries-1)),
 * starting at CHANNEL_INITIAL_INDEX so that every run crosses the 2^32
 * wrap within its first requests instead of after four billion.
 */
#ifndef STDVMM_CHANNEL_H
#define STDVMM_CHANNEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_MAGIC 0x48435653u /* "SVCH" in memory on little-endian machines */
#define CHANNEL_VERSION 1u
#define CHANNEL_ALIGN 64u         /* ring indices sit on cache lines of their own */
#define CHANNEL_DATA_ALIGN 4096u  /* the data region starts on a page (O_DIRECT) */
#define CHANNEL_MAX_ENTRIES 4096u /* per ring */
#define CHANNEL_MAX_SLOTS 1024u   /* requests in flight per channel */
#define CHANNEL_INITIAL_INDEX 0xffffff00u

/*
 * Operations. A request's len is the payload it carries (NET_TX,
 * BLK_WRITE) or the room it offers for the answer (NET_RX, BLK_READ,
 * BLK_GET_ID); arg is the first 512-byte sector for BLK_READ/BLK_WRITE.
 * Frames towards the VMM are answers to NET_RX requests: the VMM posts
 * empty buffers in advance, as a virtio driver does.
 */
enum channel_op {
    CHANNEL_OP_NET_TX = 1,
    CHANNEL_OP_NET_RX = 2,
    CHANNEL_OP_BLK_READ = 3,
    CHANNEL_OP_BLK_WRITE = 4,
    CHANNEL_OP_BLK_FLUSH = 5,
    CHANNEL_OP_BLK_GET_ID = 6,
};
#define CHANNEL_OP_MAX CHANNEL_OP_BLK_GET_ID

/* A response's status; anything but OK carries no data. */
enum channel_status {
    CHANNEL_S_OK = 0,
    CHANNEL_S_IOERR = 1,     /* failed; for blk also: out of the VM's region, read-only */
    CHANNEL_S_UNSUPP = 2,    /* the backend does not do this op */
    CHANNEL_S_CANCELLED = 3, /* returned unused: the backend detaches the VM (NET_RX buffers) */
};
#define CHANNEL_S_MAX CHANNEL_S_CANCELLED

/* One ring entry. Requests fill all but status; responses id, status, len. */
struct channel_desc {
    uint32_t id;     /* the VMM's name for the request: its data slot */
    uint16_t op;     /* enum channel_op */
    uint16_t status; /* enum channel_status (responses) */
    uint32_t offset; /* into the data region */
    uint32_t len;    /* bytes; see enum channel_op */
    uint64_t arg;
    uint64_t reserved;
};

struct channel_shm_header {
    uint32_t magic;
    uint32_t version;
    uint32_t total_size; /* bytes of the whole region */
    uint32_t req_ring;   /* offsets from the start of the region */
    uint32_t req_entries;
    uint32_t resp_ring;
    uint32_t resp_entries;
    uint32_t data;
    uint32_t slot_size;
    uint32_t slot_count;
    uint32_t reserved[6];
};

/* A ring: prod is written by its producer only, cons by its consumer only. */
struct channel_ring_shm {
    _Atomic uint32_t prod;
    uint8_t pad0[CHANNEL_ALIGN - sizeof(uint32_t)];
    _Atomic uint32_t cons;
    uint8_t pad1[CHANNEL_ALIGN - sizeof(uint32_t)];
    struct channel_desc desc[];
};

/* One end's private view of one ring (src/channel/channel_ring.h drives it). */
struct channel_ring {
    struct channel_ring_shm *shm;
    uint32_t entries; /* power of two */
    uint32_t index;   /* producer: next to produce; consumer: next to consume */
};

/*
 * What the VMM chooses. Entries are powers of two up to
 * CHANNEL_MAX_ENTRIES, and at least slot_count: every request holds a slot
 * until it is answered, so an honest peer never finds a ring full.
 * slot_size is a multiple of CHANNEL_ALIGN.
 */
struct channel_geometry {
    uint32_t req_entries;
    uint32_t resp_entries;
    uint32_t slot_size;
    uint32_t slot_count;
};

/*
 * The header geometry g implies. 0, or -STDVMM_EINVAL (g breaks a rule
 * above, or the region would exceed 4 GiB); logs which rule.
 */
int channel_layout(const struct channel_geometry *g, struct channel_shm_header *out);

/* Bytes of shared memory a channel of geometry g needs; 0 if g is invalid. */
size_t channel_shm_size(const struct channel_geometry *g);

const char *channel_op_name(uint32_t op);

#endif
