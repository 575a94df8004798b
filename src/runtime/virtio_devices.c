/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wires the portable virtio device models to Linux: one event loop thread
 * per device runs its queues when the guest's QueueNotify write signals the
 * device's ioeventfd (KVM completes that write in the kernel, no exit to
 * stdvmm), and the device raises its interrupt through an irqfd, from
 * whichever thread finished the work. Device order fixes the MMIO window
 * and interrupt of each device, so the guest sees the same vda, vdb, eth0
 * on every boot: console, rng, disks, network interfaces, vsock, file systems.
 *
 * A vhost-user device (--disk vhost-user=, --fs) is served by another
 * process: guest RAM is then a shared memfd, each queue's QueueNotify
 * value has its own ioeventfd that the backend polls, and the device's
 * loop relays the backend's calls into the interrupt (docs/virtio.md).
 */
#include "virtio_devices.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdvmm/arch.h"
#include "stdvmm/backends/blk_file.h"
#include "stdvmm/backends/net_slirp.h"
#include "stdvmm/backends/net_tap.h"
#include "stdvmm/backends/rng_getrandom.h"
#include "stdvmm/backends/vhost_net.h"
#include "stdvmm/backends/vhost_user_dev.h"
#include "stdvmm/backends/vsock_unix.h"
#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/devices/virtio_console.h"
#include "stdvmm/devices/virtio_iommu.h"
#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/devices/virtio_rng.h"
#include "stdvmm/devices/virtio_vsock.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"
#include "vcpu_park.h"

#define MAX_VIRTIO_DEVICES MACHINE_MAX_VIRTIO

/*
 * What stdvmm passes on from a backend's offer: the ring layouts the
 * transport handles (split rings, no NOTIFICATION_DATA, so QueueNotify
 * carries just the index its ioeventfds match) and, for blk, the device
 * bits whose config fields this frontend reads as the backend gave them;
 * not CONFIG_WCE, whose config writes it does not forward.
 */
#define VHOST_RING_FEATURES                                                                        \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |                         \
     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))
#define BLK_VHOST_FEATURES                                                                         \
    (VHOST_RING_FEATURES | VIRTIO_BIT(1) /* SIZE_MAX */ | VIRTIO_BIT(2) /* SEG_MAX */ |            \
     VIRTIO_BIT(4) /* GEOMETRY */ | VIRTIO_BIT(5) /* RO */ | VIRTIO_BIT(6) /* BLK_SIZE */ |        \
     VIRTIO_BIT(9) /* FLUSH */ | VIRTIO_BIT(10) /* TOPOLOGY */ | VIRTIO_BIT(12) /* MQ */ |         \
     VIRTIO_BIT(13) /* DISCARD */ | VIRTIO_BIT(14) /* WRITE_ZEROES */)
#define FS_VHOST_FEATURES VHOST_RING_FEATURES
/*
 * net: mergeable receive buffers, nothing else of the backend's (no
 * offloads, control queue or multiqueue); MAC and STATUS are stdvmm's own,
 * from the config space it fills in (backends such as DPDK refuse them).
 */
#define NET_VHOST_FEATURES (VHOST_RING_FEATURES | VIRTIO_BIT(15) /* MRG_RXBUF */)
#define NET_LOCAL_FEATURES (VIRTIO_BIT(5) /* MAC */ | VIRTIO_BIT(16) /* STATUS */)
#define NET_CONFIG_SIZE 10u /* mac, status, max_virtqueue_pairs */
#define NET_STATUS_LINK_UP 1u
#define VIRTIO_FS_TAG_MAX 36

#define VHOST_NET_SLOT(i) (VMM_MAX_DISKS + VMM_MAX_FS + (i))

/* A network interface's host side, opened for the whole run. */
struct net_host {
    enum vmm_net_backend kind;
    struct net_tap tap;
    struct vhost_net *vhost; /* tap with vhost=on where the host has vhost-net; NULL otherwise */
    struct net_slirp slirp;
    char name[16];
};

/* One device of this boot: the machine's description of it, and its Linux side. */
struct vdev {
    struct machine_virtio mv;
    struct vmm_virtio *v;
    unsigned index; /* disk or interface number */
    struct vm *vm;
    /* The port's doorbells; their handles are file descriptors on a Linux host. */
    hv_notifier_t notify; /* ioeventfd: guest wrote QueueNotify */
    hv_notifier_t irq;    /* irqfd: raise the interrupt; handle -1: KVM_IRQ_LINE pulses */
    bool notify_wired, irq_wired; /* given to the VM, to be removed at teardown */
    struct host_loop loop;
    bool loop_ready;
    /* Takes the backend off the device (its loop has stopped); NULL: nothing attached. */
    void (*detach)(struct vdev *d);
    struct vmm_irq_owner owner;
    /*
     * The model's own tables, for the kinds that take them from the caller
     * (a disk's requests, vsock's connections): this boot's, like the model.
     */
    void *storage;
    /* vhost-user: a doorbell per queue, matched on the QueueNotify value; NULL otherwise. */
    struct vhost_user_dev *vhu;
    hv_notifier_t kicks[VIRTIO_MAX_QUEUES];
    unsigned kicks_wired;
    atomic_bool route_pending; /* DRIVER_OK seen; the worker routes the interrupt */
    atomic_int routed_to;      /* the vCPU stdvmm routed it to; -1: not routed */
};

