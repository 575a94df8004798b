/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness: the manager's request parsing (routing of method and
 * path, JSON bodies of create/stop/other operations, the lines= argument).
 * Input: "METHOD PATH\n" then the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[512];
    const uint8_t *nl = memchr(data, '\n', size < sizeof(line) ? size : sizeof(line));
    size_t head = nl ? (size_t)(nl - data) : 0;
    const char *body = (const char *)data + (nl ? head + 1 : 0);
    size_t body_len = size - (nl ? head + 1 : 0);

    memcpy(line, data, head);
    line[head] = '\0';
    char *space = strchr(line, ' ');
    const char *method = line, *url = "/v1/vms";
    if (space != NULL) {
        *space = '\0';
        url = space + 1;
    }
    struct mgr_route route;
    mgr_route(method, url, &route);
    if (route.status != 0 && route.error[0] == '\0')
        abort(); /* a refusal must say why */

    struct sysconf_diags d = {0};
    struct mgr_body keep;
    struct mgr_create_request create;
    struct mgr_stop_request stop;
    if (mgr_parse_create(body, body_len, &keep, &create, &d) == 0) {
        if (create.definition == NULL || d.count != 0)
            abort();
        mgr_body_free(&keep);
    } else if (d.count == 0) {
        abort();
    }
    sysconf_diags_free(&d);
    if (mgr_parse_stop(body, body_len, &keep, &stop, &d) == 0) {
        if (stop.timeout > MGR_STOP_TIMEOUT_MAX)
            abort();
        mgr_body_free(&keep);
    }
    sysconf_diags_free(&d);
    mgr_parse_empty(body, body_len, &d);
    sysconf_diags_free(&d);
    unsigned lines;
    char arg[32];
    size_t n = body_len < sizeof(arg) - 1 ? body_len : sizeof(arg) - 1;
    memcpy(arg, body, n);
    arg[n] = '\0';
    if (mgr_parse_count(arg, 50, 10000, &lines) && (lines == 0 || lines > 10000))
        abort();
    return 0;
}
