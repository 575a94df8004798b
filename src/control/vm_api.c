/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM control socket (vm_api.h). One thread serves it; a request is
 * one line, the answer one JSON line, then the connection closes, except
 * for `watch`, which stays open until the VMM exits and then carries
 * {"event":"exit","status":N}. That is how a manager that did not start
 * this process (it re-adopted it after a restart) still learns the exit
 * status it would otherwise get from waitpid().
 *
 * The socket is the only way in, and it is made owner-only (0600): whoever
 * can connect can stop the VM.
 *
 * The thread never waits on one client: every connection is read without
 * blocking, up to MAX_PENDING at once, and each has REQUEST_TIMEOUT_MS from
 * its accept to send its whole line. So a client that trickles its request
 * a byte at a time (slowloris) or sends nothing costs a slot for that long,
 * not the socket; when the slots are full the oldest is dropped, so a new
 * client always gets in.
 */
#include "stdvmm/control/vm_api.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "stdvmm/sched/sched_policy.h"
#include "stdvmm/arch.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/log.h"

#define REQUEST_MAX 256
#define MAX_WATCHERS 8
#define MAX_PENDING 16
#define REQUEST_TIMEOUT_MS 2000
#define PARK_TIMEOUT_MS 2000

struct vm_api {
    pthread_mutex_t lock;
    struct vm_api_target target; /* the VM commands act on; target.vm NULL between builds */
    bool paused;                 /* the user holds the vCPUs stopped */
    unsigned boots;  /* VMs attached so far: 1 + guest reboots */
    const struct vmm_config *cfg;
    struct sched_policy *sched; /* the VM's placement; NULL without */
    char *path;
    int listen_fd;
    int wake[2]; /* closing the write end ends the thread */
    pthread_t thread;
    bool thread_started;
    int watchers[MAX_WATCHERS]; /* owned by the thread until it is joined */
    unsigned watcher_count;
    struct pending_client {
        int fd; /* -1: a free slot */
        size_t len;
        int64_t deadline_ms; /* host_monotonic_ms() by which the line must be in */
        char buf[REQUEST_MAX];
    } pending[MAX_PENDING]; /* owned by the thread */
};

/* ---- the VM's life ---- */

void vm_api_attach(struct vm_api *api, const struct vm_api_target *target)
{
    if (api == NULL)
        return;
    pthread_mutex_lock(&api->lock);
    api->target = *target;
    api->paused = false;
    api->boots++;
    pthread_mutex_unlock(&api->lock);
}

void vm_api_detach(struct vm_api *api)
{
    if (api == NULL)
        return;
    pthread_mutex_lock(&api->lock);
    if (api->paused)
        api->target.release(api->target.ctx);
    memset(&api->target, 0, sizeof(api->target));
    api->paused = false;
    pthread_mutex_unlock(&api->lock);
}

/* ---- commands (called with api->lock held) ---- */

/* The socket's one form of a refusal (docs/api/vm-socket.md). */
static json_t *refusal(const struct stdvmm_error *e)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", e->msg);
}

static json_t *error_reply(const char *fmt, ...) STDVMM_PRINTF(1, 2);

static json_t *error_reply(const char *fmt, ...)
{
    struct stdvmm_error e = {.code = STDVMM_EINVAL};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    return refusal(&e);
}

static const char *state_name(const struct vm_api *api)
{
    if (api->target.vm == NULL)
        return "starting";
    if (vm_stop_reason(api->target.vm) != VM_STOP_NONE)
        return "stopping";
    return api->paused ? "paused" : "running";
}

static json_t *cmd_pause(struct vm_api *api)
{
    const struct vm_api_target *t = &api->target;
    struct vm *vm = t->vm;

    if (vm == NULL || vm_stop_reason(vm) != VM_STOP_NONE)
        return error_reply("the VM is %s; only a running VM can be paused", state_name(api));
    /* The user holds the vCPUs once; a second pause only waits for stragglers. */
    int r = t->hold(t->ctx, PARK_TIMEOUT_MS);
    if (api->paused)
        t->release(t->ctx);
    api->paused = true;
    if (r == -STDVMM_ENOENT)
        return error_reply("the VM stopped while pausing");
    if (r < 0) {
        unsigned parked, total;
        t->parked(t->ctx, &parked, &total);
        return error_reply("only %u of %u vCPUs stopped within %d ms; still trying", parked, total,
                           PARK_TIMEOUT_MS);
    }
    LOG_INFO("paused: %u vCPUs parked", vm->vcpu_count);
    return json_pack("{s:b, s:s}", "ok", 1, "state", "paused");
}

