/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's state directory and the checks that let a restarted manager
 * re-adopt running VMs. A pid alone proves nothing (pids are reused), so a
 * pid file also holds the process's start time, and adoption re-checks it
 * with the executable and command line in /proc. The /proc root is a
 * parameter so that tests can build a fake one.
 */
#include "manager_state.h"

#include "stdvmm/error_report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"

int mgr_write_file(const char *path, const char *text)
{
    char dir[PATH_MAX], tmp[NAME_MAX + 1];
    size_t len = strlen(text);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;

    if (*base == '\0' || snprintf(tmp, sizeof(tmp), "%s.tmp", base) >= (int)sizeof(tmp))
        return -STDVMM_EINVAL;
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path) >=
             (int)sizeof(dir))
        return -STDVMM_EINVAL;
    /*
     * Everything relative to one directory descriptor, the temporary
     * created with O_EXCL|O_NOFOLLOW: a symlink planted as NAME.tmp must
     * not have its target overwritten. A stale one from a crash (or a
     * planted link) is removed first; unlinkat removes the link itself.
     */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) == 0)
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        close(dfd);
        return -e;
    }
    ssize_t n = write(fd, text, len);
    int r = (n == (ssize_t)len && fsync(fd) == 0) ? 0 : -STDVMM_EIO;
    close(fd);
    /* rename() is atomic: a crash leaves the old file or the new, never half of one. */
    if (r == 0 && renameat(dfd, tmp, dfd, base) != 0)
        r = -errno;
    /* ... and only a synced directory keeps the rename itself across a crash. */
    if (r == 0 && fsync(dfd) != 0)
        r = -STDVMM_EIO;
    if (r != 0)
        unlinkat(dfd, tmp, 0);
    close(dfd);
    return r;
}

char *mgr_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    size_t got = 0;

    if (fd < 0)
        return NULL;
    buf = malloc(max + 1);
    while (buf != NULL && got < max) {
        ssize_t n = read(fd, buf + got, max - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf != NULL)
        buf[got] = '\0';
    if (len != NULL)
        *len = got;
    return buf;
}

int mgr_pidfile_write(const char *path, const struct mgr_pidfile *pf)
{
    char text[64];

    snprintf(text, sizeof(text), "%d %" PRIu64 "\n", (int)pf->pid, pf->start_time);
    return mgr_write_file(path, text);
}

int mgr_pidfile_read(const char *path, struct mgr_pidfile *pf)
{
    char *text = mgr_read_file(path, 64, NULL);
    int pid;
    uint64_t start;
    char extra;

    if (text == NULL)
        return -STDVMM_ENOENT;
    int n = sscanf(text, "%d %" SCNu64 " %c", &pid, &start, &extra);
    free(text);
    if (n != 2 || pid <= 1)
        return -STDVMM_EINVAL;
    pf->pid = pid;
    pf->start_time = start;
    return 0;
}

int mgr_proc_start_time(const char *proc_root, pid_t pid, uint64_t *start_time, bool *zombie)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
    char *stat = mgr_read_file(path, 4096, NULL);
    if (stat == NULL)
        return -STDVMM_ENOENT;
    /*
     * "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
     * the fields are counted from the last ')'. starttime is field 22.
     */
    char *p = strrchr(stat, ')');
    int r = -STDVMM_EINVAL;
    if (p != NULL && p[1] == ' ') {
        char state = p[2];
        p += 2;
        unsigned field = 3;
        while (*p && field < 22) {
            if (*p++ == ' ')
                field++;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (field == 22 && end != p && errno == 0 && (*end == ' ' || *end == '\n')) {
            *start_time = v;
            *zombie = state == 'Z' || state == 'X';
            r = 0;
        }
    }
    free(stat);
    return r;
}

/* The exe link names the file the process runs; after an upgrade Linux appends " (deleted)". */
static bool same_exe(const char *link, const char *exe)
{
    static const char deleted[] = " (deleted)";
    size_t n = strlen(exe);

    if (strncmp(link, exe, n) != 0)
        return false;
    return link[n] == '\0' || strcmp(link + n, deleted) == 0;
}

