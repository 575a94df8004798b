/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description schema (docs/system-description.md): structure
 * first (types, ranges, unknown fields), then the rules that relate fields
 * to each other (a VM within the system's bounds, unique names, devices no
 * two VMs may share, what autostart needs together). Every rule runs even
 * after an earlier one failed, so one pass shows every problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "sysconf_internal.h"

static const char *const top_keys[] = {"system", "vms", NULL};
static const char *const system_keys[] = {"memory", "vcpus", "max_vms", "host_cpus", "pools",
                                          NULL};
static const char *const vm_keys[] = {
    "name",      "kernel",  "initramfs", "cmdline",   "cpus",      "memory",
    "disks",     "nets",    "vsock",     "rng",       "console",   "serial_log",
    "no_reboot", "restart", "autostart", "instances", "host_cpus", "vmm_threads", NULL};
static const char *const disk_keys[] = {"path", "read_only", "id", "irq_vcpu", NULL};
static const char *const net_keys[] = {"tap", "user", "mac", "irq_vcpu", NULL};
static const char *const user_keys[] = {"hostfwd", NULL};
static const char *const hostfwd_keys[] = {"host", "guest", NULL};
static const char *const vsock_keys[] = {"cid", "socket", "irq_vcpu", NULL};
static const char *const instances_keys[] = {"max", NULL};

#define DEFAULT_CMDLINE "console=ttyS0"
#define DEFAULT_MEMORY (512ull << 20)
#define INSTANCE_MARK "{n}"

static bool valid_mac(const char *s)
{
    /* Six hex pairs with colons; the multicast bit of the first octet must be clear. */
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return false;
    }
    unsigned first = (unsigned)strtoul(s, NULL, 16);
    return (first & 1) == 0;
}

static bool valid_tap(const char *s)
{
    size_t n = strlen(s);
    /* IFNAMSIZ is 16 with the terminator; "{n}" may grow by a few digits. */
    if (n == 0 || n > 15 + (strstr(s, INSTANCE_MARK) ? 3 : 0))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f)
            return false;
    }
    return true;
}

static void walk_host_cpus(struct sysconf_walk *w, const json_t *obj, const char *path, bool *has,
                           struct sysconf_cpuset *set)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = json_object_get(obj, "host_cpus");
    char buf[32];
    const char *text;

    if (v == NULL)
        return;
    sysconf_path_key(sub, path, "host_cpus");
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        text = buf;
    } else if (json_is_string(v)) {
        text = json_string_value(v);
    } else {
        sysconf_walk_error(w, sub, "expected a CPU list such as \"0-3,6\", got %s",
                           sysconf_json_type_name(v));
        return;
    }
    if (!sysconf_parse_cpuset(text, set)) {
        sysconf_walk_error(w, sub, "'%s' is not a CPU list such as \"0-3,6\" (CPUs 0-%d)", text,
                           SYSCONF_MAX_HOST_CPUS - 1);
        return;
    }
    *has = true;
}

static const json_t *get_list(struct sysconf_walk *w, const json_t *obj, const char *path,
                              const char *key, size_t max, char *sub)
{
    const json_t *v = json_object_get(obj, key);

    sysconf_path_key(sub, path, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_array(v)) {
        sysconf_walk_error(w, sub, "expected a list, got %s", sysconf_json_type_name(v));
        return NULL;
    }
    if (json_array_size(v) > max) {
        sysconf_walk_error(w, sub, "%zu entries; at most %zu are supported", json_array_size(v),
                           max);
        return NULL;
    }
    return v;
}

/* irq_vcpu: N, the vCPU that owns a device's interrupt; checked against cpus in check_bounds. */
static bool get_irq_vcpu(struct sysconf_walk *w, const json_t *obj, const char *path,
                         struct vmm_irq_owner *owner)
{
    uint64_t v;
    enum sysconf_got got =
        sysconf_get_uint(w, obj, path, "irq_vcpu", false, 0, VMM_MAX_CPUS - 1, &v);
    if (got == SYSCONF_OK) {
        owner->set = true;
        owner->vcpu = (unsigned)v;
    }
    return got != SYSCONF_BAD;
}

