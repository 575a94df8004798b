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

#define TRANSPORT_FEATURES                                                                         \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |                         \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

static void warn_once(struct virtio_mmio *t, const char *what, uint64_t offset, uint32_t len)
{
    if (!atomic_exchange(&t->warned, true))
        LOG_WARN("virtio-mmio %s at 0x%llx: %s (offset 0x%llx, %u bytes); ignored (warning once)",
                 t->cfg.slot.name, (unsigned long long)t->cfg.slot.base, what, (unsigned long long)offset,
                 len);
}

static void raise_interrupt(struct virtio_mmio *t, unsigned bits)
{
    atomic_fetch_or(&t->isr, bits);
    if (t->cfg.slot.interrupt != NULL)
        t->cfg.slot.interrupt(t->cfg.slot.host_ctx);
}

static void kick(struct virtio_mmio *t)
{
    if (t->cfg.slot.kick != NULL)
        t->cfg.slot.kick(t->cfg.slot.host_ctx);
}

static void name_queue(char *out, size_t size, const char *dev, unsigned index)
{
    size_t n = strlen(dev);

    if (n > size - 4)
        n = size - 4;
    memcpy(out, dev, n);
    out[n] = '.';
    out[n + 1] = 'q';
    out[n + 2] = (char)('0' + index % 10);
    out[n + 3] = '\0';
}

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_config *cfg)
{
    if (cfg == NULL || cfg->slot.mem == NULL || cfg->num_queues == 0 ||
        cfg->num_queues > VIRTIO_MMIO_MAX_QUEUES || cfg->queue_max == 0 ||
        cfg->queue_max > VIRTQ_MAX_SIZE || (cfg->queue_max & (cfg->queue_max - 1)) != 0 ||
        cfg->config_size > VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG) {
        LOG_ERR("virtio-mmio %s: bad configuration (queues %u, queue size %u, config %u bytes)",
                cfg && cfg->slot.name ? cfg->slot.name : "?", cfg ? cfg->num_queues : 0,
                cfg ? cfg->queue_max : 0, cfg ? cfg->config_size : 0);
        return -STDVMM_EINVAL;
    }
    memset(t, 0, sizeof(*t));
    stdvmm_lock_init(&t->lock);
    t->cfg = *cfg;
    if (t->cfg.slot.name == NULL)
        t->cfg.slot.name = "virtio";
    t->device_features = cfg->features | (cfg->features_exact ? 0 : TRANSPORT_FEATURES);
    atomic_init(&t->status, 0);
    atomic_init(&t->isr, 0);
    atomic_init(&t->config_generation, 0);
    atomic_init(&t->warned, false);
    for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
        name_queue(t->queue_names[i], sizeof(t->queue_names[i]), t->cfg.slot.name, i);
        virtq_init(&t->queues[i], cfg->slot.mem, t->queue_names[i]);
    }
    return 0;
}

static struct virtq *selected(struct virtio_mmio *t)
{
    return t->queue_sel < t->cfg.num_queues ? &t->queues[t->queue_sel] : NULL;
}

static uint32_t read_register(struct virtio_mmio *t, uint64_t offset)
{
    struct virtq *vq = selected(t);

    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID: return t->cfg.device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (t->device_features_sel > 1)
            return 0;
        return (uint32_t)(t->device_features >> (32 * t->device_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? t->cfg.queue_max : 0;
    case VIRTIO_MMIO_QUEUE_READY: {
        if (vq == NULL)
            return 0;
        stdvmm_lock(&vq->lock);
        uint32_t ready = vq->ready;
        stdvmm_unlock(&vq->lock);
        return ready;
    }
    case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&t->isr);
    case VIRTIO_MMIO_STATUS: return atomic_load(&t->status);
    case VIRTIO_MMIO_CONFIG_GENERATION: return atomic_load(&t->config_generation);
    /* No shared memory regions: a length of all ones says "none". */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    default: return 0;
    }
}

static void reset_device(struct virtio_mmio *t)
{
    for (unsigned i = 0; i < t->cfg.num_queues; i++) {
        stdvmm_lock(&t->queues[i].lock);
        virtq_reset(&t->queues[i]);
        stdvmm_unlock(&t->queues[i].lock);
    }
    t->driver_features = 0;
    t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
    atomic_store(&t->isr, 0);
    atomic_store(&t->status, 0);
    if (t->cfg.ops != NULL && t->cfg.ops->reset != NULL)
        t->cfg.ops->reset(t->cfg.dev);
}

