/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The doorbells of a device whose queues another party serves (a vhost-user
 * backend, the kernel's vhost-net): per queue, the kick that the guest's
 * QueueNotify signals (the port's notifier, owned by the caller) and the
 * call eventfd the other party signals on completion, which the device's
 * loop relays into the interrupt, because virtio-mmio's interrupt status
 * lives in the VMM (virtio_vhost_used).
 */
#ifndef STDVMM_BACKENDS_VHOST_DOORBELLS_H
#define STDVMM_BACKENDS_VHOST_DOORBELLS_H

#include "stdvmm/devices/virtio_vhost.h"
#include "stdvmm/host/event_loop.h"

struct vhost_doorbells {
    int kick[VIRTIO_MAX_QUEUES];
    int call[VIRTIO_MAX_QUEUES];
    struct virtio_vhost *model;
};

/* No descriptors yet (every one -1). */
void vhost_doorbells_init(struct vhost_doorbells *b);
/*
 * This boot's: the count kicks, and a call eventfd per queue on loop whose
 * signal interrupts the guest through model. On failure the caller still
 * calls vhost_doorbells_detach().
 */
int vhost_doorbells_attach(struct vhost_doorbells *b, unsigned count, const int *kick_fds,
                           struct virtio_vhost *model, struct host_loop *loop);
/* The loop has stopped: closes the calls, forgets the kicks (the caller's). */
void vhost_doorbells_detach(struct vhost_doorbells *b);

#endif
