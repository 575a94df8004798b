/* SPDX-License-Identifier: BSD-2-Clause */
/* AML writer; encodings follow ACPI 6.5 chapter 20 (AML) and 6.4 (resources). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/aml.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

enum aml_kind {
    AML_KIND_SCOPE,
    AML_KIND_DEVICE,
    AML_KIND_METHOD,
    AML_KIND_PACKAGE,
    AML_KIND_BUFFER,
};

#define AML_OP_ZERO 0x00
#define AML_OP_ONE 0x01
#define AML_OP_NAME 0x08
#define AML_PREFIX_BYTE 0x0a
#define AML_PREFIX_WORD 0x0b
#define AML_PREFIX_DWORD 0x0c
#define AML_PREFIX_STRING 0x0d
#define AML_PREFIX_QWORD 0x0e
#define AML_OP_SCOPE 0x10
#define AML_OP_BUFFER 0x11
#define AML_OP_PACKAGE 0x12
#define AML_OP_METHOD 0x14
#define AML_PREFIX_DUAL_NAME 0x2e
#define AML_PREFIX_MULTI_NAME 0x2f
#define AML_PREFIX_EXT_OP 0x5b
#define AML_OP_EXT_DEVICE 0x82
#define AML_CHAR_ROOT 0x5c
#define AML_CHAR_PARENT 0x5e
#define AML_OP_RETURN 0xa4

#define AML_PKGLEN_MAX 4
#define AML_PKGLEN_LIMIT 0x0fffffffu /* 28 bits in the four-byte form */
#define AML_INTEGER_MAX 9

#define RES_IRQ_NO_FLAGS 0x22
#define RES_IO 0x47
#define RES_FIXED_IO 0x4b
#define RES_END_TAG 0x79
#define RES_MEMORY32_FIXED 0x86
#define RES_QWORD_ADDRESS 0x8a
#define RES_EXT_INTERRUPT 0x89

static void set_err(struct aml *a, int err)
{
    if (a->err == 0) {
        a->err = err;
    }
}

static void put(struct aml *a, const void *data, size_t len)
{
    if (a->err) {
        return;
    }
    if (len > a->size - a->pos) {
        LOG_ERR("AML buffer full: %zu more bytes needed at offset %zu of %zu", len, a->pos,
                a->size);
        set_err(a, -STDVMM_ENOSPC);
        return;
    }
    memcpy(a->buf + a->pos, data, len);
    a->pos += len;
}

static void put8(struct aml *a, uint8_t v)
{
    put(a, &v, 1);
}

static void put16(struct aml *a, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    put(a, b, sizeof(b));
}

static void put32(struct aml *a, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    put(a, b, sizeof(b));
}

static bool inside(const struct aml *a, enum aml_kind kind)
{
    return a->depth > 0 && a->open[a->depth - 1].kind == kind;
}

/* Data objects written straight into a Package are its elements. */
static void count_element(struct aml *a)
{
    struct aml_open *o;

    if (a->err || !inside(a, AML_KIND_PACKAGE)) {
        return;
    }
    o = &a->open[a->depth - 1];
    if (o->nelements == 255) {
        LOG_ERR("AML: Package with more than 255 elements");
        set_err(a, -STDVMM_E2BIG);
        return;
    }
    o->nelements++;
}

void aml_init(struct aml *a, uint8_t *buf, size_t size)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->size = buf ? size : 0;
    if (!buf) {
        LOG_ERR("AML buffer is NULL");
        a->err = -STDVMM_EINVAL;
    }
}

int aml_finish(struct aml *a)
{
    if (a->err == 0 && a->depth != 0) {
        LOG_ERR("AML: %u object(s) still open at the end", a->depth);
        a->err = -STDVMM_EINVAL;
    }
    return a->err;
}

void aml_bytes(struct aml *a, const void *data, size_t len)
{
    put(a, data, len);
}

static size_t encode_integer(uint64_t v, uint8_t out[AML_INTEGER_MAX])
{
    size_t n;

    if (v == 0) {
        out[0] = AML_OP_ZERO;
        return 1;
    }
    if (v == 1) {
        out[0] = AML_OP_ONE;
        return 1;
    }
    if (v <= 0xff) {
        out[0] = AML_PREFIX_BYTE;
        n = 1;
    } else if (v <= 0xffff) {
        out[0] = AML_PREFIX_WORD;
        n = 2;
    } else if (v <= 0xffffffffu) {
        out[0] = AML_PREFIX_DWORD;
        n = 4;
    } else {
        out[0] = AML_PREFIX_QWORD;
        n = 8;
    }
    for (size_t i = 0; i < n; i++) {
        out[1 + i] = (uint8_t)(v >> (8 * i));
    }
    return 1 + n;
}

