/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/backends/vsock_unix.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

enum { END_FREE, END_HANDSHAKE, END_WAIT_GUEST, END_OPEN };

static bool make_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a->sun_path))
        return false;
    memcpy(a->sun_path, path, strlen(path));
    return true;
}

static void expire_handshakes(void *ctx);

int vsock_unix_open(struct vsock_unix *v, const char *path)
{
    struct sockaddr_un addr;
    struct stat st;

    memset(v, 0, sizeof(*v));
    v->listen_fd = -1;
    v->handshake_ms = VSOCK_UNIX_HANDSHAKE_MS;
    for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS; i++)
        v->ends[i].fd = -1;
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++)
        v->by_conn[i] = -1;
    if (!make_addr(&addr, path)) {
        LOG_ERR("vsock (socket %s): path longer than %zu bytes", path, sizeof(addr.sun_path) - 1);
        return -STDVMM_EINVAL;
    }
    snprintf(v->path, sizeof(v->path), "%s", path);
    host_loop_timer_init(&v->handshake_timer, v->path, expire_handshakes, v);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            LOG_ERR("vsock (socket %s): exists and is not a socket", path);
            return -STDVMM_EEXIST;
        }
        /* Someone answering there means another VMM owns it; otherwise it is stale. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0;
        if (probe >= 0)
            close(probe);
        if (live) {
            LOG_ERR("vsock (socket %s): another process is listening there", path);
            return -STDVMM_EBUSY;
        }
        unlink(path);
    }
    v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* 0600: a host program of another user has no business in the guest's vsock ports. */
    if (v->listen_fd < 0 || host_bind_private(v->listen_fd, &addr) < 0 ||
        listen(v->listen_fd, 16) < 0) {
        int e = errno;
        LOG_ERR("vsock (socket %s): cannot listen: %s", path, strerror(e));
        if (v->listen_fd >= 0)
            close(v->listen_fd);
        v->listen_fd = -1;
        return -e;
    }
    return 0;
}

static struct vsock_unix_end *end_of(struct vsock_unix *v, unsigned conn)
{
    if (conn >= VIRTIO_VSOCK_MAX_CONNS || v->by_conn[conn] < 0)
        return NULL;
    return &v->ends[v->by_conn[conn]];
}

static void end_close(struct vsock_unix *v, struct vsock_unix_end *e)
{
    if (e->fd < 0)
        return;
    host_loop_remove(v->loop, e->fd);
    close(e->fd);
    if (e->state == END_WAIT_GUEST || e->state == END_OPEN)
        v->by_conn[e->conn] = -1;
    memset(e, 0, sizeof(*e));
    e->fd = -1;
}

/* What to poll the end for: input when the device has room, output when it has bytes. */
static void end_events(struct vsock_unix *v, struct vsock_unix_end *e)
{
    short ev = 0;
    if (e->state == END_HANDSHAKE)
        ev = POLLIN;
    else if (e->state == END_WAIT_GUEST || e->state == END_OPEN) {
        if (!e->eof && virtio_vsock_host_room(v->dev, e->conn) > 0)
            ev |= POLLIN;
        if (virtio_vsock_host_wants_write(v->dev, e->conn))
            ev |= POLLOUT;
    }
    host_loop_set_events(v->loop, e->fd, ev);
}

/* Reads "CONNECT <port>\n" a byte at a time, so no stream data is read early. */
static void handshake(struct vsock_unix *v, struct vsock_unix_end *e)
{
    for (;;) {
        char ch;
        ssize_t n = read(e->fd, &ch, 1);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            end_close(v, e);
            return;
        }
        if (ch != '\n') {
            if (e->line_len + 1 >= sizeof(e->line)) {
                end_close(v, e); /* no such line is this long */
                return;
            }
            e->line[e->line_len++] = ch;
            continue;
        }
        e->line[e->line_len] = '\0';
        unsigned long port;
        char *end;
        if (strncmp(e->line, "CONNECT ", 8) != 0 ||
            (port = strtoul(e->line + 8, &end, 10), *end != '\0' && *end != '\r') ||
            e->line[8] < '0' || e->line[8] > '9' || port > 0xffffffffu) {
            end_close(v, e);
            return;
        }
        unsigned conn;
        if (virtio_vsock_host_connect(v->dev, (uint32_t)port, &conn) < 0) {
            end_close(v, e);
            return;
        }
        e->state = END_WAIT_GUEST;
        e->conn = conn;
        v->by_conn[conn] = (int)(e - v->ends);
        end_events(v, e);
        return;
    }
}

