/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The networks' switches (manager_networks.h). A switch is a child of the
 * manager in a session of its own, like a VMM: it outlives the manager, so
 * the VMs keep their network while no manager runs; a new manager replaces
 * it (the VMs' frontends reconnect within a second). Its sockets are ready
 * once its control socket exists, which it creates last.
 */
#include "manager_networks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manager_state.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/spelling.h"
#include "stdvmm/vswitch_status.h"

#define READY_MS 5000           /* a switch listens in milliseconds */
#define CONTROL_TIMEOUT_MS 1000 /* it answers from its poll loop at once */
#define BACKOFF_FIRST_MS 100    /* restart delays double from here ... */
#define BACKOFF_MAX_MS 10000    /* ... up to here */
#define BACKOFF_RESET_MS 60000  /* a switch that ran this long starts the backoff over */
#define MAX_ARGS (12 + 2 * SYSCONF_MAX_NETWORK_MEMBERS * SYSCONF_MAX_NETS)

static char *ask_status(const struct mgr_network *n, size_t *len, char *why, size_t why_size);

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The switch's arguments: a port per member NIC on the network, named after its VM. */
static unsigned port_args(struct mgr *m, const struct mgr_network *n, char **argv, unsigned argc,
                          char *store, size_t store_size)
{
    size_t used = 0;
    for (unsigned i = 0; i < m->vm_count; i++) {
        const struct mgr_vm *vm = m->vms[i];
        unsigned on = 0;
        for (unsigned k = 0; k < vm->cfg.net_count; k++)
            on += vm->cfg.nets[k].network != NULL &&
                  strcmp(vm->cfg.nets[k].network, n->def->name) == 0;
        for (unsigned k = 0; k < vm->cfg.net_count && argc + 2 < MAX_ARGS; k++) {
            const struct sysconf_net *net = &vm->cfg.nets[k];
            if (net->network == NULL || strcmp(net->network, n->def->name) != 0)
                continue;
            char sock[VM_PATH_MAX], name[VSWITCH_STATUS_NAME_MAX + 1];
            mgr_network_port_socket(m, vm, k, sock, sizeof(sock));
            /* Two NICs of one VM on one network: VM.K names each. */
            if (on > 1)
                snprintf(name, sizeof(name), "%s.%u", vm->name, k);
            else
                snprintf(name, sizeof(name), "%s", vm->name);
            int len =
                snprintf(store + used, store_size - used, "name=%s,socket=%s,networks=%s%s%s", name,
                         sock, n->def->name, net->mac ? ",mac=" : "", net->mac ? net->mac : "");
            if (len < 0 || (size_t)len >= store_size - used)
                return argc;
            argv[argc++] = "--port";
            argv[argc++] = store + used;
            used += (size_t)len + 1;
        }
    }
    return argc;
}

/*
 * The switch makes its sockets owner-only (root's, here). A jailed VMM
 * dials its port again, after a switch restart, as the jail's uid, which
 * only the manager knows the socket for: the socket opens to everyone, and
 * its directory, searchable only, sits in the manager's private state
 * directory; the VMM's jail binds just that directory (src/runtime/vmm.c).
 */
static void open_ports_to_jails(struct mgr *m, const struct mgr_network *n)
{
    for (unsigned i = 0; geteuid() == 0 && i < m->vm_count; i++) {
        const struct mgr_vm *vm = m->vms[i];
        for (unsigned k = 0; !vm->cfg.no_jail && k < vm->cfg.net_count; k++) {
            const struct sysconf_net *net = &vm->cfg.nets[k];
            if (net->network == NULL || strcmp(net->network, n->def->name) != 0)
                continue;
            char sock[VM_PATH_MAX];
            mgr_network_port_socket(m, vm, k, sock, sizeof(sock));
            if (chmod(sock, 0666) != 0)
                LOG_WARN("network %s: %s's jailed VMM will not reach its port %s again: %s",
                         n->def->name, vm->name, sock, strerror(errno));
        }
    }
}

/* A switch's command line, and how many ports it has. */
struct switch_args {
    char store[SYSCONF_MAX_NETWORK_MEMBERS * SYSCONF_MAX_NETS * 320];
    char jail[VM_PATH_MAX];
    char uplink[80];
    char *argv[MAX_ARGS + 1];
    unsigned argc, ports;
};

static void switch_args(struct mgr *m, const struct mgr_network *n, struct switch_args *a)
{
    char **argv = a->argv;
    unsigned argc = 0;
    argv[argc++] = "stdvmm-switch";
    argv[argc++] = "--control";
    argv[argc++] = (char *)n->control;
    argv[argc++] = "--log-level";
    argv[argc++] = "info";
    unsigned first_port = argc;
    argc = port_args(m, n, argv, argc, a->store, sizeof(a->store));
    a->ports = (argc - first_port) / 2;
    /* A root manager jails the switch as it jails VMMs (docs/security.md). */
    if (geteuid() == 0) {
        snprintf(a->jail, sizeof(a->jail), "%s/net-%s.root", m->state_dir, n->def->name);
        argv[argc++] = "--jail";
        argv[argc++] = a->jail;
    }
    if (n->def->uplink != NULL) {
        /* Port "tap.IFNAME": a VM name cannot hold the dot and the interface name by accident. */
        snprintf(a->uplink, sizeof(a->uplink), "name=tap.%s,tap=%s,networks=%s", n->def->uplink,
                 n->def->uplink, n->def->name);
        argv[argc++] = "--uplink";
        argv[argc++] = a->uplink;
    }
    argv[argc] = NULL;
    a->argc = argc;
}

/* Starts n's switch and waits until it listens. */
static int spawn_switch(struct mgr *m, struct mgr_network *n)
{
    struct switch_args *a = malloc(sizeof(*a));
    if (a == NULL)
        return -STDVMM_ENOMEM;
    switch_args(m, n, a);
    const char *bin = m->opts.vswitch ? m->opts.vswitch : "stdvmm-switch";
    int ret = 0;
    if (a->ports == 0) {
        LOG_INFO("network %s: no member has a NIC on it; no switch started", n->def->name);
        goto out;
    }
    unlink(n->control); /* its reappearance is the new switch's readiness */

    pid_t pid;
    int r = mgr_spawn(bin, a->argv, n->log, NULL, 0, &pid);
    if (r != 0) {
        LOG_ERR("network %s: cannot start %s: %s", n->def->name, bin, strerror(r));
        ret = -STDVMM_EIO;
        goto out;
    }
    n->pid = pid;
    n->started_ms = mgr_now_ms();
    char pidpath[VM_PATH_MAX];
    struct mgr_pidfile pf = {.pid = pid};
    bool zombie;
    snprintf(pidpath, sizeof(pidpath), "%s/net-%s.pid", m->state_dir, n->def->name);
    if (mgr_proc_start_time("/proc", pid, &pf.start_time, &zombie) != 0 ||
        mgr_pidfile_write(pidpath, &pf) != 0)
        LOG_WARN("network %s: cannot record the switch's pid in %s", n->def->name, pidpath);
    struct stat st;
    for (int waited = 0; waited < READY_MS; waited += 10) {
        if (stat(n->control, &st) == 0 && S_ISSOCK(st.st_mode)) {
            open_ports_to_jails(m, n);
            LOG_INFO("network %s: switch started, pid %d, %u ports", n->def->name, (int)pid,
                     a->ports);
            goto out;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            n->pid = 0;
            n->last_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            LOG_ERR("network %s: the switch exited at start (status %d; see %s)", n->def->name,
                    n->last_exit, n->log);
            ret = -STDVMM_EIO;
            goto out;
        }
        sleep_ms(10);
    }
    LOG_WARN("network %s: the switch (pid %d) did not listen within %d ms", n->def->name, (int)pid,
             READY_MS);
out:
    free(a);
    return ret;
}

/* Does pid run with exactly the command line a switch of n gets now? */
static bool same_command(struct mgr *m, const struct mgr_network *n, pid_t pid)
{
    char path[64];
    size_t len = 0, at = 0;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    char *cmd = mgr_read_file(path, 65536, &len);
    struct switch_args *a = malloc(sizeof(*a));
    bool same = cmd != NULL && a != NULL;
    if (same)
        switch_args(m, n, a);
    for (unsigned i = 0; same && i < a->argc; i++) {
        size_t l = strlen(a->argv[i]) + 1; /* with its NUL, as /proc has it */
        same = at + l <= len && memcmp(cmd + at, a->argv[i], l) == 0;
        at += l;
    }
    same = same && at == len;
    free(a);
    free(cmd);
    return same;
}

/*
 * A switch a previous manager started. The same command line (the same
 * ports, sockets, MACs, uplink and jail) and a status over its control
 * socket: it is adopted, so the VMs and the uplink see no outage. Else it
 * is stopped, and a new one is started: the VMs' frontends reconnect.
 */
static bool adopt_or_stop_old(struct mgr *m, struct mgr_network *n)
{
    char pidpath[VM_PATH_MAX], why[160];
    struct mgr_pidfile pf;
    uint64_t st;
    bool zombie;
    size_t len;

    snprintf(pidpath, sizeof(pidpath), "%s/net-%s.pid", m->state_dir, n->def->name);
    if (mgr_pidfile_read(pidpath, &pf) != 0)
        return false;
    /* The same start time: the pid was not reused by another process since. */
    if (mgr_proc_start_time("/proc", pf.pid, &st, &zombie) != 0 || st != pf.start_time || zombie) {
        unlink(pidpath);
        return false;
    }
    const char *reason = "its command line differs from the description's";
    if (same_command(m, n, pf.pid)) {
        char *text = ask_status(n, &len, why, sizeof(why));
        int fd = text != NULL ? (int)syscall(SYS_pidfd_open, pf.pid, 0) : -1;
        free(text);
        reason = text == NULL ? why : "no pidfd to watch it";
        if (fd >= 0) {
            n->pid = pf.pid;
            n->pidfd = fd;
            n->started_ms = mgr_now_ms();
            open_ports_to_jails(m, n); /* a VM may be jailed now that was not then */
            LOG_INFO("network %s: adopting the switch a previous manager left (pid %d)",
                     n->def->name, (int)pf.pid);
            return true;
        }
    }
    LOG_INFO("network %s: stopping the switch a previous manager left (pid %d): %s", n->def->name,
             (int)pf.pid, reason);
    kill(pf.pid, SIGTERM);
    for (int i = 0; i < 100 && kill(pf.pid, 0) == 0; i++)
        sleep_ms(10);
    unlink(pidpath);
    return false;
}

int mgr_networks_open(struct mgr *m)
{
    int first = 0;

    if (m->cfg.network_count == 0)
        return 0;
    m->networks = calloc(m->cfg.network_count, sizeof(*m->networks));
    if (m->networks == NULL)
        return -STDVMM_ENOMEM;
    m->network_count = m->cfg.network_count;
    for (unsigned i = 0; i < m->network_count; i++) {
        struct mgr_network *n = &m->networks[i];
        n->def = &m->cfg.networks[i];
        n->last_exit = -1;
        snprintf(n->control, sizeof(n->control), "%s/net-%s.sock", m->state_dir, n->def->name);
        snprintf(n->log, sizeof(n->log), "%s/net-%s.log", m->state_dir, n->def->name);
        n->pidfd = -1;
        if (adopt_or_stop_old(m, n))
            continue;
        int r = spawn_switch(m, n);
        if (r != 0 && first == 0)
            first = r;
    }
    return first;
}

bool mgr_networks_reaped(struct mgr *m, pid_t pid, int status)
{
    for (unsigned i = 0; i < m->network_count; i++) {
        struct mgr_network *n = &m->networks[i];
        if (n->pid != pid || pid <= 0)
            continue;
        int64_t now = mgr_now_ms();
        if (now - n->started_ms > BACKOFF_RESET_MS)
            n->backoff = 0;
        int64_t delay = (int64_t)BACKOFF_FIRST_MS << (n->backoff < 7 ? n->backoff : 7);
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
        n->backoff++;
        n->pid = 0;
        n->last_exit = status;
        n->deadline = now + delay;
        if (status < 0)
            LOG_WARN("network %s: the adopted switch ended (status unknown); restarting it in "
                     "%lld ms",
                     n->def->name, (long long)delay);
        else
            LOG_WARN("network %s: the switch exited (status %d); restarting it in %lld ms",
                     n->def->name, status, (long long)delay);
        return true;
    }
    return false;
}

unsigned mgr_networks_poll_fds(struct mgr *m, struct pollfd *fds)
{
    unsigned k = 0;
    for (unsigned i = 0; i < m->network_count; i++) {
        if (m->networks[i].pidfd >= 0)
            fds[k++] = (struct pollfd){.fd = m->networks[i].pidfd, .events = POLLIN};
    }
    return k;
}

void mgr_networks_polled(struct mgr *m, const struct pollfd *fds, unsigned count)
{
    for (unsigned k = 0; k < count; k++) {
        for (unsigned i = 0; fds[k].revents != 0 && i < m->network_count; i++) {
            struct mgr_network *n = &m->networks[i];
            if (n->pidfd != fds[k].fd)
                continue;
            /* Not the manager's child: its status is its parent's (gone) to know. */
            close(n->pidfd);
            n->pidfd = -1;
            mgr_networks_reaped(m, n->pid, -1);
        }
    }
}

void mgr_networks_close(struct mgr *m)
{
    for (unsigned i = 0; i < m->network_count; i++) {
        if (m->networks[i].pidfd >= 0)
            close(m->networks[i].pidfd);
    }
    free(m->networks); /* the switches keep running, as the VMs do */
    m->networks = NULL;
    m->network_count = 0;
}

void mgr_networks_tick(struct mgr *m)
{
    int64_t now = mgr_now_ms();
    for (unsigned i = 0; i < m->network_count; i++) {
        struct mgr_network *n = &m->networks[i];
        if (n->deadline == 0 || now < n->deadline)
            continue;
        n->deadline = 0;
        n->restarts++;
        /* One that fails at start is tried again after the longest delay. */
        if (spawn_switch(m, n) != 0 && n->pid == 0)
            n->deadline = mgr_now_ms() + BACKOFF_MAX_MS;
    }
}

int mgr_networks_next_timeout_ms(struct mgr *m)
{
    int64_t now = mgr_now_ms(), best = -1;
    for (unsigned i = 0; i < m->network_count; i++) {
        int64_t d = m->networks[i].deadline;
        if (d == 0)
            continue;
        int64_t t = d > now ? d - now : 0;
        if (best < 0 || t < best)
            best = t;
    }
    return best > INT32_MAX ? INT32_MAX : (int)best;
}

/* ---- status over the control socket ---- */

/* The switch's whole answer to "status\n" (malloc'd, NUL-terminated), or NULL with why. */
static char *ask_status(const struct mgr_network *n, size_t *len, char *why, size_t why_size)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* It fits: claim_state_dir keeps the state directory short enough for every socket. */
    memcpy(a.sun_path, n->control, strnlen(n->control, sizeof(a.sun_path) - 1));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        send(fd, "status\n", 7, MSG_NOSIGNAL) != 7) {
        snprintf(why, why_size, "cannot reach the switch at %s: %s", n->control, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    size_t cap = VSWITCH_STATUS_MAX_TEXT + 1, got = 0;
    char *buf = malloc(cap + 1);
    int64_t deadline = mgr_now_ms() + CONTROL_TIMEOUT_MS;
    while (buf != NULL && got < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - mgr_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(why, why_size, "the switch did not answer within %d ms", CONTROL_TIMEOUT_MS);
            goto fail;
        }
        ssize_t r = recv(fd, buf + got, cap - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, why_size, "reading from the switch: %s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (buf == NULL) {
        snprintf(why, why_size, "out of memory");
        goto fail;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

static struct mgr_network *find_network(struct mgr *m, const char *name)
{
    for (unsigned i = 0; i < m->network_count; i++) {
        if (strcmp(m->networks[i].def->name, name) == 0)
            return &m->networks[i];
    }
    return NULL;
}

static json_t *summary(const struct mgr_network *n)
{
    json_t *members = json_array();
    for (unsigned i = 0; i < n->def->member_count; i++)
        json_array_append_new(members, json_string(n->def->members[i]));
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:I, s:o, s:s?}", "name", n->def->name, "state",
                          n->pid > 0    ? "running"
                          : n->deadline ? "restarting"
                                        : "stopped",
                          "switch_pid", (json_int_t)n->pid, "adopted", n->pidfd >= 0, "restarts",
                          (json_int_t)n->restarts, "members", members, "uplink", n->def->uplink);
    if (o != NULL && n->last_exit >= 0)
        json_object_set_new(o, "last_exit", json_integer(n->last_exit));
    return o;
}

json_t *mgr_networks_json(struct mgr *m)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < m->network_count; i++)
        json_array_append_new(arr, summary(&m->networks[i]));
    return json_pack("{s:o}", "networks", arr);
}

