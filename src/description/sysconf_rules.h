/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rules that relate the fields of a walked description to each other:
 * each VM within the system's bounds, unique names, what no two VMs may
 * share, what autostart needs together. Every rule runs even after an
 * earlier one failed, so one pass reports every problem.
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_RULES_H
#define STDVMM_DESCRIPTION_SYSCONF_RULES_H

#include "stdvmm/description/sysconf_walk.h"
#include "stdvmm/system_config.h"

/* Placement has its own rules (sysconf_check_placement). */
void sysconf_check_rules(struct sysconf_walk *w, const struct sysconf *cfg);

#endif
