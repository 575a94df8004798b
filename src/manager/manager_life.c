/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The life cycle of the manager's VMs (manager_life.h): a VMM process per
 * running VM, started with posix_spawn in a session of its own, stopped by
 * the power button and then signals, restarted by policy with a backoff,
 * and adopted from a previous manager when it is still the one it started.
 */
#include "manager_life.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager_networks.h"
#include "manager_shared.h"
#include "manager_state.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"
#include "stdvmm/vmm.h"

#define TERM_GRACE_MS 5000     /* SIGTERM to SIGKILL */
#define BACKOFF_FIRST_MS 1000  /* restart delays double from here ... */
#define BACKOFF_MAX_MS 30000   /* ... up to here */
#define BACKOFF_RESET_MS 60000 /* a VM that ran this long starts the backoff over */
#define ADOPTED_POLL_MS 1000   /* liveness check where pidfd_open is missing */

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

static int spawn(struct mgr *m, struct mgr_vm *vm, struct stdvmm_error *err)
{
    char config[VM_PATH_MAX], sock[VM_PATH_MAX], log[VM_PATH_MAX], pidpath[VM_PATH_MAX];
    char jail[VM_PATH_MAX];
    pid_t pid;

    mgr_vm_file(vm, "config.json", config, sizeof(config));
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
    mgr_vm_file(vm, "vmm.log", log, sizeof(log));
    mgr_vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
    mgr_vm_file(vm, "root", jail, sizeof(jail));
    struct stdvmm_error why;
    if (host_check_private_dir(vm->dir, &why) < 0)
        return stdvmm_error_set(err, STDVMM_EPERM, "refusing the VM's state directory: %s",
                                why.msg);
    char *json = sysconf_vm_to_json(&vm->cfg);
    if (json == NULL || mgr_write_file(config, json) != 0) {
        free(json);
        return stdvmm_error_set(err, STDVMM_EIO, "cannot write %s", config);
    }
    free(json);

    /*
     * A root manager jails every VMM (docs/security.md): its own root (the
     * VM's directory's root/, empty on the host), uid, cgroup, namespaces.
     */
    /* stdvmm run --config ... [--jail DIR] [--shared-region ...]... NULL */
    char *argv[10 + 2 * SYSCONF_MAX_SHARED + 1] = {"stdvmm",       "run", "--config",    config,
                                                   "--api-socket", sock,  "--log-level", "info"};
    unsigned argc = 8;
    if (geteuid() == 0 && !vm->cfg.no_jail) {
        argv[argc++] = "--jail";
        argv[argc++] = jail;
    }
    /* The regions it is a member of: their memory and doorbells as inherited descriptors. */
    struct mgr_shared_spawn shared;
    int r = mgr_shared_spawn(m, vm, &shared, err);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < shared.arg_count; i++) {
        argv[argc++] = "--shared-region";
        argv[argc++] = shared.args[i];
    }
    argv[argc] = NULL;
    r = mgr_spawn(m->stdvmm, argv, log, shared.fds, shared.fd_count, &pid);
    mgr_shared_spawn_done(&shared);
    if (r != 0)
        return stdvmm_error_set(err, STDVMM_EIO, "cannot start %.200s: %s", m->stdvmm, strerror(r));
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
    mgr_save_status(vm);
    LOG_INFO("%s: started, pid %d", vm->name, (int)pid);
    return 0;
}

