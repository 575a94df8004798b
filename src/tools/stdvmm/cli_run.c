/* SPDX-License-Identifier: BSD-2-Clause */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/host/jail.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/placement.h"
#include "stdvmm/vmm.h"
#include "stdvmm/spelling.h"

void cli_run_usage(FILE *out)
{
    fprintf(out,
            "Usage: stdvmm run --kernel PATH [OPTIONS]\n"
            "       stdvmm run --config FILE [OPTIONS]\n"
            "\n"
            "Boot a Linux guest in a new VM; stdvmm exits when the VM stops.\n"
            "\n"
            "  --kernel PATH        guest kernel (x86_64: bzImage, e.g. Debian's vmlinuz;\n"
            "                       arm64: an Image, or a raw binary entered at its first\n"
            "                       byte 512 KiB into RAM, x0 = device tree)\n"
            "  --kernel-format FMT  arm64: auto (default: the Image magic decides; compressed\n"
            "                       files are refused), image or raw\n"
            "  --kernel-addr GPA    arm64 raw kernels: load and enter at GPA (a program\n"
            "                       linked there), in any RAM region\n"
            "  --initramfs PATH     initial RAM filesystem (cpio, may be compressed)\n"
            "  --cmdline STR        kernel command line (default: \"console=ttyS0\")\n"
            "  --cpus N             number of vCPUs (default 1, at most %d)\n"
            "  --memory SIZE        guest RAM, e.g. 512M or 2G (default 512M)\n"
            "  --memory-map SIZE@GPA[,SIZE@GPA...]\n"
            "                       guest RAM regions at chosen guest-physical addresses,\n"
            "                       holes between them, e.g. 192M@0,256M@1G (x86_64: one\n"
            "                       at 0; aarch64: 2M-aligned, outside 0x08000000-1G);\n"
            "                       --memory defaults to their total\n"
            "  --shared-region name=NAME,gpa=GPA,size=SIZE,fd=N|path=FILE[,access=ro]\n"
            "         [,member=I,members=M,doorbells=FD:FD:...]\n"
            "                       memory shared with other VMs at GPA, outside RAM\n"
            "                       (stdvmmd passes these from shared_regions:; the\n"
            "                       guest finds it through its firmware, docs/memory.md);\n"
            "                       repeatable, at most 8\n"
            "  --serial MODE        console: tty (default), file=PATH, off\n"
            "  --serial-max SIZE    file=PATH rotates to PATH.1 past SIZE (default 16M):\n"
            "                       the guest cannot fill the disk through its console\n"
            "  --serial-rate SIZE|off\n"
            "                       console output per second (default 1M, a second's\n"
            "                       worth at once); more is dropped, and the log says so\n"
            "  --console DEVICE     which device carries it: serial (ttyS0, default) or\n"
            "                       virtio (hvc0; give the guest console=hvc0)\n"
            "  --disk path=FILE[,readonly=on][,id=NAME][,bw_size=SIZE,bw_refill_time=MS]\n"
            "         [,ops_size=N,ops_refill_time=MS]\n"
            "                       raw disk image as virtio-blk (vda, vdb, ... in order);\n"
            "                       repeatable, at most %d\n"
            "  --disk vhost-user=SOCKET\n"
            "                       virtio-blk served by a vhost-user-blk backend, e.g.\n"
            "                       qemu-storage-daemon (docs/virtio.md)\n"
            "  --net user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...\n"
            "         [,restrict=off][,mac=MAC]\n"
            "  --net tap=IFNAME[,vhost=on][,mac=MAC]\n"
            "                       virtio-net over user-mode NAT (libslirp; DHCP gives\n"
            "                       10.0.2.15; restricted: the guest reaches only its\n"
            "                       forwards, restrict=off lets it reach the host's\n"
            "                       network, 10.0.2.2 being the host) or an existing TAP\n"
            "                       interface (vhost=on: the kernel's vhost-net moves the\n"
            "                       frames); repeatable, at most %d. Both take the rate\n"
            "                       limits of --disk (bw_size=, ops_size=, ...), each\n"
            "                       direction its own buckets (not with vhost=on)\n"
            "  --net vhost-user=SOCKET[,mac=MAC]\n"
            "                       virtio-net served by a vhost-user-net backend, e.g.\n"
            "                       stdvmm-switch or dpdk-testpmd (docs/virtio.md)\n"
            "  --vsock cid=N,socket=PATH\n"
            "                       virtio-vsock: host programs connect to PATH and send\n"
            "                       \"CONNECT <port>\\n\"; guest connections to port P go to\n"
            "                       PATH_P\n"
            "  --fs tag=TAG,socket=SOCKET\n"
            "                       virtio-fs served by a vhost-user-fs backend (virtiofsd);\n"
            "                       the guest mounts it with mount -t virtiofs TAG DIR\n"
            "  --rng                virtio-rng (/dev/hwrng) fed from the host's getrandom\n"
            "  --iommu on|off       virtio-iommu in front of the virtio devices (default off;\n"
            "                       the guest needs its driver; not with vhost-user or --fs:\n"
            "                       docs/memory.md)\n"
            "                       --disk, --net, --vsock and --fs also take irq-vcpu=N: the\n"
            "                       vCPU that owns the device's interrupt (docs/multicore.md)\n"
            "  --placement [vcpu=N,]pcpus=LIST[,dedicated][,priority=0-255][,rr]\n"
            "              [,budget=RUNTIME/PERIOD][,weight=1-10000]\n"
            "                       where vCPU N (or every vCPU) runs and how it is scheduled\n"
            "  --vmm-threads LIST   pCPUs of the VMM's own threads (console, devices, API)\n"
            "  --irqchip GIC        arm64: auto (default: GICv3, else GICv2), gicv2 or gicv3\n"
            "  --pmu|--its|--sve|--pauth|--mte auto|on|off\n"
            "                       arm64 features: PMUv3, GICv3 ITS, SVE, pointer\n"
            "                       authentication, MTE. auto (default): given where KVM\n"
            "                       has them (MTE: off); on: required; off: hidden\n"
            "  --no-reboot          a guest reset ends stdvmm (exit 4) instead of rebooting\n"
            "  --name NAME          VM name, used in messages (default \"vm\")\n"
            "  --config FILE        the VM from a single-VM description (YAML or JSON, see\n"
            "                       docs/system-description.md); flags override it\n"
            "  --api-socket PATH    control socket: pause, resume, shutdown, info\n"
            "  --log-level LEVEL    error, warn (default), info or debug\n"
            "  --seccomp MODE       the threads' system call filters: kill (default: a\n"
            "                       forbidden call stops the VMM with SIGSYS and a log\n"
            "                       line), log (allowed, logged by the kernel), off\n"
            "  --jail DIR           (root) jail the VMM: new namespaces, DIR as its root\n"
            "                       holding only what it reaches by path, its own cgroup\n"
            "                       (memory.max, pids.max), rlimits, an unprivileged uid\n"
            "                       and gid and no capabilities (docs/security.md)\n"
            "  --jail-id N          the jail's uid and gid (default %u + pid)\n"
            "  -h, --help           this text\n"
            "\n"
            "On the console, Ctrl-A x stops the VM; Ctrl-A Ctrl-A sends Ctrl-A.\n"
            "\n"
            "Exit status: 0 guest powered off, 1 error, 2 bad usage, 3 guest kernel panic,\n"
            "4 guest reset under --no-reboot, 5 stopped from the host (signal, Ctrl-A x).\n",
            VMM_MAX_CPUS, VMM_MAX_DISKS, VMM_MAX_NETS, HOST_JAIL_ID_BASE);
}