static void write_status(struct virtio_mmio *t, uint32_t value)
{
    uint32_t old = atomic_load(&t->status);

    /*
     * Mask first: the register is 8 bits wide, and 0x100 must not count as
     * "not a reset" and then store 0, leaving the queues live.
     */
    value &= 0xff;
    if (value == 0) {
        reset_device(t);
        return;
    }
    /*
     * The driver must not clear a status bit (VirtIO 1.2 §2.1.2) other than
     * by a reset; honouring it would let DRIVER_OK be set, and the device
     * started, again on live queues.
     */
    uint32_t kept = old & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET & 0xff;
    if ((value & kept) != kept) {
        warn_once(t, "status write clears bits without a reset", VIRTIO_MMIO_STATUS, 4);
        return;
    }
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        /* Refusing FEATURES_OK is how the spec says "not with those features". */
        if ((t->driver_features & ~t->device_features) != 0 ||
            !(t->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
            LOG_WARN("virtio-mmio %s: driver features 0x%llx are not a subset of 0x%llx with "
                     "VERSION_1; refusing FEATURES_OK",
                     t->cfg.slot.name, (unsigned long long)t->driver_features,
                     (unsigned long long)t->device_features);
            value &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        }
    }
    /*
     * NEEDS_RESET is the device's bit: the driver cannot clear it except by
     * a reset, and a worker may set it at any moment, hence the CAS.
     */
    uint32_t want;
    do {
        want = value | (old & VIRTIO_STATUS_NEEDS_RESET);
    } while (!atomic_compare_exchange_weak(&t->status, &old, want));
    value = want;
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        if (t->cfg.slot.driver_ok != NULL)
            t->cfg.slot.driver_ok(t->cfg.slot.host_ctx);
        kick(t); /* the worker may have input waiting for the queues */
    }
}

static void write_queue_ready(struct virtio_mmio *t, struct virtq *vq, uint32_t value)
{
    bool event_idx = t->driver_features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    bool indirect = t->driver_features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    bool started = false;

    stdvmm_lock(&vq->lock);
    if (value == 0) {
        /* Disabling keeps nothing: the driver sets the queue up again from scratch. */
        uint16_t num = vq->num;
        uint64_t d = vq->desc_gpa, a = vq->avail_gpa, u = vq->used_gpa;
        virtq_reset(vq);
        vq->num = num;
        vq->desc_gpa = d;
        vq->avail_gpa = a;
        vq->used_gpa = u;
    } else if (!vq->ready) {
        if (vq->num > t->cfg.queue_max)
            LOG_WARN("%s: queue size %u above QueueNumMax %u; queue stays off", vq->name, vq->num,
                     t->cfg.queue_max);
        else
            started = virtq_enable(vq, event_idx, indirect) == 0;
    }
    stdvmm_unlock(&vq->lock);
    if (started)
        kick(t);
}

/* Queue set-up registers take effect only while the queue is off (spec §4.2.3.2). */
static void write_queue_field(struct virtio_mmio *t, struct virtq *vq, uint64_t offset,
                              uint32_t value)
{
    stdvmm_lock(&vq->lock);
    if (vq->ready) {
        stdvmm_unlock(&vq->lock);
        warn_once(t, "queue set-up write while the queue is running", offset, 4);
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
    struct virtq *vq = selected(t);

    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (atomic_load(&t->status) & VIRTIO_STATUS_FEATURES_OK) {
            warn_once(t, "feature write after FEATURES_OK", offset, 4);
        } else if (t->driver_features_sel <= 1) {
            unsigned shift = 32 * t->driver_features_sel;
            t->driver_features &= ~(0xffffffffull << shift);
            t->driver_features |= (uint64_t)value << shift;
        }
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
            write_queue_ready(t, vq, value);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Only reached without an ioeventfd; the worker looks at every queue. */
        kick(t);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK: atomic_fetch_and(&t->isr, ~value); break;
    case VIRTIO_MMIO_STATUS: write_status(t, value); break;
    case VIRTIO_MMIO_SHM_SEL: break;
    default: warn_once(t, "write to a read-only or unknown register", offset, 4); break;
    }
}

void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;

    if (offset >= VIRTIO_MMIO_CONFIG) {
        uint64_t off = offset - VIRTIO_MMIO_CONFIG;
        memset(data, 0, len);
        if (t->cfg.ops != NULL && t->cfg.ops->config_read != NULL &&
            off + len <= t->cfg.config_size)
            t->cfg.ops->config_read(t->cfg.dev, (uint32_t)off, data, len);
        return;
    }
    if (len != 4 || (offset & 3) != 0) {
        memset(data, 0, len);
        warn_once(t, "register read that is not 32-bit aligned", offset, len);
        return;
    }
    stdvmm_lock(&t->lock);
    uint32_t v = read_register(t, offset);
    stdvmm_unlock(&t->lock);
    virtio_put_le32(data, v);
}