static json_t *cmd_resume(struct vm_api *api)
{
    if (api->target.vm == NULL || vm_stop_reason(api->target.vm) != VM_STOP_NONE)
        return error_reply("the VM is %s; only a paused VM can be resumed", state_name(api));
    if (api->paused) {
        api->paused = false;
        api->target.release(api->target.ctx);
        LOG_INFO("resumed");
    }
    return json_pack("{s:b, s:s}", "ok", 1, "state", "running");
}

/* A press of the ACPI power button: the guest decides to power off. */
static json_t *cmd_shutdown(struct vm_api *api)
{
    uint32_t irq = arch_platform()->power_button_irq;
    struct vm *vm = api->target.vm;

    if (vm == NULL || vm_stop_reason(vm) != VM_STOP_NONE)
        return error_reply("the VM is %s; there is no guest to shut down", state_name(api));
    if (irq == 0)
        return error_reply("this architecture has no power button yet; stop the VMM with "
                           "SIGTERM");
    if (api->paused) {
        /* A parked guest cannot react to the button. */
        api->paused = false;
        api->target.release(api->target.ctx);
    }
    int r = vm_set_irq_line(vm, irq, true);
    if (r == 0)
        r = vm_set_irq_line(vm, irq, false);
    if (r < 0)
        return error_reply("cannot raise the power button interrupt: %s", stdvmm_strerror(r));
    LOG_INFO("power button pressed");
    return json_pack("{s:b, s:s}", "ok", 1, "state", "shutting-down");
}

/* vCPU threads by their names ("vcpuN", set in vmm.c), from /proc/self/task. */
static json_t *vcpu_threads(void)
{
    json_t *arr = json_array();
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;

    if (d == NULL || arr == NULL) {
        if (d != NULL)
            closedir(d);
        return arr;
    }
    while ((e = readdir(d)) != NULL) {
        char path[64], comm[32] = "";
        unsigned index;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", e->d_name);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof(comm), f) != NULL && sscanf(comm, "vcpu%u", &index) == 1)
            json_array_append_new(arr, json_pack("{s:I, s:I}", "index", (json_int_t)index, "tid",
                                                 (json_int_t)atoll(e->d_name)));
        fclose(f);
    }
    closedir(d);
    return arr;
}

/*
 * Where each device's interrupt goes. On x86 the guest routes (read from
 * the IOAPIC now), and on riscv64 with stdvmm's PLIC (read from its
 * per-hart enables); on Arm stdvmm routes an owned interrupt when the driver
 * starts the device, and reading the vGIC would need every vCPU stopped,
 * so the report says what stdvmm did.
 */
static json_t *irq_report(struct vm_api *api)
{
    const struct vm_api_target *t = &api->target;
    struct vm_api_irq irqs[32];
    json_t *list = json_array();
    unsigned n = t->vm != NULL ? t->irqs(t->ctx, irqs, 32) : 0;
    bool vmm_routes = arch_platform()->vmm_routes_irqs;

    for (unsigned i = 0; list != NULL && i < n; i++) {
        unsigned target = 0;
        bool known = false;
        if (vmm_routes) {
            known = irqs[i].routed_to >= 0;
            target = known ? (unsigned)irqs[i].routed_to : 0;
        } else if (t->vm != NULL && vm_stop_reason(t->vm) == VM_STOP_NONE) {
            known = vm_irq_target(t->vm, irqs[i].line, &target) == 0;
        }
        json_array_append_new(
            list, json_pack("{s:s, s:I, s:o, s:o, s:s}", "device", irqs[i].device, "irq",
                            (json_int_t)irqs[i].hwirq, "owner",
                            irqs[i].owner.set ? json_integer(irqs[i].owner.vcpu) : json_null(),
                            "target", known ? json_integer(target) : json_null(), "routed_by",
                            vmm_routes ? "vmm" : "guest"));
    }
    return list != NULL ? list : json_null();
}

static json_t *cmd_info(struct vm_api *api)
{
    const struct vmm_config *cfg = api->cfg;

    return json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "ok", 1, "name", cfg->name,
                     "state", state_name(api), "pid", (json_int_t)getpid(), "cpus",
                     (json_int_t)cfg->cpus, "memory", (json_int_t)cfg->memory, "boots",
                     (json_int_t)api->boots, "vcpu_threads", vcpu_threads(), "irqs",
                     irq_report(api));
}

/* ---- the socket ---- */

