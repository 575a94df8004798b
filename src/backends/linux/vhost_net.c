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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define QUEUE_MAX 256u
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

/* One ring, its doorbells and the TAP, for the kernel; under the lock. */
static int start_queue(struct vhost_net *d, const struct virtio_vhost_queue *q)
{
    uint64_t n = q->num;
    void *desc = gmem_translate(d->mem, q->desc, 16 * n);
    void *avail = gmem_translate(d->mem, q->avail, 6 + 2 * n);
    void *used = gmem_translate(d->mem, q->used, 6 + 8 * n);
    uint16_t used_idx;

    if (q->index >= VHOST_NET_QUEUES || desc == NULL || avail == NULL || used == NULL ||
        gmem_read(d->mem, q->used + 2, &used_idx, sizeof(used_idx)) < 0) {
        LOG_ERR("%s: queue %u's rings are not in guest RAM", d->name, q->index);
        return -STDVMM_EFAULT;
    }
    struct vhost_vring_state num = {.index = q->index, .num = q->num};
    /* Where the kernel resumes: after what was completed (nothing is in flight when idle). */
    struct vhost_vring_state base = {.index = q->index,
                                     .num = virtio_le16((const uint8_t *)&used_idx)};
    struct vhost_vring_addr addr = {
        .index = q->index,
        .desc_user_addr = (uint64_t)(uintptr_t)desc,
        .avail_user_addr = (uint64_t)(uintptr_t)avail,
        .used_user_addr = (uint64_t)(uintptr_t)used,
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
        uint64_t acked = features & KERNEL_FEATURES;
        r = set_header(d, features);
        if (r == 0)
            r = vhost_ioctl(d, VHOST_SET_FEATURES, "SET_FEATURES", &acked);
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
    cfg->queue_max = QUEUE_MAX;
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

int vhost_net_attach(struct vhost_net *d, struct virtio_vhost *model, struct host_loop *loop,
                     const struct gmem *mem, const struct vhost_net_region *regions,
                     unsigned region_count, const int *kick_fds)
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
    d->running = false;
    d->stop_generation = 0;
    d->attached = true;
    /* Closed by detach, which the caller runs whatever this returns. */
    if (r == 0)
        r = vhost_doorbells_attach(&d->bells, VHOST_NET_QUEUES, kick_fds, model, loop);
    if (r == 0)
        r = set_mem_table(d, regions, region_count);
    pthread_mutex_unlock(&d->lock);
    return r;
}

void vhost_net_detach(struct vhost_net *d)
{
    pthread_mutex_lock(&d->lock);
    if (d->attached) {
        stop_queues(d);
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