struct vmm_virtio {
    const struct vmm_config *cfg;
    struct vcpu_park *park; /* this boot's, for routing interrupts on Arm */
    struct blk_file *disks; /* cfg->disk_count, opened for the whole run */
    unsigned disks_open;
    struct net_host *nets[VMM_MAX_NETS];
    struct vsock_unix *vsock; /* its listening socket lives for the whole run */
    /*
     * vhost-user backends, connected for the whole run: disks by index, then
     * file systems, then network interfaces (VHOST_NET_SLOT).
     */
    struct vhost_user_dev *vhost[VMM_MAX_DISKS + VMM_MAX_FS + VMM_MAX_NETS];
    struct machine *machine; /* this boot's */
    const int *ram_fds;      /* this boot's guest RAM memfds, in machine RAM order */
    struct vdev devs[MAX_VIRTIO_DEVICES];
    unsigned dev_count;
    struct virtio_console *console; /* this boot's, when running */
    struct viommu *iommu;           /* this boot's, with cfg->iommu: the others' endpoints */
    uint32_t endpoints;             /* endpoint IDs given so far this boot */
    /*
     * The IOMMU's tables, only with cfg->iommu: a domain per endpoint (the
     * most a driver can use) of VIOMMU_DEFAULT_MAPPINGS each. Allocated for
     * the whole run; each boot's model starts them empty.
     */
    struct viommu_domain *iommu_domains;
    struct iommu_mapping *iommu_mappings;
    unsigned iommu_max_domains;
    /*
     * Allocated for the whole run, unlike the other models: the console's
     * input thread outlives a reboot and may still hold the pointer.
     */
    struct virtio_console *console_model;
    char serials[VMM_MAX_DISKS][VIRTIO_BLK_ID_BYTES + 1];
};

static bool irq_owner_ok(const struct vmm_irq_owner *o, unsigned cpus, const char *what, int index)
{
    if (!o->set || o->vcpu < cpus || cpus == 0) /* cpus == 0 is refused elsewhere */
        return true;
    if (index >= 0)
        LOG_ERR("%s %d: irq-vcpu=%u, but the VM has vCPUs 0 to %u only", what, index, o->vcpu,
                cpus - 1);
    else
        LOG_ERR("%s: irq-vcpu=%u, but the VM has vCPUs 0 to %u only", what, o->vcpu, cpus - 1);
    return false;
}

/* A disk is an image stdvmm serves or a vhost-user backend's, and the backend owns its identity. */
static bool disk_ok(const struct vmm_disk *d, unsigned i)
{
    bool path = d->path != NULL && d->path[0] != '\0';
    bool vhost = d->vhost_user != NULL && d->vhost_user[0] != '\0';

    if (path == vhost) {
        LOG_ERR("disk %u needs either path=FILE or vhost-user=SOCKET", i);
        return false;
    }
    if (vhost && (d->readonly || d->id != NULL)) {
        LOG_ERR("disk %u: readonly and id belong to the vhost-user backend (e.g. "
                "qemu-storage-daemon's writable=off and serial=), not to stdvmm",
                i);
        return false;
    }
    return true;
}

/*
 * stdvmm's own device models translate through the virtio-iommu, the
 * kernel's vhost-net through its IOTLB, and a vhost-user backend through
 * the IOTLB it keeps with VHOST_USER_IOTLB_MSG: a backend without one is
 * refused when it is opened (vhost_user_dev.c), as it would reach guest
 * memory outside the IOMMU.
 */
static bool iommu_ok(const struct vmm_config *cfg)
{
    (void)cfg;
    if (!arch_platform()->iommu_described) {
        LOG_ERR("--iommu on: this architecture's firmware tables cannot describe a "
                "virtio-iommu");
        return false;
    }
    return true;
}

bool vmm_virtio_shared_ram(const struct vmm_config *cfg)
{
    for (unsigned i = 0; i < cfg->disk_count && i < VMM_MAX_DISKS; i++)
        if (cfg->disks[i].vhost_user != NULL)
            return true;
    for (unsigned i = 0; i < cfg->net_count && i < VMM_MAX_NETS; i++)
        if (cfg->nets[i].backend == VMM_NET_VHOST_USER)
            return true;
    return cfg->fs_count > 0;
}

/* The virtio devices besides the IOMMU: with it, its endpoints. */
static unsigned endpoint_count(const struct vmm_config *cfg)
{
    return (cfg->console == VMM_CONSOLE_VIRTIO) + cfg->rng + cfg->disk_count + cfg->net_count +
           cfg->vsock.enabled + cfg->fs_count;
}

