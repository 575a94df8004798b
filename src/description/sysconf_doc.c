/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Description documents: YAML through libyaml, JSON through jansson, both
 * ending as one jansson tree so that a single schema walker validates either
 * spelling. YAML keeps more than JSON can: the line of every node, recorded
 * per path, so that a diagnostic can say where in the file the problem is.
 *
 * Scalar types follow the YAML 1.2 core schema for plain (unquoted) scalars:
 * true/false, null/~/empty, decimal, 0x and 0o integers, floats; everything
 * else, and every quoted or block scalar, is a string. "yes"/"no" stay
 * strings on purpose (the YAML 1.1 surprise where `no` is false).
 */
#include "sysconf_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "stdvmm/error.h"
#include "sysconf_util.h"

struct conv {
    yaml_document_t *ydoc;
    struct sysconf_doc *doc;
    struct sysconf_diags *diags;
    size_t nodes;
    bool failed;
};

static void conv_error(struct conv *c, const char *path, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void conv_error(struct conv *c, const char *path, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sysconf_diag_add(c->diags, path, line, "%s", msg);
    c->failed = true;
}

static void record_line(struct sysconf_doc *doc, const char *path, unsigned line)
{
    if (doc->line_count == doc->line_capacity) {
        size_t cap = doc->line_capacity ? doc->line_capacity * 2 : 64;
        struct sysconf_line *n = realloc(doc->lines, cap * sizeof(*n));
        if (n == NULL)
            return; /* lines are a courtesy; diagnostics still carry the path */
        doc->lines = n;
        doc->line_capacity = cap;
    }
    char *p = strdup(path);
    if (p == NULL)
        return;
    doc->lines[doc->line_count].path = p;
    doc->lines[doc->line_count].line = line;
    doc->line_count++;
}

unsigned sysconf_doc_line(const struct sysconf_doc *doc, const char *path)
{
    if (doc == NULL)
        return 0;
    for (size_t i = 0; i < doc->line_count; i++) {
        if (strcmp(doc->lines[i].path, path) == 0)
            return doc->lines[i].line;
    }
    return 0;
}

static bool all_digits(const char *s, const char *digits)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (strchr(digits, *s) == NULL)
            return false;
    }
    return true;
}

static bool is_float(const char *s)
{
    char *end;

    if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL && strchr(s, 'E') == NULL)
        return false;
    if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.'))
        return false;
    errno = 0;
    (void)strtod(s, &end);
    return *end == '\0' && errno == 0;
}

/* A plain scalar's typed value (YAML 1.2 core schema); strings otherwise. */
static json_t *plain_scalar(const char *s)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    static const char *const trues[] = {"true", "True", "TRUE"};
    static const char *const falses[] = {"false", "False", "FALSE"};

    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (strcmp(s, nulls[i]) == 0)
            return json_null();
    }
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, trues[i]) == 0)
            return json_true();
        if (strcmp(s, falses[i]) == 0)
            return json_false();
    }
    const char *digits = s + ((s[0] == '-' || s[0] == '+') ? 1 : 0);
    int base = 0;
    const char *body = NULL;
    if (all_digits(digits, "0123456789")) {
        base = 10;
        body = s;
    } else if (strncmp(s, "0x", 2) == 0 && all_digits(s + 2, "0123456789abcdefABCDEF")) {
        base = 16;
        body = s + 2;
    } else if (strncmp(s, "0o", 2) == 0 && all_digits(s + 2, "01234567")) {
        base = 8;
        body = s + 2;
    }
    if (base != 0) {
        char *end;
        errno = 0;
        long long v = strtoll(body, &end, base);
        if (errno == 0 && *end == '\0')
            return json_integer(v);
        return json_string(s); /* out of range: the schema says what it expected */
    }
    if (is_float(s))
        return json_real(strtod(s, NULL));
    return json_string(s);
}

static json_t *convert(struct conv *c, yaml_node_t *node, const char *path, unsigned depth);

static json_t *convert_scalar(struct conv *c, yaml_node_t *node, const char *path, unsigned line)
{
    const char *v = (const char *)node->data.scalar.value;
    size_t len = node->data.scalar.length;

    if (memchr(v, '\0', len) != NULL) {
        conv_error(c, path, line, "the value contains a NUL character");
        return NULL;
    }
    json_t *j =
        node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(v) : json_stringn(v, len);
    if (j == NULL)
        conv_error(c, path, line, "the value is not valid UTF-8 text");
    return j;
}