void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;

    if (offset >= VIRTIO_MMIO_CONFIG) {
        uint64_t off = offset - VIRTIO_MMIO_CONFIG;
        if (t->cfg.ops != NULL && t->cfg.ops->config_write != NULL &&
            off + len <= t->cfg.config_size)
            t->cfg.ops->config_write(t->cfg.dev, (uint32_t)off, data, len);
        return;
    }
    if (len != 4 || (offset & 3) != 0) {
        warn_once(t, "register write that is not 32-bit aligned", offset, len);
        return;
    }
    stdvmm_lock(&t->lock);
    write_register(t, offset, virtio_le32(data));
    stdvmm_unlock(&t->lock);
}

static const struct bus_device_ops virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

int virtio_mmio_register(struct virtio_mmio *t, struct vm *vm)
{
    int r = bus_register(&vm->mmio, t->cfg.slot.base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, t,
                         t->cfg.slot.name);
    if (r < 0)
        return r;
    struct vm_platform_device dev = {
        .kind = VM_DEV_VIRTIO_MMIO,
        .base = t->cfg.slot.base,
        .size = VIRTIO_MMIO_SIZE,
        .is_pio = false,
        .irq = t->cfg.slot.irq,
    };
    return vm_add_platform_device(vm, &dev);
}

bool virtio_mmio_driver_ok(struct virtio_mmio *t)
{
    return (atomic_load(&t->status) & VIRTIO_STATUS_DRIVER_OK) != 0;
}

uint64_t virtio_mmio_features(struct virtio_mmio *t)
{
    stdvmm_lock(&t->lock);
    uint64_t f = t->driver_features & t->device_features;
    stdvmm_unlock(&t->lock);
    return f;
}

bool virtio_mmio_has_feature(struct virtio_mmio *t, unsigned bit)
{
    if (bit >= 64)
        return false;
    stdvmm_lock(&t->lock);
    bool has = (t->driver_features & t->device_features & VIRTIO_BIT(bit)) != 0;
    stdvmm_unlock(&t->lock);
    return has;
}

bool virtio_mmio_queue_ready(struct virtio_mmio *t, unsigned queue)
{
    if (queue >= t->cfg.num_queues)
        return false;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    bool ready = vq->ready && !vq->broken;
    stdvmm_unlock(&vq->lock);
    return ready;
}

int virtio_mmio_pop(struct virtio_mmio *t, unsigned queue, struct virtq_chain *c)
{
    if (queue >= t->cfg.num_queues)
        return 0;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    bool was_broken = vq->broken;
    int r = virtq_pop(vq, c);
    stdvmm_unlock(&vq->lock);
    if (r < 0 && !was_broken)
        virtio_mmio_needs_reset(t);
    return r;
}

void virtio_mmio_unpop(struct virtio_mmio *t, unsigned queue, uint32_t generation, uint16_t n)
{
    if (queue >= t->cfg.num_queues)
        return;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    virtq_unpop(vq, generation, n);
    stdvmm_unlock(&vq->lock);
}

void virtio_mmio_push_nosignal(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                               uint32_t len)
{
    if (queue >= t->cfg.num_queues)
        return;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    virtq_push(vq, c, len);
    stdvmm_unlock(&vq->lock);
}

bool virtio_mmio_chain_store(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                             uint8_t *dst, const void *src, size_t len)
{
    if (queue >= t->cfg.num_queues)
        return false;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    /* Under the lock, so a reset on a vCPU cannot slip in between test and store. */
    bool live = vq->ready && !vq->broken && c->generation == vq->generation;
    if (live)
        memcpy(dst, src, len);
    stdvmm_unlock(&vq->lock);
    return live;
}

void virtio_mmio_signal(struct virtio_mmio *t, unsigned queue)
{
    if (queue >= t->cfg.num_queues)
        return;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    bool notify = virtq_should_notify(vq);
    stdvmm_unlock(&vq->lock);
    if (notify)
        raise_interrupt(t, VIRTIO_MMIO_INT_VRING);
}

void virtio_mmio_push(struct virtio_mmio *t, unsigned queue, const struct virtq_chain *c,
                      uint32_t len)
{
    if (queue >= t->cfg.num_queues)
        return;
    struct virtq *vq = &t->queues[queue];
    stdvmm_lock(&vq->lock);
    virtq_push(vq, c, len);
    bool notify = virtq_should_notify(vq);
    stdvmm_unlock(&vq->lock);
    if (notify)
        raise_interrupt(t, VIRTIO_MMIO_INT_VRING);
}

void virtio_mmio_interrupt(struct virtio_mmio *t, unsigned bits)
{
    raise_interrupt(t, bits);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
    uint32_t old = atomic_fetch_or(&t->status, VIRTIO_STATUS_NEEDS_RESET);
    if (!(old & VIRTIO_STATUS_NEEDS_RESET) && (old & VIRTIO_STATUS_DRIVER_OK))
        raise_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
    atomic_fetch_add(&t->config_generation, 1);
    if (virtio_mmio_driver_ok(t))
        raise_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}
