/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Run-time placement through the manager's API (manager_placement.h). The
 * manager records a change only once the VMM applied it, so that later
 * checks see what really runs.
 */
#include "manager_placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager_request.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/log.h"
#include "stdvmm/placement.h"

/* What vm's VMM runs now: its recorded run-time changes, or the description's placement. */
/* The VMM's thread id for a vCPU, as the host sees it (a jailed VMM has its own pid namespace). */
static void set_host_tid(json_t *o, const struct mgr_vm *vm, json_t *live)
{
    json_t *tid = json_object_get(live, "tid");
    if (json_is_integer(tid) && vm->pid > 0)
        json_object_set_new(o, "tid",
                            json_integer(mgr_host_tid(vm->pid, (long)json_integer_value(tid))));
    else
        json_object_set(o, "tid", tid);
}

static const struct vmm_placement *effective_placement(const struct mgr_vm *vm)
{
    if (vm->live != NULL && vm->pid > 0 && vm->live_start_time == vm->start_time)
        return vm->live;
    return vm->cfg.placement;
}

static json_t *sched_to_json(unsigned index, const struct vcpu_sched *s)
{
    char buf[512];
    json_t *o = json_pack("{s:I}", "vcpu", (json_int_t)index);

    if (s->kind != PLACEMENT_FLOATING) {
        placement_cpuset_format(&s->pcpus, buf, sizeof(buf));
        json_object_set_new(o, "pcpus", json_string(buf));
    } else {
        json_object_set_new(o, "pcpus", json_null());
    }
    json_object_set_new(o, "dedicated", json_boolean(s->kind == PLACEMENT_DEDICATED));
    if (s->kind == PLACEMENT_POOL)
        json_object_set_new(o, "pool", json_string(s->pool));
    json_object_set_new(o, "priority", s->priority >= 0 ? json_integer(s->priority) : json_null());
    json_object_set_new(o, "policy", json_string(s->rt == PLACEMENT_RT_RR ? "rr" : "fifo"));
    if (s->runtime_ns != 0) {
        char rt[32], per[32];
        snprintf(rt, sizeof(rt), "%lluus", (unsigned long long)(s->runtime_ns / 1000));
        snprintf(per, sizeof(per), "%lluus", (unsigned long long)(s->period_ns / 1000));
        json_object_set_new(o, "budget", json_pack("{s:s, s:s}", "runtime", rt, "period", per));
    } else {
        json_object_set_new(o, "budget", json_null());
    }
    json_object_set_new(o, "weight", json_integer(s->weight ? s->weight : PLACEMENT_DEFAULT_WEIGHT));
    placement_format_sched(s, buf, sizeof(buf));
    json_object_set_new(o, "spec", json_string(buf));
    return o;
}

/*
 * The whole of s in the VMM socket's spelling ("vcpu N SPEC" changes only
 * the fields it names, so every field is named). Pools become their pCPUs:
 * the VMM knows no pools. CPU list parts are joined by ':'.
 */
static void vmm_spec(const struct vcpu_sched *s, char *buf, size_t size)
{
    char cpus[256] = "any", prio[32] = "none", budget[64] = "none", weight[32] = "default";

    if (s->kind != PLACEMENT_FLOATING) {
        placement_cpuset_format(&s->pcpus, cpus, sizeof(cpus));
        for (char *c = cpus; *c; c++)
            if (*c == ',')
                *c = ':';
    }
    if (s->priority >= 0)
        snprintf(prio, sizeof(prio), "%d,%s", s->priority, s->rt == PLACEMENT_RT_RR ? "rr" : "fifo");
    if (s->runtime_ns != 0)
        snprintf(budget, sizeof(budget), "%lluus/%lluus",
                 (unsigned long long)(s->runtime_ns / 1000),
                 (unsigned long long)(s->period_ns / 1000));
    if (s->weight != 0)
        snprintf(weight, sizeof(weight), "%u", s->weight);
    /* shared first: it turns dedicated into pinned before pcpus is set. */
    snprintf(buf, size, "%spcpus=%s%s,priority=%s,budget=%s,weight=%s",
             s->kind == PLACEMENT_DEDICATED ? "" : "shared,", cpus,
             s->kind == PLACEMENT_DEDICATED ? ",dedicated" : "", prio, budget, weight);
}

void mgr_op_placement_get(struct mgr_vm *vm, struct mgr_reply *reply)
{
    const struct vmm_placement *p = effective_placement(vm);
    struct vcpu_sched def;
    json_t *live = NULL, *arr = json_array();
    char sock[VM_PATH_MAX];
    struct stdvmm_error verr;

    placement_sched_default(&def);
    if (vm->state == MGR_VM_RUNNING || vm->state == MGR_VM_PAUSED) {
        mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
        json_t *r = NULL;
        if (vm_client_call(sock, "placement", VM_API_TIMEOUT_MS, &r, &verr) == 0 &&
            json_is_true(json_object_get(r, "ok")))
            live = json_incref(json_object_get(r, "vcpus"));
        json_decref(r);
    }
    for (unsigned i = 0; i < vm->cfg.cpus && i < PLACEMENT_MAX_VCPUS; i++) {
        json_t *o = sched_to_json(i, p ? &p->vcpu[i] : &def);
        /* The VMM's view: thread, mechanism and the affinity it really has. */
        for (size_t k = 0; json_is_array(live) && k < json_array_size(live); k++) {
            json_t *v = json_array_get(live, k);
            if (json_integer_value(json_object_get(v, "vcpu")) != (json_int_t)i)
                continue;
            set_host_tid(o, vm, v);
            json_object_set(o, "mechanism", json_object_get(v, "mechanism"));
            json_object_set(o, "affinity", json_object_get(v, "affinity"));
        }
        json_array_append_new(arr, o);
    }
    json_decref(live);
    reply->status = 200;
    reply->body = json_pack("{s:s, s:s, s:s, s:o}", "name", vm->name, "state",
                            mgr_state_name(vm->state), "source",
                            p == NULL            ? "none"
                            : p == vm->cfg.placement ? "description"
                                                     : "run-time",
                            "vcpus", arr);
}