/* A start the API or autostart asked for: checks bounds, resets the restart count. */
int mgr_start_vm(struct mgr *m, struct mgr_vm *vm, struct stdvmm_error *err)
{
    int r = mgr_fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, err);
    if (r < 0)
        return r;
    vm->restarts = 0;
    vm->backoff = 0;
    return spawn(m, vm, err);
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
    char sock[VM_PATH_MAX];
    struct stdvmm_error err;
    json_t *reply = NULL;

    vm->stop_requested = true;
    if (vm->state == MGR_VM_RESTARTING) {
        /* No process: the pending restart is simply cancelled. */
        vm->state = MGR_VM_STOPPED;
        vm->deadline = 0;
        mgr_save_status(vm);
        return;
    }
    if (vm->state == MGR_VM_STOPPING && !force)
        return; /* already on its way; a second graceful request changes nothing */
    vm->state = MGR_VM_STOPPING;
    mgr_save_status(vm);
    if (!force) {
        mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
        int r = vm_client_call(sock, "shutdown", VM_API_TIMEOUT_MS, &reply, &err);
        bool ok = r == 0 && json_is_true(json_object_get(reply, "ok"));
        if (r == 0 && !ok)
            snprintf(err.msg, sizeof(err.msg), "%s",
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
            LOG_WARN("%s: no graceful shutdown (%s); stopping the VMM", vm->name, err.msg);
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
    /* On SIGSYS, the VMM's own last line in vmm.log names the forbidden call. */
    if (status > 128)
        snprintf(buf, size, "killed by signal %d%s", status - 128,
                 status - 128 == SIGSYS ? " (SIGSYS: a system call its seccomp filter forbids; "
                                          "vmm.log names it)"
                                        : "");
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

void mgr_vm_exited(struct mgr *m, struct mgr_vm *vm, int status)
{
    char buf[128]; /* the SIGSYS reason is 104 bytes */
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
            struct stdvmm_error err;
            if (mgr_start_vm(m, vm, &err) != 0) {
                LOG_ERR("%s: cannot start again: %s", vm->name, err.msg);
                vm->state = MGR_VM_FAILED;
                snprintf(vm->last_reason, sizeof(vm->last_reason), "restart failed: %.80s",
                         err.msg);
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
    mgr_save_status(vm);
}

static void restart_now(struct mgr *m, struct mgr_vm *vm)
{
    struct stdvmm_error err;

    vm->deadline = 0;
    /* Its share stays reserved while it waits, so only a changed system can refuse it. */
    vm->state = MGR_VM_STOPPED;
    if (mgr_fits(m, vm->name, vm->cfg.memory, vm->cfg.cpus, &err) < 0 || spawn(m, vm, &err) != 0) {
        LOG_ERR("%s: restart failed: %s", vm->name, err.msg);
        vm->state = MGR_VM_FAILED;
        snprintf(vm->last_reason, sizeof(vm->last_reason), "restart failed: %.80s", err.msg);
        mgr_save_status(vm);
        return;
    }
    vm->restarts++;
    mgr_save_status(vm);
}

void mgr_reap_children(struct mgr *m)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (mgr_networks_reaped(m, pid, code))
            continue;
        for (unsigned i = 0; i < m->vm_count; i++) {
            if (m->vms[i]->child && m->vms[i]->pid == pid) {
                mgr_vm_exited(m, m->vms[i], code);
                break;
            }
        }
    }
}

void mgr_tick(struct mgr *m)
{
    int64_t now = mgr_now_ms();

    for (unsigned i = 0; i < m->vm_count; i++) {
        struct mgr_vm *vm = m->vms[i];
        if (vm->pid > 0 && !vm->child && vm->pidfd < 0) {
            uint64_t st;
            bool zombie;
            if (mgr_proc_start_time("/proc", vm->pid, &st, &zombie) != 0 || st != vm->start_time ||
                zombie) {
                mgr_vm_exited(m, vm, vm->watch_status);
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

int mgr_next_timeout_ms(struct mgr *m)
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
    char pidpath[VM_PATH_MAX], sock[VM_PATH_MAX];
    struct stdvmm_error why;
    struct mgr_pidfile pf;

    mgr_vm_file(vm, "vmm.pid", pidpath, sizeof(pidpath));
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
    if (mgr_pidfile_read(pidpath, &pf) != 0)
        return false;
    if (mgr_adopt_check("/proc", &pf, m->stdvmm, sock, &why) != 0) {
        LOG_INFO("%s: not adopting pid %d: %s", vm->name, (int)pf.pid, why.msg);
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
    struct stdvmm_error verr;
    vm->watch_fd = vm_client_watch(sock, VM_API_TIMEOUT_MS, &verr);
    if (vm->watch_fd < 0)
        LOG_WARN("%s: cannot watch the VMM (%s); its exit status will be unknown", vm->name,
                 verr.msg);
    json_t *info = NULL;
    if (vm_client_call(sock, "info", VM_API_TIMEOUT_MS, &info, &verr) == 0) {
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
void mgr_recover(struct mgr *m, struct mgr_vm *vm, bool fresh_boot)
{
    mgr_load_status(vm);
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
        mgr_vm_exited(m, vm, -1);
    }
}
