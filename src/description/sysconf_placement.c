/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Placement in the system description (docs/system-description.md,
 * docs/multicore.md): `cpus: {count, pcpus, dedicated, pool, priority,
 * policy, budget, weight, placement: [{vcpu, ...}]}` (plain `cpus: N` stays
 * valid), `vmm_threads: {pcpus}` and `system.pools`. The rules between VMs
 * live here too: a dedicated pCPU belongs to one vCPU of one VM, pools
 * exist, budgets fit the pCPUs.
 */
#include "sysconf_placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/error_report.h"
#include "sysconf_util.h"

static const char *const cpus_keys[] = {"count",  "pcpus",  "dedicated", "pool",      "priority",
                                        "policy", "budget", "weight",    "placement", NULL};
static const char *const entry_keys[] = {"vcpu",   "pcpus",  "dedicated", "pool", "priority",
                                         "policy", "budget", "weight",    NULL};
static const char *const budget_keys[] = {"runtime", "period", NULL};
static const char *const vmm_threads_keys[] = {"pcpus", NULL};

/* [1, 2], 3 or "0-3,6". */
static bool get_pcpus(struct sysconf_walk *w, const json_t *v, const char *path,
                      struct placement_cpuset *out)
{
    memset(out, 0, sizeof(*out));
    if (json_is_integer(v) || json_is_array(v)) {
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t i = 0; i < n; i++) {
            const json_t *c = json_is_array(v) ? json_array_get(v, i) : v;
            if (!json_is_integer(c) || json_integer_value(c) < 0 ||
                json_integer_value(c) >= PLACEMENT_MAX_PCPUS) {
                sysconf_walk_error(w, path, "expected pCPU numbers 0-%d", PLACEMENT_MAX_PCPUS - 1);
                return false;
            }
            placement_cpuset_add(out, (unsigned)json_integer_value(c));
        }
        if (n == 0) {
            sysconf_walk_error(w, path, "an empty list of pCPUs");
            return false;
        }
        return true;
    }
    if (json_is_string(v)) {
        struct sysconf_cpuset s;
        if (sysconf_parse_cpuset(json_string_value(v), &s) && sysconf_cpuset_count(&s) > 0) {
            for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS; c++) {
                if (sysconf_cpuset_has(&s, c))
                    placement_cpuset_add(out, c);
            }
            return true;
        }
    }
    sysconf_walk_error(w, path, "expected a list of pCPUs such as [1, 2] or \"0-3,6\", got %s",
                       json_is_string(v) ? json_string_value(v) : sysconf_json_type_name(v));
    return false;
}

static bool get_duration(struct sysconf_walk *w, const json_t *obj, const char *path,
                         const char *key, uint64_t *ns)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = json_object_get(obj, key);

    sysconf_path_key(sub, path, key);
    if (v == NULL) {
        sysconf_walk_error(w, sub, "required field missing");
        return false;
    }
    if (json_is_integer(v) && json_integer_value(v) > 0 &&
        json_integer_value(v) < 4000000000ll) { /* microseconds */
        *ns = (uint64_t)json_integer_value(v) * 1000;
        return true;
    }
    if (json_is_string(v) && placement_parse_duration(json_string_value(v), ns))
        return true;
    sysconf_walk_error(w, sub, "expected a duration such as 20ms, 500us or 1s (a number is "
                               "microseconds)");
    return false;
}

