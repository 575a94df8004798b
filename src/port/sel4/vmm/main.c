/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM program: one instance per VM, in a protection domain of its own
 * that holds only its VM's capabilities. It builds the VM with the same
 * portable machine layer as `stdvmm run` on Linux (machine_build(),
 * src/machine), giving it only what this protection domain has: the RAM
 * the admin mapped, its console ring and clock. Then it runs the vCPU loop
 * and reports to the admin why the VM stopped.
 */
#include <sel4/sel4.h>
#include <string.h>

#include "port/sel4/portable/sel4_plan.h"
#include "net_abi.h"
#include "rt/rt.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"
#include "vmm/hv_sel4.h"
#include "vmm/vmm_blk.h"
#include "vmm/vmm_drvback.h"
#include "vmm/vmm_io.h"
#include "vmm/vmm_net.h"

static struct machine mach;
static struct machine_host host; /* the machine keeps a pointer to it */
static const struct sel4_vmm_args *args;

/* ---- what this protection domain gives the machine layer ---- */

/* The admin mapped the VM's RAM into this VMM before starting it: hand that over. */
static void *ram_alloc(void *ctx, unsigned index, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    void *mapped = hv_sel4_ram_host(args, index, gpa, size);
    if (mapped == NULL)
        LOG_ERR("the machine places RAM region %u at 0x%llx (%llu MiB), which the admin did not "
                "map",
                index, (unsigned long long)gpa, (unsigned long long)(size >> 20));
    return mapped;
}

/*
 * The admin mapped each shared region into the guest's stage 2 only: this
 * VMM never touches the memory. The address stands for the mapping, which
 * hv_vm_map_memory() checks against the arguments.
 */
static void *shared_map(void *ctx, unsigned index, const struct machine_shared *s)
{
    (void)ctx;
    if (index >= args->shared_count || s->gpa != args->shared[index].gpa)
        return NULL;
    return (void *)(uintptr_t)s->gpa;
}

/*
 * The guest rang member target (or all others) of region index: a badged
 * send the admin minted to that member's notification. NBSend: a member
 * that does not run has an empty slot, and a blocking send to it would be
 * a fault of this VMM.
 */
static void shared_ring(void *ctx, unsigned index, uint32_t target)
{
    (void)ctx;
    if (index >= args->shared_count || index >= SEL4_VMM_MAX_SHARED)
        return;
    for (uint32_t k = 0; k < args->shared[index].members && k < 8; k++) {
        if (k != args->shared[index].member && (target == SHARED_REGION_RING_ALL || target == k))
            seL4_NBSend(SEL4_VMM_SLOT_SHARED_BELL(index, k), seL4_MessageInfo_new(0, 0, 0, 0));
    }
}

static void uart_tx(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    vmm_console_write(buf, len);
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return vmm_now_ns();
}

/*
 * The virtio devices of this VM (machine_add_virtio, as on Linux): a
 * virtio-console, a disk (a read-only image, or a region of the board's disk)
 * and a NIC. There is no thread per device here: the guest's QueueNotify
 * write is a fault this VMM is handling when the transport kicks, so the
 * console's and the image disk's queues are processed at once (the NIC and
 * a served disk defer to the notification: see deferred_kick), and the
 * answer's interrupt is an edge on the emulated distributor before the
 * guest runs again.
 */
static struct machine_virtio console_dev;
static struct virtio_console console_model;

static void virtio_kick(void *ctx)
{
    machine_virtio_process(ctx);
}

static void virtio_interrupt(void *ctx)
{
    struct machine_virtio *d = ctx;
    vm_set_irq_line(&mach.vm, machine_virtio_irq(d), true);
    vm_set_irq_line(&mach.vm, machine_virtio_irq(d), false);
}

/*
 * The virtio-iommu (args->iommu, docs/memory.md): added first, so that the
 * devices after it are its endpoints. No backend of this port maps guest
 * RAM (the switch, the block server and driver VMs see only channel frames
 * the VMM copies to and from), so with it every device access to guest
 * memory goes through the guest's mappings. Its queue takes the device
 * lock again (feature checks), so it is served on the next wake like the
 * NIC's (deferred_kick); the guest's driver polls for each request meanwhile.
 */