static int parse_serial(const char *arg, struct vmm_config *cfg)
{
    if (strcmp(arg, "tty") == 0) {
        cfg->serial = VMM_SERIAL_TTY;
    } else if (strcmp(arg, "off") == 0) {
        cfg->serial = VMM_SERIAL_OFF;
    } else if (strncmp(arg, "file=", 5) == 0 && arg[5] != '\0') {
        cfg->serial = VMM_SERIAL_FILE;
        cfg->serial_path = arg + 5;
    } else {
        fprintf(stderr, "stdvmm: --serial %s: expected tty, off or file=PATH\n", arg);
        return -1;
    }
    return 0;
}

/*
 * The copies "a=1,b,c=2" option lists were split in: the VM's configuration
 * points into them for the whole run, and keeping them on a list the
 * program can still reach says so (to LeakSanitizer too).
 */
struct kv_copy {
    struct kv_copy *next;
    char text[];
};
static struct kv_copy *kv_copies;

/* Drops the newest copy (the one parse_kv_copy() just made). */
static void kv_copy_free(char *copy)
{
    struct kv_copy *k = kv_copies;
    if (k != NULL && k->text == copy) {
        kv_copies = k->next;
        free(k);
    }
}

/*
 * Splits a copy of arg at commas and hands each key and value (NULL without
 * '=') to fn, which may keep pointers into the copy: on success *copy stays
 * for the whole run; on failure it is freed. A caller that refuses the
 * whole option afterwards frees it with kv_copy_free().
 */
