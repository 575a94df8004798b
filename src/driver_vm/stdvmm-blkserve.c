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
 *   stdvmm-blkserve DEVICE        e.g. /dev/vda
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
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

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
static int disk = -1;

static bool write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static bool reply(struct conn *c, uint32_t id, enum channel_status status, uint32_t len)
{
    uint8_t hdr[CHANNEL_STREAM_HDR_SIZE];
    const struct channel_stream_msg m = {CHANNEL_STREAM_RSP_MAGIC, id, status, len, 0};
    channel_stream_put(hdr, &m);
    return write_all(c->fd, hdr, sizeof(hdr)) && (len == 0 || write_all(c->fd, c->buf, len));
}

static int on_header(void *ctx, const struct channel_stream_msg *m)
{
    (void)ctx;
    /* The VMM is the peer here: a request it could never send means another program. */
    return m->len <= SEL4_BLK_SLOT_SIZE && m->len % SECTOR == 0 ? 0 : -1;
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
    off_t at = (off_t)(m->arg * SECTOR);
    enum channel_status st = CHANNEL_S_OK;
    uint32_t len = 0;

    switch (m->code) {
    case CHANNEL_OP_BLK_READ:
        if (pread(disk, c->buf, m->len, at) == (ssize_t)m->len)
            len = m->len;
        else
            st = CHANNEL_S_IOERR;
        break;
    case CHANNEL_OP_BLK_WRITE:
        if (pwrite(disk, c->buf, m->len, at) != (ssize_t)m->len)
            st = CHANNEL_S_IOERR;
        break;
    case CHANNEL_OP_BLK_FLUSH:
        if (fdatasync(disk) < 0)
            st = CHANNEL_S_IOERR;
        break;
    default:
        st = CHANNEL_S_UNSUPP;
    }
    c->served++;
    if (!reply(c, m->id, st, len)) {
        close(c->fd);
        c->fd = -1;
    }
}

static void try_connect(struct conn *c)
{
    struct sockaddr_vm addr = {
        .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = c->port};
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return;
    }
    const struct channel_stream_ops ops = {on_header, on_payload, on_done, c};
    channel_stream_parser_init(&c->parser, CHANNEL_STREAM_REQ_MAGIC, SEL4_BLK_SLOT_SIZE, &ops);
    c->fd = fd;
    printf("stdvmm-blkserve: serving port %u\n", c->port);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DEVICE\n", argv[0]);
        return 2;
    }
    disk = open(argv[1], O_RDWR | O_CLOEXEC);
    if (disk < 0) {
        fprintf(stderr, "stdvmm-blkserve: %s: %s\n", argv[1], strerror(errno));
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
        for (unsigned i = 0; i < MAX_CLIENTS; i++) {
            if (conns[i].fd < 0)
                try_connect(&conns[i]);
            if (conns[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
                which[n++] = i;
            }
        }
        /* Ports that refused are tried again now and then: the VMM serves a fixed set. */
        if (poll(pfd, n, 2000) < 0 && errno != EINTR)
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
