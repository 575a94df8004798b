/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest device served by a vhost-user backend (stdvmm/backends/vhost_user_dev.h).
 *
 * Threads: the device's loop thread starts the rings (DRIVER_OK), relays
 * calls and reconnects; a vCPU thread stops the rings when the driver
 * resets the device. The mutex orders them; everything the backend says
 * goes through vhost_user.c's checks first.
 *
 * Behind the virtio-iommu the backend has an IOTLB: its misses arrive on
 * its own channel (F_BACKEND_REQ), read on the loop thread, and the
 * IOMMU's answers and invalidations go out on the main socket
 * (IOTLB_MSG). The IOMMU calls the sink under its lock, and the sink takes
 * the mutex to send and, with REPLY_ACK, waits for the backend's ack
 * there, so an UNMAP completes only once the backend has dropped the
 * entries. That cannot deadlock: the locks are always taken IOMMU first,
 * mutex second (nothing here calls into the IOMMU with the mutex held:
 * the miss handler reads the channel without it, the sink is (un)set
 * outside it, and ring addresses go over untranslated), and the backend
 * answers on the main socket without waiting for us: its misses are
 * requests without NEED_REPLY (DPDK), and a miss waits for its answer in
 * the backend's datapath, not its message handler. The reply deadline
 * (vhost_user.c) bounds what a backend that stops answering can hold up.
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
#include "vhost_user_msg.h"

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

static void close_conn(struct vhost_user_dev *d)
{
    vhost_user_close(&d->conn);
    if (d->req_fd >= 0)
        close(d->req_fd);
    d->req_fd = -1;
}

/* The backend's channel for its IOTLB misses: a socket pair whose other end it gets. */
static int backend_channel(struct vhost_user_dev *d)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        LOG_ERR("%s: socketpair for the backend's channel: %s", d->name, strerror(errno));
        return -STDVMM_EIO;
    }
    int r = vhost_user_set_backend_req_fd(&d->conn, sv[1]);
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        return r;
    }
    d->req_fd = sv[0];
    return 0;
}

/* --iommu on needs the backend to translate IOVAs itself, through the IOTLB we serve. */
static int iotlb_check(struct vhost_user_dev *d, uint64_t features)
{
    bool platform = features & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM);
    bool iotlb = d->conn.protocol_features & (1ull << VHOST_USER_PROTOCOL_F_IOTLB);
    bool req = d->conn.protocol_features & (1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ);
    if (!platform || !iotlb || !req) {
        LOG_ERR(
            "%s: --iommu on: the vhost-user backend at %s has no IOTLB support (missing:%s%s%s); "
            "it would reach guest memory outside the IOMMU, so the device is refused: drop the "
            "one or the other (dpdk-testpmd: iommu-support=1)",
            d->name, d->socket, platform ? "" : " VIRTIO_F_ACCESS_PLATFORM",
            iotlb ? "" : " protocol feature IOTLB", req ? "" : " protocol feature BACKEND_REQ");
        return -STDVMM_ENOTSUP;
    }
    return backend_channel(d);
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

    d->conn.iotlb = d->iommu;
    if (r == 0)
        r = vhost_user_negotiate(&d->conn, d->wanted, &features);
    if (r == 0 && d->iommu)
        r = iotlb_check(d, features);
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
        close_conn(d);
        return r;
    }
    d->connected = true;
    return 0;
}

int vhost_user_dev_open(struct vhost_user_dev *d, const char *name, const char *socket,
                        uint32_t device_id, uint64_t wanted, bool iommu)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->conn.fd = -1;
    d->watched_fd = -1;
    d->req_fd = -1;
    d->watched_req_fd = -1;
    d->iommu = iommu;
    if (iommu)
        wanted |= VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM);
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

/* Behind the IOMMU the backend takes ring addresses as IOVAs (VIRTIO_F_ACCESS_PLATFORM acked). */
static bool iova_rings(const struct vhost_user_dev *d)
{
    return d->dma != NULL && (d->driver_features & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM));
}

/*
 * Ring addresses as the backend wants them: this process's, checked
 * against guest RAM; behind the IOMMU the driver's IOVAs, which the
 * backend resolves through misses (checked and faulted there, like any
 * buffer). They are not translated here: that would take the IOMMU's lock
 * under the mutex. A start follows a reset there, so both indices are 0.
 */