static int parse_kv_copy(const char *opt, const char *arg, void *ctx,
                         int (*fn)(void *ctx, const char *opt, char *key, char *value), char **copy)
{
    size_t len = strlen(arg);
    struct kv_copy *k = malloc(sizeof(*k) + len + 1);
    if (k == NULL)
        return -1;
    memcpy(k->text, arg, len + 1);
    k->next = kv_copies;
    kv_copies = k;
    *copy = k->text;
    for (char *save = NULL, *item = strtok_r(k->text, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq != NULL)
            *eq = '\0';
        if (fn(ctx, opt, item, eq ? eq + 1 : NULL) < 0) {
            kv_copy_free(*copy);
            *copy = NULL;
            return -1;
        }
    }
    return 0;
}

static int bad_item(const char *opt, const char *key, const char *value, const char *expected)
{
    fprintf(stderr, "stdvmm: %s: '%s%s%s': %s\n", opt, key, value ? "=" : "", value ? value : "",
            expected);
    return -1;
}

static bool parse_on_off(const char *value, bool *out)
{
    if (value == NULL || strcmp(value, "on") == 0 || strcmp(value, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}

static bool parse_u32(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long long v;
    if (!placement_parse_uint(s, max, &v, NULL))
        return false;
    *out = (unsigned long)v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    if (s == NULL || !placement_parse_uint(s, UINT64_MAX, &v, NULL))
        return false;
    *out = (uint64_t)v;
    return true;
}

/* irq-vcpu=N: the vCPU the device's interrupt should arrive on (checked against --cpus later). */
static int irq_vcpu_item(const char *opt, const char *key, const char *value,
                         struct vmm_irq_owner *owner)
{
    unsigned long v;
    if (!parse_u32(value, VMM_MAX_CPUS - 1, &v))
        return bad_item(opt, key, value, "expected irq-vcpu=N, a vCPU index");
    owner->set = true;
    owner->vcpu = (unsigned)v;
    return 0;
}

/* bw_size=, ops_refill_time=, ...: one of rate_limiter.h's keys, else bad usage saying `expected`.
 */
static int limit_item(const char *opt, const char *key, const char *value,
                      struct rate_limiter_config *limit, const char *expected)
{
    bool bytes;
    uint64_t *field = rate_limiter_field(limit, key, &bytes);
    if (field == NULL)
        return bad_item(opt, key, value, expected);
    if (value == NULL || (bytes ? !spelling_parse_size(value, field) : !parse_u64(value, field)))
        return bad_item(opt, key, value,
                        bytes ? "expected a size such as 10M" : "expected a whole number");
    return 0;
}

/* Why an option's rate limit cannot be, or NULL. */
static const char *limit_refused(const struct rate_limiter_config *limit)
{
    return rate_limiter_config_valid(limit)
               ? NULL
               : "a rate limit needs its size and its refill time (ms, at most an hour) "
                 "together: bw_size with bw_refill_time, ops_size with ops_refill_time";
}

static int disk_item(void *ctx, const char *opt, char *key, char *value)
{
    struct vmm_disk *d = ctx;
    if (strcmp(key, "path") == 0 && value != NULL && *value != '\0') {
        d->path = value;
    } else if (strcmp(key, "vhost-user") == 0 && value != NULL && *value != '\0') {
        d->vhost_user = value;
    } else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
        if (!parse_on_off(value, &d->readonly))
            return bad_item(opt, key, value, "expected readonly=on or readonly=off");
    } else if (strcmp(key, "id") == 0 && value != NULL) {
        if (strlen(value) > 20)
            return bad_item(opt, key, value, "a disk id has at most 20 characters");
        d->id = value;
    } else if (strcmp(key, "irq-vcpu") == 0) {
        return irq_vcpu_item(opt, key, value, &d->irq);
    } else {
        return limit_item(opt, key, value, &d->limit,
                          "expected path=FILE or vhost-user=SOCKET, readonly=on|off, id=NAME, "
                          "irq-vcpu=N or a rate limit (bw_size=, bw_refill_time=, "
                          "ops_size=, ops_refill_time=, ...)");
    }
    return 0;
}

static int parse_disk(const char *arg, struct vmm_config *cfg)
{
    if (cfg->disk_count >= VMM_MAX_DISKS) {
        fprintf(stderr, "stdvmm: --disk: at most %d disks\n", VMM_MAX_DISKS);
        return -1;
    }
    struct vmm_disk d = {0};
    char *copy;
    if (parse_kv_copy("--disk", arg, &d, disk_item, &copy) < 0)
        return -1;
    const char *why = NULL;
    if ((d.path == NULL) == (d.vhost_user == NULL))
        why = "needs path=FILE or vhost-user=SOCKET (one of them)";
    else if (limit_refused(&d.limit) != NULL)
        why = limit_refused(&d.limit);
    else if (d.vhost_user != NULL && rate_limiter_config_active(&d.limit))
        why = "a vhost-user disk's I/O does not pass through stdvmm: rate limits are the "
              "backend's";
    else if (d.vhost_user != NULL && (d.readonly || d.id != NULL))
        why = "readonly and id are the vhost-user backend's to set (qemu-storage-daemon: "
              "writable=off, serial=)";
    if (why != NULL) {
        fprintf(stderr, "stdvmm: --disk %s: %s\n", arg, why);
        kv_copy_free(copy); /* d's strings pointed into it */
        return -1;
    }
    cfg->disks[cfg->disk_count++] = d;
    return 0;
}

static int net_item(void *ctx, const char *opt, char *key, char *value)
{
    struct vmm_net *n = ctx;
    if (strcmp(key, "user") == 0 && value == NULL) {
        n->backend = VMM_NET_USER;
    } else if (strcmp(key, "tap") == 0 && value != NULL && *value != '\0') {
        if (strlen(value) >= 16)
            return bad_item(opt, key, value, "interface names have at most 15 characters");
        n->backend = VMM_NET_TAP;
        n->tap = value;
    } else if (strcmp(key, "vhost") == 0) {
        if (!parse_on_off(value, &n->vhost))
            return bad_item(opt, key, value, "expected vhost=on or vhost=off");
    } else if (strcmp(key, "vhost-user") == 0 && value != NULL && *value != '\0') {
        n->backend = VMM_NET_VHOST_USER;
        n->vhost_user = value;
    } else if (strcmp(key, "mac") == 0) {
        if (!spelling_parse_mac(value, n->mac))
            return bad_item(opt, key, value, "expected a unicast MAC such as 52:54:00:12:34:56");
        n->has_mac = true;
    } else if (strcmp(key, "hostfwd") == 0) {
        if (n->hostfwd_count >= VMM_MAX_HOSTFWDS)
            return bad_item(opt, key, value, "too many host forwards");
        if (!spelling_parse_hostfwd(value, &n->hostfwds[n->hostfwd_count]))
            return bad_item(opt, key, value,
                            "expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
                            "GUESTPORT (QEMU's; IPv4, ports 1-65535; the host address defaults "
                            "to 127.0.0.1)");
        n->hostfwd_count++;
    } else if (strcmp(key, "restrict") == 0) {
        bool restricted;
        if (!parse_on_off(value, &restricted))
            return bad_item(opt, key, value, "expected restrict=on or restrict=off");
        n->unrestricted = !restricted;
    } else if (strcmp(key, "irq-vcpu") == 0) {
        return irq_vcpu_item(opt, key, value, &n->irq);
    } else {
        return limit_item(opt, key, value, &n->limit,
                          "expected user, tap=IFNAME, vhost=on|off, vhost-user=SOCKET, mac=MAC, "
                          "hostfwd=..., restrict=on|off, irq-vcpu=N or a rate limit "
                          "(bw_size=, bw_refill_time=, ops_size=, ops_refill_time=, ...)");
    }
    return 0;
}

static int parse_net(const char *arg, struct vmm_config *cfg)
{
    if (cfg->net_count >= VMM_MAX_NETS) {
        fprintf(stderr, "stdvmm: --net: at most %d interfaces\n", VMM_MAX_NETS);
        return -1;
    }
    struct vmm_net n = {.backend = VMM_NET_USER};
    if (strncmp(arg, "user", 4) != 0 && strncmp(arg, "tap=", 4) != 0 &&
        strncmp(arg, "vhost-user=", 11) != 0) {
        fprintf(stderr, "stdvmm: --net %s: starts with user, tap=IFNAME or vhost-user=SOCKET\n",
                arg);
        return -1;
    }
    char *copy;
    if (parse_kv_copy("--net", arg, &n, net_item, &copy) < 0)
        return -1;
    if (n.backend != VMM_NET_TAP && n.vhost) {
        fprintf(stderr, "stdvmm: --net %s: vhost=on is for tap=IFNAME only\n", arg);
        kv_copy_free(copy);
        return -1;
    }
    const char *why = NULL;
    if (n.backend != VMM_NET_USER && (n.hostfwd_count > 0 || n.unrestricted))
        why = "hostfwd and restrict are for user networking only";
    else if (limit_refused(&n.limit) != NULL)
        why = limit_refused(&n.limit);
    else if (rate_limiter_config_active(&n.limit) && (n.vhost || n.backend == VMM_NET_VHOST_USER))
        why = n.vhost ? "with vhost=on the kernel moves the frames, not stdvmm: no rate limits "
                        "(leave vhost off to limit this interface)"
                      : "a vhost-user interface's frames do not pass through stdvmm: rate "
                        "limits are the backend's";
    if (why != NULL) {
        fprintf(stderr, "stdvmm: --net %s: %s\n", arg, why);
        kv_copy_free(copy);
        return -1;
    }
    cfg->nets[cfg->net_count++] = n;
    return 0;
}

static int vsock_item(void *ctx, const char *opt, char *key, char *value)
{
    struct vmm_vsock *v = ctx;
    unsigned long cid;
    if (strcmp(key, "cid") == 0) {
        if (!parse_u32(value, 0xfffffffeul, &cid) || cid < 3)
            return bad_item(opt, key, value, "expected a context ID from 3 to 4294967294");
        v->cid = (uint32_t)cid;
    } else if (strcmp(key, "socket") == 0 && value != NULL && *value != '\0') {
        v->socket = value;
    } else if (strcmp(key, "irq-vcpu") == 0) {
        return irq_vcpu_item(opt, key, value, &v->irq);
    } else {
        return bad_item(opt, key, value, "expected cid=N, socket=PATH and irq-vcpu=N");
    }
    return 0;
}

static int fs_item(void *ctx, const char *opt, char *key, char *value)
{
    struct vmm_fs *f = ctx;
    if (strcmp(key, "tag") == 0 && value != NULL && *value != '\0') {
        if (strlen(value) > 36)
            return bad_item(opt, key, value, "a virtio-fs tag has at most 36 bytes");
        f->tag = value;
    } else if (strcmp(key, "socket") == 0 && value != NULL && *value != '\0') {
        f->socket = value;
    } else if (strcmp(key, "irq-vcpu") == 0) {
        return irq_vcpu_item(opt, key, value, &f->irq);
    } else {
        return bad_item(opt, key, value, "expected tag=TAG, socket=SOCKET and irq-vcpu=N");
    }
    return 0;
}

static int parse_fs(const char *arg, struct vmm_config *cfg)
{
    if (cfg->fs_count >= VMM_MAX_FS) {
        fprintf(stderr, "stdvmm: --fs: at most %d file systems\n", VMM_MAX_FS);
        return -1;
    }
    struct vmm_fs f = {0};
    char *copy;
    if (parse_kv_copy("--fs", arg, &f, fs_item, &copy) < 0)
        return -1;
    if (f.tag == NULL || f.socket == NULL) {
        fprintf(stderr, "stdvmm: --fs %s: needs tag=TAG and socket=SOCKET\n", arg);
        kv_copy_free(copy);
        return -1;
    }
    cfg->fs[cfg->fs_count++] = f;
    return 0;
}

static int parse_vsock(const char *arg, struct vmm_config *cfg)
{
    struct vmm_vsock v = {.enabled = true};
    char *copy;
    if (parse_kv_copy("--vsock", arg, &v, vsock_item, &copy) < 0)
        return -1;
    if (v.cid == 0 || v.socket == NULL) {
        fprintf(stderr, "stdvmm: --vsock %s: needs cid=N and socket=PATH\n", arg);
        kv_copy_free(copy);
        return -1;
    }
    cfg->vsock = v;
    return 0;
}

static int parse_log_level(const char *arg, enum stdvmm_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *out = (enum stdvmm_log_level)i;
            return 0;
        }
    }
    fprintf(stderr, "stdvmm: --log-level %s: expected error, warn, info or debug\n", arg);
    return -1;
}