/* The fields a vCPU entry and the VM-wide defaults share. */
static void walk_sched(struct sysconf_walk *w, const json_t *obj, const char *path,
                       struct vcpu_sched *s)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v;
    uint64_t n;
    bool b;

    if ((v = json_object_get(obj, "pcpus")) != NULL) {
        sysconf_path_key(sub, path, "pcpus");
        if (get_pcpus(w, v, sub, &s->pcpus) && s->kind != PLACEMENT_DEDICATED)
            s->kind = PLACEMENT_PINNED;
    }
    if (sysconf_get_bool(w, obj, path, "dedicated", false, &b) == SYSCONF_OK) {
        if (b)
            s->kind = PLACEMENT_DEDICATED;
        else if (s->kind == PLACEMENT_DEDICATED)
            s->kind = PLACEMENT_PINNED;
    }
    const char *pool = NULL;
    if (sysconf_get_string(w, obj, path, "pool", false, &pool) == SYSCONF_OK) {
        sysconf_path_key(sub, path, "pool");
        if (json_object_get(obj, "pcpus") != NULL || s->kind == PLACEMENT_DEDICATED)
            sysconf_walk_error(w, sub, "a vCPU is either in a pool or on its own pcpus, not both");
        else if (strlen(pool) >= PLACEMENT_POOL_NAME_MAX)
            sysconf_walk_error(w, sub, "pool names have at most %d characters",
                               PLACEMENT_POOL_NAME_MAX - 1);
        else {
            s->kind = PLACEMENT_POOL;
            snprintf(s->pool, sizeof(s->pool), "%s", pool);
        }
    }
    if (sysconf_get_uint(w, obj, path, "priority", false, 0, PLACEMENT_MAX_PRIORITY, &n) ==
        SYSCONF_OK)
        s->priority = (int)n;
    const char *policy = NULL;
    if (sysconf_get_string(w, obj, path, "policy", false, &policy) == SYSCONF_OK) {
        if (strcmp(policy, "fifo") == 0 || strcmp(policy, "rr") == 0) {
            s->rt = policy[0] == 'r' ? PLACEMENT_RT_RR : PLACEMENT_RT_FIFO;
        } else {
            sysconf_path_key(sub, path, "policy");
            sysconf_walk_error(w, sub, "'%s' is not a policy: fifo or rr", policy);
        }
    }
    if ((v = json_object_get(obj, "budget")) != NULL) {
        sysconf_path_key(sub, path, "budget");
        if (sysconf_expect_object(w, v, sub)) {
            sysconf_check_keys(w, v, sub, budget_keys);
            uint64_t rt = 0, per = 0;
            bool rt_ok = get_duration(w, v, sub, "runtime", &rt); /* both reported */
            bool per_ok = get_duration(w, v, sub, "period", &per);
            if (rt_ok && per_ok) {
                s->runtime_ns = rt;
                s->period_ns = per;
            }
        }
    }
    if (sysconf_get_uint(w, obj, path, "weight", false, PLACEMENT_MIN_WEIGHT,
                         PLACEMENT_MAX_WEIGHT, &n) == SYSCONF_OK)
        s->weight = (unsigned)n;
}

void sysconf_walk_vcpu_sched(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct vcpu_sched *s)
{
    sysconf_check_keys(w, obj, path, entry_keys + 1); /* every entry key but vcpu */
    /* As in a placement entry: a new pcpus or pool replaces the old one. */
    if (json_object_get(obj, "pcpus") != NULL || json_object_get(obj, "pool") != NULL) {
        bool dedicated = s->kind == PLACEMENT_DEDICATED && json_object_get(obj, "pool") == NULL;
        s->kind = dedicated ? PLACEMENT_DEDICATED : PLACEMENT_FLOATING;
        memset(&s->pcpus, 0, sizeof(s->pcpus));
        s->pool[0] = '\0';
    }
    walk_sched(w, obj, path, s);
}

static void check_one(struct sysconf_walk *w, const struct vcpu_sched *s, const char *path)
{
    struct stdvmm_error err;
    /* Pool members are checked once the pool's pCPUs are known (sysconf_check_placement). */
    if (s->kind != PLACEMENT_POOL && placement_check_sched(s, &err) < 0)
        sysconf_walk_error(w, path, "%s", err.msg);
}