static void put_integer(struct aml *a, uint64_t v)
{
    uint8_t enc[AML_INTEGER_MAX];

    put(a, enc, encode_integer(v, enc));
}

void aml_integer(struct aml *a, uint64_t value)
{
    count_element(a);
    put_integer(a, value);
}

static bool name_lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return name_lead_char(c) || (c >= '0' && c <= '9');
}

/*
 * Checks a path and counts its segments before anything is written, so a bad
 * name leaves no half-written NameString behind.
 */
static int parse_path(const char *path, size_t *prefix_len, size_t *nsegs)
{
    const char *p = path;
    size_t segs = 0;

    if (*p == '\\') {
        p++;
    } else {
        while (*p == '^') {
            p++;
        }
    }
    *prefix_len = (size_t)(p - path);
    if (*p == '\0') {
        *nsegs = 0;
        return 0;
    }
    for (;;) {
        size_t len = 0;

        while (p[len] != '\0' && p[len] != '.') {
            if (len == 4 || !(len == 0 ? name_lead_char(p[len]) : name_char(p[len]))) {
                return -STDVMM_EINVAL;
            }
            len++;
        }
        if (len == 0) {
            return -STDVMM_EINVAL;
        }
        segs++;
        p += len;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    if (segs > 255) {
        return -STDVMM_EINVAL;
    }
    *nsegs = segs;
    return 0;
}

static void put_namestring(struct aml *a, const char *path)
{
    size_t prefix_len, nsegs;
    const char *p;

    if (a->err) {
        return;
    }
    if (!path || parse_path(path, &prefix_len, &nsegs) != 0) {
        LOG_ERR("AML: invalid name \"%s\" (segments are 1-4 of A-Z, 0-9, _ "
                "and do not start with a digit)",
                path ? path : "(null)");
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    put(a, path, prefix_len);
    if (nsegs == 0) {
        put8(a, AML_OP_ZERO); /* NullName */
        return;
    }
    if (nsegs == 2) {
        put8(a, AML_PREFIX_DUAL_NAME);
    } else if (nsegs > 2) {
        put8(a, AML_PREFIX_MULTI_NAME);
        put8(a, (uint8_t)nsegs);
    }
    p = path + prefix_len;
    for (size_t s = 0; s < nsegs; s++) {
        char seg[4] = {'_', '_', '_', '_'};
        size_t len = 0;

        while (p[len] != '\0' && p[len] != '.') {
            seg[len] = p[len];
            len++;
        }
        put(a, seg, sizeof(seg));
        p += len + (p[len] == '.');
    }
}

void aml_namestring(struct aml *a, const char *path)
{
    count_element(a);
    put_namestring(a, path);
}

void aml_string(struct aml *a, const char *s)
{
    if (a->err) {
        return;
    }
    if (!s) {
        LOG_ERR("AML: NULL string");
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c > 0x7f) {
            LOG_ERR("AML: string \"%s\" has a non-ASCII byte at %zu", s, (size_t)(c - s));
            set_err(a, -STDVMM_EINVAL);
            return;
        }
    }
    count_element(a);
    put8(a, AML_PREFIX_STRING);
    put(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int aml_eisaid_value(const char *id, uint32_t *out)
{
    uint32_t v = 0;

    if (!id || strlen(id) != 7) {
        LOG_ERR("EISA id \"%s\" is not seven characters", id ? id : "(null)");
        return -STDVMM_EINVAL;
    }
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            LOG_ERR("EISA id \"%s\": vendor letter %d is not A-Z", id, i + 1);
            return -STDVMM_EINVAL;
        }
        v = (v << 5) | (uint32_t)(id[i] - 0x40);
    }
    for (int i = 3; i < 7; i++) {
        int d = hex_digit(id[i]);

        if (d < 0) {
            LOG_ERR("EISA id \"%s\": product digit %d is not an uppercase hex digit", id, i - 2);
            return -STDVMM_EINVAL;
        }
        v = (v << 4) | (uint32_t)d;
    }
    /* The id is defined big-endian, but the DWORD is stored little-endian. */
    *out = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
    return 0;
}

void aml_eisaid(struct aml *a, const char *id)
{
    uint32_t v;
    int err;

    if (a->err) {
        return;
    }
    err = aml_eisaid_value(id, &v);
    if (err) {
        set_err(a, err);
        return;
    }
    count_element(a);
    /* Always a DWord, as iasl writes it, whatever the value's size. */
    put8(a, AML_PREFIX_DWORD);
    put32(a, v);
}

void aml_name(struct aml *a, const char *path)
{
    put8(a, AML_OP_NAME);
    put_namestring(a, path);
}

void aml_name_integer(struct aml *a, const char *path, uint64_t value)
{
    aml_name(a, path);
    put_integer(a, value);
}

void aml_name_string(struct aml *a, const char *path, const char *s)
{
    aml_name(a, path);
    aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
    aml_name(a, path);
    aml_eisaid(a, id);
}

/* Bytes reserved after the PkgLength for a header only known at the end. */
static size_t reserved_header(enum aml_kind kind)
{
    switch (kind) {
    case AML_KIND_PACKAGE:
        return 1; /* NumElements */
    case AML_KIND_BUFFER:
        return 5; /* BufferSize, at most a DWordConst */
    default:
        return 0;
    }
}

static void open_pkg(struct aml *a, enum aml_kind kind)
{
    static const uint8_t zeros[AML_PKGLEN_MAX + 5];

    if (a->err) {
        return;
    }
    if (a->depth == AML_MAX_DEPTH) {
        LOG_ERR("AML: objects nested deeper than %d", AML_MAX_DEPTH);
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    a->open[a->depth].start = a->pos;
    a->open[a->depth].kind = (uint8_t)kind;
    a->open[a->depth].nelements = 0;
    put(a, zeros, AML_PKGLEN_MAX + reserved_header(kind));
    if (a->err == 0) {
        a->depth++;
    }
}

void aml_end(struct aml *a)
{
    struct aml_open *o;
    uint8_t hdr[AML_INTEGER_MAX];
    uint8_t pkglen[AML_PKGLEN_MAX];
    size_t body, blen, hlen = 0, content, n, total;

    if (a->err) {
        return;
    }
    if (a->depth == 0) {
        LOG_ERR("AML: aml_end() without an open object");
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    o = &a->open[a->depth - 1];
    body = o->start + AML_PKGLEN_MAX + reserved_header((enum aml_kind)o->kind);
    blen = a->pos - body;
    if (blen > AML_PKGLEN_LIMIT) {
        LOG_ERR("AML: object of %zu bytes is too large for a PkgLength", blen);
        set_err(a, -STDVMM_E2BIG);
        return;
    }
    if (o->kind == AML_KIND_PACKAGE) {
        hdr[0] = (uint8_t)o->nelements;
        hlen = 1;
    } else if (o->kind == AML_KIND_BUFFER) {
        hlen = encode_integer(blen, hdr);
    }

    /* The PkgLength counts its own bytes, which is what makes its width circular. */
    content = hlen + blen;
    if (content + 1 <= 0x3f) {
        n = 1;
    } else if (content + 2 <= 0xfff) {
        n = 2;
    } else if (content + 3 <= 0xfffff) {
        n = 3;
    } else if (content + 4 <= AML_PKGLEN_LIMIT) {
        n = 4;
    } else {
        LOG_ERR("AML: object of %zu bytes is too large for a PkgLength", content);
        set_err(a, -STDVMM_E2BIG);
        return;
    }
    total = content + n;
    if (n == 1) {
        pkglen[0] = (uint8_t)total;
    } else {
        pkglen[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
        for (size_t i = 1; i < n; i++) {
            pkglen[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
        }
    }
    memmove(a->buf + o->start + n + hlen, a->buf + body, blen);
    memcpy(a->buf + o->start, pkglen, n);
    memcpy(a->buf + o->start + n, hdr, hlen);
    /* Leave no stale copy of the body's tail behind the object. */
    memset(a->buf + o->start + total, 0, a->pos - (o->start + total));
    a->pos = o->start + total;
    a->depth--;
}

void aml_scope_begin(struct aml *a, const char *path)
{
    put8(a, AML_OP_SCOPE);
    open_pkg(a, AML_KIND_SCOPE);
    put_namestring(a, path);
}

void aml_device_begin(struct aml *a, const char *path)
{
    put8(a, AML_PREFIX_EXT_OP);
    put8(a, AML_OP_EXT_DEVICE);
    open_pkg(a, AML_KIND_DEVICE);
    put_namestring(a, path);
}

void aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized)
{
    if (a->err) {
        return;
    }
    if (nargs > 7) {
        LOG_ERR("AML: Method %s with %u arguments (at most 7)", path ? path : "(null)", nargs);
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    put8(a, AML_OP_METHOD);
    open_pkg(a, AML_KIND_METHOD);
    put_namestring(a, path);
    put8(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void aml_package_begin(struct aml *a)
{
    count_element(a);
    put8(a, AML_OP_PACKAGE);
    open_pkg(a, AML_KIND_PACKAGE);
}

void aml_buffer_begin(struct aml *a)
{
    count_element(a);
    put8(a, AML_OP_BUFFER);
    open_pkg(a, AML_KIND_BUFFER);
}

void aml_return_integer(struct aml *a, uint64_t value)
{
    put8(a, AML_OP_RETURN);
    put_integer(a, value);
}

void aml_resource_begin(struct aml *a)
{
    aml_buffer_begin(a);
}

/* Resource descriptors are only meaningful as the contents of a Buffer. */
static bool in_resource(struct aml *a, const char *what)
{
    if (a->err) {
        return false;
    }
    if (!inside(a, AML_KIND_BUFFER)) {
        LOG_ERR("AML: %s descriptor outside a resource template", what);
        set_err(a, -STDVMM_EINVAL);
        return false;
    }
    return true;
}

void aml_resource_end(struct aml *a)
{
    const struct aml_open *o;
    uint8_t sum = RES_END_TAG;

    if (!in_resource(a, "EndTag")) {
        return;
    }
    o = &a->open[a->depth - 1];
    for (size_t i = o->start + AML_PKGLEN_MAX + reserved_header(AML_KIND_BUFFER); i < a->pos; i++) {
        sum = (uint8_t)(sum + a->buf[i]);
    }
    put8(a, RES_END_TAG);
    put8(a, (uint8_t)-sum);
    aml_end(a);
}

void aml_memory32_fixed(struct aml *a, uint32_t base, uint32_t length, bool writable)
{
    if (!in_resource(a, "Memory32Fixed")) {
        return;
    }
    if (length != 0 && base + (uint64_t)length - 1 > 0xffffffffu) {
        LOG_ERR("Memory32Fixed 0x%x+0x%x crosses 4 GiB", base, length);
        set_err(a, -STDVMM_ERANGE);
        return;
    }
    put8(a, RES_MEMORY32_FIXED);
    put16(a, 9);
    put8(a, writable ? 1 : 0);
    put32(a, base);
    put32(a, length);
}

void aml_qword_memory(struct aml *a, uint64_t base, uint64_t length, bool writable)
{
    if (!in_resource(a, "QWordMemory")) {
        return;
    }
    if (length == 0 || base + length - 1 < base) {
        LOG_ERR("QWordMemory 0x%llx+0x%llx: empty or past 2^64", (unsigned long long)base,
                (unsigned long long)length);
        set_err(a, -STDVMM_ERANGE);
        return;
    }
    put8(a, RES_QWORD_ADDRESS);
    put16(a, 43);
    put8(a, 0);                                    /* memory range */
    put8(a, 0x0d); /* a consumer; minimum and maximum fixed; positive decode */
    put8(a, (uint8_t)(0x02 | (writable ? 1 : 0))); /* cacheable, address range memory */
    put32(a, 0);                                   /* granularity */
    put32(a, 0);
    put32(a, (uint32_t)base);
    put32(a, (uint32_t)(base >> 32));
    put32(a, (uint32_t)(base + length - 1));
    put32(a, (uint32_t)((base + length - 1) >> 32));
    put32(a, 0); /* translation */
    put32(a, 0);
    put32(a, (uint32_t)length);
    put32(a, (uint32_t)(length >> 32));
}

void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t length)
{
    if (!in_resource(a, "IO")) {
        return;
    }
    if (max < min) {
        LOG_ERR("IO descriptor: maximum base 0x%x below minimum 0x%x", max, min);
        set_err(a, -STDVMM_EINVAL);
        return;
    }
    put8(a, RES_IO);
    put8(a, 1); /* decodes all 16 address bits */
    put16(a, min);
    put16(a, max);
    put8(a, align);
    put8(a, length);
}

void aml_fixed_io(struct aml *a, uint16_t base, uint8_t length)
{
    if (!in_resource(a, "FixedIO")) {
        return;
    }
    if (base > 0x3ff) {
        LOG_ERR("FixedIO base 0x%x needs more than 10 address bits", base);
        set_err(a, -STDVMM_ERANGE);
        return;
    }
    put8(a, RES_FIXED_IO);
    put16(a, base);
    put8(a, length);
}

void aml_irq_no_flags(struct aml *a, unsigned irq)
{
    if (!in_resource(a, "IRQNoFlags")) {
        return;
    }
    if (irq > 15) {
        LOG_ERR("IRQNoFlags: IRQ %u is not an ISA IRQ (0-15)", irq);
        set_err(a, -STDVMM_ERANGE);
        return;
    }
    put8(a, RES_IRQ_NO_FLAGS);
    put16(a, (uint16_t)(1u << irq));
}

void aml_interrupt(struct aml *a, uint32_t gsi, enum aml_irq_trigger trigger,
                   enum aml_irq_polarity polarity, bool shared)
{
    uint8_t flags = 0x01; /* ResourceConsumer */

    if (!in_resource(a, "Interrupt")) {
        return;
    }
    if (trigger == AML_IRQ_EDGE) {
        flags |= 0x02;
    }
    if (polarity == AML_IRQ_ACTIVE_LOW) {
        flags |= 0x04;
    }
    if (shared) {
        flags |= 0x08;
    }
    put8(a, RES_EXT_INTERRUPT);
    put16(a, 6); /* flags, count and one GSI; no ResourceSource */
    put8(a, flags);
    put8(a, 1);
    put32(a, gsi);
}
