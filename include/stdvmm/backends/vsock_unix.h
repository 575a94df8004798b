/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host side of virtio-vsock on Unix sockets, in Firecracker's convention:
 *  - host-initiated: a program connects to PATH and writes "CONNECT <port>\n";
 *    once the guest accepts, it reads "OK <local port>\n" and the stream is
 *    the guest socket's; if the guest refuses, the connection is closed;
 *  - guest-initiated: a guest connection to host port P (CID 2) becomes a
 *    connection to the Unix socket "PATH_P", refused if nobody listens there.
 * All descriptors are non-blocking and live on the device's event loop.
 *
 * A host program has handshake_ms (5 s) from its connect to the guest's
 * answer: its CONNECT line, then the guest's RESPONSE. At most
 * VSOCK_UNIX_MAX_HANDSHAKES connections are that far at once; a new one
 * past that ends the oldest. Otherwise programs that connect and say
 * nothing would hold every slot, guest connections' included, for good.
 */
#ifndef STDVMM_BACKENDS_VSOCK_UNIX_H
#define STDVMM_BACKENDS_VSOCK_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_vsock.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/loop_timer.h"

#define VSOCK_UNIX_MAX_ENDS (2 * VIRTIO_VSOCK_MAX_CONNS)
#define VSOCK_UNIX_PATH_MAX 108 /* sizeof(sun_path) */
#define VSOCK_UNIX_MAX_HANDSHAKES 16
#define VSOCK_UNIX_HANDSHAKE_MS 5000

struct vsock_unix_end {
    int fd; /* -1: free */
    int state;
    unsigned conn; /* the device's connection, once there is one */
    bool eof;      /* the host program sends no more */
    char line[32]; /* "CONNECT <port>" being read */
    size_t line_len;
    uint64_t deadline_ns; /* until the guest answers: when the host program is given up */
};

struct vsock_unix {
    char path[VSOCK_UNIX_PATH_MAX];
    int listen_fd;
    struct virtio_vsock *dev;
    struct host_loop *loop;
    int by_conn[VIRTIO_VSOCK_MAX_CONNS]; /* end index of each device connection, or -1 */
    struct vsock_unix_end ends[VSOCK_UNIX_MAX_ENDS];
    uint8_t buf[VIRTIO_VSOCK_BUF_SIZE];
    unsigned handshake_ms;                  /* VSOCK_UNIX_HANDSHAKE_MS; tests shorten it */
    struct host_loop_timer handshake_timer; /* at the earliest deadline */
    uint64_t timer_due_ns;                  /* when it fires; 0: not armed */
};

/* Listens on path (a stale socket file is replaced, a live one is an error). */
int vsock_unix_open(struct vsock_unix *v, const char *path);
struct virtio_vsock_backend vsock_unix_backend(struct vsock_unix *v);
int vsock_unix_attach(struct vsock_unix *v, struct virtio_vsock *dev, struct host_loop *loop);
/* Closes every connection (they do not survive a reboot). The loop must be stopped. */
void vsock_unix_detach(struct vsock_unix *v);
void vsock_unix_close(struct vsock_unix *v);

#endif
