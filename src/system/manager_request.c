/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsing of the manager's API requests (docs/api/openapi.yaml): the path
 * and method into an operation, and JSON bodies into typed requests; and
 * the bounds check every start goes through. Pure functions of their input
 * (no manager state), so that unit tests and the fuzzer can drive them
 * directly. Bodies go through the same schema walker
 * as the system description: wrong types, unknown fields and out-of-range
 * values are reported with their field name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "stdvmm/error.h"
#include "sysconf_internal.h"

static void route_error(struct mgr_route *out, int status, const char *allow, const char *msg)
{
    out->status = status;
    out->allow = allow;
    snprintf(out->error, sizeof(out->error), "%s", msg);
}

/* Matches "METHOD" against one allowed method, or reports 405 with the Allow list. */
static bool method_is(struct mgr_route *out, const char *method, const char *want,
                      const char *allow)
{
    if (strcmp(method, want) == 0)
        return true;
    char msg[96];
    snprintf(msg, sizeof(msg), "method %.16s not allowed here (allowed: %s)", method, allow);
    route_error(out, 405, allow, msg);
    return false;
}

void mgr_route(const char *method, const char *url, struct mgr_route *out)
{
    static const struct {
        const char *action;
        enum mgr_op op;
        const char *method;
    } actions[] = {
        {"start", MGR_OP_START, "POST"},     {"stop", MGR_OP_STOP, "POST"},
        {"restart", MGR_OP_RESTART, "POST"}, {"pause", MGR_OP_PAUSE, "POST"},
        {"resume", MGR_OP_RESUME, "POST"},   {"serial", MGR_OP_SERIAL, "GET"},
    };

    memset(out, 0, sizeof(*out));
    if (strcmp(url, "/v1/system") == 0) {
        if (method_is(out, method, "GET", "GET"))
            out->op = MGR_OP_SYSTEM;
        return;
    }
    if (strcmp(url, "/v1/definitions") == 0) {
        if (method_is(out, method, "GET", "GET"))
            out->op = MGR_OP_DEFINITIONS;
        return;
    }
    if (strcmp(url, "/v1/vms") == 0) {
        if (strcmp(method, "GET") == 0)
            out->op = MGR_OP_LIST;
        else if (method_is(out, method, "POST", "GET, POST"))
            out->op = MGR_OP_CREATE;
        return;
    }
    if (strncmp(url, "/v1/vms/", 8) != 0) {
        route_error(out, 404, NULL,
                    "no such resource; the API lives under /v1/ (see "
                    "docs/api/openapi.yaml)");
        return;
    }
    const char *name = url + 8;
    const char *slash = strchr(name, '/');
    size_t name_len = slash ? (size_t)(slash - name) : strlen(name);
    if (name_len == 0 || name_len > SYSCONF_NAME_MAX) {
        route_error(out, 404, NULL, "no VM with that name");
        return;
    }
    memcpy(out->name, name, name_len);
    out->name[name_len] = '\0';
    if (!sysconf_valid_name(out->name)) {
        route_error(out, 404, NULL, "no VM with that name (names are letters, digits, . _ -)");
        return;
    }
    if (slash == NULL) {
        if (strcmp(method, "GET") == 0)
            out->op = MGR_OP_INFO;
        else if (method_is(out, method, "DELETE", "GET, DELETE"))
            out->op = MGR_OP_DELETE;
        return;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(slash + 1, actions[i].action) == 0) {
            if (method_is(out, method, actions[i].method, actions[i].method))
                out->op = actions[i].op;
            return;
        }
    }
    route_error(out, 404, NULL, "no such action (start, stop, restart, pause, resume, serial)");
}

