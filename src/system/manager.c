/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's VMs and their life cycle (manager.h has the overview).
 *
 * State directory layout, per VM (STATE/vms/NAME/):
 *   config.json   the single-VM description `stdvmm run --config` reads
 *   vmm.pid       "PID START_TIME" of the running VMM
 *   api.sock      the VMM's control socket
 *   serial.log    the guest console, unless the description names a file
 *   vmm.log       the VMM's own messages (stderr)
 *   instance.json what an instance was created from (instances only)
 *   status.json   state, restart count and last exit, kept across manager restarts
 * and STATE/boot_id, which tells a restarted manager (re-adopt, no autostart)
 * from a booted host (a fresh start: autostart).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manager.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vmm.h"
#include "sysconf_internal.h"

#define VM_API_TIMEOUT_MS 2000 /* a healthy VMM answers in microseconds */
#define TERM_GRACE_MS 5000     /* SIGTERM to SIGKILL */
#define BACKOFF_FIRST_MS 1000  /* restart delays double from here ... */
#define BACKOFF_MAX_MS 30000   /* ... up to here */
#define BACKOFF_RESET_MS 60000 /* a VM that ran this long starts the backoff over */
#define ADOPTED_POLL_MS 1000   /* liveness check where pidfd_open is missing */
/*
 * Paths below the state directory: it is short (its VM sockets must fit the
 * 108 bytes of sun_path, checked in claim_state_dir), so these always fit.
 */
#define STATE_DIR_MAX 108
#define VM_DIR_MAX (STATE_DIR_MAX + 8 + SYSCONF_NAME_MAX)
#define VM_PATH_MAX (VM_DIR_MAX + 32)

enum stop_phase { STOP_NONE, STOP_GRACEFUL, STOP_TERM, STOP_KILL };

struct mgr_vm {
    char name[SYSCONF_NAME_MAX + 1];
    const struct sysconf_vm *def; /* the description's entry (an instance's definition) */
    struct sysconf_vm cfg;        /* what runs: def, or an instance of it */
    struct sysconf_arena *arena;  /* strings of cfg that def does not hold */
    bool instance;
    unsigned slot; /* instance number n: the "{n}" in paths, CID offset */
    char dir[VM_DIR_MAX];
    enum mgr_state state;
    pid_t pid;
    uint64_t start_time; /* /proc start time of pid */
    bool child;          /* started by this manager process (waitpid works) */
    int pidfd;           /* adopted: readable when the process exits */
    int watch_fd;        /* adopted: carries the exit status */
    int watch_status;    /* read from watch_fd; -1 none */
    unsigned restarts;   /* automatic restarts since the last requested start */
    unsigned starts;
    unsigned backoff;
    int last_exit; /* -1: none yet */
    char last_reason[128];
    bool stop_requested;     /* the exit is wanted: no restart */
    bool restart_after_stop; /* a restart request: start again after the exit */
    enum stop_phase stop_phase;
    int64_t deadline; /* ms: next stop escalation, or the restart time; 0: none */
    int64_t started_ms;
    bool has_status; /* status.json existed: the VM ran under this state dir */
    char saved_state[16];
};

struct mgr {
    struct mgr_options opts;
    struct sysconf cfg;
    char state_dir[STATE_DIR_MAX];
    char stdvmm[PATH_MAX];
    struct mgr_vm **vms;
    unsigned vm_count;
    int lock_fd;
    int signal_fd;
    struct mgr_http *http;
    long clock_ticks;
    bool quit;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *mgr_state_name(enum mgr_state s)
{
    switch (s) {
    case MGR_VM_STOPPED:
        return "stopped";
    case MGR_VM_RUNNING:
        return "running";
    case MGR_VM_PAUSED:
        return "paused";
    case MGR_VM_STOPPING:
        return "stopping";
    case MGR_VM_RESTARTING:
        return "restarting";
    case MGR_VM_FAILED:
        return "failed";
    }
    return "unknown";
}

/* Does this state hold (or reserve) its share of the bounds? */
static bool holds_resources(enum mgr_state s)
{
    return s == MGR_VM_RUNNING || s == MGR_VM_PAUSED || s == MGR_VM_STOPPING ||
           s == MGR_VM_RESTARTING;
}

static void vm_file(const struct mgr_vm *vm, const char *leaf, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", vm->dir, leaf);
}

static struct mgr_vm *find_vm(struct mgr *m, const char *name)
{
    for (unsigned i = 0; i < m->vm_count; i++) {
        if (strcmp(m->vms[i]->name, name) == 0)
            return m->vms[i];
    }
    return NULL;
}

static const struct sysconf_vm *find_definition(struct mgr *m, const char *name)
{
    for (unsigned i = 0; i < m->cfg.vm_count; i++) {
        if (strcmp(m->cfg.vms[i].name, name) == 0)
            return &m->cfg.vms[i];
    }
    return NULL;
}

/* ---- persistence ---- */

static void save_status(const struct mgr_vm *vm)
{
    char path[VM_PATH_MAX];
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:s}", "state", mgr_state_name(vm->state),
                          "restarts", (json_int_t)vm->restarts, "starts", (json_int_t)vm->starts,
                          "last_exit", (json_int_t)vm->last_exit, "last_reason", vm->last_reason);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

    vm_file(vm, "status.json", path, sizeof(path));
    if (text == NULL || mgr_write_file(path, text) != 0)
        LOG_WARN("%s: cannot record its status in %s", vm->name, path);
    free(text);
    json_decref(o);
}

static void load_status(struct mgr_vm *vm)
{
    char path[VM_PATH_MAX];

    vm_file(vm, "status.json", path, sizeof(path));
    char *text = mgr_read_file(path, 4096, NULL);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    json_t *v;
    vm->has_status = o != NULL;
    if ((v = json_object_get(o, "state")) && json_is_string(v))
        snprintf(vm->saved_state, sizeof(vm->saved_state), "%s", json_string_value(v));
    if ((v = json_object_get(o, "restarts")) && json_is_integer(v))
        vm->restarts = (unsigned)json_integer_value(v);
    if ((v = json_object_get(o, "starts")) && json_is_integer(v))
        vm->starts = (unsigned)json_integer_value(v);
    if ((v = json_object_get(o, "last_exit")) && json_is_integer(v))
        vm->last_exit = (int)json_integer_value(v);
    if ((v = json_object_get(o, "last_reason")) && json_is_string(v))
        snprintf(vm->last_reason, sizeof(vm->last_reason), "%s", json_string_value(v));
    json_decref(o);
    free(text);
}

/* ---- VMs: creating the records ---- */

/* "{n}" in s becomes the instance number. */
static const char *substitute(struct mgr_vm *vm, const char *s)
{
    char buf[PATH_MAX], num[16];
    const char *mark;

    if (s == NULL || !vm->instance || (mark = strstr(s, "{n}")) == NULL)
        return s;
    snprintf(num, sizeof(num), "%u", vm->slot);
    size_t out = 0;
    for (const char *p = s; *p && out + 16 < sizeof(buf);) {
        if (strncmp(p, "{n}", 3) == 0) {
            out += (size_t)snprintf(buf + out, sizeof(buf) - out, "%s", num);
            p += 3;
        } else {
            buf[out++] = *p++;
        }
    }
    buf[out] = '\0';
    const char *r = sysconf_arena_strdup(&vm->arena, buf);
    return r ? r : s;
}