void sysconf_walk_placement(struct sysconf_walk *w, const json_t *obj, const char *path,
                            struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX], field[SYSCONF_PATH_MAX];
    const json_t *cpus = json_object_get(obj, "cpus");
    const json_t *threads = json_object_get(obj, "vmm_threads");
    uint64_t n;

    if (!json_is_object(cpus) && threads == NULL)
        return; /* cpus: N (or absent) is read by sysconf_walk_vm */
    vm->placement = sysconf_arena_alloc(w->arena, sizeof(*vm->placement));
    if (vm->placement == NULL) {
        sysconf_walk_error(w, path, "out of memory");
        return;
    }
    placement_init(vm->placement);
    struct vmm_placement *p = vm->placement;

    if (json_is_object(cpus)) {
        sysconf_path_key(sub, path, "cpus");
        sysconf_check_keys(w, cpus, sub, cpus_keys);
        if (sysconf_get_uint(w, cpus, sub, "count", true, 1, VMM_MAX_CPUS, &n) == SYSCONF_OK)
            vm->cpus = (unsigned)n;
        struct vcpu_sched all;
        placement_sched_default(&all);
        walk_sched(w, cpus, sub, &all);
        for (unsigned i = 0; i < PLACEMENT_MAX_VCPUS; i++)
            p->vcpu[i] = all;
        /* dedicated without pcpus: each vCPU names its own below (checked per VM later). */
        if (all.kind != PLACEMENT_DEDICATED || !placement_cpuset_empty(&all.pcpus))
            check_one(w, &all, sub);
        const json_t *list = json_object_get(cpus, "placement");
        sysconf_path_key(field, sub, "placement");
        if (list != NULL && !json_is_array(list))
            sysconf_walk_error(w, field, "expected a list of {vcpu: N, ...}, got %s",
                               sysconf_json_type_name(list));
        for (size_t k = 0; json_is_array(list) && k < json_array_size(list); k++) {
            const json_t *e = json_array_get(list, k);
            sysconf_path_index(item, field, k);
            if (!sysconf_expect_object(w, e, item))
                continue;
            sysconf_check_keys(w, e, item, entry_keys);
            if (sysconf_get_uint(w, e, item, "vcpu", true, 0, VMM_MAX_CPUS - 1, &n) != SYSCONF_OK)
                continue;
            if (n >= vm->cpus) {
                char vp[SYSCONF_PATH_MAX];
                sysconf_path_key(vp, item, "vcpu");
                sysconf_walk_error(w, vp, "vCPU %llu does not exist: the VM has %u (0-%u)",
                                   (unsigned long long)n, vm->cpus, vm->cpus - 1);
                continue;
            }
            if ((p->named >> n) & 1) {
                sysconf_walk_error(w, item, "vCPU %llu is placed twice", (unsigned long long)n);
                continue;
            }
            p->named |= 1ull << n;
            /* A pcpus or pool of the entry replaces the VM-wide one, not merges with it. */
            if (json_object_get(e, "pcpus") != NULL || json_object_get(e, "pool") != NULL) {
                bool dedicated = p->vcpu[n].kind == PLACEMENT_DEDICATED &&
                                 json_object_get(e, "pool") == NULL;
                p->vcpu[n].kind = dedicated ? PLACEMENT_DEDICATED : PLACEMENT_FLOATING;
                memset(&p->vcpu[n].pcpus, 0, sizeof(p->vcpu[n].pcpus));
                p->vcpu[n].pool[0] = '\0';
            }
            walk_sched(w, e, item, &p->vcpu[n]);
            check_one(w, &p->vcpu[n], item);
        }
    }
    if (threads != NULL) {
        sysconf_path_key(sub, path, "vmm_threads");
        if (sysconf_expect_object(w, threads, sub)) {
            sysconf_check_keys(w, threads, sub, vmm_threads_keys);
            const json_t *v = json_object_get(threads, "pcpus");
            sysconf_path_key(field, sub, "pcpus");
            if (v == NULL)
                sysconf_walk_error(w, field, "required field missing");
            else if (get_pcpus(w, v, field, &p->vmm_threads))
                p->has_vmm_threads = true;
        }
    }
}

