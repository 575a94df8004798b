/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net served by the kernel's vhost-net (stdvmm/backends/vhost_net.h).
 *
 * Threads: the device's loop thread starts the rings (DRIVER_OK) and relays
 * completions; a vCPU thread stops them when the driver resets the device.
 * The mutex orders them. Every ring address is checked against guest RAM
 * before the kernel gets it.
 */
#include "stdvmm/backends/vhost_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdvmm/backends/vhost_iotlb.h"
#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define NET_F_MAC 5
#define NET_F_STATUS 16
#define NET_STATUS_LINK_UP 1u
/* The header without VERSION_1 or MRG_RXBUF: struct virtio_net_hdr, no num_buffers. */
#define LEGACY_HDR_SIZE 10

/* Ring and header features the kernel's datapath itself implements, when it offers them. */
#define KERNEL_FEATURES                                                                            \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |                         \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF))

static int vhost_ioctl(struct vhost_net *d, unsigned long req, const char *what, void *arg)
{
    if (ioctl(d->fd, req, arg) < 0) {
        int e = errno;
        LOG_ERR("%s: vhost-net %s: %s", d->name, what, strerror(e));
        return -e;
    }
    return 0;
}

int vhost_net_open(struct vhost_net *d, const char *name, struct net_tap *tap, const uint8_t mac[6])
{
    uint64_t offered = 0;

    memset(d, 0, sizeof(*d));
    atomic_init(&d->iotlb_live, false);
    pthread_mutex_init(&d->lock, NULL);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->tap = tap;
    vhost_doorbells_init(&d->bells);
    d->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
    if (d->fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO) {
            LOG_WARN(
                "net '%s' (tap %s, vhost): this host has no /dev/vhost-net (modprobe vhost_net); "
                "stdvmm moves the frames itself",
                name, tap->name);
            return -STDVMM_ENOTSUP;
        }
        LOG_ERR("%s: cannot open /dev/vhost-net: %s", name, strerror(e));
        return -e;
    }
    int r = vhost_ioctl(d, VHOST_GET_FEATURES, "GET_FEATURES", &offered);
    if (r < 0) {
        close(d->fd);
        d->fd = -1;
        return r;
    }
    d->offered = offered;
    /* Offloads are the TAP's, as on stdvmm's own datapath; MAC and STATUS are stdvmm's. */
    d->features = (offered & KERNEL_FEATURES) | VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(NET_F_STATUS) |
                  (tap->offload_ok ? VIRTIO_NET_OFFLOAD_FEATURES : 0);
    memcpy(d->config, mac, 6);
    virtio_put_le16(d->config + 6, NET_STATUS_LINK_UP);
    virtio_put_le16(d->config + 8, 1); /* max_virtqueue_pairs */
    return 0;
}

static void config_read(void *ctx, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct vhost_net *d = ctx;
    /* The transport checked offset + len against config_size. */
    if (offset <= sizeof(d->config) && len <= sizeof(d->config) - offset)
        memcpy(data, d->config + offset, len);
}

/* The vnet header the TAP puts in front of frames must be the one the driver expects. */
static int set_header(struct vhost_net *d, uint64_t features)
{
    int hdr = (features & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)))
                  ? VIRTIO_NET_HDR_SIZE
                  : LEGACY_HDR_SIZE;

    if (ioctl(d->tap->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        LOG_ERR("%s: TUNSETVNETHDRSZ %d on tap=%s: %s", d->name, hdr, d->tap->name,
                strerror(errno));
        return -STDVMM_EIO;
    }
    net_tap_set_offloads(d->tap, features);
    return 0;
}

/*
 * One ring, its doorbells and the TAP, for the kernel; under the lock.
 * Behind the IOMMU the ring addresses are IOVAs as the driver gave them:
 * the kernel reaches them only through its IOTLB, so they are checked
 * (and a fault reported) at its first miss, like any buffer.
 */