static struct machine_virtio iommu_dev;
static struct viommu iommu_model;
/*
 * Its mappings are in the pages the admin maps at SEL4_VMM_DATA_VA for a VM
 * with the IOMMU only (vmm_abi.h), not in this program, which every VM's
 * VMM loads; the few domain headers are. So are the disk's requests and a
 * driver VM's vsock connections: the admin sizes them from these.
 */
static struct viommu_domain iommu_domains[SEL4_VMM_IOMMU_DOMAINS];
_Static_assert(sizeof(struct iommu_mapping) == SEL4_VMM_IOMMU_MAPPING_BYTES,
               "the admin sizes the tables from this");
_Static_assert(sizeof(struct virtio_blk_req) == SEL4_VMM_BLK_REQ_BYTES,
               "the admin sizes the disk's requests from this");
_Static_assert(sizeof(struct virtio_vsock_conn) == SEL4_VMM_VSOCK_CONN_BYTES,
               "the admin sizes the vsock connections from this");

/*
 * The admin's data area k (vmm_abi.h), *size bytes of it; NULL (logged) when
 * it mapped none for what, or one off a page or past the window: the device
 * model then refuses to start for want of storage rather than reach past it
 * (or use its tables misaligned).
 */
static void *data_area(enum sel4_vmm_data_area k, const char *what, uint64_t *size)
{
    const uint64_t window = SEL4_VMM_DATA_LIMIT - SEL4_VMM_DATA_VA;
    uint64_t offset = args->data[k].offset, bytes = args->data[k].size;

    *size = 0;
    if (bytes == 0 || offset % SEL4_VMM_DATA_ALIGN != 0 || offset > window ||
        bytes > window - offset) {
        LOG_ERR("%s: the admin mapped %llu bytes at +0x%llx of the VMM's data window (0x%llx "
                "bytes) for its tables (vmm_abi.h)",
                what, (unsigned long long)bytes, (unsigned long long)offset,
                (unsigned long long)window);
        return NULL;
    }
    *size = bytes;
    return (void *)(uintptr_t)(SEL4_VMM_DATA_VA + offset);
}

static void deferred_kick(void *ctx);
static bool iommu_on;
static uint32_t iommu_endpoints;

/* Zeroes d and gives it this VMM's transport hooks; behind the IOMMU, its translation. */
static int virtio_prepare(struct machine_virtio *d, enum machine_virtio_kind kind, const char *name)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    strncpy(d->name, name, sizeof(d->name) - 1);
    d->cfg.slot.kick = virtio_kick;
    d->cfg.slot.interrupt = virtio_interrupt;
    d->cfg.slot.host_ctx = d;
    if (iommu_on && kind != MACHINE_VIRTIO_IOMMU) {
        /* Endpoint IDs follow device order, so a restarted VM gives each device the same one. */
        uint32_t id = ++iommu_endpoints;
        d->cfg.slot.dma = viommu_add_endpoint(&iommu_model, id, d->name);
        d->cfg.slot.endpoint = id;
        if (d->cfg.slot.dma == NULL) {
            LOG_ERR("virtio %s: no endpoint left on the virtio-iommu", d->name);
            return -STDVMM_ENOSPC;
        }
    }
    return 0;
}

static int add_iommu(struct machine *m)
{
    int r = virtio_prepare(&iommu_dev, MACHINE_VIRTIO_IOMMU, "iommu");
    iommu_dev.cfg.slot.kick = deferred_kick;
    memset(&iommu_model, 0, sizeof(iommu_model));
    uint64_t size;
    struct iommu_mapping *mappings = data_area(SEL4_VMM_DATA_IOMMU, "virtio-iommu", &size);
    /* At most the window's worth: no wrap. viommu_init refuses none or too few. */
    uint64_t per_domain = size / SEL4_VMM_IOMMU_DOMAINS / sizeof(struct iommu_mapping);
    struct viommu_config *ic = &iommu_dev.cfg.iommu;
    ic->domains = iommu_domains;
    ic->mappings = mappings;
    ic->max_domains = SEL4_VMM_IOMMU_DOMAINS;
    ic->max_mappings = (uint32_t)per_domain;
    if (r == 0)
        r = machine_add_virtio(m, &iommu_dev, &iommu_model);
    if (r == 0) {
        iommu_on = true;
        LOG_INFO("virtio-iommu in front of this VM's virtio devices");
    }
    return r;
}

