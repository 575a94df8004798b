/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's HTTP server on a Unix socket (libmicrohttpd, external
 * select): the manager's poll loop polls its descriptor and runs it, so
 * every request is handled on the manager's one thread.
 */
#ifndef STDVMM_MANAGER_MANAGER_HTTP_H
#define STDVMM_MANAGER_MANAGER_HTTP_H

struct mgr;
struct mgr_http;

/* Requests go to mgr_handle(m, ...). */
int mgr_http_open(struct mgr *m, const char *socket_path, struct mgr_http **out);
/* Descriptor to poll for readability, and ms until its next timeout (-1: none). */
int mgr_http_fd(struct mgr_http *h);
int mgr_http_timeout_ms(struct mgr_http *h);
void mgr_http_run(struct mgr_http *h);
void mgr_http_close(struct mgr_http *h);

#endif
