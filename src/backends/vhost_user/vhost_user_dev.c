/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest device served by a vhost-user backend (stdvmm/backends/vhost_user_dev.h).
 *
 * Threads: the device's loop thread starts the rings (DRIVER_OK), relays
 * calls and reconnects; a vCPU thread stops the rings when the driver
 * resets the device. The mutex orders them; everything the backend says
 * goes through vhost_user.c's checks first.
 */
#include "stdvmm/backends/vhost_user_dev.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stdvmm/devices/virtio.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define RETRY_NS 1000000000ull
#define BLK_CONFIG_SIZE 60u /* struct virtio_blk_config up to num_queues and discard/zeroes */
#define BLK_CONFIG_NUM_QUEUES 34u
#define VIRTIO_BLK_F_MQ 12
#define FS_REQUEST_QUEUES 1u
#define NET_QUEUES 2u /* receive and transmit; no multiqueue, no control queue */

static void dev_lock(struct vhost_user_dev *d)
{
    pthread_mutex_lock(&d->lock);
}

static void dev_unlock(struct vhost_user_dev *d)
{
    pthread_mutex_unlock(&d->lock);
}

/* The block device's queues: one, or the backend's num_queues when it fits the transport. */
static int blk_setup(struct vhost_user_dev *d)
{
    int r = vhost_user_get_config(&d->conn, 0, d->config, BLK_CONFIG_SIZE);
    if (r < 0)
        return r;
    d->config_size = BLK_CONFIG_SIZE;
    d->queue_count = 1;
    if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_MQ)) {
        uint16_t n = virtio_le16(d->config + BLK_CONFIG_NUM_QUEUES);
        uint32_t served = 0;
        if ((r = vhost_user_queue_num(&d->conn, &served)) < 0)
            return r;
        if (n >= 1 && n <= VIRTIO_MAX_QUEUES && n <= served) {
            d->queue_count = n;
        } else {
            LOG_WARN("%s: the backend offers %u queues (serves %u); using one", d->name, n, served);
            d->features &= ~VIRTIO_BIT(VIRTIO_BLK_F_MQ);
        }
    }
    return 0;
}

/* SET_OWNER, features, and (first time only) what the device looks like. */
static int handshake(struct vhost_user_dev *d, bool first)
{
    uint64_t features;
    int r = vhost_user_connect(&d->conn, d->socket);

    if (r == 0)
        r = vhost_user_negotiate(&d->conn, d->wanted, &features);
    if (r == 0 && first) {
        d->features = features;
        if (d->device_id == VIRTIO_ID_BLOCK)
            r = blk_setup(d);
        else
            d->queue_count = d->device_id == VIRTIO_ID_FS    ? 1 + FS_REQUEST_QUEUES
                             : d->device_id == VIRTIO_ID_NET ? NET_QUEUES
                                                             : 1;
    } else if (r == 0 && (d->features & ~d->local & ~features) != 0) {
        /* The guest was promised those; a backend that no longer has them cannot serve it. */
        LOG_ERR("%s: the backend at %s now offers features 0x%llx, without 0x%llx the guest has",
                d->name, d->socket, (unsigned long long)features,
                (unsigned long long)(d->features & ~d->local & ~features));
        r = -STDVMM_EPROTO;
    }
    if (r < 0) {
        vhost_user_close(&d->conn);
        return r;
    }
    d->connected = true;
    return 0;
}

int vhost_user_dev_open(struct vhost_user_dev *d, const char *name, const char *socket,
                        uint32_t device_id, uint64_t wanted)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->conn.fd = -1;
    d->watched_fd = -1;
    vhost_doorbells_init(&d->bells);
    snprintf(d->name, sizeof(d->name), "%s", name);
    if (strlen(socket) >= sizeof(d->socket)) {
        LOG_ERR("%s: vhost-user socket path '%s' is longer than %zu bytes", name, socket,
                sizeof(d->socket) - 1);
        return -STDVMM_EINVAL;
    }
    snprintf(d->socket, sizeof(d->socket), "%s", socket);
    d->device_id = device_id;
    d->wanted = wanted;
    int r = handshake(d, true);
    if (r < 0)
        LOG_ERR("%s: no usable vhost-user backend at %s (start it first: docs/virtio.md)", name,
                socket);
    return r;
}

void vhost_user_dev_set_config(struct vhost_user_dev *d, const void *config, uint32_t size)
{
    d->config_size = size < VHOST_USER_DEV_CONFIG_MAX ? size : VHOST_USER_DEV_CONFIG_MAX;
    memcpy(d->config, config, d->config_size);
}

void vhost_user_dev_set_local_features(struct vhost_user_dev *d, uint64_t features)
{
    d->local = features;
    d->features |= features;
}

static void config_read(void *ctx, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct vhost_user_dev *d = ctx;
    /* The transport checked offset + len against config_size. */
    if (offset <= d->config_size && len <= d->config_size - offset)
        memcpy(data, d->config + offset, len);
}

