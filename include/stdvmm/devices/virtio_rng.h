/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng (entropy device, VirtIO 1.2 §5.4): one queue of writable
 * buffers the device fills with random bytes. The bytes come from a backend
 * (getrandom(2) on Linux); the device only moves them into guest buffers.
 */
#ifndef STDVMM_DEVICES_VIRTIO_RNG_H
#define STDVMM_DEVICES_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"

/* Bytes given per request at most; Linux asks for far fewer (its buffer is 64 bytes). */
#define VIRTIO_RNG_MAX_REQUEST 65536u
#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_SEGS 16

struct virtio_rng_backend {
    /* Fills buf with up to len random bytes; returns how many (0: none right now). */
    size_t (*fill)(void *ctx, uint8_t *buf, size_t len);
    void *ctx;
};

struct virtio_rng_config {
    struct virtio_slot slot;
    struct virtio_rng_backend backend;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_rng {
    struct virtio_dev vdev;
    struct virtio_rng_backend backend;
    struct virtq_seg segs[VIRTIO_RNG_MAX_SEGS];
};

int virtio_rng_init(struct virtio_rng *d, const struct virtio_rng_config *cfg);
/* Host worker: the queue was notified; fills every available buffer. */
void virtio_rng_process(struct virtio_rng *d);

#endif