int vmm_virtio_config_check(const struct vmm_config *cfg)
{
    int bad = 0;
    unsigned count = endpoint_count(cfg) + cfg->iommu;

    if (cfg->disk_count > VMM_MAX_DISKS || cfg->net_count > VMM_MAX_NETS ||
        cfg->fs_count > VMM_MAX_FS) {
        LOG_ERR("at most %d disks, %d network interfaces and %d file systems", VMM_MAX_DISKS,
                VMM_MAX_NETS, VMM_MAX_FS);
        bad = 1;
    } else if (count > MAX_VIRTIO_DEVICES) {
        LOG_ERR("%u virtio devices: at most %d fit the interrupt lines", count,
                MAX_VIRTIO_DEVICES);
        bad = 1;
    }
    for (unsigned i = 0; i < cfg->disk_count && i < VMM_MAX_DISKS; i++)
        bad |= !disk_ok(&cfg->disks[i], i);
    if (cfg->iommu && !iommu_ok(cfg))
        bad = 1;
    for (unsigned i = 0; i < cfg->fs_count && i < VMM_MAX_FS; i++) {
        const struct vmm_fs *f = &cfg->fs[i];
        if (f->tag == NULL || f->tag[0] == '\0' || strlen(f->tag) > VIRTIO_FS_TAG_MAX ||
            f->socket == NULL || f->socket[0] == '\0') {
            LOG_ERR("file system %u needs tag=TAG (1 to %d bytes) and socket=PATH", i,
                    VIRTIO_FS_TAG_MAX);
            bad = 1;
        }
        bad |= !irq_owner_ok(&f->irq, cfg->cpus, "file system", (int)i);
    }
    for (unsigned i = 0; i < cfg->net_count && i < VMM_MAX_NETS; i++) {
        const struct vmm_net *n = &cfg->nets[i];
        if (n->backend == VMM_NET_TAP && (n->tap == NULL || n->tap[0] == '\0')) {
            LOG_ERR("network interface %u: tap needs an interface name", i);
            bad = 1;
        }
        if (n->backend == VMM_NET_VHOST_USER &&
            (n->vhost_user == NULL || n->vhost_user[0] == '\0')) {
            LOG_ERR("network interface %u: vhost-user needs the backend's socket", i);
            bad = 1;
        }
        if (n->backend == VMM_NET_USER && !net_slirp_available()) {
            LOG_ERR("network interface %u: user networking needs libslirp, which this stdvmm "
                    "was built without; use tap=IFNAME",
                    i);
            bad = 1;
        }
        if (!rate_limiter_config_valid(&n->limit)) {
            LOG_ERR("network interface %u: a rate limit needs its size and its refill time "
                    "(ms, at most an hour) together",
                    i);
            bad = 1;
        } else if (rate_limiter_config_active(&n->limit) &&
                   (n->backend == VMM_NET_VHOST_USER || n->vhost)) {
            LOG_ERR("network interface %u: its frames do not pass through stdvmm (%s), so it "
                    "cannot rate-limit them",
                    i, n->vhost ? "vhost-net" : "vhost-user");
            bad = 1;
        }
        if (n->hostfwd_count > VMM_MAX_HOSTFWDS ||
            (n->backend != VMM_NET_USER && n->hostfwd_count != 0)) {
            LOG_ERR("network interface %u: host forwards are for user networking only, at most %d",
                    i, VMM_MAX_HOSTFWDS);
            bad = 1;
        }
    }
    for (unsigned i = 0; i < cfg->disk_count && i < VMM_MAX_DISKS; i++)
        bad |= !irq_owner_ok(&cfg->disks[i].irq, cfg->cpus, "disk", (int)i);
    for (unsigned i = 0; i < cfg->net_count && i < VMM_MAX_NETS; i++)
        bad |= !irq_owner_ok(&cfg->nets[i].irq, cfg->cpus, "network interface", (int)i);
    if (cfg->vsock.enabled)
        bad |= !irq_owner_ok(&cfg->vsock.irq, cfg->cpus, "vsock", -1);
    if (cfg->vsock.enabled) {
        if (cfg->vsock.cid < 3 || cfg->vsock.cid == 0xffffffffu) {
            LOG_ERR("vsock: guest CID %u is reserved; use 3 or more", cfg->vsock.cid);
            bad = 1;
        }
        /* Guest connections to port P go to "<socket>_P": that must fit too. */
        if (cfg->vsock.socket == NULL || strlen(cfg->vsock.socket) + 11 >= VSOCK_UNIX_PATH_MAX) {
            LOG_ERR("vsock: socket path missing or longer than %d bytes", VSOCK_UNIX_PATH_MAX - 12);
            bad = 1;
        }
    }
    return bad ? -STDVMM_EINVAL : 0;
}

static void derive_mac(const char *vm_name, unsigned index, uint8_t mac[6]);
static int open_vhost(struct vmm_virtio *v, unsigned slot, const char *name, const char *socket,
                      uint32_t device_id, uint64_t wanted);

/* The MAC the guest sees: given, or derived so it stays the same across runs. */
static void net_mac(const struct vmm_virtio *v, unsigned i, uint8_t mac[6])
{
    if (v->cfg->nets[i].has_mac)
        memcpy(mac, v->cfg->nets[i].mac, 6);
    else
        derive_mac(v->cfg->name, i, mac);
}

static int open_net(struct vmm_virtio *v, unsigned i)
{
    const struct vmm_net *cfg = &v->cfg->nets[i];
    struct net_host *n = calloc(1, sizeof(*n));

    if (n == NULL)
        return -STDVMM_ENOMEM;
    v->nets[i] = n;
    n->kind = cfg->backend;
    snprintf(n->name, sizeof(n->name), "net%u", i);
    if (cfg->backend == VMM_NET_TAP) {
        n->tap.fd = -1;
        int r = net_tap_open(&n->tap, n->name, cfg->tap);
        if (r < 0 || !cfg->vhost)
            return r;
        uint8_t mac[6];
        net_mac(v, i, mac);
        n->vhost = calloc(1, sizeof(*n->vhost));
        if (n->vhost == NULL)
            return -STDVMM_ENOMEM;
        r = vhost_net_open(n->vhost, n->name, &n->tap, mac);
        if (r < 0) {
            free(n->vhost);
            n->vhost = NULL;
        }
        /* No vhost-net on this host: stdvmm's own datapath, as the message said. */
        return r == -STDVMM_ENOTSUP ? 0 : r;
    }
    if (cfg->backend == VMM_NET_VHOST_USER) {
        int r = open_vhost(v, VHOST_NET_SLOT(i), n->name, cfg->vhost_user, VIRTIO_ID_NET,
                           NET_VHOST_FEATURES);
        if (r < 0)
            return r;
        /* The MAC and link state are the frontend's; the backend has no say in them. */
        uint8_t config[NET_CONFIG_SIZE] = {0};
        net_mac(v, i, config);
        virtio_put_le16(config + 6, NET_STATUS_LINK_UP);
        virtio_put_le16(config + 8, 1); /* max_virtqueue_pairs */
        vhost_user_dev_set_config(v->vhost[VHOST_NET_SLOT(i)], config, sizeof(config));
        vhost_user_dev_set_local_features(v->vhost[VHOST_NET_SLOT(i)], NET_LOCAL_FEATURES);
        return 0;
    }
    unsigned count = cfg->hostfwd_count < VMM_MAX_HOSTFWDS ? cfg->hostfwd_count : VMM_MAX_HOSTFWDS;
    return net_slirp_open(&n->slirp, n->name, cfg->hostfwds, count, !cfg->unrestricted);
}

