/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the system description: what its files share below the document
 * and the walker. Diagnostics, names, CPU sets and sizes are public
 * (stdvmm/system_config.h).
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_UTIL_H
#define STDVMM_DESCRIPTION_SYSCONF_UTIL_H

#include <stddef.h>

#include "stdvmm/system_config.h"

/* Longest path kept in a diagnostic; deeper ones are cut with "...". */
#define SYSCONF_PATH_MAX 256
/* In a definition with instances, replaced by the instance number. */
#define SYSCONF_INSTANCE_MARK "{n}"

/* Bump allocator behind struct sysconf's strings: zeroed, aligned for any type. */
void *sysconf_arena_alloc(struct sysconf_arena **arena, size_t size);

/* Diagnostic paths: "parent.key" and "parent[index]", cut to SYSCONF_PATH_MAX. */
void sysconf_path_key(char *out, const char *parent, const char *key);
void sysconf_path_index(char *out, const char *parent, size_t index);

#endif
