/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp allow-lists, one file per concern (seccomp_*.c), and how
 * sandbox.c composes them per thread kind. A rule names a system call by
 * its name, so one table serves every architecture: a name the running
 * architecture lacks (open on arm64) is skipped, and the unit test checks
 * that every name exists on x86_64 or arm64.
 *
 * To allow something new (the vhost-user frontend, say): add its rules to
 * the file of its concern, or a new file and a line in sandbox.c's
 * composition, and keep each rule as narrow as its arguments allow.
 */
#ifndef STDVMM_SECCOMP_LISTS_H
#define STDVMM_SECCOMP_LISTS_H

#include <stddef.h>
#include <stdint.h>

enum sc_cond {
    SC_ANY,        /* allowed with any arguments */
    SC_ARG_EQ,     /* allowed when argument `arg` equals value */
    SC_ARG_MASKED, /* allowed when (argument & mask) == value */
    SC_ARG_LOGDIR, /* allowed when argument `arg` (and `value`, when not 0) is the console
                      log's directory descriptor */
    SC_ARG_SELF,   /* allowed when argument `arg` is this process's pid (tgkill) */
    SC_ERRNO,      /* fails with errno `value` instead of stopping the VMM */
};

struct sc_rule {
    const char *name;
    enum sc_cond cond;
    unsigned arg;
    uint64_t value;
    uint64_t mask;
};

#define SC(n) {(n), SC_ANY, 0, 0, 0}
#define SC_IF(n, a, v) {(n), SC_ARG_EQ, (a), (uint64_t)(v), 0}
#define SC_IF_MASKED(n, a, m, v) {(n), SC_ARG_MASKED, (a), (uint64_t)(v), (uint64_t)(m)}
#define SC_LOGDIR(n, a) {(n), SC_ARG_LOGDIR, (a), 0, 0}
#define SC_LOGDIR2(n, a, b) {(n), SC_ARG_LOGDIR, (a), (b), 0}
/* The kernel reads an ioctl's request as 32 bits; callers may sign-extend it. */
#define SC_IOCTL(req) SC_IF_MASKED("ioctl", 1, 0xffffffffu, (req))
#define SC_SELF(n, a) {(n), SC_ARG_SELF, (a), 0, 0}
#define SC_FAIL(n, e) {(n), SC_ERRNO, 0, (uint64_t)(e), 0}

struct sc_list {
    const char *concern;
    const struct sc_rule *rules;
    size_t count;
};

#define SC_LIST(var, concern, arr)                                                               \
    const struct sc_list var = {(concern), (arr), sizeof(arr) / sizeof((arr)[0])}

/* seccomp_base.c: what every thread does through libc: memory, locks, time, logging, exit. */
extern const struct sc_list sc_base;
/* seccomp_main.c: building a VM again on reboot, starting threads, placement, signals. */
extern const struct sc_list sc_build;
extern const struct sc_list sc_threads;
extern const struct sc_list sc_placement;
/* seccomp_kvm.c: KVM ioctls a running VM needs, by who makes them. */
extern const struct sc_list sc_kvm_vcpu;
extern const struct sc_list sc_kvm_irq;
/* seccomp_io.c: event loops, the console log, disks, io_uring, the rng. */
extern const struct sc_list sc_event;
extern const struct sc_list sc_console_log;
extern const struct sc_list sc_disk;
extern const struct sc_list sc_uring;
extern const struct sc_list sc_uring_setup;
/* seccomp_net.c: TAP, libslirp's host sockets, Unix sockets (vsock, vhost-user), the API. */
extern const struct sc_list sc_tap;
extern const struct sc_list sc_inet;
extern const struct sc_list sc_unix;
extern const struct sc_list sc_api;
/* seccomp_jail.c: a jail's supervisor, outside the pid namespace. */
extern const struct sc_list sc_supervisor;
extern const struct sc_list sc_switch;

#endif