/* --memory-map SIZE@GPA[,SIZE@GPA...]; the arch's limits are checked with the rest of the config.
 */
static int parse_memory_map(const char *arg, struct vmm_config *cfg)
{
    char buf[512];
    unsigned n = 0;

    if (strlen(arg) >= sizeof(buf))
        goto bad;
    strcpy(buf, arg);
    /* Every comma separates two regions: an empty one is a mistake, not nothing. */
    for (char *item = buf, *next; item != NULL; item = next) {
        next = strchr(item, ',');
        if (next != NULL)
            *next++ = '\0';
        char *at = strchr(item, '@');
        if (at == NULL || n == MEMMAP_MAX_REGIONS)
            goto bad;
        *at = '\0';
        if (!spelling_parse_size(item, &cfg->memory_map[n].size) ||
            !spelling_parse_size(at + 1, &cfg->memory_map[n].gpa))
            goto bad;
        n++;
    }
    if (n == 0)
        goto bad;
    cfg->memory_map_count = n;
    return 0;
bad:
    fprintf(stderr,
            "stdvmm: --memory-map %s: expected 1 to %d regions SIZE@GPA separated by commas, "
            "such as 192M@0,256M@1G\n",
            arg, MEMMAP_MAX_REGIONS);
    return -1;
}

