/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/virtio_rng.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static void rng_notify(void *dev)
{
    virtio_rng_process(dev);
}

static const struct virtio_device_ops rng_ops = {.notify = rng_notify};

int virtio_rng_init(struct virtio_rng *d, const struct virtio_rng_config *cfg)
{
    if (cfg->backend.fill == NULL) {
        LOG_ERR("virtio-rng %s: no entropy backend", cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    memset(d, 0, sizeof(*d));
    d->backend = cfg->backend;
    struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_RNG,
        .num_queues = 1,
        .queue_max = VIRTIO_RNG_QUEUE_SIZE,
        .ops = &rng_ops,
        .dev = d,
    };
    return virtio_dev_init(&d->vdev, &t);
}

void virtio_rng_process(struct virtio_rng *d)
{
    struct virtq_chain c;

    virtq_chain_init(&c, d->segs, VIRTIO_RNG_MAX_SEGS);
    while (virtio_dev_pop(&d->vdev, 0, &c) > 0) {
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
        virtio_dev_push(&d->vdev, 0, &c, written);
    }
}