static void on_end(void *ctx, int fd, short revents)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = NULL;

    for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS && e == NULL; i++) {
        if (v->ends[i].fd == fd)
            e = &v->ends[i];
    }
    if (e == NULL)
        return;
    if (e->state == END_HANDSHAKE) {
        handshake(v, e);
        return;
    }
    unsigned conn = e->conn;
    if (revents & POLLOUT)
        virtio_vsock_host_writable(v->dev, conn);
    e = end_of(v, conn);
    if (e == NULL)
        return; /* closed by the device meanwhile */
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        size_t room = virtio_vsock_host_room(v->dev, conn);
        if (room > sizeof(v->buf))
            room = sizeof(v->buf);
        if (room > 0 && !e->eof) {
            ssize_t n = read(e->fd, v->buf, room);
            if (n > 0) {
                virtio_vsock_host_data(v->dev, conn, v->buf, (size_t)n);
            } else if (n == 0) {
                e->eof = true;
                virtio_vsock_host_eof(v->dev, conn);
            } else if (errno != EAGAIN && errno != EINTR) {
                end_close(v, e);
                virtio_vsock_host_reset(v->dev, conn);
                return;
            }
        } else if (revents & POLLERR) {
            end_close(v, e);
            virtio_vsock_host_reset(v->dev, conn);
            return;
        }
    }
    e = end_of(v, conn);
    if (e != NULL)
        end_events(v, e);
}

static bool in_handshake(const struct vsock_unix_end *e)
{
    return e->fd >= 0 && (e->state == END_HANDSHAKE || e->state == END_WAIT_GUEST);
}

/* Ends the host programs whose handshake is overdue; the timer then waits for the next one. */
static void expire_handshakes(void *ctx)
{
    struct vsock_unix *v = ctx;
    uint64_t now = host_clock_monotonic_ns(), next = 0;

    if (v->loop == NULL)
        return;
    for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS; i++) {
        struct vsock_unix_end *e = &v->ends[i];
        if (!in_handshake(e))
            continue;
        if (e->deadline_ns <= now) {
            bool waiting = e->state == END_WAIT_GUEST;
            unsigned conn = e->conn;
            LOG_DEBUG("vsock (socket %s): a host connection's handshake took over %u ms; "
                      "closing it",
                      v->path, v->handshake_ms);
            end_close(v, e);
            if (waiting)
                virtio_vsock_host_reset(v->dev, conn);
        } else if (next == 0 || e->deadline_ns < next) {
            next = e->deadline_ns;
        }
    }
    v->timer_due_ns = next;
    if (next != 0)
        host_loop_timer_arm(&v->handshake_timer, v->loop, next - now);
}

static void on_listen(void *ctx, int fd, short revents)
{
    struct vsock_unix *v = ctx;

    (void)revents;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0)
            return;
        struct vsock_unix_end *e = NULL, *oldest = NULL;
        unsigned handshaking = 0;
        for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS; i++) {
            struct vsock_unix_end *o = &v->ends[i];
            if (o->fd < 0 && e == NULL)
                e = o;
            if (in_handshake(o)) {
                handshaking++;
                if (oldest == NULL || o->deadline_ns < oldest->deadline_ns)
                    oldest = o;
            }
        }
        if (handshaking >= VSOCK_UNIX_MAX_HANDSHAKES) {
            /* The newest program is the likeliest to be one that will talk. */
            bool waiting = oldest->state == END_WAIT_GUEST;
            unsigned conn = oldest->conn;
            end_close(v, oldest);
            if (waiting)
                virtio_vsock_host_reset(v->dev, conn);
            if (e == NULL)
                e = oldest;
        }
        if (e == NULL || host_loop_add(v->loop, c, POLLIN, on_end, v) < 0) {
            LOG_WARN("vsock (socket %s): too many connections; refusing one", v->path);
            close(c);
            continue;
        }
        memset(e, 0, sizeof(*e));
        e->fd = c;
        e->state = END_HANDSHAKE;
        e->deadline_ns = host_clock_monotonic_ns() + v->handshake_ms * 1000000ull;
        if (v->timer_due_ns == 0) { /* else it fires earlier and re-arms for this one */
            v->timer_due_ns = e->deadline_ns;
            host_loop_timer_arm(&v->handshake_timer, v->loop, v->handshake_ms * 1000000ull);
        }
    }
}

