/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User-mode networking for virtio-net with libslirp (QEMU's "-net user"):
 * the guest gets 10.0.2.15 by DHCP, 10.0.2.2 is the host (its loopback),
 * 10.0.2.3 answers DNS, and connections leave through ordinary host
 * sockets. TCP host forwards listen on the host's loopback only. libslirp
 * is single-threaded: it runs entirely on the device's event loop, through
 * a poll hook (its descriptor set changes every round).
 */
#ifndef STDVMM_BACKENDS_NET_SLIRP_H
#define STDVMM_BACKENDS_NET_SLIRP_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/loop_timer.h"
#include "stdvmm/spelling.h"

#define NET_SLIRP_MAX_TIMERS 8
#define NET_SLIRP_MAX_HOSTFWDS 8
/*
 * Frames for the guest kept while it has no buffers or its receive rate
 * limit says wait: more are dropped (libslirp's TCP retransmits them).
 */
#define NET_SLIRP_RX_QUEUE 64
#define NET_SLIRP_RX_FRAME (1500 + 14)
/*
 * Host sockets libslirp may hold for the guest (its connections out, its
 * UDP flows and pings, the forwards' accepted connections). At the bound a
 * guest frame that would open another (a TCP SYN, a UDP datagram but
 * DHCP's, an ICMP echo request) is dropped, and the forwards' listening
 * sockets are not polled, so nothing is accepted, until some close. Every
 * socket then fits the event loop's poll set (HOST_LOOP_MAX_FDS, beside
 * its HOST_LOOP_MAX_WATCHES), so none is left unpolled.
 */
#define NET_SLIRP_MAX_SOCKETS 256

struct net_slirp_timer {
    bool used;
    bool armed;
    int id; /* SlirpTimerId */
    void *cb_opaque;
    int64_t expire_ms;
};

struct net_slirp {
    void *slirp; /* Slirp * */
    const char *name;
    struct virtio_net *dev;
    struct host_loop *loop;
    bool warned;
    struct net_slirp_timer timers[NET_SLIRP_MAX_TIMERS];
    struct host_loop_timer retry; /* the rate limit's retries */
    unsigned rxq_head, rxq_count;
    uint16_t rxq_len[NET_SLIRP_RX_QUEUE];
    uint8_t rxq[NET_SLIRP_RX_QUEUE][NET_SLIRP_RX_FRAME];
    uint8_t frame[VIRTIO_NET_MAX_FRAME];
    unsigned sockets;    /* at the last count, plus flows let through since */
    uint64_t counted_ns; /* when libslirp's connections were last counted */
    uint64_t refused;    /* frames dropped at the bound */
    bool full_warned;
};

/* Creates the stack and binds the host forwards (a taken port is an error). */
/*
 * restricted: libslirp's restricted mode, where the guest can open no
 * connection out (DHCP and the forwards still work; DNS does not).
 */
int net_slirp_open(struct net_slirp *s, const char *name, const struct spelling_hostfwd *fwds,
                   unsigned fwd_count, bool restricted);
struct virtio_net_backend net_slirp_backend(struct net_slirp *s);
/* For one boot: frames go to dev; the stack runs on loop. */
int net_slirp_attach(struct net_slirp *s, struct virtio_net *dev, struct host_loop *loop);
/* The loop must be stopped. */
void net_slirp_detach(struct net_slirp *s);
void net_slirp_close(struct net_slirp *s);
/* False when stdvmm was built without libslirp. */
bool net_slirp_available(void);

#endif
