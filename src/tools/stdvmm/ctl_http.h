/* SPDX-License-Identifier: BSD-2-Clause */
/* A minimal HTTP/1.1 client over a Unix socket, for `stdvmm ctl`. */
#ifndef STDVMM_TOOLS_CTL_HTTP_H
#define STDVMM_TOOLS_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "stdvmm/error_report.h"

struct ctl_response {
    int status;
    bool json;  /* Content-Type: application/json */
    char *body; /* NUL-terminated */
    size_t len;
};

/*
 * 0 with *out filled (free with ctl_response_free), or a negative STDVMM_E*
 * with the reason in err (not NULL).
 */
int ctl_http(const char *socket_path, const char *method, const char *path, const char *body,
             int timeout_ms, struct ctl_response *out, struct stdvmm_error *err);
void ctl_response_free(struct ctl_response *r);

#endif