static struct mgr_vm *add_vm(struct mgr *m, const char *name, const struct sysconf_vm *def,
                             bool instance, unsigned slot)
{
    struct mgr_vm *vm = calloc(1, sizeof(*vm));
    struct mgr_vm **list = realloc(m->vms, (m->vm_count + 1) * sizeof(*list));

    if (vm == NULL || list == NULL) {
        free(vm);
        if (list != NULL)
            m->vms = list;
        return NULL;
    }
    m->vms = list;
    snprintf(vm->name, sizeof(vm->name), "%s", name);
    snprintf(vm->dir, sizeof(vm->dir), "%s/vms/%s", m->state_dir, name);
    vm->def = def;
    vm->cfg = *def;
    vm->cfg.name = vm->name;
    vm->instance = instance;
    vm->slot = slot;
    vm->pidfd = vm->watch_fd = -1;
    vm->watch_status = -1;
    vm->last_exit = -1;
    if (instance) {
        vm->cfg.instances_max = 0;
        vm->cfg.autostart = false;
        for (unsigned i = 0; i < vm->cfg.disk_count; i++)
            vm->cfg.disks[i].path = substitute(vm, def->disks[i].path);
        for (unsigned i = 0; i < vm->cfg.net_count; i++)
            vm->cfg.nets[i].tap = substitute(vm, def->nets[i].tap);
        vm->cfg.serial_log = substitute(vm, def->serial_log);
        vm->cfg.vsock_socket = substitute(vm, def->vsock_socket);
        if (def->vsock_cid != 0)
            vm->cfg.vsock_cid = def->vsock_cid + slot - 1;
        for (unsigned i = 0; i < vm->cfg.net_count; i++) {
            for (unsigned f = 0; f < vm->cfg.nets[i].hostfwd_count; f++)
                vm->cfg.nets[i].hostfwds[f].host =
                    (uint16_t)(def->nets[i].hostfwds[f].host + slot - 1);
        }
    }
    if (vm->cfg.vsock_cid != 0 && vm->cfg.vsock_socket == NULL) {
        char path[VM_PATH_MAX];
        vm_file(vm, "vsock.sock", path, sizeof(path));
        vm->cfg.vsock_socket = sysconf_arena_strdup(&vm->arena, path);
    }
    if (vm->cfg.serial_log == NULL) {
        char path[VM_PATH_MAX];
        vm_file(vm, "serial.log", path, sizeof(path));
        vm->cfg.serial_log = sysconf_arena_strdup(&vm->arena, path);
    }
    /* The system's CPUs, unless the VM names its own. */
    if (!vm->cfg.has_host_cpus && m->cfg.system.has_host_cpus) {
        vm->cfg.has_host_cpus = true;
        vm->cfg.host_cpus = m->cfg.system.host_cpus;
    }
    if (mkdir(vm->dir, 0700) != 0 && errno != EEXIST)
        LOG_WARN("%s: cannot create %s: %s", name, vm->dir, strerror(errno));
    m->vms[m->vm_count++] = vm;
    return vm;
}

static void free_vm(struct mgr_vm *vm)
{
    if (vm->pidfd >= 0)
        close(vm->pidfd);
    if (vm->watch_fd >= 0)
        close(vm->watch_fd);
    sysconf_arena_free(vm->arena);
    free(vm);
}

static void remove_vm(struct mgr *m, struct mgr_vm *vm)
{
    for (unsigned i = 0; i < m->vm_count; i++) {
        if (m->vms[i] == vm) {
            memmove(&m->vms[i], &m->vms[i + 1], (m->vm_count - i - 1) * sizeof(*m->vms));
            m->vm_count--;
            break;
        }
    }
    free_vm(vm);
}

static unsigned instance_count(struct mgr *m, const struct sysconf_vm *def)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->vm_count; i++)
        n += m->vms[i]->instance && m->vms[i]->def == def;
    return n;
}

static bool slot_taken(struct mgr *m, const struct sysconf_vm *def, unsigned slot)
{
    for (unsigned i = 0; i < m->vm_count; i++) {
        if (m->vms[i]->instance && m->vms[i]->def == def && m->vms[i]->slot == slot)
            return true;
    }
    return false;
}

/* ---- bounds ---- */

struct usage {
    uint64_t memory;
    unsigned vcpus;
    unsigned vms;
};

static struct usage usage_of(struct mgr *m)
{
    struct usage u = {0};
    for (unsigned i = 0; i < m->vm_count; i++) {
        const struct mgr_vm *vm = m->vms[i];
        if (!holds_resources(vm->state))
            continue;
        u.memory += vm->cfg.memory;
        u.vcpus += vm->cfg.cpus;
        u.vms++;
    }
    return u;
}

/*
 * Would starting a VM of this size stay within the system's bounds? The
 * message names the bound: "system.memory: 448M in use + 128M for web ...".
 */
static bool fits(struct mgr *m, const char *name, uint64_t memory, unsigned cpus, char *err,
                 size_t size)
{
    struct usage u = usage_of(m);
    struct mgr_usage used = {.memory = u.memory, .vcpus = u.vcpus, .vms = u.vms};
    return mgr_bounds_fit(&m->cfg.system, &used, name, memory, cpus, err, size);
}

/* ---- starting ---- */

static void clear_process(struct mgr_vm *vm)
{
    char path[VM_PATH_MAX];

    if (vm->pidfd >= 0)
        close(vm->pidfd);
    if (vm->watch_fd >= 0)
        close(vm->watch_fd);
    vm->pidfd = vm->watch_fd = -1;
    vm->watch_status = -1;
    vm->pid = 0;
    vm->child = false;
    vm->stop_phase = STOP_NONE;
    vm->deadline = 0;
    vm_file(vm, "vmm.pid", path, sizeof(path));
    unlink(path);
}

static int spawn(struct mgr *m, struct mgr_vm *vm, char *err, size_t err_size)
{
    char config[VM_PATH_MAX], sock[VM_PATH_MAX], log[VM_PATH_MAX], pidpath[VM_PATH_MAX];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    pid_t pid;

    vm_file(vm, "config.json", config, sizeof(config));
    vm_file(vm, "api.sock", sock, sizeof(sock));
    vm_file(vm, "vmm.log", log, sizeof(log));
    vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
    char *json = sysconf_vm_to_json(&vm->cfg);
    if (json == NULL || mgr_write_file(config, json) != 0) {
        free(json);
        snprintf(err, err_size, "cannot write %s", config);
        return -STDVMM_EIO;
    }
    free(json);

    char *argv[] = {"stdvmm", "run",         "--config", config, "--api-socket",
                    sock,     "--log-level", "info",     NULL};
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    /*
     * Its own session: the manager's terminal and process group (Ctrl-C,
     * a supervisor killing the manager's group) must not reach the VMs.
     */
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    int r = posix_spawn(&pid, m->stdvmm, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0) {
        snprintf(err, err_size, "cannot start %.200s: %s", m->stdvmm, strerror(r));
        return -STDVMM_EIO;
    }
    struct mgr_pidfile pf = {.pid = pid};
    bool zombie;
    if (mgr_proc_start_time("/proc", pid, &pf.start_time, &zombie) != 0 ||
        mgr_pidfile_write(pidpath, &pf) != 0)
        LOG_WARN("%s: cannot record pid %d in %s; a restarted manager will not adopt it", vm->name,
                 (int)pid, pidpath);
    vm->pid = pid;
    vm->start_time = pf.start_time;
    vm->child = true;
    vm->state = MGR_VM_RUNNING;
    vm->stop_requested = vm->restart_after_stop = false;
    vm->stop_phase = STOP_NONE;
    vm->deadline = 0;
    vm->started_ms = now_ms();
    vm->starts++;
    save_status(vm);
    LOG_INFO("%s: started, pid %d", vm->name, (int)pid);
    return 0;
}

