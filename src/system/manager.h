/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager (stdvmmd, the paper's "admin component", §4.2.1): starts one
 * `stdvmm run` process per VM, supervises it, restarts it by policy and
 * keeps every request within the bounds of the system description. It owns
 * no guest memory: a VM lives in its own VMM process, and keeps running if
 * the manager dies; a new manager re-adopts it from the state directory.
 *
 * Single-threaded: one poll loop serves the HTTP API (libmicrohttpd in
 * external-select mode), child exits (signalfd), adopted VMs (pidfd and
 * the VMM's `watch` connection) and timers (stop escalation, restart
 * backoff), so no state is ever shared between threads.
 *
 *   manager.c          VMs, their life cycle, bounds, restart policy
 *   manager_ops.c      the API operations on them, JSON replies
 *   manager_state.c    the state directory and adoption checks
 *   manager_request.c  parsing of API paths and bodies (pure; fuzzed)
 *   manager_api.c      HTTP: routes, JSON replies
 *   vm_client.c        client of a VMM's control socket (vm_api.c)
 */
#ifndef STDVMM_SYSTEM_MANAGER_H
#define STDVMM_SYSTEM_MANAGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stdvmm/system_config.h"
#include "vm_client.h"

/* ---- requests (manager_request.c) ---- */

#define MGR_BODY_MAX (64u * 1024)   /* request bodies; more is 413 */
#define MGR_STOP_TIMEOUT_DEFAULT 30 /* seconds the guest gets to power off */
#define MGR_STOP_TIMEOUT_MAX 3600
#define MGR_SERIAL_TAIL_DEFAULT 50 /* lines */
#define MGR_SERIAL_TAIL_MAX 10000
#define MGR_SERIAL_READ_MAX (1u << 20) /* bytes read back from the end of a log */

enum mgr_op {
    MGR_OP_LIST,        /* GET    /v1/vms */
    MGR_OP_CREATE,      /* POST   /v1/vms */
    MGR_OP_INFO,        /* GET    /v1/vms/NAME */
    MGR_OP_DELETE,      /* DELETE /v1/vms/NAME */
    MGR_OP_START,       /* POST   /v1/vms/NAME/start */
    MGR_OP_STOP,        /* POST   /v1/vms/NAME/stop */
    MGR_OP_RESTART,     /* POST   /v1/vms/NAME/restart */
    MGR_OP_PAUSE,       /* POST   /v1/vms/NAME/pause */
    MGR_OP_RESUME,      /* POST   /v1/vms/NAME/resume */
    MGR_OP_SERIAL,      /* GET    /v1/vms/NAME/serial */
    MGR_OP_SYSTEM,      /* GET    /v1/system */
    MGR_OP_DEFINITIONS, /* GET    /v1/definitions */
    MGR_OP_PLACEMENT,   /* GET    /v1/vms/NAME/placement */
    MGR_OP_VCPU_PLACEMENT, /* PUT /v1/vms/NAME/vcpus/INDEX/placement */
};

/* Result of routing: an operation, or an HTTP status and why not. */
struct mgr_route {
    enum mgr_op op;
    char name[SYSCONF_NAME_MAX + 1]; /* VM name for per-VM operations */
    unsigned vcpu;                   /* MGR_OP_VCPU_PLACEMENT: the vCPU index */
    int status;                      /* 0: routed; else 404 or 405 */
    const char *allow;               /* for 405: the methods the path takes */
    char error[160];
};

void mgr_route(const char *method, const char *url, struct mgr_route *out);

struct mgr_create_request {
    const char *definition;
    const char *name; /* NULL: DEFINITION-N */
    uint64_t memory;  /* 0: the definition's */
    unsigned cpus;    /* 0: the definition's */
    bool start;       /* default true */
};

struct mgr_stop_request {
    unsigned timeout; /* seconds before SIGTERM; default MGR_STOP_TIMEOUT_DEFAULT */
    bool force;       /* SIGTERM at once */
};

/*
 * Body parsers: 0, or -STDVMM_EINVAL with every problem in diags. The
 * parsed strings stay valid until mgr_body_free(). An empty body means
 * all defaults; start/pause/resume/delete take an empty body or {}.
 */
struct mgr_body {
    json_t *root;
};
int mgr_parse_create(const char *body, size_t len, struct mgr_body *keep,
                     struct mgr_create_request *out, struct sysconf_diags *diags);
int mgr_parse_stop(const char *body, size_t len, struct mgr_body *keep,
                   struct mgr_stop_request *out, struct sysconf_diags *diags);
int mgr_parse_empty(const char *body, size_t len, struct sysconf_diags *diags);
void mgr_body_free(struct mgr_body *keep);

/*
 * A placement change (PUT /v1/vms/NAME/vcpus/N/placement): the fields of a
 * placement entry (pcpus, dedicated, pool, priority, policy, budget,
 * weight), applied onto *s, which holds the vCPU's current placement: a
 * field not named keeps its value, null clears it (pcpus: anywhere,
 * priority: time-shared, budget: none, weight: default). 0, or
 * -STDVMM_EINVAL with every problem in diags.
 */
int mgr_parse_placement(const char *body, size_t len, struct vcpu_sched *s,
                        struct sysconf_diags *diags);

/* "?lines=N": N within 1..max, or the default when absent; false on junk. */
bool mgr_parse_count(const char *arg, unsigned def, unsigned max, unsigned *out);

/* What the VMs holding resources use together. */
struct mgr_usage {
    uint64_t memory;
    unsigned vcpus;
    unsigned vms;
};

/*
 * Would a VM called name with this memory and these vCPUs fit next to
 * used? false with a message naming the bound ("system.memory: 448M in use
 * + 128M for web is more than the bound 512M"). Sums cannot overflow:
 * sizes are bounded by the description's validation.
 */
bool mgr_bounds_fit(const struct sysconf_system *bounds, const struct mgr_usage *used,
                    const char *name, uint64_t memory, unsigned cpus, char *err, size_t err_size);

/* One VM as the run-time placement check sees it. */
struct mgr_placement_vm {
    const char *name;
    const struct vmm_placement *placement; /* NULL: every vCPU floating, no budget */
    unsigned cpus;
    bool running; /* holds resources: its budgets count */
};

/*
 * May vCPU vcpu of vms[target] take placement s (pools already resolved to
 * their pCPUs) next to the other VMs? Checks the system bounds between VMs:
 * pCPUs within system.host_cpus; s's own rules (placement_check_sched) and
 * its VM's (placement_check_vm with s in place); not onto a pCPU dedicated to
 * another VM's vCPU, its vmm_threads or a pool; when s is dedicated, none of
 * its pCPUs given to another VM; budgets per pCPU at most 100% over the
 * running VMs. false with the reason in err and the HTTP status (400: s
 * breaks a rule by itself; 409: it collides with another VM) in *status.
 */
bool mgr_placement_fit(const struct sysconf_system *sys, const struct mgr_placement_vm *vms,
                       unsigned count, unsigned target, unsigned vcpu, const struct vcpu_sched *s,
                       int *status, char *err, size_t err_size);

/* ---- state directory and adoption (manager_state.c) ---- */

/* What a pid file records: the process and when it started (clock ticks since boot). */
struct mgr_pidfile {
    pid_t pid;
    uint64_t start_time;
};

int mgr_pidfile_write(const char *path, const struct mgr_pidfile *pf);
int mgr_pidfile_read(const char *path, struct mgr_pidfile *pf);
/* Field 22 of /proc/PID/stat under proc_root ("/proc"), and whether it is a zombie. */
int mgr_proc_start_time(const char *proc_root, pid_t pid, uint64_t *start_time, bool *zombie);

/*
 * Is pf still the VMM the manager started for this VM? The pid must be
 * alive (not a zombie) with the same start time (a reused pid has another),
 * run the stdvmm binary (exe, " (deleted)" allowed after an upgrade) and
 * have `--api-socket SOCKET` in its command line. 0 when it is; otherwise
 * -STDVMM_ENOENT with the reason in why.
 */
int mgr_adopt_check(const char *proc_root, const struct mgr_pidfile *pf, const char *exe,
                    const char *socket, char *why, size_t why_size);

/* Writes path atomically (a temporary file renamed over it). */
int mgr_write_file(const char *path, const char *text);
/* Reads a small file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
char *mgr_read_file(const char *path, size_t max, size_t *len);

/* ---- the manager (manager.c) ---- */

enum mgr_state {
    MGR_VM_STOPPED,    /* no process; not started or stopped on request */
    MGR_VM_RUNNING,    /* a VMM process runs the guest */
    MGR_VM_PAUSED,     /* its vCPUs are parked */
    MGR_VM_STOPPING,   /* asked to stop; escalates to SIGTERM, then SIGKILL */
    MGR_VM_RESTARTING, /* exited; started again after a backoff */
    MGR_VM_FAILED,     /* exited with an error and the policy gives up */
};
const char *mgr_state_name(enum mgr_state s);

struct mgr;

struct mgr_options {
    const char *system_path; /* the description */
    const char *state_dir;   /* pid files, sockets, default serial logs */
    const char *stdvmm;      /* the VMM binary */
    const char *api_socket;  /* the HTTP API */
    bool no_autostart;       /* start nothing by itself (tests, maintenance) */
};

/* Loads the description (every problem printed), claims the state dir, adopts, autostarts. */
int mgr_open(const struct mgr_options *opts, struct mgr **out);
void mgr_close(struct mgr *m);
/* Runs until SIGTERM/SIGINT; VMs keep running after it returns. */
int mgr_run(struct mgr *m);

/* A reply to an API request: HTTP status and JSON body (owned by the caller). */
struct mgr_reply {
    int status;
    json_t *body;
    const char *content_type; /* NULL: application/json */
    char *text;               /* instead of body, for text replies (serial tail) */
    size_t text_len;
};

/* One API operation, called by manager_api.c. query_lines: "?lines=" or NULL. */
void mgr_handle(struct mgr *m, const struct mgr_route *route, const char *body, size_t body_len,
                const char *query_lines, struct mgr_reply *reply);
/* {"error": msg, "status": status} */
void mgr_reply_error(struct mgr_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- HTTP server (manager_api.c) ---- */

struct mgr_http;
int mgr_http_open(struct mgr *m, const char *socket_path, struct mgr_http **out);
/* Descriptor to poll for readability, and ms until its next timeout (-1: none). */
int mgr_http_fd(struct mgr_http *h);
int mgr_http_timeout_ms(struct mgr_http *h);
void mgr_http_run(struct mgr_http *h);
void mgr_http_close(struct mgr_http *h);

#endif