static void walk_disks(struct sysconf_walk *w, const json_t *obj, const char *path,
                       struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];
    const json_t *list = get_list(w, obj, path, "disks", SYSCONF_MAX_DISKS, sub);

    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *d = json_array_get(list, i);
        struct sysconf_disk *disk = &vm->disks[vm->disk_count];
        sysconf_path_index(item, sub, i);
        if (!sysconf_expect_object(w, d, item))
            continue;
        sysconf_check_keys(w, d, item, disk_keys);
        bool ok = sysconf_get_string(w, d, item, "path", true, &disk->path) == SYSCONF_OK;
        sysconf_get_bool(w, d, item, "read_only", false, &disk->read_only);
        ok = get_irq_vcpu(w, d, item, &disk->irq) && ok;
        if (sysconf_get_string(w, d, item, "id", false, &disk->id) == SYSCONF_OK &&
            strlen(disk->id) > 20) {
            char field[SYSCONF_PATH_MAX];
            sysconf_path_key(field, item, "id");
            sysconf_walk_error(w, field, "'%s' is longer than the 20 bytes of a virtio-blk serial",
                               disk->id);
            ok = false;
        }
        if (ok)
            vm->disk_count++;
    }
}

/* user: {hostfwd: [{host: 8080, guest: 80}, ...]} */
static bool walk_user(struct sysconf_walk *w, const json_t *user, const char *path,
                      struct sysconf_net *net)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];
    bool ok = true;
    uint64_t port;

    if (!sysconf_expect_object(w, user, path))
        return false;
    sysconf_check_keys(w, user, path, user_keys);
    const json_t *list = get_list(w, user, path, "hostfwd", SYSCONF_MAX_HOSTFWDS, sub);
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *f = json_array_get(list, i);
        struct sysconf_hostfwd *fwd = &net->hostfwds[net->hostfwd_count];
        bool good = true;
        sysconf_path_index(item, sub, i);
        if (!sysconf_expect_object(w, f, item)) {
            ok = false;
            continue;
        }
        sysconf_check_keys(w, f, item, hostfwd_keys);
        if (sysconf_get_uint(w, f, item, "host", true, 1, 65535, &port) == SYSCONF_OK)
            fwd->host = (uint16_t)port;
        else
            good = false;
        if (sysconf_get_uint(w, f, item, "guest", true, 1, 65535, &port) == SYSCONF_OK)
            fwd->guest = (uint16_t)port;
        else
            good = false;
        if (good)
            net->hostfwd_count++;
        ok = ok && good;
    }
    return ok;
}

static void walk_nets(struct sysconf_walk *w, const json_t *obj, const char *path,
                      struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX], field[SYSCONF_PATH_MAX];
    const json_t *list = get_list(w, obj, path, "nets", SYSCONF_MAX_NETS, sub);

    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *n = json_array_get(list, i);
        struct sysconf_net *net = &vm->nets[vm->net_count];
        bool ok = true;
        sysconf_path_index(item, sub, i);
        if (!sysconf_expect_object(w, n, item))
            continue;
        sysconf_check_keys(w, n, item, net_keys);
        const json_t *user = json_object_get(n, "user");
        enum sysconf_got tap = sysconf_get_string(w, n, item, "tap", false, &net->tap);
        if ((tap == SYSCONF_ABSENT) == (user == NULL)) {
            sysconf_walk_error(w, item,
                               "give either tap: IFNAME (a host TAP device) or user: {} "
                               "(user-mode NAT), not %s",
                               user ? "both" : "neither");
            ok = false;
        }
        if (tap == SYSCONF_OK && !valid_tap(net->tap)) {
            sysconf_path_key(field, item, "tap");
            sysconf_walk_error(w, field,
                               "'%s' is not a network interface name (1-15 characters, "
                               "no '/' or spaces)",
                               net->tap);
            ok = false;
        }
        if (tap == SYSCONF_BAD)
            ok = false;
        if (user != NULL) {
            sysconf_path_key(field, item, "user");
            ok = walk_user(w, user, field, net) && ok;
        }
        if (sysconf_get_string(w, n, item, "mac", false, &net->mac) == SYSCONF_OK &&
            !valid_mac(net->mac)) {
            sysconf_path_key(field, item, "mac");
            sysconf_walk_error(
                w, field, "'%s' is not a unicast MAC address such as 52:54:00:12:34:56", net->mac);
            ok = false;
        }
        ok = get_irq_vcpu(w, n, item, &net->irq) && ok;
        if (ok)
            vm->net_count++;
        else
            memset(net, 0, sizeof(*net));
    }
}