/*
 * The read-only disk: the admin maps the image into this VMM (shared,
 * read-only, like the boot images), so a request is a copy out of it. The
 * device model has already checked offset and length against the capacity
 * and refuses writes to a read-only disk; anything but a read is refused
 * here again.
 */
static struct machine_virtio disk_dev;
static struct virtio_blk disk_model;

static int disk_submit(void *ctx, struct virtio_blk_io *io)
{
    const uint8_t *image = ctx;
    int result = 0;

    if (io->op == VIRTIO_BLK_OP_READ && io->offset + io->len <= args->disk_size) {
        uint64_t at = io->offset;
        for (uint16_t i = 0; i < io->seg_count; i++) {
            memcpy(io->segs[i].host, image + at, io->segs[i].len);
            at += io->segs[i].len;
        }
    } else if (io->op != VIRTIO_BLK_OP_FLUSH) {
        result = io->op == VIRTIO_BLK_OP_READ ? -STDVMM_EINVAL : -STDVMM_ENOTSUP;
    }
    virtio_blk_complete(&disk_model, io, result);
    return 0;
}

/*
 * The NIC: its backend is the front end of this port's channels to the
 * switch PD (vmm_net.c); frames are copied between guest memory and the
 * channels' slots here, so the switch never maps guest RAM. The switch's
 * signals arrive on the notification bound to vCPU 0's thread.
 */
static struct machine_virtio net_dev;
static struct virtio_net net_model;

/*
 * The transport kicks with the device lock held (on KVM a kick only wakes the
 * device's thread), and the NIC and a served disk take that lock again:
 * serve their queues on the next wake of vCPU 0's thread instead, through
 * this VMM's own notification. Kicks and that wake both run under the VMM
 * lock, so the set of kicked devices needs no lock of its own.
 */
/* bit 0: the NIC, bit 1: the disk, bit 2: the vsock (a driver VM), bit 3: the IOMMU */
static unsigned kicked;
static struct machine_virtio vsock_dev;
static struct virtio_vsock vsock_model;

static void deferred_kick(void *ctx)
{
    kicked |= ctx == &net_dev ? 1u : ctx == &disk_dev ? 2u : ctx == &iommu_dev ? 8u : 4u;
    seL4_Signal(SEL4_VMM_SLOT_KICK);
}

/* What woke vCPU 0's thread through the VMM's notification (vmm_abi.h), under the VMM lock. */
static void notified(uint64_t badge)
{
    if (badge & SEL4_BADGE_VMM_KICK) {
        unsigned k = kicked;
        kicked = 0;
        /* The IOMMU first: its answers are what the other devices' driver waits on. */
        if (k & 8u)
            machine_virtio_process(&iommu_dev);
        if (k & 1u)
            machine_virtio_process(&net_dev);
        if (k & 2u)
            machine_virtio_process(&disk_dev);
        if (k & 4u)
            machine_virtio_process(&vsock_dev);
        if ((args->drv_clients | args->drv_net_clients) != 0)
            vmm_drvback_pump();
    }
    if (badge & (SEL4_BADGE_DRV_DOORBELLS | SEL4_BADGE_DRV_DETACHES))
        vmm_drvback_notified(badge);
    if (badge & SEL4_BADGE_NET_VMM)
        vmm_net_notified();
    /* Both in one signal: the driver VM went and came back; in that order. */
    for (int up = 0; up < 2; up++) {
        if (!(badge & (up ? SEL4_BADGE_BLK_UP : SEL4_BADGE_BLK_LOST)))
            continue;
        if (args->disk_by_driver)
            vmm_blk_backend(up);
        if (args->net_by_driver)
            vmm_net_backend(up);
    }
    if (badge & SEL4_BADGE_BLK_VMM)
        vmm_blk_notified();
    if (badge & SEL4_BADGE_PT_IRQ)
        hv_sel4_passthrough_irq(mach.vm.hv, SEL4_PT_SPI);
    for (unsigned i = 0; i < SEL4_VMM_MAX_SHARED; i++) {
        if (badge & SEL4_BADGE_SHARED(i))
            machine_shared_doorbell(&mach, i, 1);
    }
}

