/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TAP backend for virtio-net: frames go to and come from a host TAP
 * interface (created if it does not exist, which needs CAP_NET_ADMIN).
 * The TAP carries the same virtio_net_hdr as the guest, so checksum and
 * TSO offloads pass straight through: the guest's large segments reach
 * the host kernel unsplit, and the host's reach the guest the same way,
 * once the guest has accepted them (TUNSETOFFLOAD follows the negotiation).
 */
#ifndef STDVMM_BACKENDS_NET_TAP_H
#define STDVMM_BACKENDS_NET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/loop_timer.h"

struct net_tap {
    char name[16];    /* the host interface */
    char setting[16]; /* its name in messages: "net0" */
    int fd;
    bool offload_ok; /* the TAP accepted TUNSETOFFLOAD */
    struct virtio_net *dev;
    struct host_loop *loop;
    size_t pending; /* bytes of a received frame (with header) waiting for guest buffers */
    bool warned;
    struct host_loop_timer timer; /* the rate limit's retries */
    uint8_t buf[VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME];
};

/* Attaches to host interface ifname; messages say "net 'DEV' (tap IFNAME): ...". */
int net_tap_open(struct net_tap *t, const char *dev, const char *ifname);
struct virtio_net_backend net_tap_backend(struct net_tap *t);
/*
 * What the TAP may hand the guest, from the guest's accepted features
 * (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN); nothing where TUNSETOFFLOAD failed
 * at open. Also for a datapath that bypasses this backend (vhost-net).
 */
void net_tap_set_offloads(struct net_tap *t, uint64_t features);
int net_tap_attach(struct net_tap *t, struct virtio_net *dev, struct host_loop *loop);
void net_tap_detach(struct net_tap *t);
void net_tap_close(struct net_tap *t);

#endif
