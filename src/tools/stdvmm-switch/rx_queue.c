/* SPDX-License-Identifier: BSD-2-Clause */
#include "rx_queue.h"

#include <stdlib.h>
#include <string.h>

static void drop_head(struct rx_queue *q)
{
    free(q->f[q->head].data);
    q->bytes -= q->f[q->head].len;
    q->f[q->head].data = NULL;
    q->head = (q->head + 1) % RXQ_MAX_FRAMES;
    q->count--;
}

bool rxq_push(struct rx_queue *q, const uint8_t *frame, size_t len, uint64_t now)
{
    if (q->count == RXQ_MAX_FRAMES || len > RXQ_MAX_BYTES - q->bytes) {
        q->dropped++;
        return false;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        q->dropped++;
        return false;
    }
    memcpy(copy, frame, len);
    unsigned tail = (q->head + q->count) % RXQ_MAX_FRAMES;
    q->f[tail].data = copy;
    q->f[tail].len = (uint32_t)len;
    q->f[tail].t = now;
    q->count++;
    q->bytes += len;
    return true;
}

void rxq_expire(struct rx_queue *q, uint64_t now)
{
    /* Oldest first: the first young frame ends the search. */
    while (q->count != 0 && now - q->f[q->head].t > RXQ_MAX_AGE_MS) {
        drop_head(q);
        q->dropped++;
    }
}

unsigned rxq_flush(struct rx_queue *q, uint64_t now, rxq_deliver_fn deliver, void *ctx)
{
    unsigned done = 0;
    rxq_expire(q, now);
    while (q->count != 0) {
        int r = deliver(ctx, q->f[q->head].data, q->f[q->head].len);
        if (r == 0)
            break;
        if (r < 0) {
            rxq_clear(q);
            break;
        }
        drop_head(q);
        done++;
    }
    return done;
}

void rxq_clear(struct rx_queue *q)
{
    while (q->count != 0) {
        drop_head(q);
        q->dropped++;
    }
}