static int vring_of(struct vhost_user_dev *d, const struct virtio_vhost_queue *q,
                    struct vhost_user_vring *v)
{
    if (iova_rings(d)) {
        *v = (struct vhost_user_vring){
            .index = q->index,
            .num = q->num,
            .desc = q->desc,
            .avail = q->avail,
            .used = q->used,
            .base = 0,
            .kick_fd = d->bells.kick[q->index],
            .call_fd = d->bells.call[q->index],
        };
        return 0;
    }
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
    if (d->watched_req_fd >= 0 && d->loop != NULL)
        host_loop_remove(d->loop, d->watched_req_fd);
    d->watched_fd = -1;
    d->watched_req_fd = -1;
}

/* The connection is gone: retry from the loop until the backend is back. Loop thread only. */
static void drop(struct vhost_user_dev *d, const char *why)
{
    if (!d->connected)
        return;
    unwatch(d);
    close_conn(d);
    d->connected = false;
    d->retry_ns = host_clock_monotonic_ns() + RETRY_NS;
    LOG_WARN("%s: vhost-user backend at %s %s; the device waits and reconnects every second",
             d->name, d->socket, why);
}

static void on_socket(void *ctx, int fd, short revents);
static void on_backend(void *ctx, int fd, short revents);

static void watch(struct vhost_user_dev *d)
{
    if (d->loop != NULL && host_loop_add(d->loop, d->conn.fd, POLLIN, on_socket, d) == 0)
        d->watched_fd = d->conn.fd;
    if (d->loop != NULL && d->req_fd >= 0 &&
        host_loop_add(d->loop, d->req_fd, POLLIN, on_backend, d) == 0)
        d->watched_req_fd = d->req_fd;
}

#define BACKEND_READ_TIMEOUT_MS 1000

/* len bytes of the backend's channel, without waiting past the deadline; descriptors refused. */
static int read_backend(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, BACKEND_READ_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -STDVMM_EIO;
        ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -STDVMM_EIO;
        got += (size_t)n;
    }
    return 0;
}

/*
 * One message of the backend's channel: an IOTLB miss, answered through
 * the IOMMU (an UPDATE on the main socket, or a fault event to the guest's
 * driver). Loop thread, without the mutex (see the top of the file).
 */
