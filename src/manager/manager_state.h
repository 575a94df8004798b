/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's state directory: small files written atomically, and the
 * pid files and /proc checks by which a restarted manager re-adopts the
 * VMMs a previous one started.
 */
#ifndef STDVMM_MANAGER_MANAGER_STATE_H
#define STDVMM_MANAGER_MANAGER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stdvmm_error; /* stdvmm/error_report.h */

/* What a pid file records: the process and when it started (clock ticks since boot). */
struct mgr_pidfile {
    pid_t pid;
    uint64_t start_time;
};

int mgr_pidfile_write(const char *path, const struct mgr_pidfile *pf);
int mgr_pidfile_read(const char *path, struct mgr_pidfile *pf);
/* Field 22 of /proc/PID/stat under proc_root ("/proc"), and whether it is a zombie. */
int mgr_proc_start_time(const char *proc_root, pid_t pid, uint64_t *start_time, bool *zombie);

/*
 * Is pf still the VMM the manager started for this VM? The pid must be
 * alive (not a zombie) with the same start time (a reused pid has another),
 * run the stdvmm binary (exe, " (deleted)" allowed after an upgrade) and
 * have `--api-socket SOCKET` in its command line. 0 when it is; otherwise
 * -STDVMM_ENOENT with the reason in why.
 */
int mgr_adopt_check(const char *proc_root, const struct mgr_pidfile *pf, const char *exe,
                    const char *socket, struct stdvmm_error *why);

/*
 * Starts bin with argv in a session of its own (the manager's terminal and
 * process group, Ctrl-C or a supervisor killing the manager's group, must
 * not reach it), stdin from /dev/null, stdout and stderr appended to log
 * (never through a symlink), default signal handling and mask, and
 * fds[k] as its descriptor 3 + k (no other descriptor of the manager's). 0
 * with *pid, or an error number.
 */
int mgr_spawn(const char *bin, char *const argv[], const char *log, const int *fds,
              unsigned fd_count, pid_t *pid);

/* Writes path atomically (a temporary file renamed over it). */
int mgr_write_file(const char *path, const char *text);
/* Reads a small file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
char *mgr_read_file(const char *path, size_t max, size_t *len);

#endif