/* A start the API or autostart asked for: checks bounds, resets the restart count. */
static int start_vm(struct mgr *m, struct mgr_vm *vm, char *err, size_t err_size)
{
    if (!fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, err, err_size))
        return -STDVMM_ENOSPC;
    vm->restarts = 0;
    vm->backoff = 0;
    return spawn(m, vm, err, err_size);
}

/* ---- stopping ---- */

static void send_signal(struct mgr_vm *vm, int sig)
{
    if (vm->pid > 0 && kill(vm->pid, sig) != 0 && errno != ESRCH)
        LOG_WARN("%s: cannot send signal %d to pid %d: %s", vm->name, sig, (int)vm->pid,
                 strerror(errno));
}

static void stop_vm(struct mgr_vm *vm, unsigned timeout_s, bool force)
{
    char sock[VM_PATH_MAX], err[160];
    json_t *reply = NULL;

    vm->stop_requested = true;
    if (vm->state == MGR_VM_RESTARTING) {
        /* No process: the pending restart is simply cancelled. */
        vm->state = MGR_VM_STOPPED;
        vm->deadline = 0;
        save_status(vm);
        return;
    }
    if (vm->state == MGR_VM_STOPPING && !force)
        return; /* already on its way; a second graceful request changes nothing */
    vm->state = MGR_VM_STOPPING;
    save_status(vm);
    if (!force) {
        vm_file(vm, "api.sock", sock, sizeof(sock));
        int r = vm_client_call(sock, "shutdown", VM_API_TIMEOUT_MS, &reply, err, sizeof(err));
        bool ok = r == 0 && json_is_true(json_object_get(reply, "ok"));
        if (r == 0 && !ok)
            snprintf(err, sizeof(err), "%s",
                     json_string_value(json_object_get(reply, "error"))
                         ? json_string_value(json_object_get(reply, "error"))
                         : "refused");
        json_decref(reply);
        if (ok && timeout_s > 0) {
            LOG_INFO("%s: power button pressed; %u s to power off", vm->name, timeout_s);
            vm->stop_phase = STOP_GRACEFUL;
            vm->deadline = now_ms() + (int64_t)timeout_s * 1000;
            return;
        }
        if (!ok)
            LOG_WARN("%s: no graceful shutdown (%s); stopping the VMM", vm->name, err);
    }
    send_signal(vm, SIGTERM);
    vm->stop_phase = STOP_TERM;
    vm->deadline = now_ms() + TERM_GRACE_MS;
}

/* ---- exits ---- */

static const char *exit_reason(int status, char *buf, size_t size)
{
    switch (status) {
    case VMM_EXIT_POWEROFF:
        return "the guest powered off";
    case VMM_EXIT_ERROR:
        return "the VMM failed (see vmm.log)";
    case VMM_EXIT_USAGE:
        return "the VMM refused its configuration (see vmm.log)";
    case VMM_EXIT_PANIC:
        return "the guest kernel panicked";
    case VMM_EXIT_RESET:
        return "the guest reset itself (no_reboot)";
    case VMM_EXIT_STOPPED:
        return "stopped from the host";
    case -1:
        return "exited while the manager was not running (status unknown)";
    default:
        break;
    }
    if (status > 128)
        snprintf(buf, size, "killed by signal %d", status - 128);
    else
        snprintf(buf, size, "exit status %d", status);
    return buf;
}

static bool restart_wanted(const struct mgr_vm *vm, int status)
{
    if (vm->stop_requested || status == VMM_EXIT_USAGE)
        return false; /* wanted, or a configuration that will fail again */
    switch (vm->cfg.restart) {
    case SYSCONF_RESTART_NEVER:
        return false;
    case SYSCONF_RESTART_ON_FAILURE:
        return status != VMM_EXIT_POWEROFF &&
               (vm->cfg.restart_max == 0 || vm->restarts < vm->cfg.restart_max);
    case SYSCONF_RESTART_ALWAYS:
        return true;
    }
    return false;
}

static void vm_exited(struct mgr *m, struct mgr_vm *vm, int status)
{
    char buf[64];
    int64_t ran = now_ms() - vm->started_ms;
    bool wanted = vm->stop_requested;
    bool again = vm->restart_after_stop;

    clear_process(vm);
    vm->last_exit = status;
    snprintf(vm->last_reason, sizeof(vm->last_reason), "%s", exit_reason(status, buf, sizeof(buf)));
    LOG_INFO("%s: exited: %s", vm->name, vm->last_reason);
    if (wanted) {
        vm->state = MGR_VM_STOPPED;
        vm->stop_requested = vm->restart_after_stop = false;
        if (again) {
            char err[256];
            if (start_vm(m, vm, err, sizeof(err)) != 0) {
                LOG_ERR("%s: cannot start again: %s", vm->name, err);
                vm->state = MGR_VM_FAILED;
                snprintf(vm->last_reason, sizeof(vm->last_reason), "restart failed: %.80s", err);
            }
        }
    } else if (restart_wanted(vm, status)) {
        if (ran > BACKOFF_RESET_MS)
            vm->backoff = 0;
        int64_t delay = (int64_t)BACKOFF_FIRST_MS << (vm->backoff < 5 ? vm->backoff : 5);
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
        vm->backoff++;
        vm->state = MGR_VM_RESTARTING;
        vm->deadline = now_ms() + delay;
        LOG_INFO("%s: restarting in %lld ms (restart %u)", vm->name, (long long)delay,
                 vm->restarts + 1);
    } else {
        vm->state = status == VMM_EXIT_POWEROFF ? MGR_VM_STOPPED : MGR_VM_FAILED;
    }
    save_status(vm);
}

static void restart_now(struct mgr *m, struct mgr_vm *vm)
{
    char err[256];

    vm->deadline = 0;
    /* Its share stays reserved while it waits, so only a changed system can refuse it. */
    vm->state = MGR_VM_STOPPED;
    if (!fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, err, sizeof(err)) ||
        spawn(m, vm, err, sizeof(err)) != 0) {
        LOG_ERR("%s: restart failed: %s", vm->name, err);
        vm->state = MGR_VM_FAILED;
        snprintf(vm->last_reason, sizeof(vm->last_reason), "restart failed: %.80s", err);
        save_status(vm);
        return;
    }
    vm->restarts++;
    save_status(vm);
}

static void reap_children(struct mgr *m)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        for (unsigned i = 0; i < m->vm_count; i++) {
            if (m->vms[i]->child && m->vms[i]->pid == pid) {
                vm_exited(m, m->vms[i], code);
                break;
            }
        }
    }
}

