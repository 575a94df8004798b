/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager (stdvmm/manager.h): opening it (the description, the state
 * directory, adoption, autostart) and its one poll loop. Below it:
 *
 *   manager_http.c       HTTP on the API socket (libmicrohttpd), calls
 *   manager_ops.c        the API operations, which change
 *   manager_placement.c  (run-time placement: checked, then asked of the VMM)
 *   manager_reply.c      (error replies)
 *   manager_life.c       the VMs' life cycle: spawn, stop, exits, restarts, adoption
 *   manager_networks.c   the networks' switches: spawn, restart, status over their control sockets
 *   manager_shared.c     the shared regions' memory and doorbells, handed to their members' VMMs
 *   manager_vms.c        the VM records, their status files, resource usage
 *   manager_request.c    API paths and bodies, bounds checks (pure; fuzzed)
 *   manager_state.c      state directory files, pid files, adoption checks
 *
 * Each file uses only those listed below it (tools/check-include-cycles.sh).
 * The VMMs are reached through their control sockets (src/control).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "manager_http.h"
#include "manager_life.h"
#include "manager_networks.h"
#include "manager_shared.h"
#include "manager_state.h"
#include "manager_vms.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"
#include "stdvmm/manager.h"

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
    /*
     * mkdir() leaves an existing directory, or a symlink, as it is: whoever
     * can write in it could plant links where the manager writes its files
     * and sockets, so it must be ours and closed to others.
     */
    struct stdvmm_error why;
    int r = host_check_private_dir(m->state_dir, &why);
    if (r == 0)
        r = host_check_private_dir(path, &why);
    if (r < 0) {
        LOG_ERR("refusing the state directory: %s", why.msg);
        return r;
    }
    snprintf(path, sizeof(path), "%s/manager.lock", m->state_dir);
    m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
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
    struct stdvmm_error err;

    for (unsigned i = 0; i < m->vm_count; i++) {
        struct mgr_vm *vm = m->vms[i];
        if (!vm->cfg.autostart || vm->state != MGR_VM_STOPPED || (vm->has_status && !fresh))
            continue;
        if (mgr_start_vm(m, vm, &err) != 0)
            LOG_ERR("%s: autostart failed: %s", vm->name, err.msg);
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
    /* Before any VM starts: a VM's NIC on a network connects to its switch's port at start. */
    r = mgr_networks_open(m);
    if (r == 0)
        r = mgr_shared_open(m);
    if (r != 0) {
        mgr_close(m);
        return r;
    }
    bool fresh = fresh_boot(m);
    for (unsigned i = 0; i < m->vm_count; i++)
        mgr_recover(m, m->vms[i], fresh);
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
            mgr_reap_children(m);
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
            mgr_vm_exited(m, vm, vm->watch_status);
        }
    }
}

int mgr_run(struct mgr *m)
{
    LOG_INFO("managing %u VMs (state in %s)", m->vm_count, m->state_dir);
    while (!m->quit) {
        unsigned n = 0, cap = 2 + 2 * m->vm_count + m->network_count;
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
        unsigned first_net = n;
        n += mgr_networks_poll_fds(m, fds + n);
        int t1 = mgr_http_timeout_ms(m->http), t2 = mgr_next_timeout_ms(m);
        int t3 = mgr_networks_next_timeout_ms(m);
        int timeout = t1 < 0 ? t2 : (t2 < 0 || t1 < t2 ? t1 : t2);
        timeout = timeout < 0 ? t3 : (t3 < 0 || timeout < t3 ? timeout : t3);
        int r = poll(fds, n, timeout);
        if (r < 0 && errno != EINTR) {
            LOG_ERR("poll: %s", strerror(errno));
            free(fds);
            free(who);
            return -STDVMM_EIO;
        }
        if (r > 0 && fds[0].revents)
            handle_signals(m);
        if (r > 0) {
            handle_adopted(m, fds + first_vm, who + first_vm, first_net - first_vm);
            mgr_networks_polled(m, fds + first_net, n - first_net);
        }
        free(fds);
        free(who);
        mgr_http_run(m->http);
        mgr_tick(m);
        mgr_networks_tick(m);
    }
    return 0;
}

void mgr_close(struct mgr *m)
{
    if (m == NULL)
        return;
    mgr_http_close(m->http);
    mgr_free_vms(m);
    mgr_networks_close(m);
    mgr_shared_close(m);
    if (m->signal_fd >= 0)
        close(m->signal_fd);
    if (m->lock_fd >= 0)
        close(m->lock_fd);
    sysconf_free(&m->cfg);
    free(m);
}
