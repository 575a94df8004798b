/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-netserve: the network server of a driver VM (docs/sel4.md "Driver
 * VMs"). It runs in the driver VM's Linux and puts other VMs' frames on
 * the NIC this VM owns (passthrough), with this VM's own driver: its VMM
 * relays each client NIC's two channels over virtio-vsock as the channel's
 * stream form (channel_stream.h), TX at host port SEL4_DRV_VSOCK_NET_TX_PORT
 * + client and RX at SEL4_DRV_VSOCK_NET_RX_PORT + client (blk_abi.h). The
 * VMM has already refused frames that do not carry the client's own MAC.
 *
 *   stdvmm-netserve [--unix PREFIX] IFACE
 *
 * A client's sent frame goes out on IFACE through a packet socket; frames
 * IFACE receives (promiscuous) for a client's MAC, and every broadcast and
 * multicast, answer that client's posted receive requests, which wait here
 * until a frame comes. A client's MAC is the source of its first sent
 * frame. The interface's generic receive offload is turned off: it would
 * hand up merged TCP segments larger than any frame a client can take.
 * --unix: the VMM's side is reached at the Unix socket PREFIX<port> instead
 * of vsock (tests outside a VM). A static aarch64 program in the guest kit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the guest kit's build defines nothing */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include "vmm_link.h"
#include "port/sel4/blk_abi.h"
#include "port/sel4/net_abi.h"
#include "stdvmm/channel.h"
#include "stdvmm/channel_stream.h"

#define MAX_CLIENTS 8
#define FRAME_MAX 1514u /* no VLAN tag, no offloads: what a client's NIC sends and takes */

struct conn {
    int fd;
    unsigned port;
    struct channel_stream_parser parser;
    uint8_t buf[SEL4_NET_SLOT_SIZE]; /* a sent frame */
};

struct client {
    struct conn tx, rx;
    bool mac_known;
    uint8_t mac[6];
    /* Posted receive requests, oldest first: id and the room offered. */
    struct {
        uint32_t id, room;
    } posted[SEL4_NET_SLOTS];
    unsigned head, count;
    uint64_t sent, received, dropped;
};

static struct client clients[MAX_CLIENTS];
static int nic = -1; /* the packet socket on IFACE */
static uint64_t nic_frames, nic_oversized; /* received on IFACE; of them longer than a frame */
static const char *unix_prefix;

static void drop(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static bool reply(struct conn *c, uint32_t id, enum channel_status st, const uint8_t *data,
                  uint32_t len)
{
    if (vmm_link_respond(c->fd, id, st, data, len))
        return true;
    drop(c);
    return false;
}

static struct client *owner(struct conn *c)
{
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        if (c == &clients[i].tx || c == &clients[i].rx)
            return &clients[i];
    }
    return NULL;
}

static int on_header(void *ctx, const struct channel_stream_msg *m)
{
    struct conn *c = ctx;
    struct client *cl = owner(c);
    /* The VMM is the peer here: a request it could never send means another program. */
    if (c == &cl->tx)
        return m->code == CHANNEL_OP_NET_TX && m->len >= ETH_HLEN && m->len <= sizeof(c->buf) ? 0
                                                                                              : -1;
    return m->code == CHANNEL_OP_NET_RX && m->len >= ETH_HLEN && cl->count < SEL4_NET_SLOTS ? 0
                                                                                            : -1;
}

static void on_payload(void *ctx, const struct channel_stream_msg *m, uint32_t offset,
                       const uint8_t *data, size_t n)
{
    struct conn *c = ctx;
    (void)m;
    memcpy(c->buf + offset, data, n); /* offset + n <= len <= sizeof(buf): on_header */
}

static void on_done(void *ctx, const struct channel_stream_msg *m)
{
    struct conn *c = ctx;
    struct client *cl = owner(c);

    if (c->fd < 0)
        return; /* the link failed earlier in this read: the VMM fails what it left */
    if (m->code == CHANNEL_OP_NET_RX) {
        unsigned at = (cl->head + cl->count) % SEL4_NET_SLOTS;
        cl->posted[at].id = m->id;
        cl->posted[at].room = m->len;
        cl->count++; /* on_header bounded count */
        return;
    }
    if (!cl->mac_known) {
        memcpy(cl->mac, c->buf + 6, 6);
        cl->mac_known = true;
        printf("stdvmm-netserve: client %02x:%02x:%02x:%02x:%02x:%02x on port %u\n", cl->mac[0],
               cl->mac[1], cl->mac[2], cl->mac[3], cl->mac[4], cl->mac[5], c->port);
        fflush(stdout);
    }
    enum channel_status st = CHANNEL_S_OK;
    if (send(nic, c->buf, m->len, 0) != (ssize_t)m->len)
        st = CHANNEL_S_IOERR;
    else
        cl->sent++;
    reply(c, m->id, st, NULL, 0);
}

/* A frame IFACE received: to every client it is for that has room posted. */
static void deliver(const uint8_t *frame, uint32_t len)
{
    bool group = frame[0] & 1u; /* broadcast or multicast */
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        struct client *cl = &clients[i];
        if (cl->rx.fd < 0 || (!group && (!cl->mac_known || memcmp(frame, cl->mac, 6) != 0)))
            continue;
        if (cl->count == 0 || cl->posted[cl->head].room < len) {
            cl->dropped++;
            continue;
        }
        uint32_t id = cl->posted[cl->head].id;
        cl->head = (cl->head + 1) % SEL4_NET_SLOTS;
        cl->count--;
        if (reply(&cl->rx, id, CHANNEL_S_OK, frame, len))
            cl->received++;
    }
}