static int add_net(struct machine *m)
{
    int r = virtio_prepare(&net_dev, MACHINE_VIRTIO_NET, "net0");
    net_dev.cfg.slot.kick = deferred_kick;
    memset(&net_model, 0, sizeof(net_model));
    if (r == 0)
        r = vmm_net_init(args, &net_dev.cfg.net, &net_model);
    if (r == 0)
        r = machine_add_virtio(m, &net_dev, &net_model);
    /* As for the disk: the distributor is ours, so the owner holds from the start. */
    if (r == 0 && args->net_irq_vcpu != 0) {
        r = hv_vm_route_irq(m->vm.hv, machine_virtio_irq(&net_dev), args->net_irq_vcpu - 1);
        if (r == 0)
            LOG_INFO("virtio %s: interrupt %u goes to vCPU %u", net_dev.name,
                     machine_virtio_hwirq(&net_dev), args->net_irq_vcpu - 1);
    }
    return r;
}

/*
 * A board device this VM owns (a driver VM): the admin mapped its registers
 * and routes its interrupt here; the device tree tells the guest where, and
 * where its RAM is for the device (host physical: dma-ranges).
 */
static int add_passthrough(struct machine *m)
{
    const struct vm_platform_device dev = {
        .kind = VM_DEV_VIRTIO_MMIO_PASSTHROUGH,
        .base = args->pt_gpa,
        .size = args->pt_size,
        .irq = SEL4_PT_SPI,
        .dma_cpu = args->ram[0].gpa, /* one region: gen-vm-table refuses a map with passthrough */
        .dma_bus = args->pt_dma_bus,
        .dma_size = args->ram_size,
    };
    int r = vm_add_platform_device(&m->vm, &dev);
    if (r == 0)
        LOG_INFO("board device at 0x%llx (host RAM at 0x%llx for its DMA), SPI %u: passthrough",
                 (unsigned long long)dev.base, (unsigned long long)dev.dma_bus, dev.irq);
    return r;
}

