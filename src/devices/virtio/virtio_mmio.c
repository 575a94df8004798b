/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-mmio transport, version 2 (VirtIO 1.2 §4.2.2). Linux's virtio_mmio
 * driver probes the magic value and version, negotiates features 32 bits at
 * a time, sets up each queue (size, three ring addresses, QueueReady) and
 * then sets DRIVER_OK. Its interrupt handler reads InterruptStatus and acks
 * exactly the bits it read, so bits set meanwhile keep their own edge.
 */
#include "stdvmm/devices/virtio_mmio.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/bus.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

static uint32_t read_register(struct virtio_mmio *t, uint64_t offset);

/* ---- The read mirror (virtio_mmio_mirror) ---- */

/*
 * What the device changes without a driver's access, fresh. Under
 * mirror_lock, so that of two publications the later carries the later
 * state: each change publishes after it is made.
 */
static void device_side(struct virtio_mmio *t, uint8_t w[VIRTIO_MMIO_SIZE])
{
    virtio_put_le32(w + VIRTIO_MMIO_INTERRUPT_STATUS, atomic_load(&t->isr));
    virtio_put_le32(w + VIRTIO_MMIO_STATUS, virtio_dev_status(t->dev));
    virtio_put_le32(w + VIRTIO_MMIO_CONFIG_GENERATION, virtio_dev_config_generation(t->dev));
    virtio_dev_config_read(t->dev, 0, w + VIRTIO_MMIO_CONFIG, t->dev->cfg.config_size);
}

/*
 * The whole window; the caller holds the device lock (the select
 * registers). Once installed, a rewrite of a mapped copy cannot fail, and
 * a copy that is not mapped leaves reads to exit: either way reads stay
 * right, so callers after the first need no result.
 */
static int publish_all(struct virtio_mmio *t)
{
    uint8_t w[VIRTIO_MMIO_SIZE];

    for (uint32_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
        virtio_put_le32(w + off, read_register(t, off));
    memset(w + VIRTIO_MMIO_CONFIG, 0, VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG);
    stdvmm_lock(&t->mirror_lock);
    device_side(t, w);
    int r = t->publish(t->publish_ctx, 0, w, VIRTIO_MMIO_SIZE);
    stdvmm_unlock(&t->mirror_lock);
    return r;
}

/* InterruptStatus alone: once per interrupt and per acknowledgement. */
static void publish_isr(struct virtio_mmio *t)
{
    uint8_t v[4];

    stdvmm_lock(&t->mirror_lock);
    virtio_put_le32(v, atomic_load(&t->isr));
    (void)t->publish(t->publish_ctx, VIRTIO_MMIO_INTERRUPT_STATUS, v, 4);
    stdvmm_unlock(&t->mirror_lock);
}

/* Device threads may hold a queue lock here: only the leaf mirror_lock is taken. */
static void mmio_changed(void *transport)
{
    struct virtio_mmio *t = transport;
    uint8_t w[VIRTIO_MMIO_SIZE];
    uint32_t size = t->dev->cfg.config_size;

    if (t->publish == NULL)
        return;
    stdvmm_lock(&t->mirror_lock);
    device_side(t, w);
    (void)t->publish(t->publish_ctx, VIRTIO_MMIO_STATUS, w + VIRTIO_MMIO_STATUS, 4);
    (void)t->publish(t->publish_ctx, VIRTIO_MMIO_CONFIG_GENERATION,
                     w + VIRTIO_MMIO_CONFIG_GENERATION, 4);
    if (size > 0)
        (void)t->publish(t->publish_ctx, VIRTIO_MMIO_CONFIG, w + VIRTIO_MMIO_CONFIG, size);
    stdvmm_unlock(&t->mirror_lock);
}

int virtio_mmio_mirror(struct virtio_mmio *t, virtio_mmio_publish_fn publish, void *ctx)
{
    if (publish == NULL)
        return -STDVMM_EINVAL;
    t->publish = publish;
    t->publish_ctx = ctx;
    stdvmm_lock(&t->dev->lock);
    int r = publish_all(t);
    if (r < 0)
        t->publish = NULL;
    stdvmm_unlock(&t->dev->lock);
    return r;
}

/* ---- Interrupts ---- */

static void mmio_interrupt(void *transport, unsigned cause)
{
    struct virtio_mmio *t = transport;
    const struct virtio_slot *slot = &t->dev->cfg.slot;

    /*
     * A cause still pending has had its interrupt and the driver has not
     * acknowledged it: it reads InterruptStatus, acknowledges what it read,
     * and only then looks at its rings, so it will see what was added since.
     * Another edge would only bring it back to find nothing (two MMIO exits).
     * This is a level-triggered line's behaviour, as QEMU's virtio-mmio has.
     */
    if (atomic_fetch_or(&t->isr, cause) & cause)
        return;
    if (t->publish != NULL)
        publish_isr(t); /* the driver's handler reads it: before the interrupt */
    if (slot->interrupt != NULL)
        slot->interrupt(slot->host_ctx);
}

static const struct virtio_transport_ops mmio_transport_ops = {.interrupt = mmio_interrupt,
                                                               .changed = mmio_changed};

int virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *dev)
{
    if (dev->cfg.config_size > VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG) {
        LOG_ERR("virtio-mmio %s: a configuration space of %u bytes does not fit the window",
                dev->cfg.slot.name, dev->cfg.config_size);
        return -STDVMM_EINVAL;
    }
    memset(t, 0, sizeof(*t));
    t->dev = dev;
    atomic_init(&t->isr, 0);
    stdvmm_lock_init(&t->mirror_lock);
    virtio_dev_attach(dev, &mmio_transport_ops, t);
    return 0;
}