static void close_net(struct net_host *n)
{
    if (n == NULL)
        return;
    if (n->vhost != NULL) {
        vhost_net_close(n->vhost);
        free(n->vhost);
    }
    if (n->kind == VMM_NET_TAP)
        net_tap_close(&n->tap);
    else if (n->kind == VMM_NET_USER)
        net_slirp_close(&n->slirp);
    /* VMM_NET_VHOST_USER: the connection is among v->vhost, closed with them. */
    free(n);
}

/*
 * A locally administered unicast MAC that stays the same for a VM name and
 * interface index (FNV-1a), so the guest's DHCP lease and neighbours see
 * the same interface on every boot.
 */
static void derive_mac(const char *vm_name, unsigned index, uint8_t mac[6])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = vm_name ? vm_name : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    h = (h ^ index) * 0x100000001b3ull;
    mac[0] = 0x02; /* locally administered, unicast */
    for (int i = 1; i < 6; i++)
        mac[i] = (uint8_t)(h >> (8 * i));
}

static int open_vhost(struct vmm_virtio *v, unsigned slot, const char *name, const char *socket,
                      uint32_t device_id, uint64_t wanted)
{
    v->vhost[slot] = calloc(1, sizeof(*v->vhost[slot]));
    if (v->vhost[slot] == NULL)
        return -STDVMM_ENOMEM;
    return vhost_user_dev_open(v->vhost[slot], name, socket, device_id, wanted, v->cfg->iommu);
}

int vmm_virtio_open(struct vmm_virtio **out, const struct vmm_config *cfg)
{
    struct vmm_virtio *v = calloc(1, sizeof(*v));

    *out = v;
    if (v == NULL)
        return -STDVMM_ENOMEM;
    v->cfg = cfg;
    if (cfg->console == VMM_CONSOLE_VIRTIO) {
        v->console_model = calloc(1, sizeof(*v->console_model));
        if (v->console_model == NULL)
            return -STDVMM_ENOMEM;
    }
    if (cfg->iommu) {
        unsigned n = endpoint_count(cfg);
        v->iommu_max_domains = n == 0 ? 1 : n > VIOMMU_MAX_ENDPOINTS ? VIOMMU_MAX_ENDPOINTS : n;
        v->iommu_domains = calloc(v->iommu_max_domains, sizeof(*v->iommu_domains));
        v->iommu_mappings = calloc((size_t)v->iommu_max_domains * VIOMMU_DEFAULT_MAPPINGS,
                                   sizeof(*v->iommu_mappings));
        if (v->iommu_domains == NULL || v->iommu_mappings == NULL)
            return -STDVMM_ENOMEM;
    }
    if (cfg->disk_count > 0) {
        v->disks = calloc(cfg->disk_count, sizeof(*v->disks));
        if (v->disks == NULL)
            return -STDVMM_ENOMEM;
    }
    for (unsigned i = 0; i < cfg->disk_count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "blk%u", i);
        if (cfg->disks[i].id != NULL)
            snprintf(v->serials[i], sizeof(v->serials[i]), "%s", cfg->disks[i].id);
        else
            snprintf(v->serials[i], sizeof(v->serials[i]), "disk%u", i);
        /* Named by its id, as the description and the guest name it. */
        int r = cfg->disks[i].vhost_user != NULL
                    ? open_vhost(v, i, name, cfg->disks[i].vhost_user, VIRTIO_ID_BLOCK,
                                 BLK_VHOST_FEATURES)
                    : blk_file_open(&v->disks[i], v->serials[i], cfg->disks[i].path,
                                    cfg->disks[i].readonly);
        if (r < 0)
            return r;
        v->disks_open = i + 1;
    }
    for (unsigned i = 0; i < cfg->net_count; i++) {
        int r = open_net(v, i);
        if (r < 0)
            return r;
    }
    for (unsigned i = 0; i < cfg->fs_count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "fs%u", i);
        int r = open_vhost(v, VMM_MAX_DISKS + i, name, cfg->fs[i].socket, VIRTIO_ID_FS,
                           FS_VHOST_FEATURES);
        if (r < 0)
            return r;
        /* The tag is the frontend's to give (a virtiofsd serves one directory, unnamed). */
        uint8_t config[VIRTIO_FS_TAG_MAX + 4] = {0};
        memcpy(config, cfg->fs[i].tag, strlen(cfg->fs[i].tag));
        virtio_put_le32(config + VIRTIO_FS_TAG_MAX, 1); /* num_request_queues */
        vhost_user_dev_set_config(v->vhost[VMM_MAX_DISKS + i], config, sizeof(config));
    }
    if (cfg->vsock.enabled) {
        v->vsock = calloc(1, sizeof(*v->vsock));
        if (v->vsock == NULL)
            return -STDVMM_ENOMEM;
        int r = vsock_unix_open(v->vsock, cfg->vsock.socket);
        if (r < 0)
            return r;
    }
    return 0;
}

static void vdev_interrupt(void *ctx)
{
    struct vdev *d = ctx;

    if (d->irq.handle >= 0) {
        host_eventfd_signal((int)d->irq.handle);
        return;
    }
    /* No irqfd: an edge made by hand through the hypervisor port. */
    vm_set_irq_line(d->vm, machine_virtio_irq(&d->mv), true);
    vm_set_irq_line(d->vm, machine_virtio_irq(&d->mv), false);
}

static void vdev_kick(void *ctx)
{
    struct vdev *d = ctx;
    host_eventfd_signal((int)d->notify.handle);
}

