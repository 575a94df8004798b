/* SPDX-License-Identifier: BSD-2-Clause */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stdvmm/host/linux.h"

static void advise(void *p, uint64_t size)
{
    /* Guest memory is the guest's secret, and large: keep it out of core dumps. */
    madvise(p, (size_t)size, MADV_DONTDUMP);
    madvise(p, (size_t)size, MADV_HUGEPAGE);
}

void *host_guest_ram_alloc(uint64_t size)
{
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        LOG_ERR("cannot reserve %llu MiB of guest RAM: %s", (unsigned long long)(size >> 20),
                strerror(errno));
        return NULL;
    }
    advise(p, size);
    return p;
}

void *host_guest_ram_alloc_shared(uint64_t size, const char *name, int *fd)
{
    /* Sealing off growth and shrinking: the backend maps this size and must not see it change. */
    *fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (*fd < 0) {
        LOG_ERR("memfd_create for shared guest RAM: %s", strerror(errno));
        return NULL;
    }
    void *p = MAP_FAILED;
    if (ftruncate(*fd, (off_t)size) == 0 &&
        fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
        p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, *fd, 0);
    if (p == MAP_FAILED) {
        LOG_ERR("cannot make %llu MiB of shared guest RAM: %s", (unsigned long long)(size >> 20),
                strerror(errno));
        close(*fd);
        *fd = -1;
        return NULL;
    }
    advise(p, size);
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
    /* Hexadecimal for addresses ("0x40000000"); a leading 0 alone is not octal. */
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex && !isxdigit((unsigned char)s[2]))
        return false;
    v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
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
