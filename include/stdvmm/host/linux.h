/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux host layer: what the portable core needs from an operating
 * system (files, memory, time, the terminal, log output). Only tools and the
 * Linux-hosted layers above it (src/runtime, src/description, ...) include
 * this; the core never does.
 */
#ifndef STDVMM_HOST_LINUX_H
#define STDVMM_HOST_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/log.h"

/* Log messages at or below this level are printed to stderr. */
void host_log_set_level(enum stdvmm_log_level level);
/* Prefix for every log line, e.g. "stdvmm[vm1]". */
void host_log_set_prefix(const char *prefix);

/* Monotonic nanoseconds since host_clock_start() (called once at start-up). */
void host_clock_start(void);
uint64_t host_clock_ns(void);
/* The raw monotonic clock, and its reading at host_clock_start(). */
uint64_t host_clock_monotonic_ns(void);
uint64_t host_clock_start_ns(void);

/*
 * Puts the terminal on fd into raw mode and restores it at exit, on
 * SIGTERM/SIGINT/SIGHUP/SIGQUIT and on fatal signals (SIGSEGV, SIGABRT...),
 * so a crash never leaves the user's shell without echo.
 */
int host_terminal_raw(int fd);
void host_terminal_restore(void);

/* A read-only file loaded into memory (kernel, initramfs). */
struct host_file_image {
    const uint8_t *data;
    uint64_t size;
    const char *path;
};
int host_file_image_load(struct host_file_image *img, const char *path, const char *what);
void host_file_image_release(struct host_file_image *img);

/* Anonymous guest RAM: not dumped in core files, merged into huge pages where possible. */
void *host_guest_ram_alloc(uint64_t size);
void host_guest_ram_free(void *ram, uint64_t size);

/* "512M", "2G", "1048576" -> bytes; false on junk or overflow. */
bool host_parse_size(const char *s, uint64_t *out);

#endif
