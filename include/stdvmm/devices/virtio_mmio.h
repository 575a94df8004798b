/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-mmio transport, modern interface only (Version register 2;
 * VirtIO 1.2 §4.2.2): one transport of the device models, which do not know
 * it (stdvmm/devices/virtio_device.h). An instance carries one device: it
 * decodes the register window into the device's transport half and keeps
 * only what is MMIO's own: the select registers and InterruptStatus.
 *
 * Threads. vCPU threads reach the registers through the MMIO bus, under the
 * device lock. The guest's QueueNotify write normally never gets here: the
 * Linux runtime turns it into a host notification (ioeventfd on KVM). If it
 * does arrive, the transport forwards it with the slot's kick. Used buffers
 * are signalled with the slot's interrupt (irqfd on KVM), from whichever host
 * thread completed them.
 */
#ifndef STDVMM_DEVICES_VIRTIO_MMIO_H
#define STDVMM_DEVICES_VIRTIO_MMIO_H

#include <stdatomic.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"
#include "stdvmm/sync.h"

struct vm;

/* The register window the firmware tables announce; the device needs no more. */
#define VIRTIO_MMIO_SIZE 0x200

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

/*
 * Publishes len bytes at offset of the window's page for guest reads
 * without an exit (virtio_mmio_mirror): offset 0 with VIRTIO_MMIO_SIZE
 * bytes installs or rewrites the whole page (the rest of it reading 0xff,
 * as unclaimed MMIO does); a smaller piece patches it. 0, or why not.
 */
typedef int (*virtio_mmio_publish_fn)(void *ctx, uint32_t offset, const uint8_t *bytes,
                                      uint32_t len);

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_mmio {
    struct virtio_dev *dev;
    /* Under dev->lock. */
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    atomic_uint isr;
    /* The read mirror: NULL publish, none. mirror_lock orders publications (a leaf lock). */
    virtio_mmio_publish_fn publish;
    void *publish_ctx;
    stdvmm_lock_t mirror_lock;
};

/*
 * Carries dev (initialised) from now on, its window at the slot's base.
 * Fails when its configuration space does not fit the window.
 */
int virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *dev);

/*
 * Claims VIRTIO_MMIO_SIZE bytes at the slot's base on the VM's MMIO bus and
 * adds a VM_DEV_VIRTIO_MMIO platform device so the firmware tables describe it.
 */
int virtio_mmio_register(struct virtio_mmio *t, struct vm *vm);

/*
 * From now on every register and configuration read of the window comes
 * from a copy the host keeps current through publish (a read-only page on
 * KVM), so the driver's InterruptStatus read in each interrupt costs no
 * exit; writes still reach virtio_mmio_write. Every virtio-mmio read is
 * free of side effects, so the copy only has to be rewritten when state
 * changes: after each register or configuration write, when the device
 * raises an interrupt (InterruptStatus, before the interrupt) and when it
 * changes its status or configuration (virtio_transport_ops.changed).
 * Call before the guest runs. Fails (and leaves reads to exit) when
 * publish fails.
 */
int virtio_mmio_mirror(struct virtio_mmio *t, virtio_mmio_publish_fn publish, void *ctx);

/* The bus operations, for harnesses that drive the registers directly. */
void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);

#endif