void mgr_op_placement_put(struct mgr *m, struct mgr_vm *vm, unsigned index, const char *body,
                          size_t len, struct mgr_reply *reply)
{
    struct sysconf_diags diags = {0};
    const struct vmm_placement *cur = effective_placement(vm);
    struct vcpu_sched s;
    char spec[600], cmd[640], sock[VM_PATH_MAX];
    struct stdvmm_error refused;

    if (index >= vm->cfg.cpus) {
        mgr_reply_error(reply, 404, "%s has no vCPU %u (it has %u: 0-%u)", vm->name, index,
                        vm->cfg.cpus, vm->cfg.cpus - 1);
        return;
    }
    if (vm->state != MGR_VM_RUNNING && vm->state != MGR_VM_PAUSED) {
        mgr_reply_error(reply, 409, "%s is %s; only a running or paused VM's vCPUs can move",
                        vm->name, mgr_state_name(vm->state));
        return;
    }
    if (cur != NULL)
        s = cur->vcpu[index];
    else
        placement_sched_default(&s);
    if (mgr_parse_placement(body, len, &s, &diags) != 0) {
        mgr_reply_diags(reply, &diags);
        sysconf_diags_free(&diags);
        return;
    }
    if (s.kind == PLACEMENT_POOL) {
        bool found = false;
        for (unsigned k = 0; k < m->cfg.system.pool_count && !found; k++) {
            if (strcmp(m->cfg.system.pools[k].name, s.pool) == 0) {
                s.pcpus = m->cfg.system.pools[k].pcpus;
                found = true;
            }
        }
        if (!found) {
            mgr_reply_error(reply, 400, "pool: no pool '%s' in system.pools", s.pool);
            return;
        }
    }
    struct mgr_placement_vm *all = calloc(m->vm_count, sizeof(*all));
    unsigned target = 0;
    if (all == NULL) {
        mgr_reply_error(reply, 500, "out of memory");
        return;
    }
    for (unsigned i = 0; i < m->vm_count; i++) {
        all[i] = (struct mgr_placement_vm){m->vms[i]->name, effective_placement(m->vms[i]),
                                           m->vms[i]->cfg.cpus, mgr_state_holds_resources(m->vms[i]->state)};
        if (m->vms[i] == vm)
            target = i;
    }
    int fit = mgr_placement_fit(&m->cfg.system, all, m->vm_count, target, index, &s, &refused);
    free(all);
    if (fit < 0) {
        mgr_reply_from_error(reply, &refused);
        return;
    }
    vmm_spec(&s, spec, sizeof(spec));
    snprintf(cmd, sizeof(cmd), "vcpu %u %s", index, spec);
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
    json_t *r = NULL;
    if (vm_client_call(sock, cmd, VM_API_TIMEOUT_MS, &r, &refused) != 0) {
        mgr_reply_error(reply, 502, "%s: the VMM did not answer: %s", vm->name, refused.msg);
        return;
    }
    if (!json_is_true(json_object_get(r, "ok"))) {
        const char *e = json_string_value(json_object_get(r, "error"));
        mgr_reply_error(reply, 409, "%s: the VMM refused: %s", vm->name, e ? e : "no reason");
        json_decref(r);
        return;
    }
    /* Recorded only once the VMM applied it, so later checks see what really runs. */
    if (vm->live == NULL || vm->live_start_time != vm->start_time) {
        struct vmm_placement *p = vm->live ? vm->live : malloc(sizeof(*p));
        if (p == NULL) {
            json_decref(r);
            mgr_reply_error(reply, 500, "out of memory (the change is applied but not recorded)");
            return;
        }
        if (vm->cfg.placement != NULL)
            *p = *vm->cfg.placement;
        else
            placement_init(p);
        vm->live = p;
        vm->live_start_time = vm->start_time;
    }
    vm->live->vcpu[index] = s;
    placement_format_sched(&s, spec, sizeof(spec));
    LOG_INFO("%s: vCPU %u placement now %s", vm->name, index, spec);
    json_t *o = sched_to_json(index, &s);
    json_t *v = json_object_get(r, "vcpu");
    set_host_tid(o, vm, v);
    json_object_set(o, "mechanism", json_object_get(v, "mechanism"));
    json_object_set(o, "affinity", json_object_get(v, "affinity"));
    json_decref(r);
    reply->status = 200;
    reply->body = json_pack("{s:s, s:o}", "name", vm->name, "vcpu", o);
}