/* Deadlines: stop escalation, restarts after backoff, adopted VMs without a pidfd. */
static void tick(struct mgr *m)
{
    int64_t now = now_ms();

    for (unsigned i = 0; i < m->vm_count; i++) {
        struct mgr_vm *vm = m->vms[i];
        if (vm->pid > 0 && !vm->child && vm->pidfd < 0) {
            uint64_t st;
            bool zombie;
            if (mgr_proc_start_time("/proc", vm->pid, &st, &zombie) != 0 || st != vm->start_time ||
                zombie) {
                vm_exited(m, vm, vm->watch_status);
                continue;
            }
        }
        if (vm->deadline == 0 || now < vm->deadline)
            continue;
        if (vm->state == MGR_VM_RESTARTING) {
            restart_now(m, vm);
        } else if (vm->state == MGR_VM_STOPPING && vm->stop_phase == STOP_GRACEFUL) {
            LOG_WARN("%s: did not power off in time; stopping the VMM", vm->name);
            send_signal(vm, SIGTERM);
            vm->stop_phase = STOP_TERM;
            vm->deadline = now + TERM_GRACE_MS;
        } else if (vm->state == MGR_VM_STOPPING && vm->stop_phase == STOP_TERM) {
            LOG_WARN("%s: the VMM ignored SIGTERM; killing it", vm->name);
            send_signal(vm, SIGKILL);
            vm->stop_phase = STOP_KILL;
            vm->deadline = 0;
        } else {
            vm->deadline = 0;
        }
    }
}

static int next_timeout_ms(struct mgr *m)
{
    int64_t now = now_ms(), best = -1;

    for (unsigned i = 0; i < m->vm_count; i++) {
        const struct mgr_vm *vm = m->vms[i];
        int64_t t = -1;
        if (vm->deadline != 0)
            t = vm->deadline > now ? vm->deadline - now : 0;
        if (vm->pid > 0 && !vm->child && vm->pidfd < 0 && (t < 0 || t > ADOPTED_POLL_MS))
            t = ADOPTED_POLL_MS;
        if (t >= 0 && (best < 0 || t < best))
            best = t;
    }
    return best > INT32_MAX ? INT32_MAX : (int)best;
}

/* ---- adoption ---- */

/* Takes over the VMM a previous manager started; false when there is none. */
static bool adopt(struct mgr *m, struct mgr_vm *vm)
{
    char pidpath[VM_PATH_MAX], sock[VM_PATH_MAX], why[256], err[160];
    struct mgr_pidfile pf;

    vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
    vm_file(vm, "api.sock", sock, sizeof(sock));
    if (mgr_pidfile_read(pidpath, &pf) != 0)
        return false;
    if (mgr_adopt_check("/proc", &pf, m->stdvmm, sock, why, sizeof(why)) != 0) {
        LOG_INFO("%s: not adopting pid %d: %s", vm->name, (int)pf.pid, why);
        unlink(pidpath);
        return false;
    }
    vm->pid = pf.pid;
    vm->start_time = pf.start_time;
    vm->child = false;
    vm->state = MGR_VM_RUNNING;
    vm->started_ms = now_ms();
    vm->pidfd = (int)syscall(SYS_pidfd_open, pf.pid, 0);
    if (vm->pidfd < 0)
        LOG_INFO("%s: no pidfd (%s); checking pid %d every second", vm->name, strerror(errno),
                 (int)pf.pid);
    vm->watch_fd = vm_client_watch(sock, VM_API_TIMEOUT_MS, err, sizeof(err));
    if (vm->watch_fd < 0)
        LOG_WARN("%s: cannot watch the VMM (%s); its exit status will be unknown", vm->name, err);
    json_t *info = NULL;
    if (vm_client_call(sock, "info", VM_API_TIMEOUT_MS, &info, err, sizeof(err)) == 0) {
        const char *state = json_string_value(json_object_get(info, "state"));
        if (state != NULL && strcmp(state, "paused") == 0)
            vm->state = MGR_VM_PAUSED;
        json_decref(info);
    }
    LOG_INFO("%s: adopted the running VMM, pid %d", vm->name, (int)pf.pid);
    return true;
}

/*
 * A VM as the previous manager left it. Without a process, what status.json
 * recorded decides: a VM that should have been running exited while no
 * manager watched (status unknown, so the restart policy sees a failure).
 */
static void recover(struct mgr *m, struct mgr_vm *vm, bool fresh_boot)
{
    load_status(vm);
    if (adopt(m, vm))
        return;
    vm->state = MGR_VM_STOPPED;
    if (fresh_boot || !vm->has_status)
        return;
    if (strcmp(vm->saved_state, "failed") == 0) {
        vm->state = MGR_VM_FAILED;
    } else if (strcmp(vm->saved_state, "running") == 0 || strcmp(vm->saved_state, "paused") == 0 ||
               strcmp(vm->saved_state, "restarting") == 0) {
        vm->started_ms = now_ms();
        vm_exited(m, vm, -1);
    }
}

/* Has the host booted since the state directory was last used? Records this boot. */
static bool fresh_boot(struct mgr *m)
{
    char path[VM_PATH_MAX];
    char *now = mgr_read_file("/proc/sys/kernel/random/boot_id", 64, NULL);

    snprintf(path, sizeof(path), "%s/boot_id", m->state_dir);
    char *before = mgr_read_file(path, 64, NULL);
    bool fresh = now == NULL || before == NULL || strcmp(now, before) != 0;
    if (fresh && now != NULL)
        mgr_write_file(path, now);
    free(now);
    free(before);
    return fresh;
}

/* Instances live only in the state directory; a new manager finds them there. */
static void load_instances(struct mgr *m)
{
    char dir[VM_DIR_MAX], path[VM_PATH_MAX + 256];
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s/vms", m->state_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (!sysconf_valid_name(e->d_name) || find_vm(m, e->d_name) != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s/instance.json", dir, e->d_name);
        char *text = mgr_read_file(path, 4096, NULL);
        json_t *o = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (o == NULL)
            continue;
        const char *defname = json_string_value(json_object_get(o, "definition"));
        json_int_t slot = json_integer_value(json_object_get(o, "slot"));
        const struct sysconf_vm *def = defname ? find_definition(m, defname) : NULL;
        if (def == NULL || def->instances_max == 0 || slot < 1 ||
            slot > (json_int_t)def->instances_max || slot_taken(m, def, (unsigned)slot)) {
            LOG_WARN("%s: instance of '%s' that the description no longer allows; left alone",
                     e->d_name, defname ? defname : "?");
            json_decref(o);
            continue;
        }
        struct mgr_vm *vm = add_vm(m, e->d_name, def, true, (unsigned)slot);
        json_t *v;
        if (vm != NULL && (v = json_object_get(o, "memory")) && json_is_integer(v))
            vm->cfg.memory = (uint64_t)json_integer_value(v);
        if (vm != NULL && (v = json_object_get(o, "cpus")) && json_is_integer(v))
            vm->cfg.cpus = (unsigned)json_integer_value(v);
        json_decref(o);
    }
    closedir(d);
}

/* ---- API operations ---- */