static int add_virtio(void *ctx, struct machine *m)
{
    int r = 0;

    (void)ctx;
    /* machine_build() runs again at a restart: the endpoints are declared anew. */
    iommu_on = false;
    iommu_endpoints = 0;
    if (args->pt_size != 0)
        r = add_passthrough(m);
    if (r == 0 && args->iommu) {
        /* gen-vm-table refuses it with passthrough: that device's DMA is physical. */
        r = args->pt_size != 0 ? -STDVMM_EINVAL : add_iommu(m);
    }
    if (r == 0 && args->virtio_console) {
        r = virtio_prepare(&console_dev, MACHINE_VIRTIO_CONSOLE, "console");
        memset(&console_model, 0, sizeof(console_model));
        console_dev.cfg.console.backend.output = uart_tx;
        if (r == 0)
            r = machine_add_virtio(m, &console_dev, &console_model);
    }
    if (r == 0 && args->disk_size != 0) {
        r = virtio_prepare(&disk_dev, MACHINE_VIRTIO_BLK, "blk0");
        memset(&disk_model, 0, sizeof(disk_model));
        struct virtio_blk_config *cfg = &disk_dev.cfg.blk;
        uint64_t size;
        cfg->reqs = data_area(SEL4_VMM_DATA_DISK, disk_dev.name, &size);
        cfg->reqs_size = (size_t)size;
        cfg->max_reqs = SEL4_VMM_BLK_REQS;
        if (r == 0 && args->disk_served) {
            disk_dev.cfg.slot.kick = deferred_kick;
            r = vmm_blk_init(args, cfg, &disk_model);
        } else if (r == 0) {
            cfg->capacity = args->disk_size;
            cfg->readonly = true;
            cfg->serial = args->disk_id;
            cfg->backend.submit = disk_submit;
            cfg->backend.ctx = (void *)(uintptr_t)args->disk_va;
        }
        if (r == 0)
            r = machine_add_virtio(m, &disk_dev, &disk_model);
        /*
         * Interrupt ownership (irq_vcpu): the distributor is this VMM's, so
         * the owner holds from the start, whatever the guest writes to
         * ITARGETSR; no need to wait for DRIVER_OK as on KVM.
         */
        if (r == 0 && args->disk_irq_vcpu != 0) {
            unsigned owner = args->disk_irq_vcpu - 1;
            r = hv_vm_route_irq(m->vm.hv, machine_virtio_irq(&disk_dev), owner);
            if (r == 0)
                LOG_INFO("virtio %s: interrupt %u goes to vCPU %u", disk_dev.name,
                         machine_virtio_hwirq(&disk_dev), owner);
        }
    }
    if (r == 0 && args->net)
        r = add_net(m);
    /* A driver VM: its server program reaches the clients' channels over vsock. */
    if (r == 0 && (args->drv_clients | args->drv_net_clients) != 0) {
        r = virtio_prepare(&vsock_dev, MACHINE_VIRTIO_VSOCK, "vsock");
        vsock_dev.cfg.slot.kick = deferred_kick;
        memset(&vsock_model, 0, sizeof(vsock_model));
        struct virtio_vsock_config *cfg = &vsock_dev.cfg.vsock;
        uint64_t size;
        cfg->conns = data_area(SEL4_VMM_DATA_VSOCK, vsock_dev.name, &size);
        cfg->conns_size = (size_t)size;
        /* One per channel it serves, and the spares (vmm_abi.h); the model checks the room. */
        unsigned clients = (unsigned)__builtin_popcount(args->drv_clients | args->drv_net_clients);
        cfg->max_conns = SEL4_VMM_VSOCK_CONNS(clients);
        if (r == 0)
            r = vmm_drvback_init(args, &vsock_dev.cfg.vsock, &vsock_model);
        if (r == 0)
            r = machine_add_virtio(m, &vsock_dev, &vsock_model);
    }
    if (r == 0)
        hv_sel4_set_notification_handler(notified);
    return r;
}

static struct machine_shared shared[SEL4_VMM_MAX_SHARED];

static struct memmap_range ram_map[SEL4_VMM_MAX_RAM];

static int build(const struct sel4_vmm_args *a, uint64_t start_ns)
{
    /* RAM exactly where the admin mapped it (one region at 1 GiB unless memory_map said more). */
    unsigned ram_count = a->ram_count < SEL4_VMM_MAX_RAM ? a->ram_count : SEL4_VMM_MAX_RAM;
    for (unsigned i = 0; i < ram_count; i++)
        ram_map[i] = (struct memmap_range){a->ram[i].gpa, a->ram[i].size};
    unsigned shared_count = a->shared_count < SEL4_VMM_MAX_SHARED ? a->shared_count
                                                                  : SEL4_VMM_MAX_SHARED;
    for (unsigned i = 0; i < shared_count; i++) {
        shared[i] = (struct machine_shared){
            .name = a->shared[i].name,
            .gpa = a->shared[i].gpa,
            .size = a->shared[i].size,
            .writable = !a->shared[i].read_only,
            .member = a->shared[i].member,
            .members = a->shared[i].members,
            .doorbell = a->shared[i].doorbell != 0,
        };
    }
    const struct machine_desc desc = {
        .name = a->name,
        .cpus = a->vcpu_count,
        .memory = a->ram_size,
        .memory_map = ram_map,
        .memory_map_count = ram_count,
        .kernel = (const uint8_t *)(uintptr_t)a->kernel_va,
        .kernel_size = a->kernel_size,
        .initrd = a->initrd_size ? (const uint8_t *)(uintptr_t)a->initrd_va : NULL,
        .initrd_size = a->initrd_size,
        .cmdline = a->cmdline,
        .shared = shared,
        .shared_count = shared_count,
    };
    host = (struct machine_host){
        .ram_alloc = ram_alloc,
        .shared_map = shared_map,
        .shared_ring = shared_ring,
        /* As on Linux: with a virtio console the UART stays for the probe, but speaks to no one. */
        .console_tx = a->virtio_console ? NULL : uart_tx,
        .now_ns = now_ns,
        .start_ns = start_ns,
        .add_devices = add_virtio,
    };
    args = a;
    return machine_build(&mach, &desc, &host);
}