static int start_queue(struct vhost_net *d, const struct virtio_vhost_queue *q)
{
    uint64_t n = q->num;
    uint16_t used_idx = 0;
    void *desc = NULL, *avail = NULL;
    uint8_t *used = NULL;

    if (q->index >= VHOST_NET_QUEUES) {
        LOG_ERR("%s: queue %u: vhost-net has %u", d->name, q->index, VHOST_NET_QUEUES);
        return -STDVMM_EINVAL;
    }
    if (d->dma == NULL) {
        desc = gmem_translate(d->mem, q->desc, 16 * n);
        avail = gmem_translate(d->mem, q->avail, 6 + 2 * n);
        used = gmem_translate(d->mem, q->used, 6 + 8 * n);
        if (desc == NULL || avail == NULL || used == NULL) {
            LOG_ERR("%s: queue %u's rings are not in guest RAM", d->name, q->index);
            return -STDVMM_EFAULT;
        }
        used_idx = virtio_le16(used + 2);
    }
    /* Behind the IOMMU: a start follows a reset, after which both indices begin at 0. */
    struct vhost_vring_state num = {.index = q->index, .num = q->num};
    /* Where the kernel resumes: after what was completed (nothing is in flight when idle). */
    struct vhost_vring_state base = {.index = q->index, .num = used_idx};
    struct vhost_vring_addr addr = {
        .index = q->index,
        .desc_user_addr = d->dma != NULL ? q->desc : (uint64_t)(uintptr_t)desc,
        .avail_user_addr = d->dma != NULL ? q->avail : (uint64_t)(uintptr_t)avail,
        .used_user_addr = d->dma != NULL ? q->used : (uint64_t)(uintptr_t)used,
    };
    struct vhost_vring_file kick = {.index = q->index, .fd = d->bells.kick[q->index]};
    struct vhost_vring_file call = {.index = q->index, .fd = d->bells.call[q->index]};
    struct vhost_vring_file backend = {.index = q->index, .fd = d->tap->fd};
    int r = vhost_ioctl(d, VHOST_SET_VRING_NUM, "SET_VRING_NUM", &num);
    if (r == 0)
        r = vhost_ioctl(d, VHOST_SET_VRING_BASE, "SET_VRING_BASE", &base);
    if (r == 0)
        r = vhost_ioctl(d, VHOST_SET_VRING_ADDR, "SET_VRING_ADDR", &addr);
    if (r == 0)
        r = vhost_ioctl(d, VHOST_SET_VRING_KICK, "SET_VRING_KICK", &kick);
    if (r == 0)
        r = vhost_ioctl(d, VHOST_SET_VRING_CALL, "SET_VRING_CALL", &call);
    /*
     * Taking the TAP, the kernel writes the used ring's flags and reads its
     * index at once, and fails rather than wait for a miss's answer: the
     * translation must be there first (QEMU does the same).
     */
    if (r == 0 && d->dma != NULL &&
        d->dma->iotlb_miss(d->dma->ctx, q->used, DMA_READ | DMA_WRITE) < 0) {
        LOG_ERR("%s: queue %u's used ring (IOVA 0x%llx) is not mapped for the device", d->name,
                q->index, (unsigned long long)q->used);
        r = -STDVMM_EFAULT;
    }
    if (r == 0)
        r = vhost_ioctl(d, VHOST_NET_SET_BACKEND, "NET_SET_BACKEND", &backend);
    return r;
}

/* Takes the TAP off every running ring: the kernel stops touching guest memory. */
static void stop_queues(struct vhost_net *d)
{
    for (unsigned i = 0; d->running && i < d->running_count; i++) {
        struct vhost_vring_file backend = {.index = d->queues[i].index, .fd = -1};
        struct vhost_vring_state state = {.index = d->queues[i].index};
        (void)vhost_ioctl(d, VHOST_NET_SET_BACKEND, "NET_SET_BACKEND (off)", &backend);
        (void)vhost_ioctl(d, VHOST_GET_VRING_BASE, "GET_VRING_BASE", &state);
    }
    d->running = false;
}

