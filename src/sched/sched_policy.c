/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU placement on Linux (sched_policy.h). Per vCPU thread, in this order:
 *
 *  1. back to SCHED_OTHER, because Linux refuses to change the affinity of a
 *     SCHED_DEADLINE thread;
 *  2. affinity: its pcpus, or (floating) every CPU the process may use
 *     except the pCPUs dedicated to other vCPUs;
 *  3. a budget becomes SCHED_DEADLINE (runtime, deadline = period) when the
 *     affinity spans every online CPU — Linux refuses SCHED_DEADLINE on a
 *     thread whose affinity is narrower than its root domain — and otherwise
 *     the quota of the thread's own cgroup (v2 cpu.max, v1 cfs_quota_us);
 *     a priority alone becomes SCHED_FIFO (or SCHED_RR) at
 *     placement_linux_rt_priority(priority);
 *  4. a weight is the cgroup's cpu.weight (v2) or cpu.shares (v1).
 *
 * A priority together with a budget on a narrow affinity cannot be had on
 * Linux without RT group scheduling (Debian does not build it): cpu.max
 * throttles only time-shared threads. That is refused with the reason.
 */
#include "stdvmm/sched/sched_policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/error_report.h"
#include "stdvmm/log.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* The kernel's struct sched_attr (glibc 2.36 has no wrapper). */
struct kernel_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

enum mechanism { MECH_NONE, MECH_RT, MECH_DEADLINE, MECH_CGROUP };
static const char *const mech_names[] = {"time-shared", "realtime", "deadline", "cgroup"};

enum cg_version { CG_UNKNOWN, CG_NONE, CG_V1, CG_V2 };

/*
 * The cgroup the process sits in, and the one of its own it moves into
 * (v2): a cgroup holds processes, so this is the process's, shared by every
 * policy it runs; under the lock.
 */
static struct {
    pthread_mutex_t lock;
    enum cg_version cg;
    char base[PATH_MAX];    /* where the process was */
    char vm[PATH_MAX + 32]; /* v2: base/stdvmm-PID, the process's own; v1: base */
    bool moved;
    unsigned users; /* policies with a vCPU in a cgroup below vm: the last one moves back */
    unsigned next_ordinal;
} proc_cg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* One VM's placement and its vCPU threads. */
struct sched_policy {
    pthread_mutex_t lock;
    unsigned vcpus;
    unsigned ordinal; /* 0 for a process's first VM, which keeps the cgroup names of one */
    struct vmm_placement p;
    pid_t tid[PLACEMENT_MAX_VCPUS];
    enum mechanism mech[PLACEMENT_MAX_VCPUS];
    bool in_cgroup[PLACEMENT_MAX_VCPUS];
    bool uses_cg;   /* counted in proc_cg.users */
    bool workers_cg; /* made the device threads' cgroup */
    cpu_set_t host; /* the process's affinity at start: what this VMM may use at all */
};

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void to_cpu_set(const struct placement_cpuset *in, cpu_set_t *out)
{
    CPU_ZERO(out);
    for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS && c < CPU_SETSIZE; c++) {
        if (placement_cpuset_has(in, c))
            CPU_SET(c, out);
    }
}

static void from_cpu_set(const cpu_set_t *in, struct placement_cpuset *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned c = 0; c < PLACEMENT_MAX_PCPUS && c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, in))
            placement_cpuset_add(out, c);
    }
}

/* ---- cgroups ---- */

static int write_file(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n < 0 ? errno : 0;
    close(fd);
    return -e;
}

/*
 * Removes one of the VM's cgroups. A thread that pthread_join() has already
 * returned for may still be in the kernel's exit path, past clearing its tid
 * but before it leaves its cgroup, and keeps the cgroup populated (EBUSY);
 * under SCHED_DEADLINE or a cpu.max quota it can be held there for a whole
 * period. So busy is retried for up to 3 s before it is reported.
 */
static void cg_rmdir(const char *dir)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
    long waited_ms = 0;

    while (rmdir(dir) != 0) {
        if (errno != EBUSY || waited_ms >= 3000) {
            LOG_WARN("cannot remove the cgroup %s: %s", dir, strerror(errno));
            return;
        }
        nanosleep(&pause, NULL);
        waited_ms += pause.tv_nsec / 1000000;
        if (pause.tv_nsec < 64000000)
            pause.tv_nsec *= 2;
    }
}