static json_t *status_json(const struct vswitch_status *st)
{
    json_t *ports = json_array(), *table = json_array();
    for (unsigned i = 0; i < st->port_count; i++)
        json_array_append_new(ports, json_pack("{s:s, s:s, s:I}", "name", st->ports[i].name,
                                               "state", vswitch_port_state_name(st->ports[i].state),
                                               "rx_dropped", (json_int_t)st->ports[i].rx_dropped));
    for (unsigned i = 0; i < st->mac_count; i++) {
        char mac[SPELLING_MAC_LEN];
        spelling_format_mac(st->macs[i].mac.b, mac, sizeof(mac));
        json_array_append_new(table, json_pack("{s:s, s:s, s:s, s:I}", "mac", mac, "port",
                                               st->ports[st->macs[i].port].name, "type",
                                               st->macs[i].is_static ? "static" : "learned",
                                               "age_ms", (json_int_t)st->macs[i].age_ms));
    }
    json_t *counters =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "unicast", (json_int_t)st->unicast,
                  "flooded", (json_int_t)st->flooded, "drop_acl", (json_int_t)st->drop_acl,
                  "drop_spoofed", (json_int_t)st->drop_spoofed, "drop_no_dest",
                  (json_int_t)st->drop_no_dest, "drop_bad_src", (json_int_t)st->drop_bad_src,
                  "drop_runt", (json_int_t)st->drop_runt, "learned", (json_int_t)st->learned);
    return json_pack("{s:o, s:o, s:o}", "ports", ports, "mac_table", table, "counters", counters);
}

