/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shared_regions (docs/memory.md): memory seen by exactly the VMs named as
 * its members, each at a guest-physical address of its own, rw or ro. The
 * checks are the description's (unknown or repeated members, a window on a
 * member's RAM, devices or another shared region).
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_SHARED_H
#define STDVMM_DESCRIPTION_SYSCONF_SHARED_H

#include <jansson.h>

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/* shared_regions of the document root into cfg (whose vms are already read). */
void sysconf_walk_shared(struct sysconf_walk *w, const json_t *root, struct sysconf *cfg);

#endif