static uint32_t read_register(struct virtio_mmio *t, uint64_t offset)
{
    struct virtio_dev *vd = t->dev;
    struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);

    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return vd->cfg.device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return virtio_dev_device_features(vd, t->device_features_sel);
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq ? vd->cfg.queue_max : 0;
    case VIRTIO_MMIO_QUEUE_READY: {
        if (vq == NULL)
            return 0;
        stdvmm_lock(&vq->lock);
        uint32_t ready = vq->ready;
        stdvmm_unlock(&vq->lock);
        return ready;
    }
    case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&t->isr);
    case VIRTIO_MMIO_STATUS:
        return virtio_dev_status(vd);
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return virtio_dev_config_generation(vd);
    /* No shared memory regions: a length of all ones says "none". */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    default: return 0;
    }
}

static void write_status(struct virtio_mmio *t, uint32_t value)
{
    if ((value & 0xff) == 0) {
        t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
        atomic_store(&t->isr, 0);
    }
    virtio_dev_set_status(t->dev, value);
}

/* Queue set-up registers take effect only while the queue is off (spec §4.2.3.2). */
static void write_queue_field(struct virtio_mmio *t, struct virtq *vq, uint64_t offset,
                              uint32_t value)
{
    stdvmm_lock(&vq->lock);
    if (vq->ready) {
        stdvmm_unlock(&vq->lock);
        virtio_dev_warn_once(t->dev, "queue set-up write while the queue is running", offset, 4);
        return;
    }
    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM: vq->num = value > 0xffff ? 0 : (uint16_t)value; break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        vq->desc_gpa = (vq->desc_gpa & ~0xffffffffull) | value;
        break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        vq->desc_gpa = (vq->desc_gpa & 0xffffffffull) | (uint64_t)value << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        vq->avail_gpa = (vq->avail_gpa & ~0xffffffffull) | value;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        vq->avail_gpa = (vq->avail_gpa & 0xffffffffull) | (uint64_t)value << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        vq->used_gpa = (vq->used_gpa & ~0xffffffffull) | value;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        vq->used_gpa = (vq->used_gpa & 0xffffffffull) | (uint64_t)value << 32;
        break;
    default: break;
    }
    stdvmm_unlock(&vq->lock);
}

static void write_register(struct virtio_mmio *t, uint64_t offset, uint32_t value)
{
    struct virtio_dev *vd = t->dev;
    struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);

    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (!virtio_dev_set_driver_features(vd, t->driver_features_sel, value))
            virtio_dev_warn_once(vd, "feature write after FEATURES_OK", offset, 4);
        break;
    case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = value; break;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (vq != NULL)
            write_queue_field(t, vq, offset, value);
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (vq != NULL)
            virtio_dev_queue_set_ready(vd, vq, value != 0);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Only reached without an ioeventfd; the worker looks at every queue. */
        virtio_dev_kick(vd);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&t->isr, ~value); break;
    case VIRTIO_MMIO_STATUS: write_status(t, value); break;
    case VIRTIO_MMIO_SHM_SEL: break;
    default:
        virtio_dev_warn_once(vd, "write to a read-only or unknown register", offset, 4);
        break;
    }
}

void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;

    if (offset >= VIRTIO_MMIO_CONFIG) {
        virtio_dev_config_read(t->dev, offset - VIRTIO_MMIO_CONFIG, data, len);
        return;
    }
    if (len != 4 || (offset & 3) != 0) {
        memset(data, 0, len);
        virtio_dev_warn_once(t->dev, "register read that is not 32-bit aligned", offset, len);
        return;
    }
    stdvmm_lock(&t->dev->lock);
    uint32_t v = read_register(t, offset);
    stdvmm_unlock(&t->dev->lock);
    virtio_put_le32(data, v);
}

void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;

    if (offset >= VIRTIO_MMIO_CONFIG) {
        virtio_dev_config_write(t->dev, offset - VIRTIO_MMIO_CONFIG, data, len);
        if (t->publish != NULL) {
            stdvmm_lock(&t->dev->lock);
            (void)publish_all(t);
            stdvmm_unlock(&t->dev->lock);
        }
        return;
    }
    if (len != 4 || (offset & 3) != 0) {
        virtio_dev_warn_once(t->dev, "register write that is not 32-bit aligned", offset, len);
        return;
    }
    stdvmm_lock(&t->dev->lock);
    write_register(t, offset, virtio_le32(data));
    if (t->publish == NULL || offset == VIRTIO_MMIO_QUEUE_NOTIFY)
        ; /* nothing a read shows changed */
    else if (offset == VIRTIO_MMIO_INTERRUPT_ACK)
        publish_isr(t);
    else
        (void)publish_all(t);
    stdvmm_unlock(&t->dev->lock);
}

static const struct bus_device_ops virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

int virtio_mmio_register(struct virtio_mmio *t, struct vm *vm)
{
    const struct virtio_slot *slot = &t->dev->cfg.slot;
    int r = bus_register(&vm->mmio, slot->base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, t, slot->name);
    if (r < 0)
        return r;
    struct vm_platform_device dev = {
        .kind = VM_DEV_VIRTIO_MMIO,
        .base = slot->base,
        .size = VIRTIO_MMIO_SIZE,
        .is_pio = false,
        .irq = slot->irq,
        .iommu = t->dev->cfg.device_id == VIRTIO_ID_IOMMU ? VM_IOMMU_SELF
                 : slot->dma != NULL                      ? VM_IOMMU_ENDPOINT
                                                          : VM_IOMMU_NONE,
        .iommu_endpoint = slot->endpoint,
    };
    return vm_add_platform_device(vm, &dev);
}