/* system.pools: {NAME: [pCPUs] or "0-3"} */
void sysconf_walk_pools(struct sysconf_walk *w, const json_t *system, struct sysconf_system *s)
{
    const json_t *pools = json_object_get(system, "pools");
    const char *name;
    const json_t *v;
    char sub[SYSCONF_PATH_MAX];

    if (pools == NULL)
        return;
    if (!json_is_object(pools)) {
        sysconf_walk_error(w, "system.pools", "expected a mapping NAME: [pCPUs], got %s",
                           sysconf_json_type_name(pools));
        return;
    }
    s->pools = sysconf_arena_alloc(w->arena, json_object_size(pools) * sizeof(*s->pools) + 1);
    json_object_foreach((json_t *)pools, name, v)
    {
        sysconf_path_key(sub, "system.pools", name);
        if (s->pools == NULL || strlen(name) >= PLACEMENT_POOL_NAME_MAX) {
            sysconf_walk_error(w, sub, "pool names have at most %d characters",
                               PLACEMENT_POOL_NAME_MAX - 1);
            continue;
        }
        struct sysconf_pool *pool = &s->pools[s->pool_count];
        if (!get_pcpus(w, v, sub, &pool->pcpus))
            continue;
        pool->name = sysconf_arena_strdup(w->arena, name);
        s->pool_count++;
    }
}

static const struct sysconf_pool *find_pool(const struct sysconf_system *s, const char *name)
{
    for (unsigned i = 0; i < s->pool_count; i++) {
        if (strcmp(s->pools[i].name, name) == 0)
            return &s->pools[i];
    }
    return NULL;
}

static void vcpu_path(char *out, unsigned vm, const struct sysconf_vm *v, unsigned i)
{
    if ((v->placement->named >> i) & 1)
        snprintf(out, SYSCONF_PATH_MAX, "vms[%u].cpus.placement(vcpu %u)", vm, i);
    else
        snprintf(out, SYSCONF_PATH_MAX, "vms[%u].cpus", vm);
}

/* Whether pCPU set a of VM i vCPU x collides with a dedicated set elsewhere. */
static void check_dedicated(struct sysconf_walk *w, const struct sysconf *cfg, unsigned i,
                            unsigned x)
{
    const struct sysconf_vm *vm = &cfg->vms[i];
    const struct vcpu_sched *s = &vm->placement->vcpu[x];
    char p[SYSCONF_PATH_MAX], set[128];

    vcpu_path(p, i, vm, x);
    placement_cpuset_format(&s->pcpus, set, sizeof(set));
    if (vm->instances_max > 1)
        sysconf_walk_error(w, p,
                           "pCPUs %s cannot be dedicated to a definition with %u instances: "
                           "they would share them",
                           set, vm->instances_max);
    for (unsigned k = 0; k < cfg->system.pool_count; k++) {
        if (placement_cpuset_intersects(&s->pcpus, &cfg->system.pools[k].pcpus))
            sysconf_walk_error(w, p, "dedicated pCPUs %s overlap the shared pool '%s'", set,
                               cfg->system.pools[k].name);
    }
    for (unsigned j = 0; j < cfg->vm_count; j++) {
        const struct sysconf_vm *o = &cfg->vms[j];
        if (j == i || o->placement == NULL)
            continue;
        if (o->placement->has_vmm_threads &&
            placement_cpuset_intersects(&s->pcpus, &o->placement->vmm_threads))
            sysconf_walk_error(w, p, "dedicated pCPUs %s are also vmm_threads of vms[%u]", set, j);
        for (unsigned y = 0; y < o->cpus; y++) {
            const struct vcpu_sched *t = &o->placement->vcpu[y];
            if (t->kind == PLACEMENT_FLOATING || t->kind == PLACEMENT_POOL ||
                !placement_cpuset_intersects(&s->pcpus, &t->pcpus))
                continue;
            if (t->kind == PLACEMENT_DEDICATED && j > i)
                continue; /* reported once, from the later VM */
            sysconf_walk_error(w, p, "pCPUs %s are dedicated here but also given to vms[%u] ('%s') "
                                     "vCPU %u",
                               set, j, o->name ? o->name : "?", y);
        }
    }
}

