/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The description's shared regions (docs/memory.md) on Linux: one sealed
 * memfd per region and one eventfd per member, made when the manager
 * opens and kept for its life, so that a member's restart finds the same
 * memory and doorbells. Only the members' VMMs get them: inherited
 * descriptors, read-only ones for a read-only member.
 */
#ifndef STDVMM_MANAGER_MANAGER_SHARED_H
#define STDVMM_MANAGER_MANAGER_SHARED_H

#include "manager_vms.h"

/* Descriptors and arguments one VMM is started with. */
#define MGR_SHARED_MAX_FDS (SYSCONF_MAX_SHARED * (1 + SYSCONF_MAX_SHARED_MEMBERS))
#define MGR_SHARED_ARG_MAX 256

struct mgr_shared_spawn {
    int fds[MGR_SHARED_MAX_FDS]; /* the child gets fds[k] as descriptor MGR_SHARED_FD_BASE + k */
    bool owned[MGR_SHARED_MAX_FDS]; /* opened for this spawn: closed by mgr_shared_spawn_done */
    unsigned fd_count;
    char args[SYSCONF_MAX_SHARED][MGR_SHARED_ARG_MAX]; /* each after a "--shared-region" */
    unsigned arg_count;
};
#define MGR_SHARED_FD_BASE 3

/* Makes every region's memory and doorbells; 0 or -STDVMM_E* with the reason logged. */
int mgr_shared_open(struct mgr *m);
void mgr_shared_close(struct mgr *m);

/*
 * What vm's VMM needs for the regions it is a member of (none: zero
 * counts). The descriptors stay the manager's; a read-only member's memory
 * descriptor is opened for it read-only here and must be closed with
 * mgr_shared_spawn_done().
 */
int mgr_shared_spawn(struct mgr *m, const struct mgr_vm *vm, struct mgr_shared_spawn *out,
                     struct stdvmm_error *err);
void mgr_shared_spawn_done(struct mgr_shared_spawn *s);

#endif
