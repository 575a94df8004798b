/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest's virtio device served by a vhost-user backend process: the
 * backend side of stdvmm/devices/virtio_vhost.h on Linux. It owns the
 * connection, the config space, the call eventfds (relayed to the guest on
 * the device's loop thread, because virtio-mmio's interrupt status lives in
 * the VMM) and reconnection: when the backend goes away the device waits,
 * retrying once a second, and a backend that comes back gets the memory
 * table and the rings again, each from the used index in guest memory, so
 * the guest's next request is served (docs/virtio.md "vhost-user").
 *
 * Lifetime: open once per run (connects, so an absent backend is an error
 * at start), attach per boot (guest RAM and the device model are new each
 * boot), detach at the end of a boot, close at the end of the run.
 */
#ifndef STDVMM_BACKENDS_VHOST_USER_DEV_H
#define STDVMM_BACKENDS_VHOST_USER_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/backends/vhost_doorbells.h"
#include "stdvmm/backends/vhost_user.h"
#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/iommu_iotlb.h"
#include "stdvmm/devices/virtio_vhost.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/host/event_loop.h"

#define VHOST_USER_DEV_CONFIG_MAX 256u
#define VHOST_USER_DEV_QUEUE_MAX 256u

struct vhost_user_dev {
    char name[16];
    char socket[108];
    uint32_t device_id;
    uint64_t wanted;   /* the device features this frontend can pass on */
    uint64_t features; /* offered to the driver: the first backend's offer within wanted */
    uint64_t local;    /* device features this frontend implements itself (net: MAC, STATUS) */
    unsigned queue_count;
    uint8_t config[VHOST_USER_DEV_CONFIG_MAX];
    uint32_t config_size;
    bool iommu; /* behind the virtio-iommu: the backend must have an IOTLB */

    pthread_mutex_t lock; /* the connection and the ring state below */
    struct vhost_user conn;
    bool connected;
    uint64_t retry_ns; /* next reconnection attempt */
    unsigned stop_generation;
    bool running; /* the driver's rings are handed over (or will be, on reconnection) */
    uint64_t driver_features;
    struct virtio_vhost_queue queues[VIRTIO_MAX_QUEUES];
    unsigned running_count;

    /* This boot's. */
    bool attached;
    struct virtio_vhost *model;
    struct host_loop *loop;
    const struct gmem *mem;
    struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
    unsigned region_count;
    struct vhost_doorbells bells;
    int watched_fd; /* the connection's descriptor on the loop, -1: none */
    const struct dma_space *dma; /* the IOMMU's view for this device, NULL: none */
    int req_fd;                  /* our end of the backend's channel (iommu), -1: none */
    int watched_req_fd;
    struct iommu_iotlb_count iotlb; /* misses answered (loop thread) and refusals */
    unsigned iotlb_invalidations; /* sent (under the mutex) */
};

/*
 * Connects to the backend at socket, negotiates and learns the device's
 * features (the backend's offer within wanted) and, for a block device,
 * its config space. Logs a message naming name and socket on failure.
 * With iommu, the backend must offer an IOTLB (VIRTIO_F_ACCESS_PLATFORM,
 * the IOTLB and BACKEND_REQ protocol features), or the device is refused.
 */
int vhost_user_dev_open(struct vhost_user_dev *d, const char *name, const char *socket,
                        uint32_t device_id, uint64_t wanted, bool iommu);
/* Config space the frontend defines itself (virtio-fs: the tag), instead of GET_CONFIG. */
void vhost_user_dev_set_config(struct vhost_user_dev *d, const void *config, uint32_t size);
/*
 * Device features the frontend serves itself from its own config space
 * (virtio-net's MAC and STATUS): offered to the driver whatever the
 * backend offers, and never sent to the backend, which would refuse them.
 */
void vhost_user_dev_set_local_features(struct vhost_user_dev *d, uint64_t features);
/* The model's configuration: device type, features, queues, config size and backend ops. */
void vhost_user_dev_model_config(struct vhost_user_dev *d, struct virtio_vhost_config *cfg);
/*
 * This boot: guest RAM as regions with their memfds, the model, the loop
 * that relays calls, and one kick descriptor per queue (the port's
 * notifiers that the guest's QueueNotify writes signal). dma: the IOMMU's
 * view of the device (opened with iommu), whose IOTLB the backend gets.
 */
int vhost_user_dev_attach(struct vhost_user_dev *d, struct virtio_vhost *model,
                          struct host_loop *loop, const struct gmem *mem,
                          const struct vhost_user_region *regions, unsigned region_count,
                          const int *kick_fds, const struct dma_space *dma);
/* The loop has stopped: the backend lets go of this boot's memory (the connection closes). */
void vhost_user_dev_detach(struct vhost_user_dev *d);
void vhost_user_dev_close(struct vhost_user_dev *d);

#endif