static json_t *convert_sequence(struct conv *c, yaml_node_t *node, const char *path, unsigned depth)
{
    json_t *arr = json_array();
    char sub[SYSCONF_PATH_MAX];
    size_t i = 0;

    if (arr == NULL)
        return NULL;
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++, i++) {
        sysconf_path_index(sub, path, i);
        json_t *v = convert(c, yaml_document_get_node(c->ydoc, *it), sub, depth + 1);
        if (v == NULL || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *convert_mapping(struct conv *c, yaml_node_t *node, const char *path, unsigned depth)
{
    json_t *obj = json_object();
    char sub[SYSCONF_PATH_MAX];

    if (obj == NULL)
        return NULL;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->ydoc, p->key);
        unsigned line = k ? (unsigned)k->start_mark.line + 1 : 0;
        if (k == NULL || k->type != YAML_SCALAR_NODE) {
            conv_error(c, path, line, "a key must be a plain name, not a list or mapping");
            json_decref(obj);
            return NULL;
        }
        const char *key = (const char *)k->data.scalar.value;
        if (memchr(key, '\0', k->data.scalar.length) != NULL) {
            conv_error(c, path, line, "a key contains a NUL character");
            json_decref(obj);
            return NULL;
        }
        sysconf_path_key(sub, path, key);
        if (json_object_get(obj, key) != NULL) {
            conv_error(c, sub, line, "duplicate key '%s'", key);
            continue; /* keep going: more problems may follow */
        }
        json_t *v = convert(c, yaml_document_get_node(c->ydoc, p->value), sub, depth + 1);
        if (v == NULL || json_object_set_new(obj, key, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *convert(struct conv *c, yaml_node_t *node, const char *path, unsigned depth)
{
    if (node == NULL)
        return json_null();
    unsigned line = (unsigned)node->start_mark.line + 1;
    if (++c->nodes > SYSCONF_MAX_NODES) {
        if (c->nodes == SYSCONF_MAX_NODES + 1)
            conv_error(c, path, line,
                       "the document has more than %d values (are aliases expanding?)",
                       SYSCONF_MAX_NODES);
        return NULL;
    }
    if (depth > SYSCONF_MAX_DEPTH) {
        conv_error(c, path, line, "nested deeper than %d levels", SYSCONF_MAX_DEPTH);
        return NULL;
    }
    record_line(c->doc, path, line);
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return convert_scalar(c, node, path, line);
    case YAML_SEQUENCE_NODE:
        return convert_sequence(c, node, path, depth);
    case YAML_MAPPING_NODE:
        return convert_mapping(c, node, path, depth);
    case YAML_NO_NODE:
        break;
    }
    return json_null();
}

static int parse_yaml(const char *text, size_t len, struct sysconf_doc *doc,
                      struct sysconf_diags *diags)
{
    yaml_parser_t parser;
    yaml_document_t ydoc;
    int r = -STDVMM_EINVAL;

    if (!yaml_parser_initialize(&parser))
        return -STDVMM_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &ydoc)) {
        unsigned line = (unsigned)parser.problem_mark.line + 1;
        sysconf_diag_add(diags, "", line, "YAML syntax: %s%s%s",
                         parser.problem ? parser.problem : "unreadable document",
                         parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -STDVMM_EINVAL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    if (root == NULL) {
        sysconf_diag_add(diags, "", 0, "the document is empty");
    } else {
        /* A second document in the same file would be silently ignored: refuse it. */
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            bool more = yaml_document_get_root_node(&extra) != NULL;
            yaml_document_delete(&extra);
            if (more) {
                sysconf_diag_add(diags, "", 0, "more than one YAML document (---) in the file");
                goto out;
            }
        }
        struct conv c = {.ydoc = &ydoc, .doc = doc, .diags = diags};
        doc->root = convert(&c, root, "", 0);
        if (doc->root != NULL && !c.failed) {
            r = 0;
        } else if (doc->root == NULL && !c.failed) {
            sysconf_diag_add(diags, "", 0, "out of memory while reading the document");
            r = -STDVMM_ENOMEM;
        }
    }
out:
    yaml_document_delete(&ydoc);
    yaml_parser_delete(&parser);
    return r;
}

static int parse_json(const char *text, size_t len, struct sysconf_doc *doc,
                      struct sysconf_diags *diags)
{
    json_error_t err;

    doc->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (doc->root == NULL) {
        sysconf_diag_add(diags, "", err.line > 0 ? (unsigned)err.line : 0, "JSON syntax: %s",
                         err.text);
        return -STDVMM_EINVAL;
    }
    return 0;
}

static bool looks_like_json(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
            continue;
        return text[i] == '{';
    }
    return false;
}

int sysconf_doc_parse(const char *text, size_t len, enum sysconf_format fmt,
                      struct sysconf_doc *doc, struct sysconf_diags *diags)
{
    memset(doc, 0, sizeof(*doc));
    if (len > SYSCONF_MAX_FILE_SIZE) {
        sysconf_diag_add(diags, "", 0, "%zu bytes is more than the %u a description may have", len,
                         SYSCONF_MAX_FILE_SIZE);
        return -STDVMM_E2BIG;
    }
    if (fmt == SYSCONF_FORMAT_AUTO)
        fmt = looks_like_json(text, len) ? SYSCONF_FORMAT_JSON : SYSCONF_FORMAT_YAML;
    int r = fmt == SYSCONF_FORMAT_JSON ? parse_json(text, len, doc, diags)
                                       : parse_yaml(text, len, doc, diags);
    if (r < 0)
        sysconf_doc_free(doc);
    return r;
}

void sysconf_doc_free(struct sysconf_doc *doc)
{
    json_decref(doc->root);
    for (size_t i = 0; i < doc->line_count; i++)
        free(doc->lines[i].path);
    free(doc->lines);
    memset(doc, 0, sizeof(*doc));
}
