/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One VM's channel relayed to a stream (channel_stream.h): the end
 * that maps the channel (a driver VM's VMM, docs/sel4.md "Driver VMs") is
 * the channel's back end, with the block server's checks, applies the
 * VM's region of the disk (blk_region_map: the one place that decides what
 * the VM may touch, before anything reaches the stream), answers GET_ID
 * itself, and sends the rest as request messages to a peer that does the
 * I/O (a program in the driver VM); the peer's answers are checked against
 * what was sent (an id in flight, a known status, an OK read exactly as
 * long as asked, no data otherwise) before they reach the channel.
 *
 * A NIC's channel (one for TX, one for RX: net_abi.h) relays the same way
 * with the net ops only: a sent frame must carry the VM's own MAC as its
 * source (the VM's neighbours behind the peer must not be spoofed), and an
 * OK receive answer carries a whole frame: an Ethernet header, at most the
 * room the VM offered.
 *
 * The owner supplies the stream (room, send) and the doorbell (notify);
 * everything runs on one thread. Portable and freestanding.
 */
#ifndef STDVMM_CHANNEL_RELAY_H
#define STDVMM_CHANNEL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/blk_region.h"
#include "stdvmm/channel_back.h"
#include "stdvmm/channel_stream.h"

#define CHANNEL_RELAY_MAX_SLOTS 64u

struct channel_relay_ops {
    size_t (*room)(void *ctx);                             /* bytes the stream takes now */
    void (*send)(void *ctx, const uint8_t *buf, size_t n); /* n <= room */
    void (*notify)(void *ctx);                             /* the VM may be asleep */
    void *ctx;
};

struct channel_relay {
    const char *name; /* the VM's, for messages */
    void *shm;
    size_t shm_size;
    bool net;                 /* a NIC's channel; else a disk's */
    struct blk_region region; /* a disk's */
    const char *serial;       /* a disk's */
    uint8_t mac[6];           /* a NIC's */
    struct channel_relay_ops ops;
    struct channel_back back;
    bool attached, connected;
    bool rang; /* the VM rang since the last attempt to attach */
    struct channel_stream_parser parser;
    /* The request being sent: its header and payload, bytes of them sent. */
    bool sending;
    uint8_t out_hdr[CHANNEL_STREAM_HDR_SIZE];
    const uint8_t *out_payload;
    uint32_t out_len, out_sent;
    struct {
        bool busy;
        uint16_t op;
        uint32_t len;  /* room asked for (read) */
        uint8_t *data; /* its slot */
    } inflight[CHANNEL_RELAY_MAX_SLOTS];
    uint64_t requests, refused, answered;
};

void channel_relay_init(struct channel_relay *r, const char *name, void *shm, size_t shm_size,
                        const struct blk_region *region, const char *serial,
                        const struct channel_relay_ops *ops);
/* A NIC's channel (TX or RX) of the VM with this MAC. */
void channel_relay_init_net(struct channel_relay *r, const char *name, void *shm, size_t shm_size,
                            const uint8_t mac[6], const struct channel_relay_ops *ops);
/* The stream's peer is there (a fresh stream: nothing of an earlier one is in it). */
void channel_relay_connect(struct channel_relay *r);
/* The peer is gone: the VM's requests it held fail (I/O error). */
void channel_relay_disconnect(struct channel_relay *r);
/*
 * Bytes from the peer. 0, or -STDVMM_EPROTO: it broke the stream; the owner
 * drops the connection and calls channel_relay_disconnect().
 */
int channel_relay_input(struct channel_relay *r, const uint8_t *buf, size_t n);
/* The VM is gone and its channel zeroed: forget its requests (no answer may reach its next run). */
void channel_relay_detach(struct channel_relay *r);
/* The VM rang its doorbell: its channel may be new (the next pump attaches it). */
void channel_relay_ring(struct channel_relay *r);
/*
 * Attaches the channel if the VM rang since the last attempt, and sends
 * requests while the stream has room.
 */
void channel_relay_pump(struct channel_relay *r);

#endif
