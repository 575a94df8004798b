/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/host/event_loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/log.h"

int host_eventfd_create(void)
{
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

bool host_eventfd_drain(int fd)
{
    uint64_t v;
    return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

void host_eventfd_signal(int fd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: already signalled, nothing lost. */
    ssize_t ignored = write(fd, &one, sizeof(one));
    (void)ignored;
}

int host_loop_init(struct host_loop *l, const char *name)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    for (unsigned i = 0; i < HOST_LOOP_MAX_WATCHES; i++)
        l->watches[i].fd = -1;
    atomic_init(&l->stopping, false);
    l->wake_fd = host_eventfd_create();
    if (l->wake_fd < 0) {
        int e = errno;
        LOG_ERR("event loop %s: eventfd: %s", l->name, strerror(e));
        return -e;
    }
    return 0;
}

int host_loop_add(struct host_loop *l, int fd, short events, host_loop_fn fn, void *ctx)
{
    for (unsigned i = 0; i < HOST_LOOP_MAX_WATCHES; i++) {
        struct host_loop_watch *w = &l->watches[i];
        if (w->fd >= 0)
            continue;
        *w = (struct host_loop_watch){.fd = fd, .events = events, .fn = fn, .ctx = ctx};
        if (i >= l->watch_count)
            l->watch_count = i + 1;
        return 0;
    }
    LOG_ERR("event loop %s: more than %d descriptors", l->name, HOST_LOOP_MAX_WATCHES);
    return -STDVMM_ENOSPC;
}

void host_loop_set_events(struct host_loop *l, int fd, short events)
{
    for (unsigned i = 0; i < l->watch_count; i++) {
        if (l->watches[i].fd == fd)
            l->watches[i].events = events;
    }
}

void host_loop_remove(struct host_loop *l, int fd)
{
    for (unsigned i = 0; i < l->watch_count; i++) {
        if (l->watches[i].fd == fd)
            l->watches[i].fd = -1;
    }
}

int host_loop_add_hook(struct host_loop *l, const struct host_loop_hook *hook)
{
    if (l->hook_count >= HOST_LOOP_MAX_HOOKS) {
        LOG_ERR("event loop %s: too many hooks", l->name);
        return -STDVMM_ENOSPC;
    }
    l->hooks[l->hook_count++] = *hook;
    return 0;
}

int host_loop_poll_fd(struct host_loop *l, int fd, short events)
{
    if (l->nfds >= HOST_LOOP_MAX_FDS) {
        if (!l->overflow_warned)
            LOG_WARN("event loop %s: more than %d descriptors to poll; some wait a round",
                     l->name, HOST_LOOP_MAX_FDS);
        l->overflow_warned = true;
        return -1;
    }
    l->fds[l->nfds] = (struct pollfd){.fd = fd, .events = events};
    l->watch_of[l->nfds] = -1;
    return (int)l->nfds++;
}

short host_loop_revents(const struct host_loop *l, int index)
{
    if (index < 0 || (unsigned)index >= l->nfds)
        return 0;
    return l->fds[index].revents;
}

static void run_once(struct host_loop *l)
{
    int timeout = -1;

    l->nfds = 0;
    host_loop_poll_fd(l, l->wake_fd, POLLIN);
    for (unsigned i = 0; i < l->watch_count; i++) {
        struct host_loop_watch *w = &l->watches[i];
        if (w->fd < 0 || w->events == 0)
            continue;
        int idx = host_loop_poll_fd(l, w->fd, w->events);
        if (idx >= 0)
            l->watch_of[idx] = (short)i;
    }
    for (unsigned i = 0; i < l->hook_count; i++) {
        if (l->hooks[i].prepare != NULL)
            l->hooks[i].prepare(l->hooks[i].ctx, l, &timeout);
    }
    int n = poll(l->fds, l->nfds, timeout);
    if (n < 0) {
        if (errno != EINTR)
            LOG_WARN("event loop %s: poll: %s", l->name, strerror(errno));
        return;
    }
    unsigned nfds = l->nfds;
    for (unsigned i = 1; i < nfds && n > 0; i++) {
        if (l->fds[i].revents == 0 || l->watch_of[i] < 0)
            continue;
        struct host_loop_watch *w = &l->watches[l->watch_of[i]];
        /* A callback earlier in this round may have removed or replaced it. */
        if (w->fd != l->fds[i].fd || w->events == 0)
            continue;
        w->fn(w->ctx, w->fd, l->fds[i].revents);
    }
    for (unsigned i = 0; i < l->hook_count; i++) {
        if (l->hooks[i].dispatch != NULL)
            l->hooks[i].dispatch(l->hooks[i].ctx, l);
    }
}

static void *loop_thread(void *arg)
{
    struct host_loop *l = arg;

    pthread_setname_np(pthread_self(), l->name);
    atomic_store(&l->tid, (int)syscall(SYS_gettid));
    host_sandbox_enter(HOST_THREAD_DEVICE);
    while (!atomic_load(&l->stopping))
        run_once(l);
    return NULL;
}

int host_loop_tid(struct host_loop *l)
{
    for (int i = 0; l->running && i < 10000 && atomic_load(&l->tid) == 0; i++)
        usleep(100);
    return atomic_load(&l->tid);
}

int host_loop_start(struct host_loop *l)
{
    atomic_store(&l->stopping, false);
    atomic_store(&l->tid, 0);
    int e = host_thread_create(&l->thread, loop_thread, l);
    if (e != 0) {
        LOG_ERR("event loop %s: cannot start its thread: %s", l->name, strerror(e));
        return -e;
    }
    l->running = true;
    return 0;
}

void host_loop_stop(struct host_loop *l)
{
    if (!l->running)
        return;
    atomic_store(&l->stopping, true);
    host_eventfd_signal(l->wake_fd);
    pthread_join(l->thread, NULL);
    host_eventfd_drain(l->wake_fd);
    l->running = false;
    atomic_store(&l->tid, 0);
}

void host_loop_destroy(struct host_loop *l)
{
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    l->wake_fd = -1;
}
