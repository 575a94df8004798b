/* SPDX-License-Identifier: BSD-2-Clause */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/vm.h"

/* Ctrl-A, as in QEMU: Ctrl-A x stops the VM, Ctrl-A Ctrl-A sends one Ctrl-A. */
#define ESCAPE_CHAR 0x01

int console_open(struct console *c, const struct vmm_config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->mode = cfg->serial;
    c->out_fd = -1;
    c->in_fd = -1;
    c->wake_fd[0] = c->wake_fd[1] = -1;
    pthread_mutex_init(&c->out_lock, NULL);
    c->out_ready = true;
    uint64_t rate = cfg->serial_rate != 0 ? cfg->serial_rate : VMM_SERIAL_RATE_DEFAULT;
    if (cfg->serial != VMM_SERIAL_OFF && rate != VMM_SERIAL_RATE_OFF) {
        /* A second's worth at once, then the rate: bytes only, however the guest writes. */
        struct rate_limiter_config lc = {.bytes = {.size = rate, .refill_ms = 1000}};
        rate_limiter_init(&c->limiter, &lc, host_clock_coarse_ns());
        pthread_mutex_init(&c->limit_lock, NULL);
        c->limited = true;
    }
    switch (cfg->serial) {
    case VMM_SERIAL_TTY:
        c->out_fd = STDOUT_FILENO;
        c->in_fd = STDIN_FILENO;
        break;
    case VMM_SERIAL_FILE: {
        int r = host_rotlog_open(&c->log, cfg->serial_path,
                                 cfg->serial_max != 0 ? cfg->serial_max : HOST_ROTLOG_DEFAULT_MAX);
        if (r < 0)
            return r;
        c->log_open = true;
        break;
    }
    case VMM_SERIAL_OFF:
        break;
    }
    return 0;
}

#define NOTE_INTERVAL_NS 1000000000ull

static void sink(struct console *c, const uint8_t *buf, size_t len);
static void emit(struct console *c, const uint8_t *buf, size_t len);

/*
 * False when buf goes over the rate limit (it is dropped and counted); the
 * first output after a drop is preceded by a line saying how much was lost
 * (once a second at most), and so is the end of the run.
 */
/* The line that tells the log's reader how much output the limit dropped. */
static void write_note(struct console *c, uint64_t dropped)
{
    char note[128];
    int n = snprintf(note, sizeof(note),
                     "\r\n[stdvmm: %llu bytes of console output dropped: over the rate limit]\r\n",
                     (unsigned long long)dropped);
    if (n > 0)
        emit(c, (const uint8_t *)note, (size_t)n < sizeof(note) ? (size_t)n : sizeof(note) - 1);
}

static bool admit(struct console *c, size_t len)
{
    uint64_t noted = 0;

    pthread_mutex_lock(&c->limit_lock);
    /*
     * Read for every byte a polling guest driver writes: the coarse clock,
     * as a precise one was a clock_gettime system call each time on a host
     * whose clock source is not the TSC (bench/profile: 4% of a boot).
     */
    uint64_t now = host_clock_coarse_ns();
    bool ok = rate_limiter_take(&c->limiter, now, len) == 0;
    if (!ok) {
        if (c->dropped_total == 0)
            LOG_WARN("the guest's console output passed its rate limit (--serial-rate); the "
                     "excess is dropped (said once)");
        c->dropped += len;
        c->dropped_total += len;
    } else if (c->dropped != 0 && (c->noted_ns == 0 || now - c->noted_ns >= NOTE_INTERVAL_NS)) {
        /*
         * Not after every drop: against a guest that writes just over the
         * rate, notes are what would get through. One a second at most,
         * with the count since the last.
         */
        c->noted_ns = now;
        noted = c->dropped;
        c->dropped = 0;
    }
    pthread_mutex_unlock(&c->limit_lock);
    if (noted != 0)
        write_note(c, noted);
    return ok;
}

void console_output(void *ctx, const uint8_t *buf, size_t len)
{
    struct console *c = ctx;

    if (c->limited && !admit(c, len))
        return;
    emit(c, buf, len);
}

void console_batch(struct console *c)
{
    pthread_mutex_lock(&c->out_lock);
    c->batching = true;
    pthread_mutex_unlock(&c->out_lock);
}

static void flush_held(struct console *c)
{
    if (c->held != 0)
        sink(c, c->hold, c->held);
    c->held = 0;
}

void console_flush(struct console *c)
{
    if (!c->out_ready)
        return;
    pthread_mutex_lock(&c->out_lock);
    flush_held(c);
    pthread_mutex_unlock(&c->out_lock);
}

