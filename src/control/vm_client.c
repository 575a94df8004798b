/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of a VMM's control socket (vm_api.c): one command line
 * out, one JSON line back, each within a deadline, so a VMM that hangs can
 * never hang the manager.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>

#include "stdvmm/control/vm_client.h"
#include "stdvmm/error.h"
#include "stdvmm/error_report.h"

#define REPLY_MAX 65536

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_for(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -STDVMM_EAGAIN;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -STDVMM_EIO;
    }
}

/* Connects without blocking past the deadline. */
static int connect_to(const char *path, int64_t deadline, struct stdvmm_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof(addr.sun_path)) {
        return stdvmm_error_set(err, STDVMM_EINVAL, "socket path %s is too long", path);
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return stdvmm_error_set(err, STDVMM_EIO, "socket: %s", strerror(errno));
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;
        if (e == EAGAIN || e == EINPROGRESS) {
            /* A full listen backlog: wait for room rather than fail at once. */
            int r = wait_for(fd, POLLOUT, deadline);
            if (r == 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
                return fd;
        }
        close(fd);
        return stdvmm_error_set(err, e == ENOENT || e == ECONNREFUSED ? STDVMM_ENOENT : STDVMM_EIO,
                                "cannot connect to %s: %s", path, strerror(e));
    }
    return fd;
}

static int send_line(int fd, const char *command, int64_t deadline, struct stdvmm_error *err)
{
    char line[256]; /* the VMM reads at most 256 bytes (vm_api.c REQUEST_MAX) */
    int w = snprintf(line, sizeof(line), "%s\n", command);
    size_t sent = 0;

    /* A truncated line would send bytes past the buffer; refuse it instead. */
    if (w < 0 || (size_t)w >= sizeof(line)) {
        return stdvmm_error_set(err, STDVMM_EINVAL,
                                "command too long for the VMM socket (at most %zu bytes)",
                                sizeof(line) - 2);
    }
    size_t len = (size_t)w;

    while (sent < len) {
        ssize_t n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(fd, POLLOUT, deadline) == 0)
            continue;
        return stdvmm_error_set(err, STDVMM_EIO, "cannot send '%s': %s", command, strerror(errno));
    }
    return 0;
}

/* Reads one line (without the newline) before the deadline. */
static int read_line(int fd, char *buf, size_t size, int64_t deadline, struct stdvmm_error *err)
{
    size_t got = 0;

    while (got + 1 < size) {
        ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
        if (n > 0) {
            got += (size_t)n;
            char *nl = memchr(buf, '\n', got);
            if (nl != NULL) {
                *nl = '\0';
                return 0;
            }
            continue;
        }
        if (n == 0)
            break;
        if ((errno == EAGAIN || errno == EINTR) && wait_for(fd, POLLIN, deadline) == 0)
            continue;
        return stdvmm_error_set(err, STDVMM_EAGAIN, "no answer: %s",
                                errno == EAGAIN ? "timed out" : strerror(errno));
    }
    return stdvmm_error_set(err, STDVMM_EIO,
                            "the VMM closed the connection without a complete answer");
}

int vm_client_call(const char *socket_path, const char *command, int timeout_ms, json_t **reply,
                   struct stdvmm_error *err)
{
    int64_t deadline = now_ms() + timeout_ms;
    int fd = connect_to(socket_path, deadline, err);

    if (fd < 0)
        return fd;
    char *buf = malloc(REPLY_MAX); /* the caller's, not a static: any thread may call */
    int r = buf != NULL ? send_line(fd, command, deadline, err)
                        : stdvmm_error_set(err, STDVMM_ENOMEM, "out of memory");
    if (r == 0)
        r = read_line(fd, buf, REPLY_MAX, deadline, err);
    close(fd);
    json_error_t jerr;
    *reply = r == 0 ? json_loads(buf, 0, &jerr) : NULL;
    free(buf);
    if (r < 0)
        return r;
    if (*reply == NULL || !json_is_object(*reply)) {
        json_decref(*reply);
        *reply = NULL;
        return stdvmm_error_set(err, STDVMM_EIO,
                                "the VMM answered something that is not a JSON object");
    }
    return 0;
}

int vm_client_watch(const char *socket_path, int timeout_ms, struct stdvmm_error *err)
{
    char buf[256];
    int64_t deadline = now_ms() + timeout_ms;
    int fd = connect_to(socket_path, deadline, err);

    if (fd < 0)
        return fd;
    int r = send_line(fd, "watch", deadline, err);
    /* The first line acknowledges; the next one comes when the VMM exits. */
    if (r == 0)
        r = read_line(fd, buf, sizeof(buf), deadline, err);
    if (r == 0 && strstr(buf, "\"watching\"") == NULL) {
        r = stdvmm_error_set(err, STDVMM_EIO, "the VMM refused to be watched: %.120s", buf);
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

int vm_client_watch_status(int fd)
{
    char buf[256];
    size_t got = 0;

    /* Called once the descriptor is readable: the line is there, or EOF. */
    while (got + 1 < sizeof(buf)) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    json_t *ev = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
    int status = -1;
    json_t *s = json_object_get(ev, "status");
    if (json_is_integer(s) && json_integer_value(s) >= 0 && json_integer_value(s) < 256)
        status = (int)json_integer_value(s);
    json_decref(ev);
    return status;
}
