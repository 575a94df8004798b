/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a description's VM entry becomes: the struct vmm_config that
 * `stdvmm run --config` runs, and the single-VM JSON the manager hands it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/system_config.h"
#include "sysconf_placement.h"
#include "stdvmm/spelling.h"

int sysconf_vm_to_vmm_config(const struct sysconf_vm *vm, struct vmm_config *out,
                             struct sysconf_diags *diags)
{
    int r = 0;

    out->name = vm->name;
    out->kernel = vm->kernel;
    out->initramfs = vm->initramfs;
    out->cmdline = vm->cmdline;
    out->cpus = vm->cpus;
    out->memory = vm->memory;
    _Static_assert(sizeof(out->memory_map) == sizeof(vm->memory_map), "one memory map type");
    memcpy(out->memory_map, vm->memory_map, sizeof(out->memory_map));
    out->memory_map_count = vm->memory_map_count;
    out->no_reboot = vm->no_reboot;
    out->seccomp = vm->seccomp;
    out->arch = vm->arch;
    out->rng = vm->rng;
    out->iommu = vm->iommu;
    out->placement = vm->placement;
    out->console = vm->virtio_console ? VMM_CONSOLE_VIRTIO : VMM_CONSOLE_SERIAL;
    out->serial_rate = vm->serial_log_rate;
    if (vm->serial_log != NULL) {
        out->serial = VMM_SERIAL_FILE;
        out->serial_path = vm->serial_log;
        out->serial_max = vm->serial_log_max;
    }
    _Static_assert(SYSCONF_MAX_DISKS <= VMM_MAX_DISKS, "disks of a description fit the VMM");
    _Static_assert(SYSCONF_MAX_NETS <= VMM_MAX_NETS, "nets of a description fit the VMM");
    _Static_assert(SYSCONF_MAX_HOSTFWDS <= VMM_MAX_HOSTFWDS, "forwards fit the VMM");
    out->disk_count = vm->disk_count;
    for (unsigned i = 0; i < vm->disk_count; i++) {
        out->disks[i].path = vm->disks[i].path;
        out->disks[i].vhost_user = vm->disks[i].vhost_user;
        out->disks[i].id = vm->disks[i].id;
        out->disks[i].readonly = vm->disks[i].read_only;
        out->disks[i].irq = vm->disks[i].irq;
        out->disks[i].limit = vm->disks[i].limit;
    }
    out->net_count = vm->net_count;
    for (unsigned i = 0; i < vm->net_count; i++) {
        const struct sysconf_net *n = &vm->nets[i];
        struct vmm_net *o = &out->nets[i];
        memset(o, 0, sizeof(*o));
        if (n->network != NULL && n->vhost_user == NULL) {
            char path[48];
            snprintf(path, sizeof(path), "nets[%u].network", i);
            sysconf_diag_add(diags, path, 0,
                             "a network's switch port is the manager's to give: run it "
                             "under stdvmmd");
            r = -STDVMM_EINVAL;
        }
        o->backend = n->tap ? VMM_NET_TAP : n->vhost_user ? VMM_NET_VHOST_USER : VMM_NET_USER;
        o->tap = n->tap;
        o->vhost = n->tap != NULL && n->vhost;
        o->vhost_user = n->vhost_user;
        o->has_mac = n->mac != NULL;
        if (n->mac != NULL)
            spelling_parse_mac(n->mac, o->mac); /* checked by the schema */
        o->irq = n->irq;
        o->limit = n->limit;
        o->unrestricted = n->unrestricted;
        o->hostfwd_count = n->hostfwd_count;
        for (unsigned f = 0; f < n->hostfwd_count; f++)
            o->hostfwds[f] = n->hostfwds[f];
    }
    _Static_assert(SYSCONF_MAX_FS <= VMM_MAX_FS, "file systems of a description fit the VMM");
    out->fs_count = vm->fs_count;
    for (unsigned i = 0; i < vm->fs_count; i++)
        out->fs[i] = (struct vmm_fs){.tag = vm->filesystems[i].tag,
                                     .socket = vm->filesystems[i].socket,
                                     .irq = vm->filesystems[i].irq};
    memset(&out->vsock, 0, sizeof(out->vsock));
    if (vm->vsock_cid != 0) {
        if (vm->vsock_socket == NULL) {
            sysconf_diag_add(diags, "vsock.socket", 0,
                             "required here: the host side of the vsock device is a Unix "
                             "socket (the manager chooses one itself)");
            r = -STDVMM_EINVAL;
        }
        out->vsock.enabled = true;
        out->vsock.cid = vm->vsock_cid;
        out->vsock.socket = vm->vsock_socket;
        out->vsock.irq = vm->vsock_irq;
    }
    return r;
}