static void walk_vsock(struct sysconf_walk *w, const json_t *obj, const char *path,
                       struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = json_object_get(obj, "vsock");
    uint64_t cid;

    sysconf_path_key(sub, path, "vsock");
    if (v == NULL || json_is_null(v) || !sysconf_expect_object(w, v, sub))
        return;
    sysconf_check_keys(w, v, sub, vsock_keys);
    /* 0-2 are reserved (hypervisor, local, host); the top value is VMADDR_CID_ANY. */
    if (sysconf_get_uint(w, v, sub, "cid", true, 3, 0xfffffffeu, &cid) == SYSCONF_OK)
        vm->vsock_cid = (uint32_t)cid;
    sysconf_get_string(w, v, sub, "socket", false, &vm->vsock_socket);
    get_irq_vcpu(w, v, sub, &vm->vsock_irq);
}

static void walk_instances(struct sysconf_walk *w, const json_t *obj, const char *path,
                           struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX];
    const json_t *v = json_object_get(obj, "instances");
    uint64_t max;

    sysconf_path_key(sub, path, "instances");
    if (v == NULL || json_is_null(v) || !sysconf_expect_object(w, v, sub))
        return;
    sysconf_check_keys(w, v, sub, instances_keys);
    if (sysconf_get_uint(w, v, sub, "max", true, 1, SYSCONF_MAX_INSTANCES, &max) == SYSCONF_OK)
        vm->instances_max = (unsigned)max;
}

void sysconf_walk_vm(struct sysconf_walk *w, const json_t *obj, const char *path,
                     bool name_required, struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX];
    const char *restart = NULL;
    uint64_t n;

    memset(vm, 0, sizeof(*vm));
    vm->cmdline = DEFAULT_CMDLINE;
    vm->cpus = 1;
    vm->memory = DEFAULT_MEMORY;
    if (!sysconf_expect_object(w, obj, path))
        return;
    sysconf_check_keys(w, obj, path, vm_keys);

    if (sysconf_get_string(w, obj, path, "name", name_required, &vm->name) == SYSCONF_OK &&
        !sysconf_valid_name(vm->name)) {
        sysconf_path_key(sub, path, "name");
        sysconf_walk_error(w, sub,
                           "'%s' is not a valid name: 1-%d of A-Z a-z 0-9 . _ -, starting with "
                           "a letter or digit",
                           vm->name, SYSCONF_NAME_MAX);
    }
    sysconf_get_string(w, obj, path, "kernel", true, &vm->kernel);
    sysconf_get_string(w, obj, path, "initramfs", false, &vm->initramfs);
    sysconf_get_string(w, obj, path, "cmdline", false, &vm->cmdline);
    if (json_is_object(json_object_get(obj, "cpus")))
        ; /* cpus: {count, placement, ...}: sysconf_walk_placement below */
    else if (sysconf_get_uint(w, obj, path, "cpus", false, 1, VMM_MAX_CPUS, &n) == SYSCONF_OK)
        vm->cpus = (unsigned)n;
    sysconf_walk_placement(w, obj, path, vm);
    if (sysconf_get_size(w, obj, path, "memory", false, &vm->memory) == SYSCONF_OK &&
        vm->memory < SYSCONF_MIN_MEMORY) {
        char have[32], need[32];
        sysconf_format_size(vm->memory, have, sizeof(have));
        sysconf_format_size(SYSCONF_MIN_MEMORY, need, sizeof(need));
        sysconf_path_key(sub, path, "memory");
        sysconf_walk_error(w, sub, "%s is too little: a Linux guest needs at least %s", have, need);
    }
    walk_disks(w, obj, path, vm);
    walk_nets(w, obj, path, vm);
    walk_vsock(w, obj, path, vm);
    sysconf_get_bool(w, obj, path, "rng", false, &vm->rng);
    const char *console = NULL;
    if (sysconf_get_string(w, obj, path, "console", false, &console) == SYSCONF_OK) {
        if (strcmp(console, "virtio") == 0) {
            vm->virtio_console = true;
        } else if (strcmp(console, "serial") != 0) {
            sysconf_path_key(sub, path, "console");
            sysconf_walk_error(
                w, sub, "'%s' is not a console device: serial (ttyS0) or virtio (hvc0)", console);
        }
    }
    sysconf_get_string(w, obj, path, "serial_log", false, &vm->serial_log);
    sysconf_get_bool(w, obj, path, "no_reboot", false, &vm->no_reboot);
    if (sysconf_get_string(w, obj, path, "restart", false, &restart) == SYSCONF_OK &&
        !sysconf_parse_restart(restart, &vm->restart, &vm->restart_max)) {
        sysconf_path_key(sub, path, "restart");
        sysconf_walk_error(w, sub,
                           "'%s' is not a restart policy: never, on-failure, on-failure:N "
                           "(N >= 1) or always",
                           restart);
    }
    sysconf_get_bool(w, obj, path, "autostart", false, &vm->autostart);
    walk_instances(w, obj, path, vm);
    walk_host_cpus(w, obj, path, &vm->has_host_cpus, &vm->host_cpus);
}

