/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's pure parts: routing and request bodies (every problem
 * reported with its field), the bounds arithmetic, pid files, and the
 * adoption check against a fake /proc (a reused pid, a zombie, another
 * program, another VM's VMM are never adopted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "manager_reply.h"
#include "manager_request.h"
#include "manager_state.h"
#include "stdvmm/error.h"
#include "stdvmm/error_report.h"

static bool has_diag(const struct sysconf_diags *d, const char *path, const char *text)
{
    for (unsigned i = 0; i < d->count; i++) {
        if (strcmp(d->items[i].path, path) == 0 && strstr(d->items[i].message, text) != NULL)
            return true;
    }
    return false;
}

static void routes(void **state)
{
    struct mgr_route r;

    (void)state;
    mgr_route("GET", "/v1/vms", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.op, MGR_OP_LIST);
    mgr_route("POST", "/v1/vms", &r);
    assert_int_equal(r.op, MGR_OP_CREATE);
    mgr_route("GET", "/v1/vms/web-1", &r);
    assert_int_equal(r.op, MGR_OP_INFO);
    assert_string_equal(r.name, "web-1");
    mgr_route("DELETE", "/v1/vms/web-1", &r);
    assert_int_equal(r.op, MGR_OP_DELETE);
    mgr_route("POST", "/v1/vms/db/restart", &r);
    assert_int_equal(r.op, MGR_OP_RESTART);
    assert_string_equal(r.name, "db");
    mgr_route("GET", "/v1/vms/db/serial", &r);
    assert_int_equal(r.op, MGR_OP_SERIAL);
    mgr_route("GET", "/v1/system", &r);
    assert_int_equal(r.op, MGR_OP_SYSTEM);
    mgr_route("GET", "/v1/definitions", &r);
    assert_int_equal(r.op, MGR_OP_DEFINITIONS);
    mgr_route("GET", "/v1/networks", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.op, MGR_OP_NETWORKS);
    mgr_route("GET", "/v1/networks/lan", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.op, MGR_OP_NETWORK);
    assert_string_equal(r.name, "lan");
    mgr_route("POST", "/v1/networks/lan", &r);
    assert_int_equal(r.status, 405);
    mgr_route("GET", "/v1/networks/", &r);
    assert_int_equal(r.status, 404);
    mgr_route("GET", "/v1/networks/lan/ports", &r);
    assert_int_equal(r.status, 404);
    mgr_route("GET", "/v1/networks/a-name-of-16-byte", &r);
    assert_int_equal(r.status, 404);

    mgr_route("PUT", "/v1/vms/db", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, DELETE");
    mgr_route("GET", "/v1/vms/db/stop", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST");
    mgr_route("GET", "/v1/vms/db/explode", &r);
    assert_int_equal(r.status, 404);
    mgr_route("GET", "/v1/vms/../etc", &r);
    assert_int_equal(r.status, 404);
    mgr_route("GET", "/v1/vms/", &r);
    assert_int_equal(r.status, 404);
    mgr_route("GET", "/", &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.error, "/v1/"));
    char longname[200];
    memset(longname, 'a', sizeof(longname));
    memcpy(longname, "/v1/vms/", 8);
    longname[sizeof(longname) - 1] = '\0';
    mgr_route("GET", longname, &r);
    assert_int_equal(r.status, 404);
}

static void create_bodies(void **state)
{
    struct mgr_body keep;
    struct mgr_create_request req;
    struct sysconf_diags d = {0};
    const char *ok = "{\"definition\": \"worker\", \"name\": \"w7\", \"memory\": \"256M\", "
                     "\"cpus\": 2, \"start\": false}";

    (void)state;
    assert_int_equal(mgr_parse_create(ok, strlen(ok), &keep, &req, &d), 0);
    assert_string_equal(req.definition, "worker");
    assert_string_equal(req.name, "w7");
    assert_int_equal(req.memory, 256ull << 20);
    assert_int_equal(req.cpus, 2);
    assert_false(req.start);
    mgr_body_free(&keep);

    const char *minimal = "{\"definition\": \"worker\"}";
    assert_int_equal(mgr_parse_create(minimal, strlen(minimal), &keep, &req, &d), 0);
    assert_null(req.name);
    assert_int_equal(req.memory, 0);
    assert_true(req.start);
    mgr_body_free(&keep);

    /* Every problem at once, each with its field. */
    const char *bad = "{\"name\": \"../x\", \"memory\": \"lots\", \"cpus\": 0, \"start\": 1, "
                      "\"colour\": \"red\", \"defintion\": \"w\"}";
    assert_int_equal(mgr_parse_create(bad, strlen(bad), &keep, &req, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "definition", "required field missing"));
    assert_true(has_diag(&d, "defintion", "did you mean 'definition'"));
    assert_true(has_diag(&d, "colour", "unknown field"));
    assert_true(has_diag(&d, "name", "not a valid name"));
    assert_true(has_diag(&d, "memory", "expected a size"));
    assert_true(has_diag(&d, "cpus", "out of range"));
    assert_true(has_diag(&d, "start", "expected true or false"));
    sysconf_diags_free(&d);

    const char *small = "{\"definition\": \"w\", \"memory\": \"16M\"}";
    assert_int_equal(mgr_parse_create(small, strlen(small), &keep, &req, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "memory", "too little"));
    sysconf_diags_free(&d);

    static const char *const malformed[] = {
        "{", "[]", "\"x\"", "{\"a\":1,\"a\":2}", "nul\0l", "{\"definition\": \"w\"} {}"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        size_t len = i == 4 ? 5 : strlen(malformed[i]);
        assert_int_equal(mgr_parse_create(malformed[i], len, &keep, &req, &d), -STDVMM_EINVAL);
        assert_true(d.count >= 1);
        sysconf_diags_free(&d);
    }
}

static void stop_and_empty_bodies(void **state)
{
    struct mgr_body keep;
    struct mgr_stop_request req;
    struct sysconf_diags d = {0};

    (void)state;
    assert_int_equal(mgr_parse_stop("", 0, &keep, &req, &d), 0);
    assert_int_equal(req.timeout, MGR_STOP_TIMEOUT_DEFAULT);
    assert_false(req.force);
    mgr_body_free(&keep);
    const char *ok = "{\"timeout\": 0, \"force\": true}";
    assert_int_equal(mgr_parse_stop(ok, strlen(ok), &keep, &req, &d), 0);
    assert_int_equal(req.timeout, 0);
    assert_true(req.force);
    mgr_body_free(&keep);
    const char *bad = "{\"timeout\": 99999, \"force\": \"yes\"}";
    assert_int_equal(mgr_parse_stop(bad, strlen(bad), &keep, &req, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "timeout", "out of range"));
    assert_true(has_diag(&d, "force", "expected true or false"));
    sysconf_diags_free(&d);

    assert_int_equal(mgr_parse_empty(" \r\n", 3, &d), 0);
    assert_int_equal(mgr_parse_empty("{}", 2, &d), 0);
    assert_int_equal(mgr_parse_empty("{\"now\": 1}", 10, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "now", "unknown field"));
    sysconf_diags_free(&d);

    char *huge = malloc(MGR_BODY_MAX + 2);
    assert_non_null(huge);
    memset(huge, ' ', MGR_BODY_MAX + 1);
    huge[0] = '{';
    huge[MGR_BODY_MAX] = '}';
    assert_int_equal(mgr_parse_empty(huge, MGR_BODY_MAX + 1, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "at most"));
    sysconf_diags_free(&d);
    free(huge);

    unsigned n;
    assert_true(mgr_parse_count(NULL, 50, 100, &n));
    assert_int_equal(n, 50);
    assert_true(mgr_parse_count("7", 50, 100, &n));
    assert_int_equal(n, 7);
    assert_false(mgr_parse_count("0", 50, 100, &n));
    assert_false(mgr_parse_count("101", 50, 100, &n));
    assert_false(mgr_parse_count("-1", 50, 100, &n));
    assert_false(mgr_parse_count("5x", 50, 100, &n));
    assert_false(mgr_parse_count("99999999999999999999", 50, 100, &n));
}

static void bounds(void **state)
{
    struct sysconf_system sys = {.memory = 512ull << 20, .vcpus = 4, .max_vms = 3};
    struct mgr_usage used = {.memory = 384ull << 20, .vcpus = 3, .vms = 2};
    struct stdvmm_error err;

    (void)state;
    /* Exactly at every bound fits. */
    assert_int_equal(mgr_bounds_fit(&sys, &used, "web", 128ull << 20, 1, &err), 0);
    assert_int_equal(mgr_bounds_fit(&sys, &used, "web", 132ull << 20, 1, &err), -STDVMM_ENOSPC);
    assert_string_equal(err.msg, "system.memory: 384M in use + 132M for web is more than the bound "
                                 "512M");
    assert_int_equal(mgr_bounds_fit(&sys, &used, "web", 64ull << 20, 2, &err), -STDVMM_ENOSPC);
    assert_string_equal(err.msg, "system.vcpus: 3 in use + 2 for web is more than the bound 4");
    used.vms = 3;
    assert_int_equal(mgr_bounds_fit(&sys, &used, "web", 32ull << 20, 1, &err), -STDVMM_ENOSPC);
    assert_non_null(strstr(err.msg, "system.max_vms: 3 VMs run already and the bound is 3"));
    struct mgr_usage none = {0};
    assert_int_equal(mgr_bounds_fit(&sys, &none, "big", sys.memory, sys.vcpus, &err), 0);
}

/* ---- run-time placement: routes, bodies, the bounds between VMs ---- */

static void placement_routes(void **state)
{
    struct mgr_route r;

    (void)state;
    mgr_route("GET", "/v1/vms/web/placement", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.op, MGR_OP_PLACEMENT);
    assert_string_equal(r.name, "web");
    mgr_route("PUT", "/v1/vms/web/vcpus/12/placement", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.op, MGR_OP_VCPU_PLACEMENT);
    assert_int_equal(r.vcpu, 12);
    mgr_route("POST", "/v1/vms/web/vcpus/1/placement", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "PUT");
    mgr_route("PUT", "/v1/vms/web/placement", &r);
    assert_int_equal(r.status, 405);
    mgr_route("PUT", "/v1/vms/web/vcpus/x/placement", &r);
    assert_int_equal(r.status, 404);
    mgr_route("PUT", "/v1/vms/web/vcpus/1", &r);
    assert_int_equal(r.status, 404);
    mgr_route("PUT", "/v1/vms/web/vcpus/99999/placement", &r);
    assert_int_equal(r.status, 404);
}

static void placement_bodies(void **state)
{
    struct sysconf_diags d = {0};
    struct vcpu_sched s;
    const char *b;

    (void)state;
    placement_sched_default(&s);
    b = "{\"pcpus\": [1], \"dedicated\": true, \"priority\": 200, \"policy\": \"rr\", "
        "\"weight\": 300}";
    assert_int_equal(mgr_parse_placement(b, strlen(b), &s, &d), 0);
    assert_int_equal(s.kind, PLACEMENT_DEDICATED);
    assert_true(placement_cpuset_has(&s.pcpus, 1));
    assert_int_equal(s.priority, 200);
    assert_int_equal(s.rt, PLACEMENT_RT_RR);
    assert_int_equal(s.weight, 300);
    /* Fields not named stay; a new pcpus replaces the old set and keeps dedicated. */
    b = "{\"pcpus\": \"2-3\", \"budget\": {\"runtime\": \"20ms\", \"period\": \"100ms\"}}";
    assert_int_equal(mgr_parse_placement(b, strlen(b), &s, &d), 0);
    assert_int_equal(s.kind, PLACEMENT_DEDICATED);
    assert_false(placement_cpuset_has(&s.pcpus, 1));
    assert_true(placement_cpuset_has(&s.pcpus, 3));
    assert_int_equal(s.priority, 200);
    assert_int_equal(s.runtime_ns, 20000000);
    assert_int_equal(s.period_ns, 100000000);
    /* null clears. */
    b = "{\"pcpus\": null, \"priority\": null, \"budget\": null, \"weight\": null}";
    assert_int_equal(mgr_parse_placement(b, strlen(b), &s, &d), 0);
    assert_int_equal(s.kind, PLACEMENT_FLOATING);
    assert_int_equal(s.priority, -1);
    assert_int_equal(s.runtime_ns, 0);
    assert_int_equal(s.weight, 0);
    /* Every problem with its field. */
    b = "{\"vcpu\": 1, \"priority\": 300, \"policy\": \"edf\", \"budget\": {\"runtime\": "
        "\"x\"}}";
    assert_int_equal(mgr_parse_placement(b, strlen(b), &s, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "vcpu", "unknown"));
    assert_true(has_diag(&d, "priority", ""));
    assert_true(has_diag(&d, "policy", "not a policy"));
    assert_true(has_diag(&d, "budget.runtime", "duration"));
    assert_true(has_diag(&d, "budget.period", "missing"));
    sysconf_diags_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(mgr_parse_placement("{}", 2, &s, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "empty change"));
    sysconf_diags_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(mgr_parse_placement("[1]", 3, &s, &d), -STDVMM_EINVAL);
    sysconf_diags_free(&d);
}

static struct vcpu_sched sched_on(const char *spec)
{
    struct vcpu_sched s;
    struct stdvmm_error err;

    placement_sched_default(&s);
    assert_int_equal(placement_apply_spec(&s, spec, &err), 0);
    return s;
}

static void placement_bounds(void **state)
{
    static struct vmm_placement web, db, idle;
    struct sysconf_system sys = {.memory = 1ull << 30, .vcpus = 8, .max_vms = 4};
    struct sysconf_pool pool = {.name = "shared"};
    struct vcpu_sched s;
    struct stdvmm_error err;
    int status;

    (void)state;
    assert_true(sysconf_parse_cpuset("0-3", &sys.host_cpus));
    sys.has_host_cpus = true;
    placement_cpuset_add(&pool.pcpus, 3);
    sys.pools = &pool;
    sys.pool_count = 1;
    placement_init(&web);
    placement_init(&db);
    placement_init(&idle);
    web.vcpu[0] = sched_on("pcpus=0");
    web.vcpu[1] = sched_on("pcpus=0,budget=60ms/100ms");
    db.vcpu[0] = sched_on("pcpus=1,dedicated");
    db.vcpu[1] = sched_on("pcpus=2,budget=50ms/100ms");
    idle.vcpu[0] = sched_on("pcpus=2,dedicated"); /* stopped: its dedication still counts */
    const struct mgr_placement_vm vms[] = {
        {"web", &web, 2, true},
        {"db", &db, 2, true},
        {"idle", &idle, 1, false},
    };

    /* Onto a free pCPU of host_cpus: fits. */
    s = sched_on("pcpus=0");
    assert_int_equal(mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err), 0);
    /* Outside system.host_cpus: 400. */
    s = sched_on("pcpus=5");
    status = mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 400);
    assert_string_equal(err.msg, "vCPU 0: pCPU 5 is not in system.host_cpus (0-3)");
    /* Onto another VM's dedicated pCPU: 409 naming the VM and the pCPU. */
    s = sched_on("pcpus=0:1");
    status = mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_string_equal(err.msg, "vCPU 0: pCPU 1 is dedicated to VM 'db' vCPU 0");
    /* A stopped VM's dedicated pCPU is still reserved. */
    s = sched_on("pcpus=2");
    status = mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_non_null(strstr(err.msg, "pCPU 2 is dedicated to VM 'idle' vCPU 0"));
    /* Dedicating a pCPU another VM runs on, or one in a pool: 409. */
    s = sched_on("pcpus=0,dedicated");
    status = mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_string_equal(err.msg, "vCPU 1: pCPU 0 cannot be dedicated: VM 'web' vCPU 0 runs on it");
    s = sched_on("pcpus=3,dedicated");
    status = mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_non_null(strstr(err.msg, "shared pool 'shared'"));
    /* Its own VM's rules: db vCPU 1 onto db vCPU 0's dedicated pCPU. */
    s = sched_on("pcpus=1");
    status = mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_non_null(strstr(err.msg, "db: "));
    /* Budgets over running VMs: web's 60% on pCPU 0 + 50% is over; 40% fits. */
    s = sched_on("pcpus=0,budget=50ms/100ms");
    status = mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 409);
    assert_string_equal(err.msg, "vCPU 1: pCPU 0 would be budgeted at 110% by the running VMs "
                                 "together; at most 100%");
    s = sched_on("pcpus=0,budget=40ms/100ms");
    assert_int_equal(mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err), 0);
    /* The vCPU's own old budget does not count against its new one. */
    s = sched_on("pcpus=0,budget=100ms/100ms");
    status = mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    s = sched_on("pcpus=0,budget=40ms/100ms");
    assert_int_equal(mgr_placement_fit(&sys, vms, 3, 0, 1, &s, &err), 0);
    /* A stopped VM's budgets do not count. */
    idle.vcpu[0] = sched_on("pcpus=2,budget=90ms/100ms");
    s = sched_on("pcpus=2,budget=50ms/100ms");
    assert_int_equal(mgr_placement_fit(&sys, vms, 3, 1, 1, &s, &err), 0);
    /* Rules of the vCPU alone: 400. */
    s = sched_on("pcpus=0");
    s.priority = 300;
    status = mgr_placement_fit(&sys, vms, 3, 0, 0, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_int_equal(status, 400);
    /* No such vCPU. */
    s = sched_on("pcpus=0");
    status = mgr_placement_fit(&sys, vms, 3, 0, 2, &s, &err);
    assert_true(status < 0);
    status = mgr_reply_status(-status);
    assert_string_equal(err.msg, "web has no vCPU 2 (it has 2: 0-1)");
    /* A VM without a placement: every vCPU floats, nothing is dedicated. */
    const struct mgr_placement_vm plain[] = {{"a", NULL, 1, true}, {"b", NULL, 1, true}};
    s = sched_on("pcpus=1,dedicated");
    assert_int_equal(mgr_placement_fit(&sys, plain, 2, 0, 0, &s, &err), 0);
}

