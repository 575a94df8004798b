/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio device with its queues served elsewhere (stdvmm/devices/virtio_vhost.h).
 * Start and stop race: the worker hands the rings over while a vCPU may be
 * resetting the device. Each reset bumps a generation before it stops the
 * backend, and the worker reads the generation before it reads the queues,
 * so a start built from pre-reset state carries an older generation than
 * the stop and the backend drops it.
 */
#include "stdvmm/devices/virtio_vhost.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static void vhost_config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_vhost *d = dev;
    d->backend.config_read(d->backend.ctx, offset, data, len);
}

/* Under the device lock, on the vCPU thread that wrote Status = 0. */
static void vhost_reset(void *dev)
{
    struct virtio_vhost *d = dev;
    unsigned gen = atomic_fetch_add(&d->reset_generation, 1) + 1;
    d->backend.stop(d->backend.ctx, gen);
}

static void vhost_notify(void *dev)
{
    virtio_vhost_process(dev);
}

static const struct virtio_device_ops vhost_ops = {
    .config_read = vhost_config_read, .reset = vhost_reset, .notify = vhost_notify};

int virtio_vhost_init(struct virtio_vhost *d, const struct virtio_vhost_config *cfg)
{
    if (cfg->backend.config_read == NULL || cfg->backend.start == NULL ||
        cfg->backend.stop == NULL) {
        LOG_ERR("virtio %s: a vhost device needs config_read, start and stop",
                cfg->slot.name ? cfg->slot.name : "?");
        return -STDVMM_EINVAL;
    }
    const struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = cfg->device_id,
        .features = cfg->features,
        .features_exact = true,
        .num_queues = cfg->num_queues,
        .queue_max = cfg->queue_max,
        .config_size = cfg->config_size,
        .ops = &vhost_ops,
        .dev = d,
    };
    d->backend = cfg->backend;
    atomic_init(&d->reset_generation, 0);
    atomic_init(&d->started_generation, 0);
    return virtio_dev_init(&d->vdev, &t);
}

void virtio_vhost_process(struct virtio_vhost *d)
{
    struct virtio_dev *t = &d->vdev;
    unsigned gen = atomic_load(&d->reset_generation);

    if (!virtio_dev_driver_ok(t) || atomic_load(&d->started_generation) == gen + 1)
        return;
    struct virtio_vhost_queue q[VIRTIO_MAX_QUEUES];
    unsigned count = 0;
    for (unsigned i = 0; i < t->cfg.num_queues; i++) {
        struct virtq *vq = &t->queues[i];
        stdvmm_lock(&vq->lock);
        if (vq->ready && !vq->broken)
            q[count++] = (struct virtio_vhost_queue){
                .index = i,
                .num = vq->num,
                .desc = vq->desc_gpa,
                .avail = vq->avail_gpa,
                .used = vq->used_gpa,
            };
        stdvmm_unlock(&vq->lock);
    }
    atomic_store(&d->started_generation, gen + 1);
    if (d->backend.start(d->backend.ctx, gen, virtio_dev_features(t), q, count) != 0)
        virtio_vhost_failed(d);
}

void virtio_vhost_used(struct virtio_vhost *d)
{
    virtio_dev_interrupt(&d->vdev, VIRTIO_INT_VRING);
}

void virtio_vhost_failed(struct virtio_vhost *d)
{
    virtio_dev_needs_reset(&d->vdev);
}
