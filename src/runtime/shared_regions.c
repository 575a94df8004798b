/* SPDX-License-Identifier: BSD-2-Clause */
#include "shared_regions.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/log.h"

/* The guest sees 4 KiB pages on every arch stdvmm runs; KVM maps whole pages. */
#define PAGE 4096ull

int shared_regions_check(const struct vmm_config *cfg)
{
    int bad = 0;

    for (unsigned i = 0; i < cfg->shared_count; i++) {
        const struct vmm_shared_region *r = &cfg->shared[i];
        const char *name = r->name != NULL ? r->name : "(no name)";
        if (r->name == NULL || strlen(r->name) > SHARED_REGION_NAME_MAX) {
            LOG_ERR("--shared-region %u: needs name=NAME of 1 to %d characters", i,
                    SHARED_REGION_NAME_MAX);
            bad = 1;
        }
        if ((r->fd < 0) == (r->path == NULL)) {
            LOG_ERR("--shared-region %s: needs fd=N or path=FILE (one of them)", name);
            bad = 1;
        }
        if (r->size == 0 || r->size % PAGE != 0 || r->gpa % PAGE != 0) {
            LOG_ERR("--shared-region %s: gpa and size must be multiples of 4 KiB, size not 0",
                    name);
            bad = 1;
        }
        if (r->members == 0 || r->member >= r->members) {
            LOG_ERR("--shared-region %s: member %u of %u", name, r->member, r->members);
            bad = 1;
        }
        if (r->doorbell_count != 0 && r->doorbell_count != r->members) {
            LOG_ERR("--shared-region %s: %u doorbells for %u members: give one per member", name,
                    r->doorbell_count, r->members);
            bad = 1;
        }
        for (unsigned j = 0; j < i; j++) {
            if (r->name != NULL && cfg->shared[j].name != NULL &&
                strcmp(r->name, cfg->shared[j].name) == 0) {
                LOG_ERR("--shared-region %s: given twice", name);
                bad = 1;
            }
        }
    }
    return bad ? -STDVMM_EINVAL : 0;
}

static void *map_one(const struct vmm_shared_region *r)
{
    int fd = r->fd;
    if (r->path != NULL) {
        fd = open(r->path, (r->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            LOG_ERR("shared region %s: cannot open %s: %s", r->name, r->path, strerror(errno));
            return NULL;
        }
    }
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) != 0) {
        LOG_ERR("shared region %s: descriptor %d: %s", r->name, fd, strerror(errno));
    } else if ((uint64_t)st.st_size < r->size) {
        /* Mapping past the end would kill the VMM with SIGBUS at the guest's first touch. */
        LOG_ERR("shared region %s: its memory holds %lld bytes, not %llu", r->name,
                (long long)st.st_size, (unsigned long long)r->size);
    } else {
        p = mmap(NULL, r->size, PROT_READ | (r->read_only ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            LOG_ERR("shared region %s: cannot map %llu bytes%s: %s", r->name,
                    (unsigned long long)r->size,
                    r->read_only ? "" : " for writing (is the descriptor read-only?)",
                    strerror(errno));
    }
    /* The mapping keeps the memory; a descriptor left open would reach the jail for nothing. */
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

int shared_regions_open(struct shared_regions *s, const struct vmm_config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    for (unsigned i = 0; i < cfg->shared_count; i++) {
        const struct vmm_shared_region *r = &cfg->shared[i];
        s->host[i] = map_one(r);
        if (s->host[i] == NULL)
            return -STDVMM_EIO;
        s->count = i + 1;
        s->desc[i] = (struct machine_shared){
            .name = r->name,
            .gpa = r->gpa,
            .size = r->size,
            .writable = !r->read_only,
            .doorbell = r->doorbell_count != 0,
            .member = r->member,
            .members = r->members,
        };
    }
    return 0;
}

void shared_regions_close(struct shared_regions *s)
{
    for (unsigned i = 0; i < s->count; i++) {
        if (s->host[i] != NULL)
            munmap(s->host[i], s->cfg->shared[i].size);
        s->host[i] = NULL;
    }
    s->count = 0;
}

void *shared_regions_map(void *ctx, unsigned index, const struct machine_shared *sh)
{
    struct shared_regions *s = ctx;
    (void)sh;
    return index < s->count ? s->host[index] : NULL;
}

void shared_regions_ring(void *ctx, unsigned index, uint32_t target)
{
    struct shared_regions *s = ctx;
    if (index >= s->count)
        return;
    const struct vmm_shared_region *r = &s->cfg->shared[index];
    for (unsigned i = 0; i < r->doorbell_count; i++) {
        if (i != r->member && (target == SHARED_REGION_RING_ALL || target == i))
            host_eventfd_signal(r->doorbells[i]);
    }
}

unsigned shared_regions_pollfds(const struct shared_regions *s, struct pollfd *fds,
                                unsigned *index)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->count; i++) {
        const struct vmm_shared_region *r = &s->cfg->shared[i];
        if (r->doorbell_count == 0)
            continue;
        fds[n] = (struct pollfd){.fd = r->doorbells[r->member], .events = POLLIN};
        index[n++] = i;
    }
    return n;
}

void shared_regions_doorbell(struct shared_regions *s, struct machine *m, unsigned index)
{
    if (index >= s->count)
        return;
    const struct vmm_shared_region *r = &s->cfg->shared[index];
    uint64_t rings;
    /* The eventfd adds rings up; RINGS stays exact however many came between two polls. */
    if (read(r->doorbells[r->member], &rings, sizeof(rings)) == sizeof(rings))
        machine_shared_doorbell(m, index, rings > UINT32_MAX ? UINT32_MAX : (uint32_t)rings);
}
