/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager (stdvmmd, the paper's "admin component", §4.2.1): starts one
 * `stdvmm run` process per VM, supervises it, restarts it by policy and
 * keeps every request within the bounds of the system description
 * (stdvmm/system_config.h). It owns no guest memory: a VM lives in its own
 * VMM process, and keeps running if the manager dies; a new manager
 * re-adopts it from the state directory.
 *
 * Single-threaded: one poll loop serves the HTTP API (docs/api/openapi.yaml),
 * child exits, adopted VMs and timers, so no state is ever shared between
 * threads. Linux-hosted; the library is src/manager.
 */
#ifndef STDVMM_MANAGER_H
#define STDVMM_MANAGER_H

#include <stdbool.h>

struct mgr;

struct mgr_options {
    const char *system_path; /* the description */
    const char *state_dir;   /* pid files, sockets, default serial logs */
    const char *stdvmm;      /* the VMM binary */
    const char *vswitch;     /* stdvmm-switch, for the description's networks */
    const char *api_socket;  /* the HTTP API */
    bool no_autostart;       /* start nothing by itself (tests, maintenance) */
};

/* Loads the description (every problem printed), claims the state dir, adopts, autostarts. */
int mgr_open(const struct mgr_options *opts, struct mgr **out);
void mgr_close(struct mgr *m);
/* Runs until SIGTERM/SIGINT; VMs keep running after it returns. */
int mgr_run(struct mgr *m);

#endif