/* ---- a fake /proc ---- */

struct fake {
    char root[64];
};

static void put(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* /proc/PID with stat (state, start time), exe and cmdline. */
static void fake_process(struct fake *fk, int pid, char state, unsigned long long start,
                         const char *exe, const char *cmdline, size_t cmdline_len)
{
    char dir[128], path[192], stat[512];

    snprintf(dir, sizeof(dir), "%s/%d", fk->root, pid);
    mkdir(dir, 0700);
    /* comm with spaces and a parenthesis: fields are counted from the last ')' */
    int n = snprintf(stat, sizeof(stat),
                     "%d (std vmm) x) %c 1 %d %d 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 %llu "
                     "123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
                     pid, state, pid, pid, start);
    snprintf(path, sizeof(path), "%s/stat", dir);
    put(path, stat, (size_t)n);
    snprintf(path, sizeof(path), "%s/exe", dir);
    unlink(path);
    assert_int_equal(symlink(exe, path), 0);
    snprintf(path, sizeof(path), "%s/cmdline", dir);
    put(path, cmdline, cmdline_len);
}

static int fake_setup(void **state)
{
    struct fake *fk = calloc(1, sizeof(*fk));
    if (fk == NULL)
        return -1;
    snprintf(fk->root, sizeof(fk->root), "/tmp/stdvmm-proc.XXXXXX");
    if (mkdtemp(fk->root) == NULL)
        return -1;
    *state = fk;
    return 0;
}

static int fake_teardown(void **state)
{
    struct fake *fk = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->root);
    if (system(cmd) != 0)
        return -1;
    free(fk);
    return 0;
}