/* Output in the order it came, held back while batching (console_batch). */
static void emit(struct console *c, const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&c->out_lock);
    if (c->batching && len <= sizeof(c->hold) - c->held) {
        memcpy(c->hold + c->held, buf, len);
        c->held += len;
        if (c->held == sizeof(c->hold) || memchr(buf, '\n', len) != NULL)
            flush_held(c);
    } else {
        flush_held(c);
        sink(c, buf, len);
    }
    pthread_mutex_unlock(&c->out_lock);
}

static void sink(struct console *c, const uint8_t *buf, size_t len)
{
    if (c->log_open) {
        host_rotlog_write(&c->log, buf, len);
        return;
    }
    while (c->out_fd >= 0 && len > 0) {
        ssize_t n = write(c->out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a closed terminal must not stop the guest */
        buf += n;
        len -= (size_t)n;
    }
}

/* Hands bytes to the guest, waiting while its receive FIFO is full. */
static void deliver(struct console *c, const uint8_t *buf, size_t len)
{
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};

    while (len > 0 && vm_stop_reason(c->vm) == VM_STOP_NONE) {
        size_t took = c->input(c->input_ctx, buf, len);
        buf += took;
        len -= took;
        if (len > 0)
            nanosleep(&pause, NULL);
    }
}

static void handle_input(struct console *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = buf[i];
        if (c->escape) {
            c->escape = false;
            if (ch == 'x' || ch == 'X') {
                LOG_WARN("Ctrl-A x: stopping the VM");
                vm_request_stop(c->vm, VM_STOP_REQUESTED);
                return;
            }
            if (ch != ESCAPE_CHAR)
                continue; /* unknown escape: swallow it */
        } else if (ch == ESCAPE_CHAR) {
            c->escape = true;
            continue;
        }
        deliver(c, &ch, 1);
    }
}

static void *input_thread(void *arg)
{
    struct console *c = arg;
    uint8_t buf[256];

    host_sandbox_enter(HOST_THREAD_DEVICE); /* it hands the guest its input, as a device does */
    for (;;) {
        struct pollfd fds[2] = {{.fd = c->in_fd, .events = POLLIN},
                                {.fd = c->wake_fd[0], .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        if (fds[0].revents & (POLLERR | POLLNVAL))
            break;
        ssize_t n = read(c->in_fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break; /* end of input: the guest keeps running without a keyboard */
        handle_input(c, buf, (size_t)n);
    }
    return NULL;
}

int console_start_input(struct console *c, struct vm *vm, console_input_fn fn, void *ctx)
{
    c->vm = vm;
    c->input = fn;
    c->input_ctx = ctx;
    if (c->mode != VMM_SERIAL_TTY || c->thread_started)
        return 0;
    if (pipe2(c->wake_fd, O_CLOEXEC) < 0)
        return -errno;
    if (host_terminal_raw(c->in_fd) < 0)
        LOG_WARN("cannot put the terminal in raw mode; input is line-buffered");
    if (host_thread_create(&c->thread, input_thread, c) != 0) {
        LOG_ERR("cannot start the console input thread");
        return -STDVMM_EAGAIN;
    }
    pthread_setname_np(c->thread, "console");
    c->thread_started = true;
    return 0;
}

int console_log_dir_fd(const struct console *c)
{
    return c->log_open ? c->log.dir_fd : -1;
}

void console_log_in_place(struct console *c)
{
    if (c->log_open)
        host_rotlog_in_place(&c->log);
}

void console_close(struct console *c)
{
    if (c->thread_started) {
        ssize_t ignored = write(c->wake_fd[1], "x", 1);
        (void)ignored;
        pthread_join(c->thread, NULL);
        c->thread_started = false;
    }
    for (int i = 0; i < 2; i++) {
        if (c->wake_fd[i] >= 0)
            close(c->wake_fd[i]);
        c->wake_fd[i] = -1;
    }
    host_terminal_restore();
    console_flush(c);
    if (c->limited) {
        if (c->dropped != 0)
            write_note(c, c->dropped); /* the drops since the last note: the log ends saying so */
        c->dropped = 0;
        if (c->dropped_total != 0)
            LOG_INFO("%llu bytes of the guest's console output were over the rate limit and "
                     "dropped",
                     (unsigned long long)c->dropped_total);
        pthread_mutex_destroy(&c->limit_lock);
        c->limited = false;
    }
    if (c->log_open)
        host_rotlog_close(&c->log);
    c->log_open = false;
    c->out_fd = -1;
    c->batching = false;
    if (c->out_ready)
        pthread_mutex_destroy(&c->out_lock);
    c->out_ready = false;
}
