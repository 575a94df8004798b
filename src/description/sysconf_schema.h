/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The structure of a description (docs/system-description.md): types,
 * ranges and unknown fields of the system section and of a VM entry.
 * Relations between fields and between VMs are sysconf_rules.h's.
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_SCHEMA_H
#define STDVMM_DESCRIPTION_SYSCONF_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/* The system section of root (required) into *s. */
void sysconf_walk_system(struct sysconf_walk *w, const json_t *root, struct sysconf_system *s);
/* One VM entry at path into *vm, defaults first. */
void sysconf_walk_vm(struct sysconf_walk *w, const json_t *obj, const char *path,
                     bool name_required, struct sysconf_vm *vm);

#endif