/* On the vCPU thread that wrote DRIVER_OK: the transport kicks the worker next. */
static void vdev_driver_ok(void *ctx)
{
    struct vdev *d = ctx;
    if (d->owner.set && arch_platform()->vmm_routes_irqs)
        atomic_store(&d->route_pending, true);
}

/*
 * Sends the device's interrupt to its owner vCPU. The driver has requested
 * its interrupt by DRIVER_OK, so the guest's own routing (written when it
 * enabled the line) is in place and this write comes after it. The
 * hypervisor may need every vCPU stopped for it (KVM/Arm), hence the park.
 */
static void vdev_route_irq(struct vdev *d)
{
    int r = vcpu_park_hold(d->v->park, 2000);
    if (r == 0)
        r = hv_vm_route_irq(d->vm->hv, machine_virtio_irq(&d->mv), d->owner.vcpu);
    vcpu_park_release(d->v->park);
    if (r < 0) {
        LOG_WARN("virtio %s: could not route its interrupt to vCPU %u: %s", d->mv.name,
                 d->owner.vcpu, stdvmm_strerror(r));
        return;
    }
    atomic_store(&d->routed_to, (int)d->owner.vcpu);
    LOG_INFO("virtio %s: interrupt %u goes to vCPU %u", d->mv.name, machine_virtio_hwirq(&d->mv),
             d->owner.vcpu);
}

static void vdev_notified(void *ctx, int fd, short revents)
{
    struct vdev *d = ctx;

    (void)revents;
    host_eventfd_drain(fd);
    if (atomic_exchange(&d->route_pending, false))
        vdev_route_irq(d);
    machine_virtio_process(&d->mv);
}

/*
 * The Linux side of the next device: its worker thread's loop, the
 * eventfd the guest's QueueNotify signals, and the transport's host hooks.
 * The caller fills the kind's settings and backend in d->mv.cfg, then
 * calls vdev_add().
 */
static int vdev_new(struct vmm_virtio *v, struct vm *vm, enum machine_virtio_kind kind,
                    const char *name, unsigned index, struct vdev **out)
{
    if (v->dev_count >= MAX_VIRTIO_DEVICES) {
        LOG_ERR("too many virtio devices (at most %d)", MAX_VIRTIO_DEVICES);
        return -STDVMM_ENOSPC;
    }
    struct vdev *d = &v->devs[v->dev_count++];
    memset(d, 0, sizeof(*d));
    d->v = v;
    d->mv.kind = kind;
    d->index = index;
    d->vm = vm;
    d->notify.handle = d->irq.handle = -1;
    atomic_init(&d->route_pending, false);
    atomic_init(&d->routed_to, -1);
    snprintf(d->mv.name, sizeof(d->mv.name), "%s", name);

    int r = hv_notifier_create(vm->hv, &d->notify);
    if (r < 0)
        return r;
    r = host_loop_init(&d->loop, name);
    if (r < 0)
        return r;
    d->loop_ready = true;
    r = host_loop_add(&d->loop, (int)d->notify.handle, POLLIN, vdev_notified, d);
    if (r < 0)
        return r;
    d->mv.cfg.slot.interrupt = vdev_interrupt;
    d->mv.cfg.slot.kick = vdev_kick;
    d->mv.cfg.slot.driver_ok = vdev_driver_ok;
    d->mv.cfg.slot.host_ctx = d;
    *out = d;
    return 0;
}

/* Doorbell and interrupt through the hypervisor; without them the MMIO path still works. */
static void vdev_wire(struct vdev *d)
{
    const struct virtio_slot *slot = &d->mv.cfg.slot;
    struct hv_vm *hv = d->vm->hv;

    /*
     * A device served elsewhere (vhost-user, vhost-net) has a doorbell per
     * queue (wire_kicks), which this would shadow.
     */
    bool served = d->mv.kind == MACHINE_VIRTIO_VHOST;
    d->notify_wired =
        !served &&
        hv_vm_add_ioeventfd(hv, slot->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, false, d->notify) == 0;
    if (!d->notify_wired && !served)
        LOG_WARN("virtio %s: no ioeventfd; queue notifications exit to stdvmm", d->mv.name);

    hv_notifier_t none = {.handle = -1};
    /* An interrupt controller the VMM emulates is one the hypervisor's irqfds cannot reach. */
    if (d->vm->irq_line != NULL) {
        d->irq.handle = -1;
        return;
    }
    if (hv_notifier_create(hv, &d->irq) == 0 && hv_vm_add_irqfd(hv, slot->irq, d->irq, none) == 0) {
        d->irq_wired = true;
        return;
    }
    LOG_WARN("virtio %s: no irqfd; interrupts go through KVM_IRQ_LINE", d->mv.name);
    hv_notifier_destroy(hv, d->irq);
    d->irq.handle = -1;
}

/* Takes the doorbells back from the VM, then destroys them. */
static void vdev_unwire(struct vdev *d)
{
    const struct virtio_slot *slot = &d->mv.cfg.slot;
    struct hv_vm *hv = d->vm->hv;

    if (d->notify_wired)
        hv_vm_remove_ioeventfd(hv, slot->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, false, d->notify);
    if (d->irq_wired)
        hv_vm_remove_irqfd(hv, slot->irq, d->irq);
    for (unsigned q = 0; q < d->kicks_wired; q++) {
        hv_vm_remove_ioeventfd_match(hv, slot->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, q, d->kicks[q]);
        hv_notifier_destroy(hv, d->kicks[q]);
    }
    d->kicks_wired = 0;
    d->notify_wired = d->irq_wired = false;
    hv_notifier_destroy(hv, d->notify);
    hv_notifier_destroy(hv, d->irq);
    d->notify.handle = d->irq.handle = -1;
}

