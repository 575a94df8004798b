/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The schema walker (stdvmm/description/sysconf_walk.h): typed getters over
 * a parsed document that report every problem with its path, and its line
 * when the document is YAML.
 */
#include "stdvmm/description/sysconf_walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/host/linux.h"
#include "sysconf_doc.h"
#include "sysconf_util.h"
#include "stdvmm/spelling.h"

void sysconf_walk_error(struct sysconf_walk *w, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sysconf_diag_add(w->diags, path, sysconf_doc_line(w->doc, path), "%s", msg);
    w->failed = true;
}

const char *sysconf_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a fractional number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "empty (null)";
    }
    return "an unknown value";
}

bool sysconf_expect_object(struct sysconf_walk *w, const json_t *v, const char *path)
{
    if (json_is_object(v))
        return true;
    sysconf_walk_error(w, path, "expected a mapping of fields, got %s", sysconf_json_type_name(v));
    return false;
}

/* Levenshtein distance, capped: only used to suggest a field for a typo. */
static unsigned distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[40];

    if (la >= 39 || lb >= 39)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned prev = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned cur = row[j];
            unsigned best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

void sysconf_check_keys(struct sysconf_walk *w, const json_t *obj, const char *path,
                        const char *const *allowed)
{
    const char *key;
    json_t *v;
    char sub[SYSCONF_PATH_MAX];

    json_object_foreach((json_t *)obj, key, v)
    {
        const char *best = NULL;
        unsigned best_d = 3; /* suggest only close matches */
        bool known = false;
        for (const char *const *a = allowed; *a; a++) {
            if (strcmp(key, *a) == 0) {
                known = true;
                break;
            }
            unsigned d = distance(key, *a);
            if (d < best_d) {
                best_d = d;
                best = *a;
            }
        }
        if (known)
            continue;
        sysconf_path_key(sub, path, key);
        if (best != NULL)
            sysconf_walk_error(w, sub, "unknown field (did you mean '%s'?)", best);
        else
            sysconf_walk_error(w, sub, "unknown field");
    }
}

static const json_t *lookup(struct sysconf_walk *w, const json_t *obj, const char *path,
                            const char *key, bool required, char *sub)
{
    const json_t *v = json_object_get(obj, key);

    sysconf_path_key(sub, path, key);
    if (v == NULL && required) {
        /* The line of the enclosing mapping is the best place to point at. */
        sysconf_diag_add(w->diags, sub, sysconf_doc_line(w->doc, path), "required field missing");
        w->failed = true;
    }
    return v;
}

enum sysconf_got sysconf_get_string(struct sysconf_walk *w, const json_t *obj, const char *path,
                                    const char *key, bool required, const char **out)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = lookup(w, obj, path, key, required, sub);

    if (v == NULL)
        return SYSCONF_ABSENT;
    if (!json_is_string(v)) {
        sysconf_walk_error(w, sub, "expected a string, got %s", sysconf_json_type_name(v));
        return SYSCONF_BAD;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        sysconf_walk_error(w, sub, "the string contains a NUL character");
        return SYSCONF_BAD;
    }
    *out = w->arena ? sysconf_arena_strdup(w->arena, json_string_value(v)) : json_string_value(v);
    if (*out == NULL) {
        sysconf_walk_error(w, sub, "out of memory");
        return SYSCONF_BAD;
    }
    return SYSCONF_OK;
}

enum sysconf_got sysconf_get_uint(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, uint64_t min, uint64_t max,
                                  uint64_t *out)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = lookup(w, obj, path, key, required, sub);

    if (v == NULL)
        return SYSCONF_ABSENT;
    if (!json_is_integer(v)) {
        sysconf_walk_error(w, sub, "expected a whole number from %llu to %llu, got %s",
                           (unsigned long long)min, (unsigned long long)max,
                           sysconf_json_type_name(v));
        return SYSCONF_BAD;
    }
    json_int_t n = json_integer_value(v);
    if (n < 0 || (uint64_t)n < min || (uint64_t)n > max) {
        sysconf_walk_error(w, sub, "%lld is out of range: expected %llu to %llu", (long long)n,
                           (unsigned long long)min, (unsigned long long)max);
        return SYSCONF_BAD;
    }
    *out = (uint64_t)n;
    return SYSCONF_OK;
}

enum sysconf_got sysconf_get_bool(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, bool *out)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = lookup(w, obj, path, key, required, sub);

    if (v == NULL)
        return SYSCONF_ABSENT;
    if (!json_is_boolean(v)) {
        sysconf_walk_error(w, sub, "expected true or false, got %s", sysconf_json_type_name(v));
        return SYSCONF_BAD;
    }
    *out = json_is_true(v);
    return SYSCONF_OK;
}

enum sysconf_got sysconf_get_size(struct sysconf_walk *w, const json_t *obj, const char *path,
                                  const char *key, bool required, uint64_t *out)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = lookup(w, obj, path, key, required, sub);
    uint64_t bytes;

    if (v == NULL)
        return SYSCONF_ABSENT;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        bytes = (uint64_t)json_integer_value(v);
    } else if (json_is_string(v) && spelling_parse_size(json_string_value(v), &bytes)) {
        /* parsed */
    } else {
        sysconf_walk_error(w, sub, "expected a size such as 512M or 2G, got %s",
                           json_is_string(v) ? "text that is not one" : sysconf_json_type_name(v));
        return SYSCONF_BAD;
    }
    if (bytes % 4096 != 0) {
        sysconf_walk_error(w, sub, "%llu bytes is not a whole number of 4K pages",
                           (unsigned long long)bytes);
        return SYSCONF_BAD;
    }
    *out = bytes;
    return SYSCONF_OK;
}

/*
 * Cache colouring (docs/memory.md) is the seL4 port's: it places each frame
 * of a VM itself. Linux gives user space no say in which physical pages back
 * its memory, so on KVM the fields are refused, not ignored.
 */
#define NO_COLOURING                                                                               \
    "cache colouring needs control of physical placement, which Linux does not give to user "      \
    "space; only the seL4 port supports it (docs/memory.md)"

void sysconf_refuse_colouring(struct sysconf_walk *w, const json_t *obj, const char *path,
                              const char *const *keys)
{
    char sub[SYSCONF_PATH_MAX];

    for (const char *const *k = keys; *k; k++) {
        if (json_object_get(obj, *k) == NULL)
            continue;
        sysconf_path_key(sub, path, *k);
        sysconf_walk_error(w, sub, "%s", NO_COLOURING);
    }
}
