/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-blkserve: the block server of a driver VM (docs/sel4.md "Driver
 * VMs"). It runs in the driver VM's Linux, on Debian's kernel, and serves
 * other VMs' disks from the disk this VM owns (passthrough), with this
 * VM's own drivers: its VMM relays each client's requests over virtio-vsock
 * as the channel's stream form (channel_stream.h), one connection per
 * client at host port SEL4_DRV_VSOCK_PORT + client (blk_abi.h). The VMM has
 * already mapped each request into the client's region of this disk; this
 * program does the I/O and answers.
 *
 *   stdvmm-blkserve [--unix PREFIX] DEVICE
 *   stdvmm-blkserve [--unix PREFIX] --vhost-user SOCKET
 *
 * DEVICE: the I/O is pread/pwrite/fdatasync on it (e.g. /dev/vda). SOCKET:
 * it hands each request to a vhost-user-blk backend (qemu-storage-daemon's
 * export) as that backend's frontend (vhu_blk.c): "the virtio-blk device is
 * handled by QEMU in some VM", literally. --unix: the VMM's side is reached
 * at the Unix socket PREFIX<port> instead of vsock (tests outside a VM).
 *
 * It connects to every port the VMM serves (the others refuse), answers
 * until the connection ends, and connects again. A static aarch64 program
 * in the guest kit (tools/sel4/build-demo-kit.sh).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the guest kit's build defines nothing */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhu_blk.h"
#include "vmm_link.h"
#include "port/sel4/blk_abi.h"
#include "stdvmm/channel.h"
#include "stdvmm/channel_stream.h"

#define MAX_CLIENTS 8
#define SECTOR 512u

struct conn {
    int fd;
    unsigned port;
    struct channel_stream_parser parser;
    uint8_t buf[SEL4_BLK_SLOT_SIZE]; /* a write's payload, then a read's answer */
    uint64_t served;
};

static struct conn conns[MAX_CLIENTS];
static int disk = -1;           /* DEVICE */
static struct vhu_blk *backend; /* or --vhost-user */
static const char *unix_prefix; /* --unix */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

/* One request on the disk: 0, or negative. */
static int disk_io(uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len)
{
    if (backend != NULL)
        return vhu_blk_io(backend, type, sector, buf, len);
    off_t at = (off_t)(sector * SECTOR);
    switch (type) {
    case VIRTIO_BLK_T_IN:
        return pread(disk, buf, len, at) == (ssize_t)len ? 0 : -1;
    case VIRTIO_BLK_T_OUT:
        return pwrite(disk, buf, len, at) == (ssize_t)len ? 0 : -1;
    default:
        return fdatasync(disk);
    }
}

static bool reply(struct conn *c, uint32_t id, enum channel_status status, uint32_t len)
{
    return vmm_link_respond(c->fd, id, status, c->buf, len);
}

static int on_header(void *ctx, const struct channel_stream_msg *m)
{
    (void)ctx;
    /* The VMM is the peer here: a request it could never send means another program. */
    bool data = m->code == CHANNEL_OP_BLK_READ || m->code == CHANNEL_OP_BLK_WRITE;
    return m->len <= SEL4_BLK_SLOT_SIZE && (!data || m->len % SECTOR == 0) ? 0 : -1;
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
    enum channel_status st = CHANNEL_S_OK;
    uint32_t len = 0;

    if (c->fd < 0)
        return; /* the link failed earlier in this read: the VMM fails what it left */
    switch (m->code) {
    case CHANNEL_OP_BLK_READ:
        if (disk_io(VIRTIO_BLK_T_IN, m->arg, c->buf, m->len) == 0)
            len = m->len;
        else
            st = CHANNEL_S_IOERR;
        break;
    case CHANNEL_OP_BLK_WRITE:
        if (disk_io(VIRTIO_BLK_T_OUT, m->arg, c->buf, m->len) < 0)
            st = CHANNEL_S_IOERR;
        break;
    case CHANNEL_OP_BLK_FLUSH:
        if (disk_io(VIRTIO_BLK_T_FLUSH, 0, c->buf, 0) < 0)
            st = CHANNEL_S_IOERR;
        break;
    default:
        st = CHANNEL_S_UNSUPP;
    }
    c->served++;
    if (!reply(c, m->id, st, len)) {
        printf("stdvmm-blkserve: port %u: an answer could not be sent (%s) after %llu requests\n",
               c->port, strerror(errno), (unsigned long long)c->served);
        fflush(stdout);
        close(c->fd);
        c->fd = -1;
    }
}

static void try_connect(struct conn *c)
{
    int fd = vmm_link_dial(unix_prefix, c->port);
    if (fd < 0)
        return;
    const struct channel_stream_ops ops = {on_header, on_payload, on_done, c};
    channel_stream_parser_init(&c->parser, CHANNEL_STREAM_REQ_MAGIC, SEL4_BLK_SLOT_SIZE, &ops);
    c->fd = fd;
    printf("stdvmm-blkserve: serving port %u\n", c->port);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static struct vhu_blk vhu;
    const char *device = NULL, *socket_path = NULL;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc)
            unix_prefix = argv[++i];
        else if (strcmp(argv[i], "--vhost-user") == 0 && i + 1 < argc)
            socket_path = argv[++i];
        else if (argv[i][0] != '-' && device == NULL)
            device = argv[i];
        else
            bad = true;
    }
    if (bad || (device == NULL) == (socket_path == NULL)) {
        fprintf(stderr, "usage: %s [--unix PREFIX] DEVICE | --vhost-user SOCKET\n", argv[0]);
        return 2;
    }
    if (socket_path != NULL) {
        if (vhu_blk_open(&vhu, socket_path) < 0) {
            fprintf(stderr, "stdvmm-blkserve: the vhost-user-blk backend at %s failed\n",
                    socket_path);
            return 1;
        }
        backend = &vhu;
        printf("stdvmm-blkserve: requests go to the vhost-user-blk backend at %s\n", socket_path);
        fflush(stdout);
    } else if ((disk = open(device, O_RDWR | O_CLOEXEC)) < 0) {
        fprintf(stderr, "stdvmm-blkserve: %s: %s\n", device, strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        conns[i].fd = -1;
        conns[i].port = SEL4_DRV_VSOCK_PORT + i;
    }
    static uint8_t in[65536];
    for (;;) {
        struct pollfd pfd[MAX_CLIENTS];
        unsigned n = 0, which[MAX_CLIENTS];
        bool dial_now = vmm_link_dial_due(); /* connect() is a round trip to the VMM */
        for (unsigned i = 0; i < MAX_CLIENTS; i++) {
            if (conns[i].fd < 0 && dial_now)
                try_connect(&conns[i]);
            if (conns[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
                which[n++] = i;
            }
        }
        /* Ports that refused are tried again now and then: the VMM serves a fixed set. */
        if (poll(pfd, n, 1000) < 0 && errno != EINTR)
            return 1;
        for (unsigned k = 0; k < n; k++) {
            struct conn *c = &conns[which[k]];
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = read(c->fd, in, sizeof(in));
            if (r <= 0 || channel_stream_feed(&c->parser, in, (size_t)r) < 0) {
                printf("stdvmm-blkserve: port %u: connection ended after %llu requests\n", c->port,
                       (unsigned long long)c->served);
                fflush(stdout);
                if (c->fd >= 0)
                    close(c->fd);
                c->fd = -1;
            }
        }
    }
}
