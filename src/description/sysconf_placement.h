/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Placement in the system description: cpus as a mapping, vmm_threads,
 * system.pools, and the placement rules between VMs.
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_PLACEMENT_H
#define STDVMM_DESCRIPTION_SYSCONF_PLACEMENT_H

#include <jansson.h>

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/* cpus: {count, placement, ...} and vmm_threads of a VM entry; nothing for cpus: N. */
void sysconf_walk_placement(struct sysconf_walk *w, const json_t *obj, const char *path,
                            struct sysconf_vm *vm);
/* system.pools */
void sysconf_walk_pools(struct sysconf_walk *w, const json_t *system, struct sysconf_system *s);
/* Pools resolved, dedicated pCPUs exclusive across VMs, budgets per pCPU. */
void sysconf_check_placement(struct sysconf_walk *w, struct sysconf *cfg);
/* Writes cpus: {count, placement} and vmm_threads into o (the single-VM JSON); 0 or -1. */
int sysconf_placement_to_json(const struct sysconf_vm *vm, json_t *o);

#endif
