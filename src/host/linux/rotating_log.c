/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest's console log with a size cap. The guest decides what and how
 * much it writes, so an unbounded append lets it fill the host's disk (or
 * RAM, when the log is on tmpfs under /run). When the file would pass its
 * cap it becomes PATH.1 (replacing the previous one) and a new PATH is
 * started: at most twice the cap on disk, and the newest output kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"

/*
 * O_NOFOLLOW: a symlink planted where the log goes must not redirect the
 * guest's bytes into another file. O_EXCL on rotation: the new file is ours.
 */
#define LOG_FLAGS (O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)

static int open_log(struct host_rotlog *l, int extra)
{
    int fd = openat(l->dir_fd, l->base, LOG_FLAGS | extra, 0600);
    struct stat st;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    l->fd = fd;
    /* A terminal, pipe or /dev/null has no size to cap. */
    l->regular = S_ISREG(st.st_mode);
    l->size = l->regular ? (uint64_t)st.st_size : 0;
    return 0;
}

int host_rotlog_open(struct host_rotlog *l, const char *path, uint64_t max)
{
    memset(l, 0, sizeof(*l));
    l->fd = l->dir_fd = -1;
    if (path == NULL || *path == '\0' || max == 0) {
        LOG_ERR("serial log: needs a path and a size cap above 0");
        return -STDVMM_EINVAL;
    }
    char *a = strdup(path), *b = strdup(path);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return -STDVMM_ENOMEM;
    }
    l->dir_fd = open(dirname(a), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = l->dir_fd < 0 ? errno : 0;
    snprintf(l->base, sizeof(l->base), "%s", basename(b));
    bool fits = strlen(basename(b)) + 3 <= sizeof(l->base);
    free(a);
    free(b);
    if (e != 0) {
        LOG_ERR("serial log %s: cannot open its directory: %s", path, strerror(e));
        return -e;
    }
    if (!fits || strcmp(l->base, "/") == 0 || strcmp(l->base, ".") == 0 ||
        strcmp(l->base, "..") == 0) {
        LOG_ERR("serial log %s: not a usable file name", path);
        host_rotlog_close(l);
        return -STDVMM_EINVAL;
    }
    l->path = path;
    l->max = max;
    pthread_mutex_init(&l->lock, NULL);
    l->lock_ready = true;
    int r = open_log(l, O_CREAT);
    if (r < 0) {
        LOG_ERR("serial log %s: cannot open: %s%s", path, strerror(-r),
                r == -ELOOP ? " (it is a symbolic link; give the file itself)" : "");
        host_rotlog_close(l);
        return r;
    }
    return 0;
}

void host_rotlog_in_place(struct host_rotlog *l)
{
    pthread_mutex_lock(&l->lock);
    l->in_place = true;
    pthread_mutex_unlock(&l->lock);
}

/* The file starts over, still within its cap and keeping the newest output. */
static bool start_over(struct host_rotlog *l)
{
    if (ftruncate(l->fd, 0) != 0) {
        LOG_WARN("serial log %s: cannot start it over: %s; dropping guest output from now on",
                 l->path, strerror(errno));
        close(l->fd);
        l->fd = -1;
        return false;
    }
    l->size = 0;
    if (l->rotations++ == 0)
        LOG_INFO("serial log %s reached %llu bytes: it starts over (this repeats quietly)",
                 l->path, (unsigned long long)l->max);
    return true;
}

/* PATH -> PATH.1 and a new, empty PATH; false when the log must stop. */
static bool rotate(struct host_rotlog *l)
{
    char old[sizeof(l->base) + 2];

    if (l->in_place)
        return start_over(l);
    snprintf(old, sizeof(old), "%s.1", l->base);
    close(l->fd);
    l->fd = -1;
    if (renameat(l->dir_fd, l->base, l->dir_fd, old) < 0) {
        LOG_WARN("serial log %s: cannot rotate it to %s.1: %s; dropping guest output from now on",
                 l->path, l->path, strerror(errno));
        return false;
    }
    int r = open_log(l, O_CREAT | O_EXCL);
    if (r < 0) {
        LOG_WARN("serial log %s: cannot start a new file after rotation: %s; dropping guest "
                 "output from now on",
                 l->path, strerror(-r));
        return false;
    }
    /* The rename must survive a crash as much as the bytes do. */
    fsync(l->dir_fd);
    l->rotations++;
    if (l->rotations == 1)
        LOG_INFO("serial log %s reached %llu bytes: rotated to %s.1 (this repeats quietly)",
                 l->path, (unsigned long long)l->max, l->path);
    return true;
}

static void write_all(struct host_rotlog *l, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(l->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a full disk or a closed reader must not stop the guest */
        buf += n;
        len -= (size_t)n;
        l->size += (uint64_t)n;
    }
}

void host_rotlog_write(struct host_rotlog *l, const void *data, size_t len)
{
    const uint8_t *buf = data;

    pthread_mutex_lock(&l->lock);
    while (l->fd >= 0 && len > 0) {
        if (!l->regular) {
            write_all(l, buf, len);
            break;
        }
        if (l->size >= l->max && !rotate(l))
            break;
        uint64_t room = l->max - l->size;
        size_t n = len < room ? len : (size_t)room;
        write_all(l, buf, n);
        buf += n;
        len -= n;
        if (l->size < l->max && len > 0)
            break; /* the write fell short: do not spin on a full disk */
    }
    pthread_mutex_unlock(&l->lock);
}

void host_rotlog_close(struct host_rotlog *l)
{
    if (l->fd >= 0)
        close(l->fd);
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    if (l->lock_ready)
        pthread_mutex_destroy(&l->lock);
    l->fd = l->dir_fd = -1;
    l->lock_ready = false;
}
