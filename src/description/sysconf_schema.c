/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The structure of a system description (sysconf_schema.h): each field's
 * type and range, unknown fields with a suggestion, defaults.
 */
#include "sysconf_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysconf_memory.h"
#include "sysconf_placement.h"
#include "sysconf_util.h"
#include "stdvmm/spelling.h"

static const char *const system_keys[] = {"memory", "vcpus", "max_vms", "host_cpus",
                                          "pools",  "cache", NULL};
static const char *const vm_keys[] = {"name",
                                      "kernel",
                                      "initramfs",
                                      "cmdline",
                                      "cpus",
                                      "memory",
                                      "disks",
                                      "nets",
                                      "vsock",
                                      "rng",
                                      "iommu",
                                      "console",
                                      "serial_log",
                                      "serial_log_max",
                                      "serial_log_rate",
                                      "no_reboot",
                                      "restart",
                                      "autostart",
                                      "instances",
                                      "host_cpus",
                                      "vmm_threads",
                                      "filesystems",
                                      "seccomp",
                                      "jail",
                                      "kernel_format",
                                      "irqchip",
                                      "pmu",
                                      "its",
                                      "sve",
                                      "pauth",
                                      "mte",
                                      "memory_map",
                                      "kernel_addr",
                                      "colours",
                                      "share_colours",
                                      NULL};
static const char *const disk_keys[] = {
    "path",     "vhost_user",      "read_only",          "id",
    "irq_vcpu", "bw_size",         "bw_refill_time",     "bw_one_time_burst",
    "ops_size", "ops_refill_time", "ops_one_time_burst", NULL};
static const char *const fs_keys[] = {"tag", "socket", "irq_vcpu", NULL};
static const char *const net_keys[] = {"network",
                                       "tap",
                                       "vhost",
                                       "user",
                                       "vhost_user",
                                       "mac",
                                       "irq_vcpu",
                                       "bw_size",
                                       "bw_refill_time",
                                       "bw_one_time_burst",
                                       "ops_size",
                                       "ops_refill_time",
                                       "ops_one_time_burst",
                                       NULL};
static const char *const user_keys[] = {"hostfwd", "restrict", NULL};
static const char *const hostfwd_keys[] = {"host", "guest", NULL};
static const char *const vsock_keys[] = {"cid", "socket", "irq_vcpu", NULL};
static const char *const instances_keys[] = {"max", NULL};

/* The same words as stdvmm run's --kernel-format, --irqchip, --pmu, ... (src/core/vm_options.c). */
static void walk_arch_options(struct sysconf_walk *w, const json_t *obj, const char *path,
                              struct vm_arch_options *a)
{
    char sub[SYSCONF_PATH_MAX];
    const char *v = NULL;

    if (sysconf_get_string(w, obj, path, "kernel_format", false, &v) == SYSCONF_OK &&
        !vm_kernel_format_parse(v, &a->kernel_format)) {
        sysconf_path_key(sub, path, "kernel_format");
        sysconf_walk_error(w, sub, "'%s' is not a kernel format: auto, image or raw", v);
    }
    if (sysconf_get_uint(w, obj, path, "kernel_addr", false, 0, UINT64_MAX, &a->kernel_addr) ==
        SYSCONF_OK)
        a->kernel_addr_set = true;
    if (sysconf_get_string(w, obj, path, "irqchip", false, &v) == SYSCONF_OK &&
        !vm_irqchip_parse(v, &a->irqchip)) {
        sysconf_path_key(sub, path, "irqchip");
        sysconf_walk_error(w, sub, "'%s' is not an interrupt controller: auto, gicv2 or gicv3", v);
    }
    const struct {
        const char *key;
        enum vm_feature *field;
    } features[] = {
        {"pmu", &a->pmu},     {"its", &a->its}, {"sve", &a->sve},
        {"pauth", &a->pauth}, {"mte", &a->mte},
    };
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        if (sysconf_get_string(w, obj, path, features[i].key, false, &v) == SYSCONF_OK &&
            !vm_feature_parse(v, features[i].field)) {
            sysconf_path_key(sub, path, features[i].key);
            sysconf_walk_error(w, sub, "'%s' is not a feature setting: auto, on or off", v);
        }
    }
}