/* Does the NUL-separated command line hold "--api-socket" followed by socket? */
static bool cmdline_has_socket(const char *cmd, size_t len, const char *socket)
{
    const char *end = cmd + len;
    bool after_flag = false;

    for (const char *a = cmd; a < end; a += strlen(a) + 1) {
        if (after_flag && strcmp(a, socket) == 0)
            return true;
        after_flag = strcmp(a, "--api-socket") == 0;
    }
    return false;
}

int mgr_adopt_check(const char *proc_root, const struct mgr_pidfile *pf, const char *exe,
                    const char *socket, struct stdvmm_error *why)
{
    char path[PATH_MAX], link[PATH_MAX];
    uint64_t start;
    bool zombie;

    if (mgr_proc_start_time(proc_root, pf->pid, &start, &zombie) != 0) {
        stdvmm_error_set(why, STDVMM_ENOENT, "process %d is gone", (int)pf->pid);
        return -STDVMM_ENOENT;
    }
    if (start != pf->start_time) {
        stdvmm_error_set(why, STDVMM_ENOENT,
                         "pid %d now belongs to another process (started at %" PRIu64
                         ", not %" PRIu64 ")",
                         (int)pf->pid, start, pf->start_time);
        return -STDVMM_ENOENT;
    }
    if (zombie) {
        stdvmm_error_set(why, STDVMM_ENOENT, "process %d has exited", (int)pf->pid);
        return -STDVMM_ENOENT;
    }
    snprintf(path, sizeof(path), "%s/%d/exe", proc_root, (int)pf->pid);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        stdvmm_error_set(why, STDVMM_ENOENT, "cannot read %s: %s", path, strerror(errno));
        return -STDVMM_ENOENT;
    }
    link[n] = '\0';
    if (!same_exe(link, exe)) {
        stdvmm_error_set(why, STDVMM_ENOENT, "process %d runs %s, not %s", (int)pf->pid, link, exe);
        return -STDVMM_ENOENT;
    }
    snprintf(path, sizeof(path), "%s/%d/cmdline", proc_root, (int)pf->pid);
    size_t len;
    char *cmd = mgr_read_file(path, 65536, &len);
    if (cmd == NULL) {
        stdvmm_error_set(why, STDVMM_ENOENT, "cannot read %s", path);
        return -STDVMM_ENOENT;
    }
    bool ok = cmdline_has_socket(cmd, len, socket);
    free(cmd);
    if (!ok) {
        stdvmm_error_set(why, STDVMM_ENOENT,
                         "process %d is a stdvmm for another VM (no --api-socket %s)", (int)pf->pid,
                         socket);
        return -STDVMM_ENOENT;
    }
    return 0;
}

int mgr_spawn(const char *bin, char *const argv[], const char *log, const int *fds,
              unsigned fd_count, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int high[64];

    if (fd_count > sizeof(high) / sizeof(high[0]))
        return E2BIG;
    /*
     * Copies above the targets first: a source that is itself a target
     * number would otherwise be overwritten before it is handed on.
     */
    unsigned made = 0;
    for (; made < fd_count; made++) {
        high[made] = fcntl(fds[made], F_DUPFD_CLOEXEC, 3 + (int)fd_count);
        if (high[made] < 0)
            break;
    }
    int r = made == fd_count ? 0 : errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    /* The child's stdout (no O_CLOEXEC); O_NOFOLLOW: never write through a planted symlink. */
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    /* dup2 leaves the target without close-on-exec: exactly these reach the child. */
    for (unsigned k = 0; r == 0 && k < fd_count; k++)
        posix_spawn_file_actions_adddup2(&fa, high[k], 3 + (int)k);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    if (r == 0)
        r = posix_spawn(pid, bin, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    for (unsigned k = 0; k < made; k++)
        close(high[k]);
    return r;
}
