/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU placement and scheduling parameters (paper §4.2.2, docs/multicore.md):
 * which host CPUs (pCPUs) each vCPU thread may run on, whether it owns them
 * (dedicated) or shares them (pinned, pool), and how it competes for them:
 * a priority (seL4's 0-255), a budget (runtime per period, seL4 MCS
 * scheduling contexts) and a weight (proportional share).
 *
 * This header is the model and its rules only (parsing of the text spelling,
 * validation, the priority mapping); it does not touch the host. Applying a
 * placement to Linux threads is src/sched/sched_policy.c; an seL4 port maps
 * the same structure onto TCBs and scheduling contexts. Both live in
 * src/sched (library stdvmm_sched).
 */
#ifndef STDVMM_PLACEMENT_H
#define STDVMM_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* stdvmm/error_report.h */
struct stdvmm_error;

#define PLACEMENT_MAX_VCPUS 64 /* VMM_MAX_CPUS */
#define PLACEMENT_MAX_PCPUS 1024
#define PLACEMENT_POOL_NAME_MAX 32

/* Budgets: the period range both cgroup cpu.max and SCHED_DEADLINE accept. */
#define PLACEMENT_MIN_RUNTIME_NS 1000000ull   /* 1 ms: cgroup quota minimum */
#define PLACEMENT_MIN_PERIOD_NS 1000000ull    /* 1 ms */
#define PLACEMENT_MAX_PERIOD_NS 1000000000ull /* 1 s: cgroup v2 cpu.max maximum */
#define PLACEMENT_MAX_PRIORITY 255            /* seL4 seL4_MaxPrio */
#define PLACEMENT_MIN_WEIGHT 1
#define PLACEMENT_MAX_WEIGHT 10000 /* cgroup v2 cpu.weight range */
#define PLACEMENT_DEFAULT_WEIGHT 100

struct placement_cpuset {
    uint64_t bits[PLACEMENT_MAX_PCPUS / 64];
};

enum placement_kind {
    PLACEMENT_FLOATING = 0, /* no pcpus: wherever the host (or vmm_threads' complement) allows */
    PLACEMENT_PINNED,       /* pcpus given; others may use them too */
    PLACEMENT_DEDICATED,    /* pcpus given and owned: no other vCPU or VMM thread on them */
    PLACEMENT_POOL,         /* a named shared pool of the system description */
};

enum placement_rt {
    PLACEMENT_RT_FIFO = 0, /* SCHED_FIFO: seL4's FIFO among equal priorities */
    PLACEMENT_RT_RR,       /* SCHED_RR: round robin among equal priorities (seL4 with timeslices) */
};

/* The scheduling of one vCPU thread. */
struct vcpu_sched {
    enum placement_kind kind;
    struct placement_cpuset pcpus; /* PINNED, DEDICATED; POOL: filled from the pool */
    char pool[PLACEMENT_POOL_NAME_MAX];
    int priority; /* -1: none (time-shared); 0-255 */
    enum placement_rt rt;
    uint64_t runtime_ns; /* 0: no budget */
    uint64_t period_ns;
    unsigned weight; /* 0: default (100) */
};

/* A VM's placement: one entry per vCPU, plus the VMM's own threads. */
struct vmm_placement {
    struct vcpu_sched vcpu[PLACEMENT_MAX_VCPUS];
    uint64_t named; /* bit i: vCPU i was placed by index (must exist in the VM) */
    bool has_vmm_threads;
    struct placement_cpuset vmm_threads; /* console, device workers, API */
};

/* An unplaced, time-shared vCPU. */
void placement_sched_default(struct vcpu_sched *s);
void placement_init(struct vmm_placement *p);

/* ---- CPU sets ---- */
void placement_cpuset_add(struct placement_cpuset *s, unsigned cpu);
bool placement_cpuset_has(const struct placement_cpuset *s, unsigned cpu);
unsigned placement_cpuset_count(const struct placement_cpuset *s);
bool placement_cpuset_empty(const struct placement_cpuset *s);
bool placement_cpuset_intersects(const struct placement_cpuset *a,
                                 const struct placement_cpuset *b);
