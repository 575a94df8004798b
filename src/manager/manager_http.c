/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's HTTP/1.1 + JSON API on a Unix socket, served by
 * libmicrohttpd in external-select mode: the manager's own poll loop runs
 * it, so requests are handled on the one manager thread, one at a time,
 * and every handler returns promptly (a stop is asynchronous: 202, then
 * the client watches the state).
 *
 * Hostile clients: bodies over MGR_BODY_MAX get 413, headers over the
 * connection memory limit are refused by libmicrohttpd, a client that
 * stalls is dropped after CONNECTION_TIMEOUT_S, and at most
 * CONNECTION_LIMIT connections exist at once. The socket is owner-only.
 */
#include "manager_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "manager_ops.h"
#include "manager_reply.h"
#include "manager_request.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define CONNECTION_TIMEOUT_S 5
#define CONNECTION_LIMIT 256
#define CONNECTION_MEMORY (64 * 1024)

struct mgr_http {
    struct MHD_Daemon *daemon;
    struct mgr *m;
    int listen_fd;
    char *path;
};

/* Per request: the body as it arrives. */
struct request {
    char *body;
    size_t len;
    bool too_big;
};

static enum MHD_Result queue(struct MHD_Connection *c, int status, char *data, size_t len,
                             const char *type, const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, data, data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_json(struct MHD_Connection *c, int status, json_t *body,
                                  const char *allow)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return MHD_NO;
    size_t len = strlen(text);
    /* A trailing newline makes `curl` and `socat` output readable. */
    char *nl = realloc(text, len + 2);
    if (nl != NULL) {
        text = nl;
        text[len++] = '\n';
        text[len] = '\0';
    }
    return queue(c, status, text, len, "application/json", allow);
}

static enum MHD_Result queue_error(struct MHD_Connection *c, int status, const char *msg,
                                   const char *allow)
{
    return queue_json(c, status, json_pack("{s:s, s:i}", "error", msg, "status", status), allow);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    struct mgr_http *h = cls;
    struct request *req = *con_cls;

    (void)version;
    if (req == NULL) {
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
        /*
         * The socket is 0600, so only our uid and root can connect; the
         * credentials the kernel recorded at connect() are checked as well,
         * so a loosened socket or directory mode, or a descriptor handed to
         * another process, does not open the API to another user.
         */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ucred cred;
        socklen_t cred_len = sizeof(cred);
        if (ci == NULL ||
            getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0) {
            req->too_big = true; /* the body is not wanted either */
            return queue_error(c, 403, "cannot read the client's credentials", NULL);
        }
        struct stdvmm_error why;
        if (mgr_peer_allowed(cred.uid, geteuid(), &why) < 0) {
            LOG_WARN("API: refused a client (pid %d): %s", (int)cred.pid, why.msg);
            req->too_big = true;
            return queue_error(c, 403, why.msg, NULL);
        }
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > MGR_BODY_MAX) {
            /* Refused before a byte of it is read; the connection closes. */
            req->too_big = true;
            char msg[96];
            snprintf(msg, sizeof(msg), "request body of %.20s bytes; at most %u are accepted", cl,
                     MGR_BODY_MAX);
            return queue_error(c, 413, msg, NULL);
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (!req->too_big && req->len + *upload_size <= MGR_BODY_MAX) {
            char *b = realloc(req->body, req->len + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            memcpy(b + req->len, upload_data, *upload_size);
            req->body = b;
            req->len += *upload_size;
        } else {
            req->too_big = true; /* chunked without a length: keep reading, answer 413 */
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->too_big) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request body over %u bytes", MGR_BODY_MAX);
        return queue_error(c, 413, msg, NULL);
    }

    struct mgr_route route;
    mgr_route(method, url, &route);
    if (route.status != 0)
        return queue_error(c, route.status, route.error, route.allow);
    const char *lines = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lines");
    struct mgr_reply reply;
    mgr_handle(h->m, &route, req->body ? req->body : "", req->len, lines, &reply);
    if (reply.text != NULL)
        return queue(c, reply.status, reply.text, reply.text_len, reply.content_type, NULL);
    return queue_json(c, reply.status, reply.body, NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct request *req = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (req != NULL) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    LOG_DEBUG("http: %s", msg);
}

static int bind_socket(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        LOG_ERR("--api-socket %s: longer than %zu bytes", path, sizeof(addr.sun_path) - 1);
        return -STDVMM_EINVAL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            LOG_ERR("--api-socket %s exists and is not a socket", path);
            return -STDVMM_EEXIST;
        }
        /* The lock on the state directory already proved no other manager runs here. */
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || host_bind_private(fd, &addr) != 0 || listen(fd, 64) != 0) {
        LOG_ERR("--api-socket %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -STDVMM_EIO;
    }
    return fd;
}

int mgr_http_open(struct mgr *m, const char *socket_path, struct mgr_http **out)
{
    struct mgr_http *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return -STDVMM_ENOMEM;
    h->m = m;
    h->path = strdup(socket_path);
    h->listen_fd = h->path ? bind_socket(socket_path) : -STDVMM_ENOMEM;
    if (h->listen_fd < 0) {
        int r = h->listen_fd;
        free(h->path);
        free(h);
        return r;
    }
    h->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET,
        h->listen_fd, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (h->daemon == NULL) {
        LOG_ERR("cannot start the HTTP server on %s", socket_path);
        close(h->listen_fd);
        unlink(socket_path);
        free(h->path);
        free(h);
        return -STDVMM_EIO;
    }
    *out = h;
    return 0;
}

int mgr_http_fd(struct mgr_http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

int mgr_http_timeout_ms(struct mgr_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;

    if (MHD_get_timeout(h->daemon, &ms) != MHD_YES)
        return -1;
    return ms > 60000 ? 60000 : (int)ms;
}

void mgr_http_run(struct mgr_http *h)
{
    MHD_run(h->daemon);
}

void mgr_http_close(struct mgr_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    close(h->listen_fd);
    unlink(h->path);
    free(h->path);
    free(h);
}
