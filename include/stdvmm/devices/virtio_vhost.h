/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtio device whose queues another party serves (vhost-user on Linux):
 * the VMM keeps the virtio-mmio register file, feature negotiation and the
 * interrupt status, and hands the rings over when the driver sets
 * DRIVER_OK. After that the backend reads the rings and buffers itself,
 * the guest's QueueNotify reaches it without the VMM (an ioeventfd per
 * queue on KVM), and its completions come back through
 * virtio_vhost_used(), which sets the interrupt status and raises the
 * interrupt: the status register lives here, so the backend cannot raise
 * it on its own.
 *
 * The device knows nothing of sockets; the host supplies the backend ops.
 */
#ifndef STDVMM_DEVICES_VIRTIO_VHOST_H
#define STDVMM_DEVICES_VIRTIO_VHOST_H

#include <stdatomic.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"

/* One queue as the driver set it up (guest-physical ring addresses). */
struct virtio_vhost_queue {
    unsigned index;
    uint16_t num;
    uint64_t desc, avail, used;
};

struct virtio_vhost_backend {
    /* Configuration space bytes (len from the transport, inside config_size). */
    void (*config_read)(void *ctx, uint32_t offset, uint8_t *data, uint32_t len);
    /*
     * The driver set DRIVER_OK with features and these ready queues (on the
     * device's host worker). generation is the reset count it was read at:
     * a stop() with a later one has overtaken it, and the start must not
     * happen. Nonzero: the backend could not take the rings.
     */
    int (*start)(void *ctx, unsigned generation, uint64_t features,
                 const struct virtio_vhost_queue *queues, unsigned count);
    /*
     * The driver reset the device (on a vCPU thread): the backend must let
     * go of the rings before this returns, since the driver frees them next.
     */
    void (*stop)(void *ctx, unsigned generation);
    void *ctx;
};

struct virtio_vhost_config {
    struct virtio_slot slot;
    uint32_t device_id;
    uint64_t features; /* all of them, transport bits included: the backend's choice */
    uint16_t num_queues;
    uint16_t queue_max;
    uint32_t config_size;
    struct virtio_vhost_backend backend;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_vhost {
    struct virtio_dev vdev;
    struct virtio_vhost_backend backend;
    atomic_uint reset_generation;
    atomic_uint started_generation; /* reset_generation + 1 when the rings went over */
};

int virtio_vhost_init(struct virtio_vhost *d, const struct virtio_vhost_config *cfg);
/* Host worker: hands the rings over once the driver is ready. */
void virtio_vhost_process(struct virtio_vhost *d);
/* The backend used buffers (it signalled its call notifier): interrupt the guest. */
void virtio_vhost_used(struct virtio_vhost *d);
/* The backend failed for good: the driver is told to reset the device. */
void virtio_vhost_failed(struct virtio_vhost *d);

#endif