static bool file_has_word(const char *path, const char *word)
{
    char buf[512];
    FILE *f = fopen(path, "re");
    bool found = false;
    if (f == NULL)
        return false;
    while (!found && fscanf(f, "%511s", buf) == 1)
        found = strcmp(buf, word) == 0;
    fclose(f);
    return found;
}

/* Finds the cgroup2 mount (with a cpu controller) or the v1 cpu hierarchy. */
static void cg_detect(void)
{
    char line[4096], v1_mount[PATH_MAX] = "", v2_mount[PATH_MAX] = "";
    FILE *f = fopen("/proc/self/mountinfo", "re");

    proc_cg.cg = CG_NONE;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char mnt[PATH_MAX], *sep = strstr(line, " - ");
        if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
            continue;
        char fstype[32], source[64], opts[1024];
        if (sscanf(sep + 3, "%31s %63s %1023s", fstype, source, opts) != 3)
            continue;
        if (strcmp(fstype, "cgroup2") == 0 && v2_mount[0] == '\0') {
            snprintf(v2_mount, sizeof(v2_mount), "%s", mnt);
        } else if (strcmp(fstype, "cgroup") == 0 && v1_mount[0] == '\0') {
            char *save = NULL;
            for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (strcmp(o, "cpu") == 0)
                    snprintf(v1_mount, sizeof(v1_mount), "%s", mnt);
            }
        }
    }
    fclose(f);

    f = fopen("/proc/self/cgroup", "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c1 = *c2 = '\0'; /* "ID:CONTROLLERS:PATH" */
        const char *ctrls = c1 + 1, *path = c2 + 1;
        char ctl[PATH_MAX + 32];
        if (strcmp(line, "0") == 0 && *ctrls == '\0' && v2_mount[0] != '\0') {
            snprintf(proc_cg.base, sizeof(proc_cg.base), "%s%s", v2_mount,
                     strcmp(path, "/") == 0 ? "" : path);
            snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", proc_cg.base);
            if (file_has_word(ctl, "cpu")) {
                proc_cg.cg = CG_V2;
                break;
            }
        } else if (v1_mount[0] != '\0' && strstr(ctrls, "cpu") != NULL) {
            char copy[256], *save = NULL;
            snprintf(copy, sizeof(copy), "%s", ctrls);
            for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (strcmp(o, "cpu") == 0) {
                    snprintf(proc_cg.base, sizeof(proc_cg.base), "%s%s", v1_mount,
                             strcmp(path, "/") == 0 ? "" : path);
                    proc_cg.cg = CG_V1;
                }
            }
        }
    }
    fclose(f);
}

/*
 * v2: the process moves into a cgroup of its own, the vCPUs into threaded
 * children. Under proc_cg.lock.
 */
static int cg_prepare(void)
{
    char num[32];
    int r;

    if (proc_cg.cg == CG_UNKNOWN)
        cg_detect();
    if (proc_cg.cg == CG_NONE) {
        LOG_ERR("a budget or weight needs the CPU controller of a cgroup, and this host mounts "
                "none (mount -t cgroup2 none /sys/fs/cgroup), or give the vCPU no pcpus so "
                "that SCHED_DEADLINE can carry its budget");
        return -STDVMM_ENOTSUP;
    }
    if (proc_cg.cg == CG_V1 || proc_cg.moved)
        return 0;
    r = write_file(proc_cg.base, "cgroup.subtree_control", "+cpu");
    if (r < 0) {
        LOG_ERR("cannot enable the cpu controller below %s: %s; run stdvmm in a cgroup of its "
                "own with the cpu controller delegated (e.g. systemd-run --scope -p "
                "Delegate=yes)",
                proc_cg.base, strerror(-r));
        return -STDVMM_EPERM;
    }
    snprintf(proc_cg.vm, sizeof(proc_cg.vm), "%s/stdvmm-%ld", proc_cg.base, (long)getpid());
    if (mkdir(proc_cg.vm, 0755) != 0 && errno != EEXIST) {
        LOG_ERR("cannot create the cgroup %s: %s", proc_cg.vm, strerror(errno));
        return -STDVMM_EPERM;
    }
    snprintf(num, sizeof(num), "%ld", (long)getpid());
    r = write_file(proc_cg.vm, "cgroup.procs", num);
    if (r < 0) {
        LOG_ERR("cannot move the VMM into %s: %s", proc_cg.vm, strerror(-r));
        rmdir(proc_cg.vm);
        return -STDVMM_EPERM;
    }
    proc_cg.moved = true;
    return 0;
}

