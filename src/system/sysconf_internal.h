/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the system description and the manager's request parser: a parsed
 * document (a jansson tree, whatever the input syntax, plus the line each
 * path came from) and a small typed walker that reports every problem with
 * its path instead of stopping at the first.
 */
#ifndef STDVMM_SYSTEM_SYSCONF_INTERNAL_H
#define STDVMM_SYSTEM_SYSCONF_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/system_config.h"

/* Longest path kept in a diagnostic; deeper ones are cut with "...". */
#define SYSCONF_PATH_MAX 256
/* YAML nodes converted per document; aliases make small files expand. */
#define SYSCONF_MAX_NODES 20000
#define SYSCONF_MAX_DEPTH 32

struct sysconf_line {
    char *path;
    unsigned line;
};

struct sysconf_doc {
    json_t *root;
    struct sysconf_line *lines; /* YAML only */
    size_t line_count;
    size_t line_capacity;
};

/* Parses text into doc->root; syntax errors go to diags with their line. */
int sysconf_doc_parse(const char *text, size_t len, enum sysconf_format fmt,
                      struct sysconf_doc *doc, struct sysconf_diags *diags);
void sysconf_doc_free(struct sysconf_doc *doc);
/* The line a path starts on, or 0. */
unsigned sysconf_doc_line(const struct sysconf_doc *doc, const char *path);

/* Bump allocator behind struct sysconf's strings. */
void *sysconf_arena_alloc(struct sysconf_arena **arena, size_t size);
const char *sysconf_arena_strdup(struct sysconf_arena **arena, const char *s);
void sysconf_arena_free(struct sysconf_arena *arena);

struct sysconf_walk {
    const struct sysconf_doc *doc; /* for line numbers; may be NULL */
    struct sysconf_diags *diags;
    struct sysconf_arena **arena; /* string copies */
    bool failed;
};

void sysconf_walk_error(struct sysconf_walk *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void sysconf_path_key(char *out, const char *parent, const char *key);
void sysconf_path_index(char *out, const char *parent, size_t index);

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

/* The VM entry schema, shared with the manager's create request. */
void sysconf_walk_vm(struct sysconf_walk *w, const json_t *obj, const char *path,
                     bool name_required, struct sysconf_vm *vm);

/* Placement (sysconf_placement.c): cpus as a mapping, vmm_threads, system.pools. */
void sysconf_walk_placement(struct sysconf_walk *w, const json_t *obj, const char *path,
                            struct sysconf_vm *vm);
void sysconf_walk_pools(struct sysconf_walk *w, const json_t *system, struct sysconf_system *s);
/* The fields of one placement entry (no vcpu key) onto *s; for run-time changes (manager). */
void sysconf_walk_vcpu_sched(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct vcpu_sched *s);
/* Pools resolved, dedicated pCPUs exclusive across VMs, budgets per pCPU. */
void sysconf_check_placement(struct sysconf_walk *w, struct sysconf *cfg);
/* Writes cpus: {count, placement} and vmm_threads into o (the single-VM JSON); 0 or -1. */
int sysconf_placement_to_json(const struct sysconf_vm *vm, json_t *o);

#endif
