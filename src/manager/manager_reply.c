/* SPDX-License-Identifier: BSD-2-Clause */
/* Error replies of the manager's API (manager_reply.h). */
#include "manager_reply.h"

#include <stdarg.h>
#include <stdio.h>

void mgr_reply_error(struct mgr_reply *reply, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply->status = status;
    reply->body = json_pack("{s:s, s:i}", "error", msg, "status", status);
}

int mgr_reply_status(int code)
{
    switch (code) {
    case STDVMM_EINVAL:
        return 400;
    case STDVMM_ENOENT:
        return 404;
    case STDVMM_EBUSY:
    case STDVMM_EEXIST:
    case STDVMM_ERANGE:
    case STDVMM_ENOSPC:
        return 409;
    default:
        return 500;
    }
}

void mgr_reply_from_error(struct mgr_reply *reply, const struct stdvmm_error *e)
{
    mgr_reply_error(reply, mgr_reply_status(e->code), "%s", e->msg);
}

void mgr_reply_diags(struct mgr_reply *reply, const struct sysconf_diags *d)
{
    json_t *details = json_array();
    char first[600] = "invalid request";

    for (unsigned i = 0; i < d->count; i++) {
        char line[600];
        snprintf(line, sizeof(line), "%s%s%s", d->items[i].path, d->items[i].path[0] ? ": " : "",
                 d->items[i].message);
        if (i == 0)
            snprintf(first, sizeof(first), "%s", line);
        json_array_append_new(details, json_string(line));
    }
    reply->status = 400;
    reply->body = json_pack("{s:s, s:i, s:o}", "error", first, "status", 400, "details", details);
}
