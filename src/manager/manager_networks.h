/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The description's networks under the manager: one stdvmm-switch process
 * per network, a port per member VM's NIC on it (the socket
 * STATE/sw/VM/K.sock for the VM's nets[K]), the member MACs pinned to
 * their ports, restarted when it dies. Its status (ports and MAC table)
 * comes over the switch's control socket STATE/net-NAME.sock, checked by
 * vswitch_status_parse before anything of it is believed.
 */
#ifndef STDVMM_MANAGER_MANAGER_NETWORKS_H
#define STDVMM_MANAGER_MANAGER_NETWORKS_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manager_vms.h"

struct mgr_network {
    const struct sysconf_network *def;
    pid_t pid;          /* 0: not running */
    int64_t started_ms; /* of the running switch */
    int64_t deadline;   /* ms: the next start after an exit; 0: none */
    unsigned restarts;  /* automatic restarts since the manager started */
    unsigned backoff;
    int last_exit; /* -1: none, or unknown (an adopted switch's) */
    int pidfd;     /* an adopted switch (not the manager's child): readable when it ends; else -1 */
    char control[VM_PATH_MAX];
    char log[VM_PATH_MAX];
};

/*
 * Starts every network's switch, or adopts one a previous manager left
 * with the same command line (else stops it first). 0 or the first error.
 */
int mgr_networks_open(struct mgr *m);
/* The adopted switches' pidfds, for the manager's poll (fds: room for network_count). */
unsigned mgr_networks_poll_fds(struct mgr *m, struct pollfd *fds);
/* After poll: an adopted switch that ended is restarted as a child's exit would be. */
void mgr_networks_polled(struct mgr *m, const struct pollfd *fds, unsigned count);
/* At the manager's end: the switches keep running. */
void mgr_networks_close(struct mgr *m);
/* Was pid a switch? Then it is handled (restart scheduled) and true. */
bool mgr_networks_reaped(struct mgr *m, pid_t pid, int status);
void mgr_networks_tick(struct mgr *m);
int mgr_networks_next_timeout_ms(struct mgr *m);

/* GET /v1/networks and GET /v1/networks/NAME: the reply body, or NULL with status and err set. */
json_t *mgr_networks_json(struct mgr *m);
json_t *mgr_network_json(struct mgr *m, const char *name, int *status, char *err, size_t err_size);

#endif