/* Ring addresses as the backend wants them: this process's, checked against guest RAM. */
static int vring_of(struct vhost_user_dev *d, const struct virtio_vhost_queue *q,
                    struct vhost_user_vring *v)
{
    uint64_t n = q->num;
    void *desc = gmem_translate(d->mem, q->desc, 16 * n);
    void *avail = gmem_translate(d->mem, q->avail, 6 + 2 * n);
    void *used = gmem_translate(d->mem, q->used, 6 + 8 * n);
    uint16_t used_idx;

    if (desc == NULL || avail == NULL || used == NULL ||
        gmem_read(d->mem, q->used + 2, &used_idx, sizeof(used_idx)) < 0) {
        LOG_ERR("%s: queue %u's rings are not in guest RAM", d->name, q->index);
        return -STDVMM_EFAULT;
    }
    /* Where the backend resumes: after what it completed (nothing is in flight when idle). */
    *v = (struct vhost_user_vring){
        .index = q->index,
        .num = q->num,
        .desc = (uint64_t)(uintptr_t)desc,
        .avail = (uint64_t)(uintptr_t)avail,
        .used = (uint64_t)(uintptr_t)used,
        .base = virtio_le16((const uint8_t *)&used_idx),
        .kick_fd = d->bells.kick[q->index],
        .call_fd = d->bells.call[q->index],
    };
    return 0;
}

/* Memory table, the driver's features, then each ring; under the lock, connected. */
static int start_rings(struct vhost_user_dev *d)
{
    int r = vhost_user_set_mem_table(&d->conn, d->regions, d->region_count);

    if (r == 0 && d->running)
        r = vhost_user_set_features(&d->conn, d->driver_features & ~d->local);
    for (unsigned i = 0; r == 0 && d->running && i < d->running_count; i++) {
        struct vhost_user_vring v;
        if ((r = vring_of(d, &d->queues[i], &v)) == 0)
            r = vhost_user_start_vring(&d->conn, &v);
    }
    return r;
}

static void unwatch(struct vhost_user_dev *d)
{
    if (d->watched_fd >= 0 && d->loop != NULL)
        host_loop_remove(d->loop, d->watched_fd);
    d->watched_fd = -1;
}

/* The connection is gone: retry from the loop until the backend is back. Loop thread only. */
static void drop(struct vhost_user_dev *d, const char *why)
{
    if (!d->connected)
        return;
    unwatch(d);
    vhost_user_close(&d->conn);
    d->connected = false;
    d->retry_ns = host_clock_monotonic_ns() + RETRY_NS;
    LOG_WARN("%s: vhost-user backend at %s %s; the device waits and reconnects every second",
             d->name, d->socket, why);
}

static void on_socket(void *ctx, int fd, short revents);

static void watch(struct vhost_user_dev *d)
{
    if (d->loop != NULL && host_loop_add(d->loop, d->conn.fd, POLLIN, on_socket, d) == 0)
        d->watched_fd = d->conn.fd;
}

/*
 * A backend only answers on this socket, so readiness outside a request
 * means it hung up or broke the protocol. A reply that a vCPU thread is
 * waiting for also wakes the loop: the lock makes this run after it, and
 * then nothing is left to read.
 */
static void on_socket(void *ctx, int fd, short revents)
{
    struct vhost_user_dev *d = ctx;
    char byte;

    (void)revents;
    dev_lock(d);
    if (d->connected && fd == d->conn.fd) {
        ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            drop(d, "closed the connection");
        else if (n > 0)
            drop(d, "sent a message nobody asked for");
    }
    dev_unlock(d);
}

static void reconnect(struct vhost_user_dev *d)
{
    if (handshake(d, false) < 0) {
        d->retry_ns = host_clock_monotonic_ns() + RETRY_NS;
        return;
    }
    int r = start_rings(d);
    if (r < 0) {
        LOG_ERR("%s: the backend at %s is back but refused the rings; the device needs a reset",
                d->name, d->socket);
        vhost_user_close(&d->conn);
        d->connected = false;
        d->running = false;
        virtio_vhost_failed(d->model);
        return;
    }
    watch(d);
    LOG_WARN("%s: reconnected to the vhost-user backend at %s%s", d->name, d->socket,
             d->running ? "; the rings run again" : "");
}

static void retry_prepare(void *ctx, struct host_loop *l, int *timeout_ms)
{
    struct vhost_user_dev *d = ctx;
    (void)l;
    dev_lock(d);
    if (!d->connected) {
        uint64_t now = host_clock_monotonic_ns();
        int ms = d->retry_ns > now ? (int)((d->retry_ns - now) / 1000000 + 1) : 0;
        if (*timeout_ms < 0 || ms < *timeout_ms)
            *timeout_ms = ms;
    }
    dev_unlock(d);
}

