/* SPDX-License-Identifier: BSD-2-Clause */
/* The serial console's host side: where guest output goes and where input comes from. */
#ifndef STDVMM_RUNTIME_CONSOLE_H
#define STDVMM_RUNTIME_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/rate_limiter.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/vmm.h"

struct vm;

/* Feeds input bytes to the guest; returns how many it took (0 when its FIFO is full). */
typedef size_t (*console_input_fn)(void *ctx, const uint8_t *buf, size_t len);

struct console {
    enum vmm_serial_mode mode;
    int out_fd;             /* VMM_SERIAL_TTY */
    struct host_rotlog log; /* VMM_SERIAL_FILE: capped and rotated */
    bool log_open;
    int in_fd;      /* -1: no input */
    int wake_fd[2]; /* pipe that ends the input thread */
    bool thread_started;
    bool escape; /* last input byte was the Ctrl-A escape */
    pthread_t thread;
    console_input_fn input;
    void *input_ctx;
    struct vm *vm; /* for the Ctrl-A x escape */
    /* Output's rate limit: vCPU threads (the UART) and device threads share it. */
    bool limited;
    pthread_mutex_t limit_lock;
    struct rate_limiter limiter;
    uint64_t dropped;       /* bytes over the limit since the last notice */
    uint64_t noted_ns;      /* when the last notice went out; 0: none yet */
    uint64_t dropped_total; /* for the log line at close */
    /*
     * Output held back until a newline, a full buffer or console_flush():
     * a polling 8250 driver hands over one byte per call, a system call
     * each without this (bench/profile: 8% of a boot). Only with batching.
     */
    bool batching;
    bool out_ready; /* out_lock initialised (console_open ran) */
    pthread_mutex_t out_lock;
    size_t held;
    uint8_t hold[256];
};

int console_open(struct console *c, const struct vmm_config *cfg);
/* Starts forwarding input (tty mode only). */
int console_start_input(struct console *c, struct vm *vm, console_input_fn fn, void *ctx);
/* Guest output sink, with the signature device models take. */
void console_output(void *ctx, const uint8_t *buf, size_t len);
/*
 * From now on output without a newline waits (256 bytes at most) for the
 * next newline or console_flush(), which the caller promises to call often
 * (the VMM's main loop, every 20 ms). console_close() flushes too.
 */
void console_batch(struct console *c);
void console_flush(struct console *c);
void console_close(struct console *c);
/* The console log's directory descriptor (rotation happens there), or -1 without a log. */
int console_log_dir_fd(const struct console *c);
/* The log starts over at its cap instead of rotating (a jailed VMM: host_rotlog_in_place). */
void console_log_in_place(struct console *c);

#endif
