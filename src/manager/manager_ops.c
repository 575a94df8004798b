/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's API operations (docs/api/openapi.yaml): each request,
 * already routed and bounded in size, becomes a change of the VMs' life
 * cycle (manager_life.c) and a JSON reply; placement changes are
 * manager_placement.c's. Everything here runs on the manager's one thread
 * and returns promptly.
 */
#include "manager_ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager_life.h"
#include "manager_networks.h"
#include "manager_placement.h"
#include "manager_reply.h"
#include "manager_request.h"
#include "manager_state.h"
#include "manager_vms.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/spelling.h"

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
        json_array_append_new(disks, json_pack("{s:s?, s:s*, s:b}", "path", vm->cfg.disks[i].path,
                                               "vhost_user", vm->cfg.disks[i].vhost_user,
                                               "read_only", vm->cfg.disks[i].read_only));
    for (unsigned i = 0; i < vm->cfg.net_count; i++) {
        const struct sysconf_net *n = &vm->cfg.nets[i];
        json_t *fwds = json_array();
        for (unsigned f = 0; f < n->hostfwd_count; f++)
            json_array_append_new(fwds, json_pack("{s:i, s:i}", "host", n->hostfwds[f].host_port,
                                                  "guest", n->hostfwds[f].guest_port));
        const char *kind = n->tap ? "tap" : n->vhost_user ? "vhost-user" : "user";
        json_array_append_new(nets, json_pack("{s:s, s:s?, s:s*, s:s?, s:o}", "backend", kind,
                                              "tap", n->tap, "vhost_user", n->vhost_user, "mac",
                                              n->mac, "hostfwd", fwds));
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
        pid_t vmm = mgr_vmm_process(vm->pid);
        json_object_set_new(o, "vcpu_threads", vcpu_threads(vmm));
        json_object_set_new(o, "vmm_rss", json_integer((json_int_t)rss_kib(vmm) * 1024));
        json_object_set_new(o, "adopted", json_boolean(!vm->child));
    }
    return o;
}

