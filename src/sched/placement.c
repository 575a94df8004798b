/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The placement model's rules and text spelling (include/stdvmm/placement.h).
 * Host-independent: the system description, the CLI, the per-VM socket and
 * the manager all check placements with these functions, so one rule cannot
 * mean different things in different places.
 */
#include "stdvmm/placement.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/cpulist.h"
#include "stdvmm/error_report.h"
#include "stdvmm/log.h"

void placement_sched_default(struct vcpu_sched *s)
{
    memset(s, 0, sizeof(*s));
    s->kind = PLACEMENT_FLOATING;
    s->priority = -1;
}

void placement_init(struct vmm_placement *p)
{
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; i < PLACEMENT_MAX_VCPUS; i++)
        placement_sched_default(&p->vcpu[i]);
}

/* ---- CPU sets ---- */

void placement_cpuset_add(struct placement_cpuset *s, unsigned cpu)
{
    if (cpu < PLACEMENT_MAX_PCPUS)
        s->bits[cpu / 64] |= 1ull << (cpu % 64);
}

bool placement_cpuset_has(const struct placement_cpuset *s, unsigned cpu)
{
    return cpu < PLACEMENT_MAX_PCPUS && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned placement_cpuset_count(const struct placement_cpuset *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < PLACEMENT_MAX_PCPUS / 64; i++)
        n += (unsigned)__builtin_popcountll(s->bits[i]);
    return n;
}

bool placement_cpuset_empty(const struct placement_cpuset *s)
{
    return placement_cpuset_count(s) == 0;
}

bool placement_cpuset_intersects(const struct placement_cpuset *a, const struct placement_cpuset *b)
{
    for (unsigned i = 0; i < PLACEMENT_MAX_PCPUS / 64; i++) {
        if (a->bits[i] & b->bits[i])
            return true;
    }
    return false;
}

bool placement_cpuset_subset(const struct placement_cpuset *a, const struct placement_cpuset *of)
{
    for (unsigned i = 0; i < PLACEMENT_MAX_PCPUS / 64; i++) {
        if (a->bits[i] & ~of->bits[i])
            return false;
    }
    return true;
}

int placement_cpuset_first(const struct placement_cpuset *a)
{
    for (unsigned i = 0; i < PLACEMENT_MAX_PCPUS; i++) {
        if (placement_cpuset_has(a, i))
            return (int)i;
    }
    return -1;
}

bool placement_cpuset_parse(const char *s, struct placement_cpuset *out)
{
    /* ':' joins in specs, where ',' separates fields; ' ' as in a shell-quoted list. */
    return cpulist_parse(s, ": ", out->bits, PLACEMENT_MAX_PCPUS);
}

void placement_cpuset_format(const struct placement_cpuset *s, char *buf, size_t size)
{
    cpulist_format(s->bits, PLACEMENT_MAX_PCPUS, ',', buf, size);
}

/* ---- numbers, durations and specs ---- */

bool placement_parse_uint(const char *s, unsigned long long max, unsigned long long *out,
                          const char **end)
{
    unsigned long long v = 0;
    const char *p = s;

    /* By hand: strtoul takes blanks and a sign, and "-1" would wrap to ULONG_MAX. */
    if (s == NULL || !isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > max || v > (max - d) / 10)
            return false; /* past max, before anything could wrap */
        v = v * 10 + d;
    }
    if (end != NULL)
        *end = p;
    else if (*p != '\0')
        return false;
    *out = v;
    return true;
}

bool placement_parse_duration(const char *s, uint64_t *ns)
{
    char *end;
    uint64_t unit;

    if (s == NULL || !isdigit((unsigned char)*s))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == '\0' || strcmp(end, "us") == 0)
        unit = 1000;
    else if (strcmp(end, "ns") == 0)
        unit = 1;
    else if (strcmp(end, "ms") == 0)
        unit = 1000000;
    else if (strcmp(end, "s") == 0)
        unit = 1000000000;
    else
        return false;
    if (v > UINT64_MAX / unit / 4) /* far beyond any period; keeps sums from overflowing */
        return false;
    *ns = v * unit;
    return true;
}

