/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's seccomp sandbox (Linux host layer, src/host/linux/sandbox.c).
 * Every thread of a VMM runs under an allow-list of system calls for its
 * kind; a call outside it stops the whole process with SIGSYS after one
 * log line naming the call. The lists are in src/host/linux/seccomp_*.c,
 * one file per concern; docs/security.md explains them.
 */
#ifndef STDVMM_HOST_SANDBOX_H
#define STDVMM_HOST_SANDBOX_H

#include <stdbool.h>

enum host_seccomp_mode {
    HOST_SECCOMP_KILL = 0, /* a forbidden call: log line, then SIGSYS for the process */
    HOST_SECCOMP_LOG,      /* a forbidden call runs; the kernel logs it (audit) */
    HOST_SECCOMP_OFF,      /* no filter (no_new_privs still set): for debugging */
};

/*
 * The kinds of threads, each with its own list. Filters stack: a thread
 * inherits its creator's filter and adds its own, so what a vCPU or device
 * thread may do is its list intersected with the main thread's.
 */
enum host_thread_kind {
    HOST_THREAD_MAIN,       /* builds and rebuilds the VM, starts the other threads */
    HOST_THREAD_VCPU,       /* runs a vCPU and the device registers it traps on */
    HOST_THREAD_DEVICE,     /* a device's event loop: virtqueues and their backends */
    HOST_THREAD_API,        /* the per-VM control socket */
    HOST_THREAD_SUPERVISOR, /* a jail's parent outside the pid namespace (host/jail.h) */
    HOST_THREAD_SWITCH,     /* stdvmm-switch, once its sockets listen (one thread) */
    HOST_THREAD_KINDS
};

/* What this VM's devices need beyond every VMM's lists (host_sandbox_init's needs). */
enum {
    HOST_SANDBOX_INET = 1u << 0,   /* libslirp: the guest's TCP/UDP as host sockets */
    HOST_SANDBOX_UNIX = 1u << 1,   /* vsock, vhost-user: connect to Unix sockets */
    HOST_SANDBOX_URING = 1u << 2,  /* disks with io_uring rings */
    /* vhost-user: a vCPU writing DRIVER_OK or a reset hands the rings over (socket messages) */
    HOST_SANDBOX_VHOST = 1u << 3,
};

/* "kill", "log", "off"; false for anything else. */
bool host_seccomp_parse_mode(const char *text, enum host_seccomp_mode *out);
const char *host_seccomp_mode_name(enum host_seccomp_mode mode);
const char *host_thread_kind_name(enum host_thread_kind kind);

/*
 * Sets no_new_privs (whatever the mode), installs the SIGSYS reporter and
 * builds every kind's filter. log_dir_fd, when not -1, is the directory of
 * the console log: the threads that write guest output may create and
 * rename files relative to it (rotation), and nowhere else. Call once,
 * before the first host_sandbox_enter; 0 or a negative errno.
 */
int host_sandbox_init(enum host_seccomp_mode mode, unsigned needs, int log_dir_fd);

/*
 * Loads the calling thread's filter. A VMM that asked for a sandbox must
 * not run without one, so a failure ends the process (exit status 1).
 * No-op before host_sandbox_init and with HOST_SECCOMP_OFF.
 */
void host_sandbox_enter(enum host_thread_kind kind);

/*
 * For tests: builds one kind's filter without loading it and reports
 * whether syscall `name` is allowed unconditionally, under a condition on
 * its arguments, or not at all (and -1 when the name is unknown here).
 */
enum host_sandbox_verdict { HOST_SANDBOX_DENIED, HOST_SANDBOX_ALLOWED, HOST_SANDBOX_CONDITIONAL };
int host_sandbox_verdict(enum host_thread_kind kind, unsigned needs, const char *name);

#endif
