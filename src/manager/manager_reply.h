/* SPDX-License-Identifier: BSD-2-Clause */
/* A reply of the manager's API: HTTP status and a JSON (or text) body. */
#ifndef STDVMM_MANAGER_MANAGER_REPLY_H
#define STDVMM_MANAGER_MANAGER_REPLY_H

#include <jansson.h>
#include <stddef.h>

#include "stdvmm/error_report.h"
#include "stdvmm/system_config.h"

/* A reply to an API request: HTTP status and JSON body (owned by the caller). */
struct mgr_reply {
    int status;
    json_t *body;
    const char *content_type; /* NULL: application/json */
    char *text;               /* instead of body, for text replies (serial tail) */
    size_t text_len;
};

/* {"error": msg, "status": status} */
void mgr_reply_error(struct mgr_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * The HTTP status of an error code (positive STDVMM_E*): EINVAL 400,
 * ENOENT 404, EBUSY/EEXIST/ERANGE/ENOSPC (a system bound) 409, anything else 500.
 */
int mgr_reply_status(int code);
/* {"error": e->msg, "status": mgr_reply_status(e->code)} */
void mgr_reply_from_error(struct mgr_reply *reply, const struct stdvmm_error *e);
/* 400 with the first problem as the error and every one in "details". */
void mgr_reply_diags(struct mgr_reply *reply, const struct sysconf_diags *d);

#endif
