/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transport-independent part of a virtio device: feature negotiation,
 * the status state machine, queue start and stop, and the queue operations
 * device models use. A transport only decodes its registers into these.
 */
#include "stdvmm/devices/virtio_device.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define RING_FEATURES                                                                              \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |                         \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

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

int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_config *cfg)
{
    if (cfg == NULL || cfg->slot.mem == NULL || cfg->num_queues == 0 ||
        cfg->num_queues > VIRTIO_MAX_QUEUES || cfg->queue_max == 0 ||
        cfg->queue_max > VIRTQ_MAX_SIZE || (cfg->queue_max & (cfg->queue_max - 1)) != 0) {
        LOG_ERR("virtio %s: bad configuration (queues %u, queue size %u)",
                cfg && cfg->slot.name ? cfg->slot.name : "?", cfg ? cfg->num_queues : 0,
                cfg ? cfg->queue_max : 0);
        return -STDVMM_EINVAL;
    }
    memset(vd, 0, sizeof(*vd));
    stdvmm_lock_init(&vd->lock);
    vd->cfg = *cfg;
    if (vd->cfg.slot.name == NULL)
        vd->cfg.slot.name = "virtio";
    vd->device_features = cfg->features | (cfg->features_exact ? 0 : RING_FEATURES);
    if (cfg->slot.dma != NULL)
        vd->device_features |= VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM);
    atomic_init(&vd->status, 0);
    atomic_init(&vd->config_generation, 0);
    atomic_init(&vd->warned, false);
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        name_queue(vd->queue_names[i], sizeof(vd->queue_names[i]), vd->cfg.slot.name, i);
        virtq_init(&vd->queues[i], cfg->slot.mem, vd->queue_names[i]);
        virtq_set_dma(&vd->queues[i], cfg->slot.dma);
        virtq_set_quiet(&vd->queues[i], (cfg->quiet_queues >> i) & 1);
    }
    return 0;
}

void virtio_dev_attach(struct virtio_dev *vd, const struct virtio_transport_ops *ops,
                       void *transport)
{
    vd->transport_ops = ops;
    vd->transport = transport;
}

void virtio_dev_warn_once(struct virtio_dev *vd, const char *what, uint64_t offset, uint32_t len)
{
    if (!atomic_exchange(&vd->warned, true))
        LOG_WARN("virtio %s at 0x%llx: %s (offset 0x%llx, %u bytes); ignored (warning once)",
                 vd->cfg.slot.name, (unsigned long long)vd->cfg.slot.base, what,
                 (unsigned long long)offset, len);
}

static void transport_changed(struct virtio_dev *vd)
{
    if (vd->transport_ops != NULL && vd->transport_ops->changed != NULL)
        vd->transport_ops->changed(vd->transport);
}

void virtio_dev_interrupt(struct virtio_dev *vd, unsigned cause)
{
    if (vd->transport_ops != NULL && vd->transport_ops->interrupt != NULL)
        vd->transport_ops->interrupt(vd->transport, cause);
}

void virtio_dev_kick(struct virtio_dev *vd)
{
    if (vd->cfg.slot.kick != NULL)
        vd->cfg.slot.kick(vd->cfg.slot.host_ctx);
}

void virtio_dev_notify(struct virtio_dev *vd)
{
    if (vd->cfg.ops != NULL && vd->cfg.ops->notify != NULL)
        vd->cfg.ops->notify(vd->cfg.dev);
}

void virtio_dev_quiesce(struct virtio_dev *vd)
{
    if (vd->cfg.ops != NULL && vd->cfg.ops->quiesce != NULL)
        vd->cfg.ops->quiesce(vd->cfg.dev);
}

/* ---- Transport half ---- */

uint32_t virtio_dev_device_features(const struct virtio_dev *vd, uint32_t word)
{
    return word > 1 ? 0 : (uint32_t)(vd->device_features >> (32 * word));
}

bool virtio_dev_set_driver_features(struct virtio_dev *vd, uint32_t word, uint32_t value)
{
    if (atomic_load(&vd->status) & VIRTIO_STATUS_FEATURES_OK)
        return false;
    if (word <= 1) {
        unsigned shift = 32 * word;
        vd->driver_features &= ~(0xffffffffull << shift);
        vd->driver_features |= (uint64_t)value << shift;
    }
    return true;
}

uint32_t virtio_dev_status(struct virtio_dev *vd)
{
    return atomic_load(&vd->status);
}