static void retry_dispatch(void *ctx, struct host_loop *l)
{
    struct vhost_user_dev *d = ctx;
    (void)l;
    dev_lock(d);
    if (!d->connected && d->attached && host_clock_monotonic_ns() >= d->retry_ns)
        reconnect(d);
    dev_unlock(d);
}

/* Is a start read at generation gen older than the last stop? */
static bool stale(const struct vhost_user_dev *d, unsigned gen)
{
    return (int)(d->stop_generation - gen) > 0;
}

static int start(void *ctx, unsigned gen, uint64_t features, const struct virtio_vhost_queue *q,
                 unsigned count)
{
    struct vhost_user_dev *d = ctx;
    int r = 0;

    dev_lock(d);
    if (!stale(d, gen)) {
        d->driver_features = features;
        memcpy(d->queues, q, sizeof(*q) * count);
        d->running_count = count;
        d->running = true;
        if (d->connected && d->conn.broken)
            drop(d, "broke earlier");
        /* Disconnected: the rings go over when the backend is back. */
        if (d->connected && (r = start_rings(d)) < 0) {
            if (d->conn.broken) {
                drop(d, "failed while the rings started");
                r = 0;
            } else {
                LOG_ERR("%s: the vhost-user backend did not take the rings", d->name);
                d->running = false;
            }
        }
    }
    dev_unlock(d);
    return r;
}

static void stop(void *ctx, unsigned gen)
{
    struct vhost_user_dev *d = ctx;

    dev_lock(d);
    d->stop_generation = gen;
    for (unsigned i = 0; d->running && d->connected && i < d->running_count; i++) {
        uint16_t base;
        /*
         * This is a vCPU thread, which may not touch the loop's watches:
         * shutting the socket down makes the loop see the hang-up and drop it.
         */
        if (vhost_user_stop_vring(&d->conn, d->queues[i].index, &base) < 0)
            shutdown(d->conn.fd, SHUT_RDWR);
    }
    d->running = false;
    dev_unlock(d);
}

void vhost_user_dev_model_config(struct vhost_user_dev *d, struct virtio_vhost_config *cfg)
{
    cfg->device_id = d->device_id;
    cfg->features = d->features;
    cfg->num_queues = (uint16_t)d->queue_count;
    cfg->queue_max = VHOST_USER_DEV_QUEUE_MAX;
    cfg->config_size = d->config_size;
    cfg->backend = (struct virtio_vhost_backend){
        .config_read = config_read,
        .start = start,
        .stop = stop,
        .ctx = d,
    };
}

int vhost_user_dev_attach(struct vhost_user_dev *d, struct virtio_vhost *model,
                          struct host_loop *loop, const struct gmem *mem,
                          const struct vhost_user_region *regions, unsigned region_count,
                          const int *kick_fds)
{
    if (region_count > VHOST_USER_MAX_REGIONS) {
        LOG_ERR("%s: %u RAM regions, vhost-user takes %u", d->name, region_count,
                VHOST_USER_MAX_REGIONS);
        return -STDVMM_EINVAL;
    }
    dev_lock(d);
    d->model = model;
    d->loop = loop;
    d->mem = mem;
    memcpy(d->regions, regions, sizeof(*regions) * region_count);
    d->region_count = region_count;
    d->running = false;
    d->stop_generation = 0;
    d->attached = true;
    int r = vhost_doorbells_attach(&d->bells, d->queue_count, kick_fds, model, loop);
    const struct host_loop_hook hook = {retry_prepare, retry_dispatch, d};
    if (r == 0)
        r = host_loop_add_hook(loop, &hook);
    /* A reboot's device: the last boot's connection was closed with its memory. */
    if (r == 0 && !d->connected && handshake(d, false) < 0)
        d->retry_ns = host_clock_monotonic_ns() + RETRY_NS;
    if (r == 0 && d->connected) {
        r = vhost_user_set_mem_table(&d->conn, d->regions, d->region_count);
        watch(d);
    }
    dev_unlock(d);
    return r;
}

void vhost_user_dev_detach(struct vhost_user_dev *d)
{
    dev_lock(d);
    if (d->attached) {
        unwatch(d);
        /*
         * Closing is how a vhost-user backend learns that a frontend's
         * memory is gone; the next boot connects afresh.
         */
        if (d->connected)
            vhost_user_close(&d->conn);
        d->connected = false;
        vhost_doorbells_detach(&d->bells);
        d->attached = false;
        d->running = false;
        d->model = NULL;
        d->loop = NULL;
    }
    dev_unlock(d);
}

void vhost_user_dev_close(struct vhost_user_dev *d)
{
    vhost_user_dev_detach(d);
    if (d->connected)
        vhost_user_close(&d->conn);
    d->connected = false;
    pthread_mutex_destroy(&d->lock);
}