/*
 * The cgroup of one of this VM's kinds of thread (leaf "vcpuN", "devices");
 * a second VM in the process gets its own names beside the first's.
 */
static void cg_path(const struct sched_policy *sp, const char *leaf, char *out, size_t size)
{
    char vm[16] = "";

    if (sp->ordinal != 0)
        snprintf(vm, sizeof(vm), "vm%u-", sp->ordinal);
    if (proc_cg.cg == CG_V2)
        snprintf(out, size, "%s/%s%s", proc_cg.vm, vm, leaf);
    else
        snprintf(out, size, "%s/stdvmm-%ld-%s%s", proc_cg.base, (long)getpid(), vm, leaf);
}

static void cg_dir(const struct sched_policy *sp, unsigned i, char *out, size_t size)
{
    char leaf[16];
    snprintf(leaf, sizeof(leaf), "vcpu%u", i);
    cg_path(sp, leaf, out, size);
}

/* The process's cgroup is made ready and counts this policy among its users. */
static int cg_join(struct sched_policy *sp)
{
    pthread_mutex_lock(&proc_cg.lock);
    int r = cg_prepare();
    if (r == 0 && !sp->uses_cg) {
        sp->uses_cg = true;
        proc_cg.users++;
    }
    pthread_mutex_unlock(&proc_cg.lock);
    return r;
}

/* Puts vCPU i's thread into its own cgroup and sets its quota and weight. */
static int cg_apply(struct sched_policy *sp, unsigned i, const struct vcpu_sched *s, bool quota)
{
    char dir[PATH_MAX + 64], text[64];

    int r = cg_join(sp);
    if (r < 0)
        return r;
    cg_dir(sp, i, dir, sizeof(dir));
    if (!sp->in_cgroup[i]) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            LOG_ERR("cannot create the cgroup %s: %s", dir, strerror(errno));
            return -STDVMM_EPERM;
        }
        if (proc_cg.cg == CG_V2) {
            r = write_file(dir, "cgroup.type", "threaded");
            if (r == 0)
                r = write_file(proc_cg.vm, "cgroup.subtree_control", "+cpu");
        }
        snprintf(text, sizeof(text), "%ld", (long)sp->tid[i]);
        if (r == 0)
            r = write_file(dir, proc_cg.cg == CG_V2 ? "cgroup.threads" : "tasks", text);
        if (r < 0) {
            LOG_ERR("cannot put vCPU %u's thread into the cgroup %s: %s", i, dir, strerror(-r));
            return -STDVMM_EPERM;
        }
        sp->in_cgroup[i] = true;
    }
    if (proc_cg.cg == CG_V2) {
        if (quota)
            snprintf(text, sizeof(text), "%llu %llu",
                     (unsigned long long)(s->runtime_ns / 1000),
                     (unsigned long long)(s->period_ns / 1000));
        else
            snprintf(text, sizeof(text), "max 100000");
        r = write_file(dir, "cpu.max", text);
        if (r == 0) {
            snprintf(text, sizeof(text), "%u", s->weight ? s->weight : PLACEMENT_DEFAULT_WEIGHT);
            r = write_file(dir, "cpu.weight", text);
        }
    } else {
        /* v1 refuses a quota below the current period's minimum; set the period first. */
        snprintf(text, sizeof(text), "%llu",
                 (unsigned long long)(quota ? s->period_ns / 1000 : 100000));
        r = write_file(dir, "cpu.cfs_period_us", text);
        snprintf(text, sizeof(text), "%lld", quota ? (long long)(s->runtime_ns / 1000) : -1ll);
        if (r == 0)
            r = write_file(dir, "cpu.cfs_quota_us", text);
        snprintf(text, sizeof(text), "%llu",
                 (unsigned long long)placement_weight_to_shares(s->weight));
        if (r == 0)
            r = write_file(dir, "cpu.shares", text);
    }
    if (r < 0) {
        LOG_ERR("cannot set the CPU quota/weight of %s: %s (is the kernel built with "
                "CONFIG_CFS_BANDWIDTH?)",
                dir, strerror(-r));
        return -STDVMM_EIO;
    }
    return 0;
}