#define DEFAULT_CMDLINE "console=ttyS0"
#define DEFAULT_MEMORY (512ull << 20)

static bool valid_tap(const char *s)
{
    size_t n = strlen(s);
    /* IFNAMSIZ is 16 with the terminator; "{n}" may grow by a few digits. */
    if (n == 0 || n > 15 + (strstr(s, SYSCONF_INSTANCE_MARK) ? 3 : 0))
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

/*
 * bw_size, ops_size, ...: a disk's or a network interface's rate limit
 * (rate_limiter.h's names); refused_why: why this device cannot have one
 * (its I/O does not pass through stdvmm), or NULL.
 */
static bool get_rate_limit(struct sysconf_walk *w, const json_t *d, const char *item,
                           const char *refused_why, struct rate_limiter_config *limit)
{
    bool ok = true;
    for (int k = 0; k < RATE_LIMITER_KEYS; k++) {
        bool bytes;
        uint64_t *field = rate_limiter_field(limit, rate_limiter_keys[k], &bytes);
        enum sysconf_got got =
            bytes ? sysconf_get_size(w, d, item, rate_limiter_keys[k], false, field)
                  : sysconf_get_uint(w, d, item, rate_limiter_keys[k], false, 0, UINT64_MAX, field);
        ok = ok && got != SYSCONF_BAD;
    }
    if (!ok)
        return false;
    if (refused_why != NULL && rate_limiter_config_active(limit)) {
        sysconf_walk_error(w, item, "%s", refused_why);
        return false;
    }
    if (!rate_limiter_config_valid(limit)) {
        sysconf_walk_error(w, item,
                           "a rate limit needs its size and its refill time (ms, at most "
                           "an hour) together: bw_size with bw_refill_time, ops_size "
                           "with ops_refill_time; a one_time_burst only beside them");
        return false;
    }
    return true;
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
        bool vhost = json_object_get(d, "vhost_user") != NULL;
        bool ok = vhost ? sysconf_get_string(w, d, item, "vhost_user", true, &disk->vhost_user) ==
                              SYSCONF_OK
                        : sysconf_get_string(w, d, item, "path", true, &disk->path) == SYSCONF_OK;
        sysconf_get_bool(w, d, item, "read_only", false, &disk->read_only);
        if (vhost && (json_object_get(d, "path") != NULL || disk->read_only ||
                      json_object_get(d, "id") != NULL)) {
            sysconf_walk_error(w, item,
                               "a vhost_user disk is the backend's: path, read_only and id are "
                               "set there (qemu-storage-daemon: filename, writable, serial)");
            ok = false;
        }
        ok = get_irq_vcpu(w, d, item, &disk->irq) && ok;
        ok = get_rate_limit(w, d, item,
                            vhost ? "a vhost_user disk's I/O does not pass through stdvmm: "
                                    "rate limits are the backend's"
                                  : NULL,
                            &disk->limit) &&
             ok;
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

/* filesystems: [{tag: share, socket: /run/virtiofsd.sock}] */
static void walk_filesystems(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct sysconf_vm *vm)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];
    const json_t *list = get_list(w, obj, path, "filesystems", SYSCONF_MAX_FS, sub);

    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *f = json_array_get(list, i);
        struct sysconf_fs *fs = &vm->filesystems[vm->fs_count];
        sysconf_path_index(item, sub, i);
        if (!sysconf_expect_object(w, f, item))
            continue;
        sysconf_check_keys(w, f, item, fs_keys);
        bool ok = sysconf_get_string(w, f, item, "tag", true, &fs->tag) == SYSCONF_OK;
        ok = sysconf_get_string(w, f, item, "socket", true, &fs->socket) == SYSCONF_OK && ok;
        ok = get_irq_vcpu(w, f, item, &fs->irq) && ok;
        if (fs->tag != NULL && (fs->tag[0] == '\0' || strlen(fs->tag) > 36)) {
            char field[SYSCONF_PATH_MAX];
            sysconf_path_key(field, item, "tag");
            sysconf_walk_error(w, field, "'%s': a virtio-fs tag has 1 to 36 bytes", fs->tag);
            ok = false;
        }
        if (ok)
            vm->fs_count++;
    }
}