/* doorbells=FD:FD:...: one eventfd per member, in member order. */
static bool parse_doorbells(char *value, struct vmm_shared_region *r)
{
    unsigned n = 0;
    for (char *save = NULL, *fd = strtok_r(value, ":", &save); fd != NULL;
         fd = strtok_r(NULL, ":", &save)) {
        unsigned long v;
        if (n == VMM_MAX_SHARED_MEMBERS || !parse_u32(fd, INT32_MAX, &v))
            return false;
        r->doorbells[n++] = (int)v;
    }
    r->doorbell_count = n;
    return n != 0;
}

static int shared_item(void *ctx, const char *opt, char *key, char *value)
{
    struct vmm_shared_region *r = ctx;
    unsigned long v;
    if (strcmp(key, "name") == 0 && value != NULL && *value != '\0') {
        r->name = value;
    } else if (strcmp(key, "gpa") == 0 || strcmp(key, "size") == 0) {
        if (!spelling_parse_size(value, strcmp(key, "gpa") == 0 ? &r->gpa : &r->size))
            return bad_item(opt, key, value, "expected an address or size such as 4G or 0x1000");
    } else if (strcmp(key, "fd") == 0) {
        if (!parse_u32(value, INT32_MAX, &v))
            return bad_item(opt, key, value, "expected fd=N, an inherited descriptor");
        r->fd = (int)v;
    } else if (strcmp(key, "path") == 0 && value != NULL && *value != '\0') {
        r->path = value;
    } else if (strcmp(key, "access") == 0) {
        if (value == NULL || (strcmp(value, "rw") != 0 && strcmp(value, "ro") != 0))
            return bad_item(opt, key, value, "expected access=rw or access=ro");
        r->read_only = strcmp(value, "ro") == 0;
    } else if (strcmp(key, "member") == 0 || strcmp(key, "members") == 0) {
        if (!parse_u32(value, VMM_MAX_SHARED_MEMBERS, &v))
            return bad_item(opt, key, value, "expected a member index or count");
        *(strcmp(key, "member") == 0 ? &r->member : &r->members) = (unsigned)v;
    } else if (strcmp(key, "doorbells") == 0) {
        if (value == NULL || !parse_doorbells(value, r))
            return bad_item(opt, key, value,
                            "expected doorbells=FD:FD:..., an eventfd per member in order");
    } else {
        return bad_item(opt, key, value,
                        "expected name=, gpa=, size=, fd=N or path=FILE, access=rw|ro, "
                        "member=, members=, doorbells=FD:FD:...");
    }
    return 0;
}