uint32_t virtio_dev_config_generation(struct virtio_dev *vd)
{
    return atomic_load(&vd->config_generation);
}

static void reset_locked(struct virtio_dev *vd)
{
    for (unsigned i = 0; i < vd->cfg.num_queues; i++) {
        stdvmm_lock(&vd->queues[i].lock);
        virtq_reset(&vd->queues[i]);
        stdvmm_unlock(&vd->queues[i].lock);
    }
    vd->driver_features = 0;
    atomic_store(&vd->status, 0);
    if (vd->cfg.ops != NULL && vd->cfg.ops->reset != NULL)
        vd->cfg.ops->reset(vd->cfg.dev);
}

void virtio_dev_reset(struct virtio_dev *vd)
{
    stdvmm_lock(&vd->lock);
    reset_locked(vd);
    stdvmm_unlock(&vd->lock);
}

void virtio_dev_set_status(struct virtio_dev *vd, uint32_t value)
{
    uint32_t old = atomic_load(&vd->status);

    /*
     * Mask first: the status is 8 bits wide, and 0x100 must not count as
     * "not a reset" and then store 0, leaving the queues live.
     */
    value &= 0xff;
    if (value == 0) {
        reset_locked(vd);
        return;
    }
    /*
     * The driver must not clear a status bit (VirtIO 1.2 §2.1.2) other than
     * by a reset; honouring it would let DRIVER_OK be set, and the device
     * started, again on live queues.
     */
    uint32_t kept = old & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET & 0xff;
    if ((value & kept) != kept) {
        if (!atomic_exchange(&vd->warned, true))
            LOG_WARN("virtio %s: the driver cleared status bits 0x%x without a reset; ignored "
                     "(warning once)",
                     vd->cfg.slot.name, kept & ~value);
        return;
    }
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        /* Refusing FEATURES_OK is how the spec says "not with those features". */
        if ((vd->driver_features & ~vd->device_features) != 0 ||
            !(vd->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
            LOG_WARN("virtio %s: driver features 0x%llx are not a subset of 0x%llx with "
                     "VERSION_1; refusing FEATURES_OK",
                     vd->cfg.slot.name, (unsigned long long)vd->driver_features,
                     (unsigned long long)vd->device_features);
            value &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        } else if (vd->cfg.slot.dma != NULL &&
                   !(vd->driver_features & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))) {
            LOG_WARN("virtio %s: the device is behind the IOMMU and the driver did not accept "
                     "VIRTIO_F_ACCESS_PLATFORM; refusing FEATURES_OK",
                     vd->cfg.slot.name);
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
    } while (!atomic_compare_exchange_weak(&vd->status, &old, want));
    value = want;
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        if (vd->cfg.slot.driver_ok != NULL)
            vd->cfg.slot.driver_ok(vd->cfg.slot.host_ctx);
        virtio_dev_kick(vd); /* the worker may have input waiting for the queues */
    }
}

struct virtq *virtio_dev_queue(struct virtio_dev *vd, uint32_t queue)
{
    return queue < vd->cfg.num_queues ? &vd->queues[queue] : NULL;
}

void virtio_dev_queue_set_ready(struct virtio_dev *vd, struct virtq *vq, bool ready)
{
    bool event_idx = vd->driver_features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    bool indirect = vd->driver_features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    bool started = false;

    stdvmm_lock(&vq->lock);
    if (!ready) {
        /* Disabling keeps nothing: the driver sets the queue up again from scratch. */
        uint16_t num = vq->num;
        uint64_t d = vq->desc_gpa, a = vq->avail_gpa, u = vq->used_gpa;
        virtq_reset(vq);
        vq->num = num;
        vq->desc_gpa = d;
        vq->avail_gpa = a;
        vq->used_gpa = u;
    } else if (!vq->ready) {
        if (vq->num > vd->cfg.queue_max)
            LOG_WARN("%s: queue size %u above the maximum %u; queue stays off", vq->name, vq->num,
                     vd->cfg.queue_max);
        else
            started = virtq_enable(vq, event_idx, indirect) == 0;
    }
    stdvmm_unlock(&vq->lock);
    if (started)
        virtio_dev_kick(vd);
}

void virtio_dev_config_read(struct virtio_dev *vd, uint64_t offset, uint8_t *data, uint32_t len)
{
    memset(data, 0, len);
    /* Byte by byte as memory would: a read-only page may serve the same reads (virtio_mmio_mirror).
     */
    if (vd->cfg.ops != NULL && vd->cfg.ops->config_read != NULL && offset < vd->cfg.config_size) {
        uint64_t n = vd->cfg.config_size - offset < len ? vd->cfg.config_size - offset : len;
        vd->cfg.ops->config_read(vd->cfg.dev, (uint32_t)offset, data, (uint32_t)n);
    }
}

