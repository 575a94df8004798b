/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/host/loop_timer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "stdvmm/log.h"

void host_loop_timer_init(struct host_loop_timer *t, const char *what, void (*fn)(void *ctx),
                          void *ctx)
{
    *t = (struct host_loop_timer){.fd = -1, .fn = fn, .ctx = ctx, .what = what};
}

static void on_timer(void *ctx, int fd, short revents)
{
    struct host_loop_timer *t = ctx;
    uint64_t expirations;

    (void)revents;
    if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        LOG_WARN("%s: timer: %s", t->what, strerror(errno));
    t->fn(t->ctx);
}

void host_loop_timer_arm(struct host_loop_timer *t, struct host_loop *loop, uint64_t ns)
{
    if (t->fd < 0) {
        t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (t->fd < 0 || host_loop_add(loop, t->fd, POLLIN, on_timer, t) < 0) {
            /* Without a timer the held work would wait for the guest's next kick. */
            LOG_ERR("%s: cannot arm its timer: %s", t->what, strerror(errno));
            if (t->fd >= 0)
                close(t->fd);
            t->fd = -1;
            return;
        }
        t->loop = loop;
    }
    if (ns == 0)
        ns = 1; /* a zero it_value would disarm it */
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(ns / 1000000000ull),
                                          .tv_nsec = (long)(ns % 1000000000ull)}};
    if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
        LOG_ERR("%s: timer: %s", t->what, strerror(errno));
}

void host_loop_timer_close(struct host_loop_timer *t)
{
    if (t->fd >= 0) {
        if (t->loop != NULL)
            host_loop_remove(t->loop, t->fd);
        close(t->fd);
    }
    t->fd = -1;
    t->loop = NULL;
}