void sysconf_check_placement(struct sysconf_walk *w, struct sysconf *cfg)
{
    struct placement_load *load = calloc(1, sizeof(*load));
    char p[SYSCONF_PATH_MAX];
    struct stdvmm_error err;

    if (load == NULL)
        return;
    for (unsigned i = 0; i < cfg->vm_count; i++) {
        struct sysconf_vm *vm = &cfg->vms[i];
        if (vm->placement == NULL)
            continue;
        for (unsigned x = 0; x < vm->cpus; x++) {
            struct vcpu_sched *s = &vm->placement->vcpu[x];
            vcpu_path(p, i, vm, x);
            if (s->kind == PLACEMENT_POOL) {
                const struct sysconf_pool *pool = find_pool(&cfg->system, s->pool);
                if (pool == NULL) {
                    sysconf_walk_error(w, p, "no pool '%s' in system.pools", s->pool);
                    continue;
                }
                s->pcpus = pool->pcpus;
                if (placement_check_sched(s, &err) < 0)
                    sysconf_walk_error(w, p, "%s", err.msg);
            }
            if (s->kind == PLACEMENT_DEDICATED)
                check_dedicated(w, cfg, i, x);
            if (s->kind != PLACEMENT_FLOATING && cfg->system.has_host_cpus) {
                for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS; c++) {
                    if (placement_cpuset_has(&s->pcpus, c) &&
                        !sysconf_cpuset_has(&cfg->system.host_cpus, c)) {
                        sysconf_walk_error(w, p, "pCPU %u is not in system.host_cpus", c);
                        break;
                    }
                }
            }
            for (unsigned k = 0; k < (vm->instances_max ? vm->instances_max : 1); k++)
                placement_load_add(load, s);
        }
        int r = placement_check_vm(vm->placement, vm->cpus, &err);
        if (r < 0 && r != -STDVMM_ERANGE) { /* budgets are summed over all VMs below */
            snprintf(p, sizeof(p), "vms[%u].cpus", i);
            sysconf_walk_error(w, p, "%s", err.msg);
        }
    }
    uint32_t ppm;
    int over = placement_load_over(load, &ppm);
    if (over >= 0)
        sysconf_walk_error(w, "vms", "pCPU %d is budgeted at %u%% by the VMs' budgets together "
                                     "(instances counted at their maximum); at most 100%%",
                           over, ppm / 10000);
    free(load);
}

static json_t *sched_json(const struct vcpu_sched *s)
{
    json_t *o = json_object();
    char buf[256];

    if (s->kind != PLACEMENT_FLOATING) { /* a pool is written as its pCPUs: the VMM has no pools */
        placement_cpuset_format(&s->pcpus, buf, sizeof(buf));
        json_object_set_new(o, "pcpus", json_string(buf));
    }
    if (s->kind == PLACEMENT_DEDICATED)
        json_object_set_new(o, "dedicated", json_true());
    if (s->priority >= 0) {
        json_object_set_new(o, "priority", json_integer(s->priority));
        json_object_set_new(o, "policy", json_string(s->rt == PLACEMENT_RT_RR ? "rr" : "fifo"));
    }
    if (s->runtime_ns != 0) {
        char rt[32], per[32];
        snprintf(rt, sizeof(rt), "%lluns", (unsigned long long)s->runtime_ns);
        snprintf(per, sizeof(per), "%lluns", (unsigned long long)s->period_ns);
        json_object_set_new(o, "budget", json_pack("{s:s, s:s}", "runtime", rt, "period", per));
    }
    if (s->weight != 0)
        json_object_set_new(o, "weight", json_integer(s->weight));
    return o;
}

int sysconf_placement_to_json(const struct sysconf_vm *vm, json_t *o)
{
    const struct vmm_placement *p = vm->placement;
    char buf[256];
    int r = 0;

    if (p == NULL)
        return 0;
    json_t *list = json_array();
    for (unsigned i = 0; i < vm->cpus; i++) {
        json_t *e = sched_json(&p->vcpu[i]);
        r |= json_object_set_new(e, "vcpu", json_integer(i));
        r |= json_array_append_new(list, e);
    }
    r |= json_object_set_new(o, "cpus",
                             json_pack("{s:i, s:o}", "count", (int)vm->cpus, "placement", list));
    if (p->has_vmm_threads) {
        placement_cpuset_format(&p->vmm_threads, buf, sizeof(buf));
        r |= json_object_set_new(o, "vmm_threads", json_pack("{s:s}", "pcpus", buf));
    }
    return r;
}