static json_t *system_json(struct mgr *m)
{
    const struct sysconf_system *s = &m->cfg.system;
    struct mgr_usage u = mgr_usage_of(m);
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
                           (json_int_t)mgr_instance_count(m, d), "autostart", d->autostart));
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
    char name[SYSCONF_NAME_MAX + 16], path[PATH_MAX];
    struct stdvmm_error err;

    if (mgr_parse_create(body, len, &keep, &req, &diags) != 0) {
        mgr_reply_diags(reply, &diags);
        sysconf_diags_free(&diags);
        return;
    }
    const struct sysconf_vm *def = mgr_find_definition(m, req.definition);
    if (def == NULL) {
        mgr_reply_error(reply, 404, "no definition '%s' in the system description", req.definition);
    } else if (def->instances_max == 0) {
        mgr_reply_error(reply, 409,
                        "'%s' is a single VM, not a definition with instances "
                        "(instances.max); start it instead",
                        def->name);
    } else if (mgr_instance_count(m, def) >= def->instances_max) {
        mgr_reply_error(reply, 409, "%s: instances.max %u reached; delete an instance first",
                        def->name, def->instances_max);
    } else if (req.memory != 0 && def->memory_map_count != 0 && req.memory != def->memory) {
        mgr_reply_error(reply, 409,
                        "%s places its RAM with a memory_map: an instance cannot have another "
                        "memory size",
                        def->name);
    } else if (req.memory > m->cfg.system.memory || req.cpus > m->cfg.system.vcpus) {
        char a[32], b[32];
        spelling_format_size(req.memory, a, sizeof(a));
        spelling_format_size(m->cfg.system.memory, b, sizeof(b));
        if (req.memory > m->cfg.system.memory)
            mgr_reply_error(reply, 409, "memory %s exceeds system.memory %s", a, b);
        else
            mgr_reply_error(reply, 409, "cpus %u exceeds system.vcpus %u", req.cpus,
                            m->cfg.system.vcpus);
    } else {
        unsigned slot = 1;
        while (mgr_slot_taken(m, def, slot))
            slot++;
        if (req.name != NULL)
            snprintf(name, sizeof(name), "%s", req.name);
        else
            snprintf(name, sizeof(name), "%s-%u", def->name, slot);
        uint64_t memory = req.memory ? req.memory : def->memory;
        unsigned cpus = req.cpus ? req.cpus : def->cpus;
        if (!sysconf_valid_name(name)) {
            mgr_reply_error(reply, 400, "name: '%s' is not a valid VM name", name);
        } else if (mgr_find_vm(m, name) != NULL || mgr_find_definition(m, name) != NULL) {
            mgr_reply_error(reply, 409, "duplicate name: a VM called '%s' exists already", name);
        } else if (req.start && mgr_fits(m, name, memory, cpus, &err) < 0) {
            mgr_reply_from_error(reply, &err);
        } else {
            struct mgr_vm *vm = mgr_add_vm(m, name, def, true, slot);
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
                mgr_vm_file(vm, "instance.json", path, sizeof(path));
                if (text == NULL || mgr_write_file(path, text) != 0) {
                    mgr_reply_error(reply, 500, "cannot record the instance in %s", path);
                    mgr_remove_vm(m, vm);
                } else if (req.start && mgr_start_vm(m, vm, &err) != 0) {
                    /* Created but not running: say so, and keep it (it can be deleted). */
                    mgr_reply_error(reply, 500, "created %s, but it did not start: %s", name,
                                    err.msg);
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
        mgr_vm_file(vm, *f, path, sizeof(path));
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
        mgr_remove_vm(m, vm);
    }
}

static void op_start(struct mgr *m, struct mgr_vm *vm, struct mgr_reply *reply)
{
    struct stdvmm_error err;

    if (vm->state != MGR_VM_STOPPED && vm->state != MGR_VM_FAILED) {
        mgr_reply_error(reply, 409, "%s is %s; only a stopped or failed VM can be started",
                        vm->name, mgr_state_name(vm->state));
        return;
    }
    /* Over the system's bounds (ENOSPC) 409; a start that failed (EPERM, EIO) 500. */
    if (mgr_start_vm(m, vm, &err) != 0)
        mgr_reply_from_error(reply, &err);
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
    mgr_stop_vm(vm, req->timeout, req->force);
    if (restart && was_restarting) {
        op_start(m, vm, reply);
        return;
    }
    vm->restart_after_stop = restart;
    reply_vm(m, reply, 202, vm);
}

static void op_pause(struct mgr_vm *vm, bool pause, struct mgr *m, struct mgr_reply *reply)
{
    char sock[VM_PATH_MAX];
    struct stdvmm_error verr;
    json_t *r = NULL;
    enum mgr_state from = pause ? MGR_VM_RUNNING : MGR_VM_PAUSED;

    if (vm->state != from) {
        mgr_reply_error(reply, 409, "%s is %s; only a %s VM can be %s", vm->name,
                        mgr_state_name(vm->state), mgr_state_name(from),
                        pause ? "paused" : "resumed");
        return;
    }
    mgr_vm_file(vm, "api.sock", sock, sizeof(sock));
    if (vm_client_call(sock, pause ? "pause" : "resume", VM_API_TIMEOUT_MS + 1000, &r, &verr) !=
        0) {
        mgr_reply_error(reply, 502, "%s: the VMM did not answer: %s", vm->name, verr.msg);
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
    /*
     * O_NONBLOCK and the regular-file test: the manager has one thread, and
     * a FIFO or terminal named as the log must not hang it in open or read.
     */
    int fd = open(vm->cfg.serial_log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        mgr_reply_error(reply, 409, "%s is not a regular file; the manager reads only files",
                        vm->cfg.serial_log);
        return;
    }
    if (st.st_size > (off_t)MGR_SERIAL_READ_MAX)
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
        route->op != MGR_OP_DEFINITIONS && route->op != MGR_OP_NETWORKS &&
        route->op != MGR_OP_NETWORK) {
        vm = mgr_find_vm(m, route->name);
        if (vm == NULL) {
            const struct sysconf_vm *def = mgr_find_definition(m, route->name);
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
    bool takes_body = route->op == MGR_OP_CREATE || route->op == MGR_OP_STOP ||
                      route->op == MGR_OP_RESTART || route->op == MGR_OP_VCPU_PLACEMENT;
    if (!takes_body && mgr_parse_empty(body, body_len, &diags) != 0) {
        mgr_reply_diags(reply, &diags);
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
            mgr_reply_diags(reply, &diags);
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
    case MGR_OP_PLACEMENT:
        mgr_op_placement_get(vm, reply);
        break;
    case MGR_OP_VCPU_PLACEMENT:
        mgr_op_placement_put(m, vm, route->vcpu, body, body_len, reply);
        break;
    case MGR_OP_NETWORKS:
        reply->status = 200;
        reply->body = mgr_networks_json(m);
        break;
    case MGR_OP_NETWORK: {
        char err[300];
        int status = 500;
        reply->body = mgr_network_json(m, route->name, &status, err, sizeof(err));
        if (reply->body == NULL) {
            mgr_reply_error(reply, status, "%s", err);
            return;
        }
        reply->status = 200;
        break;
    }
    }
    if (reply->body == NULL && reply->text == NULL)
        mgr_reply_error(reply, 500, "out of memory");
}
