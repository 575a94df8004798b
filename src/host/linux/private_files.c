/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Directories and sockets only their owner may touch. Whoever can write a
 * directory can swap what is inside it (a symlink where a file will be
 * written, a socket of theirs where a client will connect), so a state
 * directory must be ours and closed to others, and a socket must be 0600
 * from the moment it exists, not after a chmod that follows the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/error_report.h"
#include "stdvmm/host/linux.h"

int host_check_private_dir(const char *path, struct stdvmm_error *err)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        int e = errno;
        return stdvmm_error_set(err, e, "%s: %s", path, strerror(e));
    }
    if (S_ISLNK(st.st_mode)) {
        return stdvmm_error_set(err, STDVMM_EPERM,
                                "%s is a symbolic link; give the directory itself", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        return stdvmm_error_set(err, ENOTDIR, "%s is not a directory", path);
    }
    if (st.st_uid != geteuid()) {
        return stdvmm_error_set(err, STDVMM_EPERM,
                                "%s belongs to uid %u, not to this process's uid %u", path,
                                (unsigned)st.st_uid, (unsigned)geteuid());
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        return stdvmm_error_set(
            err, STDVMM_EPERM,
            "%s is writable by %s (mode %04o); chmod go-w it (0700 is what stdvmm creates)", path,
            (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
    }
    return 0;
}

int host_bind_private(int fd, const struct sockaddr_un *addr)
{
    /*
     * The umask is the process's: callers bind before starting threads
     * that create files, or accept that such a file is briefly 0600 too.
     */
    mode_t old = umask(0177);
    int r = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
    int e = errno;
    umask(old);
    errno = e;
    return r;
}
