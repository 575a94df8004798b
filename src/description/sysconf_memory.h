/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VM entry's memory_map (docs/system-description.md): RAM regions at
 * chosen guest-physical addresses, checked against this build's arch
 * (arch_memory_limits) so that a map the guest cannot have is refused with
 * the path and line of the region at fault.
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_MEMORY_H
#define STDVMM_DESCRIPTION_SYSCONF_MEMORY_H

#include <jansson.h>

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/*
 * memory_map of the VM entry obj at path into vm; vm->memory becomes the
 * map's total (a memory key beside it must agree).
 */
void sysconf_walk_memory_map(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct sysconf_vm *vm);

#endif
