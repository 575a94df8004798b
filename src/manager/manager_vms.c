/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's VM records (manager_vms.h).
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
#include "manager_vms.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manager_state.h"
#include "stdvmm/log.h"

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

bool mgr_state_holds_resources(enum mgr_state s)
{
    return s == MGR_VM_RUNNING || s == MGR_VM_PAUSED || s == MGR_VM_STOPPING ||
           s == MGR_VM_RESTARTING;
}

void mgr_vm_file(const struct mgr_vm *vm, const char *leaf, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", vm->dir, leaf);
}

void mgr_network_port_dir(const struct mgr *m, const struct mgr_vm *vm, char *out, size_t size)
{
    snprintf(out, size, "%s/sw/%s", m->state_dir, vm->name);
}

void mgr_network_port_socket(const struct mgr *m, const struct mgr_vm *vm, unsigned index,
                             char *out, size_t size)
{
    snprintf(out, size, "%s/sw/%s/%u.sock", m->state_dir, vm->name, index);
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

void mgr_save_status(const struct mgr_vm *vm)
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

void mgr_load_status(struct mgr_vm *vm)
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

/*
 * STATE/sw is the manager's alone; STATE/sw/VM only searchable by others,
 * so that the VM's jail uid (bound here, alone) reaches its sockets, which
 * manager_networks.c opens to it.
 */
static void make_port_dir(struct mgr *m, const struct mgr_vm *vm)
{
    char path[VM_PATH_MAX];
    snprintf(path, sizeof(path), "%s/sw", m->state_dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        LOG_WARN("%s: cannot create %s: %s", vm->name, path, strerror(errno));
    mgr_network_port_dir(m, vm, path, sizeof(path));
    if ((mkdir(path, 0711) != 0 && errno != EEXIST) || chmod(path, 0711) != 0)
        LOG_WARN("%s: cannot create %s: %s", vm->name, path, strerror(errno));
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
        for (unsigned i = 0; i < vm->cfg.disk_count; i++) {
            vm->cfg.disks[i].path = substitute(vm, def->disks[i].path);
            vm->cfg.disks[i].vhost_user = substitute(vm, def->disks[i].vhost_user);
        }
        for (unsigned i = 0; i < vm->cfg.fs_count; i++)
            vm->cfg.filesystems[i].socket = substitute(vm, def->filesystems[i].socket);
        for (unsigned i = 0; i < vm->cfg.net_count; i++) {
            vm->cfg.nets[i].tap = substitute(vm, def->nets[i].tap);
            vm->cfg.nets[i].vhost_user = substitute(vm, def->nets[i].vhost_user);
        }
        vm->cfg.serial_log = substitute(vm, def->serial_log);
        vm->cfg.vsock_socket = substitute(vm, def->vsock_socket);
        if (def->vsock_cid != 0)
            vm->cfg.vsock_cid = def->vsock_cid + slot - 1;
        for (unsigned i = 0; i < vm->cfg.net_count; i++) {
            for (unsigned f = 0; f < vm->cfg.nets[i].hostfwd_count; f++)
                vm->cfg.nets[i].hostfwds[f].host_port =
                    (uint16_t)(def->nets[i].hostfwds[f].host_port + slot - 1);
        }
    }
    if (vm->cfg.vsock_cid != 0 && vm->cfg.vsock_socket == NULL) {
        char path[VM_PATH_MAX];
        mgr_vm_file(vm, "vsock.sock", path, sizeof(path));
        vm->cfg.vsock_socket = sysconf_arena_strdup(&vm->arena, path);
    }
    /* A NIC on a network is a vhost-user port of that network's switch (manager_networks.c). */
    bool ports = false;
    for (unsigned i = 0; i < vm->cfg.net_count; i++) {
        char path[VM_PATH_MAX];
        if (vm->cfg.nets[i].network == NULL)
            continue;
        mgr_network_port_socket(m, vm, i, path, sizeof(path));
        vm->cfg.nets[i].vhost_user = sysconf_arena_strdup(&vm->arena, path);
        ports = true;
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
    if (ports)
        make_port_dir(m, vm);
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

void mgr_free_vms(struct mgr *m)
{
    for (unsigned i = 0; i < m->vm_count; i++)
        free_vm(m->vms[i]);
    free(m->vms);
    m->vms = NULL;
    m->vm_count = 0;
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
        if (!mgr_state_holds_resources(vm->state))
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
int mgr_fits(struct mgr *m, const char *name, uint64_t memory, unsigned cpus,
             struct stdvmm_error *err)
{
    struct mgr_usage used = mgr_usage_of(m);
    return mgr_bounds_fit(&m->cfg.system, &used, name, memory, cpus, err);
}

pid_t mgr_vmm_process(pid_t pid)
{
    char path[64], *end;
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    char *text = mgr_read_file(path, 64, NULL);
    long child = text != NULL ? strtol(text, &end, 10) : 0;
    bool one = text != NULL && child > 0 && strspn(end, " \n") == strlen(end);
    free(text);
    return one ? (pid_t)child : pid;
}

long mgr_host_tid(pid_t pid, long tid)
{
    pid_t vmm = mgr_vmm_process(pid);
    char path[64];
    struct dirent *e;
    long found = tid;

    if (vmm == pid)
        return tid; /* not jailed: one pid namespace */
    snprintf(path, sizeof(path), "/proc/%d/task", (int)vmm);
    DIR *d = opendir(path);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char status[128];
        if (e->d_name[0] == '.')
            continue;
        snprintf(status, sizeof(status), "/proc/%d/task/%.20s/status", (int)vmm, e->d_name);
        char *text = mgr_read_file(status, 8192, NULL);
        const char *ns = text != NULL ? strstr(text, "\nNSpid:") : NULL;
        long host = 0, inner = 0;
        /* "NSpid: HOST INNER": the thread's id here and in the jail's namespace. */
        if (ns != NULL && sscanf(ns + 7, "%ld %ld", &host, &inner) == 2 && inner == tid)
            found = host;
        free(text);
    }
    if (d != NULL)
        closedir(d);
    return found;
}
