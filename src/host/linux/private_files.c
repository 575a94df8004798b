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
#include "stdvmm/host/linux.h"

int host_check_private_dir(const char *path, char *err, size_t err_size)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        int e = errno;
        snprintf(err, err_size, "%s: %s", path, strerror(e));
        return -e;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, err_size, "%s is a symbolic link; give the directory itself", path);
        return -STDVMM_EPERM;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s is not a directory", path);
        return -ENOTDIR;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, err_size, "%s belongs to uid %u, not to this process's uid %u", path,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return -STDVMM_EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, err_size,
                 "%s is writable by %s (mode %04o); chmod go-w it (0700 is what stdvmm creates)",
                 path, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
                 (unsigned)(st.st_mode & 07777));
        return -STDVMM_EPERM;
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