/* The device threads' cgroup, beside the vCPUs'. */
static void cg_workers_dir(const struct sched_policy *sp, char *out, size_t size)
{
    cg_path(sp, "devices", out, size);
}

/* The sum of the vCPUs' budgets per 100 ms, in microseconds; 0 if a vCPU has none. */
static uint64_t workers_quota_us(const struct sched_policy *sp)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < sp->vcpus; i++) {
        const struct vcpu_sched *s = &sp->p.vcpu[i];
        if (s->runtime_ns == 0 || s->period_ns == 0)
            return 0;
        sum += s->runtime_ns * 100000u / s->period_ns;
    }
    return sum;
}

/* Writes the workers' quota: the vCPUs' sum, or none. Under sp->lock. */
static int cg_workers_quota(struct sched_policy *sp)
{
    char dir[PATH_MAX + 64], text[64];
    uint64_t q = workers_quota_us(sp);
    int r;

    cg_workers_dir(sp, dir, sizeof(dir));
    if (proc_cg.cg == CG_V2) {
        if (q != 0)
            snprintf(text, sizeof(text), "%llu 100000", (unsigned long long)q);
        else
            snprintf(text, sizeof(text), "max 100000");
        r = write_file(dir, "cpu.max", text);
    } else {
        r = write_file(dir, "cpu.cfs_period_us", "100000");
        snprintf(text, sizeof(text), "%lld", q != 0 ? (long long)q : -1ll);
        if (r == 0)
            r = write_file(dir, "cpu.cfs_quota_us", text);
    }
    if (r < 0)
        LOG_WARN("cannot set the device threads' CPU quota in %s: %s", dir, strerror(-r));
    return r;
}

void sched_policy_workers(struct sched_policy *sp, const pid_t *tids, unsigned n)
{
    char dir[PATH_MAX + 64], text[32];

    if (sp == NULL)
        return;
    pthread_mutex_lock(&sp->lock);
    if (!sp->workers_cg && workers_quota_us(sp) == 0) {
        pthread_mutex_unlock(&sp->lock);
        return; /* a vCPU without a budget: the VM is not held, nor are its devices */
    }
    pthread_mutex_lock(&proc_cg.lock);
    if (proc_cg.cg == CG_UNKNOWN)
        cg_detect();
    bool none = proc_cg.cg == CG_NONE;
    pthread_mutex_unlock(&proc_cg.lock);
    if (none) { /* cg_prepare's refusal speaks of vCPUs; this is not one */
        LOG_WARN("the VM's device threads are not held to its vCPUs' budget: no cgroup with a "
                 "CPU controller here (a jail has none)");
        pthread_mutex_unlock(&sp->lock);
        return;
    }
    int r = cg_join(sp);
    cg_workers_dir(sp, dir, sizeof(dir));
    if (r == 0 && !sp->workers_cg) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            r = -errno;
        else if (proc_cg.cg == CG_V2 && (r = write_file(dir, "cgroup.type", "threaded")) == 0)
            r = write_file(proc_cg.vm, "cgroup.subtree_control", "+cpu");
        sp->workers_cg = r == 0;
    }
    if (r == 0)
        r = cg_workers_quota(sp);
    for (unsigned i = 0; r == 0 && i < n; i++) {
        snprintf(text, sizeof(text), "%ld", (long)tids[i]);
        r = write_file(dir, proc_cg.cg == CG_V2 ? "cgroup.threads" : "tasks", text);
    }
    if (r < 0)
        LOG_WARN("the VM's device threads are not held to its vCPUs' budget (cgroup %s: %s); "
                 "they may use more CPU than its vCPUs",
                 dir, strerror(-r));
    else
        LOG_DEBUG("%u device threads in %s", n, dir);
    pthread_mutex_unlock(&sp->lock);
}

/* ---- one vCPU ---- */

static int set_attr(pid_t tid, uint32_t policy, uint32_t prio, const struct vcpu_sched *s)
{
    struct kernel_sched_attr a = {.size = sizeof(a), .sched_policy = policy,
                                  .sched_priority = prio};
    if (policy == SCHED_DEADLINE) {
        a.sched_runtime = s->runtime_ns;
        a.sched_deadline = s->period_ns;
        a.sched_period = s->period_ns;
    }
    return syscall(SYS_sched_setattr, tid, &a, 0) == 0 ? 0 : -errno;
}