/* Device callbacks. */

static int be_connect(void *ctx, unsigned conn, uint32_t port)
{
    struct vsock_unix *v = ctx;
    struct sockaddr_un addr;
    char path[VSOCK_UNIX_PATH_MAX + 16];
    struct vsock_unix_end *e = NULL;

    snprintf(path, sizeof(path), "%s_%u", v->path, port);
    if (!make_addr(&addr, path) || conn >= VIRTIO_VSOCK_MAX_CONNS)
        return -STDVMM_EINVAL;
    for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS && e == NULL; i++) {
        if (v->ends[i].fd < 0)
            e = &v->ends[i];
    }
    if (e == NULL)
        return -STDVMM_ENOSPC;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -STDVMM_EIO;
    /* A Unix connect completes at once or fails (EAGAIN: backlog full, also a refusal). */
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        host_loop_add(v->loop, fd, POLLIN, on_end, v) < 0) {
        LOG_DEBUG("vsock: guest connection to host port %u: %s: %s", port, path,
                  strerror(errno));
        close(fd);
        return -STDVMM_ENOENT;
    }
    memset(e, 0, sizeof(*e));
    e->fd = fd;
    e->state = END_OPEN;
    e->conn = conn;
    v->by_conn[conn] = (int)(e - v->ends);
    return 0;
}

static void be_connected(void *ctx, unsigned conn, uint32_t host_port)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = end_of(v, conn);
    char line[32];

    if (e == NULL)
        return;
    int n = snprintf(line, sizeof(line), "OK %u\n", host_port);
    /* A fresh socket's buffer takes a dozen bytes; short means the program is gone. */
    if (send(e->fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
        end_close(v, e);
        virtio_vsock_host_reset(v->dev, conn);
        return;
    }
    e->state = END_OPEN;
}

static long be_write(void *ctx, unsigned conn, const uint8_t *buf, size_t len)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = end_of(v, conn);

    if (e == NULL)
        return -1;
    for (;;) {
        ssize_t n = send(e->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? 0 : -1;
    }
}

static void be_shutdown_write(void *ctx, unsigned conn)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = end_of(v, conn);
    if (e != NULL)
        shutdown(e->fd, SHUT_WR);
}

static void be_closed(void *ctx, unsigned conn)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = end_of(v, conn);
    if (e != NULL)
        end_close(v, e);
}

static void be_update(void *ctx, unsigned conn)
{
    struct vsock_unix *v = ctx;
    struct vsock_unix_end *e = end_of(v, conn);
    if (e != NULL)
        end_events(v, e);
}

struct virtio_vsock_backend vsock_unix_backend(struct vsock_unix *v)
{
    return (struct virtio_vsock_backend){
        .connect = be_connect,
        .connected = be_connected,
        .write = be_write,
        .shutdown_write = be_shutdown_write,
        .closed = be_closed,
        .update = be_update,
        .ctx = v,
    };
}

int vsock_unix_attach(struct vsock_unix *v, struct virtio_vsock *dev, struct host_loop *loop)
{
    v->dev = dev;
    v->loop = loop;
    return host_loop_add(loop, v->listen_fd, POLLIN, on_listen, v);
}

void vsock_unix_detach(struct vsock_unix *v)
{
    if (v->loop == NULL)
        return;
    for (unsigned i = 0; i < VSOCK_UNIX_MAX_ENDS; i++)
        end_close(v, &v->ends[i]);
    host_loop_timer_close(&v->handshake_timer);
    v->timer_due_ns = 0;
    host_loop_remove(v->loop, v->listen_fd);
    v->dev = NULL;
    v->loop = NULL;
}

void vsock_unix_close(struct vsock_unix *v)
{
    if (v->listen_fd >= 0) {
        close(v->listen_fd);
        unlink(v->path);
    }
    v->listen_fd = -1;
}
