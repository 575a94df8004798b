/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stdvmm/host/linux.h"

void *host_guest_ram_alloc(uint64_t size)
{
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        LOG_ERR("cannot reserve %llu MiB of guest RAM: %s", (unsigned long long)(size >> 20),
                strerror(errno));
        return NULL;
    }
    /* Guest memory is the guest's secret, and large: keep it out of core dumps. */
    madvise(p, (size_t)size, MADV_DONTDUMP);
    madvise(p, (size_t)size, MADV_HUGEPAGE);
    return p;
}

void host_guest_ram_free(void *ram, uint64_t size)
{
    if (ram != NULL)
        munmap(ram, (size_t)size);
}

bool host_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    case 't':
    case 'T':
        shift = 40;
        end++;
        break;
    default:
        return false;
    }
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0' || (shift && v > (~0ull >> shift)))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}