static void effective_set(const struct sched_policy *sp, unsigned i, cpu_set_t *out)
{
    const struct vcpu_sched *s = &sp->p.vcpu[i];

    if (s->kind != PLACEMENT_FLOATING) {
        to_cpu_set(&s->pcpus, out);
        CPU_AND(out, out, &sp->host);
        return;
    }
    /* Floating vCPUs keep off the pCPUs the VM's other vCPUs own. */
    *out = sp->host;
    for (unsigned j = 0; j < sp->vcpus; j++) {
        if (j == i || sp->p.vcpu[j].kind != PLACEMENT_DEDICATED)
            continue;
        cpu_set_t d, rest;
        to_cpu_set(&sp->p.vcpu[j].pcpus, &d);
        CPU_XOR(&rest, out, &d);
        CPU_AND(&rest, &rest, out);
        if (CPU_COUNT(&rest) > 0)
            *out = rest;
    }
}

static int apply(struct sched_policy *sp, unsigned i)
{
    const struct vcpu_sched *s = &sp->p.vcpu[i];
    pid_t tid = sp->tid[i];
    cpu_set_t set;
    int r;

    if (tid == 0)
        return 0;
    effective_set(sp, i, &set);
    /* A reservation that stays a reservation changes in place. Leaving
     * SCHED_DEADLINE for the moment of the change is not harmless: a thread
     * that leaves while throttled can come back throttled with its
     * replenishment timer already spent, and then never runs (CI saw a busy
     * vCPU get 0 ticks in 6 s after a budget change). */
    if (sp->mech[i] == MECH_DEADLINE && s->runtime_ns != 0 && CPU_COUNT(&set) == get_nprocs() &&
        set_attr(tid, SCHED_DEADLINE, 0, s) == 0)
        return s->weight != 0 || sp->in_cgroup[i] ? cg_apply(sp, i, s, false) : 0;
    set_attr(tid, SCHED_OTHER, 0, s); /* a deadline thread's affinity cannot change */
    sp->mech[i] = MECH_NONE;
    if (CPU_COUNT(&set) == 0) {
        char want[256];
        placement_cpuset_format(&s->pcpus, want, sizeof(want));
        LOG_ERR("vCPU %u: none of pCPUs %s is available to this VMM (offline, or outside its "
                "cpuset/host_cpus)",
                i, want);
        return -STDVMM_EINVAL;
    }
    if (sched_setaffinity(tid, sizeof(set), &set) != 0) {
        LOG_ERR("vCPU %u: cannot set the thread's affinity: %s", i, strerror(errno));
        return -STDVMM_EINVAL;
    }
    bool cg_quota = false;
    if (s->runtime_ns != 0) {
        if (CPU_COUNT(&set) == get_nprocs()) {
            r = set_attr(tid, SCHED_DEADLINE, 0, s);
            if (r == 0) {
                sp->mech[i] = MECH_DEADLINE;
            } else if (s->priority >= 0) {
                LOG_ERR("vCPU %u: SCHED_DEADLINE refused (%s): the deadline bandwidth of the "
                        "host is used up (see /proc/sys/kernel/sched_rt_runtime_us)",
                        i, strerror(-r));
                return -STDVMM_EBUSY;
            } else {
                LOG_INFO("vCPU %u: SCHED_DEADLINE refused (%s); the budget is a cgroup quota", i,
                         strerror(-r));
                cg_quota = true;
            }
        } else if (s->priority >= 0) {
            LOG_ERR("vCPU %u: a priority together with a budget needs SCHED_DEADLINE, which Linux "
                    "only allows on a thread that may run on every CPU; give this vCPU no pcpus, "
                    "or drop the priority (the budget then is a cgroup quota)",
                    i);
            return -STDVMM_ENOTSUP;
        } else {
            cg_quota = true;
        }
    } else if (s->priority >= 0) {
        int prio = placement_linux_rt_priority(s->priority);
        r = set_attr(tid, s->rt == PLACEMENT_RT_RR ? SCHED_RR : SCHED_FIFO, (uint32_t)prio, s);
        if (r < 0) {
            LOG_ERR("vCPU %u: cannot make the thread real-time (priority %d -> Linux %d): %s; "
                    "run stdvmm with CAP_SYS_NICE",
                    i, s->priority, prio, strerror(-r));
            return -STDVMM_EPERM;
        }
        sp->mech[i] = MECH_RT;
    }
    if (cg_quota || s->weight != 0 || sp->in_cgroup[i]) {
        r = cg_apply(sp, i, s, cg_quota);
        if (r < 0)
            return r;
        if (cg_quota)
            sp->mech[i] = MECH_CGROUP;
    }
    return 0;
}