void mgr_reply_error(struct mgr_reply *reply, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply->status = status;
    reply->body = json_pack("{s:s, s:i}", "error", msg, "status", status);
}

static void reply_diags(struct mgr_reply *reply, const struct sysconf_diags *d)
{
    json_t *details = json_array();
    char first[600] = "invalid request";

    for (unsigned i = 0; i < d->count; i++) {
        char line[600];
        snprintf(line, sizeof(line), "%s%s%s", d->items[i].path, d->items[i].path[0] ? ": " : "",
                 d->items[i].message);
        if (i == 0)
            snprintf(first, sizeof(first), "%s", line);
        json_array_append_new(details, json_string(line));
    }
    reply->status = 400;
    reply->body = json_pack("{s:s, s:i, s:o}", "error", first, "status", 400, "details", details);
}

static uint64_t proc_uptime_ticks(long ticks)
{
    char *text = mgr_read_file("/proc/uptime", 64, NULL);
    double up = text ? strtod(text, NULL) : 0;
    free(text);
    return (uint64_t)(up * (double)ticks);
}

/* VmRSS of pid in KiB (0 when unknown). */
static uint64_t rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    char *text = mgr_read_file(path, 8192, NULL);
    const char *p = text ? strstr(text, "\nVmRSS:") : NULL;
    uint64_t kib = p ? strtoull(p + 7, NULL, 10) : 0;
    free(text);
    return kib;
}

static json_t *vcpu_threads(pid_t pid)
{
    char path[64];
    json_t *arr = json_array();
    struct dirent *e;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char comm_path[128];
        unsigned index;
        if (e->d_name[0] == '.')
            continue;
        snprintf(comm_path, sizeof(comm_path), "/proc/%d/task/%.20s/comm", (int)pid, e->d_name);
        char *comm = mgr_read_file(comm_path, 32, NULL);
        if (comm != NULL && sscanf(comm, "vcpu%u", &index) == 1)
            json_array_append_new(arr, json_pack("{s:I, s:I}", "index", (json_int_t)index, "tid",
                                                 (json_int_t)atoll(e->d_name)));
        free(comm);
    }
    if (d != NULL)
        closedir(d);
    return arr;
}

static json_t *vm_json(struct mgr *m, const struct mgr_vm *vm, bool detail)
{
    char cpus[256];
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "name", vm->name, "definition",
                          vm->def->name, "state", mgr_state_name(vm->state), "cpus",
                          (json_int_t)vm->cfg.cpus, "memory", (json_int_t)vm->cfg.memory,
                          "restarts", (json_int_t)vm->restarts, "instance", vm->instance);
    if (o == NULL)
        return NULL;
    if (vm->pid > 0) {
        json_object_set_new(o, "pid", json_integer(vm->pid));
        uint64_t up = proc_uptime_ticks(m->clock_ticks);
        uint64_t secs = up > vm->start_time ? (up - vm->start_time) / (uint64_t)m->clock_ticks : 0;
        json_object_set_new(o, "uptime", json_integer((json_int_t)secs));
    } else {
        json_object_set_new(o, "pid", json_null());
        json_object_set_new(o, "uptime", json_null());
    }
    if (!detail)
        return o;
    json_object_set_new(o, "starts", json_integer(vm->starts));
    json_object_set_new(o, "restart_policy",
                        json_string(vm->cfg.restart == SYSCONF_RESTART_ALWAYS       ? "always"
                                    : vm->cfg.restart == SYSCONF_RESTART_ON_FAILURE ? "on-failure"
                                                                                    : "never"));
    json_object_set_new(o, "restart_max", json_integer(vm->cfg.restart_max));
    if (vm->instance)
        json_object_set_new(o, "slot", json_integer(vm->slot));
    json_object_set_new(o, "kernel", json_string(vm->cfg.kernel));
    json_object_set_new(o, "initramfs",
                        vm->cfg.initramfs ? json_string(vm->cfg.initramfs) : json_null());
    json_object_set_new(o, "cmdline", json_string(vm->cfg.cmdline));
    if (vm->cfg.has_host_cpus) {
        sysconf_cpuset_format(&vm->cfg.host_cpus, cpus, sizeof(cpus));
        json_object_set_new(o, "host_cpus", json_string(cpus));
    }
    json_t *dev = json_object();
    json_object_set_new(dev, "serial", json_pack("{s:s}", "log", vm->cfg.serial_log));
    json_t *disks = json_array(), *nets = json_array();
    for (unsigned i = 0; i < vm->cfg.disk_count; i++)
        json_array_append_new(disks, json_pack("{s:s, s:b}", "path", vm->cfg.disks[i].path,
                                               "read_only", vm->cfg.disks[i].read_only));
    for (unsigned i = 0; i < vm->cfg.net_count; i++) {
        const struct sysconf_net *n = &vm->cfg.nets[i];
        json_t *fwds = json_array();
        for (unsigned f = 0; f < n->hostfwd_count; f++)
            json_array_append_new(fwds, json_pack("{s:i, s:i}", "host", n->hostfwds[f].host,
                                                  "guest", n->hostfwds[f].guest));
        json_array_append_new(nets, json_pack("{s:s, s:s?, s:s?, s:o}", "backend",
                                              n->tap ? "tap" : "user", "tap", n->tap, "mac", n->mac,
                                              "hostfwd", fwds));
    }
    json_object_set_new(dev, "disks", disks);
    json_object_set_new(dev, "nets", nets);
    json_object_set_new(dev, "vsock",
                        vm->cfg.vsock_cid
                            ? json_pack("{s:I, s:s?}", "cid", (json_int_t)vm->cfg.vsock_cid,
                                        "socket", vm->cfg.vsock_socket)
                            : json_null());
    json_object_set_new(dev, "rng", json_boolean(vm->cfg.rng));
    json_object_set_new(dev, "console", json_string(vm->cfg.virtio_console ? "virtio" : "serial"));
    json_object_set_new(o, "devices", dev);
    json_object_set_new(
        o, "last_exit",
        vm->last_exit == -1 && vm->last_reason[0] == '\0'
            ? json_null()
            : json_pack("{s:i, s:s}", "status", vm->last_exit, "reason", vm->last_reason));
    if (vm->pid > 0) {
        json_object_set_new(o, "vcpu_threads", vcpu_threads(vm->pid));
        json_object_set_new(o, "vmm_rss", json_integer((json_int_t)rss_kib(vm->pid) * 1024));
        json_object_set_new(o, "adopted", json_boolean(!vm->child));
    }
    return o;
}

static json_t *system_json(struct mgr *m)
{
    const struct sysconf_system *s = &m->cfg.system;
    struct usage u = usage_of(m);
    char cpus[256] = "all";

    if (s->has_host_cpus)
        sysconf_cpuset_format(&s->host_cpus, cpus, sizeof(cpus));
    return json_pack("{s:{s:I, s:I, s:I, s:s}, s:{s:I, s:I, s:I}, s:I}", "bounds", "memory",
                     (json_int_t)s->memory, "vcpus", (json_int_t)s->vcpus, "max_vms",
                     (json_int_t)s->max_vms, "host_cpus", cpus, "usage", "memory",
                     (json_int_t)u.memory, "vcpus", (json_int_t)u.vcpus, "vms", (json_int_t)u.vms,
                     "manager_pid", (json_int_t)getpid());
}

