/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A one-shot timer on an event loop (a timerfd watched by the loop): what a
 * backend uses to call its device again when a rate limit's tokens are due,
 * or to end what has waited too long (vsock's handshakes).
 * The timerfd is made on first use, on the loop's own thread, so a device
 * thread's seccomp list needs timerfd_create and timerfd_settime.
 */
#ifndef STDVMM_HOST_LOOP_TIMER_H
#define STDVMM_HOST_LOOP_TIMER_H

#include <stdint.h>

#include "stdvmm/host/event_loop.h"

struct host_loop_timer {
    int fd; /* -1 until the first arm */
    struct host_loop *loop;
    void (*fn)(void *ctx);
    void *ctx;
    const char *what; /* for messages: "disk PATH", "net0" */
};

/* Not armed; fn(ctx) will run on loop's thread when the timer fires. */
void host_loop_timer_init(struct host_loop_timer *t, const char *what, void (*fn)(void *ctx),
                          void *ctx);
/* Fires once in ns nanoseconds (at least 1), replacing an earlier arm; on loop's thread. */
void host_loop_timer_arm(struct host_loop_timer *t, struct host_loop *loop, uint64_t ns);
/* Removes it from its loop and closes it; a later arm makes a new one. */
void host_loop_timer_close(struct host_loop_timer *t);

#endif