/* ---- life cycle ---- */

int sched_policy_check(const struct vmm_placement *p, unsigned vcpus)
{
    struct stdvmm_error err;

    if (placement_check_vm(p, vcpus, &err) < 0) {
        LOG_ERR("placement: %s", err.msg);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = vcpus; i < PLACEMENT_MAX_VCPUS; i++) {
        if ((p->named >> i) & 1) {
            LOG_ERR("placement: vcpu %u is placed, but the VM has %u vCPUs (0-%u)", i, vcpus,
                    vcpus - 1);
            return -STDVMM_EINVAL;
        }
    }
    return 0;
}

int sched_policy_start(struct sched_policy **out, const struct vmm_placement *p, unsigned vcpus)
{
    *out = NULL;
    if (p == NULL)
        return 0;
    if (sched_policy_check(p, vcpus) < 0)
        return -STDVMM_EINVAL;
    struct sched_policy *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return -STDVMM_ENOMEM;
    pthread_mutex_init(&sp->lock, NULL);
    sp->p = *p;
    sp->vcpus = vcpus;
    sched_getaffinity(0, sizeof(sp->host), &sp->host);
    pthread_mutex_lock(&proc_cg.lock);
    sp->ordinal = proc_cg.next_ordinal++;
    pthread_mutex_unlock(&proc_cg.lock);

    if (p->has_vmm_threads) {
        cpu_set_t set;
        to_cpu_set(&p->vmm_threads, &set);
        CPU_AND(&set, &set, &sp->host);
        /* Threads made from now on (console, devices, API) inherit this. */
        if (CPU_COUNT(&set) == 0 || sched_setaffinity(0, sizeof(set), &set) != 0) {
            char want[256];
            placement_cpuset_format(&p->vmm_threads, want, sizeof(want));
            LOG_ERR("vmm_threads: cannot run the VMM's threads on pCPUs %s (offline, or "
                    "outside the CPUs this process may use)",
                    want);
            sched_policy_stop(sp);
            return -STDVMM_EINVAL;
        }
    }
    *out = sp;
    return 0;
}

int sched_policy_vcpu_enter(struct sched_policy *sp, unsigned index)
{
    int r = 0;

    if (sp == NULL)
        return 0;
    pthread_mutex_lock(&sp->lock);
    if (index < sp->vcpus) {
        sp->tid[index] = gettid_();
        r = apply(sp, index);
    }
    pthread_mutex_unlock(&sp->lock);
    return r;
}

void sched_policy_vcpu_leave(struct sched_policy *sp, unsigned index)
{
    if (sp == NULL)
        return;
    pthread_mutex_lock(&sp->lock);
    if (index < sp->vcpus)
        sp->tid[index] = 0;
    pthread_mutex_unlock(&sp->lock);
}

void sched_policy_stop(struct sched_policy *sp)
{
    char dir[PATH_MAX + 64], num[32];
    bool last = false;

    if (sp == NULL)
        return;
    pthread_mutex_lock(&sp->lock);
    pthread_mutex_lock(&proc_cg.lock);
    if (sp->uses_cg)
        last = --proc_cg.users == 0;
    if (last && proc_cg.moved) {
        snprintf(num, sizeof(num), "%ld", (long)getpid());
        write_file(proc_cg.base, "cgroup.procs", num);
    }
    for (unsigned i = 0; i < sp->vcpus; i++) {
        if (!sp->in_cgroup[i])
            continue;
        cg_dir(sp, i, dir, sizeof(dir));
        cg_rmdir(dir);
    }
    if (sp->workers_cg) {
        cg_workers_dir(sp, dir, sizeof(dir));
        cg_rmdir(dir);
    }
    if (last && proc_cg.moved) {
        cg_rmdir(proc_cg.vm);
        proc_cg.moved = false;
    }
    pthread_mutex_unlock(&proc_cg.lock);
    pthread_mutex_unlock(&sp->lock);
    pthread_mutex_destroy(&sp->lock);
    free(sp);
}

