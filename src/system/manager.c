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

#include "manager_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vmm.h"

#define TERM_GRACE_MS 5000     /* SIGTERM to SIGKILL */
#define BACKOFF_FIRST_MS 1000  /* restart delays double from here ... */
#define BACKOFF_MAX_MS 30000   /* ... up to here */
#define BACKOFF_RESET_MS 60000 /* a VM that ran this long starts the backoff over */
#define ADOPTED_POLL_MS 1000   /* liveness check where pidfd_open is missing */

int64_t mgr_now_ms(void)
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

void mgr_vm_file(const struct mgr_vm *vm, const char *leaf, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", vm->dir, leaf);
}

struct mgr_vm *mgr_find_vm(struct mgr *m, const char *name)
{
    for (unsigned i = 0; i < m->vm_count; i++) {
        if (strcmp(m->vms[i]->name, name) == 0)
            return m->vms[i];
    }
    return NULL;
}

const struct sysconf_vm *mgr_find_definition(struct mgr *m, const char *name)
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

    mgr_vm_file(vm, "status.json", path, sizeof(path));
    if (text == NULL || mgr_write_file(path, text) != 0)
        LOG_WARN("%s: cannot record its status in %s", vm->name, path);
    free(text);
    json_decref(o);
}

static void load_status(struct mgr_vm *vm)
{
    char path[VM_PATH_MAX];

    mgr_vm_file(vm, "status.json", path, sizeof(path));
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

struct mgr_vm *mgr_add_vm(struct mgr *m, const char *name, const struct sysconf_vm *def,
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
        mgr_vm_file(vm, "vsock.sock", path, sizeof(path));
        vm->cfg.vsock_socket = sysconf_arena_strdup(&vm->arena, path);
    }
    if (vm->cfg.serial_log == NULL) {
        char path[VM_PATH_MAX];
        mgr_vm_file(vm, "serial.log", path, sizeof(path));
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
    free(vm->live);
    free(vm);
}

void mgr_remove_vm(struct mgr *m, struct mgr_vm *vm)
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

unsigned mgr_instance_count(struct mgr *m, const struct sysconf_vm *def)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->vm_count; i++)
        n += m->vms[i]->instance && m->vms[i]->def == def;
    return n;
}

bool mgr_slot_taken(struct mgr *m, const struct sysconf_vm *def, unsigned slot)
{
    for (unsigned i = 0; i < m->vm_count; i++) {
        if (m->vms[i]->instance && m->vms[i]->def == def && m->vms[i]->slot == slot)
            return true;
    }
    return false;
}

/* ---- bounds ---- */

struct mgr_usage mgr_usage_of(struct mgr *m)
{
    struct mgr_usage u = {0};
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
bool mgr_fits(struct mgr *m, const char *name, uint64_t memory, unsigned cpus, char *err,
              size_t size)
{
    struct mgr_usage used = mgr_usage_of(m);
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
    mgr_vm_file(vm, "vmm.pid", path, sizeof(path));
    unlink(path);
}

static int spawn(struct mgr *m, struct mgr_vm *vm, char *err, size_t err_size)
{
    char config[VM_PATH_MAX], sock[VM_PATH_MAX], log[VM_PATH_MAX], pidpath[VM_PATH_MAX];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    pid_t pid;

    mgr_vm_file(vm, "config.json", config, sizeof(config));
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
    mgr_vm_file(vm, "vmm.log", log, sizeof(log));
    mgr_vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
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
    vm->started_ms = mgr_now_ms();
    vm->starts++;
    save_status(vm);
    LOG_INFO("%s: started, pid %d", vm->name, (int)pid);
    return 0;
}

/* A start the API or autostart asked for: checks bounds, resets the restart count. */
int mgr_start_vm(struct mgr *m, struct mgr_vm *vm, char *err, size_t err_size)
{
    if (!mgr_fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, err, err_size))
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

void mgr_stop_vm(struct mgr_vm *vm, unsigned timeout_s, bool force)
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
        mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
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
            vm->deadline = mgr_now_ms() + (int64_t)timeout_s * 1000;
            return;
        }
        if (!ok)
            LOG_WARN("%s: no graceful shutdown (%s); stopping the VMM", vm->name, err);
    }
    send_signal(vm, SIGTERM);
    vm->stop_phase = STOP_TERM;
    vm->deadline = mgr_now_ms() + TERM_GRACE_MS;
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
    int64_t ran = mgr_now_ms() - vm->started_ms;
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
            if (mgr_start_vm(m, vm, err, sizeof(err)) != 0) {
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
        vm->deadline = mgr_now_ms() + delay;
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
    if (!mgr_fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, err, sizeof(err)) ||
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
    int64_t now = mgr_now_ms();

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
    int64_t now = mgr_now_ms(), best = -1;

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

    mgr_vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
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
    vm->started_ms = mgr_now_ms();
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
        vm->started_ms = mgr_now_ms();
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
        if (!sysconf_valid_name(e->d_name) || mgr_find_vm(m, e->d_name) != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s/instance.json", dir, e->d_name);
        char *text = mgr_read_file(path, 4096, NULL);
        json_t *o = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (o == NULL)
            continue;
        const char *defname = json_string_value(json_object_get(o, "definition"));
        json_int_t slot = json_integer_value(json_object_get(o, "slot"));
        const struct sysconf_vm *def = defname ? mgr_find_definition(m, defname) : NULL;
        if (def == NULL || def->instances_max == 0 || slot < 1 ||
            slot > (json_int_t)def->instances_max || mgr_slot_taken(m, def, (unsigned)slot)) {
            LOG_WARN("%s: instance of '%s' that the description no longer allows; left alone",
                     e->d_name, defname ? defname : "?");
            json_decref(o);
            continue;
        }
        struct mgr_vm *vm = mgr_add_vm(m, e->d_name, def, true, (unsigned)slot);
        json_t *v;
        if (vm != NULL && (v = json_object_get(o, "memory")) && json_is_integer(v))
            vm->cfg.memory = (uint64_t)json_integer_value(v);
        if (vm != NULL && (v = json_object_get(o, "cpus")) && json_is_integer(v))
            vm->cfg.cpus = (unsigned)json_integer_value(v);
        json_decref(o);
    }
    closedir(d);
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
        if (mgr_start_vm(m, vm, err, sizeof(err)) != 0)
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
            mgr_add_vm(m, m->cfg.vms[i].name, &m->cfg.vms[i], false, 0) == NULL) {
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
        struct mgr_vm *vm = mgr_find_vm(m, who[i]->name);
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
