/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rules across fields and VMs of a description (sysconf_rules.h).
 */
#include "sysconf_rules.h"

#include <stdio.h>
#include <string.h>

#include "sysconf_util.h"
#include "stdvmm/spelling.h"

static void vm_path(char *out, unsigned i, const char *field)
{
    char item[SYSCONF_PATH_MAX];

    sysconf_path_index(item, "vms", i);
    if (field != NULL)
        sysconf_path_key(out, item, field);
    else
        memcpy(out, item, sizeof(item));
}

/* An interrupt owner (irq_vcpu) must be one of the VM's vCPUs. */
static void check_irq_owner(struct sysconf_walk *w, unsigned i, const char *field,
                            const struct vmm_irq_owner *o, unsigned cpus)
{
    char p[SYSCONF_PATH_MAX];

    if (!o->set || o->vcpu < cpus)
        return;
    vm_path(p, i, field);
    sysconf_walk_error(w, p, "vCPU %u does not exist: the VM has vCPUs 0 to %u", o->vcpu,
                       cpus - 1);
}

static void check_bounds(struct sysconf_walk *w, const struct sysconf *cfg, unsigned i)
{
    const struct sysconf_system *s = &cfg->system;
    const struct sysconf_vm *vm = &cfg->vms[i];
    char p[SYSCONF_PATH_MAX], a[32], b[32], c[128], d[128];

    if (vm->memory > s->memory) {
        vm_path(p, i, "memory");
        spelling_format_size(vm->memory, a, sizeof(a));
        spelling_format_size(s->memory, b, sizeof(b));
        sysconf_walk_error(w, p, "%s exceeds system.memory %s", a, b);
    }
    if (vm->cpus > s->vcpus) {
        vm_path(p, i, "cpus");
        sysconf_walk_error(w, p, "%u exceeds system.vcpus %u", vm->cpus, s->vcpus);
    }
    for (unsigned k = 0; k < vm->disk_count; k++) {
        snprintf(c, sizeof(c), "disks[%u].irq_vcpu", k);
        check_irq_owner(w, i, c, &vm->disks[k].irq, vm->cpus);
    }
    for (unsigned k = 0; k < vm->net_count; k++) {
        snprintf(c, sizeof(c), "nets[%u].irq_vcpu", k);
        check_irq_owner(w, i, c, &vm->nets[k].irq, vm->cpus);
    }
    check_irq_owner(w, i, "vsock.irq_vcpu", &vm->vsock_irq, vm->cpus);
    for (unsigned k = 0; k < vm->fs_count; k++) {
        snprintf(c, sizeof(c), "filesystems[%u].irq_vcpu", k);
        check_irq_owner(w, i, c, &vm->filesystems[k].irq, vm->cpus);
    }
    if (vm->has_host_cpus && s->has_host_cpus &&
        !sysconf_cpuset_subset(&vm->host_cpus, &s->host_cpus)) {
        vm_path(p, i, "host_cpus");
        sysconf_cpuset_format(&vm->host_cpus, c, sizeof(c));
        sysconf_cpuset_format(&s->host_cpus, d, sizeof(d));
        sysconf_walk_error(w, p, "%s is not within system.host_cpus %s", c, d);
    }
}

/* Name instance n of definition def gets unless the request names it. */
static void instance_name(char *out, size_t size, const char *def, unsigned n)
{
    snprintf(out, size, "%s-%u", def, n);
}