static json_t *definitions_json(struct mgr *m)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < m->cfg.vm_count; i++) {
        const struct sysconf_vm *d = &m->cfg.vms[i];
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:b}", "name", d->name, "memory",
                           (json_int_t)d->memory, "cpus", (json_int_t)d->cpus, "instances_max",
                           (json_int_t)d->instances_max, "instances",
                           (json_int_t)instance_count(m, d), "autostart", d->autostart));
    }
    return arr;
}

static void reply_vm(struct mgr *m, struct mgr_reply *reply, int status, const struct mgr_vm *vm)
{
    reply->status = status;
    reply->body = vm_json(m, vm, true);
}

static void op_create(struct mgr *m, const char *body, size_t len, struct mgr_reply *reply)
{
    struct mgr_body keep;
    struct mgr_create_request req;
    struct sysconf_diags diags = {0};
    char name[SYSCONF_NAME_MAX + 16], err[256], path[PATH_MAX];

    if (mgr_parse_create(body, len, &keep, &req, &diags) != 0) {
        reply_diags(reply, &diags);
        sysconf_diags_free(&diags);
        return;
    }
    const struct sysconf_vm *def = find_definition(m, req.definition);
    if (def == NULL) {
        mgr_reply_error(reply, 404, "no definition '%s' in the system description", req.definition);
    } else if (def->instances_max == 0) {
        mgr_reply_error(reply, 409,
                        "'%s' is a single VM, not a definition with instances "
                        "(instances.max); start it instead",
                        def->name);
    } else if (instance_count(m, def) >= def->instances_max) {
        mgr_reply_error(reply, 409, "%s: instances.max %u reached; delete an instance first",
                        def->name, def->instances_max);
    } else if (req.memory > m->cfg.system.memory || req.cpus > m->cfg.system.vcpus) {
        char a[32], b[32];
        sysconf_format_size(req.memory, a, sizeof(a));
        sysconf_format_size(m->cfg.system.memory, b, sizeof(b));
        if (req.memory > m->cfg.system.memory)
            mgr_reply_error(reply, 409, "memory %s exceeds system.memory %s", a, b);
        else
            mgr_reply_error(reply, 409, "cpus %u exceeds system.vcpus %u", req.cpus,
                            m->cfg.system.vcpus);
    } else {
        unsigned slot = 1;
        while (slot_taken(m, def, slot))
            slot++;
        if (req.name != NULL)
            snprintf(name, sizeof(name), "%s", req.name);
        else
            snprintf(name, sizeof(name), "%s-%u", def->name, slot);
        uint64_t memory = req.memory ? req.memory : def->memory;
        unsigned cpus = req.cpus ? req.cpus : def->cpus;
        if (!sysconf_valid_name(name)) {
            mgr_reply_error(reply, 400, "name: '%s' is not a valid VM name", name);
        } else if (find_vm(m, name) != NULL || find_definition(m, name) != NULL) {
            mgr_reply_error(reply, 409, "duplicate name: a VM called '%s' exists already", name);
        } else if (req.start && !fits(m, name, memory, cpus, err, sizeof(err))) {
            mgr_reply_error(reply, 409, "%s", err);
        } else {
            struct mgr_vm *vm = add_vm(m, name, def, true, slot);
            if (vm == NULL) {
                mgr_reply_error(reply, 500, "out of memory");
            } else {
                vm->cfg.memory = memory;
                vm->cfg.cpus = cpus;
                json_t *inst = json_pack("{s:s, s:I, s:I, s:I}", "definition", def->name, "slot",
                                         (json_int_t)slot, "memory", (json_int_t)memory, "cpus",
                                         (json_int_t)cpus);
                char *text = inst ? json_dumps(inst, JSON_COMPACT) : NULL;
                json_decref(inst);
                vm_file(vm, "instance.json", path, sizeof(path));
                if (text == NULL || mgr_write_file(path, text) != 0) {
                    mgr_reply_error(reply, 500, "cannot record the instance in %s", path);
                    remove_vm(m, vm);
                } else if (req.start && start_vm(m, vm, err, sizeof(err)) != 0) {
                    /* Created but not running: say so, and keep it (it can be deleted). */
                    mgr_reply_error(reply, 500, "created %s, but it did not start: %s", name, err);
                } else {
                    LOG_INFO("%s: instance %u of %s created", name, slot, def->name);
                    reply_vm(m, reply, 201, vm);
                }
                free(text);
            }
        }
    }
    mgr_body_free(&keep);
}

static void remove_state_dir(const struct mgr_vm *vm)
{
    static const char *const files[] = {"config.json", "vmm.pid",       "serial.log",
                                        "vmm.log",     "instance.json", "status.json",
                                        "api.sock",    "vsock.sock",    NULL};
    char path[VM_PATH_MAX];

    for (const char *const *f = files; *f; f++) {
        vm_file(vm, *f, path, sizeof(path));
        unlink(path);
    }
    if (rmdir(vm->dir) != 0)
        LOG_WARN("%s: left %s behind: %s", vm->name, vm->dir, strerror(errno));
}

static void op_delete(struct mgr *m, struct mgr_vm *vm, struct mgr_reply *reply)
{
    if (!vm->instance) {
        mgr_reply_error(reply, 409,
                        "%s is defined in the system description; only instances "
                        "can be deleted",
                        vm->name);
    } else if (vm->state != MGR_VM_STOPPED && vm->state != MGR_VM_FAILED) {
        mgr_reply_error(reply, 409, "%s is %s; stop it before deleting it", vm->name,
                        mgr_state_name(vm->state));
    } else {
        LOG_INFO("%s: instance deleted", vm->name);
        remove_state_dir(vm);
        reply->status = 200;
        reply->body = json_pack("{s:s, s:b}", "name", vm->name, "deleted", 1);
        remove_vm(m, vm);
    }
}

static void op_start(struct mgr *m, struct mgr_vm *vm, struct mgr_reply *reply)
{
    char err[256];

    if (vm->state != MGR_VM_STOPPED && vm->state != MGR_VM_FAILED) {
        mgr_reply_error(reply, 409, "%s is %s; only a stopped or failed VM can be started",
                        vm->name, mgr_state_name(vm->state));
        return;
    }
    int r = start_vm(m, vm, err, sizeof(err));
    if (r == -STDVMM_ENOSPC)
        mgr_reply_error(reply, 409, "%s", err);
    else if (r != 0)
        mgr_reply_error(reply, 500, "%s", err);
    else
        reply_vm(m, reply, 202, vm);
}

static void op_stop(struct mgr *m, struct mgr_vm *vm, const struct mgr_stop_request *req,
                    bool restart, struct mgr_reply *reply)
{
    if (restart && (vm->state == MGR_VM_STOPPED || vm->state == MGR_VM_FAILED)) {
        op_start(m, vm, reply);
        return;
    }
    if (vm->state == MGR_VM_STOPPED || vm->state == MGR_VM_FAILED) {
        mgr_reply_error(reply, 409, "%s is %s already", vm->name, mgr_state_name(vm->state));
        return;
    }
    bool was_restarting = vm->state == MGR_VM_RESTARTING;
    stop_vm(vm, req->timeout, req->force);
    if (restart && was_restarting) {
        op_start(m, vm, reply);
        return;
    }
    vm->restart_after_stop = restart;
    reply_vm(m, reply, 202, vm);
}

