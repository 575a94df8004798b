/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/virtio_console.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* struct virtio_console_config of the spec: cols, rows, max_nr_ports, emerg_wr (all unused). */
#define CONSOLE_CONFIG_SIZE 12

static void console_config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    static const uint8_t zero[CONSOLE_CONFIG_SIZE];
    (void)dev;
    virtio_config_copy(zero, sizeof(zero), offset, data, len);
}

static void console_notify(void *dev)
{
    virtio_console_process(dev);
}

static void console_quiesce(void *dev)
{
    virtio_console_quiesce(dev);
}

static const struct virtio_device_ops console_ops = {
    .config_read = console_config_read, .notify = console_notify, .quiesce = console_quiesce};

int virtio_console_init(struct virtio_console *d, const struct virtio_console_config *cfg)
{
    memset(d, 0, sizeof(*d));
    d->backend = cfg->backend;
    stdvmm_lock_init(&d->rx_lock);
    struct virtio_dev_config t = {
        .slot = cfg->slot,
        .device_id = VIRTIO_ID_CONSOLE,
        .num_queues = 2,
        .queue_max = VIRTIO_CONSOLE_QUEUE_SIZE,
        .config_size = CONSOLE_CONFIG_SIZE,
        .ops = &console_ops,
        .dev = d,
    };
    return virtio_dev_init(&d->vdev, &t);
}

void virtio_console_process(struct virtio_console *d)
{
    struct virtq_chain c;

    virtq_chain_init(&c, d->tx_segs, VIRTIO_CONSOLE_MAX_SEGS);
    while (virtio_dev_pop(&d->vdev, VIRTIO_CONSOLE_TX, &c) > 0) {
        /*
         * Descriptors may all point at one large buffer: without a bound, a
         * chain of 64 descriptors on 1 MiB sends 64 MiB to the host.
         */
        uint64_t left = VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT;
        for (uint16_t i = 0; i < c.out_count && left > 0; i++) {
            uint32_t n = c.segs[i].len < left ? c.segs[i].len : (uint32_t)left;
            if (d->backend.output != NULL)
                d->backend.output(d->backend.ctx, c.segs[i].host, n);
            left -= n;
        }
        if (left == 0 && c.out_bytes > VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT && !d->warned) {
            d->warned = true;
            LOG_WARN("virtio-console %s: a chain of %llu bytes; only its first %u reach the "
                     "host (warning once)",
                     d->vdev.cfg.slot.name, (unsigned long long)c.out_bytes,
                     VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT);
        }
        virtio_dev_push(&d->vdev, VIRTIO_CONSOLE_TX, &c, 0);
    }
}

size_t virtio_console_receive(struct virtio_console *d, const uint8_t *buf, size_t len)
{
    struct virtq_chain c;
    size_t taken = 0;

    if (!virtio_dev_driver_ok(&d->vdev))
        return 0;
    virtq_chain_init(&c, d->rx_segs, VIRTIO_CONSOLE_MAX_SEGS);
    stdvmm_lock(&d->rx_lock);
    while (taken < len && virtio_dev_pop(&d->vdev, VIRTIO_CONSOLE_RX, &c) > 0) {
        uint64_t n = virtq_chain_write(&c, 0, buf + taken, len - taken);
        taken += n;
        virtio_dev_push(&d->vdev, VIRTIO_CONSOLE_RX, &c, (uint32_t)n);
    }
    stdvmm_unlock(&d->rx_lock);
    return taken;
}

void virtio_console_quiesce(struct virtio_console *d)
{
    stdvmm_lock(&d->rx_lock);
    virtio_dev_reset(&d->vdev);
    stdvmm_unlock(&d->rx_lock);
}
