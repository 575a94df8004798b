/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest's virtio-net device whose queues the host kernel serves
 * (/dev/vhost-net, --net tap=IF,vhost=on): the backend side of
 * stdvmm/devices/virtio_vhost.h for a TAP. Frames move between the guest's
 * rings and the TAP inside the kernel; the guest's QueueNotify reaches the
 * kernel through the port's ioeventfds, and the kernel's completions come
 * back through an eventfd per queue that the device's loop relays into the
 * interrupt (virtio-mmio's interrupt status lives in the VMM). stdvmm keeps
 * the config space (MAC, link up) and the offload negotiation: the TAP
 * carries the virtio-net header, and TUNSETOFFLOAD follows the guest's
 * features, as with stdvmm's own TAP datapath.
 *
 * Behind the virtio-iommu (--iommu on) the driver's ring and buffer
 * addresses are I/O virtual addresses: the kernel gets them as they are
 * (VIRTIO_F_ACCESS_PLATFORM acked), asks for each translation it lacks with
 * an IOTLB miss on the vhost descriptor, which the device's loop answers
 * from the endpoint's domain (stdvmm/devices/dma.h, dma_iotlb_sink), and
 * the IOMMU invalidates what it cached whenever the driver unmaps. A miss
 * with nothing mapped is a fault: reported to the IOMMU's driver, and the
 * device needs a reset.
 *
 * Lifetime: open once per run (before the sandbox and the jail: the device
 * node is not reachable after), attach per boot, detach at the end of a
 * boot, close at the end of the run.
 */
#ifndef STDVMM_BACKENDS_VHOST_NET_H
#define STDVMM_BACKENDS_VHOST_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/backends/net_tap.h"
#include "stdvmm/backends/vhost_doorbells.h"
#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/iommu_iotlb.h"
#include "stdvmm/devices/virtio_vhost.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/host/event_loop.h"

#define VHOST_NET_QUEUES 2u /* receive and transmit */
#define VHOST_NET_MAX_REGIONS 8u

/* One guest RAM region as the kernel reaches it: in this process's address space. */
struct vhost_net_region {
    uint64_t gpa;
    uint64_t size;
    void *host;
};

struct vhost_net {
    char name[16];
    int fd;     /* /dev/vhost-net */
    bool owned; /* VHOST_SET_OWNER done, by the process that runs the VM */
    struct net_tap *tap;
    uint64_t features;  /* offered to the driver */
    uint64_t offered;   /* by the kernel */
    uint8_t config[10]; /* mac, status, max_virtqueue_pairs */
    pthread_mutex_t lock;
    unsigned stop_generation;
    bool running;
    struct virtio_vhost_queue queues[VHOST_NET_QUEUES];
    unsigned running_count;
    /* This boot's. */
    bool attached;
    const struct gmem *mem;
    struct vhost_doorbells bells;
    const struct dma_space *dma; /* the endpoint's translation behind the IOMMU; NULL without */
    struct iommu_iotlb_count iotlb; /* misses; refused messages and misses (log rate limit) */
    /* The kernel has an IOTLB (features with ACCESS_PLATFORM set once): until then none is cached.
     */
    atomic_bool iotlb_live;
};

/*
 * Opens /dev/vhost-net for the TAP tap and learns what the kernel serves.
 * -STDVMM_ENOTSUP (after a message saying so) where the host has no
 * vhost-net: the caller falls back to its own TAP datapath.
 */
int vhost_net_open(struct vhost_net *d, const char *name, struct net_tap *tap,
                   const uint8_t mac[6]);
/* The model's configuration: device type, features, queues, config size and backend ops. */
void vhost_net_model_config(struct vhost_net *d, struct virtio_vhost_config *cfg);
/*
 * This boot: guest RAM, the model, the loop that relays completions, and a
 * kick descriptor per queue (the port's notifiers that QueueNotify signals),
 * and dma, the device's IOMMU endpoint (NULL without --iommu): the loop
 * then also serves the kernel's IOTLB misses.
 */
int vhost_net_attach(struct vhost_net *d, struct virtio_vhost *model, struct host_loop *loop,
                     const struct gmem *mem, const struct vhost_net_region *regions,
                     unsigned region_count, const int *kick_fds, const struct dma_space *dma);
/* The loop has stopped: the kernel lets go of the rings and this boot's memory. */
void vhost_net_detach(struct vhost_net *d);
void vhost_net_close(struct vhost_net *d);

#endif