static void send_json(int fd, json_t *reply)
{
    char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    const char *out = text ? text : "{\"ok\":false,\"error\":\"out of memory\"}";
    size_t len = strlen(out);

    /* MSG_NOSIGNAL: a client that went away must not kill the VMM with SIGPIPE. */
    if (send(fd, out, len, MSG_NOSIGNAL) == (ssize_t)len)
        (void)send(fd, "\n", 1, MSG_NOSIGNAL);
    free(text);
    json_decref(reply);
}

/* Answers one whole request line (buf, len: up to and with its '\n', if any); takes fd. */
static void serve_one(struct vm_api *api, int fd, const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    struct stdvmm_error refused;
    json_t *placement = sched_policy_api(api->sched, buf, nl ? (size_t)(nl - buf) : len, &refused);
    if (placement != NULL || refused.code != 0) { /* "placement", "vcpu N SPEC" (sched_policy.c) */
        send_json(fd, placement != NULL ? placement : refusal(&refused));
        close(fd);
        return;
    }
    enum vm_api_command cmd = vm_api_parse_command(buf, nl ? (size_t)(nl - buf + 1) : len);
    if (cmd == VM_API_WATCH) {
        if (api->watcher_count == MAX_WATCHERS) {
            send_json(fd, error_reply("too many watchers (at most %d)", MAX_WATCHERS));
            close(fd);
            return;
        }
        send_json(fd, json_pack("{s:b, s:s}", "ok", 1, "event", "watching"));
        api->watchers[api->watcher_count++] = fd;
        return;
    }
    pthread_mutex_lock(&api->lock);
    json_t *reply;
    switch (cmd) {
    case VM_API_INFO:
        reply = cmd_info(api);
        break;
    case VM_API_PAUSE:
        reply = cmd_pause(api);
        break;
    case VM_API_RESUME:
        reply = cmd_resume(api);
        break;
    case VM_API_SHUTDOWN:
        reply = cmd_shutdown(api);
        break;
    default:
        reply = error_reply("unknown command; expected info, pause, resume, shutdown or "
                            "watch");
        break;
    }
    pthread_mutex_unlock(&api->lock);
    send_json(fd, reply);
    close(fd);
}

static void drop_watcher(struct vm_api *api, unsigned i)
{
    close(api->watchers[i]);
    api->watchers[i] = api->watchers[--api->watcher_count];
}

static int64_t now_ms(void)
{
    return (int64_t)(host_clock_monotonic_ns() / 1000000u);
}

static void drop_pending(struct pending_client *c, const char *why)
{
    if (why != NULL)
        send_json(c->fd, error_reply("%s", why));
    close(c->fd);
    c->fd = -1;
}

/* Takes every waiting connection; with no slot free, the oldest pending client makes room. */
static void accept_clients(struct vm_api *api)
{
    for (;;) {
        int fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        struct pending_client *slot = NULL;
        for (unsigned i = 0; i < MAX_PENDING; i++) {
            struct pending_client *c = &api->pending[i];
            if (c->fd < 0) {
                slot = c;
                break;
            }
            if (slot == NULL || c->deadline_ms < slot->deadline_ms)
                slot = c;
        }
        if (slot->fd >= 0)
            drop_pending(slot, "too many clients at once; this one was the slowest");
        slot->fd = fd;
        slot->len = 0;
        slot->deadline_ms = now_ms() + REQUEST_TIMEOUT_MS;
    }
}

/* Reads what client c has sent; answers it once its line is whole. */
static void read_pending(struct vm_api *api, struct pending_client *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            /* A client may half-close instead of sending '\n'. */
            if (n == 0 && c->len > 0)
                break;
            close(c->fd);
            c->fd = -1;
            return;
        }
        c->len += (size_t)n;
        if (memchr(c->buf, '\n', c->len) != NULL)
            break;
        if (c->len == sizeof(c->buf)) {
            drop_pending(c, "send one command line (info, pause, resume, shutdown, watch)");
            return;
        }
    }
    int fd = c->fd;
    c->fd = -1;
    serve_one(api, fd, c->buf, c->len);
}