bool placement_cpuset_subset(const struct placement_cpuset *a, const struct placement_cpuset *of);
/*
 * A CPU list as a spec's pcpus= and --vmm-threads spell it (stdvmm/cpulist.h),
 * parts joined by ':' or ' ' since ',' separates a spec's fields: "0-3:6",
 * "5"; false on junk, reversed ranges, CPUs >= 1024, an empty list.
 */
bool placement_cpuset_parse(const char *s, struct placement_cpuset *out);
/* The list joined by ',', as people, the description and the manager's API write it. */
void placement_cpuset_format(const struct placement_cpuset *s, char *buf, size_t size);
/* The lowest CPU of a, or -1. */
int placement_cpuset_first(const struct placement_cpuset *a);

/* ---- text spellings (CLI --placement, the per-VM socket's `vcpu` command) ---- */

/*
 * A plain decimal number 0..max: digits only (no blank, sign or base
 * prefix), refused when it exceeds max instead of wrapping or truncating.
 * With end, parsing stops at the first non-digit and *end points there;
 * without it the whole string must be the number.
 */
bool placement_parse_uint(const char *s, unsigned long long max, unsigned long long *out,
                          const char **end);
/* "20ms", "500us", "1s", "250000ns"; a bare number is microseconds. */
bool placement_parse_duration(const char *s, uint64_t *ns);

/*
 * Applies "pcpus=1-2:4,dedicated,priority=200,rr,budget=20ms/100ms,weight=300"
 * to *s, field by field (what is not named stays; ':' joins the parts of a
 * CPU list, since ',' separates fields). "pool=NAME" puts the vCPU in a
 * named pool (its pCPUs from a pcpus= before it). "budget=none",
 * "priority=none", "pcpus=any" and "weight=default" clear a field. Returns 0,
 * or -STDVMM_EINVAL with the reason in err (stdvmm/error_report.h).
 */
int placement_apply_spec(struct vcpu_sched *s, const char *spec, struct stdvmm_error *err);
/*
 * The inverse: applying its text to a default vcpu_sched gives back *s
 * (budgets in whole microseconds). For messages, the API and the manager's
 * run-time changes, which the VMM parses with placement_apply_spec().
 */
void placement_format_sched(const struct vcpu_sched *s, char *buf, size_t size);

/* ---- rules ---- */

/*
 * One vCPU's parameters in isolation: priority 0-255, weight 1-10000,
 * budget with 1 ms <= runtime <= period <= 1 s, a real-time priority in a
 * pool only with a budget. -STDVMM_EINVAL with the reason in err when it
 * breaks a rule.
 */
int placement_check_sched(const struct vcpu_sched *s, struct stdvmm_error *err);

/*
 * The rules within one VM: every vCPU's parameters (placement_check_sched),
 * no pCPU dedicated to one vCPU in another vCPU's pcpus or in vmm_threads,
 * no pCPU budgeted over 100%. The first problem goes to err, prefixed with
 * the vCPU ("vcpu 1: ..."); a pCPU budgeted over 100% is -STDVMM_ERANGE, so
 * that a caller summing budgets over several VMs can leave it to itself.
 */
int placement_check_vm(const struct vmm_placement *p, unsigned vcpus, struct stdvmm_error *err);

/*
 * Utilisation of the budgeted vCPUs on each pCPU (a vCPU on k pCPUs counts
 * 1/k of runtime/period on each), in parts per million. A pCPU above 10^6
 * is overcommitted. Returns the first overcommitted pCPU or -1; *ppm gets
 * its load.
 */
struct placement_load {
    uint32_t ppm[PLACEMENT_MAX_PCPUS];
};
void placement_load_add(struct placement_load *l, const struct vcpu_sched *s);
int placement_load_over(const struct placement_load *l, uint32_t *ppm);

/*
 * seL4 priority (0-255) to a Linux real-time priority (1-99): linear,
 * order-preserving, 0 -> 1 and 255 -> 99. Several seL4 levels share one
 * Linux level (255 / 99); the inverse gives the lowest seL4 level of it.
 */
int placement_linux_rt_priority(int sel4_priority);
int placement_sel4_priority(int linux_rt_priority);
/* cgroup v1 cpu.shares for a cgroup v2 weight (100 <-> 1024, as systemd maps them). */
uint64_t placement_weight_to_shares(unsigned weight);

#endif