static void op_pause(struct mgr_vm *vm, bool pause, struct mgr *m, struct mgr_reply *reply)
{
    char sock[VM_PATH_MAX], err[160];
    json_t *r = NULL;
    enum mgr_state from = pause ? MGR_VM_RUNNING : MGR_VM_PAUSED;

    if (vm->state != from) {
        mgr_reply_error(reply, 409, "%s is %s; only a %s VM can be %s", vm->name,
                        mgr_state_name(vm->state), mgr_state_name(from),
                        pause ? "paused" : "resumed");
        return;
    }
    vm_file(vm, "api.sock", sock, sizeof(sock));
    if (vm_client_call(sock, pause ? "pause" : "resume", VM_API_TIMEOUT_MS + 1000, &r, err,
                       sizeof(err)) != 0) {
        mgr_reply_error(reply, 502, "%s: the VMM did not answer: %s", vm->name, err);
        return;
    }
    if (!json_is_true(json_object_get(r, "ok"))) {
        const char *e = json_string_value(json_object_get(r, "error"));
        mgr_reply_error(reply, 409, "%s: the VMM refused: %s", vm->name, e ? e : "no reason");
    } else {
        vm->state = pause ? MGR_VM_PAUSED : MGR_VM_RUNNING;
        LOG_INFO("%s: %s", vm->name, pause ? "paused" : "resumed");
        reply_vm(m, reply, 200, vm);
    }
    json_decref(r);
}

/* The last `lines` lines of the serial log, read from at most its last MiB. */
static void op_serial(struct mgr_vm *vm, const char *lines_arg, struct mgr_reply *reply)
{
    unsigned lines;

    if (!mgr_parse_count(lines_arg, MGR_SERIAL_TAIL_DEFAULT, MGR_SERIAL_TAIL_MAX, &lines)) {
        mgr_reply_error(reply, 400, "lines: expected a number from 1 to %d", MGR_SERIAL_TAIL_MAX);
        return;
    }
    int fd = open(vm->cfg.serial_log, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) { /* never started: an empty log */
            reply->status = 200;
            reply->content_type = "text/plain; charset=utf-8";
            reply->text = strdup("");
            return;
        }
        mgr_reply_error(reply, 500, "%s: %s", vm->cfg.serial_log, strerror(errno));
        return;
    }
    struct stat st;
    off_t from = 0;
    if (fstat(fd, &st) == 0 && st.st_size > (off_t)MGR_SERIAL_READ_MAX)
        from = st.st_size - (off_t)MGR_SERIAL_READ_MAX;
    char *buf = malloc(MGR_SERIAL_READ_MAX + 1);
    ssize_t n = buf ? pread(fd, buf, MGR_SERIAL_READ_MAX, from) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        mgr_reply_error(reply, 500, "cannot read %s", vm->cfg.serial_log);
        return;
    }
    size_t start = (size_t)n, seen = 0;
    /* A trailing newline ends the last line rather than starting an empty one. */
    size_t end = (size_t)n;
    if (end > 0 && buf[end - 1] == '\n')
        end--;
    start = end;
    while (start > 0) {
        if (buf[start - 1] == '\n' && ++seen == lines)
            break;
        start--;
    }
    memmove(buf, buf + start, (size_t)n - start);
    reply->status = 200;
    reply->content_type = "text/plain; charset=utf-8";
    reply->text = buf;
    reply->text_len = (size_t)n - start;
}

void mgr_handle(struct mgr *m, const struct mgr_route *route, const char *body, size_t body_len,
                const char *query_lines, struct mgr_reply *reply)
{
    struct sysconf_diags diags = {0};
    struct mgr_vm *vm = NULL;

    memset(reply, 0, sizeof(*reply));
    if (route->op != MGR_OP_LIST && route->op != MGR_OP_CREATE && route->op != MGR_OP_SYSTEM &&
        route->op != MGR_OP_DEFINITIONS) {
        vm = find_vm(m, route->name);
        if (vm == NULL) {
            const struct sysconf_vm *def = find_definition(m, route->name);
            if (def != NULL && def->instances_max > 0)
                mgr_reply_error(reply, 404,
                                "'%s' is a definition, not a VM: create instances "
                                "of it (POST /v1/vms)",
                                route->name);
            else
                mgr_reply_error(reply, 404, "unknown VM '%s'", route->name);
            return;
        }
    }
    /* Operations without a body must not get one that says something. */
    bool takes_body =
        route->op == MGR_OP_CREATE || route->op == MGR_OP_STOP || route->op == MGR_OP_RESTART;
    if (!takes_body && mgr_parse_empty(body, body_len, &diags) != 0) {
        reply_diags(reply, &diags);
        sysconf_diags_free(&diags);
        return;
    }
    switch (route->op) {
    case MGR_OP_LIST: {
        json_t *arr = json_array();
        for (unsigned i = 0; i < m->vm_count; i++)
            json_array_append_new(arr, vm_json(m, m->vms[i], false));
        reply->status = 200;
        reply->body = json_pack("{s:o}", "vms", arr);
        break;
    }
    case MGR_OP_CREATE:
        op_create(m, body, body_len, reply);
        break;
    case MGR_OP_INFO:
        reply_vm(m, reply, 200, vm);
        break;
    case MGR_OP_DELETE:
        op_delete(m, vm, reply);
        break;
    case MGR_OP_START:
        op_start(m, vm, reply);
        break;
    case MGR_OP_STOP:
    case MGR_OP_RESTART: {
        struct mgr_body keep;
        struct mgr_stop_request req;
        if (mgr_parse_stop(body, body_len, &keep, &req, &diags) != 0) {
            reply_diags(reply, &diags);
            sysconf_diags_free(&diags);
            return;
        }
        mgr_body_free(&keep);
        op_stop(m, vm, &req, route->op == MGR_OP_RESTART, reply);
        break;
    }
    case MGR_OP_PAUSE:
        op_pause(vm, true, m, reply);
        break;
    case MGR_OP_RESUME:
        op_pause(vm, false, m, reply);
        break;
    case MGR_OP_SERIAL:
        op_serial(vm, query_lines, reply);
        break;
    case MGR_OP_SYSTEM:
        reply->status = 200;
        reply->body = system_json(m);
        break;
    case MGR_OP_DEFINITIONS:
        reply->status = 200;
        reply->body = json_pack("{s:o}", "definitions", definitions_json(m));
        break;
    }
    if (reply->body == NULL && reply->text == NULL)
        mgr_reply_error(reply, 500, "out of memory");
}

/* ---- opening, the loop, closing ---- */

