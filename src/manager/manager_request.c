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
#include "manager_request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/spelling.h"

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
    if (strcmp(url, "/v1/networks") == 0) {
        if (method_is(out, method, "GET", "GET"))
            out->op = MGR_OP_NETWORKS;
        return;
    }
    if (strncmp(url, "/v1/networks/", 13) == 0) {
        const char *net = url + 13;
        size_t n = strlen(net);
        if (n == 0 || n > SYSCONF_NETWORK_NAME_MAX || strchr(net, '/') != NULL) {
            route_error(out, 404, NULL, "no network with that name");
            return;
        }
        memcpy(out->name, net, n + 1);
        if (method_is(out, method, "GET", "GET"))
            out->op = MGR_OP_NETWORK;
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
    if (strcmp(slash + 1, "placement") == 0) {
        if (method_is(out, method, "GET", "GET"))
            out->op = MGR_OP_PLACEMENT;
        return;
    }
    if (strncmp(slash + 1, "vcpus/", 6) == 0) {
        /* vcpus/INDEX/placement, INDEX a plain decimal number */
        const char *idx = slash + 7, *p = idx;
        unsigned long v = 0;
        while (*p >= '0' && *p <= '9' && v < 1000)
            v = v * 10 + (unsigned long)(*p++ - '0');
        if (p == idx || p - idx > 3 || strcmp(p, "/placement") != 0) {
            route_error(out, 404, NULL, "no such resource: expected vcpus/INDEX/placement");
            return;
        }
        out->vcpu = (unsigned)v;
        if (method_is(out, method, "PUT", "PUT"))
            out->op = MGR_OP_VCPU_PLACEMENT;
        return;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(slash + 1, actions[i].action) == 0) {
            if (method_is(out, method, actions[i].method, actions[i].method))
                out->op = actions[i].op;
            return;
        }
    }
    route_error(out, 404, NULL, "no such action (start, stop, restart, pause, resume, serial, placement, "
                                  "vcpus/N/placement)");
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

int mgr_bounds_fit(const struct sysconf_system *bounds, const struct mgr_usage *used,
                   const char *name, uint64_t memory, unsigned cpus, struct stdvmm_error *err)
{
    char a[32], b[32], c[32];

    if (used->vms + 1 > bounds->max_vms) {
        return stdvmm_error_set(
            err, STDVMM_ENOSPC,
            "system.max_vms: %u VMs run already and the bound is %u; %s cannot start", used->vms,
            bounds->max_vms, name);
    }
    if (used->memory + memory > bounds->memory) {
        spelling_format_size(used->memory, a, sizeof(a));
        spelling_format_size(memory, b, sizeof(b));
        spelling_format_size(bounds->memory, c, sizeof(c));
        return stdvmm_error_set(err, STDVMM_ENOSPC,
                                "system.memory: %s in use + %s for %s is more than the bound %s", a,
                                b, name, c);
    }
    if ((uint64_t)used->vcpus + cpus > bounds->vcpus) {
        return stdvmm_error_set(err, STDVMM_ENOSPC,
                                "system.vcpus: %u in use + %u for %s is more than the bound %u",
                                used->vcpus, cpus, name, bounds->vcpus);
    }
    return 0;
}

int mgr_parse_placement(const char *body, size_t len, struct vcpu_sched *s,
                        struct sysconf_diags *diags)
{
    struct sysconf_walk w = {.diags = diags};
    json_t *root = load_body(body, len, diags);
    const char *key;
    json_t *v;
    void *tmp;

