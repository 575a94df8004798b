/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the VMM <-> backend channel (channel.h) as each
 * end sees it: the input is what the other end, hostile, writes into the
 * shared memory. The shared memory is one heap block of exactly its size,
 * so AddressSanitizer catches any access outside it, and every buffer an
 * end hands out is read or written whole.
 *
 * Input layout:
 *   [0]     mode: bit 0 the end under test (0 backend, 1 VMM); bit 1 for
 *           the backend: a well-formed header (from [1..3]) instead of the
 *           raw input, so the fuzzer gets past attach
 *   [1..3]  geometry: log2 of both ring sizes, slot count, slot size / 64
 *   [5..]   the backend's case: the initial shared memory, then steps;
 *           the VMM's case: steps. A step is one byte of kind and its
 *           arguments: the peer writes 4 bytes somewhere (any offset,
 *           header included), or the end under test takes its next step
 *           (get and submit / poll and put; pop / respond).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/channel_back.h"
#include "stdvmm/channel_front.h"
#include "fuzz_input.h"

static volatile uint8_t sink;

/* Reads and writes every byte of a buffer an end handed out. */
static void touch(uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;

    for (uint32_t i = 0; i < len; i++) {
        sum += p[i];
        p[i] = (uint8_t)i;
    }
    sink = sum;
}

/* The hostile peer writes a word anywhere in the shared memory. */
static void peer_write(struct fuzz_input *in, uint8_t *shm, size_t size)
{
    uint32_t off = fuzz_u32(in);
    uint32_t v = fuzz_u32(in);

    if (size < 4)
        return;
    off = (uint32_t)(off % (size - 3)) & ~3u;
    memcpy(shm + off, &v, 4);
}

static struct channel_geometry geometry(struct fuzz_input *in)
{
    uint32_t r = 1u << (fuzz_u8(in) % 7);
    uint32_t slots = fuzz_u8(in) % 9 + 1;
    uint32_t slot_size = (fuzz_u8(in) % 8 + 1) * 64;

    /* Mostly valid (the interesting case), sometimes anything. */
    if (r < slots)
        r = 16;
    return (struct channel_geometry){
        .req_entries = r, .resp_entries = r, .slot_size = slot_size, .slot_count = slots};
}

static void fuzz_back(struct fuzz_input *in, bool formatted)
{
    struct channel_geometry g = geometry(in);
    struct channel_shm_header h;
    size_t size;

    if (formatted) {
        if (channel_layout(&g, &h) < 0)
            return;
        size = h.total_size;
    } else {
        size = in->n < 65536 ? in->n : 65536;
    }
    uint8_t *shm = malloc(size + 1);
    if (shm == NULL)
        return;
    /* The initial contents: the input, repeated (rings and indices). */
    for (size_t i = 0; i < size; i++)
        shm[i] = in->n ? in->p[i % in->n] : 0;
    if (in->n > 64) {
        in->p += 64;
        in->n -= 64;
    }
    if (formatted) {
        memcpy(shm, &h, sizeof(h));
        memset(shm + h.req_ring, 0, 2 * 64); /* indices consistent; the peer may break them */
        memset(shm + h.resp_ring, 0, 2 * 64);
    }

    struct channel_back b;
    struct channel_request r;
    uint32_t popped[CHANNEL_MAX_SLOTS];
    uint32_t npopped = 0;
    bool notify;
    if (channel_back_attach(&b, shm, size) == 0) {
        for (int steps = 0; in->n > 0 && steps < 4096; steps++) {
            switch (fuzz_u8(in) % 3) {
            case 0:
                peer_write(in, shm, size);
                break;
            case 1:
                if (channel_back_pop(&b, &r) == 1) {
                    touch(r.data, r.len);
                    popped[npopped++ % CHANNEL_MAX_SLOTS] = r.id;
                }
                break;
            case 2:
                if (npopped > 0) {
                    uint32_t id = popped[--npopped % CHANNEL_MAX_SLOTS];
                    channel_back_respond(&b, id, (enum channel_status)(fuzz_u8(in) % 5),
                                         fuzz_u32(in), &notify);
                }
                break;
            }
        }
    }
    free(shm);
}

static void fuzz_front(struct fuzz_input *in)
{
    struct channel_geometry g = geometry(in);
    size_t size = channel_shm_size(&g);
    struct channel_front f;
    struct channel_completion c;
    uint32_t id;
    uint8_t *buf;
    bool notify;

    if (size == 0)
        return;
    uint8_t *shm = malloc(size);
    if (shm == NULL)
        return;
    if (channel_front_init(&f, shm, size, &g) == 0) {
        for (int steps = 0; in->n > 0 && steps < 4096; steps++) {
            switch (fuzz_u8(in) % 3) {
            case 0:
                peer_write(in, shm, size);
                break;
            case 1:
                if (channel_front_get(&f, &id, &buf) == 0) {
                    uint8_t op = fuzz_u8(in) % (CHANNEL_OP_MAX + 1);
                    uint32_t len = fuzz_u32(in) % (g.slot_size + 1);
                    touch(buf, g.slot_size);
                    if (channel_front_submit(&f, id, (enum channel_op)op, fuzz_u32(in), len,
                                             &notify) < 0)
                        channel_front_put(&f, id);
                }
                break;
            case 2:
                if (channel_front_poll(&f, &c) == 1) {
                    touch((uint8_t *)c.data, c.len);
                    channel_front_put(&f, c.id);
                }
                break;
            }
        }
    }
    free(shm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    uint8_t mode = fuzz_u8(&in);

    if (mode & 1)
        fuzz_front(&in);
    else
        fuzz_back(&in, (mode & 2) != 0);
    return 0;
}
