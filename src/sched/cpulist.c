/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU list grammar (include/stdvmm/cpulist.h). The system description's
 * host CPU sets and the placement model's pCPU sets are the same bitmap
 * under two names; both parse and print through here.
 */
#include "stdvmm/cpulist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has(const uint64_t *bits, unsigned cpu)
{
    return (bits[cpu / 64] >> (cpu % 64)) & 1;
}

/* One CPU number; strtoul alone would take a sign or leading blanks. */
static bool parse_cpu(const char **p, unsigned ncpus, unsigned long *out)
{
    char *end;

    if (**p < '0' || **p > '9')
        return false;
    *out = strtoul(*p, &end, 10);
    *p = end;
    return *out < ncpus;
}

bool cpulist_parse(const char *s, const char *seps, uint64_t *bits, unsigned ncpus)
{
    const char *p = s;

    memset(bits, 0, (ncpus + 63) / 64 * sizeof(*bits));
    if (s == NULL || *s == '\0')
        return false;
    for (;;) {
        unsigned long lo, hi;
        if (!parse_cpu(&p, ncpus, &lo))
            return false;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!parse_cpu(&p, ncpus, &hi) || hi < lo)
                return false;
        }
        for (unsigned long c = lo; c <= hi; c++)
            bits[c / 64] |= 1ull << (c % 64);
        if (*p == '\0')
            return true;
        if (strchr(seps, *p) == NULL)
            return false;
        p++; /* a separator must be followed by a part: parse_cpu refuses "" */
    }
}

void cpulist_format(const uint64_t *bits, unsigned ncpus, char sep, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return;
    buf[0] = '\0';
    for (unsigned c = 0; c < ncpus; c++) {
        if (!has(bits, c))
            continue;
        unsigned e = c;
        while (e + 1 < ncpus && has(bits, e + 1))
            e++;
        int first = used == 0;
        int n = e == c ? snprintf(buf + used, size - used, "%.*s%u", !first, &sep, c)
                       : snprintf(buf + used, size - used, "%.*s%u-%u", !first, &sep, c, e);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
        c = e;
    }
}
