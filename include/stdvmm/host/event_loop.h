/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small poll(2) event loop on its own thread: the host side of a device
 * (virtio queue notifications, I/O completions, tap or socket readiness)
 * runs here, off the vCPU threads. Each loop is one thread, so everything
 * registered on one loop runs serialised and needs no lock against itself.
 *
 * Libraries that keep their own descriptor sets (libslirp) take part
 * through a hook: prepare() adds descriptors for this round with
 * host_loop_poll_fd() and may shorten the timeout; dispatch() reads the
 * results with host_loop_revents() after the poll.
 *
 * Watches and hooks may be added or removed from callbacks on the loop's
 * own thread, or from any thread before host_loop_start().
 */
#ifndef STDVMM_HOST_EVENT_LOOP_H
#define STDVMM_HOST_EVENT_LOOP_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define HOST_LOOP_MAX_WATCHES 128
#define HOST_LOOP_MAX_FDS 512
#define HOST_LOOP_MAX_HOOKS 2

struct host_loop;

typedef void (*host_loop_fn)(void *ctx, int fd, short revents);

struct host_loop_hook {
    void (*prepare)(void *ctx, struct host_loop *l, int *timeout_ms);
    void (*dispatch)(void *ctx, struct host_loop *l);
    void *ctx;
};

struct host_loop_watch {
    int fd; /* -1: free slot */
    short events;
    host_loop_fn fn;
    void *ctx;
};

struct host_loop {
    char name[16];
    struct host_loop_watch watches[HOST_LOOP_MAX_WATCHES];
    unsigned watch_count;
    struct host_loop_hook hooks[HOST_LOOP_MAX_HOOKS];
    unsigned hook_count;
    struct pollfd fds[HOST_LOOP_MAX_FDS];
    short watch_of[HOST_LOOP_MAX_FDS]; /* fds[i] belongs to watches[watch_of[i]], or -1 (hook) */
    unsigned nfds;
    bool overflow_warned;
    int wake_fd; /* eventfd that ends the loop */
    atomic_bool stopping;
    pthread_t thread;
    bool running;
    atomic_int tid; /* the loop thread's, once it runs; 0 before */
};

int host_loop_init(struct host_loop *l, const char *name);
/* The running loop's thread id (waits up to a second for a new thread to say it); 0 if none. */
int host_loop_tid(struct host_loop *l);
/* Calls fn(ctx, fd, revents) whenever poll reports events on fd. */
int host_loop_add(struct host_loop *l, int fd, short events, host_loop_fn fn, void *ctx);
/* Changes what fd is polled for (0: nothing for now). */
void host_loop_set_events(struct host_loop *l, int fd, short events);
void host_loop_remove(struct host_loop *l, int fd);
int host_loop_add_hook(struct host_loop *l, const struct host_loop_hook *hook);
/* From a hook's prepare(): poll fd this round; returns the index for host_loop_revents(). */
int host_loop_poll_fd(struct host_loop *l, int fd, short events);
short host_loop_revents(const struct host_loop *l, int index);
/* Starts the thread, named after the loop. */
int host_loop_start(struct host_loop *l);
/* Ends the thread and waits for it; the loop can be started again. */
void host_loop_stop(struct host_loop *l);
/* Releases the wake descriptor; the loop must be stopped. */
void host_loop_destroy(struct host_loop *l);

/* A non-blocking, close-on-exec eventfd; -1 with errno on failure. */
int host_eventfd_create(void);
/* Reads (and discards) an eventfd's counter; true when it had been signalled. */
bool host_eventfd_drain(int fd);
/* Adds one to an eventfd's counter. */
void host_eventfd_signal(int fd);

#endif
