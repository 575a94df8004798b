/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine's virtio devices: one table of kinds, slot assignment in the
 * arch's virtio-mmio range, and the transport (virtio-mmio) each device is
 * put on: the device models do not know it. Hosts differ only in how a notification
 * reaches process() (a thread per device on Linux, at once in the seL4 VMM)
 * and in the backends they plug in.
 */
#include <stddef.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/hv.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"

/* The union's slot member aliases each configuration's own slot. */
_Static_assert(offsetof(struct virtio_console_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct virtio_rng_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct virtio_blk_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct virtio_net_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct virtio_vsock_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct virtio_vhost_config, slot) == 0, "slot first");
_Static_assert(offsetof(struct viommu_config, slot) == 0, "slot first");

static int console_init(void *m, const void *c)
{
    return virtio_console_init(m, c);
}
static int rng_init(void *m, const void *c)
{
    return virtio_rng_init(m, c);
}
static int blk_init(void *m, const void *c)
{
    return virtio_blk_init(m, c);
}
static int net_init(void *m, const void *c)
{
    return virtio_net_init(m, c);
}
static int vsock_init(void *m, const void *c)
{
    return virtio_vsock_init(m, c);
}
static int vhost_init(void *m, const void *c)
{
    return virtio_vhost_init(m, c);
}
static int iommu_init(void *m, const void *c)
{
    return viommu_init(m, c);
}

#define KIND(name, type, init)                                                                     \
    {                                                                                              \
        name, sizeof(struct type), offsetof(struct type, vdev), init                               \
    }

const struct machine_virtio_type machine_virtio_types[MACHINE_VIRTIO_KINDS] = {
    [MACHINE_VIRTIO_CONSOLE] = KIND("console", virtio_console, console_init),
    [MACHINE_VIRTIO_RNG] = KIND("rng", virtio_rng, rng_init),
    [MACHINE_VIRTIO_BLK] = KIND("blk", virtio_blk, blk_init),
    [MACHINE_VIRTIO_NET] = KIND("net", virtio_net, net_init),
    [MACHINE_VIRTIO_VSOCK] = KIND("vsock", virtio_vsock, vsock_init),
    [MACHINE_VIRTIO_VHOST] = KIND("vhost", virtio_vhost, vhost_init),
    [MACHINE_VIRTIO_IOMMU] = KIND("iommu", viommu, iommu_init),
};

/* The transport's read mirror is the port's read page of the device's window. */
static int publish_window(void *ctx, uint32_t offset, const uint8_t *bytes, uint32_t len)
{
    struct machine_virtio *d = ctx;
    unsigned slot = MACHINE_VIRTIO_PAGE_SLOT(d->index);

    if (offset == 0 && len == VIRTIO_MMIO_SIZE)
        return hv_vm_set_read_page(d->vm->hv, slot, d->cfg.slot.base, bytes, len, 0xff);
    return hv_vm_patch_read_page(d->vm->hv, slot, offset, bytes, len);
}

/* Only a window alone in its 4 KiB page can be a read page; every arch's layout gives that. */
static void mirror_window(struct machine *m, struct machine_virtio *d)
{
    const struct arch_platform *p = arch_platform();

    if (m->host == NULL || !m->host->mirror_virtio || m->vm.hv == NULL ||
        p->virtio_mmio_stride < 0x1000 || d->cfg.slot.base % 0x1000 != 0)
        return;
    int r = virtio_mmio_mirror(&d->transport, publish_window, d);
    if (r < 0 && d->index == 0)
        LOG_INFO("VM %s: virtio-mmio register reads exit each time (%s)", m->vm.name,
                 r == -STDVMM_ENOTSUP ? "this port has no read page" : stdvmm_strerror(r));
}

int machine_add_virtio(struct machine *m, struct machine_virtio *d, void *model)
{
    const struct arch_platform *p = arch_platform();

    if ((unsigned)d->kind >= MACHINE_VIRTIO_KINDS || model == NULL) {
        LOG_ERR("virtio %s: no such device kind, or no storage for it", d->name);
        return -STDVMM_EINVAL;
    }
    /* Shared regions took the top slots (add_shared_regions runs first). */
    if (m->virtio_count >= MACHINE_MAX_VIRTIO - m->shared_count) {
        LOG_ERR("virtio %s: too many virtio devices (at most %u, with %u shared regions)", d->name,
                MACHINE_MAX_VIRTIO - m->shared_count, m->shared_count);
        return -STDVMM_ENOSPC;
    }
    const struct machine_virtio_type *t = &machine_virtio_types[d->kind];
    d->index = m->virtio_count;
    d->vm = &m->vm;
    d->model = model;
    d->cfg.slot.name = d->name;
    d->cfg.slot.base = p->virtio_mmio_base + (uint64_t)d->index * p->virtio_mmio_stride;
    d->cfg.slot.irq = p->virtio_irq_base + d->index;
    d->cfg.slot.mem = &m->vm.mem;
    d->vdev = (struct virtio_dev *)((char *)model + t->vdev_offset);
    int r = t->init(model, &d->cfg);
    if (r == 0)
        r = virtio_mmio_init(&d->transport, d->vdev);
    if (r == 0)
        r = virtio_mmio_register(&d->transport, &m->vm);
    if (r < 0) {
        LOG_ERR("virtio %s: cannot add the %s device (%s)", d->name, t->name, stdvmm_strerror(r));
        return r;
    }
    mirror_window(m, d);
    m->virtio[m->virtio_count++] = d;
    return 0;
}

void machine_virtio_process(struct machine_virtio *d)
{
    virtio_dev_notify(d->vdev);
}

void machine_virtio_quiesce(struct machine_virtio *d)
{
    if (d->vdev != NULL)
        virtio_dev_quiesce(d->vdev);
}

uint32_t machine_virtio_irq(const struct machine_virtio *d)
{
    return d->cfg.slot.irq;
}

uint32_t machine_virtio_hwirq(const struct machine_virtio *d)
{
    return arch_platform()->hwirq_base + d->cfg.slot.irq;
}