static void *api_thread(void *arg)
{
    struct vm_api *api = arg;

    pthread_setname_np(pthread_self(), "vm-api");
    host_sandbox_enter(HOST_THREAD_API);
    for (unsigned i = 0; i < MAX_PENDING; i++)
        api->pending[i].fd = -1;
    for (;;) {
        struct pollfd fds[2 + MAX_PENDING + MAX_WATCHERS];
        struct pending_client *polled[MAX_PENDING];
        unsigned n = 0, np = 0;
        int64_t now = now_ms(), wait = -1;
        fds[n++] = (struct pollfd){.fd = api->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = api->listen_fd, .events = POLLIN};
        for (unsigned i = 0; i < MAX_PENDING; i++) {
            struct pending_client *c = &api->pending[i];
            if (c->fd < 0)
                continue;
            if (c->deadline_ms <= now) {
                drop_pending(c, "send one command line (info, pause, resume, shutdown, "
                                "watch) at once");
                continue;
            }
            if (wait < 0 || c->deadline_ms - now < wait)
                wait = c->deadline_ms - now;
            polled[np++] = c;
            fds[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
        }
        unsigned first_watcher = n;
        for (unsigned i = 0; i < api->watcher_count; i++)
            fds[n++] = (struct pollfd){.fd = api->watchers[i], .events = POLLIN};
        if (poll(fds, n, (int)wait) < 0) {
            if (errno == EINTR)
                continue;
            LOG_ERR("control socket: poll failed: %s", strerror(errno));
            break;
        }
        if (fds[0].revents)
            break;
        /* A watcher that sends anything or hangs up is done watching. */
        for (unsigned i = n; i-- > first_watcher;) {
            if (fds[i].revents)
                drop_watcher(api, i - first_watcher);
        }
        for (unsigned i = 0; i < np; i++) {
            if (fds[2 + i].revents)
                read_pending(api, polled[i]);
        }
        if (fds[1].revents & POLLIN)
            accept_clients(api);
    }
    for (unsigned i = 0; i < MAX_PENDING; i++) {
        if (api->pending[i].fd >= 0)
            close(api->pending[i].fd);
    }
    return NULL;
}

/* A socket file nobody listens on is left over from a VMM that died. */
static int claim_path(const struct sockaddr_un *addr)
{
    struct stat st;

    if (lstat(addr->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        LOG_ERR("--api-socket %s exists and is not a socket; not replacing it", addr->sun_path);
        return -STDVMM_EEXIST;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        close(probe);
        LOG_ERR("--api-socket %s is served by another process", addr->sun_path);
        return -STDVMM_EBUSY;
    }
    if (probe >= 0)
        close(probe);
    unlink(addr->sun_path);
    return 0;
}

int vm_api_open(struct vm_api **out, const char *path, const struct vmm_config *cfg,
                struct sched_policy *sched)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct vm_api *api;
    int r;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        LOG_ERR("--api-socket %s: longer than the %zu bytes a socket path may have", path,
                sizeof(addr.sun_path) - 1);
        return -STDVMM_EINVAL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    api = calloc(1, sizeof(*api));
    if (api == NULL)
        return -STDVMM_ENOMEM;
    pthread_mutex_init(&api->lock, NULL);
    api->cfg = cfg;
    api->sched = sched;
    api->listen_fd = api->wake[0] = api->wake[1] = -1;
    api->path = strdup(path);
    r = api->path ? claim_path(&addr) : -STDVMM_ENOMEM;
    if (r == 0) {
        api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (api->listen_fd < 0 || host_bind_private(api->listen_fd, &addr) != 0 ||
            listen(api->listen_fd, 32) != 0 || pipe2(api->wake, O_CLOEXEC) != 0) {
            LOG_ERR("--api-socket %s: %s", path, strerror(errno));
            r = -STDVMM_EIO;
        }
    }
    if (r < 0) {
        vm_api_close(api, VMM_EXIT_ERROR);
        return r;
    }
    *out = api;
    return 0;
}

int vm_api_start(struct vm_api *api)
{
    if (api == NULL || api->thread_started)
        return 0;
    if (host_thread_create(&api->thread, api_thread, api) != 0) {
        LOG_ERR("cannot start the control socket thread");
        return -STDVMM_EAGAIN;
    }
    api->thread_started = true;
    return 0;
}

void vm_api_close(struct vm_api *api, int exit_status)
{
    char line[64];

    if (api == NULL)
        return;
    if (api->thread_started) {
        close(api->wake[1]);
        api->wake[1] = -1;
        pthread_join(api->thread, NULL);
    }
    snprintf(line, sizeof(line), "{\"event\":\"exit\",\"status\":%d}\n", exit_status);
    for (unsigned i = 0; i < api->watcher_count; i++) {
        (void)send(api->watchers[i], line, strlen(line), MSG_NOSIGNAL);
        close(api->watchers[i]);
    }
    if (api->listen_fd >= 0) {
        close(api->listen_fd);
        unlink(api->path);
    }
    if (api->wake[0] >= 0)
        close(api->wake[0]);
    if (api->wake[1] >= 0)
        close(api->wake[1]);
    pthread_mutex_destroy(&api->lock);
    free(api->path);
    free(api);
}
