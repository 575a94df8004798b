/* SPDX-License-Identifier: BSD-2-Clause */
/* The connections of a driver VM's program to its VMM (vmm_link.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the guest kit's build defines nothing */
#endif
#include "vmm_link.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "stdvmm/channel_stream.h"

static int connect_or_close(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (fd >= 0 && connect(fd, addr, len) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int vmm_link_dial(const char *unix_prefix, unsigned port)
{
    if (unix_prefix != NULL) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s%u", unix_prefix, port) >=
            (int)sizeof(addr.sun_path))
            return -1;
        return connect_or_close(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                                (struct sockaddr *)&addr, sizeof(addr));
    }
    struct sockaddr_vm addr = {
        .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port};
    return connect_or_close(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0),
                            (struct sockaddr *)&addr, sizeof(addr));
}

/*
 * Writes all n bytes (a stream: a short write is not an answer). ENOMEM is
 * waited out: Linux's vsock makes each packet of up to 64 KiB with one
 * kmalloc, which fails now and then in a small driver VM with a busy page
 * cache; giving up there dropped the link and stalled its client for the
 * second it takes to dial again.
 */
static bool write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    unsigned starved = 0;
    while (n > 0) {
        /* Not write(): a link the VMM reset (its client stopped) must not raise SIGPIPE. */
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == ENOMEM || errno == ENOBUFS) && starved++ < 5000) {
            const struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
            continue;
        }
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

bool vmm_link_respond(int fd, uint32_t id, uint32_t status, const void *data, uint32_t len)
{
    uint8_t hdr[CHANNEL_STREAM_HDR_SIZE];
    const struct channel_stream_msg m = {CHANNEL_STREAM_RSP_MAGIC, id, status, len, 0};
    channel_stream_put(hdr, &m);
    return write_all(fd, hdr, sizeof(hdr)) && (len == 0 || write_all(fd, data, len));
}

bool vmm_link_dial_due(void)
{
    static time_t dialled;
    time_t now = time(NULL);
    if (now == dialled)
        return false;
    dialled = now;
    return true;
}
