/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console (VirtIO 1.2 §5.3) with a single port and no multiport or
 * resize support: Linux makes it hvc0. Guest output goes to a backend
 * callback (the VMM's console: terminal or file); host input is offered
 * with virtio_console_receive(), which takes what the guest has room for.
 */
#ifndef STDVMM_DEVICES_VIRTIO_CONSOLE_H
#define STDVMM_DEVICES_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"
#include "stdvmm/sync.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_MAX_SEGS 64
/*
 * Bytes of one transmit chain handed to the host; the rest is dropped.
 * Linux's hvc driver sends at most its output buffer, a page (64 KiB on the
 * largest page size), per chain, so this only cuts a guest that points
 * many descriptors at one buffer.
 */
#define VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT 65536u
#define VIRTIO_CONSOLE_RX 0 /* receiveq0: host to guest */
#define VIRTIO_CONSOLE_TX 1 /* transmitq0: guest to host */

struct virtio_console_backend {
    /* Guest output; NULL discards it. */
    void (*output)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
};

struct virtio_console_config {
    struct virtio_slot slot;
    struct virtio_console_backend backend;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_console {
    struct virtio_dev vdev;
    struct virtio_console_backend backend;
    stdvmm_lock_t rx_lock; /* input may come from several host threads */
    bool warned;           /* a transmit chain was cut to VIRTIO_CONSOLE_MAX_CHAIN_OUTPUT */
    struct virtq_seg tx_segs[VIRTIO_CONSOLE_MAX_SEGS];
    struct virtq_seg rx_segs[VIRTIO_CONSOLE_MAX_SEGS];
};

int virtio_console_init(struct virtio_console *d, const struct virtio_console_config *cfg);
/* Host worker: the guest queued output. */
void virtio_console_process(struct virtio_console *d);
/*
 * Host input: copies up to len bytes into the guest's receive buffers and
 * returns how many it took (0 while the guest has posted none).
 */
size_t virtio_console_receive(struct virtio_console *d, const uint8_t *buf, size_t len);
/*
 * Resets the device and waits for a virtio_console_receive() in progress:
 * afterwards no input reaches guest memory (call before it goes away).
 */
void virtio_console_quiesce(struct virtio_console *d);

#endif