static void on_backend(void *ctx, int fd, short revents)
{
    struct vhost_user_dev *d = ctx;
    uint8_t bytes[VHU_HDR_SIZE + VHU_MAX_PAYLOAD];
    struct vhu_msg m;
    uint64_t iova;
    unsigned access;

    (void)revents;
    if (fd != d->req_fd)
        return;
    int r = read_backend(fd, bytes, VHU_HDR_SIZE);
    uint32_t size = r == 0 ? vhu_get32(bytes + 8) : 0;
    if (r == 0 && size > VHU_MAX_PAYLOAD)
        r = -STDVMM_EPROTO;
    if (r == 0 && size > 0)
        r = read_backend(fd, bytes + VHU_HDR_SIZE, size);
    if (r == 0)
        r = vhu_backend_decode(bytes, VHU_HDR_SIZE + size, &m);
    if (r == 0)
        r = vhu_backend_iotlb_miss(&m, &iova, &access);
    if (r < 0) {
        /* The channel is out of step (or closed): no more misses are read from it. */
        LOG_ERR("%s: the vhost-user backend's channel broke (%s); its IOTLB misses go unanswered",
                d->name, stdvmm_strerror(r));
        if (d->loop != NULL)
            host_loop_remove(d->loop, fd);
        d->watched_req_fd = -1;
        return;
    }
    LOG_DEBUG("%s: IOTLB miss at 0x%llx access %u", d->name, (unsigned long long)iova, access);
    /*
     * DPDK asks read-write for receive buffers, which Linux maps write-only
     * (DMA_FROM_DEVICE), and takes only an entry that grants both. As
     * QEMU does, a miss that wants to write is checked for write alone, and
     * an entry that grants write grants read too (iotlb_update). That widens nothing a
     * backend could not do anyway: it maps all of guest RAM (SET_MEM_TABLE),
     * so the IOTLB confines a backend that follows it, not a hostile one.
     */
    unsigned check = (access & DMA_WRITE) ? DMA_WRITE : access;
    int st = iommu_iotlb_miss(d->dma, &d->iotlb, d->name, "the vhost-user backend's", iova, check);
    if (m.flags & VHU_FLAG_NEED_REPLY) {
        struct vhu_msg reply;
        vhu_msg_backend_reply(&reply, m.request, st < 0 ? 1 : 0);
        size_t len = vhu_msg_encode(&reply, bytes, sizeof(bytes));
        if (send(fd, bytes, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
            LOG_WARN("%s: could not answer the backend's IOTLB miss", d->name);
    }
}

/* The sink: under the IOMMU's lock (see the top of the file). */
static void iotlb_update(void *ctx, const struct dma_iotlb_entry *e)
{
    struct vhost_user_dev *d = ctx;

    /* Write-only grants read too: see on_backend(). */
    unsigned perm = (e->perm & DMA_WRITE) ? e->perm | DMA_READ : e->perm;
    LOG_DEBUG("%s: IOTLB update 0x%llx+0x%llx perm %u", d->name, (unsigned long long)e->iova,
              (unsigned long long)e->size, perm);
    dev_lock(d);
    /* A new connection's backend starts with an empty IOTLB: nothing to do while there is none. */
    if (d->connected && !d->conn.broken &&
        vhost_user_iotlb_update(&d->conn, e->iova, e->size, (uint64_t)(uintptr_t)e->host, perm) <
            0 &&
        iommu_iotlb_refusal(&d->iotlb))
        LOG_WARN("%s: the backend did not take the IOTLB entry 0x%llx+0x%llx", d->name,
                 (unsigned long long)e->iova, (unsigned long long)e->size);
    dev_unlock(d);
}

static void iotlb_invalidate(void *ctx, uint64_t iova, uint64_t last)
{
    struct vhost_user_dev *d = ctx;
    /* last - iova + 1 wraps to 0 for the whole space; one byte short of it is as good. */
    uint64_t size = last - iova == UINT64_MAX ? UINT64_MAX : last - iova + 1;

    dev_lock(d);
    if (d->connected && !d->conn.broken)
        d->iotlb_invalidations++;
    if (d->connected && !d->conn.broken && vhost_user_iotlb_invalidate(&d->conn, iova, size) < 0) {
        /*
         * The backend may still hold the entry: a connection it cannot
         * keep in step goes, and the next one starts with an empty IOTLB.
         */
        LOG_ERR("%s: the backend did not take an IOTLB invalidation of 0x%llx..0x%llx; "
                "dropping the connection",
                d->name, (unsigned long long)iova, (unsigned long long)last);
        shutdown(d->conn.fd, SHUT_RDWR);
    }
    dev_unlock(d);
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
    /*
     * Behind the IOMMU the used index is only reachable through the
     * driver's mappings, and translating takes the IOMMU's lock, which
     * cannot be taken under the mutex: the rings restart after a reset.
     */
    int r = d->running && iova_rings(d) ? -STDVMM_ENOTSUP : start_rings(d);
    if (r < 0) {
        LOG_ERR("%s: the backend at %s is back but refused the rings; the device needs a reset",
                d->name, d->socket);
        close_conn(d);
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
                          const int *kick_fds, const struct dma_space *dma)
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
    d->dma = d->iommu ? dma : NULL;
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
    const struct dma_space *sink_of = d->dma;
    dev_unlock(d);
    /* Outside the mutex: the IOMMU takes its lock to set the sink. */
    if (r == 0 && sink_of != NULL) {
        /*
         * Each mapping goes over as the driver makes it: DPDK drops a frame
         * whose receive buffer misses, and Linux maps each receive buffer
         * on its own, so answering misses alone loses the first frame into
         * every buffer.
         */
        const struct dma_iotlb_sink sink = {
            .update = iotlb_update, .invalidate = iotlb_invalidate, .ctx = d, .on_map = true};
        sink_of->iotlb_sink(sink_of->ctx, &sink);
    }
    return r;
}

void vhost_user_dev_detach(struct vhost_user_dev *d)
{
    /* The loop has stopped and so have the vCPUs: d->dma is stable here. */
    if (d->attached && d->dma != NULL)
        d->dma->iotlb_sink(d->dma->ctx, NULL);
    dev_lock(d);
    if (d->attached) {
        if (d->dma != NULL)
            LOG_INFO("%s: IOTLB: %u misses answered, %u invalidations sent", d->name,
                     d->iotlb.misses, d->iotlb_invalidations);
        unwatch(d);
        /*
         * Closing is how a vhost-user backend learns that a frontend's
         * memory is gone; the next boot connects afresh.
         */
        if (d->connected)
            close_conn(d);
        d->connected = false;
        vhost_doorbells_detach(&d->bells);
        d->attached = false;
        d->running = false;
        d->model = NULL;
        d->loop = NULL;
        d->dma = NULL;
    }
    dev_unlock(d);
}

void vhost_user_dev_close(struct vhost_user_dev *d)
{
    vhost_user_dev_detach(d);
    if (d->connected)
        close_conn(d);
    d->connected = false;
    pthread_mutex_destroy(&d->lock);
}
