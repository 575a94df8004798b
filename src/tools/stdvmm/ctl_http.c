/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The HTTP/1.1 client of `stdvmm ctl`: one request per connection over the
 * manager's Unix socket ("Connection: close"), the whole answer read within
 * a deadline. It understands what the manager sends: a status line,
 * headers, and a body delimited by Content-Length, chunked encoding or EOF.
 */
#include "ctl_http.h"

#include "stdvmm/error_report.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_MAX (16u << 20)

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_unix(const char *path, struct stdvmm_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof(addr.sun_path)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "socket path %s is too long", path);
        return -err->code;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        stdvmm_error_set(err, STDVMM_ENOENT,
                         "cannot connect to %s: %s (is stdvmmd running? --socket PATH)", path,
                         strerror(errno));
        if (fd >= 0)
            close(fd);
        return -err->code;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until EOF or the deadline. */
static char *read_all(int fd, long long deadline, size_t *len, struct stdvmm_error *err)
{
    size_t cap = 8192, got = 0;
    char *buf = malloc(cap + 1);

    while (buf != NULL) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            stdvmm_error_set(err, STDVMM_EAGAIN, "no complete answer from the manager in time");
            free(buf);
            return NULL;
        }
        if (got == cap) {
            if (cap >= RESPONSE_MAX) {
                stdvmm_error_set(err, STDVMM_E2BIG, "the answer is larger than %u bytes",
                                 RESPONSE_MAX);
                free(buf);
                return NULL;
            }
            char *n = realloc(buf, cap * 2 + 1);
            if (n == NULL)
                break;
            buf = n;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        /*
         * A server that answered early and closed with our body unread
         * makes the socket report ECONNRESET once its answer is consumed.
         */
        if (n < 0 && errno == ECONNRESET && got > 0)
            n = 0;
        if (n < 0) {
            stdvmm_error_set(err, STDVMM_EIO, "reading the answer: %s", strerror(errno));
            free(buf);
            return NULL;
        }
        if (n == 0) {
            buf[got] = '\0';
            *len = got;
            return buf;
        }
        got += (size_t)n;
    }
    stdvmm_error_set(err, STDVMM_ENOMEM, "out of memory");
    free(buf);
    return NULL;
}

/* Decodes a chunked body in place; false when it is malformed. */
static bool dechunk(char *body, size_t len, size_t *out_len)
{
    size_t in = 0, out = 0;

    for (;;) {
        char *end;
        if (in >= len)
            return false;
        unsigned long size = strtoul(body + in, &end, 16);
        char *crlf = strstr(body + in, "\r\n");
        if (crlf == NULL || end == body + in)
            return false;
        in = (size_t)(crlf - body) + 2;
        if (size == 0) {
            *out_len = out;
            return true;
        }
        if (size > len - in)
            return false;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2;
    }
}

static const char *header(const char *headers, const char *name, size_t name_len)
{
    for (const char *line = headers; line != NULL && *line;) {
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (*v == ' ')
                v++;
            return v;
        }
        line = strstr(line, "\r\n");
        if (line != NULL)
            line += 2;
    }
    return NULL;
}

int ctl_http(const char *socket_path, const char *method, const char *path, const char *body,
             int timeout_ms, struct ctl_response *out, struct stdvmm_error *err)
{
    char head[512];
    size_t blen = body ? strlen(body) : 0;

    memset(out, 0, sizeof(*out));
    int fd = connect_unix(socket_path, err);
    if (fd < 0)
        return fd;
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: stdvmmd\r\nConnection: close\r\n"
                     "Accept: application/json\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, blen);
    if (n >= (int)sizeof(head) || send_all(fd, head, (size_t)n) != 0) {
        stdvmm_error_set(err, STDVMM_EIO, "cannot send the request: %s", strerror(errno));
        close(fd);
        return -err->code;
    }
    /*
     * A server may answer before the body is in (413 for one too large) and
     * close: the send then fails, but the answer is there to be read.
     */
    if (blen != 0 && send_all(fd, body, blen) != 0)
        shutdown(fd, SHUT_WR);
    size_t len;
    char *resp = read_all(fd, now_ms() + timeout_ms, &len, err);
    close(fd);
    if (resp == NULL)
        return -err->code;
    int status;
    char *hdr_end = strstr(resp, "\r\n\r\n");
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1 || hdr_end == NULL) {
        stdvmm_error_set(err, STDVMM_EPROTO, "the manager's answer is not HTTP");
        free(resp);
        return -err->code;
    }
    *hdr_end = '\0';
    char *payload = hdr_end + 4;
    size_t plen = len - (size_t)(payload - resp);
    const char *te = header(resp, "Transfer-Encoding", 17);
    const char *cl = header(resp, "Content-Length", 14);
    if (te != NULL && strncasecmp(te, "chunked", 7) == 0) {
        if (!dechunk(payload, plen, &plen)) {
            stdvmm_error_set(err, STDVMM_EPROTO, "malformed chunked answer");
            free(resp);
            return -err->code;
        }
    } else if (cl != NULL) {
        unsigned long long want = strtoull(cl, NULL, 10);
        if (want > plen) {
            stdvmm_error_set(err, STDVMM_EPROTO, "the answer was cut short (%zu of %llu bytes)",
                             plen, want);
            free(resp);
            return -err->code;
        }
        plen = (size_t)want;
    }
    const char *ct = header(resp, "Content-Type", 12);
    out->json = ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
    out->status = status;
    out->body = malloc(plen + 1);
    if (out->body == NULL) {
        free(resp);
        stdvmm_error_set(err, STDVMM_ENOMEM, "out of memory");
        return -err->code;
    }
    memcpy(out->body, payload, plen);
    out->body[plen] = '\0';
    out->len = plen;
    free(resp);
    return 0;
}

void ctl_response_free(struct ctl_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}
