/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user frontend: a virtio device's queues served by another
 * process (qemu-storage-daemon, virtiofsd, dpdk-testpmd, ...) over a Unix
 * socket, as in QEMU's vhost-user specification. Guest RAM is shared with
 * the backend as file descriptors (memfd), so the backend reads and writes
 * the rings and buffers itself; kicks and calls are eventfds, so no VMM
 * thread sits on the data path once the rings are set up.
 *
 * What the frontend sends and accepts is in docs/virtio.md ("vhost-user").
 * Every reply is checked; a backend that answers out of protocol gets a
 * logged error naming the request, and the connection is not used again.
 */
#ifndef STDVMM_BACKENDS_VHOST_USER_H
#define STDVMM_BACKENDS_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#define VHOST_USER_MAX_REGIONS 8u
/* Feature bit 30: the backend speaks protocol features (and rings start disabled). */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ 5 /* a.k.a. SLAVE_REQ: the backend's own channel */
#define VHOST_USER_PROTOCOL_F_IOTLB 7
#define VHOST_USER_PROTOCOL_F_CONFIG 9

/* One piece of guest RAM as the backend maps it. */
struct vhost_user_region {
    uint64_t guest_phys_addr, size;
    uint64_t user_addr;   /* where the frontend has it mapped: ring addresses are given in these */
    uint64_t mmap_offset; /* of the region within fd */
    int fd;
};

/* One virtqueue handed to the backend. Addresses are the frontend's (user_addr space). */
struct vhost_user_vring {
    uint32_t index, num;
    uint64_t desc, avail, used;
    uint16_t base; /* next available index the backend processes */
    int kick_fd;   /* frontend → backend: new buffers (the device's ioeventfd) */
    int call_fd;   /* backend → frontend: used buffers (the device's irqfd) */
};

struct vhost_user {
    int fd;
    bool broken;                         /* a protocol error happened: nothing more is sent */
    uint64_t backend_features, features; /* offered by the backend; acknowledged */
    uint64_t protocol_features;          /* acknowledged (0 without F_PROTOCOL_FEATURES) */
    bool iotlb; /* set before negotiating: ask for F_IOTLB and F_BACKEND_REQ too */
    char path[108];
};

/* Connects to the backend's socket. */
int vhost_user_connect(struct vhost_user *vu, const char *path);
void vhost_user_close(struct vhost_user *vu);
/*
 * SET_OWNER and feature negotiation: acknowledges the device features in
 * wanted that the backend offers (out: the result), and of the protocol
 * features the ones this frontend implements.
 */
int vhost_user_negotiate(struct vhost_user *vu, uint64_t wanted, uint64_t *features);
/*
 * Acknowledges features again (a subset of what negotiate returned): what
 * the guest's driver accepted, so that the backend lays out the rings the
 * same way (EVENT_IDX). Sent before the rings start.
 */
int vhost_user_set_features(struct vhost_user *vu, uint64_t features);
int vhost_user_set_mem_table(struct vhost_user *vu, const struct vhost_user_region *r,
                             unsigned count);
/* The device's config space (needs the CONFIG protocol feature). */
int vhost_user_get_config(struct vhost_user *vu, uint32_t offset, void *buf, uint32_t size);
/* How many queues the backend serves (needs the MQ protocol feature; 1 otherwise). */
int vhost_user_queue_num(struct vhost_user *vu, uint32_t *count);
/* Size, base, addresses, kick and call, then enable: the backend starts on the ring. */
int vhost_user_start_vring(struct vhost_user *vu, const struct vhost_user_vring *v);
/*
 * Behind an IOMMU (vu->iotlb, both protocol features acknowledged): hands
 * the backend fd, its end of the channel its IOTLB misses come on
 * (SET_BACKEND_REQ_FD); then one IOTLB entry, or an invalidation of
 * [iova, iova + size). With REPLY_ACK these return once the backend took them.
 */
int vhost_user_set_backend_req_fd(struct vhost_user *vu, int fd);
int vhost_user_iotlb_update(struct vhost_user *vu, uint64_t iova, uint64_t size, uint64_t uaddr,
                            unsigned perm);
int vhost_user_iotlb_invalidate(struct vhost_user *vu, uint64_t iova, uint64_t size);
/* Stops ring index; out: where the backend stopped (the base to restart it from). */
int vhost_user_stop_vring(struct vhost_user *vu, uint32_t index, uint16_t *base);

#endif