    if (root == NULL)
        return -STDVMM_EINVAL;
    if (json_object_size(root) == 0) {
        sysconf_diag_add(diags, "", 0,
                         "an empty change: name at least one of pcpus, dedicated, pool, "
                         "priority, policy, budget, weight");
        json_decref(root);
        return -STDVMM_EINVAL;
    }
    /* null clears a field; the rest goes through the description's walker. */
    json_object_foreach_safe(root, tmp, key, v)
    {
        if (!json_is_null(v))
            continue;
        if (strcmp(key, "pcpus") == 0 || strcmp(key, "pool") == 0) {
            s->kind = PLACEMENT_FLOATING;
            memset(&s->pcpus, 0, sizeof(s->pcpus));
            s->pool[0] = '\0';
        } else if (strcmp(key, "priority") == 0) {
            s->priority = -1;
        } else if (strcmp(key, "budget") == 0) {
            s->runtime_ns = s->period_ns = 0;
        } else if (strcmp(key, "weight") == 0) {
            s->weight = 0;
        } else {
            continue; /* unknown keys and null booleans are reported by the walker */
        }
        json_object_del(root, key);
    }
    sysconf_walk_vcpu_sched(&w, root, "", s);
    json_decref(root);
    return w.failed ? -STDVMM_EINVAL : 0;
}

/* The load of every running VM's budgets, with vCPU vcpu of target replaced by s. */
static void placement_loads(const struct mgr_placement_vm *vms, unsigned count, unsigned target,
                            unsigned vcpu, const struct vcpu_sched *s, struct placement_load *l)
{
    for (unsigned i = 0; i < count; i++) {
        if (!vms[i].running || vms[i].placement == NULL)
            continue;
        for (unsigned x = 0; x < vms[i].cpus && x < PLACEMENT_MAX_VCPUS; x++) {
            if (i == target && x == vcpu)
                continue;
            placement_load_add(l, &vms[i].placement->vcpu[x]);
        }
    }
    placement_load_add(l, s);
}

int mgr_placement_fit(const struct sysconf_system *sys, const struct mgr_placement_vm *vms,
                      unsigned count, unsigned target, unsigned vcpu, const struct vcpu_sched *s,
                      struct stdvmm_error *err)
{
    const struct mgr_placement_vm *me = &vms[target];
    char set[128];
    struct stdvmm_error why;
    int code;