static void check_names(struct sysconf_walk *w, const struct sysconf *cfg)
{
    char p[SYSCONF_PATH_MAX], inst[SYSCONF_NAME_MAX + 16];

    for (unsigned i = 0; i < cfg->vm_count; i++) {
        const struct sysconf_vm *vm = &cfg->vms[i];
        if (vm->name == NULL)
            continue;
        for (unsigned j = 0; j < i; j++) {
            if (cfg->vms[j].name != NULL && strcmp(cfg->vms[j].name, vm->name) == 0) {
                vm_path(p, i, "name");
                sysconf_walk_error(w, p, "'%s' is already the name of vms[%u]", vm->name, j);
                break;
            }
        }
        for (unsigned j = 0; j < cfg->vm_count; j++) {
            const struct sysconf_vm *def = &cfg->vms[j];
            if (j == i || def->name == NULL || def->instances_max == 0)
                continue;
            for (unsigned n = 1; n <= def->instances_max; n++) {
                instance_name(inst, sizeof(inst), def->name, n);
                if (strcmp(inst, vm->name) == 0) {
                    vm_path(p, i, "name");
                    sysconf_walk_error(w, p, "'%s' is the name instance %u of vms[%u] ('%s') gets",
                                       vm->name, n, j, def->name);
                }
            }
        }
        if (vm->instances_max > 0 &&
            strlen(vm->name) + 1 + 3 > SYSCONF_NAME_MAX) { /* room for "-256" */
            vm_path(p, i, "name");
            sysconf_walk_error(w, p,
                               "too long for a definition with instances: at most %d "
                               "characters, so that '-N' fits",
                               SYSCONF_NAME_MAX - 4);
        }
    }
}

static bool shared_by_instances(const struct sysconf_vm *vm, const char *s)
{
    return vm->instances_max > 1 && strstr(s, SYSCONF_INSTANCE_MARK) == NULL;
}

/* The host ports a VM's forwards take: port .. port + instances - 1. */
static uint32_t last_port(const struct sysconf_vm *vm, uint16_t port)
{
    return (uint32_t)port + (vm->instances_max ? vm->instances_max - 1 : 0);
}

/* Host ports forwarded by user networking: one listener per port on the host. */
static void check_hostfwds(struct sysconf_walk *w, const struct sysconf *cfg, unsigned i,
                           unsigned k)
{
    const struct sysconf_vm *vm = &cfg->vms[i];
    char p[SYSCONF_PATH_MAX], q[SYSCONF_PATH_MAX];

    for (unsigned f = 0; f < vm->nets[k].hostfwd_count; f++) {
        uint16_t lo = vm->nets[k].hostfwds[f].host_port;
        snprintf(q, sizeof(q), "nets[%u].user.hostfwd[%u].host", k, f);
        vm_path(p, i, q);
        if (last_port(vm, lo) > 65535)
            sysconf_walk_error(w, p, "ports %u-%u for the %u instances go past 65535", lo,
                               (unsigned)last_port(vm, lo), vm->instances_max);
        for (unsigned j = 0; j <= i; j++) {
            const struct sysconf_vm *o = &cfg->vms[j];
            for (unsigned l = 0; l < o->net_count; l++) {
                for (unsigned g = 0; g < o->nets[l].hostfwd_count; g++) {
                    if (j == i && (l > k || (l == k && g >= f)))
                        continue; /* each pair once */
                    uint16_t olo = o->nets[l].hostfwds[g].host_port;
                    if (lo <= last_port(o, olo) && olo <= last_port(vm, lo))
                        sysconf_walk_error(w, p, "host port %u is also forwarded by vms[%u]", lo,
                                           j);
                }
            }
        }
    }
}

/*
 * A vhost-user backend serves one frontend at a time (qemu-storage-daemon,
 * virtiofsd): instances need a socket each.
 */
static void check_one_frontend(struct sysconf_walk *w, const char *p, const struct sysconf_vm *vm,
                               const char *socket)
{
    if (shared_by_instances(vm, socket))
        sysconf_walk_error(w, p,
                           "a vhost-user backend serves one VM at a time, not %u instances: "
                           "put {n} in the socket path",
                           vm->instances_max);
}