/* The body as a JSON object; an empty body is an empty object. */
static json_t *load_body(const char *body, size_t len, struct sysconf_diags *diags)
{
    json_error_t err;
    size_t i = 0;

    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len)
        return json_object();
    if (len > MGR_BODY_MAX) {
        sysconf_diag_add(diags, "", 0, "the body has %zu bytes; at most %u are accepted", len,
                         MGR_BODY_MAX);
        return NULL;
    }
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        sysconf_diag_add(diags, "", 0, "malformed JSON at line %d column %d: %s", err.line,
                         err.column, err.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        sysconf_diag_add(diags, "", 0, "the body must be a JSON object, not %s",
                         sysconf_json_type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

int mgr_parse_create(const char *body, size_t len, struct mgr_body *keep,
                     struct mgr_create_request *out, struct sysconf_diags *diags)
{
    static const char *const keys[] = {"definition", "name", "memory", "cpus", "start", NULL};
    struct sysconf_walk w = {.diags = diags};
    uint64_t cpus;

    memset(out, 0, sizeof(*out));
    out->start = true;
    keep->root = load_body(body, len, diags);
    if (keep->root == NULL)
        return -STDVMM_EINVAL;
    sysconf_check_keys(&w, keep->root, "", keys);
    sysconf_get_string(&w, keep->root, "", "definition", true, &out->definition);
    if (sysconf_get_string(&w, keep->root, "", "name", false, &out->name) == SYSCONF_OK &&
        !sysconf_valid_name(out->name))
        sysconf_walk_error(&w, "name",
                           "not a valid name: 1-%d of A-Z a-z 0-9 . _ -, starting with a "
                           "letter or digit",
                           SYSCONF_NAME_MAX);
    if (sysconf_get_size(&w, keep->root, "", "memory", false, &out->memory) == SYSCONF_OK &&
        out->memory < SYSCONF_MIN_MEMORY)
        sysconf_walk_error(&w, "memory", "too little: a Linux guest needs at least %lluM",
                           SYSCONF_MIN_MEMORY >> 20);
    if (sysconf_get_uint(&w, keep->root, "", "cpus", false, 1, 64, &cpus) == SYSCONF_OK)
        out->cpus = (unsigned)cpus;
    sysconf_get_bool(&w, keep->root, "", "start", false, &out->start);
    if (w.failed) {
        mgr_body_free(keep);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int mgr_parse_stop(const char *body, size_t len, struct mgr_body *keep,
                   struct mgr_stop_request *out, struct sysconf_diags *diags)
{
    static const char *const keys[] = {"timeout", "force", NULL};
    struct sysconf_walk w = {.diags = diags};
    uint64_t timeout;

    memset(out, 0, sizeof(*out));
    out->timeout = MGR_STOP_TIMEOUT_DEFAULT;
    keep->root = load_body(body, len, diags);
    if (keep->root == NULL)
        return -STDVMM_EINVAL;
    sysconf_check_keys(&w, keep->root, "", keys);
    if (sysconf_get_uint(&w, keep->root, "", "timeout", false, 0, MGR_STOP_TIMEOUT_MAX, &timeout) ==
        SYSCONF_OK)
        out->timeout = (unsigned)timeout;
    sysconf_get_bool(&w, keep->root, "", "force", false, &out->force);
    if (w.failed) {
        mgr_body_free(keep);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int mgr_parse_empty(const char *body, size_t len, struct sysconf_diags *diags)
{
    static const char *const keys[] = {NULL};
    struct sysconf_walk w = {.diags = diags};
    json_t *root = load_body(body, len, diags);

    if (root == NULL)
        return -STDVMM_EINVAL;
    sysconf_check_keys(&w, root, "", keys);
    json_decref(root);
    return w.failed ? -STDVMM_EINVAL : 0;
}

void mgr_body_free(struct mgr_body *keep)
{
    json_decref(keep->root);
    keep->root = NULL;
}

bool mgr_parse_count(const char *arg, unsigned def, unsigned max, unsigned *out)
{
    char *end;

    if (arg == NULL) {
        *out = def;
        return true;
    }
    if (*arg < '0' || *arg > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

bool mgr_bounds_fit(const struct sysconf_system *bounds, const struct mgr_usage *used,
                    const char *name, uint64_t memory, unsigned cpus, char *err, size_t err_size)
{
    char a[32], b[32], c[32];

    if (used->vms + 1 > bounds->max_vms) {
        snprintf(err, err_size,
                 "system.max_vms: %u VMs run already and the bound is %u; %s cannot start",
                 used->vms, bounds->max_vms, name);
        return false;
    }
    if (used->memory + memory > bounds->memory) {
        sysconf_format_size(used->memory, a, sizeof(a));
        sysconf_format_size(memory, b, sizeof(b));
        sysconf_format_size(bounds->memory, c, sizeof(c));
        snprintf(err, err_size, "system.memory: %s in use + %s for %s is more than the bound %s", a,
                 b, name, c);
        return false;
    }
    if ((uint64_t)used->vcpus + cpus > bounds->vcpus) {
        snprintf(err, err_size, "system.vcpus: %u in use + %u for %s is more than the bound %u",
                 used->vcpus, cpus, name, bounds->vcpus);
        return false;
    }
    return true;
}