static int spec_item(struct vcpu_sched *s, char *key, char *value, struct stdvmm_error *err)
{
    if (strcmp(key, "pcpus") == 0 && value != NULL) {
        if (strcmp(value, "any") == 0) {
            s->kind = PLACEMENT_FLOATING;
            memset(&s->pcpus, 0, sizeof(s->pcpus));
            return 0;
        }
        if (!placement_cpuset_parse(value, &s->pcpus)) {
            stdvmm_error_set(
                err, STDVMM_EINVAL,
                "pcpus=%s: expected a CPU list such as 1 or 0-3:6 (':' joins parts, since "
                "',' separates fields)",
                value);
            return -STDVMM_EINVAL;
        }
        if (s->kind != PLACEMENT_DEDICATED)
            s->kind = PLACEMENT_PINNED;
        s->pool[0] = '\0';
        return 0;
    }
    if (strcmp(key, "pool") == 0 && value != NULL) {
        /* The pool's pCPUs come with it (pcpus= before pool=, as formatted). */
        size_t n = strlen(value);
        if (n == 0 || n >= sizeof(s->pool) ||
            strspn(value, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789_.-") != n) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "pool=%s: expected a pool name of at most %zu characters "
                             "(letters, digits, '_', '.', '-')",
                             value, sizeof(s->pool) - 1);
            return -STDVMM_EINVAL;
        }
        memcpy(s->pool, value, n + 1);
        s->kind = PLACEMENT_POOL;
        return 0;
    }
    if (strcmp(key, "dedicated") == 0 && value == NULL) {
        s->kind = PLACEMENT_DEDICATED;
        return 0;
    }
    if (strcmp(key, "shared") == 0 && value == NULL) {
        if (s->kind == PLACEMENT_DEDICATED)
            s->kind = PLACEMENT_PINNED;
        return 0;
    }
    if (strcmp(key, "priority") == 0 && value != NULL) {
        if (strcmp(value, "none") == 0) {
            s->priority = -1;
            return 0;
        }
        unsigned long long v;
        if (!placement_parse_uint(value, PLACEMENT_MAX_PRIORITY, &v, NULL)) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "priority=%s: expected 0-255 (seL4 priorities) or none", value);
            return -STDVMM_EINVAL;
        }
        s->priority = (int)v;
        return 0;
    }
    if ((strcmp(key, "rr") == 0 || strcmp(key, "fifo") == 0) && value == NULL) {
        s->rt = key[0] == 'r' ? PLACEMENT_RT_RR : PLACEMENT_RT_FIFO;
        return 0;
    }
    if (strcmp(key, "budget") == 0 && value != NULL) {
        if (strcmp(value, "none") == 0) {
            s->runtime_ns = s->period_ns = 0;
            return 0;
        }
        char *slash = strchr(value, '/');
        uint64_t rt, per;
        if (slash == NULL) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "budget=%s: expected RUNTIME/PERIOD such as 20ms/100ms, or none",
                             value);
            return -STDVMM_EINVAL;
        }
        *slash = '\0';
        if (!placement_parse_duration(value, &rt) || !placement_parse_duration(slash + 1, &per)) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "budget=%s/%s: durations are NUMBER with ns, us, ms or s", value,
                             slash + 1);
            return -STDVMM_EINVAL;
        }
        s->runtime_ns = rt;
        s->period_ns = per;
        return 0;
    }
    if (strcmp(key, "weight") == 0 && value != NULL) {
        if (strcmp(value, "default") == 0) {
            s->weight = 0;
            return 0;
        }
        unsigned long long v;
        if (!placement_parse_uint(value, PLACEMENT_MAX_WEIGHT, &v, NULL) ||
            v < PLACEMENT_MIN_WEIGHT) {
            stdvmm_error_set(err, STDVMM_EINVAL, "weight=%s: expected 1-10000 or default", value);
            return -STDVMM_EINVAL;
        }
        s->weight = (unsigned)v;
        return 0;
    }
    stdvmm_error_set(err, STDVMM_EINVAL,
                     "'%s%s' is not a placement field: pcpus=LIST, dedicated, shared, pool=NAME, "
                     "priority=0-255, fifo, rr, budget=RUNTIME/PERIOD, weight=1-10000",
                     key, value ? "=..." : "");
    return -STDVMM_EINVAL;
}

int placement_apply_spec(struct vcpu_sched *s, const char *spec, struct stdvmm_error *err)
{
    char buf[512];
    struct vcpu_sched tmp = *s;

    if (spec == NULL || strlen(spec) >= sizeof(buf)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "placement spec too long (at most %zu bytes)",
                         sizeof(buf) - 1);
        return -STDVMM_EINVAL;
    }
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq != NULL)
            *eq = '\0';
        if (spec_item(&tmp, item, eq ? eq + 1 : NULL, err) < 0)
            return -STDVMM_EINVAL;
    }
    if (tmp.kind == PLACEMENT_DEDICATED && placement_cpuset_empty(&tmp.pcpus)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "dedicated needs pcpus=LIST: the pCPUs the vCPU owns");
        return -STDVMM_EINVAL;
    }
    *s = tmp;
    return 0;
}