/*
 * --shared-region name=N,gpa=A,size=S,fd=K|path=P[,access=ro][,member=I,members=M]
 * [,doorbells=F0:F1:...]: what stdvmmd hands each member VMM; the rest is
 * checked with the whole configuration.
 */
static int parse_shared_region(const char *arg, struct vmm_config *cfg)
{
    if (cfg->shared_count >= VMM_MAX_SHARED) {
        fprintf(stderr, "stdvmm: --shared-region: at most %d regions\n", VMM_MAX_SHARED);
        return -1;
    }
    struct vmm_shared_region r = {.fd = -1, .members = 1};
    char *copy;
    if (parse_kv_copy("--shared-region", arg, &r, shared_item, &copy) < 0)
        return -1;
    cfg->shared[cfg->shared_count++] = r;
    return 0;
}

int cli_run(int argc, char **argv)
{
    enum {
        OPT_KERNEL = 256,
        OPT_INITRAMFS,
        OPT_CMDLINE,
        OPT_CPUS,
        OPT_MEMORY,
        OPT_SERIAL,
        OPT_SERIAL_MAX,
        OPT_SERIAL_RATE,
        OPT_NO_REBOOT,
        OPT_NAME,
        OPT_LOG_LEVEL,
        OPT_CONFIG,
        OPT_API_SOCKET,
        OPT_CONSOLE,
        OPT_DISK,
        OPT_NET,
        OPT_VSOCK,
        OPT_FS,
        OPT_RNG,
        OPT_IOMMU,
        OPT_PLACEMENT,
        OPT_VMM_THREADS,
        OPT_SECCOMP,
        OPT_JAIL,
        OPT_JAIL_ID,
        OPT_KERNEL_FORMAT,
        OPT_IRQCHIP,
        OPT_PMU,
        OPT_ITS,
        OPT_SVE,
        OPT_PAUTH,
        OPT_MTE,
        OPT_MEMORY_MAP,
        OPT_KERNEL_ADDR,
        OPT_SHARED_REGION
    };
    static const struct option options[] = {
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initramfs", required_argument, NULL, OPT_INITRAMFS},
        {"cmdline", required_argument, NULL, OPT_CMDLINE},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"memory-map", required_argument, NULL, OPT_MEMORY_MAP},
        {"shared-region", required_argument, NULL, OPT_SHARED_REGION},
        {"serial", required_argument, NULL, OPT_SERIAL},
        {"serial-max", required_argument, NULL, OPT_SERIAL_MAX},
        {"serial-rate", required_argument, NULL, OPT_SERIAL_RATE},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"name", required_argument, NULL, OPT_NAME},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"api-socket", required_argument, NULL, OPT_API_SOCKET},
        {"console", required_argument, NULL, OPT_CONSOLE},
        {"disk", required_argument, NULL, OPT_DISK},
        {"net", required_argument, NULL, OPT_NET},
        {"vsock", required_argument, NULL, OPT_VSOCK},
        {"fs", required_argument, NULL, OPT_FS},
        {"rng", no_argument, NULL, OPT_RNG},
        {"iommu", required_argument, NULL, OPT_IOMMU},
        {"placement", required_argument, NULL, OPT_PLACEMENT},
        {"vmm-threads", required_argument, NULL, OPT_VMM_THREADS},
        {"seccomp", required_argument, NULL, OPT_SECCOMP},
        {"jail", required_argument, NULL, OPT_JAIL},
        {"jail-id", required_argument, NULL, OPT_JAIL_ID},
        {"kernel-format", required_argument, NULL, OPT_KERNEL_FORMAT},
        {"kernel-addr", required_argument, NULL, OPT_KERNEL_ADDR},
        {"irqchip", required_argument, NULL, OPT_IRQCHIP},
        {"pmu", required_argument, NULL, OPT_PMU},
        {"its", required_argument, NULL, OPT_ITS},
        {"sve", required_argument, NULL, OPT_SVE},
        {"pauth", required_argument, NULL, OPT_PAUTH},
        {"mte", required_argument, NULL, OPT_MTE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vmm_config cfg = {
        .name = "vm",
        .cmdline = "console=ttyS0",
        .cpus = 1,
        .memory = 512ull << 20,
        .serial = VMM_SERIAL_TTY,
    };
    enum stdvmm_log_level level = STDVMM_LOG_WARN;
    bool memory_given = false;
    int opt;

    /* The file first, so that every flag overrides it whatever the order. */
    const char *config = cli_config_find(argc, argv);
    if (config != NULL && cli_config_load(config, &cfg) != 0)
        return VMM_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case OPT_KERNEL: cfg.kernel = optarg; break;
        case OPT_INITRAMFS: cfg.initramfs = optarg; break;
        case OPT_CMDLINE: cfg.cmdline = optarg; break;
        case OPT_CPUS: {
            unsigned long long n;
            if (!placement_parse_uint(optarg, VMM_MAX_CPUS, &n, NULL) || n == 0) {
                fprintf(stderr, "stdvmm: --cpus %s: expected a number from 1 to %d\n", optarg,
                        VMM_MAX_CPUS);
                return VMM_EXIT_USAGE;
            }
            cfg.cpus = (unsigned)n;
            break;
        }
        case OPT_MEMORY:
            if (!spelling_parse_size(optarg, &cfg.memory)) {
                fprintf(stderr, "stdvmm: --memory %s: expected a size such as 512M or 2G\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            memory_given = true;
            break;
        case OPT_MEMORY_MAP:
            if (parse_memory_map(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_SHARED_REGION:
            if (parse_shared_region(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_SERIAL:
            if (parse_serial(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_SERIAL_MAX:
            if (!spelling_parse_size(optarg, &cfg.serial_max) || cfg.serial_max < 4096) {
                fprintf(stderr, "stdvmm: --serial-max %s: expected a size of at least 4K, such "
                                "as 16M\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_SERIAL_RATE:
            if (strcmp(optarg, "off") == 0) {
                cfg.serial_rate = VMM_SERIAL_RATE_OFF;
            } else if (!spelling_parse_size(optarg, &cfg.serial_rate) || cfg.serial_rate < 1024 ||
                       cfg.serial_rate == VMM_SERIAL_RATE_OFF) {
                fprintf(stderr,
                        "stdvmm: --serial-rate %s: expected bytes per second, at least "
                        "1K, such as 1M, or off\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_NO_REBOOT: cfg.no_reboot = true; break;
        case OPT_NAME: cfg.name = optarg; break;
        case OPT_LOG_LEVEL:
            if (parse_log_level(optarg, &level) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_CONFIG:
            if (optarg != config) {
                fprintf(stderr, "stdvmm run: give --config once, spelled in full\n");
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_API_SOCKET: cfg.api_socket = optarg; break;
        case OPT_CONSOLE:
            if (strcmp(optarg, "serial") == 0) {
                cfg.console = VMM_CONSOLE_SERIAL;
            } else if (strcmp(optarg, "virtio") == 0) {
                cfg.console = VMM_CONSOLE_VIRTIO;
            } else {
                fprintf(stderr, "stdvmm: --console %s: expected serial or virtio\n", optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_DISK:
            if (parse_disk(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_NET:
            if (parse_net(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_VSOCK:
            if (parse_vsock(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_FS:
            if (parse_fs(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_RNG: cfg.rng = true; break;
        case OPT_IOMMU:
            if (!parse_on_off(optarg, &cfg.iommu)) {
                fprintf(stderr, "stdvmm: --iommu %s: expected on or off\n", optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_PLACEMENT:
        case OPT_VMM_THREADS:
            if (cli_placement_option(&cfg, opt == OPT_PLACEMENT ? "--placement" : "--vmm-threads",
                                     optarg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_SECCOMP:
            if (!host_seccomp_parse_mode(optarg, &cfg.seccomp)) {
                fprintf(stderr, "stdvmm: --seccomp %s: expected kill, log or off\n", optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_JAIL:
            if (optarg[0] != '/') {
                fprintf(stderr, "stdvmm: --jail %s: give an absolute path\n", optarg);
                return VMM_EXIT_USAGE;
            }
            cfg.jail = optarg;
            break;
        case OPT_JAIL_ID: {
            unsigned long long n;
            if (!placement_parse_uint(optarg, 0xfffffffeu, &n, NULL) || n == 0) {
                fprintf(stderr, "stdvmm: --jail-id %s: expected a uid from 1 to 4294967294\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            cfg.jail_id = (unsigned)n;
            break;
        }
        case OPT_KERNEL_FORMAT:
            if (!vm_kernel_format_parse(optarg, &cfg.arch.kernel_format)) {
                fprintf(stderr, "stdvmm: --kernel-format %s: expected auto, image or raw\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_KERNEL_ADDR:
            if (!spelling_parse_size(optarg, &cfg.arch.kernel_addr)) {
                fprintf(stderr,
                        "stdvmm: --kernel-addr %s: expected a guest-physical address "
                        "such as 0x40200000\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            cfg.arch.kernel_addr_set = true;
            break;
        case OPT_IRQCHIP:
            if (!vm_irqchip_parse(optarg, &cfg.arch.irqchip)) {
                fprintf(stderr, "stdvmm: --irqchip %s: expected auto, gicv2 or gicv3\n", optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_PMU:
        case OPT_ITS:
        case OPT_SVE:
        case OPT_PAUTH:
        case OPT_MTE: {
            enum vm_feature *f = opt == OPT_PMU     ? &cfg.arch.pmu
                                 : opt == OPT_ITS   ? &cfg.arch.its
                                 : opt == OPT_SVE   ? &cfg.arch.sve
                                 : opt == OPT_PAUTH ? &cfg.arch.pauth
                                                    : &cfg.arch.mte;
            if (!vm_feature_parse(optarg, f)) {
                fprintf(stderr, "stdvmm: --%s %s: expected auto, on or off\n",
                        opt == OPT_PMU     ? "pmu"
                        : opt == OPT_ITS   ? "its"
                        : opt == OPT_SVE   ? "sve"
                        : opt == OPT_PAUTH ? "pauth"
                                           : "mte",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        }
        case 'h': cli_run_usage(stdout); return 0;
        default: cli_run_usage(stderr); return VMM_EXIT_USAGE;
        }
    }
    /* A file's map came with its total; one given here sets it unless --memory says otherwise. */
    if (cfg.memory_map_count != 0 && !memory_given)
        cfg.memory = memmap_total(cfg.memory_map, cfg.memory_map_count);
    if (optind < argc) {
        fprintf(stderr, "stdvmm run: unexpected argument '%s'\n", argv[optind]);
        return VMM_EXIT_USAGE;
    }
    if (cfg.kernel == NULL) {
        fprintf(stderr, "stdvmm run: --kernel PATH is required (try 'stdvmm run --help')\n");
        return VMM_EXIT_USAGE;
    }
    host_clock_start();
    host_log_set_level(level);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "stdvmm[%s]", cfg.name);
    host_log_set_prefix(prefix);
    return vmm_run(&cfg);
}