/* Things only one running VM can own: writable disks, taps, vsock CIDs, serial logs. */
static void check_exclusive(struct sysconf_walk *w, const struct sysconf *cfg)
{
    char p[SYSCONF_PATH_MAX], q[SYSCONF_PATH_MAX];

    for (unsigned i = 0; i < cfg->vm_count; i++) {
        const struct sysconf_vm *vm = &cfg->vms[i];
        for (unsigned k = 0; k < vm->disk_count; k++) {
            if (vm->disks[k].path == NULL) {
                snprintf(q, sizeof(q), "disks[%u].vhost_user", k);
                vm_path(p, i, q);
                check_one_frontend(w, p, vm, vm->disks[k].vhost_user);
                continue;
            }
            snprintf(q, sizeof(q), "disks[%u].path", k);
            vm_path(p, i, q);
            if (!vm->disks[k].read_only && shared_by_instances(vm, vm->disks[k].path))
                sysconf_walk_error(w, p,
                                   "a writable disk would be shared by the %u instances: "
                                   "put {n} in the path or make it read_only",
                                   vm->instances_max);
            for (unsigned j = 0; j < i; j++) {
                for (unsigned l = 0; l < cfg->vms[j].disk_count; l++) {
                    bool rw = !vm->disks[k].read_only || !cfg->vms[j].disks[l].read_only;
                    if (rw && cfg->vms[j].disks[l].path != NULL &&
                        strcmp(cfg->vms[j].disks[l].path, vm->disks[k].path) == 0)
                        sysconf_walk_error(w, p,
                                           "%s is also a disk of vms[%u], and one of "
                                           "them may write it",
                                           vm->disks[k].path, j);
                }
            }
        }
        for (unsigned k = 0; k < vm->fs_count; k++) {
            snprintf(q, sizeof(q), "filesystems[%u].socket", k);
            vm_path(p, i, q);
            check_one_frontend(w, p, vm, vm->filesystems[k].socket);
        }
        for (unsigned k = 0; k < vm->net_count; k++) {
            check_hostfwds(w, cfg, i, k);
            if (vm->nets[k].vhost_user != NULL) {
                snprintf(q, sizeof(q), "nets[%u].vhost_user", k);
                vm_path(p, i, q);
                check_one_frontend(w, p, vm, vm->nets[k].vhost_user);
            }
            snprintf(q, sizeof(q), "nets[%u].tap", k);
            vm_path(p, i, q);
            if (vm->nets[k].tap != NULL && shared_by_instances(vm, vm->nets[k].tap))
                sysconf_walk_error(w, p,
                                   "a tap device cannot serve %u instances: put {n} in "
                                   "its name",
                                   vm->instances_max);
            if (vm->nets[k].mac != NULL && vm->instances_max > 1) {
                snprintf(q, sizeof(q), "nets[%u].mac", k);
                vm_path(p, i, q);
                sysconf_walk_error(w, p,
                                   "instances cannot share one MAC address: leave it "
                                   "out and each instance gets its own");
            }
            for (unsigned j = 0; j < i; j++) {
                for (unsigned l = 0; l < cfg->vms[j].net_count; l++) {
                    const char *other = cfg->vms[j].nets[l].tap;
                    if (other != NULL && vm->nets[k].tap != NULL &&
                        strcmp(other, vm->nets[k].tap) == 0)
                        sysconf_walk_error(w, p, "tap %s is also used by vms[%u]", vm->nets[k].tap,
                                           j);
                }
            }
        }
        if (vm->serial_log != NULL) {
            vm_path(p, i, "serial_log");
            if (shared_by_instances(vm, vm->serial_log))
                sysconf_walk_error(w, p,
                                   "the %u instances would write one log: put {n} in the "
                                   "path",
                                   vm->instances_max);
            for (unsigned j = 0; j < i; j++) {
                if (cfg->vms[j].serial_log && strcmp(cfg->vms[j].serial_log, vm->serial_log) == 0)
                    sysconf_walk_error(w, p, "%s is also the serial log of vms[%u]", vm->serial_log,
                                       j);
            }
        }
        if (vm->vsock_socket != NULL) {
            vm_path(p, i, "vsock.socket");
            if (shared_by_instances(vm, vm->vsock_socket))
                sysconf_walk_error(w, p,
                                   "the %u instances cannot listen on one socket: put {n} "
                                   "in the path",
                                   vm->instances_max);
            for (unsigned j = 0; j < i; j++) {
                if (cfg->vms[j].vsock_socket &&
                    strcmp(cfg->vms[j].vsock_socket, vm->vsock_socket) == 0)
                    sysconf_walk_error(w, p, "%s is also the vsock socket of vms[%u]",
                                       vm->vsock_socket, j);
            }
        }
        if (vm->vsock_cid != 0) {
            uint64_t lo = vm->vsock_cid;
            uint64_t hi = lo + (vm->instances_max ? vm->instances_max - 1 : 0);
            vm_path(p, i, "vsock.cid");
            if (hi > 0xfffffffeu)
                sysconf_walk_error(w, p, "CIDs %llu-%llu for the instances go past 4294967294",
                                   (unsigned long long)lo, (unsigned long long)hi);
            for (unsigned j = 0; j < i; j++) {
                const struct sysconf_vm *o = &cfg->vms[j];
                uint64_t olo = o->vsock_cid;
                uint64_t ohi = olo + (o->instances_max ? o->instances_max - 1 : 0);
                if (o->vsock_cid != 0 && lo <= ohi && olo <= hi)
                    sysconf_walk_error(w, p, "CID %llu%s overlaps the CIDs of vms[%u]",
                                       (unsigned long long)lo, hi > lo ? " and up" : "", j);
            }
        }
    }
}

