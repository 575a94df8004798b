/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/riscv64/isa.h"

#include <stdbool.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static const char *const names[RV64_EXT_COUNT] = {
    [RV64_EXT_A] = "a",
    [RV64_EXT_C] = "c",
    [RV64_EXT_D] = "d",
    [RV64_EXT_F] = "f",
    [RV64_EXT_H] = "h",
    [RV64_EXT_I] = "i",
    [RV64_EXT_M] = "m",
    [RV64_EXT_SVPBMT] = "svpbmt",
    [RV64_EXT_SSTC] = "sstc",
    [RV64_EXT_SVINVAL] = "svinval",
    [RV64_EXT_ZIHINTPAUSE] = "zihintpause",
    [RV64_EXT_ZICBOM] = "zicbom",
    [RV64_EXT_ZICBOZ] = "zicboz",
    [RV64_EXT_ZBB] = "zbb",
    [RV64_EXT_SSAIA] = "ssaia",
    [RV64_EXT_V] = "v",
    [RV64_EXT_SVNAPOT] = "svnapot",
    [RV64_EXT_ZBA] = "zba",
    [RV64_EXT_ZBS] = "zbs",
    [RV64_EXT_ZICNTR] = "zicntr",
    [RV64_EXT_ZICSR] = "zicsr",
    [RV64_EXT_ZIFENCEI] = "zifencei",
    [RV64_EXT_ZIHPM] = "zihpm",
};

/* The ISA manual's canonical order of single-letter extensions (H is never passed on). */
static const enum rv64_isa_ext letters[] = {RV64_EXT_I, RV64_EXT_M, RV64_EXT_A, RV64_EXT_F,
                                            RV64_EXT_D, RV64_EXT_C, RV64_EXT_V};

/*
 * Multi-letter extensions as the ISA manual orders them in an ISA string:
 * Z before S, a Z extension by the single letter it extends (i, then b),
 * alphabetically within.
 */
static const enum rv64_isa_ext multi[] = {
    RV64_EXT_ZICBOM,      RV64_EXT_ZICBOZ, RV64_EXT_ZICNTR,  RV64_EXT_ZICSR,   RV64_EXT_ZIFENCEI,
    RV64_EXT_ZIHINTPAUSE, RV64_EXT_ZIHPM,  RV64_EXT_ZBA,     RV64_EXT_ZBB,     RV64_EXT_ZBS,
    RV64_EXT_SSAIA,       RV64_EXT_SSTC,   RV64_EXT_SVINVAL, RV64_EXT_SVNAPOT, RV64_EXT_SVPBMT,
};
_Static_assert(sizeof(letters) / sizeof(letters[0]) + sizeof(multi) / sizeof(multi[0]) + 1 ==
                   RV64_EXT_COUNT,
               "every extension (H aside) is in letters[] or multi[]");

/* A guest hart cannot run a hypervisor under KVM: naming H would make Linux try. */
static bool listed(uint64_t ext, unsigned n)
{
    return n != RV64_EXT_H && n < RV64_EXT_COUNT && (ext & (1ull << n)) != 0;
}

const char *rv64_isa_ext_name(unsigned ext)
{
    return ext < RV64_EXT_COUNT ? names[ext] : NULL;
}

struct out {
    char *buf;
    unsigned size, len;
    bool full;
};

static void put(struct out *o, const char *s, unsigned n)
{
    if (o->full || o->len + n >= o->size) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

int rv64_isa_string(uint64_t ext, char *buf, unsigned size)
{
    /* What every Linux riscv64 kernel assumes (RV64IMA; Debian's also F, D, C, Zicsr, Zifencei). */
    static const enum rv64_isa_ext needed[] = {RV64_EXT_I, RV64_EXT_M, RV64_EXT_A};
    struct out o = {.buf = buf, .size = size};

    for (unsigned i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (!listed(ext, needed[i])) {
            LOG_ERR("riscv64: the hypervisor's vCPUs lack the %s extension, which Linux needs",
                    names[needed[i]]);
            return -STDVMM_EINVAL;
        }
    }
    if (size == 0)
        return -STDVMM_ENOSPC;
    buf[0] = '\0';
    put(&o, "rv64", 4);
    for (unsigned i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
        if (listed(ext, letters[i]))
            put(&o, names[letters[i]], 1);
    }
    for (unsigned i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
        if (listed(ext, multi[i])) {
            put(&o, "_", 1);
            put(&o, names[multi[i]], (unsigned)strlen(names[multi[i]]));
        }
    }
    return o.full ? -STDVMM_ENOSPC : (int)o.len;
}

int rv64_isa_ext_list(uint64_t ext, char *buf, unsigned size)
{
    struct out o = {.buf = buf, .size = size};

    if (size == 0)
        return -STDVMM_ENOSPC;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
        if (listed(ext, letters[i]))
            put(&o, names[letters[i]], 2); /* with its NUL */
    }
    for (unsigned i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
        if (listed(ext, multi[i]))
            put(&o, names[multi[i]], (unsigned)strlen(names[multi[i]]) + 1);
    }
    return o.full ? -STDVMM_ENOSPC : (int)o.len;
}