json_t *mgr_network_json(struct mgr *m, const char *name, int *status, char *err, size_t err_size)
{
    struct mgr_network *n = find_network(m, name);
    if (n == NULL) {
        *status = 404;
        snprintf(err, err_size, "unknown network '%.32s'", name);
        return NULL;
    }
    if (n->pid <= 0) {
        *status = 503;
        snprintf(err, err_size, "the switch of network %s is not running (%s)", n->def->name,
                 n->deadline ? "restarting" : "stopped");
        return NULL;
    }
    size_t len = 0;
    char *text = ask_status(n, &len, err, err_size);
    if (text == NULL) {
        *status = 502;
        return NULL;
    }
    struct vswitch_status *st = malloc(sizeof(*st));
    int r = st ? vswitch_status_parse(text, len, st) : -STDVMM_ENOMEM;
    free(text);
    if (r != 0) {
        free(st);
        *status = 502;
        snprintf(err, err_size, "the switch of network %s answered %s", n->def->name,
                 r == -STDVMM_ENOMEM ? "but the manager is out of memory"
                                     : "something that is not a status (protocol error)");
        return NULL;
    }
    json_t *o = summary(n), *detail = status_json(st);
    json_object_update(o, detail);
    json_decref(detail);
    free(st);
    *status = 200;
    return o;
}
