/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's VM records: one per VM of the description and per
 * instance, what each runs and its process, its status kept in the state
 * directory, and what the VMs holding resources use together. The state
 * directory layout is described in manager_vms.c.
 */
#ifndef STDVMM_MANAGER_MANAGER_VMS_H
#define STDVMM_MANAGER_MANAGER_VMS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manager_request.h"
#include "stdvmm/manager.h"
#include "stdvmm/system_config.h"

#define VM_API_TIMEOUT_MS 2000 /* a healthy VMM answers in microseconds */
/*
 * Paths below the state directory: it is short (its VM sockets must fit the
 * 108 bytes of sun_path, checked in claim_state_dir), so these always fit.
 */
#define STATE_DIR_MAX 108
#define VM_DIR_MAX (STATE_DIR_MAX + 8 + SYSCONF_NAME_MAX)
#define VM_PATH_MAX (VM_DIR_MAX + 32)

enum mgr_state {
    MGR_VM_STOPPED,    /* no process; not started or stopped on request */
    MGR_VM_RUNNING,    /* a VMM process runs the guest */
    MGR_VM_PAUSED,     /* its vCPUs are parked */
    MGR_VM_STOPPING,   /* asked to stop; escalates to SIGTERM, then SIGKILL */
    MGR_VM_RESTARTING, /* exited; started again after a backoff */
    MGR_VM_FAILED,     /* exited with an error and the policy gives up */
};
const char *mgr_state_name(enum mgr_state s);
/* Does this state hold (or reserve) its share of the bounds? */
bool mgr_state_holds_resources(enum mgr_state s);

enum stop_phase { STOP_NONE, STOP_GRACEFUL, STOP_TERM, STOP_KILL };

struct mgr_vm {
    char name[SYSCONF_NAME_MAX + 1];
    const struct sysconf_vm *def; /* the description's entry (an instance's definition) */
    struct sysconf_vm cfg;        /* what runs: def, or an instance of it */
    struct sysconf_arena *arena;  /* strings of cfg that def does not hold */
    bool instance;
    unsigned slot; /* instance number n: the "{n}" in paths, CID offset */
    char dir[VM_DIR_MAX];
    enum mgr_state state;
    pid_t pid;
    uint64_t start_time; /* /proc start time of pid */
    bool child;          /* started by this manager process (waitpid works) */
    int pidfd;           /* adopted: readable when the process exits */
    int watch_fd;        /* adopted: carries the exit status */
    int watch_status;    /* read from watch_fd; -1 none */
    unsigned restarts;   /* automatic restarts since the last requested start */
    unsigned starts;
    unsigned backoff;
    int last_exit; /* -1: none yet */
    char last_reason[128];
    bool stop_requested;     /* the exit is wanted: no restart */
    bool restart_after_stop; /* a restart request: start again after the exit */
    enum stop_phase stop_phase;
    int64_t deadline; /* ms: next stop escalation, or the restart time; 0: none */
    int64_t started_ms;
    bool has_status; /* status.json existed: the VM ran under this state dir */
    char saved_state[16];
    /*
     * Run-time placement changes (PUT .../vcpus/N/placement): the placement
     * the VMM process with start time live_start_time runs. A new process
     * starts from cfg.placement again, so a record of an older one is stale.
     */
    struct vmm_placement *live;
    uint64_t live_start_time;
};

struct mgr_http;
struct mgr_network;

struct mgr {
    struct mgr_options opts;
    struct sysconf cfg;
    char state_dir[STATE_DIR_MAX];
    char stdvmm[PATH_MAX];
    struct mgr_vm **vms;
    unsigned vm_count;
    struct mgr_network *networks; /* manager_networks.h: one switch per description network */
    unsigned network_count;
    struct mgr_shared_region *shared; /* manager_shared.h: cfg.shared's memory and doorbells */
    int lock_fd;
    int signal_fd;
    struct mgr_http *http; /* manager_http.h */
    long clock_ticks;
    bool quit;
};

int64_t mgr_now_ms(void);
/* STATE/vms/NAME/LEAF */
void mgr_vm_file(const struct mgr_vm *vm, const char *leaf, char *out, size_t size);
/*
 * The directory of vm's ports on the networks' switches, STATE/sw/VM, and
 * the socket of its nets[index] there, STATE/sw/VM/K.sock. Not the VM's
 * own directory: a jailed VMM sees this one (only) at the same path, to
 * dial its port again after a switch restart (docs/security.md).
 */
void mgr_network_port_dir(const struct mgr *m, const struct mgr_vm *vm, char *out, size_t size);
void mgr_network_port_socket(const struct mgr *m, const struct mgr_vm *vm, unsigned index,
                             char *out, size_t size);
struct mgr_vm *mgr_find_vm(struct mgr *m, const char *name);
const struct sysconf_vm *mgr_find_definition(struct mgr *m, const char *name);
/* A VM record (a description's VM, or instance slot of def); NULL without memory. */
struct mgr_vm *mgr_add_vm(struct mgr *m, const char *name, const struct sysconf_vm *def,
                          bool instance, unsigned slot);
void mgr_remove_vm(struct mgr *m, struct mgr_vm *vm);
/* Every record, at the manager's end (the VMs keep running). */
void mgr_free_vms(struct mgr *m);
unsigned mgr_instance_count(struct mgr *m, const struct sysconf_vm *def);
bool mgr_slot_taken(struct mgr *m, const struct sysconf_vm *def, unsigned slot);
/* What the VMs holding resources (running, paused, stopping, restarting) use. */
struct mgr_usage mgr_usage_of(struct mgr *m);
/* mgr_bounds_fit against the current usage. */
int mgr_fits(struct mgr *m, const char *name, uint64_t memory, unsigned cpus,
             struct stdvmm_error *err);

/* status.json: state, restart count and last exit, kept across manager restarts. */
/*
 * The process that runs the VM: pid itself, or, when pid is a jail's
 * supervisor (stdvmm/host/jail.h), its one child, pid 1 of the jail.
 */
pid_t mgr_vmm_process(pid_t pid);
/*
 * A thread id the VMM reported (its placement), as the host sees it: a
 * jailed VMM reports the ids of its own pid namespace. tid when unknown.
 */
long mgr_host_tid(pid_t pid, long tid);

void mgr_save_status(const struct mgr_vm *vm);
void mgr_load_status(struct mgr_vm *vm);

#endif
