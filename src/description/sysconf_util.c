/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pieces under the system description that know no document:
 * diagnostics, the string arena, paths, CPU sets, sizes and names. The
 * document (sysconf_doc.c) and the schema walker (sysconf_walk.c) stand on
 * these, never the other way round.
 */
#include "sysconf_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/cpulist.h"

/* ---- diagnostics ---- */

void sysconf_diag_add(struct sysconf_diags *d, const char *path, unsigned line, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;

    if (d == NULL)
        return;
    if (d->count >= SYSCONF_MAX_DIAGS) {
        d->truncated = true;
        return;
    }
    if (d->count == d->capacity) {
        unsigned cap = d->capacity ? d->capacity * 2 : 8;
        struct sysconf_diag *n = realloc(d->items, cap * sizeof(*n));
        if (n == NULL)
            return;
        d->items = n;
        d->capacity = cap;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct sysconf_diag *it = &d->items[d->count];
    it->path = strdup(path ? path : "");
    it->message = strdup(msg);
    it->line = line;
    if (it->path == NULL || it->message == NULL) {
        free(it->path);
        free(it->message);
        return;
    }
    d->count++;
}

void sysconf_diags_print(const struct sysconf_diags *d, const char *file, int out)
{
    /* In file order (the checks run by topic), stable for equal lines. */
    unsigned order[SYSCONF_MAX_DIAGS];
    for (unsigned i = 0; i < d->count; i++) {
        unsigned j = i;
        for (; j > 0 && d->items[order[j - 1]].line > d->items[i].line; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (unsigned k = 0; k < d->count; k++) {
        const struct sysconf_diag *it = &d->items[order[k]];
        if (file != NULL && it->line != 0)
            dprintf(out, "%s:%u: ", file, it->line);
        else if (file != NULL)
            dprintf(out, "%s: ", file);
        if (it->path[0] != '\0')
            dprintf(out, "%s: ", it->path);
        dprintf(out, "%s\n", it->message);
    }
    if (d->truncated)
        dprintf(out, "%s%s(more problems not shown)\n", file ? file : "", file ? ": " : "");
}

void sysconf_diags_free(struct sysconf_diags *d)
{
    for (unsigned i = 0; i < d->count; i++) {
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

/* ---- arena: every string of a struct sysconf, freed at once ---- */

struct sysconf_arena {
    struct sysconf_arena *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

#define ARENA_BLOCK 8192

void *sysconf_arena_alloc(struct sysconf_arena **arena, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct sysconf_arena *a = *arena;
    if (a == NULL || a->size - a->used < size) {
        size_t block = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        struct sysconf_arena *n = malloc(sizeof(*n) + block);
        if (n == NULL)
            return NULL;
        n->next = a;
        n->used = 0;
        n->size = block;
        *arena = a = n;
    }
    void *p = (char *)a->data + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

const char *sysconf_arena_strdup(struct sysconf_arena **arena, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = sysconf_arena_alloc(arena, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

void sysconf_arena_free(struct sysconf_arena *arena)
{
    while (arena != NULL) {
        struct sysconf_arena *next = arena->next;
        free(arena);
        arena = next;
    }
}

const char *sysconf_strdup(struct sysconf *cfg, const char *s)
{
    return sysconf_arena_strdup(&cfg->arena, s);
}

/* ---- paths ---- */

/* Keys come from untrusted input: control characters would garble messages. */
static void append_clean(char *out, size_t size, const char *s)
{
    size_t n = strlen(out);
    for (; *s && n + 4 < size; s++)
        out[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (*s != '\0') {
        /* Cut short: "..." ends it, inside the buffer even when the parent filled it. */
        if (n > size - 4)
            n = size - 4;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

void sysconf_path_key(char *out, const char *parent, const char *key)
{
    char buf[SYSCONF_PATH_MAX];

    snprintf(buf, sizeof(buf), "%s%s", parent, parent[0] ? "." : "");
    append_clean(buf, sizeof(buf), key);
    memcpy(out, buf, sizeof(buf));
}

void sysconf_path_index(char *out, const char *parent, size_t index)
{
    char buf[SYSCONF_PATH_MAX];

    snprintf(buf, sizeof(buf), "%s[%zu]", parent, index);
    memcpy(out, buf, sizeof(buf));
}

/* ---- names, restart policies, CPU sets, sizes ---- */

bool sysconf_valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > SYSCONF_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
            return false;
    }
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

bool sysconf_parse_restart(const char *s, enum sysconf_restart *policy, unsigned *max)
{
    unsigned long n;

    *max = 0;
    if (strcmp(s, "never") == 0) {
        *policy = SYSCONF_RESTART_NEVER;
    } else if (strcmp(s, "always") == 0) {
        *policy = SYSCONF_RESTART_ALWAYS;
    } else if (strcmp(s, "on-failure") == 0) {
        *policy = SYSCONF_RESTART_ON_FAILURE;
    } else if (strncmp(s, "on-failure:", 11) == 0 && parse_uint(s + 11, 1000000, &n) && n > 0) {
        *policy = SYSCONF_RESTART_ON_FAILURE;
        *max = (unsigned)n;
    } else {
        return false;
    }
    return true;
}

bool sysconf_parse_cpuset(const char *s, struct sysconf_cpuset *out)
{
    return cpulist_parse(s, ",", out->bits, SYSCONF_MAX_HOST_CPUS);
}

unsigned sysconf_cpuset_count(const struct sysconf_cpuset *set)
{
    unsigned n = 0;
    for (size_t i = 0; i < sizeof(set->bits) / sizeof(set->bits[0]); i++)
        n += (unsigned)__builtin_popcountll(set->bits[i]);
    return n;
}

bool sysconf_cpuset_has(const struct sysconf_cpuset *set, unsigned cpu)
{
    return cpu < SYSCONF_MAX_HOST_CPUS && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

bool sysconf_cpuset_subset(const struct sysconf_cpuset *a, const struct sysconf_cpuset *of)
{
    for (size_t i = 0; i < sizeof(a->bits) / sizeof(a->bits[0]); i++) {
        if (a->bits[i] & ~of->bits[i])
            return false;
    }
    return true;
}

void sysconf_cpuset_format(const struct sysconf_cpuset *set, char *buf, size_t size)
{
    cpulist_format(set->bits, SYSCONF_MAX_HOST_CPUS, ',', buf, size);
}
