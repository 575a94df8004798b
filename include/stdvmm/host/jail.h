/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The jail of a VMM started as root (src/host/linux/jail.c), in the idiom
 * of Firecracker's jailer: a cgroup v2 of its own with memory.max and
 * pids.max, new mount, pid, IPC and UTS namespaces (and network, when no
 * device needs the host's), pivot_root into a directory holding only what
 * the VM reaches by path, rlimits, and an unprivileged uid/gid of its own
 * with no capabilities. Everything the VM reads or writes through a
 * descriptor (kernel and initramfs in memory, disks, TAP, sockets, the
 * console log's directory) is opened before, outside.
 */
#ifndef STDVMM_HOST_JAIL_H
#define STDVMM_HOST_JAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/host/sandbox.h"

/* Where uids of jails start when none is given: far above people's and containers' ranges. */
#define HOST_JAIL_ID_BASE 900000000u
/* The vsock socket's directory and each vhost-user socket's (src/runtime/vmm.c). */
#define HOST_JAIL_MAX_BINDS 20

struct host_jail {
    const char *dir;  /* the new root (created; a fresh tmpfs is mounted there) */
    const char *name; /* the VM: its hostname and cgroup */
    unsigned uid, gid; /* 0: HOST_JAIL_ID_BASE + this process's pid */
    uint64_t memory_max; /* the cgroup's memory.max; 0: none */
    unsigned pids_max;   /* the cgroup's pids.max; 0: none */
    uint64_t fsize_max;  /* RLIMIT_FSIZE */
    unsigned nofile_max; /* RLIMIT_NOFILE */
    bool host_net;       /* a device uses the host's network (libslirp): no new network namespace */
    bool resolv_conf;    /* copy /etc/resolv.conf in (libslirp's DNS reads it) */
    bool dev_kvm;        /* /dev/kvm inside (each reboot opens it again) */
    const char *binds[HOST_JAIL_MAX_BINDS]; /* host directories the VM reaches by path, same path */
    unsigned bind_count;
    enum host_seccomp_mode seccomp; /* for the supervisor that stays outside the pid namespace */
};

/*
 * Puts this process into the cgroup /sys/fs/cgroup/stdvmm/NAME with the
 * jail's memory.max and pids.max. Without cgroup v2 there it says so and
 * returns 0: the VM then runs uncapped. Before any thread, and before the
 * placement's own cgroups.
 */
int host_jail_cgroup(const struct host_jail *j);

/*
 * Enters the jail. The calling process forks: the child, pid 1 of a new
 * pid namespace, returns 0 from here, jailed, as the jail's uid, with no
 * capabilities; the parent stays outside as a supervisor with the same
 * uid and a seccomp filter of its own, forwards SIGTERM, SIGINT and SIGHUP
 * to the child and ends as the child ends (the same status or signal). No
 * thread may exist yet. A negative errno when the jail cannot be made.
 */
int host_jail_enter(const struct host_jail *j);

#endif