static int start(void *ctx, unsigned gen, uint64_t features, const struct virtio_vhost_queue *q,
                 unsigned count)
{
    struct vhost_net *d = ctx;
    int r = 0;

    pthread_mutex_lock(&d->lock);
    /* A start read before the last reset is stale: the driver freed those rings. */
    if ((int)(d->stop_generation - gen) <= 0 && d->attached) {
        uint64_t acked = features & (KERNEL_FEATURES |
                                     (d->dma != NULL ? VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) : 0));
        r = set_header(d, features);
        if (r == 0)
            r = vhost_ioctl(d, VHOST_SET_FEATURES, "SET_FEATURES", &acked);
        /* A fresh, empty IOTLB each time; the kernel keeps one from here on. */
        if (r == 0 && (acked & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM)))
            atomic_store(&d->iotlb_live, true);
        count = count < VHOST_NET_QUEUES ? count : VHOST_NET_QUEUES;
        memcpy(d->queues, q, sizeof(*q) * count);
        d->running_count = 0;
        d->running = true;
        for (unsigned i = 0; r == 0 && i < count; i++) {
            r = start_queue(d, &q[i]);
            d->running_count = i + 1;
        }
        if (r < 0) {
            LOG_ERR("%s: the kernel's vhost-net did not take the rings", d->name);
            stop_queues(d);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

static void stop(void *ctx, unsigned gen)
{
    struct vhost_net *d = ctx;

    pthread_mutex_lock(&d->lock);
    d->stop_generation = gen;
    stop_queues(d);
    pthread_mutex_unlock(&d->lock);
}

void vhost_net_model_config(struct vhost_net *d, struct virtio_vhost_config *cfg)
{
    cfg->device_id = VIRTIO_ID_NET;
    cfg->features = d->features;
    cfg->num_queues = VHOST_NET_QUEUES;
    /* The user-space device's ring size, for the same reason (its header says why). */
    cfg->queue_max = VIRTIO_NET_QUEUE_SIZE;
    cfg->config_size = sizeof(d->config);
    cfg->backend = (struct virtio_vhost_backend){
        .config_read = config_read,
        .start = start,
        .stop = stop,
        .ctx = d,
    };
}

static int set_mem_table(struct vhost_net *d, const struct vhost_net_region *regions,
                         unsigned count)
{
    struct vhost_memory *mem = calloc(1, sizeof(*mem) + count * sizeof(struct vhost_memory_region));

    if (mem == NULL)
        return -STDVMM_ENOMEM;
    mem->nregions = count;
    for (unsigned i = 0; i < count; i++)
        mem->regions[i] = (struct vhost_memory_region){
            .guest_phys_addr = regions[i].gpa,
            .memory_size = regions[i].size,
            .userspace_addr = (uint64_t)(uintptr_t)regions[i].host,
        };
    int r = vhost_ioctl(d, VHOST_SET_MEM_TABLE, "SET_MEM_TABLE", mem);
    free(mem);
    return r;
}

/* ---- IOTLB, behind the IOMMU ---- */

static void iotlb_send(struct vhost_net *d, const struct vhost_msg_v2 *m)
{
    if (write(d->fd, m, sizeof(*m)) == (ssize_t)sizeof(*m))
        return;
    int e = errno;
    if (iommu_iotlb_refusal(&d->iotlb))
        LOG_ERR("%s: vhost-net refused IOTLB %s of 0x%llx+0x%llx: %s", d->name,
                m->iotlb.type == VHOST_IOTLB_UPDATE ? "update" : "invalidation",
                (unsigned long long)m->iotlb.iova, (unsigned long long)m->iotlb.size, strerror(e));
}

/* The sink's calls come under the IOMMU's lock, from this loop or the IOMMU's worker. */
static void iotlb_update(void *ctx, const struct dma_iotlb_entry *e)
{
    struct vhost_msg_v2 m;
    vhost_iotlb_update_msg(e, &m);
    iotlb_send(ctx, &m);
}

static void iotlb_invalidate(void *ctx, uint64_t iova, uint64_t last)
{
    struct vhost_net *d = ctx;
    struct vhost_msg_v2 m;

    /*
     * The guest's driver attaches the NIC before its own driver starts it:
     * no IOTLB yet, nothing cached, and the kernel would refuse (EFAULT).
     */
    if (!atomic_load(&d->iotlb_live))
        return;
    vhost_iotlb_invalidate_msg(iova, last, &m);
    iotlb_send(d, &m);
}

/* The kernel lacks translations: each miss is answered, or faults and the device needs a reset. */
static void on_iotlb(void *ctx, int fd, short revents)
{
    struct vhost_net *d = ctx;
    struct vhost_msg_v2 m;
    (void)revents;

    while (read(fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
        uint64_t iova;
        unsigned access;
        if (vhost_iotlb_miss_decode(&m, &iova, &access) < 0)
            continue; /* only misses are sent to user space */
        /* A fault: the device needs a reset. */
        if (iommu_iotlb_miss(d->dma, &d->iotlb, d->name, "vhost-net", iova, access) < 0)
            virtio_vhost_failed(d->bells.model);
    }
}

/* Under the lock: the kernel's IOTLB protocol and the loop that answers it. */
static int iotlb_attach(struct vhost_net *d, struct host_loop *loop)
{
    uint64_t backend = 0;
    int r;

    if (!(d->offered & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))) {
        LOG_ERR("%s: this host's vhost-net cannot translate through an IOMMU (no "
                "VIRTIO_F_ACCESS_PLATFORM); use --iommu off or vhost=off",
                d->name);
        return -STDVMM_ENOTSUP;
    }
    r = vhost_ioctl(d, VHOST_GET_BACKEND_FEATURES, "GET_BACKEND_FEATURES", &backend);
    if (r == 0 && !(backend & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
        LOG_ERR("%s: this host's vhost-net has no IOTLB_MSG_V2; use --iommu off or vhost=off",
                d->name);
        r = -STDVMM_ENOTSUP;
    }
    backend = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2;
    if (r == 0)
        r = vhost_ioctl(d, VHOST_SET_BACKEND_FEATURES, "SET_BACKEND_FEATURES", &backend);
    /* The loop must not sleep in read() when a miss was taken by an earlier wake-up. */
    int fl = fcntl(d->fd, F_GETFL);
    if (r == 0 && (fl < 0 || fcntl(d->fd, F_SETFL, fl | O_NONBLOCK) < 0))
        r = -STDVMM_EIO;
    if (r == 0)
        r = host_loop_add(loop, d->fd, POLLIN, on_iotlb, d);
    if (r == 0) {
        const struct dma_iotlb_sink sink = {
            .update = iotlb_update, .invalidate = iotlb_invalidate, .ctx = d};
        d->dma->iotlb_sink(d->dma->ctx, &sink);
    }
    return r;
}

int vhost_net_attach(struct vhost_net *d, struct virtio_vhost *model, struct host_loop *loop,
                     const struct gmem *mem, const struct vhost_net_region *regions,
                     unsigned region_count, const int *kick_fds, const struct dma_space *dma)
{
    int r = 0;

    if (region_count == 0 || region_count > VHOST_NET_MAX_REGIONS) {
        LOG_ERR("%s: %u RAM regions; vhost-net here takes 1 to %u", d->name, region_count,
                VHOST_NET_MAX_REGIONS);
        return -STDVMM_EINVAL;
    }
    pthread_mutex_lock(&d->lock);
    /*
     * The kernel works in the address space of the process that owns the
     * device: this one, which holds guest RAM, not the parent a jail forked
     * from after vhost_net_open().
     */
    if (!d->owned) {
        r = vhost_ioctl(d, VHOST_SET_OWNER, "SET_OWNER", NULL);
        d->owned = r == 0;
    }
    d->mem = mem;
    d->dma = dma;
    d->running = false;
    d->stop_generation = 0;
    d->attached = true;
    /* Closed by detach, which the caller runs whatever this returns. */
    if (r == 0)
        r = vhost_doorbells_attach(&d->bells, VHOST_NET_QUEUES, kick_fds, model, loop);
    if (r == 0)
        r = set_mem_table(d, regions, region_count);
    if (r == 0 && dma != NULL)
        r = iotlb_attach(d, loop);
    pthread_mutex_unlock(&d->lock);
    return r;
}

void vhost_net_detach(struct vhost_net *d)
{
    pthread_mutex_lock(&d->lock);
    if (d->attached) {
        stop_queues(d);
        /* The IOMMU of this boot goes next; it must not call into a detached device. */
        if (d->dma != NULL)
            d->dma->iotlb_sink(d->dma->ctx, NULL);
        d->dma = NULL;
        vhost_doorbells_detach(&d->bells);
        d->attached = false;
    }
    pthread_mutex_unlock(&d->lock);
}

void vhost_net_close(struct vhost_net *d)
{
    vhost_net_detach(d);
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    pthread_mutex_destroy(&d->lock);
}