/*
 * Adds the device to the machine (model storage: model, or a new one),
 * lets attach() plug the backend into the device's loop, then wires the
 * doorbell and the interrupt.
 */
static int vdev_add(struct machine *m, struct vdev *d, void *model,
                    int (*attach)(struct vdev *d))
{
    if (model == NULL) {
        model = calloc(1, machine_virtio_types[d->mv.kind].model_size);
        if (model == NULL)
            return -STDVMM_ENOMEM;
    }
    if (d->v->iommu != NULL && d->mv.kind != MACHINE_VIRTIO_IOMMU) {
        /* Endpoint IDs follow device order, so a reboot gives each device the same one. */
        uint32_t id = ++d->v->endpoints;
        d->mv.cfg.slot.dma = viommu_add_endpoint(d->v->iommu, id, d->mv.name);
        d->mv.cfg.slot.endpoint = id;
        if (d->mv.cfg.slot.dma == NULL) {
            if (model != d->v->console_model)
                free(model);
            return -STDVMM_ENOSPC;
        }
    }
    int r = machine_add_virtio(m, &d->mv, model);
    if (r < 0) {
        if (model != d->v->console_model)
            free(model);
        return r;
    }
    if (d->mv.kind == MACHINE_VIRTIO_IOMMU)
        d->v->iommu = model;
    if (attach != NULL)
        r = attach(d);
    if (r == 0)
        vdev_wire(d);
    return r;
}

static size_t rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    return rng_getrandom_fill(ctx, buf, len);
}

static int build_console(struct vmm_virtio *v, struct machine *m, struct console *con)
{
    struct vdev *d;
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_CONSOLE, "console", 0, &d);
    if (r < 0)
        return r;
    d->mv.cfg.console.backend = (struct virtio_console_backend){.output = console_output,
                                                                .ctx = con};
    memset(v->console_model, 0, sizeof(*v->console_model));
    r = vdev_add(m, d, v->console_model, NULL);
    if (r == 0)
        v->console = v->console_model;
    return r;
}

/* First, so that the devices after it can be its endpoints; its window comes first too. */
static int build_iommu(struct vmm_virtio *v, struct machine *m)
{
    struct vdev *d;
    const struct arch_platform *plat = arch_platform();
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_IOMMU, "iommu", 0, &d);
    if (r < 0)
        return r;
    struct viommu_config *ic = &d->mv.cfg.iommu;
    ic->domains = v->iommu_domains;
    ic->mappings = v->iommu_mappings;
    ic->max_domains = v->iommu_max_domains;
    ic->max_mappings = VIOMMU_DEFAULT_MAPPINGS;
    if (plat->iommu_msi_size != 0) {
        ic->resv[0] = (struct viommu_resv){
            .start = plat->iommu_msi_base,
            .last = plat->iommu_msi_base + plat->iommu_msi_size - 1,
            .subtype = VIRTIO_IOMMU_RESV_MEM_T_MSI,
        };
        ic->nresv = 1;
    }
    return vdev_add(m, d, NULL, NULL);
}

static int build_rng(struct vmm_virtio *v, struct machine *m)
{
    struct vdev *d;
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_RNG, "rng", 0, &d);
    if (r < 0)
        return r;
    d->mv.cfg.rng.backend = (struct virtio_rng_backend){.fill = rng_fill, .ctx = NULL};
    return vdev_add(m, d, NULL, NULL);
}

static void detach_disk(struct vdev *d)
{
    blk_file_detach(&d->v->disks[d->index]);
}

static int attach_disk(struct vdev *d)
{
    d->detach = detach_disk;
    return blk_file_attach(&d->v->disks[d->index], d->mv.model, &d->loop);
}

static void detach_vhost(struct vdev *d)
{
    vhost_user_dev_detach(d->vhu);
}

/*
 * A doorbell per queue for a device whose queues another party serves: the
 * guest's QueueNotify write of index q signals kick_fds[q], which that
 * party polls without the VMM.
 */
static int wire_kicks(struct vdev *d, const char *who, int kick_fds[VIRTIO_MAX_QUEUES])
{
    const struct virtio_slot *slot = &d->mv.cfg.slot;
    unsigned queues = d->mv.cfg.vhost.num_queues;

    for (unsigned q = 0; q < queues; q++) {
        int r = hv_notifier_create(d->vm->hv, &d->kicks[q]);
        if (r == 0)
            r = hv_vm_add_ioeventfd_match(d->vm->hv, slot->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, q,
                                          d->kicks[q]);
        if (r < 0) {
            if (d->kicks[q].handle >= 0)
                hv_notifier_destroy(d->vm->hv, d->kicks[q]);
            LOG_ERR("virtio %s: %s needs a doorbell per queue (ioeventfd with datamatch)",
                    d->mv.name, who);
            return r;
        }
        d->kicks_wired = q + 1;
        kick_fds[q] = (int)d->kicks[q].handle;
    }
    return 0;
}

static int attach_vhost(struct vdev *d)
{
    struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
    struct machine *m = d->v->machine;
    int kick_fds[VIRTIO_MAX_QUEUES];

    if (m->ram_count > VHOST_USER_MAX_REGIONS) {
        LOG_ERR("virtio %s: %u RAM regions; vhost-user takes %u", d->mv.name, m->ram_count,
                VHOST_USER_MAX_REGIONS);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < m->ram_count; i++) {
        if (d->v->ram_fds == NULL || d->v->ram_fds[i] < 0) {
            LOG_ERR("virtio %s: guest RAM is not shared; a vhost-user backend cannot reach it",
                    d->mv.name);
            return -STDVMM_EINVAL;
        }
        regions[i] = (struct vhost_user_region){
            .guest_phys_addr = m->ram[i].gpa,
            .size = m->ram[i].size,
            .user_addr = (uint64_t)(uintptr_t)m->ram[i].host,
            .mmap_offset = 0,
            .fd = d->v->ram_fds[i],
        };
    }
    int r = wire_kicks(d, "vhost-user", kick_fds);
    if (r < 0)
        return r;
    d->detach = detach_vhost;
    return vhost_user_dev_attach(d->vhu, d->mv.model, &d->loop, &m->vm.mem, regions, m->ram_count,
                                 kick_fds, d->mv.cfg.slot.dma);
}

