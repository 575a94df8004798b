/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sequential-write helpers the device tree builders share (dtb.c for
 * Arm, dtb_riscv64.c): the first libfdt error sticks and stops the build.
 */
#ifndef STDVMM_FIRMWARE_FDT_WRITER_H
#define STDVMM_FIRMWARE_FDT_WRITER_H

#include <libfdt.h>
#include <stdint.h>
#include <string.h>

#define NAME_MAX_LEN 48

/* libfdt reports errors as negative FDT_ERR_*; the first one stops the build. */
struct writer {
    void *fdt;
    int err;
};

static inline void check(struct writer *w, int r)
{
    if (w->err == 0 && r < 0)
        w->err = r;
}

static inline void begin(struct writer *w, const char *name)
{
    if (w->err == 0)
        check(w, fdt_begin_node(w->fdt, name));
}

static inline void end(struct writer *w)
{
    if (w->err == 0)
        check(w, fdt_end_node(w->fdt));
}

static inline void prop(struct writer *w, const char *name, const void *val, int len)
{
    if (w->err == 0)
        check(w, fdt_property(w->fdt, name, val, len));
}

static inline void prop_str(struct writer *w, const char *name, const char *s)
{
    prop(w, name, s, (int)strlen(s) + 1);
}

static inline void prop_u32(struct writer *w, const char *name, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);
    prop(w, name, &be, sizeof(be));
}

static inline void prop_u64(struct writer *w, const char *name, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);
    prop(w, name, &be, sizeof(be));
}

static inline void prop_empty(struct writer *w, const char *name)
{
    static const char nothing; /* libfdt copies 0 bytes from it; NULL would be UB for memcpy */
    prop(w, name, &nothing, 0);
}

/* reg = <base size> with #address-cells = #size-cells = 2. */
static inline void prop_reg(struct writer *w, uint64_t base, uint64_t size)
{
    fdt64_t cells[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    prop(w, "reg", cells, sizeof(cells));
}

/* "prefix@hex": snprintf is not available to freestanding code. */
static inline const char *unit_name(char *buf, const char *prefix, uint64_t addr)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(prefix);
    char digits[16];
    int d = 0;

    if (n > NAME_MAX_LEN - 18)
        n = NAME_MAX_LEN - 18;
    memcpy(buf, prefix, n);
    buf[n++] = '@';
    do {
        digits[d++] = hex[addr & 0xf];
        addr >>= 4;
    } while (addr != 0);
    while (d > 0)
        buf[n++] = digits[--d];
    buf[n] = '\0';
    return buf;
}

/* The compatible property is a list of NUL-terminated strings. */
static inline void prop_compat2(struct writer *w, const char *a, const char *b)
{
    char both[64];
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;

    if (la + lb > sizeof(both)) {
        check(w, -FDT_ERR_BADVALUE);
        return;
    }
    memcpy(both, a, la);
    memcpy(both + la, b, lb);
    prop(w, "compatible", both, (int)(la + lb));
}

#endif
