/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A parsed description document: a jansson tree, whatever the input
 * syntax, plus the line each path came from (YAML only).
 */
#ifndef STDVMM_DESCRIPTION_SYSCONF_DOC_H
#define STDVMM_DESCRIPTION_SYSCONF_DOC_H

#include <jansson.h>
#include <stddef.h>

#include "stdvmm/system_config.h"

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
/* The line a path starts on, or 0 (also for a NULL doc). */
unsigned sysconf_doc_line(const struct sysconf_doc *doc, const char *path);

#endif