static int claim_state_dir(struct mgr *m)
{
    char path[VM_PATH_MAX];
    struct sockaddr_un addr;

    if (strlen(m->state_dir) + strlen("/vms/") + SYSCONF_NAME_MAX + strlen("/api.sock") >=
        sizeof(addr.sun_path)) {
        LOG_ERR("--state-dir %s is too long: VM sockets below it would pass the %zu bytes a "
                "socket path may have",
                m->state_dir, sizeof(addr.sun_path) - 1);
        return -STDVMM_EINVAL;
    }
    snprintf(path, sizeof(path), "%s/vms", m->state_dir);
    if ((mkdir(m->state_dir, 0700) != 0 && errno != EEXIST) ||
        (mkdir(path, 0700) != 0 && errno != EEXIST)) {
        LOG_ERR("cannot create the state directory %s: %s", path, strerror(errno));
        return -STDVMM_EIO;
    }
    snprintf(path, sizeof(path), "%s/manager.lock", m->state_dir);
    m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m->lock_fd < 0 || flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char *other = mgr_read_file(path, 32, NULL);
        LOG_ERR("another stdvmmd (pid %s) manages %s", other && *other ? other : "?", m->state_dir);
        free(other);
        return -STDVMM_EBUSY;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
    if (ftruncate(m->lock_fd, 0) != 0 || pwrite(m->lock_fd, pid, (size_t)n, 0) != n)
        LOG_WARN("cannot write the manager's pid into %s", path);
    return 0;
}

static int setup_signals(struct mgr *m)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is a failed write, not a dead manager */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m->signal_fd < 0) {
        LOG_ERR("signalfd: %s", strerror(errno));
        return -STDVMM_EIO;
    }
    return 0;
}

/* Autostart belongs to the system's start: a restarted manager starts nothing by itself. */
static void autostart(struct mgr *m, bool fresh)
{
    char err[256];

    for (unsigned i = 0; i < m->vm_count; i++) {
        struct mgr_vm *vm = m->vms[i];
        if (!vm->cfg.autostart || vm->state != MGR_VM_STOPPED || (vm->has_status && !fresh))
            continue;
        if (start_vm(m, vm, err, sizeof(err)) != 0)
            LOG_ERR("%s: autostart failed: %s", vm->name, err);
    }
}

int mgr_open(const struct mgr_options *opts, struct mgr **out)
{
    struct sysconf_diags diags = {0};
    struct mgr *m = calloc(1, sizeof(*m));
    int r;

    if (m == NULL)
        return -STDVMM_ENOMEM;
    m->opts = *opts;
    m->lock_fd = m->signal_fd = -1;
    m->clock_ticks = sysconf(_SC_CLK_TCK);
    r = sysconf_load_system(opts->system_path, SYSCONF_CHECK_FILES, &m->cfg, &diags);
    if (r != 0) {
        sysconf_diags_print(&diags, opts->system_path, 2);
        LOG_ERR("%s is not a valid system description; nothing started", opts->system_path);
        sysconf_diags_free(&diags);
        free(m);
        return r;
    }
    if (realpath(opts->stdvmm, m->stdvmm) == NULL || access(m->stdvmm, X_OK) != 0) {
        LOG_ERR("--stdvmm %s: %s", opts->stdvmm, strerror(errno));
        mgr_close(m);
        return -STDVMM_ENOENT;
    }
    snprintf(m->state_dir, sizeof(m->state_dir), "%s", opts->state_dir);
    r = claim_state_dir(m);
    if (r == 0)
        r = setup_signals(m);
    if (r != 0) {
        mgr_close(m);
        return r;
    }
    for (unsigned i = 0; i < m->cfg.vm_count; i++) {
        if (m->cfg.vms[i].instances_max == 0 &&
            add_vm(m, m->cfg.vms[i].name, &m->cfg.vms[i], false, 0) == NULL) {
            mgr_close(m);
            return -STDVMM_ENOMEM;
        }
    }
    load_instances(m);
    bool fresh = fresh_boot(m);
    for (unsigned i = 0; i < m->vm_count; i++)
        recover(m, m->vms[i], fresh);
    if (!opts->no_autostart)
        autostart(m, fresh);
    r = mgr_http_open(m, opts->api_socket, &m->http);
    if (r != 0) {
        mgr_close(m);
        return r;
    }
    *out = m;
    return 0;
}

static void handle_signals(struct mgr *m)
{
    struct signalfd_siginfo si;

    while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            reap_children(m);
        } else if (si.ssi_signo == SIGHUP) {
            LOG_INFO("SIGHUP ignored: restart stdvmmd to read a changed description (VMs keep "
                     "running and are re-adopted)");
        } else {
            LOG_INFO("signal %u: the manager exits; the VMs keep running", si.ssi_signo);
            m->quit = true;
        }
    }
}

/* Adopted VMs: the watch line carries the status, the pidfd says the process is gone. */
static void handle_adopted(struct mgr *m, const struct pollfd *fds, const struct mgr_vm **who,
                           unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i].revents == 0)
            continue;
        struct mgr_vm *vm = find_vm(m, who[i]->name);
        if (vm == NULL || vm != who[i])
            continue;
        if (fds[i].fd == vm->watch_fd) {
            vm->watch_status = vm_client_watch_status(vm->watch_fd);
            close(vm->watch_fd);
            vm->watch_fd = -1;
        } else if (fds[i].fd == vm->pidfd) {
            vm_exited(m, vm, vm->watch_status);
        }
    }
}

int mgr_run(struct mgr *m)
{
    LOG_INFO("managing %u VMs (state in %s)", m->vm_count, m->state_dir);
    while (!m->quit) {
        unsigned n = 0, cap = 2 + 2 * m->vm_count;
        struct pollfd *fds = calloc(cap, sizeof(*fds));
        const struct mgr_vm **who = calloc(cap, sizeof(*who));
        if (fds == NULL || who == NULL) {
            free(fds);
            free(who);
            LOG_ERR("out of memory");
            return -STDVMM_ENOMEM;
        }
        fds[n++] = (struct pollfd){.fd = m->signal_fd, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = mgr_http_fd(m->http), .events = POLLIN};
        unsigned first_vm = n;
        for (unsigned i = 0; i < m->vm_count; i++) {
            const struct mgr_vm *vm = m->vms[i];
            if (vm->watch_fd >= 0) {
                who[n] = vm;
                fds[n++] = (struct pollfd){.fd = vm->watch_fd, .events = POLLIN};
            }
            if (vm->pidfd >= 0) {
                who[n] = vm;
                fds[n++] = (struct pollfd){.fd = vm->pidfd, .events = POLLIN};
            }
        }
        int t1 = mgr_http_timeout_ms(m->http), t2 = next_timeout_ms(m);
        int timeout = t1 < 0 ? t2 : (t2 < 0 || t1 < t2 ? t1 : t2);
        int r = poll(fds, n, timeout);
        if (r < 0 && errno != EINTR) {
            LOG_ERR("poll: %s", strerror(errno));
            free(fds);
            free(who);
            return -STDVMM_EIO;
        }
        if (r > 0 && fds[0].revents)
            handle_signals(m);
        if (r > 0)
            handle_adopted(m, fds + first_vm, who + first_vm, n - first_vm);
        free(fds);
        free(who);
        mgr_http_run(m->http);
        tick(m);
    }
    return 0;
}

void mgr_close(struct mgr *m)
{
    if (m == NULL)
        return;
    mgr_http_close(m->http);
    for (unsigned i = 0; i < m->vm_count; i++)
        free_vm(m->vms[i]);
    free(m->vms);
    if (m->signal_fd >= 0)
        close(m->signal_fd);
    if (m->lock_fd >= 0)
        close(m->lock_fd);
    sysconf_free(&m->cfg);
    free(m);
}
