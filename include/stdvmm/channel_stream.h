/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM <-> backend channel's requests and responses as a byte stream,
 * for a backend that cannot map the channel's shared memory but can hold a
 * socket: a program in a driver VM, reached through the driver VM's
 * virtio-vsock (docs/backend-channel.md, "Streams"). The end that maps the
 * channel (the driver VM's VMM) turns each request into a message and each
 * message back into a response; the channel's rules for ids and lengths
 * still hold at that end, which checks every response against what it sent.
 *
 * A message is a 24-byte header, little-endian, then len bytes of payload:
 *   magic (REQ or RSP), id, op (requests) or status (responses), len, arg.
 * A request carries its payload when it has one (BLK_WRITE, NET_TX); len is
 * then the payload's bytes, otherwise the room offered for the answer. A
 * response carries len bytes of answer (READ, GET_ID, NET_RX; 0 otherwise).
 *
 * Portable and freestanding; the parser takes bytes in any cut and is fed
 * by untrusted peers (fuzz_channel_stream).
 */
#ifndef STDVMM_CHANNEL_STREAM_H
#define STDVMM_CHANNEL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_STREAM_REQ_MAGIC 0x51524473u /* "sDRQ" */
#define CHANNEL_STREAM_RSP_MAGIC 0x53524473u /* "sDRS" */
#define CHANNEL_STREAM_HDR_SIZE 24u

struct channel_stream_msg {
    uint32_t magic;
    uint32_t id;
    uint32_t code; /* enum channel_op in a request, enum channel_status in a response */
    uint32_t len;  /* payload bytes that follow (see above) */
    uint64_t arg;  /* first 512-byte sector (BLK_READ, BLK_WRITE) */
};

/* Writes m's header into out (CHANNEL_STREAM_HDR_SIZE bytes). */
void channel_stream_put(uint8_t out[CHANNEL_STREAM_HDR_SIZE], const struct channel_stream_msg *m);

/* Whether a request of this op carries its len bytes with it (else len is room offered). */
bool channel_stream_req_has_payload(uint32_t op);

/*
 * What a parser's owner decides per message. header: the header is whole
 * (magic already checked): 0 to take its payload, negative to stop the
 * stream (a protocol error); payload: the next n bytes of it, at offset;
 * done: the message is whole.
 */
struct channel_stream_ops {
    int (*header)(void *ctx, const struct channel_stream_msg *m);
    void (*payload)(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                    const uint8_t *data, size_t n);
    void (*done)(void *ctx, const struct channel_stream_msg *m);
    void *ctx;
};

struct channel_stream_parser {
    uint32_t magic;       /* the only magic it takes */
    uint32_t max_payload; /* a header announcing more is a protocol error */
    struct channel_stream_ops ops;
    uint8_t hdr[CHANNEL_STREAM_HDR_SIZE];
    unsigned have;  /* header bytes collected */
    uint32_t taken; /* payload bytes delivered of the current message */
    struct channel_stream_msg cur;
    bool failed;
};

void channel_stream_parser_init(struct channel_stream_parser *p, uint32_t magic,
                                uint32_t max_payload, const struct channel_stream_ops *ops);

/*
 * Feeds len bytes; returns 0, or -STDVMM_EPROTO once the stream is broken
 * (wrong magic, payload over the limit, the owner refused a header): from
 * then on it takes nothing, and its owner drops the stream.
 */
int channel_stream_feed(struct channel_stream_parser *p, const uint8_t *buf, size_t len);

#endif