/* What changed since the last report, at most every 10 s: a line for the log. */
static void report(void)
{
    static uint64_t last;
    static time_t when;
    time_t now = time(NULL);
    if (now - when < 10)
        return;
    when = now;
    uint64_t sum = nic_frames;
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        sum += clients[i].sent + clients[i].dropped;
    if (sum == last)
        return;
    last = sum;
    printf("stdvmm-netserve: %s received %llu frames (%llu longer than a frame, dropped)",
           "the NIC", (unsigned long long)nic_frames, (unsigned long long)nic_oversized);
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        const struct client *cl = &clients[i];
        if (cl->tx.fd >= 0 || cl->rx.fd >= 0)
            printf("; client %u: %llu sent, %llu received, %llu dropped without room", i,
                   (unsigned long long)cl->sent, (unsigned long long)cl->received,
                   (unsigned long long)cl->dropped);
    }
    printf("\n");
    fflush(stdout);
}

static void try_connect(struct conn *c)
{
    int fd = vmm_link_dial(unix_prefix, c->port);
    if (fd < 0)
        return;
    const struct channel_stream_ops ops = {on_header, on_payload, on_done, c};
    channel_stream_parser_init(&c->parser, CHANNEL_STREAM_REQ_MAGIC, SEL4_NET_SLOT_SIZE, &ops);
    c->fd = fd;
    struct client *cl = owner(c);
    if (c == &cl->rx)
        cl->head = cl->count = 0; /* a fresh stream: the earlier one's requests are gone */
    printf("stdvmm-netserve: serving port %u\n", c->port);
    fflush(stdout);
}

/* The packet socket on iface: up, promiscuous, without generic receive offload. */
static int open_nic(const char *iface)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return -1;
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
        goto fail;
    int index = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        goto fail;
    struct ethtool_value gro = {.cmd = ETHTOOL_SGRO, .data = 0};
    ifr.ifr_data = (char *)&gro;
    if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
        fprintf(stderr, "stdvmm-netserve: %s: cannot turn GRO off: %s\n", iface, strerror(errno));
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = index};
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
        goto fail;
    struct packet_mreq mr = {.mr_ifindex = index, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
        goto fail;
    return fd;
fail:
    fprintf(stderr, "stdvmm-netserve: %s: %s\n", iface, strerror(errno));
    close(fd);
    return -1;
}

/* Reads what conn c has; false when its stream ended or broke. */
static bool serve(struct conn *c)
{
    static uint8_t in[65536];
    ssize_t r = read(c->fd, in, sizeof(in));
    return r > 0 && channel_stream_feed(&c->parser, in, (size_t)r) == 0 && c->fd >= 0;
}

int main(int argc, char **argv)
{
    const char *iface = NULL;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc)
            unix_prefix = argv[++i];
        else if (argv[i][0] != '-' && iface == NULL)
            iface = argv[i];
        else
            bad = true;
    }
    if (bad || iface == NULL) {
        fprintf(stderr, "usage: %s [--unix PREFIX] IFACE\n", argv[0]);
        return 2;
    }
    if ((nic = open_nic(iface)) < 0)
        return 1;
    printf("stdvmm-netserve: frames go out on %s\n", iface);
    fflush(stdout);
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        clients[i].tx = (struct conn){.fd = -1, .port = SEL4_DRV_VSOCK_NET_TX_PORT + i};
        clients[i].rx = (struct conn){.fd = -1, .port = SEL4_DRV_VSOCK_NET_RX_PORT + i};
    }
    static uint8_t frame[65536];
    for (;;) {
        struct pollfd pfd[1 + 2 * MAX_CLIENTS];
        struct conn *which[1 + 2 * MAX_CLIENTS];
        unsigned n = 0;
        pfd[n++] = (struct pollfd){.fd = nic, .events = POLLIN};
        bool dial_now = vmm_link_dial_due(); /* connect() is a round trip to the VMM */
        for (unsigned i = 0; i < MAX_CLIENTS; i++) {
            struct conn *cs[2] = {&clients[i].tx, &clients[i].rx};
            for (unsigned k = 0; k < 2; k++) {
                if (cs[k]->fd < 0 && dial_now)
                    try_connect(cs[k]);
                if (cs[k]->fd >= 0) {
                    which[n] = cs[k];
                    pfd[n++] = (struct pollfd){.fd = cs[k]->fd, .events = POLLIN};
                }
            }
        }
        /* Ports that refused are tried again now and then: the VMM serves a fixed set. */
        if (poll(pfd, n, 1000) < 0 && errno != EINTR)
            return 1;
        report();
        if (pfd[0].revents & POLLIN) {
            struct sockaddr_ll from;
            socklen_t fl = sizeof(from);
            ssize_t len =
                recvfrom(nic, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
            /* Its own sends come back as outgoing: not for the clients. */
            if (len >= ETH_HLEN && from.sll_pkttype != PACKET_OUTGOING) {
                nic_frames++;
                if (len <= (ssize_t)FRAME_MAX)
                    deliver(frame, (uint32_t)len);
                else
                    nic_oversized++;
            }
        }
        for (unsigned k = 1; k < n; k++) {
            struct conn *c = which[k];
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) || c->fd < 0)
                continue;
            if (!serve(c)) {
                struct client *cl = owner(c);
                printf("stdvmm-netserve: port %u: connection ended (%llu frames sent, %llu "
                       "received, %llu dropped)\n",
                       c->port, (unsigned long long)cl->sent, (unsigned long long)cl->received,
                       (unsigned long long)cl->dropped);
                fflush(stdout);
                drop(c);
            }
        }
    }
}
