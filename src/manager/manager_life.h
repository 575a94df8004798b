/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The life cycle of the manager's VMs: starting a VMM process, stopping it
 * (power button, then signals), what its exit means under the restart
 * policy, restarts after a backoff, and adopting a VMM a previous manager
 * started. The manager's loop (manager.c) feeds it exits and time.
 */
#ifndef STDVMM_MANAGER_MANAGER_LIFE_H
#define STDVMM_MANAGER_MANAGER_LIFE_H

#include <stdbool.h>
#include <stddef.h>

#include "manager_vms.h"

/* A requested start: bounds checked, restart count reset. -STDVMM_ENOSPC: over a bound. */
int mgr_start_vm(struct mgr *m, struct mgr_vm *vm, struct stdvmm_error *err);
/* Power button, then SIGTERM after timeout_s, then SIGKILL; force: SIGTERM at once. */
void mgr_stop_vm(struct mgr_vm *vm, unsigned timeout_s, bool force);

/* vm's VMM is gone with this exit status (-1: unknown): stopped, failed or restarting. */
void mgr_vm_exited(struct mgr *m, struct mgr_vm *vm, int status);
/* Collects the exits of the VMMs this manager started (after SIGCHLD). */
void mgr_reap_children(struct mgr *m);
/* Deadlines: stop escalation, restarts after backoff, adopted VMs without a pidfd. */
void mgr_tick(struct mgr *m);
/* ms until the next deadline of mgr_tick, or -1: none. */
int mgr_next_timeout_ms(struct mgr *m);

/*
 * A VM as the previous manager left it: its VMM adopted when it still
 * runs; otherwise what status.json recorded decides (fresh_boot: the host
 * booted since, so nothing ran on).
 */
void mgr_recover(struct mgr *m, struct mgr_vm *vm, bool fresh_boot);

#endif