/* ---- paths relative to the description ---- */

static const char *resolve(struct sysconf_walk *w, const char *base_dir, const char *p)
{
    if (p == NULL || base_dir == NULL || p[0] == '/' || p[0] == '\0')
        return p;
    size_t n = strlen(base_dir) + strlen(p) + 2;
    char *full = sysconf_arena_alloc(w->arena, n);
    if (full == NULL)
        return p;
    snprintf(full, n, "%s/%s", base_dir, p);
    return full;
}

static void resolve_vm_paths(struct sysconf_walk *w, const char *base_dir, struct sysconf_vm *vm)
{
    vm->kernel = resolve(w, base_dir, vm->kernel);
    vm->initramfs = resolve(w, base_dir, vm->initramfs);
    vm->serial_log = resolve(w, base_dir, vm->serial_log);
    vm->vsock_socket = resolve(w, base_dir, vm->vsock_socket);
    for (unsigned i = 0; i < vm->disk_count; i++)
        vm->disks[i].path = resolve(w, base_dir, vm->disks[i].path);
}

static void check_file(struct sysconf_walk *w, const char *path, const char *file, bool writable)
{
    struct stat st;

    if (file == NULL || strstr(file, INSTANCE_MARK) != NULL)
        return; /* instance files are checked when the instance is made */
    if (stat(file, &st) != 0) {
        sysconf_walk_error(w, path, "%s: %s", file, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        sysconf_walk_error(w, path, "%s is a directory, not a file", file);
    } else if (access(file, writable ? R_OK | W_OK : R_OK) != 0) {
        sysconf_walk_error(w, path, "%s: cannot %s it: %s", file,
                           writable ? "read and write" : "read", strerror(errno));
    }
}

static void check_vm_files(struct sysconf_walk *w, const char *path, const struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];

    sysconf_path_key(sub, path, "kernel");
    check_file(w, sub, vm->kernel, false);
    sysconf_path_key(sub, path, "initramfs");
    check_file(w, sub, vm->initramfs, false);
    for (unsigned i = 0; i < vm->disk_count; i++) {
        sysconf_path_key(sub, path, "disks");
        sysconf_path_index(item, sub, i);
        sysconf_path_key(sub, item, "path");
        check_file(w, sub, vm->disks[i].path, !vm->disks[i].read_only);
    }
}

/* ---- rules across fields and VMs ---- */

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
        sysconf_format_size(vm->memory, a, sizeof(a));
        sysconf_format_size(s->memory, b, sizeof(b));
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
    return vm->instances_max > 1 && strstr(s, INSTANCE_MARK) == NULL;
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
        uint16_t lo = vm->nets[k].hostfwds[f].host;
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
                    uint16_t olo = o->nets[l].hostfwds[g].host;
                    if (lo <= last_port(o, olo) && olo <= last_port(vm, lo))
                        sysconf_walk_error(w, p, "host port %u is also forwarded by vms[%u]", lo,
                                           j);
                }
            }
        }
    }
}

