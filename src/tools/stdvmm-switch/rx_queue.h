/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frames held for a port whose guest has no receive buffer posted at the
 * moment (it refills its ring a little later): a FIFO bounded in frames,
 * bytes and age, so a burst is not dropped at once and a guest that stops
 * reading costs the switch at most RXQ_MAX_BYTES and its frames are
 * dropped after RXQ_MAX_AGE_MS (a frame that can never fit the guest's
 * buffers is dropped then too, instead of blocking the ones behind it).
 * Pure: the caller gives the time and the delivery.
 */
#ifndef STDVMM_SWITCH_RX_QUEUE_H
#define STDVMM_SWITCH_RX_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RXQ_MAX_FRAMES 256
#define RXQ_MAX_BYTES (512u * 1024)
#define RXQ_MAX_AGE_MS 200u

struct rx_queue {
    struct {
        uint8_t *data;
        uint32_t len;
        uint64_t t; /* when it was queued */
    } f[RXQ_MAX_FRAMES];
    unsigned head, count;
    size_t bytes;
    uint64_t dropped; /* queue full, out of memory, or too old */
};

/* 1: delivered; 0: no room in the guest's ring now; <0: the ring broke. */
typedef int (*rxq_deliver_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Queues a copy of frame; false (and counted in dropped) when it does not fit. */
bool rxq_push(struct rx_queue *q, const uint8_t *frame, size_t len, uint64_t now);
/*
 * Delivers queued frames in order until the guest has no room; frames older
 * than RXQ_MAX_AGE_MS are dropped first. Returns the frames delivered; a
 * broken ring empties the queue.
 */
unsigned rxq_flush(struct rx_queue *q, uint64_t now, rxq_deliver_fn deliver, void *ctx);
/* Drops frames older than RXQ_MAX_AGE_MS. */
void rxq_expire(struct rx_queue *q, uint64_t now);
/* Drops everything (the frontend went away); dropped counts them. */
void rxq_clear(struct rx_queue *q);

#endif
