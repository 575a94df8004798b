/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-mmio transport, modern interface only (Version register 2;
 * VirtIO 1.2 §4.2.2). One transport instance carries one device: the
 * device model (virtio_blk, virtio_net, ...) embeds it, describes itself in
 * struct virtio_mmio_config and keeps its own logic; the transport owns the
 * register file, feature negotiation, the queues and the interrupt status.
 *
 * Threads. vCPU threads reach the registers through the MMIO bus; a host
 * worker (the host's: a thread per device on Linux, the faulting VMM itself
 * on seL4; never one created here) processes the queues. The two meet only
 * through per-queue locks and atomics:
 *  - the guest's QueueNotify write normally never gets here: the Linux
 *    runtime turns it into a host notification (ioeventfd on KVM). If it
 *    does arrive, the transport forwards it with cfg.kick;
 *  - used buffers are signalled with cfg.interrupt (irqfd on KVM), from
 *    whichever host thread completed them.
 */
#ifndef STDVMM_DEVICES_VIRTIO_MMIO_H
#define STDVMM_DEVICES_VIRTIO_MMIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtqueue.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/sync.h"

struct vm;

/* The register window the firmware tables announce; the device needs no more. */
#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_MAX_QUEUES 4

/* Register offsets (spec §4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4d565453u /* "STVM" */

#define VIRTIO_MMIO_INT_VRING 0x1
#define VIRTIO_MMIO_INT_CONFIG 0x2

/* What a device model supplies to the transport. */
struct virtio_device_ops {
    /* Configuration space; offset + len lies inside config_size. May be NULL. */
    void (*config_read)(void *dev, uint32_t offset, uint8_t *data, uint32_t len);
    void (*config_write)(void *dev, uint32_t offset, const uint8_t *data, uint32_t len);
    /*
     * The driver reset the device (queues are already off). Runs on a vCPU
     * thread while the device's host worker may be running: touch only
     * state that is safe for that (atomics, or the device's own lock).
     */
    void (*reset)(void *dev);
};

/*
 * Where a device sits and how it reaches the host: the same for every
 * device model, filled by the machine layer (window, interrupt, memory) and
 * the host (its hooks).
 */
struct virtio_mmio_slot {
    const char *name; /* "blk0", for messages */
    uint64_t base;    /* guest-physical address of the register window */
    uint32_t irq;     /* its interrupt line (GSI on x86, SPI on Arm) */
    const struct gmem *mem;
    /* Raise the interrupt (edge), and wake the device's host worker. */
    void (*interrupt)(void *host_ctx);
    void (*kick)(void *host_ctx);
    /* The driver set DRIVER_OK (it has its interrupt handler by then). May be NULL. */
    void (*driver_ok)(void *host_ctx);
    void *host_ctx;
};

struct virtio_mmio_config {
    struct virtio_mmio_slot slot;
    uint32_t device_id;  /* VIRTIO_ID_* */
    uint64_t features;   /* device-specific bits; the transport adds VERSION_1, INDIRECT, EVENT_IDX */
    /* features is the whole set, transport bits included (the queues are served elsewhere). */
    bool features_exact;
    uint16_t num_queues; /* 1..VIRTIO_MMIO_MAX_QUEUES */
    uint16_t queue_max;  /* QueueNumMax, a power of two up to VIRTQ_MAX_SIZE */
    uint32_t config_size;
    const struct virtio_device_ops *ops;
    void *dev;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_mmio {
    stdvmm_lock_t lock; /* the register file; taken before any queue lock */
    struct virtio_mmio_config cfg;
    uint64_t device_features;
    uint64_t driver_features;
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    atomic_uint status;
    atomic_uint isr;
    atomic_uint config_generation;
    atomic_bool warned;
    char queue_names[VIRTIO_MMIO_MAX_QUEUES][24];
    struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
};

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_config *cfg);

/*
 * Claims VIRTIO_MMIO_SIZE bytes at cfg.base on the VM's MMIO bus and adds a
 * VM_DEV_VIRTIO_MMIO platform device so the firmware tables describe it.
 */
int virtio_mmio_register(struct virtio_mmio *t, struct vm *vm);

/* The bus operations, for harnesses that drive the registers directly. */
void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);

bool virtio_mmio_driver_ok(struct virtio_mmio *t);
/* The negotiated features (valid once FEATURES_OK is set). */
uint64_t virtio_mmio_features(struct virtio_mmio *t);
/* Negotiated feature bit (valid once FEATURES_OK is set). */
bool virtio_mmio_has_feature(struct virtio_mmio *t, unsigned bit);

/*
 * Queue access for the device model's host worker, each under the queue's
 * lock. pop: 1 chain, 0 empty, <0 the queue broke (the transport already
 * set NEEDS_RESET and told the driver). push: returns the chain with len
 * bytes written and interrupts the guest if it asked for one.
 */
int virtio_mmio_pop(struct virtio_mmio *t, unsigned queue, struct virtq_chain *c);
void virtio_mmio_push(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                      uint32_t len);
/* Gives back the last n chains popped from queue (virtq_unpop). */
void virtio_mmio_unpop(struct virtio_mmio *t, unsigned queue, uint32_t generation, uint16_t n);
/* Several pushes, one interrupt decision: push_batch ... then signal. */
void virtio_mmio_push_nosignal(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                               uint32_t len);
void virtio_mmio_signal(struct virtio_mmio *t, unsigned queue);
/*
 * Copies len bytes to dst (host memory inside one of c's buffers) only if
 * the driver has not reset the queue since c was popped; false if it has.
 * For answers a device writes by hand, such as virtio-blk's status byte.
 */
bool virtio_mmio_chain_store(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                             uint8_t *dst, const void *src, size_t len);
/* True when the queue is running (ready, not broken). */
bool virtio_mmio_queue_ready(struct virtio_mmio *t, unsigned queue);

/* Sets InterruptStatus bits and raises the interrupt, whatever the rings say. */
void virtio_mmio_interrupt(struct virtio_mmio *t, unsigned bits);

/* Marks the device DEVICE_NEEDS_RESET and raises a configuration interrupt. */
void virtio_mmio_needs_reset(struct virtio_mmio *t);
/* The device changed its configuration space. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

#endif