static const char *restart_name(enum sysconf_restart r)
{
    switch (r) {
    case SYSCONF_RESTART_NEVER:
        return "never";
    case SYSCONF_RESTART_ON_FAILURE:
        return "on-failure";
    case SYSCONF_RESTART_ALWAYS:
        return "always";
    }
    return "never";
}

static int set_str(json_t *obj, const char *key, const char *v)
{
    return v == NULL ? 0 : json_object_set_new(obj, key, json_string(v));
}

/* A disk's or a network interface's rate limit, its set keys only. */
static int set_rate_limit(json_t *obj, const struct rate_limiter_config *limit)
{
    struct rate_limiter_config copy = *limit;
    int r = obj == NULL;
    for (int k = 0; obj && k < RATE_LIMITER_KEYS; k++) {
        bool bytes;
        uint64_t v = *rate_limiter_field(&copy, rate_limiter_keys[k], &bytes);
        if (v != 0)
            r |= json_object_set_new(obj, rate_limiter_keys[k], json_integer((json_int_t)v));
    }
    return r;
}

static int set_irq_vcpu(json_t *obj, const struct vmm_irq_owner *irq)
{
    if (obj == NULL)
        return -1;
    return irq->set ? json_object_set_new(obj, "irq_vcpu", json_integer(irq->vcpu)) : 0;
}

