/* SPDX-License-Identifier: BSD-2-Clause */
#include "manager_shared.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

struct mgr_shared_region {
    int memfd;
    int bells[SYSCONF_MAX_SHARED_MEMBERS];
};

static void close_region(struct mgr_shared_region *r, unsigned members)
{
    if (r->memfd >= 0)
        close(r->memfd);
    for (unsigned k = 0; k < members; k++) {
        if (r->bells[k] >= 0)
            close(r->bells[k]);
    }
}

/*
 * Sealed at its size: a member cannot shrink it under the others (their
 * next touch past the end would be SIGBUS) nor grow it to use the host's
 * memory.
 */
static int make_memory(const struct sysconf_shared_region *d)
{
    char name[80];
    snprintf(name, sizeof(name), "stdvmm-shared-%s", d->name);
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        LOG_ERR("shared region %s: memfd_create: %s", d->name, strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)d->size) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        LOG_ERR("shared region %s: cannot size and seal %llu bytes: %s", d->name,
                (unsigned long long)d->size, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int mgr_shared_open(struct mgr *m)
{
    const struct sysconf *cfg = &m->cfg;
    if (cfg->shared_count == 0)
        return 0;
    m->shared = calloc(cfg->shared_count, sizeof(*m->shared));
    if (m->shared == NULL)
        return -STDVMM_ENOMEM;
    for (unsigned i = 0; i < cfg->shared_count; i++) {
        const struct sysconf_shared_region *d = &cfg->shared[i];
        struct mgr_shared_region *r = &m->shared[i];
        for (unsigned k = 0; k < SYSCONF_MAX_SHARED_MEMBERS; k++)
            r->bells[k] = -1;
        r->memfd = make_memory(d);
        if (r->memfd < 0)
            return -STDVMM_EIO;
        for (unsigned k = 0; d->doorbell && k < d->member_count; k++) {
            r->bells[k] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (r->bells[k] < 0) {
                LOG_ERR("shared region %s: eventfd: %s", d->name, strerror(errno));
                return -STDVMM_EIO;
            }
        }
        LOG_INFO("shared region %s: %llu bytes for %u members%s", d->name,
                 (unsigned long long)d->size, d->member_count, d->doorbell ? ", doorbells" : "");
    }
    return 0;
}

void mgr_shared_close(struct mgr *m)
{
    if (m->shared == NULL)
        return;
    for (unsigned i = 0; i < m->cfg.shared_count; i++)
        close_region(&m->shared[i], SYSCONF_MAX_SHARED_MEMBERS);
    free(m->shared);
    m->shared = NULL;
}

/* Another descriptor of the memory that can only read: mmap for writing then fails. */
static int read_only_memory(int memfd)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static int add_fd(struct mgr_shared_spawn *s, int fd, bool owned)
{
    s->fds[s->fd_count] = fd;
    s->owned[s->fd_count] = owned;
    return MGR_SHARED_FD_BASE + (int)s->fd_count++;
}

int mgr_shared_spawn(struct mgr *m, const struct mgr_vm *vm, struct mgr_shared_spawn *out,
                     struct stdvmm_error *err)
{
    const struct sysconf *cfg = &m->cfg;
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; m->shared != NULL && i < cfg->shared_count; i++) {
        const struct sysconf_shared_region *d = &cfg->shared[i];
        const struct mgr_shared_region *r = &m->shared[i];
        unsigned me = d->member_count;
        for (unsigned k = 0; k < d->member_count; k++) {
            if (strcmp(d->members[k].vm, vm->name) == 0)
                me = k;
        }
        if (me == d->member_count)
            continue;
        const struct sysconf_shared_member *mb = &d->members[me];
        int mem = r->memfd;
        if (mb->read_only) {
            mem = read_only_memory(r->memfd);
            if (mem < 0) {
                mgr_shared_spawn_done(out);
                return stdvmm_error_set(err, STDVMM_EIO,
                                        "shared region %s: cannot open it read-only for %s: %s",
                                        d->name, vm->name, strerror(errno));
            }
        }
        char *arg = out->args[out->arg_count++];
        int used = snprintf(arg, MGR_SHARED_ARG_MAX,
                            "name=%s,gpa=0x%llx,size=0x%llx,fd=%d,access=%s,member=%u,members=%u",
                            d->name, (unsigned long long)mb->gpa, (unsigned long long)d->size,
                            add_fd(out, mem, mb->read_only), mb->read_only ? "ro" : "rw", me,
                            d->member_count);
        for (unsigned k = 0; d->doorbell && k < d->member_count; k++)
            used += snprintf(arg + used, MGR_SHARED_ARG_MAX - (size_t)used, "%s%d",
                             k == 0 ? ",doorbells=" : ":", add_fd(out, r->bells[k], false));
    }
    return 0;
}

void mgr_shared_spawn_done(struct mgr_shared_spawn *s)
{
    for (unsigned k = 0; k < s->fd_count; k++) {
        if (s->owned[k])
            close(s->fds[k]);
    }
    s->fd_count = 0;
}