#define VMM_CMDLINE                                                                                \
    "stdvmm\0run\0--config\0/s/vms/web/config.json\0--api-socket\0/s/vms/web/api.sock\0"

static void start_time_parsing(void **state)
{
    struct fake *fk = *state;
    uint64_t start;
    bool zombie;

    fake_process(fk, 100, 'S', 424242, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_proc_start_time(fk->root, 100, &start, &zombie), 0);
    assert_int_equal(start, 424242);
    assert_false(zombie);
    fake_process(fk, 101, 'Z', 7, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_proc_start_time(fk->root, 101, &start, &zombie), 0);
    assert_true(zombie);
    assert_int_equal(mgr_proc_start_time(fk->root, 999, &start, &zombie), -STDVMM_ENOENT);
    char path[128];
    snprintf(path, sizeof(path), "%s/102", fk->root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/102/stat", fk->root);
    put(path, "102 (x) S 1 2", 13); /* truncated */
    assert_int_equal(mgr_proc_start_time(fk->root, 102, &start, &zombie), -STDVMM_EINVAL);
}

static void adoption(void **state)
{
    struct fake *fk = *state;
    const char *sock = "/s/vms/web/api.sock";
    struct stdvmm_error why;
    struct mgr_pidfile pf = {.pid = 200, .start_time = 5000};

    fake_process(fk, 200, 'S', 5000, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), 0);

    /* The binary was upgraded under the running VMM. */
    fake_process(fk, 200, 'S', 5000, "/usr/bin/stdvmm (deleted)", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), 0);

    /* The pid was reused: another start time. */
    fake_process(fk, 200, 'S', 9999, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);
    assert_non_null(strstr(why.msg, "another process"));

    /* Same start time but another program (a reused pid can't have it, a confused file can). */
    fake_process(fk, 200, 'S', 5000, "/bin/sleep", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);
    assert_non_null(strstr(why.msg, "runs /bin/sleep"));
    fake_process(fk, 200, 'S', 5000, "/usr/bin/stdvmm-old", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);

    /* The VMM of another VM, or one without a control socket. */
    fake_process(fk, 200, 'S', 5000, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", "/s/vms/db/api.sock", &why),
                     -STDVMM_ENOENT);
    assert_non_null(strstr(why.msg, "another VM"));
    static const char plain[] = "stdvmm\0run\0/s/vms/web/api.sock\0";
    fake_process(fk, 200, 'S', 5000, "/usr/bin/stdvmm", plain, sizeof(plain));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);

    /* Exited but not reaped yet; and gone. */
    fake_process(fk, 200, 'Z', 5000, "/usr/bin/stdvmm", VMM_CMDLINE, sizeof(VMM_CMDLINE));
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);
    assert_non_null(strstr(why.msg, "exited"));
    pf.pid = 201;
    assert_int_equal(mgr_adopt_check(fk->root, &pf, "/usr/bin/stdvmm", sock, &why), -STDVMM_ENOENT);
    assert_non_null(strstr(why.msg, "gone"));
}

