/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * networks (docs/system-description.md): switched networks between the VMs
 * named as their members, the schema the seL4 port shares. Checks names,
 * members (VMs of vms[], each once, no definitions with instances), that
 * every NIC on a network belongs to one of its members, and that no MAC
 * appears twice on a network.
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_NETWORKS_H
#define STDVMM_DESCRIPTION_SYSCONF_NETWORKS_H

#include <jansson.h>

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/* networks of the document root into cfg (whose vms are already read), and the VMs' nets on them.
 */
void sysconf_walk_networks(struct sysconf_walk *w, const json_t *root, struct sysconf *cfg);

#endif