/* The VMs with autostart must fit the bounds together, or nothing starts. */
static void check_autostart(struct sysconf_walk *w, const struct sysconf *cfg)
{
    const struct sysconf_system *s = &cfg->system;
    uint64_t memory = 0;
    unsigned cpus = 0, count = 0;
    bool mem_reported = false, cpu_reported = false, count_reported = false;
    char p[SYSCONF_PATH_MAX], a[32], b[32];

    for (unsigned i = 0; i < cfg->vm_count; i++) {
        const struct sysconf_vm *vm = &cfg->vms[i];
        if (!vm->autostart)
            continue;
        vm_path(p, i, "autostart");
        if (vm->instances_max > 0) {
            sysconf_walk_error(w, p,
                               "a definition with instances is instantiated through the "
                               "API (stdvmm ctl create); it cannot autostart");
            continue;
        }
        memory += vm->memory;
        cpus += vm->cpus;
        count++;
        if (memory > s->memory && !mem_reported) {
            spelling_format_size(memory, a, sizeof(a));
            spelling_format_size(s->memory, b, sizeof(b));
            sysconf_walk_error(w, p,
                               "the autostart VMs up to this one need %s of guest memory, "
                               "more than system.memory %s",
                               a, b);
            mem_reported = true;
        }
        if (cpus > s->vcpus && !cpu_reported) {
            sysconf_walk_error(w, p,
                               "the autostart VMs up to this one need %u vCPUs, more than "
                               "system.vcpus %u",
                               cpus, s->vcpus);
            cpu_reported = true;
        }
        if (count > s->max_vms && !count_reported) {
            sysconf_walk_error(w, p, "this is autostart VM number %u, more than system.max_vms %u",
                               count, s->max_vms);
            count_reported = true;
        }
    }
}
void sysconf_check_rules(struct sysconf_walk *w, const struct sysconf *cfg)
{
    /* Relations with the bounds only mean something once the bounds were read. */
    if (cfg->system.memory != 0 && cfg->system.vcpus != 0) {
        for (unsigned i = 0; i < cfg->vm_count; i++)
            check_bounds(w, cfg, i);
        check_autostart(w, cfg);
    }
    check_names(w, cfg);
    check_exclusive(w, cfg);
}