static void pid_files(void **state)
{
    struct fake *fk = *state;
    char path[128];
    struct mgr_pidfile pf = {.pid = 4242, .start_time = 123456789012ull}, back;

    snprintf(path, sizeof(path), "%s/vmm.pid", fk->root);
    assert_int_equal(mgr_pidfile_write(path, &pf), 0);
    assert_int_equal(mgr_pidfile_read(path, &back), 0);
    assert_int_equal(back.pid, 4242);
    assert_int_equal(back.start_time, 123456789012ull);
    static const char *const junk[] = {"", "12", "abc 5", "1 5", "12 34 extra", "-5 7"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        put(path, junk[i], strlen(junk[i]));
        assert_int_not_equal(mgr_pidfile_read(path, &back), 0);
    }
    unlink(path);
    assert_int_equal(mgr_pidfile_read(path, &back), -STDVMM_ENOENT);
}

/*
 * Issue #15: config.json.tmp was opened with O_TRUNC, following a symlink
 * planted there; its target was overwritten with the VM's configuration.
 */
static void write_file_does_not_follow_a_planted_temporary(void **state)
{
    struct fake *fk = *state;
    char path[128], tmp[128], victim[128];

    snprintf(path, sizeof(path), "%s/config.json", fk->root);
    snprintf(tmp, sizeof(tmp), "%s/config.json.tmp", fk->root);
    snprintf(victim, sizeof(victim), "%s/victim", fk->root);
    put(victim, "keep", 4);
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(mgr_write_file(path, "{\"new\": 1}"), 0);
    size_t len;
    char *text = mgr_read_file(victim, 64, &len);
    assert_non_null(text);
    assert_string_equal(text, "keep");
    free(text);
    text = mgr_read_file(path, 64, &len);
    assert_non_null(text);
    assert_string_equal(text, "{\"new\": 1}");
    free(text);
    struct stat st;
    assert_int_not_equal(lstat(tmp, &st), 0); /* the planted link is gone, not written through */
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* SO_PEERCRED policy: the manager's uid and root, nobody else (issue #15). */
static void peer_policy(void **state)
{
    struct stdvmm_error why;
    (void)state;
    assert_int_equal(mgr_peer_allowed(1000, 1000, &why), 0);
    assert_int_equal(mgr_peer_allowed(0, 1000, &why), 0);
    assert_int_equal(mgr_peer_allowed(0, 0, &why), 0);
    assert_int_equal(mgr_peer_allowed(1001, 1000, &why), -STDVMM_EPERM);
    assert_string_equal(why.msg, "uid 1001 may not use this manager (it serves uid 1000 and root)");
    assert_int_equal(mgr_peer_allowed(1000, 0, &why), -STDVMM_EPERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes),
        cmocka_unit_test(create_bodies),
        cmocka_unit_test(stop_and_empty_bodies),
        cmocka_unit_test(bounds),
        cmocka_unit_test(placement_routes),
        cmocka_unit_test(placement_bodies),
        cmocka_unit_test(placement_bounds),
        cmocka_unit_test(peer_policy),
        cmocka_unit_test_setup_teardown(start_time_parsing, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(adoption, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(pid_files, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(write_file_does_not_follow_a_planted_temporary, fake_setup,
                                        fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