void virtio_dev_config_write(struct virtio_dev *vd, uint64_t offset, const uint8_t *data,
                             uint32_t len)
{
    if (vd->cfg.ops != NULL && vd->cfg.ops->config_write != NULL &&
        offset + len <= vd->cfg.config_size)
        vd->cfg.ops->config_write(vd->cfg.dev, (uint32_t)offset, data, len);
}

/* ---- Device model half ---- */

bool virtio_dev_driver_ok(struct virtio_dev *vd)
{
    return (atomic_load(&vd->status) & VIRTIO_STATUS_DRIVER_OK) != 0;
}

uint64_t virtio_dev_features(struct virtio_dev *vd)
{
    stdvmm_lock(&vd->lock);
    uint64_t f = vd->driver_features & vd->device_features;
    stdvmm_unlock(&vd->lock);
    return f;
}

bool virtio_dev_has_feature(struct virtio_dev *vd, unsigned bit)
{
    return bit < 64 && (virtio_dev_features(vd) & VIRTIO_BIT(bit)) != 0;
}

/* The queue, locked; NULL (and nothing locked) past the device's queues. */
static struct virtq *lock_queue(struct virtio_dev *vd, unsigned queue)
{
    if (queue >= vd->cfg.num_queues)
        return NULL;
    struct virtq *vq = &vd->queues[queue];
    stdvmm_lock(&vq->lock);
    return vq;
}

bool virtio_dev_queue_ready(struct virtio_dev *vd, unsigned queue)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return false;
    bool ready = vq->ready && !vq->broken;
    stdvmm_unlock(&vq->lock);
    return ready;
}

int virtio_dev_pop(struct virtio_dev *vd, unsigned queue, struct virtq_chain *c)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return 0;
    bool was_broken = vq->broken;
    int r = virtq_pop(vq, c);
    stdvmm_unlock(&vq->lock);
    if (r < 0 && !was_broken)
        virtio_dev_needs_reset(vd);
    return r;
}

void virtio_dev_unpop(struct virtio_dev *vd, unsigned queue, uint32_t generation, uint16_t n)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return;
    virtq_unpop(vq, generation, n);
    stdvmm_unlock(&vq->lock);
}

void virtio_dev_push_nosignal(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                              uint32_t len)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return;
    virtq_push(vq, c, len);
    stdvmm_unlock(&vq->lock);
}

bool virtio_dev_chain_store(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                            uint8_t *dst, const void *src, size_t len)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return false;
    /* Under the lock, so a reset on a vCPU cannot slip in between test and store. */
    bool live = vq->ready && !vq->broken && c->generation == vq->generation;
    if (live)
        memcpy(dst, src, len);
    stdvmm_unlock(&vq->lock);
    return live;
}

void virtio_dev_signal(struct virtio_dev *vd, unsigned queue)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return;
    bool notify = virtq_should_notify(vq);
    stdvmm_unlock(&vq->lock);
    if (notify)
        virtio_dev_interrupt(vd, VIRTIO_INT_VRING);
}

void virtio_dev_push(struct virtio_dev *vd, unsigned queue, const struct virtq_chain *c,
                     uint32_t len)
{
    struct virtq *vq = lock_queue(vd, queue);
    if (vq == NULL)
        return;
    virtq_push(vq, c, len);
    bool notify = virtq_should_notify(vq);
    stdvmm_unlock(&vq->lock);
    if (notify)
        virtio_dev_interrupt(vd, VIRTIO_INT_VRING);
}

void virtio_dev_needs_reset(struct virtio_dev *vd)
{
    uint32_t old = atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET);
    if (!(old & VIRTIO_STATUS_NEEDS_RESET))
        transport_changed(vd);
    if (!(old & VIRTIO_STATUS_NEEDS_RESET) && (old & VIRTIO_STATUS_DRIVER_OK))
        virtio_dev_interrupt(vd, VIRTIO_INT_CONFIG);
}

void virtio_dev_config_changed(struct virtio_dev *vd)
{
    atomic_fetch_add(&vd->config_generation, 1);
    transport_changed(vd);
    if (virtio_dev_driver_ok(vd))
        virtio_dev_interrupt(vd, VIRTIO_INT_CONFIG);
}
