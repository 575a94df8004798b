/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The main thread's own needs. A guest reset rebuilds the whole VM in the
 * same process (docs/architecture.md, "A VM's life"), so the main thread
 * keeps what building takes: opening /dev/kvm again, any KVM ioctl, new
 * eventfds and rings, new threads. Nothing here is in the vCPU, device or
 * API threads' lists; with the jail the files it can open are the jail's.
 */
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>

#include "seccomp_lists.h"

static const struct sc_rule build_rules[] = {
    /* /dev/kvm and /proc/cpuinfo on each build; /sys/module/kvm_pvm is probed. */
    SC("open"), SC("openat"), SC("access"), SC("faccessat"), SC("faccessat2"),
    SC("ioctl"), SC("eventfd2"), SC("pipe2"), SC("dup"), SC("dup3"),
    /* The control socket's file goes when the VMM ends. */
    SC("unlink"), SC("unlinkat"),
    /* vhost-user: guest RAM as a memfd, to hand its descriptor to the backend. */
    SC("memfd_create"), SC("ftruncate"),
};
SC_LIST(sc_build, "build", build_rules);

static const struct sc_rule thread_rules[] = {
    /* pthread_create: threads only, never a new process. */
    SC_IF_MASKED("clone", 0, CLONE_THREAD, CLONE_THREAD),
    SC("rt_sigaction"),
    /*
     * Before a new thread loads its own filter it runs under this one:
     * naming itself, and loading that filter.
     */
    SC_IF("prctl", 0, PR_SET_NAME),
    SC_IF("seccomp", 0, SECCOMP_SET_MODE_FILTER),
};
SC_LIST(sc_threads, "threads", thread_rules);

/*
 * vCPU placement (src/sched): affinity, real-time and deadline policies,
 * and the cgroup files of budgets, at a vCPU thread's start (before its
 * own filter), from the control socket, and when the VMM ends.
 */
static const struct sc_rule placement_rules[] = {
    SC("open"), SC("openat"), SC("mkdir"), SC("mkdirat"), SC("rmdir"), SC("unlinkat"),
    SC("sched_setaffinity"), SC("sched_getaffinity"), SC("sched_setattr"),
    SC("sched_getattr"), SC("sched_setscheduler"), SC("sched_getscheduler"),
    SC("sched_getparam"), SC("sched_setparam"),
};
SC_LIST(sc_placement, "placement", placement_rules);