void placement_format_sched(const struct vcpu_sched *s, char *buf, size_t size)
{
    char cpus[256] = "any";
    int n;

    if (s->kind != PLACEMENT_FLOATING)
        cpulist_format(s->pcpus.bits, PLACEMENT_MAX_PCPUS, ':', cpus,
                       sizeof(cpus));                 /* ',' separates the spec's fields */
    if (s->kind == PLACEMENT_POOL && cpus[0] == '\0') /* a pool not resolved to pCPUs yet */
        n = snprintf(buf, size, "pool=%s", s->pool);
    else if (s->kind == PLACEMENT_POOL)
        n = snprintf(buf, size, "pcpus=%s,pool=%s", cpus, s->pool);
    else
        n = snprintf(buf, size, "pcpus=%s%s", cpus,
                     s->kind == PLACEMENT_DEDICATED ? ",dedicated" : "");
    if (n < 0 || (size_t)n >= size)
        return;
    if (s->priority >= 0) {
        int k = snprintf(buf + n, size - (size_t)n, ",priority=%d%s", s->priority,
                         s->rt == PLACEMENT_RT_RR ? ",rr" : "");
        if (k < 0 || (size_t)k >= size - (size_t)n)
            return;
        n += k;
    }
    if (s->runtime_ns != 0) {
        int k = snprintf(buf + n, size - (size_t)n, ",budget=%lluus/%lluus",
                         (unsigned long long)(s->runtime_ns / 1000),
                         (unsigned long long)(s->period_ns / 1000));
        if (k < 0 || (size_t)k >= size - (size_t)n)
            return;
        n += k;
    }
    if (s->weight != 0)
        snprintf(buf + n, size - (size_t)n, ",weight=%u", s->weight);
}

/* ---- rules ---- */

int placement_check_sched(const struct vcpu_sched *s, struct stdvmm_error *err)
{
    unsigned long long rt_us = s->runtime_ns / 1000, period_us = s->period_ns / 1000;

    if (s->priority > PLACEMENT_MAX_PRIORITY || s->priority < -1) {
        stdvmm_error_set(err, STDVMM_EINVAL, "priority %d is outside seL4's 0-255", s->priority);
        return -STDVMM_EINVAL;
    }
    if (s->weight != 0 && (s->weight < PLACEMENT_MIN_WEIGHT || s->weight > PLACEMENT_MAX_WEIGHT)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "weight %u is outside 1-10000", s->weight);
        return -STDVMM_EINVAL;
    }
    if (s->runtime_ns != 0 || s->period_ns != 0) {
        if (s->runtime_ns == 0 || s->period_ns == 0) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "a budget needs both runtime (%lluus) and period (%lluus)", rt_us,
                             period_us);
            return -STDVMM_EINVAL;
        }
        if (s->runtime_ns > s->period_ns) {
            stdvmm_error_set(
                err, STDVMM_EINVAL,
                "budget runtime %lluus is longer than its period %lluus: a vCPU cannot run "
                "more than 100%% of one pCPU",
                rt_us, period_us);
            return -STDVMM_EINVAL;
        }
        if (s->period_ns < PLACEMENT_MIN_PERIOD_NS || s->period_ns > PLACEMENT_MAX_PERIOD_NS) {
            stdvmm_error_set(err, STDVMM_EINVAL, "budget period %lluus is outside 1ms-1s",
                             period_us);
            return -STDVMM_EINVAL;
        }
        if (s->runtime_ns < PLACEMENT_MIN_RUNTIME_NS) {
            stdvmm_error_set(err, STDVMM_EINVAL, "budget runtime %lluus is below the 1ms minimum",
                             rt_us);
            return -STDVMM_EINVAL;
        }
    }
    if ((s->kind == PLACEMENT_PINNED || s->kind == PLACEMENT_DEDICATED) &&
        placement_cpuset_empty(&s->pcpus)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "pcpus is empty");
        return -STDVMM_EINVAL;
    }
    if (s->kind == PLACEMENT_POOL && s->priority >= 0 && s->runtime_ns == 0) {
        stdvmm_error_set(
            err, STDVMM_EINVAL,
            "a real-time priority in the shared pool '%s' needs a budget: without one the "
            "vCPU could take the pool's pCPUs from every other VM",
            s->pool);
        return -STDVMM_ERANGE;
    }
    return 0;
}

