/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux host layer: what the portable core needs from an operating
 * system (files, memory, time, the terminal, log output). Only tools and the
 * Linux-hosted layers above it (src/runtime, src/description, ...) include
 * this; the core never does.
 */
#ifndef STDVMM_HOST_LINUX_H
#define STDVMM_HOST_LINUX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/log.h"

struct stdvmm_error; /* stdvmm/error_report.h */

/* Log messages at or below this level are printed to stderr. */
void host_log_set_level(enum stdvmm_log_level level);
/* Prefix for every log line, e.g. "stdvmm[vm1]". */
void host_log_set_prefix(const char *prefix);
const char *host_log_prefix(void);

/* Monotonic nanoseconds since host_clock_start() (called once at start-up). */
void host_clock_start(void);
uint64_t host_clock_ns(void);
/* The raw monotonic clock, and its reading at host_clock_start(). */
uint64_t host_clock_monotonic_ns(void);
uint64_t host_clock_start_ns(void);
/*
 * The same monotonic clock at the kernel's tick (1-10 ms): never a system
 * call, whatever the host's clock source, where the precise clock costs one
 * when it is not the TSC (a per-byte rate limit needs no better).
 */
uint64_t host_clock_coarse_ns(void);
/* The wall clock (seconds since 1970) at host_clock_start(): where guest RTCs start. */
uint64_t host_clock_start_wall_s(void);

/*
 * Puts the terminal on fd into raw mode and restores it at exit, on
 * SIGTERM/SIGINT/SIGHUP/SIGQUIT and on fatal signals (SIGSEGV, SIGABRT...),
 * so a crash never leaves the user's shell without echo.
 */
int host_terminal_raw(int fd);
void host_terminal_restore(void);

/*
 * A read-only file copied into memory once (kernel, initramfs): the file
 * may be replaced or truncated afterwards without affecting the copy that
 * every reboot loads from.
 *
 * _open checks the file and keeps its descriptor; _read makes the copy and
 * closes it; _load does both. Apart, the file can be opened before the
 * jail (inside it the path may not exist) and read after the jail's fork:
 * the supervisor that stays outside then never holds a copy of its own
 * (bench/scale saw it keep 11 MiB that the VMM had released).
 */
struct host_file_image {
    const uint8_t *data;
    uint64_t size;
    const char *path;
    const char *what;
    int fd; /* open between _open and _read, when path != NULL and data == NULL */
};
int host_file_image_open(struct host_file_image *img, const char *path, const char *what);
int host_file_image_read(struct host_file_image *img);
int host_file_image_load(struct host_file_image *img, const char *path, const char *what);
void host_file_image_release(struct host_file_image *img);

/*
 * A VMM thread (vCPU, device loop, console input, API) with a stack of
 * HOST_THREAD_STACK bytes instead of glibc's default (RLIMIT_STACK, 8 MiB
 * mostly): with transparent huge pages "always", Debian's default, the first
 * touch of such a stack may take a whole 2 MiB page, as bench/boot saw for
 * one of stdvmm's two threads (docs/benchmarks.md); a stack smaller than
 * 2 MiB cannot hold an aligned huge page. stdvmm's largest frame is ~17 KiB
 * (gcc -fstack-usage). Returns 0 or pthread_create's error number.
 */
#define HOST_THREAD_STACK (1024u * 1024u)
int host_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);

/*
 * Anonymous guest RAM: on a 2 MiB boundary, not dumped in core files, merged
 * into huge pages where possible.
 */
void *host_guest_ram_alloc(uint64_t size);
void host_guest_ram_free(void *ram, uint64_t size);
/*
 * Guest RAM another process can map too: a memfd mapped shared (on a 2 MiB
 * boundary too), its
 * descriptor in *fd (close it after host_guest_ram_free). Only for VMs
 * with a vhost-user device, whose backend reads and writes the guest's
 * buffers itself; private anonymous memory stays the default elsewhere.
 */
void *host_guest_ram_alloc_shared(uint64_t size, const char *name, int *fd);

/*
 * A guest console log capped at max bytes: when it would grow past that it
 * is renamed PATH.1 (replacing the older one) and a new PATH starts, so at
 * most 2 * max bytes are on disk. The file is opened relative to its
 * directory with O_NOFOLLOW (a symlink is refused) and created 0600. A
 * terminal, pipe or device is written without a cap. Writes are
 * serialised; an I/O error drops the bytes rather than stopping the guest.
 */
struct host_rotlog {
    const char *path; /* for messages */
    char base[256];   /* the file name inside dir_fd */
    int dir_fd;
    int fd;
    bool regular;
    bool lock_ready;
    uint64_t size;
    uint64_t max;
    unsigned rotations;
    bool in_place; /* at the cap the file starts over instead of rotating */
    pthread_mutex_t lock;
};
/* The default cap of a console log (--serial-max, serial_log_max). */
#define HOST_ROTLOG_DEFAULT_MAX (16ull << 20)
int host_rotlog_open(struct host_rotlog *l, const char *path, uint64_t max);
void host_rotlog_write(struct host_rotlog *l, const void *buf, size_t len);
void host_rotlog_close(struct host_rotlog *l);
/*
 * From now on the log starts over (truncated) at its cap instead of
 * rotating: for a process that may no longer create or rename files in the
 * log's directory (a jailed VMM), which then needs no such system call.
 */
void host_rotlog_in_place(struct host_rotlog *l);

/*
 * A directory the process may keep state in: a real directory (not a
 * symlink), owned by the effective uid, not writable by group or others.
 * 0 or a negative code with the reason in err.
 */
int host_check_private_dir(const char *path, struct stdvmm_error *err);
/* bind() with the socket created 0600 (umask 0177 around it): no window before a chmod. */
struct sockaddr_un;
int host_bind_private(int fd, const struct sockaddr_un *addr);

#endif