    code = STDVMM_EINVAL; /* s breaks a rule by itself */
    if (vcpu >= me->cpus || vcpu >= PLACEMENT_MAX_VCPUS) {
        stdvmm_error_set(err, code, "%s has no vCPU %u (it has %u: 0-%u)", me->name, vcpu, me->cpus,
                         me->cpus ? me->cpus - 1 : 0);
        return -code;
    }
    if (s->kind == PLACEMENT_DEDICATED && placement_cpuset_empty(&s->pcpus)) {
        stdvmm_error_set(err, code, "vCPU %u: dedicated needs pcpus", vcpu);
        return -code;
    }
    if (placement_check_sched(s, &why) < 0)
        return stdvmm_error_set(err, code, "vCPU %u: %s", vcpu, why.msg);
    if (s->kind != PLACEMENT_FLOATING && sys->has_host_cpus) {
        for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS; c++) {
            if (placement_cpuset_has(&s->pcpus, c) && !sysconf_cpuset_has(&sys->host_cpus, c)) {
                sysconf_cpuset_format(&sys->host_cpus, set, sizeof(set));
                stdvmm_error_set(err, code, "vCPU %u: pCPU %u is not in system.host_cpus (%s)",
                                 vcpu, c, set);
                return -code;
            }
        }
    }
    /* The VM's own rules with the change in place (dedicated within the VM). */
    if (me->placement != NULL) {
        struct vmm_placement *p = malloc(sizeof(*p));
        if (p == NULL) {
            code = STDVMM_ENOMEM;
            stdvmm_error_set(err, code, "out of memory");
            return -code;
        }
        *p = *me->placement;
        p->vcpu[vcpu] = *s;
        int r = placement_check_vm(p, me->cpus, &why);
        free(p);
        if (r < 0 && r != -STDVMM_ERANGE) { /* budgets: over all VMs below */
            code = STDVMM_EBUSY;            /* it collides with another VM */
            stdvmm_error_set(err, code, "%s: %s", me->name, why.msg);
            return -code;
        }
    }
    code = STDVMM_EBUSY;
    if (s->kind != PLACEMENT_FLOATING) {
        for (unsigned k = 0; k < sys->pool_count; k++) {
            if (s->kind == PLACEMENT_DEDICATED &&
                placement_cpuset_intersects(&s->pcpus, &sys->pools[k].pcpus)) {
                int c = -1;
                for (unsigned x = 0; x < PLACEMENT_MAX_PCPUS && c < 0; x++)
                    if (placement_cpuset_has(&s->pcpus, x) &&
                        placement_cpuset_has(&sys->pools[k].pcpus, x))
                        c = (int)x;
                stdvmm_error_set(err, code,
                                 "vCPU %u: pCPU %d is in the shared pool '%s'; it cannot "
                                 "be dedicated",
                                 vcpu, c, sys->pools[k].name);
                return -code;
            }
        }
        for (unsigned i = 0; i < count; i++) {
            const struct vmm_placement *o = vms[i].placement;
            if (i == target || o == NULL)
                continue;
            for (unsigned y = 0; y < vms[i].cpus && y < PLACEMENT_MAX_VCPUS; y++) {
                const struct vcpu_sched *t = &o->vcpu[y];
                bool theirs = t->kind == PLACEMENT_DEDICATED;
                bool mine = s->kind == PLACEMENT_DEDICATED && t->kind != PLACEMENT_FLOATING;
                if ((!theirs && !mine) || !placement_cpuset_intersects(&s->pcpus, &t->pcpus))
                    continue;
                int c = -1;
                for (unsigned x = 0; x < PLACEMENT_MAX_PCPUS && c < 0; x++)
                    if (placement_cpuset_has(&s->pcpus, x) && placement_cpuset_has(&t->pcpus, x))
                        c = (int)x;
                if (theirs)
                    stdvmm_error_set(err, code, "vCPU %u: pCPU %d is dedicated to VM '%s' vCPU %u",
                                     vcpu, c, vms[i].name, y);
                else
                    stdvmm_error_set(err, code,
                                     "vCPU %u: pCPU %d cannot be dedicated: VM '%s' vCPU "
                                     "%u runs on it",
                                     vcpu, c, vms[i].name, y);
                return -code;
            }
            if (s->kind == PLACEMENT_DEDICATED && o->has_vmm_threads &&
                placement_cpuset_intersects(&s->pcpus, &o->vmm_threads)) {
                placement_cpuset_format(&o->vmm_threads, set, sizeof(set));
                stdvmm_error_set(err, code,
                                 "vCPU %u: pCPUs %s are VM '%s''s vmm_threads; they "
                                 "cannot be dedicated",
                                 vcpu, set, vms[i].name);
                return -code;
            }
        }
    }
    if (s->runtime_ns != 0) {
        struct placement_load *l = calloc(1, sizeof(*l));
        uint32_t ppm;
        if (l == NULL) {
            code = STDVMM_ENOMEM;
            stdvmm_error_set(err, code, "out of memory");
            return -code;
        }
        placement_loads(vms, count, target, vcpu, s, l);
        int over = placement_load_over(l, &ppm);
        free(l);
        if (over >= 0) {
            stdvmm_error_set(
                err, code,
                "vCPU %u: pCPU %d would be budgeted at %u%% by the running VMs together; "
                "at most 100%%",
                vcpu, over, ppm / 10000);
            return -code;
        }
    }
    return 0;
}

int mgr_peer_allowed(uid_t peer, uid_t self, struct stdvmm_error *why)
{
    if (peer == self || peer == 0)
        return 0;
    return stdvmm_error_set(why, STDVMM_EPERM,
                            "uid %u may not use this manager (it serves uid %u and root)",
                            (unsigned)peer, (unsigned)self);
}