/* ---- run time ---- */

int sched_policy_vcpu_set(struct sched_policy *sp, unsigned index, const char *spec,
                          struct stdvmm_error *err)
{
    int r;

    if (sp == NULL)
        return stdvmm_error_set(err, STDVMM_EINVAL, "no vCPU %u (this VM has 0)", index);
    pthread_mutex_lock(&sp->lock);
    if (index >= sp->vcpus) {
        pthread_mutex_unlock(&sp->lock);
        return stdvmm_error_set(err, STDVMM_EINVAL, "no vCPU %u (this VM has %u)", index,
                                sp->vcpus);
    }
    struct vcpu_sched old = sp->p.vcpu[index];
    if (placement_apply_spec(&sp->p.vcpu[index], spec, err) < 0 ||
        placement_check_vm(&sp->p, sp->vcpus, err) < 0) {
        sp->p.vcpu[index] = old;
        pthread_mutex_unlock(&sp->lock);
        return -STDVMM_EINVAL;
    }
    r = apply(sp, index);
    if (r < 0) {
        stdvmm_error_set(err, -r,
                         "the host refused it (%s; the VMM's log says why); vCPU %u is back "
                         "to its previous placement",
                         stdvmm_strerror(r), index);
        sp->p.vcpu[index] = old;
        apply(sp, index);
    } else {
        char now[512];
        placement_format_sched(&sp->p.vcpu[index], now, sizeof(now));
        LOG_INFO("vCPU %u: placement now %s", index, now);
        if (sp->workers_cg)
            cg_workers_quota(sp);
    }
    pthread_mutex_unlock(&sp->lock);
    return r;
}

static json_t *vcpu_json(const struct sched_policy *sp, unsigned i)
{
    char text[512], cur[256] = "";
    cpu_set_t set;
    struct placement_cpuset ps;

    placement_format_sched(&sp->p.vcpu[i], text, sizeof(text));
    if (sp->tid[i] != 0 && sched_getaffinity(sp->tid[i], sizeof(set), &set) == 0) {
        from_cpu_set(&set, &ps);
        placement_cpuset_format(&ps, cur, sizeof(cur));
    }
    return json_pack("{s:I, s:s, s:I, s:s, s:s}", "vcpu", (json_int_t)i, "placement", text, "tid",
                     (json_int_t)sp->tid[i], "mechanism", mech_names[sp->mech[i]], "affinity", cur);
}

json_t *sched_policy_api(struct sched_policy *sp, const char *line, size_t len,
                         struct stdvmm_error *err)
{
    char buf[512];

    stdvmm_error_clear(err);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= sizeof(buf))
        return NULL;
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (strcmp(buf, "placement") == 0) {
        json_t *arr = json_array();
        if (sp != NULL) {
            pthread_mutex_lock(&sp->lock);
            for (unsigned i = 0; i < sp->vcpus; i++)
                json_array_append_new(arr, vcpu_json(sp, i));
            pthread_mutex_unlock(&sp->lock);
        }
        return json_pack("{s:b, s:o}", "ok", 1, "vcpus", arr);
    }
    if (strncmp(buf, "vcpu ", 5) != 0)
        return NULL;
    const char *end;
    unsigned long long index;
    /* Bounded before the cast: 4294967296 used to truncate to vCPU 0. */
    if (!placement_parse_uint(buf + 5, PLACEMENT_MAX_VCPUS - 1, &index, &end) || *end != ' ') {
        stdvmm_error_set(err, STDVMM_EINVAL,
                         "expected: vcpu N pcpus=LIST,priority=P,budget=R/P,weight=W with N a "
                         "vCPU index 0-%d",
                         PLACEMENT_MAX_VCPUS - 1);
        return NULL;
    }
    if (sp == NULL) {
        stdvmm_error_set(err, STDVMM_EINVAL,
                         "placement is not active in this VMM (it was started without one)");
        return NULL;
    }
    if (sched_policy_vcpu_set(sp, (unsigned)index, end + 1, err) < 0)
        return NULL;
    pthread_mutex_lock(&sp->lock);
    json_t *v = vcpu_json(sp, (unsigned)index);
    pthread_mutex_unlock(&sp->lock);
    return json_pack("{s:b, s:o}", "ok", 1, "vcpu", v);
}