static int build_vhost(struct vmm_virtio *v, struct machine *m, unsigned slot, const char *name,
                       unsigned index, struct vmm_irq_owner owner)
{
    struct vdev *d;
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_VHOST, name, index, &d);
    if (r < 0)
        return r;
    d->owner = owner;
    d->vhu = v->vhost[slot];
    vhost_user_dev_model_config(d->vhu, &d->mv.cfg.vhost);
    return vdev_add(m, d, NULL, attach_vhost);
}

static int build_disk(struct vmm_virtio *v, struct machine *m, unsigned i)
{
    struct blk_file *f = &v->disks[i];
    char name[16];
    struct vdev *d;

    snprintf(name, sizeof(name), "blk%u", i);
    if (v->cfg->disks[i].vhost_user != NULL)
        return build_vhost(v, m, i, name, i, v->cfg->disks[i].irq);
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_BLK, name, i, &d);
    if (r < 0)
        return r;
    d->owner = v->cfg->disks[i].irq;
    struct virtio_blk_config *cfg = &d->mv.cfg.blk;
    cfg->capacity = f->size;
    cfg->readonly = f->readonly;
    cfg->discard = true;
    cfg->serial = v->serials[i];
    cfg->limit = v->cfg->disks[i].limit;
    cfg->backend = blk_file_backend(f);
    /* As many requests in flight as the queue holds: io_uring takes them all. */
    cfg->max_reqs = VIRTIO_BLK_QUEUE_SIZE;
    cfg->reqs_size = VIRTIO_BLK_REQS_BYTES(cfg->max_reqs);
    cfg->reqs = d->storage = malloc(cfg->reqs_size);
    if (cfg->reqs == NULL)
        return -STDVMM_ENOMEM;
    return vdev_add(m, d, NULL, attach_disk);
}

static void detach_net(struct vdev *d)
{
    struct net_host *n = d->v->nets[d->index];
    if (n->kind == VMM_NET_TAP)
        net_tap_detach(&n->tap);
    else
        net_slirp_detach(&n->slirp);
}

static int attach_net(struct vdev *d)
{
    struct net_host *n = d->v->nets[d->index];
    d->detach = detach_net;
    return n->kind == VMM_NET_TAP ? net_tap_attach(&n->tap, d->mv.model, &d->loop)
                                  : net_slirp_attach(&n->slirp, d->mv.model, &d->loop);
}

static void detach_vhost_net(struct vdev *d)
{
    vhost_net_detach(d->v->nets[d->index]->vhost);
}

/* The kernel reaches guest RAM in this process's address space: no memfd needed. */
static int attach_vhost_net(struct vdev *d)
{
    struct vhost_net_region regions[VHOST_NET_MAX_REGIONS];
    struct machine *m = d->v->machine;
    int kick_fds[VIRTIO_MAX_QUEUES];

    if (m->ram_count > VHOST_NET_MAX_REGIONS)
        return -STDVMM_EINVAL;
    for (unsigned i = 0; i < m->ram_count; i++)
        regions[i] = (struct vhost_net_region){
            .gpa = m->ram[i].gpa, .size = m->ram[i].size, .host = m->ram[i].host};
    int r = wire_kicks(d, "vhost-net", kick_fds);
    if (r < 0)
        return r;
    d->detach = detach_vhost_net;
    return vhost_net_attach(d->v->nets[d->index]->vhost, d->mv.model, &d->loop, &m->vm.mem, regions,
                            m->ram_count, kick_fds, d->mv.cfg.slot.dma);
}

static int build_net(struct vmm_virtio *v, struct machine *m, unsigned i)
{
    const struct vmm_net *ncfg = &v->cfg->nets[i];
    struct net_host *n = v->nets[i];
    struct vdev *d;

    if (n->kind == VMM_NET_VHOST_USER)
        return build_vhost(v, m, VHOST_NET_SLOT(i), n->name, i, ncfg->irq);
    if (n->vhost != NULL) {
        int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_VHOST, n->name, i, &d);
        if (r < 0)
            return r;
        d->owner = ncfg->irq;
        vhost_net_model_config(n->vhost, &d->mv.cfg.vhost);
        return vdev_add(m, d, NULL, attach_vhost_net);
    }
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_NET, n->name, i, &d);
    if (r < 0)
        return r;
    d->owner = ncfg->irq;
    struct virtio_net_config *cfg = &d->mv.cfg.net;
    net_mac(v, i, cfg->mac);
    cfg->limit = ncfg->limit;
    cfg->backend = n->kind == VMM_NET_TAP ? net_tap_backend(&n->tap) : net_slirp_backend(&n->slirp);
    return vdev_add(m, d, NULL, attach_net);
}

static void detach_vsock(struct vdev *d)
{
    vsock_unix_detach(d->v->vsock);
}

static int attach_vsock(struct vdev *d)
{
    d->detach = detach_vsock;
    return vsock_unix_attach(d->v->vsock, d->mv.model, &d->loop);
}

