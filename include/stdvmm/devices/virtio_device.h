/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtio device as its transport sees it, and its queues as the device
 * model sees them (VirtIO 1.2 §2-3), with no transport in either view.
 *
 * A device model (virtio_blk, virtio_net, ...) embeds a struct virtio_dev,
 * describes itself in struct virtio_dev_config (ID, features, queues,
 * configuration space size) and gives its ops: configuration space, queue
 * notification, reset, quiesce. Its host worker reaches the rings only
 * through virtio_dev_pop/push and friends below.
 *
 * A transport (virtio-mmio today; PCI or a shared-memory transport between
 * seL4 protection domains would be others) owns the register layout and the
 * interrupt mechanism. It attaches to a device (virtio_dev_attach) and
 * drives it through the transport half below: feature words, the status
 * state machine (written once here, as rust-vmm's ack_device_status), queue
 * set-up, configuration space. The device raises interrupts through the
 * transport's ops, never by itself.
 *
 * Threads. vCPU threads reach the transport's registers; the device's host
 * worker (a thread per device on Linux, the faulting VMM itself on seL4)
 * processes the queues. The two meet only through the device lock
 * (virtio_dev.lock: features, status; a transport takes it around its
 * register accesses), per-queue locks and atomics. Lock order: device lock,
 * then a queue lock.
 */
#ifndef STDVMM_DEVICES_VIRTIO_DEVICE_H
#define STDVMM_DEVICES_VIRTIO_DEVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtqueue.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/sync.h"

#define VIRTIO_MAX_QUEUES 4

/* Why a device interrupts its driver (the bits of virtio-mmio's InterruptStatus and PCI's ISR). */
#define VIRTIO_INT_VRING 0x1
#define VIRTIO_INT_CONFIG 0x2

/*
 * Where a device sits and how it reaches the host, filled by the machine
 * layer (window, line, memory) and the host (its hooks). The device uses
 * name, mem and the hooks; base and irq are for the transport.
 */
struct virtio_slot {
    const char *name; /* "blk0", for messages */
    uint64_t base;    /* guest-physical address of the transport's register window */
    uint32_t irq;     /* its interrupt line (GSI on x86, SPI on Arm) */
    const struct gmem *mem;
    /*
     * NULL, or the IOMMU translation the device's accesses go through: the
     * device then offers VIRTIO_F_ACCESS_PLATFORM and refuses a driver that
     * does not take it (it would hand us guest-physical addresses).
     */
    const struct dma_space *dma;
    uint32_t endpoint; /* with dma: the device's endpoint ID, which the firmware tables give */
    /* Raise the interrupt (edge), and wake the device's host worker. */
    void (*interrupt)(void *host_ctx);
    void (*kick)(void *host_ctx);
    /* The driver set DRIVER_OK (it has its interrupt handler by then). May be NULL. */
    void (*driver_ok)(void *host_ctx);
    void *host_ctx;
};

/* What a device model supplies; every member may be NULL. */
struct virtio_device_ops {
    /* Configuration space; offset + len lies inside config_size. */
    void (*config_read)(void *dev, uint32_t offset, uint8_t *data, uint32_t len);
    void (*config_write)(void *dev, uint32_t offset, const uint8_t *data, uint32_t len);
    /*
     * The driver reset the device (queues are already off). Runs on a vCPU
     * thread while the device's host worker may be running: touch only
     * state that is safe for that (atomics, or the device's own lock).
     */
    void (*reset)(void *dev);
    /* A queue was notified: the host worker serves the device's queues. */
    void (*notify)(void *dev);
    /* Stop touching guest memory for good (before the machine goes). */
    void (*quiesce)(void *dev);
};

struct virtio_dev_config {
    struct virtio_slot slot;
    uint32_t device_id; /* VIRTIO_ID_* */
    uint64_t features;  /* device-specific bits; VERSION_1, INDIRECT, EVENT_IDX are added */
    /* features is the whole set, ring bits included (the queues are served elsewhere). */
    bool features_exact;
    uint16_t num_queues; /* 1..VIRTIO_MAX_QUEUES */
    uint16_t queue_max;  /* the largest queue, a power of two up to VIRTQ_MAX_SIZE */
    uint32_t config_size;
    /* Queues (bit per index) served as input arrives rather than drained: virtq_set_quiet(). */
    uint32_t quiet_queues;
    const struct virtio_device_ops *ops;
    void *dev;
};

/* What a transport supplies to the device it carries. */
struct virtio_transport_ops {
    /* Tell the driver why (VIRTIO_INT_*) and raise the interrupt. */
    void (*interrupt)(void *transport, unsigned cause);
    /*
     * The device changed, on its own, what the driver reads (the status's
     * NEEDS_RESET, the configuration space, its generation); called before
     * the interrupt that tells the driver. May be NULL.
     */
    void (*changed)(void *transport);
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_dev {
    stdvmm_lock_t lock; /* features and status; taken before any queue lock */
    struct virtio_dev_config cfg;
    uint64_t device_features;
    uint64_t driver_features;
    atomic_uint status;
    atomic_uint config_generation;
    atomic_bool warned;
    const struct virtio_transport_ops *transport_ops;
    void *transport;
    char queue_names[VIRTIO_MAX_QUEUES][24];
    struct virtq queues[VIRTIO_MAX_QUEUES];
};

int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_config *cfg);
/* The transport that carries vd from now on (one per device). */
void virtio_dev_attach(struct virtio_dev *vd, const struct virtio_transport_ops *ops,
                       void *transport);

/* ---- The host's half ---- */

/* A queue was notified: runs the model's notify op on the calling (worker) thread. */
void virtio_dev_notify(struct virtio_dev *vd);
/* The model stops touching guest memory (its quiesce op, or nothing). */
void virtio_dev_quiesce(struct virtio_dev *vd);
/* Resets the device as a driver's status write of 0 does. */
void virtio_dev_reset(struct virtio_dev *vd);

/* ---- The device model's half: its host worker's view of the queues ---- */

bool virtio_dev_driver_ok(struct virtio_dev *vd);
/* The negotiated features (valid once FEATURES_OK is set). */
uint64_t virtio_dev_features(struct virtio_dev *vd);
bool virtio_dev_has_feature(struct virtio_dev *vd, unsigned bit);
/* True when the queue is running (ready, not broken). */
bool virtio_dev_queue_ready(struct virtio_dev *vd, unsigned queue);
/*
 * Each under the queue's lock. pop: 1 chain, 0 empty, <0 the queue broke
 * (NEEDS_RESET is already set and the driver told). push: returns the chain
 * with len bytes written and interrupts the guest if it asked for one.
 */
int virtio_dev_pop(struct virtio_dev *vd, unsigned queue, struct virtq_chain *c);
void virtio_dev_push(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                     uint32_t len);
/* Gives back the last n chains popped from queue (virtq_unpop). */
void virtio_dev_unpop(struct virtio_dev *vd, unsigned queue, uint32_t generation, uint16_t n);
/* Several pushes, one interrupt decision: push_nosignal ... then signal. */
void virtio_dev_push_nosignal(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                              uint32_t len);
void virtio_dev_signal(struct virtio_dev *vd, unsigned queue);
/*
 * Copies len bytes to dst (host memory inside one of c's buffers) only if
 * the driver has not reset the queue since c was popped; false if it has.
 * For answers a device writes by hand, such as virtio-blk's status byte.
 */
bool virtio_dev_chain_store(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                            uint8_t *dst, const void *src, size_t len);
/* Interrupts the driver for cause (VIRTIO_INT_*), whatever the rings say. */
void virtio_dev_interrupt(struct virtio_dev *vd, unsigned cause);
/* Marks the device DEVICE_NEEDS_RESET and raises a configuration interrupt. */
void virtio_dev_needs_reset(struct virtio_dev *vd);
/* The device changed its configuration space. */
void virtio_dev_config_changed(struct virtio_dev *vd);
/* Wakes the device's host worker (the slot's kick hook). */
void virtio_dev_kick(struct virtio_dev *vd);

/* ---- The transport's half: callers hold vd->lock ---- */

/* Feature word (0: bits 0-31, 1: bits 32-63); zero past the last. */
uint32_t virtio_dev_device_features(const struct virtio_dev *vd, uint32_t word);
/* False (nothing changed) once FEATURES_OK is set. */
bool virtio_dev_set_driver_features(struct virtio_dev *vd, uint32_t word, uint32_t value);
uint32_t virtio_dev_status(struct virtio_dev *vd);
/* The status state machine (§2.1, §3.1): reset on 0, FEATURES_OK check, DRIVER_OK start. */
void virtio_dev_set_status(struct virtio_dev *vd, uint32_t value);
/* The queue to set up; NULL past the device's queues. */
struct virtq *virtio_dev_queue(struct virtio_dev *vd, uint32_t queue);
/*
 * QueueReady: 1 starts a queue the transport has set up (its fields are
 * written under the queue's lock, and only while it is off); 0 stops it.
 */
void virtio_dev_queue_set_ready(struct virtio_dev *vd, struct virtq *vq, bool ready);
/* Configuration space bytes; those past config_size read zero, and writes past it are dropped. */
void virtio_dev_config_read(struct virtio_dev *vd, uint64_t offset, uint8_t *data, uint32_t len);
void virtio_dev_config_write(struct virtio_dev *vd, uint64_t offset, const uint8_t *data,
                             uint32_t len);
uint32_t virtio_dev_config_generation(struct virtio_dev *vd);
/* Logs the first malformed driver access to this device, and only that one. */
void virtio_dev_warn_once(struct virtio_dev *vd, const char *what, uint64_t offset, uint32_t len);

#endif
