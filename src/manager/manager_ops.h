/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's API operations: a routed request becomes a change of the
 * VMs' life cycle and a JSON reply.
 */
#ifndef STDVMM_MANAGER_MANAGER_OPS_H
#define STDVMM_MANAGER_MANAGER_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "manager_request.h"

struct mgr;

/* A reply to an API request: HTTP status and JSON body (owned by the caller). */
struct mgr_reply {
    int status;
    json_t *body;
    const char *content_type; /* NULL: application/json */
    char *text;               /* instead of body, for text replies (serial tail) */
    size_t text_len;
};

/* One API operation. query_lines: "?lines=" or NULL. */
void mgr_handle(struct mgr *m, const struct mgr_route *route, const char *body, size_t body_len,
                const char *query_lines, struct mgr_reply *reply);
/* {"error": msg, "status": status} */
void mgr_reply_error(struct mgr_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