/* user: {restrict: BOOL, hostfwd: [{host: 8080, guest: 80} or "tcp::8080-:80", ...]} */
static bool walk_user(struct sysconf_walk *w, const json_t *user, const char *path,
                      struct sysconf_net *net)
{
    char sub[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];
    bool ok = true;
    uint64_t port;

    if (!sysconf_expect_object(w, user, path))
        return false;
    sysconf_check_keys(w, user, path, user_keys);
    bool restricted = true;
    if (sysconf_get_bool(w, user, path, "restrict", false, &restricted) == SYSCONF_BAD)
        ok = false;
    net->unrestricted = !restricted;
    const json_t *list = get_list(w, user, path, "hostfwd", SYSCONF_MAX_HOSTFWDS, sub);
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *f = json_array_get(list, i);
        struct spelling_hostfwd *fwd = &net->hostfwds[net->hostfwd_count];
        bool good = true;
        sysconf_path_index(item, sub, i);
        if (json_is_string(f)) {
            /* QEMU's spelling: "tcp::5556-:22", "udp:0.0.0.0:53-10.0.2.15:53" */
            good = spelling_parse_hostfwd(json_string_value(f), fwd);
            if (!good)
                sysconf_walk_error(w, item,
                                   "'%s' is not a forward: [tcp|udp]:[HOSTADDR]:HOSTPORT-"
                                   "[GUESTADDR]:GUESTPORT, IPv4 addresses, ports 1-65535",
                                   json_string_value(f));
        } else if (!sysconf_expect_object(w, f, item)) {
            ok = false;
            continue;
        } else {
            /* {host: PORT, guest: PORT}: TCP from the host's loopback to the guest's address */
            spelling_parse_hostfwd("tcp::1-:1", fwd);
            sysconf_check_keys(w, f, item, hostfwd_keys);
            if (sysconf_get_uint(w, f, item, "host", true, 1, 65535, &port) == SYSCONF_OK)
                fwd->host_port = (uint16_t)port;
            else
                good = false;
            if (sysconf_get_uint(w, f, item, "guest", true, 1, 65535, &port) == SYSCONF_OK)
                fwd->guest_port = (uint16_t)port;
            else
                good = false;
        }
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
        enum sysconf_got vhost =
            sysconf_get_string(w, n, item, "vhost_user", false, &net->vhost_user);
        /* Checked against networks[] once the whole description is read (sysconf_networks.c). */
        enum sysconf_got network = sysconf_get_string(w, n, item, "network", false, &net->network);
        unsigned kinds = (tap != SYSCONF_ABSENT) + (user != NULL) + (vhost != SYSCONF_ABSENT) +
                         (network != SYSCONF_ABSENT);
        if (kinds != 1) {
            sysconf_walk_error(w, item,
                               "give one of network: NAME (one of networks[]), tap: IFNAME (a "
                               "host TAP device), user: {} (user-mode NAT) or vhost_user: SOCKET "
                               "(a vhost-user-net backend), not %s",
                               kinds == 0 ? "none" : "several");
            ok = false;
        }
        if (network == SYSCONF_BAD)
            ok = false;
        if (vhost == SYSCONF_BAD || (vhost == SYSCONF_OK && net->vhost_user[0] == '\0'))
            ok = false;
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
        if (sysconf_get_bool(w, n, item, "vhost", false, &net->vhost) == SYSCONF_OK && net->vhost &&
            tap != SYSCONF_OK) {
            sysconf_path_key(field, item, "vhost");
            sysconf_walk_error(w, field, "vhost: true is for tap interfaces only");
            ok = false;
        }
        if (user != NULL) {
            sysconf_path_key(field, item, "user");
            ok = walk_user(w, user, field, net) && ok;
        }
        if (sysconf_get_string(w, n, item, "mac", false, &net->mac) == SYSCONF_OK &&
            !spelling_parse_mac(net->mac, (uint8_t[6]){0})) {
            sysconf_path_key(field, item, "mac");
            sysconf_walk_error(
                w, field, "'%s' is not a unicast MAC address such as 52:54:00:12:34:56", net->mac);
            ok = false;
        }
        ok = get_irq_vcpu(w, n, item, &net->irq) && ok;
        const char *unlimited = NULL;
        if (vhost != SYSCONF_ABSENT)
            unlimited = "a vhost_user interface's frames do not pass through stdvmm: rate limits "
                        "are the backend's";
        else if (net->vhost)
            unlimited = "with vhost: true the kernel moves the frames, not stdvmm: no rate limits";
        ok = get_rate_limit(w, n, item, unlimited, &net->limit) && ok;
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
    sysconf_refuse_colouring(w, obj, path, (const char *const[]){"colours", "share_colours", NULL});

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
        spelling_format_size(vm->memory, have, sizeof(have));
        spelling_format_size(SYSCONF_MIN_MEMORY, need, sizeof(need));
        sysconf_path_key(sub, path, "memory");
        sysconf_walk_error(w, sub, "%s is too little: a Linux guest needs at least %s", have, need);
    }
    sysconf_walk_memory_map(w, obj, path, vm);
    walk_disks(w, obj, path, vm);
    walk_nets(w, obj, path, vm);
    walk_vsock(w, obj, path, vm);
    walk_filesystems(w, obj, path, vm);
    sysconf_get_bool(w, obj, path, "rng", false, &vm->rng);
    sysconf_get_bool(w, obj, path, "iommu", false, &vm->iommu);
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
    if (sysconf_get_size(w, obj, path, "serial_log_max", false, &vm->serial_log_max) ==
            SYSCONF_OK &&
        vm->serial_log_max < 4096) {
        sysconf_path_key(sub, path, "serial_log_max");
        sysconf_walk_error(w, sub, "%llu bytes: a serial log cap is at least 4K",
                           (unsigned long long)vm->serial_log_max);
    }
    if (sysconf_get_size(w, obj, path, "serial_log_rate", false, &vm->serial_log_rate) ==
            SYSCONF_OK &&
        (vm->serial_log_rate < 4096 || vm->serial_log_rate == VMM_SERIAL_RATE_OFF)) {
        sysconf_path_key(sub, path, "serial_log_rate");
        sysconf_walk_error(w, sub, "%llu bytes per second: a console rate limit is at least 4K",
                           (unsigned long long)vm->serial_log_rate);
    }
    sysconf_get_bool(w, obj, path, "no_reboot", false, &vm->no_reboot);
    const char *seccomp = NULL;
    if (sysconf_get_string(w, obj, path, "seccomp", false, &seccomp) == SYSCONF_OK &&
        !host_seccomp_parse_mode(seccomp, &vm->seccomp)) {
        sysconf_path_key(sub, path, "seccomp");
        sysconf_walk_error(w, sub, "'%s' is not a seccomp mode: kill, log or off", seccomp);
    }
    walk_arch_options(w, obj, path, &vm->arch);
    if (sysconf_get_string(w, obj, path, "restart", false, &restart) == SYSCONF_OK &&
        !sysconf_parse_restart(restart, &vm->restart, &vm->restart_max)) {
        sysconf_path_key(sub, path, "restart");
        sysconf_walk_error(w, sub,
                           "'%s' is not a restart policy: never, on-failure, on-failure:N "
                           "(N >= 1) or always",
                           restart);
    }
    sysconf_get_bool(w, obj, path, "autostart", false, &vm->autostart);
    bool jail = true;
    sysconf_get_bool(w, obj, path, "jail", false, &jail);
    vm->no_jail = !jail;
    walk_instances(w, obj, path, vm);
    walk_host_cpus(w, obj, path, &vm->has_host_cpus, &vm->host_cpus);
}

void sysconf_walk_system(struct sysconf_walk *w, const json_t *root, struct sysconf_system *s)
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
    sysconf_refuse_colouring(w, obj, "system", (const char *const[]){"cache", NULL});
    sysconf_get_size(w, obj, "system", "memory", true, &s->memory);
    if (sysconf_get_uint(w, obj, "system", "vcpus", true, 1, 65536, &n) == SYSCONF_OK)
        s->vcpus = (unsigned)n;
    if (sysconf_get_uint(w, obj, "system", "max_vms", false, 1, 4096, &n) == SYSCONF_OK)
        s->max_vms = (unsigned)n;
    walk_host_cpus(w, obj, "system", &s->has_host_cpus, &s->host_cpus);
    sysconf_walk_pools(w, obj, s);
}
