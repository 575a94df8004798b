/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description's schema walker, for whoever checks JSON against
 * the same rules: the description itself and the manager's API request
 * bodies (src/manager). Typed getters report every problem with its path
 * (and its line, when the walk has a YAML document) instead of stopping at
 * the first; w->failed says whether any was found. Linux-hosted (jansson).
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_WALK_H
#define STDVMM_DESCRIPTION_SYSCONF_WALK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/placement.h"
#include "stdvmm/system_config.h"

struct sysconf_doc;

struct sysconf_walk {
    const struct sysconf_doc *doc; /* for line numbers; may be NULL */
    struct sysconf_diags *diags;
    struct sysconf_arena **arena; /* string copies; NULL: strings point into the JSON */
    bool failed;
};

void sysconf_walk_error(struct sysconf_walk *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a getter found. */
enum sysconf_got {
    SYSCONF_ABSENT, /* no such key (reported when required) */
    SYSCONF_OK,
    SYSCONF_BAD, /* present but wrong; already reported */
};

/* Reports a non-object (unless NULL and optional) and returns false. */
bool sysconf_expect_object(struct sysconf_walk *w, const json_t *v, const char *path);
/* Reports every key of obj not in allowed (a NULL-terminated list), with a suggestion. */
void sysconf_check_keys(struct sysconf_walk *w, const json_t *obj, const char *path,
                        const char *const *allowed);
/*
 * Reports each of keys (NULL-terminated) that obj has: cache colouring is the
 * seL4 port's (docs/memory.md), refused here with why, not ignored.
 */
void sysconf_refuse_colouring(struct sysconf_walk *w, const json_t *obj, const char *path,
                              const char *const *keys);

enum sysconf_got sysconf_get_string(struct sysconf_walk *w, const json_t *obj, const char *path,
                                    const char *key, bool required, const char **out);
enum sysconf_got sysconf_get_uint(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, uint64_t min, uint64_t max,
                                  uint64_t *out);
enum sysconf_got sysconf_get_bool(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, bool *out);
/* A size: an integer (bytes) or a string such as "512M"; must be a multiple of 4 KiB. */
enum sysconf_got sysconf_get_size(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, uint64_t *out);

/* The JSON type's name for messages ("a string", "a mapping"). */
const char *sysconf_json_type_name(const json_t *v);

/*
 * The fields of one placement entry (pcpus, dedicated, pool, priority,
 * policy, budget, weight; no vcpu key) onto *s, as a run-time change of a
 * running vCPU (the manager's PUT .../placement). In sysconf_placement.c.
 */
void sysconf_walk_vcpu_sched(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct vcpu_sched *s);

#endif