/* Things only one running VM can own: writable disks, taps, vsock CIDs, serial logs. */
static void check_exclusive(struct sysconf_walk *w, const struct sysconf *cfg)
{
    char p[SYSCONF_PATH_MAX], q[SYSCONF_PATH_MAX];

    for (unsigned i = 0; i < cfg->vm_count; i++) {
        const struct sysconf_vm *vm = &cfg->vms[i];
        for (unsigned k = 0; k < vm->disk_count; k++) {
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
                    if (rw && strcmp(cfg->vms[j].disks[l].path, vm->disks[k].path) == 0)
                        sysconf_walk_error(w, p,
                                           "%s is also a disk of vms[%u], and one of "
                                           "them may write it",
                                           vm->disks[k].path, j);
                }
            }
        }
        for (unsigned k = 0; k < vm->net_count; k++) {
            check_hostfwds(w, cfg, i, k);
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
            sysconf_format_size(memory, a, sizeof(a));
            sysconf_format_size(s->memory, b, sizeof(b));
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

static void walk_system(struct sysconf_walk *w, const json_t *root, struct sysconf_system *s)
{
    const json_t *obj = json_object_get(root, "system");
    uint64_t n;

    s->max_vms = SYSCONF_DEFAULT_MAX_VMS;
    if (obj == NULL) {
        sysconf_diag_add(w->diags, "system", 0,
                         "required section missing (the bounds: memory, "
                         "vcpus, max_vms, host_cpus)");
        w->failed = true;
        return;
    }
    if (!sysconf_expect_object(w, obj, "system"))
        return;
    sysconf_check_keys(w, obj, "system", system_keys);
    sysconf_get_size(w, obj, "system", "memory", true, &s->memory);
    if (sysconf_get_uint(w, obj, "system", "vcpus", true, 1, 65536, &n) == SYSCONF_OK)
        s->vcpus = (unsigned)n;
    if (sysconf_get_uint(w, obj, "system", "max_vms", false, 1, 4096, &n) == SYSCONF_OK)
        s->max_vms = (unsigned)n;
    walk_host_cpus(w, obj, "system", &s->has_host_cpus, &s->host_cpus);
    sysconf_walk_pools(w, obj, s);
}

static int finish(struct sysconf_walk *w, struct sysconf *tmp, struct sysconf *out)
{
    if (w->failed) {
        sysconf_arena_free(tmp->arena);
        return -STDVMM_EINVAL;
    }
    *out = *tmp;
    return 0;
}

int sysconf_parse_system(const char *text, size_t len, enum sysconf_format fmt,
                         const char *base_dir, unsigned flags, struct sysconf *out,
                         struct sysconf_diags *diags)
{
    struct sysconf_doc doc;
    struct sysconf tmp = {0};
    struct sysconf_walk w = {.doc = &doc, .diags = diags, .arena = &tmp.arena};
    char p[SYSCONF_PATH_MAX];

    int r = sysconf_doc_parse(text, len, fmt, &doc, diags);
    if (r < 0)
        return r;
    if (!sysconf_expect_object(&w, doc.root, "")) {
        sysconf_doc_free(&doc);
        return finish(&w, &tmp, out);
    }
    sysconf_check_keys(&w, doc.root, "", top_keys);
    walk_system(&w, doc.root, &tmp.system);

    const json_t *vms = json_object_get(doc.root, "vms");
    if (vms == NULL) {
        sysconf_walk_error(&w, "vms", "required list missing (the VM definitions)");
    } else if (!json_is_array(vms)) {
        sysconf_walk_error(&w, "vms", "expected a list of VM definitions, got %s",
                           sysconf_json_type_name(vms));
    } else if (json_array_size(vms) > SYSCONF_MAX_VMS) {
        sysconf_walk_error(&w, "vms", "%zu definitions; at most %d are supported",
                           json_array_size(vms), SYSCONF_MAX_VMS);
    } else if (json_array_size(vms) > 0) {
        tmp.vms = sysconf_arena_alloc(&tmp.arena, json_array_size(vms) * sizeof(*tmp.vms));
        if (tmp.vms == NULL) {
            sysconf_walk_error(&w, "vms", "out of memory");
        } else {
            for (size_t i = 0; i < json_array_size(vms); i++) {
                vm_path(p, (unsigned)i, NULL);
                sysconf_walk_vm(&w, json_array_get(vms, i), p, true, &tmp.vms[i]);
                resolve_vm_paths(&w, base_dir, &tmp.vms[i]);
                if (flags & SYSCONF_CHECK_FILES)
                    check_vm_files(&w, p, &tmp.vms[i]);
            }
            tmp.vm_count = (unsigned)json_array_size(vms);
        }
    }
    /* Relations only mean something once the system's bounds were read. */
    if (tmp.system.memory != 0 && tmp.system.vcpus != 0) {
        for (unsigned i = 0; i < tmp.vm_count; i++)
            check_bounds(&w, &tmp, i);
        check_autostart(&w, &tmp);
    }
    check_names(&w, &tmp);
    check_exclusive(&w, &tmp);
    sysconf_check_placement(&w, &tmp);
    sysconf_doc_free(&doc);
    return finish(&w, &tmp, out);
}

int sysconf_parse_vm(const char *text, size_t len, enum sysconf_format fmt, const char *base_dir,
                     unsigned flags, struct sysconf *out, struct sysconf_diags *diags)
{
    struct sysconf_doc doc;
    struct sysconf tmp = {0};
    struct sysconf_walk w = {.doc = &doc, .diags = diags, .arena = &tmp.arena};

    int r = sysconf_doc_parse(text, len, fmt, &doc, diags);
    if (r < 0)
        return r;
    tmp.vms = sysconf_arena_alloc(&tmp.arena, sizeof(*tmp.vms));
    if (tmp.vms == NULL) {
        sysconf_doc_free(&doc);
        return -STDVMM_ENOMEM;
    }
    tmp.vm_count = 1;
    sysconf_walk_vm(&w, doc.root, "", false, &tmp.vms[0]);
    if (tmp.vms[0].name == NULL)
        tmp.vms[0].name = "vm";
    resolve_vm_paths(&w, base_dir, &tmp.vms[0]);
    if (flags & SYSCONF_CHECK_FILES)
        check_vm_files(&w, "", &tmp.vms[0]);
    sysconf_check_placement(&w, &tmp);
    sysconf_doc_free(&doc);
    return finish(&w, &tmp, out);
}

/* Reads a whole description file, refusing what cannot be one. */
static int read_text(const char *path, char **text, size_t *len, struct sysconf_diags *diags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0) {
        sysconf_diag_add(diags, "", 0, "cannot open: %s", strerror(errno));
        return -STDVMM_ENOENT;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sysconf_diag_add(diags, "", 0, "not a regular file");
        close(fd);
        return -STDVMM_EINVAL;
    }
    if ((uint64_t)st.st_size > SYSCONF_MAX_FILE_SIZE) {
        sysconf_diag_add(diags, "", 0, "%lld bytes; a description may have at most %u",
                         (long long)st.st_size, SYSCONF_MAX_FILE_SIZE);
        close(fd);
        return -STDVMM_E2BIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        sysconf_diag_add(diags, "", 0, "cannot read: %s", buf ? strerror(errno) : "out of memory");
        free(buf);
        return -STDVMM_EIO;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

static enum sysconf_format format_of(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".json") == 0 ? SYSCONF_FORMAT_JSON : SYSCONF_FORMAT_AUTO;
}

/* The directory part of path ("." for a bare file name), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

typedef int (*parse_fn)(const char *, size_t, enum sysconf_format, const char *, unsigned,
                        struct sysconf *, struct sysconf_diags *);

static int load(const char *path, unsigned flags, struct sysconf *out, struct sysconf_diags *diags,
                parse_fn parse)
{
    char *text, *dir;
    size_t len;
    int r = read_text(path, &text, &len, diags);

    if (r < 0)
        return r;
    dir = dir_of(path);
    if (dir == NULL) {
        free(text);
        return -STDVMM_ENOMEM;
    }
    r = parse(text, len, format_of(path), dir, flags, out, diags);
    free(dir);
    free(text);
    return r;
}

int sysconf_load_system(const char *path, unsigned flags, struct sysconf *out,
                        struct sysconf_diags *diags)
{
    return load(path, flags, out, diags, sysconf_parse_system);
}

int sysconf_load_vm(const char *path, unsigned flags, struct sysconf *out,
                    struct sysconf_diags *diags)
{
    return load(path, flags, out, diags, sysconf_parse_vm);
}

void sysconf_free(struct sysconf *cfg)
{
    sysconf_arena_free(cfg->arena);
    memset(cfg, 0, sizeof(*cfg));
}

static void mac_bytes(const char *text, uint8_t out[6])
{
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)strtoul(text + 3 * i, NULL, 16);
}

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
    out->no_reboot = vm->no_reboot;
    out->rng = vm->rng;
    out->placement = vm->placement;
    out->console = vm->virtio_console ? VMM_CONSOLE_VIRTIO : VMM_CONSOLE_SERIAL;
    if (vm->serial_log != NULL) {
        out->serial = VMM_SERIAL_FILE;
        out->serial_path = vm->serial_log;
    }
    _Static_assert(SYSCONF_MAX_DISKS <= VMM_MAX_DISKS, "disks of a description fit the VMM");
    _Static_assert(SYSCONF_MAX_NETS <= VMM_MAX_NETS, "nets of a description fit the VMM");
    _Static_assert(SYSCONF_MAX_HOSTFWDS <= VMM_MAX_HOSTFWDS, "forwards fit the VMM");
    out->disk_count = vm->disk_count;
    for (unsigned i = 0; i < vm->disk_count; i++) {
        out->disks[i].path = vm->disks[i].path;
        out->disks[i].id = vm->disks[i].id;
        out->disks[i].readonly = vm->disks[i].read_only;
        out->disks[i].irq = vm->disks[i].irq;
    }
    out->net_count = vm->net_count;
    for (unsigned i = 0; i < vm->net_count; i++) {
        const struct sysconf_net *n = &vm->nets[i];
        struct vmm_net *o = &out->nets[i];
        memset(o, 0, sizeof(*o));
        o->backend = n->tap ? VMM_NET_TAP : VMM_NET_USER;
        o->tap = n->tap;
        o->has_mac = n->mac != NULL;
        if (n->mac != NULL)
            mac_bytes(n->mac, o->mac);
        o->irq = n->irq;
        o->hostfwd_count = n->hostfwd_count;
        for (unsigned f = 0; f < n->hostfwd_count; f++) {
            o->hostfwds[f].host_port = n->hostfwds[f].host;
            o->hostfwds[f].guest_port = n->hostfwds[f].guest;
        }
    }
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
    if (vm->disk_count != 0) {
        json_t *a = json_array();
        for (unsigned i = 0; a && i < vm->disk_count; i++) {
            json_t *d = json_pack("{s:s, s:b, s:s*}", "path", vm->disks[i].path, "read_only",
                                  vm->disks[i].read_only, "id", vm->disks[i].id);
            r |= set_irq_vcpu(d, &vm->disks[i].irq);
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
            } else {
                json_t *fwds = json_array();
                for (unsigned f = 0; fwds && f < net->hostfwd_count; f++)
                    r |= json_array_append_new(fwds, json_pack("{s:i, s:i}", "host",
                                                               net->hostfwds[f].host, "guest",
                                                               net->hostfwds[f].guest));
                r |= json_object_set_new(n, "user", json_pack("{s:o}", "hostfwd", fwds));
            }
            if (n != NULL && net->mac != NULL)
                r |= set_str(n, "mac", net->mac);
            r |= set_irq_vcpu(n, &net->irq);
            r |= json_array_append_new(a, n);
        }
        r |= json_object_set_new(o, "nets", a);
    }
    if (vm->vsock_cid != 0) {
        json_t *v =
            json_pack("{s:I, s:s*}", "cid", (json_int_t)vm->vsock_cid, "socket", vm->vsock_socket);
        r |= set_irq_vcpu(v, &vm->vsock_irq);
        r |= json_object_set_new(o, "vsock", v);
    }
    r |= json_object_set_new(o, "rng", json_boolean(vm->rng));
    r |= set_str(o, "console", vm->virtio_console ? "virtio" : "serial");
    r |= set_str(o, "serial_log", vm->serial_log);
    r |= json_object_set_new(o, "no_reboot", json_boolean(vm->no_reboot));
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
