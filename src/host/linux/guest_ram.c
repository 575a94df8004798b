/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stdvmm/host/linux.h"

/*
 * Guest RAM starts on a 2 MiB boundary, as guest-physical RAM does: only
 * then can a huge page of the host back a huge page of the guest, and KVM
 * map the guest's memory 2 MiB at a time (in the nested or the shadow page
 * tables) instead of taking a fault for every 4 KiB. Linux 6.1 does not
 * align large anonymous mappings by itself.
 */
#define RAM_ALIGN (2ull << 20)

/* An inaccessible reservation of size bytes at a RAM_ALIGN boundary; MAP_FAILED if none. */
static void *reserve_aligned(uint64_t size)
{
    uint64_t span = size + RAM_ALIGN;
    uint8_t *p =
        mmap(NULL, (size_t)span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        return MAP_FAILED;
    uint64_t head = (RAM_ALIGN - (uintptr_t)p % RAM_ALIGN) % RAM_ALIGN;
    if (head != 0)
        munmap(p, (size_t)head);
    munmap(p + head + size, (size_t)(span - head - size));
    return p + head;
}

static void advise(void *p, uint64_t size)
{
    /* Guest memory is the guest's secret, and large: keep it out of core dumps. */
    madvise(p, (size_t)size, MADV_DONTDUMP);
    madvise(p, (size_t)size, MADV_HUGEPAGE);
}

void *host_guest_ram_alloc(uint64_t size)
{
    void *p = reserve_aligned(size);

    if (p != MAP_FAILED)
        p = mmap(p, (size_t)size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

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
        p = reserve_aligned(size);
    if (p != MAP_FAILED)
        p = mmap(p, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
                 *fd, 0);
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