char *sysconf_vm_to_json(const struct sysconf_vm *vm)
{
    json_t *o = json_object();
    char buf[SYSCONF_MAX_HOST_CPUS * 4];
    int r = 0;

    if (o == NULL)
        return NULL;
    r |= set_str(o, "name", vm->name);
    r |= set_str(o, "kernel", vm->kernel);
    r |= set_str(o, "initramfs", vm->initramfs);
    r |= set_str(o, "cmdline", vm->cmdline);
    r |= json_object_set_new(o, "cpus", json_integer(vm->cpus));
    r |= json_object_set_new(o, "memory", json_integer((json_int_t)vm->memory));
    if (vm->memory_map_count != 0) {
        json_t *a = json_array();
        for (unsigned i = 0; a && i < vm->memory_map_count; i++) {
            json_t *m = json_pack("{s:I, s:I}", "gpa", (json_int_t)vm->memory_map[i].gpa, "size",
                                  (json_int_t)vm->memory_map[i].size);
            r |= m == NULL || json_array_append_new(a, m) != 0;
        }
        r |= json_object_set_new(o, "memory_map", a);
    }
    if (vm->disk_count != 0) {
        json_t *a = json_array();
        for (unsigned i = 0; a && i < vm->disk_count; i++) {
            json_t *d = vm->disks[i].vhost_user != NULL
                            ? json_pack("{s:s}", "vhost_user", vm->disks[i].vhost_user)
                            : json_pack("{s:s, s:b, s:s*}", "path", vm->disks[i].path, "read_only",
                                        vm->disks[i].read_only, "id", vm->disks[i].id);
            r |= set_irq_vcpu(d, &vm->disks[i].irq);
            r |= set_rate_limit(d, &vm->disks[i].limit);
            r |= json_array_append_new(a, d);
        }
        r |= json_object_set_new(o, "disks", a);
    }
    if (vm->net_count != 0) {
        json_t *a = json_array();
        for (unsigned i = 0; a && i < vm->net_count; i++) {
            const struct sysconf_net *net = &vm->nets[i];
            json_t *n = json_object();
            if (net->tap != NULL) {
                r |= set_str(n, "tap", net->tap);
                if (net->vhost)
                    r |= json_object_set_new(n, "vhost", json_true());
            } else if (net->vhost_user != NULL) {
                /* The manager's port of the network's switch, when network is set too. */
                r |= set_str(n, "vhost_user", net->vhost_user);
            } else if (net->network != NULL) {
                r |= set_str(n, "network", net->network); /* refused by `stdvmm run` */
            } else {
                json_t *fwds = json_array();
                for (unsigned f = 0; fwds && f < net->hostfwd_count; f++) {
                    char text[SPELLING_HOSTFWD_LEN];
                    spelling_format_hostfwd(&net->hostfwds[f], text, sizeof(text));
                    r |= json_array_append_new(fwds, json_string(text));
                }
                r |= json_object_set_new(
                    n, "user",
                    json_pack("{s:o, s:b}", "hostfwd", fwds, "restrict", !net->unrestricted));
            }
            if (n != NULL && net->mac != NULL)
                r |= set_str(n, "mac", net->mac);
            r |= set_irq_vcpu(n, &net->irq);
            r |= set_rate_limit(n, &net->limit);
            r |= json_array_append_new(a, n);
        }
        r |= json_object_set_new(o, "nets", a);
    }
    if (vm->fs_count != 0) {
        json_t *a = json_array();
        for (unsigned i = 0; a && i < vm->fs_count; i++) {
            json_t *f = json_pack("{s:s, s:s}", "tag", vm->filesystems[i].tag, "socket",
                                  vm->filesystems[i].socket);
            r |= set_irq_vcpu(f, &vm->filesystems[i].irq);
            r |= json_array_append_new(a, f);
        }
        r |= json_object_set_new(o, "filesystems", a);
    }
    if (vm->vsock_cid != 0) {
        json_t *v =
            json_pack("{s:I, s:s*}", "cid", (json_int_t)vm->vsock_cid, "socket", vm->vsock_socket);
        r |= set_irq_vcpu(v, &vm->vsock_irq);
        r |= json_object_set_new(o, "vsock", v);
    }
    r |= json_object_set_new(o, "rng", json_boolean(vm->rng));
    if (vm->iommu)
        r |= json_object_set_new(o, "iommu", json_true());
    r |= set_str(o, "console", vm->virtio_console ? "virtio" : "serial");
    r |= set_str(o, "serial_log", vm->serial_log);
    if (vm->serial_log_max != 0)
        r |= json_object_set_new(o, "serial_log_max", json_integer((json_int_t)vm->serial_log_max));
    if (vm->serial_log_rate != 0)
        r |= json_object_set_new(o, "serial_log_rate",
                                 json_integer((json_int_t)vm->serial_log_rate));
    r |= json_object_set_new(o, "no_reboot", json_boolean(vm->no_reboot));
    r |= set_str(o, "seccomp", host_seccomp_mode_name(vm->seccomp));
    /* Defaults are left out, so that the manager's JSON for a VM stays as it was. */
    const struct vm_arch_options *a = &vm->arch;
    if (a->kernel_format != VM_KERNEL_AUTO)
        r |= set_str(o, "kernel_format", vm_kernel_format_name(a->kernel_format));
    if (a->kernel_addr_set)
        r |= json_object_set_new(o, "kernel_addr", json_integer((json_int_t)a->kernel_addr));
    if (a->irqchip != VM_IRQCHIP_AUTO)
        r |= set_str(o, "irqchip", vm_irqchip_name(a->irqchip));
    const struct {
        const char *key;
        enum vm_feature value;
    } features[] = {
        {"pmu", a->pmu}, {"its", a->its}, {"sve", a->sve}, {"pauth", a->pauth}, {"mte", a->mte}};
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        if (features[i].value != VM_FEATURE_AUTO)
            r |= set_str(o, features[i].key, vm_feature_name(features[i].value));
    }
    if (vm->restart == SYSCONF_RESTART_ON_FAILURE && vm->restart_max != 0) {
        snprintf(buf, sizeof(buf), "on-failure:%u", vm->restart_max);
        r |= set_str(o, "restart", buf);
    } else {
        r |= set_str(o, "restart", restart_name(vm->restart));
    }
    if (vm->has_host_cpus) {
        sysconf_cpuset_format(&vm->host_cpus, buf, sizeof(buf));
        r |= set_str(o, "host_cpus", buf);
    }
    r |= sysconf_placement_to_json(vm, o);
    char *text = r == 0 ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return text;
}
