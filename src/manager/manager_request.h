/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's API requests (docs/api/openapi.yaml): the path and method
 * as an operation, JSON bodies as typed requests, and the checks that every
 * start and every placement change must pass (the system's bounds). Pure
 * functions of their input, so that unit tests and the fuzzer drive them
 * directly.
 */
#ifndef STDVMM_MANAGER_MANAGER_REQUEST_H
#define STDVMM_MANAGER_MANAGER_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"
#include "stdvmm/system_config.h"

#define MGR_BODY_MAX (64u * 1024)   /* request bodies; more is 413 */
#define MGR_STOP_TIMEOUT_DEFAULT 30 /* seconds the guest gets to power off */
#define MGR_STOP_TIMEOUT_MAX 3600
#define MGR_SERIAL_TAIL_DEFAULT 50 /* lines */
#define MGR_SERIAL_TAIL_MAX 10000
#define MGR_SERIAL_READ_MAX (1u << 20) /* bytes read back from the end of a log */

enum mgr_op {
    MGR_OP_LIST,           /* GET    /v1/vms */
    MGR_OP_CREATE,         /* POST   /v1/vms */
    MGR_OP_INFO,           /* GET    /v1/vms/NAME */
    MGR_OP_DELETE,         /* DELETE /v1/vms/NAME */
    MGR_OP_START,          /* POST   /v1/vms/NAME/start */
    MGR_OP_STOP,           /* POST   /v1/vms/NAME/stop */
    MGR_OP_RESTART,        /* POST   /v1/vms/NAME/restart */
    MGR_OP_PAUSE,          /* POST   /v1/vms/NAME/pause */
    MGR_OP_RESUME,         /* POST   /v1/vms/NAME/resume */
    MGR_OP_SERIAL,         /* GET    /v1/vms/NAME/serial */
    MGR_OP_SYSTEM,         /* GET    /v1/system */
    MGR_OP_DEFINITIONS,    /* GET    /v1/definitions */
    MGR_OP_PLACEMENT,      /* GET    /v1/vms/NAME/placement */
    MGR_OP_VCPU_PLACEMENT, /* PUT /v1/vms/NAME/vcpus/INDEX/placement */
    MGR_OP_NETWORKS,       /* GET    /v1/networks */
    MGR_OP_NETWORK,        /* GET    /v1/networks/NAME: its switch's ports and MAC table */
};

/* Result of routing: an operation, or an HTTP status and why not. */
struct mgr_route {
    enum mgr_op op;
    char name[SYSCONF_NAME_MAX + 1]; /* VM name for per-VM operations; MGR_OP_NETWORK's network */
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

/*
 * Who may use the manager's API (SO_PEERCRED of the connection): the
 * manager's own uid, and root, which can act as that uid anyway. Every
 * request, reading or changing, needs this; there is no read-only class
 * of client. 0, or -STDVMM_EPERM with the reason in why.
 */
int mgr_peer_allowed(uid_t peer, uid_t self, struct stdvmm_error *why);

/* What the VMs holding resources use together. */
struct mgr_usage {
    uint64_t memory;
    unsigned vcpus;
    unsigned vms;
};

/*
 * Would a VM called name with this memory and these vCPUs fit next to
 * used? 0, or -STDVMM_ENOSPC with a message naming the bound
 * ("system.memory: 448M in use + 128M for web is more than the bound 512M").
 * Sums cannot overflow: sizes are bounded by the description's validation.
 */
int mgr_bounds_fit(const struct sysconf_system *bounds, const struct mgr_usage *used,
                   const char *name, uint64_t memory, unsigned cpus, struct stdvmm_error *err);

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
 * running VMs. 0, or the reason in err and its code: -STDVMM_EINVAL when s
 * breaks a rule by itself, -STDVMM_EBUSY when it collides with another VM
 * (HTTP 400 and 409: mgr_reply_status).
 */
int mgr_placement_fit(const struct sysconf_system *sys, const struct mgr_placement_vm *vms,
                      unsigned count, unsigned target, unsigned vcpu, const struct vcpu_sched *s,
                      struct stdvmm_error *err);

#endif
