/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/virtio_rng.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static const struct virtio_device_ops rng_ops = {0};

int virtio_rng_init(struct virtio_rng *d, const struct virtio_rng_config *cfg)
{
    if (cfg->backend.fill == NULL) {
        LOG_ERR("virtio-rng %s: no entropy backend", cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    d->backend = cfg->backend;
    struct virtio_mmio_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_RNG,
        .num_queues = 1,
        .queue_max = VIRTIO_RNG_QUEUE_SIZE,
        .ops = &rng_ops,
        .dev = d,
    };
    return virtio_mmio_init(&d->transport, &t);
}

int virtio_rng_register(struct virtio_rng *d, struct vm *vm)
{
    return virtio_mmio_register(&d->transport, vm);
}

void virtio_rng_process(struct virtio_rng *d)
{
    struct virtq_chain c;

    virtq_chain_init(&c, d->segs, VIRTIO_RNG_MAX_SEGS);
    while (virtio_mmio_pop(&d->transport, 0, &c) > 0) {
        uint32_t written = 0;
        /* Readable buffers mean nothing to this device; they are skipped, not an error. */
        for (uint16_t i = 0; i < c.in_count && written < VIRTIO_RNG_MAX_REQUEST; i++) {
            struct virtq_seg *s = &c.segs[c.out_count + i];
            uint32_t want = s->len;
            if (want > VIRTIO_RNG_MAX_REQUEST - written)
                want = VIRTIO_RNG_MAX_REQUEST - written;
            size_t got = d->backend.fill(d->backend.ctx, s->host, want);
            written += (uint32_t)got;
            if (got < want)
                break;
        }
        virtio_mmio_push(&d->transport, 0, &c, written);
    }
}