void placement_load_add(struct placement_load *l, const struct vcpu_sched *s)
{
    /* An impossible budget is reported by itself, not added to its pCPUs. */
    if (s->runtime_ns == 0 || s->period_ns == 0 || s->runtime_ns > s->period_ns ||
        s->kind == PLACEMENT_FLOATING)
        return;
    unsigned k = placement_cpuset_count(&s->pcpus);
    if (k == 0)
        return;
    uint64_t ppm = s->runtime_ns * 1000000ull / s->period_ns / k;
    for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS; c++) {
        if (placement_cpuset_has(&s->pcpus, c))
            l->ppm[c] = (uint32_t)(l->ppm[c] + ppm > UINT32_MAX ? UINT32_MAX : l->ppm[c] + ppm);
    }
}

int placement_load_over(const struct placement_load *l, uint32_t *ppm)
{
    for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS; c++) {
        if (l->ppm[c] > 1000000u) {
            if (ppm != NULL)
                *ppm = l->ppm[c];
            return (int)c;
        }
    }
    return -1;
}

int placement_linux_rt_priority(int sel4_priority)
{
    if (sel4_priority < 0)
        sel4_priority = 0;
    if (sel4_priority > PLACEMENT_MAX_PRIORITY)
        sel4_priority = PLACEMENT_MAX_PRIORITY;
    return 1 + (sel4_priority * 98 + PLACEMENT_MAX_PRIORITY / 2) / PLACEMENT_MAX_PRIORITY;
}

int placement_sel4_priority(int linux_rt_priority)
{
    for (int p = 0; p <= PLACEMENT_MAX_PRIORITY; p++) {
        if (placement_linux_rt_priority(p) >= linux_rt_priority)
            return p;
    }
    return PLACEMENT_MAX_PRIORITY;
}

uint64_t placement_weight_to_shares(unsigned weight)
{
    if (weight == 0)
        weight = PLACEMENT_DEFAULT_WEIGHT;
    return (uint64_t)weight * 1024 / 100;
}

int placement_check_vm(const struct vmm_placement *p, unsigned vcpus, struct stdvmm_error *err)
{
    struct placement_load *load;

    if (vcpus > PLACEMENT_MAX_VCPUS)
        vcpus = PLACEMENT_MAX_VCPUS;
    for (unsigned i = 0; i < vcpus; i++) {
        const struct vcpu_sched *s = &p->vcpu[i];
        int r = placement_check_sched(s, err);
        if (r < 0) {
            stdvmm_error_prefix(err, "vcpu %u: ", i);
            return r;
        }
        if (s->kind != PLACEMENT_DEDICATED)
            continue;
        if (p->has_vmm_threads && placement_cpuset_intersects(&s->pcpus, &p->vmm_threads)) {
            stdvmm_error_set(err, STDVMM_EINVAL,
                             "vcpu %u: its dedicated pCPUs are also in vmm_threads; keep the VMM's "
                             "threads off dedicated pCPUs",
                             i);
            return -STDVMM_EINVAL;
        }
        for (unsigned j = 0; j < vcpus; j++) {
            if (j != i && p->vcpu[j].kind != PLACEMENT_FLOATING &&
                placement_cpuset_intersects(&s->pcpus, &p->vcpu[j].pcpus)) {
                stdvmm_error_set(err, STDVMM_EINVAL,
                                 "vcpu %u: a pCPU dedicated to it is also placed for vcpu %u", i,
                                 j);
                return -STDVMM_EINVAL;
            }
        }
    }
    load = calloc(1, sizeof(*load));
    if (load == NULL) {
        return stdvmm_error_set(err, STDVMM_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < vcpus; i++)
        placement_load_add(load, &p->vcpu[i]);
    uint32_t ppm;
    int over = placement_load_over(load, &ppm);
    free(load);
    if (over >= 0) {
        /* ERANGE, not EINVAL: the description sums budgets over every VM instead. */
        return stdvmm_error_set(err, STDVMM_ERANGE,
                                "pCPU %d is budgeted at %u%%: the budgets of the vCPUs on it add "
                                "up to more than 100%%",
                                over, ppm / 10000);
    }
    return 0;
}