/*
 * Runs vCPU index until the VM stops, then reports why. The first thread to
 * get here with a stop reason holds the VMM lock while it reports, so the
 * others stay where they are until the admin revokes them with the rest.
 */
static _Noreturn void run_vcpu(unsigned index)
{
    vcpu_run_loop(&mach.vm.vcpus[index]);
    enum vm_stop_reason reason = vm_stop_reason(&mach.vm);
    uint64_t userspace_ns;
    if (boot_timer_userspace_ns(&mach.boot_timer, &userspace_ns))
        LOG_INFO("guest reached userspace %llu ms after its VMM started",
                 (unsigned long long)(userspace_ns / 1000000));
    if (mach.vm.vcpu_count > 1)
        LOG_INFO("VM %s: vCPU %u saw the stop; %lu exits waited for another vCPU's", args->name,
                 index, hv_sel4_lock_waits());
    vmm_net_report();
    vmm_blk_report();
    vmm_drvback_report();
    LOG_INFO("VM %s stopped: %s", args->name, vm_stop_reason_name(reason));
    vmm_report_stop(reason);
}

static void vcpu_thread(unsigned index)
{
    seL4_SetIPCBuffer((seL4_IPCBuffer *)(uintptr_t)SEL4_VMM_IPC_BUFFER_VA(index));
    run_vcpu(index);
}

void sel4rt_main(void *arg)
{
    const struct sel4_vmm_args *a = arg;

    seL4_SetIPCBuffer((seL4_IPCBuffer *)(uintptr_t)SEL4_VMM_IPC_BUFFER_VA(0));
    if (a->magic != SEL4_VMM_ABI_MAGIC || a->version != SEL4_VMM_ABI_VERSION) {
        sel4rt_debug_puts("stdvmm: VMM started with a foreign argument page\n");
        vmm_report_stop(VM_STOP_ERROR);
    }
    uint64_t start_ns = vmm_now_ns();
    vmm_io_init(a->name);
    hv_sel4_set_args(a);
    LOG_INFO("VMM of %s (boot %u): %u vCPU(s), %llu MiB RAM at 0x%llx, kernel %llu KiB, "
             "initramfs %llu KiB",
             a->name, a->boot_count, a->vcpu_count, (unsigned long long)(a->ram_size >> 20),
             (unsigned long long)a->ram[0].gpa, (unsigned long long)(a->kernel_size >> 10),
             (unsigned long long)(a->initrd_size >> 10));
    int r = build(a, start_ns);
    if (r < 0) {
        LOG_ERR("building VM %s failed (%s)", a->name, stdvmm_strerror(r));
        vmm_report_stop(VM_STOP_ERROR);
    }
    /* Secondary vCPUs start powered off; their threads wait on their fault endpoints. */
    for (unsigned i = 1; i < mach.vm.vcpu_count; i++) {
        if (sel4rt_thread_start(SEL4_VMM_SLOT_VMM_TCB + i, i, vcpu_thread, i) < 0) {
            LOG_ERR("VM %s: starting the VMM thread of vCPU %u failed", a->name, i);
            vmm_report_stop(VM_STOP_ERROR);
        }
    }
    LOG_INFO("VM %s built in %llu ms; starting its vCPU", a->name,
             (unsigned long long)((vmm_now_ns() - start_ns) / 1000000));
    run_vcpu(0);
}