static int build_vsock(struct vmm_virtio *v, struct machine *m)
{
    struct vdev *d;
    int r = vdev_new(v, &m->vm, MACHINE_VIRTIO_VSOCK, "vsock", 0, &d);
    if (r < 0)
        return r;
    d->owner = v->cfg->vsock.irq;
    d->mv.cfg.vsock.guest_cid = v->cfg->vsock.cid;
    d->mv.cfg.vsock.backend = vsock_unix_backend(v->vsock);
    struct virtio_vsock_config *cfg = &d->mv.cfg.vsock;
    cfg->max_conns = VIRTIO_VSOCK_MAX_CONNS;
    cfg->conns_size = VIRTIO_VSOCK_CONNS_BYTES(cfg->max_conns);
    cfg->conns = d->storage = malloc(cfg->conns_size);
    if (cfg->conns == NULL)
        return -STDVMM_ENOMEM;
    return vdev_add(m, d, NULL, attach_vsock);
}

int vmm_virtio_build(struct vmm_virtio *v, struct machine *m, const int *ram_fds,
                     struct console *con, struct vcpu_park *park)
{
    const struct vmm_config *cfg = v->cfg;
    int r = 0;

    v->park = park;
    v->machine = m;
    v->ram_fds = ram_fds;
    v->dev_count = 0;
    v->console = NULL;
    v->iommu = NULL;
    v->endpoints = 0;
    if (cfg->iommu)
        r = build_iommu(v, m);
    if (r == 0 && cfg->console == VMM_CONSOLE_VIRTIO)
        r = build_console(v, m, con);
    if (r == 0 && cfg->rng)
        r = build_rng(v, m);
    for (unsigned i = 0; r == 0 && i < cfg->disk_count; i++)
        r = build_disk(v, m, i);
    for (unsigned i = 0; r == 0 && i < cfg->net_count; i++)
        r = build_net(v, m, i);
    if (r == 0 && cfg->vsock.enabled)
        r = build_vsock(v, m);
    for (unsigned i = 0; r == 0 && i < cfg->fs_count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "fs%u", i);
        r = build_vhost(v, m, VMM_MAX_DISKS + i, name, i, cfg->fs[i].irq);
    }
    return r;
}

int vmm_virtio_irq_affinity_arg(const struct vmm_virtio *v, char *buf, size_t size)
{
    size_t used = 0;
    const char *sep = "stdvmm.irq_affinity=";

    if (size > 0)
        buf[0] = '\0';
    for (unsigned i = 0; i < v->dev_count; i++) {
        const struct vdev *d = &v->devs[i];
        if (!d->owner.set)
            continue;
        int n = snprintf(buf + used, size - used, "%s%u:%u", sep, machine_virtio_hwirq(&d->mv),
                         d->owner.vcpu);
        if (n < 0 || (size_t)n >= size - used)
            return -STDVMM_ENOSPC;
        used += (size_t)n;
        sep = ",";
    }
    return 0;
}

unsigned vmm_virtio_irqs(struct vmm_virtio *v, struct vm_api_irq *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < v->dev_count && n < max; i++) {
        const struct vdev *d = &v->devs[i];
        out[n++] = (struct vm_api_irq){
            .device = d->mv.name,
            .line = machine_virtio_irq(&d->mv),
            .hwirq = machine_virtio_hwirq(&d->mv),
            .owner = d->owner,
            .routed_to = atomic_load(&d->routed_to),
        };
    }
    return n;
}

int vmm_virtio_start(struct vmm_virtio *v)
{
    for (unsigned i = 0; i < v->dev_count; i++) {
        int r = host_loop_start(&v->devs[i].loop);
        if (r < 0)
            return r;
    }
    return 0;
}

unsigned vmm_virtio_tids(struct vmm_virtio *v, pid_t *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; v != NULL && i < v->dev_count && n < max; i++) {
        int tid = host_loop_tid(&v->devs[i].loop);
        if (tid > 0)
            out[n++] = (pid_t)tid;
    }
    return n;
}

void vmm_virtio_teardown(struct vmm_virtio *v)
{
    if (v == NULL)
        return;
    for (unsigned i = 0; i < v->dev_count; i++)
        host_loop_stop(&v->devs[i].loop);
    /* Newest first: the IOMMU (first) outlives the endpoints that translate through it. */
    for (unsigned i = v->dev_count; i-- > 0;) {
        struct vdev *d = &v->devs[i];
        if (d->mv.model != NULL)
            machine_virtio_quiesce(&d->mv);
        if (d->detach != NULL)
            d->detach(d);
        if (d->loop_ready)
            host_loop_destroy(&d->loop);
        vdev_unwire(d);
        if (d->mv.model != v->console_model)
            free(d->mv.model);
        free(d->storage);
        memset(d, 0, sizeof(*d));
    }
    v->dev_count = 0;
    v->console = NULL;
    v->iommu = NULL;
}

void vmm_virtio_close(struct vmm_virtio *v)
{
    if (v == NULL)
        return;
    vmm_virtio_teardown(v);
    for (unsigned i = 0; i < v->disks_open; i++)
        if (v->cfg->disks[i].vhost_user == NULL)
            blk_file_close(&v->disks[i]);
    for (unsigned i = 0; i < VMM_MAX_DISKS + VMM_MAX_FS + VMM_MAX_NETS; i++) {
        if (v->vhost[i] != NULL)
            vhost_user_dev_close(v->vhost[i]);
        free(v->vhost[i]);
    }
    free(v->disks);
    for (unsigned i = 0; i < VMM_MAX_NETS; i++)
        close_net(v->nets[i]);
    if (v->vsock != NULL)
        vsock_unix_close(v->vsock);
    free(v->vsock);
    free(v->console_model);
    free(v->iommu_domains);
    free(v->iommu_mappings);
    free(v);
}

static size_t console_input(void *ctx, const uint8_t *buf, size_t len)
{
    return virtio_console_receive(ctx, buf, len);
}

bool vmm_virtio_console_input(struct vmm_virtio *v, console_input_fn *fn, void **ctx)
{
    if (v == NULL || v->console == NULL)
        return false;
    *fn = console_input;
    *ctx = v->console;
    return true;
}
