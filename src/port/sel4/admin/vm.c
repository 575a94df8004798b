/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Building and tearing down VMs. Each configured VM owns, from boot on, a
 * budget: one untyped per power-of-two piece of its RAM, one untyped for its
 * other objects, and a range of slots in the admin's CNode. Starting the VM
 * retypes everything from that budget: the VMM's CNode, VSpace, TCB and
 * program frames, the guest's stage-2 VSpace, TCB, VCPU and RAM, and the
 * fault endpoint. Copies of admin-owned capabilities (image store frames,
 * the GIC virtual CPU interface, badged admin endpoints) go into the VM's
 * slot range or into the VMM's CNode. Stopping revokes the budget's
 * untypeds, which deletes every object made from them wherever its
 * capabilities are, then deletes whatever copies remain in the range.
 * Nothing of another VM is touched.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "arch/aarch64/layout.h"
#include "vmm_abi.h"
#ifdef CONFIG_BENCHMARK_TRACK_UTILISATION
#include <sel4/benchmark_utilisation_types.h>
#endif

#define LARGE_PAGE (1ull << seL4_LargePageBits)
#define QEMU_VIRT_GIC_LIST_REGS 4 /* GICH_VTR.ListRegs + 1 of QEMU's GICv2 */

enum vm_state { VM_UNAVAILABLE, VM_STOPPED, VM_RUNNING };

struct vm {
    const struct sel4_vm_desc *desc;
    enum vm_state state;
    struct sel4_vm_plan plan;
    uint64_t entry;
    struct ut_alloc ram[SEL4_PLAN_MAX_RAM_CHUNKS];
    unsigned ram_count;
    struct ut_alloc objects;
    struct colour_alloc colour; /* a coloured VM's RAM and VMM frames (desc->colours) */
    struct slot_range slots;
    seL4_CPtr cnode, vmm_vspace, guest_vspace, lock_ntfn;
    /* Bound to vCPU 0's VMM thread: backends' signals and the VMM's own kicks (vmm_abi.h). */
    seL4_CPtr signal_ntfn;
    /* Per vCPU: its guest thread, VCPU object, CSpace and fault endpoint, and the VMM thread. */
    seL4_CPtr guest_cnode[SEL4_VMM_MAX_VCPUS], guest_tcb[SEL4_VMM_MAX_VCPUS];
    seL4_CPtr vcpu[SEL4_VMM_MAX_VCPUS], fault_ep[SEL4_VMM_MAX_VCPUS];
    seL4_CPtr vmm_tcb[SEL4_VMM_MAX_VCPUS], ipc_frame[SEL4_VMM_MAX_VCPUS];
    /* Where each vCPU runs now and at what priority: the description's until moved. */
    uint8_t core[SEL4_VMM_MAX_VCPUS];
    uint8_t prio[SEL4_VMM_MAX_VCPUS];
    uint32_t budget_us[SEL4_VMM_MAX_VCPUS], period_us[SEL4_VMM_MAX_VCPUS];
#ifdef CONFIG_KERNEL_MCS
    /* Scheduling contexts of each vCPU and of its VMM thread; the VMM thread's reply object. */
    seL4_CPtr guest_sc[SEL4_VMM_MAX_VCPUS], vmm_sc[SEL4_VMM_MAX_VCPUS];
    seL4_CPtr reply[SEL4_VMM_MAX_VCPUS];
#endif
    uint32_t boot_count;
    /* Physical address of guest RAM's first byte when all of it is one block; 0: it is not. */
    uint64_t ram_pa;
    /* Console ring (mapped while running) and the line being assembled from it. */
    struct sel4_console_ring *ring;
    char line[256];
    unsigned line_len;
    uint32_t dropped_seen;
};

static struct vm vms[SEL4_MAX_VMS];

/* enum vm_stop_reason of include/stdvmm/vm.h, as the VMM reports it. */
static const char *reason_name(seL4_Word reason)
{
    static const char *const names[] = {"running",     "guest powered off",
                                        "guest reset", "guest kernel panicked",
                                        "VMM error",   "stop requested"};
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown reason";
}

/* The priority vCPU i starts with: the description's, or the default. */
static uint8_t desc_prio(const struct sel4_vm_desc *d, unsigned i)
{
    return d->priority[i] >= 0 ? (uint8_t)d->priority[i] : GUEST_PRIO;
}

/* The priority of all of a VM's VMM threads: one above its highest vCPU. */
static seL4_Word vmm_prio(const struct vm *v)
{
    uint8_t top = 0;

    for (unsigned i = 0; i < v->desc->cpus; i++)
        top = v->prio[i] > top ? v->prio[i] : top;
    return VMM_PRIO(top);
}

/*
 * The core of the VMM thread serving vCPU i when the vCPU is on vcpu_core:
 * the same core (an exit stays on it), unless vmm_threads placed the VMM's
 * threads, which then stay where the description put them.
 */
static unsigned vmm_core(const struct vm *v, unsigned i, unsigned vcpu_core)
{
    return v->desc->vmm_threads ? v->desc->vmm_cores[i] : vcpu_core;
}

static seL4_Error check(seL4_Error err, const struct vm *v, const char *what)
{
    if (err != seL4_NoError)
        console_printf("admin: %s: %s failed: seL4 error %d\n", v->desc->name, what, err);
    return err;
}

static seL4_CPtr copy_to_range(struct vm *v, seL4_CPtr src, seL4_CapRights_t rights)
{
    seL4_CPtr s = slot_take(&v->slots);

    if (s == seL4_CapNull)
        return seL4_CapNull;
    if (seL4_CNode_Copy(seL4_CapInitThreadCNode, s, seL4_WordBits, seL4_CapInitThreadCNode, src,
                        seL4_WordBits, rights) != seL4_NoError)
        return seL4_CapNull;
    return s;
}

static seL4_Error mint_to_vmm(struct vm *v, seL4_Word dest, seL4_CPtr src, seL4_CapRights_t rights,
                              seL4_Word badge)
{
    return seL4_CNode_Mint(v->cnode, dest, SEL4_VMM_CNODE_BITS, seL4_CapInitThreadCNode, src,
                           seL4_WordBits, rights, badge);
}

static seL4_Error copy_to_vmm(struct vm *v, seL4_Word dest, seL4_CPtr src)
{
    return seL4_CNode_Copy(v->cnode, dest, SEL4_VMM_CNODE_BITS, seL4_CapInitThreadCNode, src,
                           seL4_WordBits, seL4_AllRights);
}

static seL4_Error make_objects(struct vm *v)
{
    struct ut_alloc *o = &v->objects;
    seL4_Error err;

    err = ut_retype(o, seL4_CapTableObject, SEL4_VMM_CNODE_BITS,
                    SEL4_VMM_CNODE_BITS + seL4_SlotBits, &v->cnode);
    if (err == seL4_NoError)
        err = ut_retype(o, seL4_ARM_VSpaceObject, 0, seL4_VSpaceBits, &v->vmm_vspace);
    if (err == seL4_NoError)
        err = ut_retype(o, seL4_ARM_VSpaceObject, 0, seL4_VSpaceBits, &v->guest_vspace);
    if (err == seL4_NoError)
        err = ut_retype(o, seL4_NotificationObject, 0, seL4_NotificationBits, &v->lock_ntfn);
    if (err == seL4_NoError)
        err = ut_retype(o, seL4_NotificationObject, 0, seL4_NotificationBits, &v->signal_ntfn);
    /* Biggest objects first: the kernel aligns each to its size. */
    for (unsigned i = 0; i < v->desc->cpus && err == seL4_NoError; i++) {
        err = ut_retype(o, seL4_ARM_VCPUObject, 0, seL4_VCPUBits, &v->vcpu[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_TCBObject, 0, seL4_TCBBits, &v->vmm_tcb[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_TCBObject, 0, seL4_TCBBits, &v->guest_tcb[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_CapTableObject, SEL4_GUEST_CNODE_BITS,
                            SEL4_GUEST_CNODE_BITS + seL4_SlotBits, &v->guest_cnode[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_EndpointObject, 0, seL4_EndpointBits, &v->fault_ep[i]);
#ifdef CONFIG_KERNEL_MCS
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_SchedContextObject, seL4_MinSchedContextBits,
                            seL4_MinSchedContextBits, &v->guest_sc[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_SchedContextObject, seL4_MinSchedContextBits,
                            seL4_MinSchedContextBits, &v->vmm_sc[i]);
        if (err == seL4_NoError)
            err = ut_retype(o, seL4_ReplyObject, 0, seL4_ReplyBits, &v->reply[i]);
#endif
    }
    if (err == seL4_NoError)
        err = check(seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, v->vmm_vspace), v,
                    "ASID for the VMM");
    if (err == seL4_NoError)
        err = check(seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, v->guest_vspace), v,
                    "ASID for the guest");
    return err;
}

/* The VM's RAM regions: the description's memory_map, or one at 1 GiB. */
static unsigned ram_regions(const struct sel4_vm_desc *d, uint64_t gpa[], uint64_t size[])
{
    if (d->ram_count == 0) {
        gpa[0] = A64_RAM_BASE;
        size[0] = d->memory;
        return 1;
    }
    for (unsigned i = 0; i < d->ram_count && i < SEL4_VMM_MAX_RAM; i++) {
        gpa[i] = d->ram[i].gpa;
        size[i] = d->ram[i].size;
    }
    return d->ram_count < SEL4_VMM_MAX_RAM ? d->ram_count : SEL4_VMM_MAX_RAM;
}

/* Where byte off of RAM (in the order the VMM sees RAM) is in the guest's address space. */
static uint64_t ram_gpa(const struct sel4_vm_desc *d, uint64_t off)
{
    uint64_t gpa[SEL4_VMM_MAX_RAM], size[SEL4_VMM_MAX_RAM], left = off;
    unsigned n = ram_regions(d, gpa, size);
    for (unsigned i = 0; i < n; i++) {
        if (left < size[i])
            return gpa[i] + left;
        left -= size[i];
    }
    return gpa[0] + off; /* not reached: the regions total d->memory */
}

/*
 * The guest RAM frame at byte off of RAM: at its guest-physical address in
 * stage 2 and, through a copy, at off in the VMM's window.
 */
static seL4_Error map_ram_frame(struct vm *v, seL4_CPtr frame, uint64_t off)
{
    seL4_Error err = vs_map(v->guest_vspace, frame, ram_gpa(v->desc, off), seL4_AllRights,
                            seL4_ARM_Default_VMAttributes, &v->objects);
    if (check(err, v, "mapping guest RAM") != seL4_NoError)
        return err;
    seL4_CPtr mine = copy_to_range(v, frame, seL4_ReadWrite);
    if (mine == seL4_CapNull)
        return check(seL4_RangeError, v, "copying a RAM frame for the VMM");
    err = vs_map(v->vmm_vspace, mine, v->plan.ram_vmm_va + off, seL4_ReadWrite,
                 seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &v->objects);
    return check(err, v, "mapping guest RAM into the VMM");
}

/* A 4 KiB frame for the VMM's own use: of the VM's colours when it has some. */
static seL4_Error vmm_frame(struct vm *v, seL4_CPtr *frame)
{
    if (v->desc->colours != 0)
        return colour_frame(&v->colour, frame);
    return ut_retype(&v->objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, frame);
}

/*
 * A coloured VM's RAM: 4 KiB frames of its colours, mapped one by one into
 * its stage 2 and, through a copy, the VMM's window. The guest-side
 * capabilities stay with the admin (the colour allocator's range): the
 * VMM's CNode has no room for 4 KiB frames, and the VMM never uses them.
 */
static seL4_Error map_ram_coloured(struct vm *v)
{
    uint64_t page = 1ull << seL4_PageBits;

    for (uint64_t f = 0; f < v->plan.ram_frames; f++) {
        seL4_CPtr frame;
        seL4_Error err = check(colour_frame(&v->colour, &frame), v, "coloured RAM frame");
        if (err == seL4_NoError)
            err = map_ram_frame(v, frame, f * page);
        if (err != seL4_NoError)
            return err;
    }
    v->ram_pa = 0; /* never one block: nothing may address it physically */
    return seL4_NoError;
}

/* Guest RAM: mapped at its guest-physical address and, through a copy, into the VMM. */
static seL4_Error map_ram(struct vm *v)
{
    unsigned chunk = 0;
    uint64_t first_pa = 0;
    bool one_block = true;

    if (v->desc->colours != 0)
        return map_ram_coloured(v);
    for (uint64_t f = 0; f < v->plan.ram_frames; f++) {
        seL4_CPtr frame = seL4_CapNull;
        seL4_Error err = seL4_NotEnoughMemory;
        while (chunk < v->ram_count) {
            struct ut_alloc *r = &v->ram[chunk];
            if (r->used + LARGE_PAGE <= (1ull << r->bits)) {
                err = ut_retype(r, seL4_ARM_LargePageObject, 0, seL4_LargePageBits, &frame);
                break;
            }
            chunk++;
        }
        if (check(err, v, "guest RAM frame") != seL4_NoError)
            return err;
        /* Whether RAM is one physical block: a device the VM owns addresses it physically. */
        seL4_ARM_Page_GetAddress_t pa = seL4_ARM_Page_GetAddress(frame);
        if (f == 0)
            first_pa = pa.paddr;
        one_block = one_block && pa.error == seL4_NoError && pa.paddr == first_pa + f * LARGE_PAGE;
        err = map_ram_frame(v, frame, f * LARGE_PAGE);
        if (err != seL4_NoError)
            return err;
        /* The guest-side frame capability belongs to the VMM's protection domain. */
        err = seL4_CNode_Move(v->cnode, SEL4_VMM_SLOT_RAM + f, SEL4_VMM_CNODE_BITS,
                              seL4_CapInitThreadCNode, frame, seL4_WordBits);
        if (check(err, v, "handing a RAM frame to the VMM") != seL4_NoError)
            return err;
    }
    v->ram_pa = one_block ? first_pa : 0;
    return seL4_NoError;
}

static seL4_Error map_image(struct vm *v, int image, uint64_t va)
{
    for (uint64_t f = 0; f < admin.images[image].frames; f++) {
        seL4_CPtr c = copy_to_range(v, admin.images[image].first_frame + f, seL4_CanRead);
        if (c == seL4_CapNull)
            return check(seL4_RangeError, v, "copying a boot image frame");
        seL4_Error err = vs_map(v->vmm_vspace, c, va + f * LARGE_PAGE, seL4_CanRead,
                                seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &v->objects);
        if (check(err, v, "mapping a boot image") != seL4_NoError)
            return err;
    }
    return seL4_NoError;
}

/* The guest's GIC CPU interface is the hardware's virtual one (GICV), mapped at GICC. */
static seL4_Error map_gicv(struct vm *v)
{
    for (unsigned i = 0; i < 2; i++) {
        seL4_CPtr c = copy_to_range(v, admin.gicv_frame[i], seL4_ReadWrite);
        if (c == seL4_CapNull)
            return check(seL4_RangeError, v, "copying the GICV frame");
        seL4_Error err = vs_map(v->guest_vspace, c, A64_GIC_CPU_BASE + i * 0x1000, seL4_ReadWrite,
                                seL4_ARM_ExecuteNever, &v->objects);
        if (check(err, v, "mapping the GIC CPU interface") != seL4_NoError)
            return err;
    }
    return seL4_NoError;
}

/*
 * The services that build part of a VM, in the order they are built: the
 * board devices VMs own are found and reset before the driver VMs' and the
 * block server's channels are made, and everything before the VMs.
 */
const struct admin_service *const admin_services[] = {
    &net_service, &passthrough_service, &driver_vm_service, &blk_service, &shared_service};
const unsigned admin_service_count = sizeof(admin_services) / sizeof(admin_services[0]);

static struct vm_start start_of(struct vm *v)
{
    return (struct vm_start){
        .index = (unsigned)(v - vms),
        .vmm_cnode = v->cnode,
        .vmm_vspace = v->vmm_vspace,
        .vmm_ntfn = v->signal_ntfn,
        .guest_vspace = v->guest_vspace,
        .ram_pa = v->ram_pa,
        .objects = &v->objects,
    };
}

/*
 * The VMM's data areas (vmm_abi.h): the device models' tables, each only for
 * a VM with that device: the IOMMU's, a disk's requests (an image or a
 * region), a driver VM's vsock connections (for every VM it may serve).
 * Returns the pages they take.
 */
static uint64_t data_layout(const struct sel4_vm_desc *d, uint64_t offset[SEL4_VMM_DATA_AREAS],
                            uint64_t size[SEL4_VMM_DATA_AREAS])
{
    size[SEL4_VMM_DATA_IOMMU] = d->iommu ? SEL4_VMM_IOMMU_TABLES_BYTES : 0;
    size[SEL4_VMM_DATA_DISK] =
        d->disk != SEL4_NO_IMAGE || d->disk_served ? SEL4_VMM_BLK_REQS_BYTES : 0;
    unsigned clients = (unsigned)__builtin_popcount(d->serves);
    size[SEL4_VMM_DATA_VSOCK] = clients != 0 ? SEL4_VMM_VSOCK_CONNS_BYTES(clients) : 0;
    return sel4_plan_data(size, SEL4_VMM_DATA_AREAS, offset);
}

static uint64_t data_pages(const struct sel4_vm_desc *d)
{
    uint64_t offset[SEL4_VMM_DATA_AREAS], size[SEL4_VMM_DATA_AREAS];
    return data_layout(d, offset, size);
}

/* Fresh frames, so zeroed; a coloured VM's are of its colours like the rest of its VMM. */
static seL4_Error map_data(struct vm *v)
{
    seL4_Error err = seL4_NoError;

    for (uint64_t i = 0; i < data_pages(v->desc) && err == seL4_NoError; i++) {
        seL4_CPtr frame;
        err = vmm_frame(v, &frame);
        if (err == seL4_NoError)
            err = vs_map(v->vmm_vspace, frame, SEL4_VMM_DATA_VA + (i << seL4_PageBits),
                         seL4_ReadWrite, seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever,
                         &v->objects);
    }
    return check(err, v, "VMM data pages (device models' tables)");
}

static seL4_Error map_args(struct vm *v, unsigned index)
{
    static struct sel4_vmm_args args;
    const struct sel4_vm_desc *d = v->desc;
    seL4_CPtr frame;

    memset(&args, 0, sizeof(args));
    args.magic = SEL4_VMM_ABI_MAGIC;
    args.version = SEL4_VMM_ABI_VERSION;
    args.vm_index = index;
    args.vcpu_count = d->cpus;
    strncpy(args.name, d->name, sizeof(args.name) - 1);
    strncpy(args.cmdline, d->cmdline, sizeof(args.cmdline) - 1);
    uint64_t gpa[SEL4_VMM_MAX_RAM], size[SEL4_VMM_MAX_RAM];
    args.ram_count = ram_regions(d, gpa, size);
    for (unsigned i = 0; i < args.ram_count; i++) {
        args.ram[i].gpa = gpa[i];
        args.ram[i].size = size[i];
    }
    args.ram_size = d->memory;
    args.ram_va = v->plan.ram_vmm_va;
    args.kernel_va = v->plan.image_va[0];
    args.kernel_size = sel4_images[d->kernel].size;
    if (d->initrd != SEL4_NO_IMAGE) {
        args.initrd_va = v->plan.image_va[1];
        args.initrd_size = sel4_images[d->initrd].size;
    }
    args.gic_cpu_gpa = A64_GIC_CPU_BASE;
    args.gic_list_regs = QEMU_VIRT_GIC_LIST_REGS;
    args.boot_count = v->boot_count;
    args.virtio_console = d->virtio_console;
    args.iommu = d->iommu;
    uint64_t data_offset[SEL4_VMM_DATA_AREAS], data_size[SEL4_VMM_DATA_AREAS];
    data_layout(d, data_offset, data_size);
    for (unsigned k = 0; k < SEL4_VMM_DATA_AREAS; k++) {
        args.data[k].offset = data_offset[k];
        args.data[k].size = data_size[k];
    }
    if (d->disk != SEL4_NO_IMAGE) {
        args.disk_va = v->plan.image_va[2];
        args.disk_size = sel4_images[d->disk].size;
    }
    const struct vm_start vs = start_of(v);
    for (unsigned k = 0; k < admin_service_count; k++)
        admin_services[k]->vm_args(&vs, &args);
    if (args.disk_size != 0) { /* an image, or a region of the board's disk */
        strncpy(args.disk_id, d->disk_id ? d->disk_id : "disk0", sizeof(args.disk_id) - 1);
        args.disk_irq_vcpu = d->disk_irq_vcpu >= 0 ? (uint32_t)d->disk_irq_vcpu + 1 : 0;
    }
    _Static_assert(sizeof(args) <= 4096, "the argument page is one page");

    seL4_Error err = vmm_frame(v, &frame);
    if (err == seL4_NoError)
        err = vs_fill_frame(frame, &args, sizeof(args));
    if (err == seL4_NoError)
        err = vs_map(v->vmm_vspace, frame, SEL4_VMM_ARGS_VA, seL4_CanRead,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &v->objects);
    /* One IPC buffer per VMM thread. */
    for (unsigned i = 0; i < d->cpus && err == seL4_NoError; i++) {
        err = vmm_frame(v, &v->ipc_frame[i]);
        if (err == seL4_NoError)
            err = vs_map(v->vmm_vspace, v->ipc_frame[i], SEL4_VMM_IPC_BUFFER_VA(i), seL4_ReadWrite,
                         seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &v->objects);
    }
    return check(err, v, "argument and IPC buffer pages");
}

/* The console ring: one page, in the admin's VSpace and (through a copy) the VMM's. */
static seL4_Error map_console(struct vm *v, unsigned index)
{
    seL4_CPtr frame;
    uint64_t admin_va = ADMIN_CONSOLE_VA + (uint64_t)index * (1u << seL4_PageBits);
    seL4_Error err = vmm_frame(v, &frame);

    if (err == seL4_NoError)
        err = vs_map(seL4_CapInitThreadVSpace, frame, admin_va, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &admin.own);
    seL4_CPtr theirs = err == seL4_NoError ? copy_to_range(v, frame, seL4_ReadWrite) : seL4_CapNull;
    if (err == seL4_NoError && theirs == seL4_CapNull)
        err = seL4_RangeError;
    if (err == seL4_NoError)
        err = vs_map(v->vmm_vspace, theirs, SEL4_VMM_CONSOLE_VA, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &v->objects);
    if (check(err, v, "console ring") != seL4_NoError)
        return err;
    v->ring = (struct sel4_console_ring *)(uintptr_t)admin_va;
    v->line_len = 0;
    v->dropped_seen = 0;
    return seL4_NoError;
}

/* The VMM's CNode: only this VM's capabilities. */
static seL4_Error fill_cnode(struct vm *v, unsigned index)
{
    seL4_Word vm_badge = index + 1;
    seL4_Error err = seL4_NoError;

    for (unsigned i = 0; i < v->desc->cpus && err == seL4_NoError; i++) {
        err = copy_to_vmm(v, SEL4_VMM_SLOT_FAULT_EP + i, v->fault_ep[i]);
        /*
         * Each vCPU's CSpace: its own fault endpoint, badged with its index,
         * send-only, and nothing else; no vCPU can send as another.
         */
        if (err == seL4_NoError)
            err = seL4_CNode_Mint(v->guest_cnode[i], SEL4_GUEST_SLOT_FAULT_EP,
                                  SEL4_GUEST_CNODE_BITS, seL4_CapInitThreadCNode, v->fault_ep[i],
                                  seL4_WordBits, seL4_CapRights_new(1, 1, 0, 1), i + 1);
        if (err == seL4_NoError)
            err = copy_to_vmm(v, SEL4_VMM_SLOT_GUEST_TCB + i, v->guest_tcb[i]);
        if (err == seL4_NoError)
            err = copy_to_vmm(v, SEL4_VMM_SLOT_VCPU + i, v->vcpu[i]);
        /* The VMM starts its other threads itself, once the VM is built. */
        if (err == seL4_NoError)
            err = copy_to_vmm(v, SEL4_VMM_SLOT_VMM_TCB + i, v->vmm_tcb[i]);
#ifdef CONFIG_KERNEL_MCS
        if (err == seL4_NoError)
            err = copy_to_vmm(v, SEL4_VMM_SLOT_REPLY + i, v->reply[i]);
#endif
    }
    if (err == seL4_NoError)
        err = mint_to_vmm(v, SEL4_VMM_SLOT_ADMIN_EP, admin.endpoint, seL4_CapRights_new(1, 0, 0, 1),
                          vm_badge);
    if (err == seL4_NoError)
        err = mint_to_vmm(v, SEL4_VMM_SLOT_VMM_FAULT_EP, admin.endpoint,
                          seL4_CapRights_new(1, 0, 0, 1), vm_badge | SEL4_BADGE_VMM_FAULT);
    if (err == seL4_NoError)
        err = mint_to_vmm(v, SEL4_VMM_SLOT_CONSOLE_NTFN, admin.console_ntfn, seL4_CanWrite,
                          SEL4_BADGE_CONSOLE_VM(index));
    if (err == seL4_NoError)
        err = copy_to_vmm(v, SEL4_VMM_SLOT_LOCK_NTFN, v->lock_ntfn);
    if (err == seL4_NoError)
        err = copy_to_vmm(v, SEL4_VMM_SLOT_GUEST_VSPACE, v->guest_vspace);
    if (err == seL4_NoError)
        err = seL4_TCB_BindNotification(v->vmm_tcb[0], v->signal_ntfn);
    if (err == seL4_NoError)
        err =
            mint_to_vmm(v, SEL4_VMM_SLOT_KICK, v->signal_ntfn, seL4_CanWrite, SEL4_BADGE_VMM_KICK);
    return check(err, v, "filling the VMM's CNode");
}

#ifdef CONFIG_KERNEL_MCS
/*
 * Puts scheduling context sc on core with budget_us of every period_us
 * (budget 0: a full context, FULL_SC_US long). Configuring it on another
 * core's SchedControl is how an MCS thread migrates.
 */
static seL4_Error configure_sc(struct vm *v, seL4_CPtr sc, unsigned core, uint32_t budget_us,
                               uint32_t period_us)
{
    if (budget_us == 0)
        budget_us = period_us = FULL_SC_US;
    return check(seL4_SchedControl_ConfigureFlags(admin.bi->schedcontrol.start + core, sc,
                                                  budget_us, period_us, 0, 0, 0),
                 v, "scheduling context");
}

/* vCPU i's scheduling context; without a budget, policy fifo takes the long full context. */
static seL4_Error configure_guest_sc(struct vm *v, unsigned i, unsigned core, uint32_t budget_us,
                                     uint32_t period_us)
{
    if (budget_us == 0 && v->desc->fifo[i])
        budget_us = period_us = FIFO_SC_US;
    return configure_sc(v, v->guest_sc[i], core, budget_us, period_us);
}

/*
 * MCS: a thread's fault handler is a capability the kernel keeps in the
 * TCB, given from the admin's CSpace: mint the badged endpoint into the
 * VM's slot range first (revoked with the VM).
 */
static seL4_Error badged_in_range(struct vm *v, seL4_CPtr ep, seL4_CapRights_t rights,
                                  seL4_Word badge, seL4_CPtr *out)
{
    *out = slot_take(&v->slots);
    if (*out == seL4_CapNull)
        return check(seL4_RangeError, v, "a slot for a fault endpoint");
    return check(seL4_CNode_Mint(seL4_CapInitThreadCNode, *out, seL4_WordBits,
                                 seL4_CapInitThreadCNode, ep, seL4_WordBits, rights, badge),
                 v, "badging a fault endpoint");
}

static seL4_Error configure_threads(struct vm *v, unsigned i, seL4_Word guard,
                                    seL4_Word guest_guard)
{
    seL4_CPtr guest_fault, vmm_fault;
    seL4_Word vm_badge = (seL4_Word)(v - vms) + 1;
    seL4_Error err =
        badged_in_range(v, v->fault_ep[i], seL4_CapRights_new(1, 1, 0, 1), i + 1, &guest_fault);

    if (err == seL4_NoError)
        err = badged_in_range(v, admin.endpoint, seL4_CapRights_new(1, 0, 0, 1),
                              vm_badge | SEL4_BADGE_VMM_FAULT, &vmm_fault);
    if (err == seL4_NoError)
        err = check(seL4_TCB_Configure(v->guest_tcb[i], v->guest_cnode[i], guest_guard,
                                       v->guest_vspace, 0, 0, seL4_CapNull),
                    v, "configuring the guest thread");
    if (err == seL4_NoError)
        err = configure_guest_sc(v, i, v->core[i], v->budget_us[i], v->period_us[i]);
    if (err == seL4_NoError)
        err = check(seL4_TCB_SetSchedParams(v->guest_tcb[i], seL4_CapInitThreadTCB, v->prio[i],
                                            v->prio[i], v->guest_sc[i], guest_fault),
                    v, "guest scheduling");
    if (err == seL4_NoError)
        err = check(seL4_TCB_Configure(v->vmm_tcb[i], v->cnode, guard, v->vmm_vspace, 0,
                                       SEL4_VMM_IPC_BUFFER_VA(i), v->ipc_frame[i]),
                    v, "configuring the VMM thread");
    /* The VMM thread has a full context of its own, on the vCPU's core unless vmm_threads. */
    if (err == seL4_NoError)
        err = configure_sc(v, v->vmm_sc[i], vmm_core(v, i, v->core[i]), 0, 0);
    if (err == seL4_NoError)
        err = check(seL4_TCB_SetSchedParams(v->vmm_tcb[i], seL4_CapInitThreadTCB, vmm_prio(v),
                                            vmm_prio(v), v->vmm_sc[i], vmm_fault),
                    v, "VMM scheduling");
    return err;
}
#else
/*
 * Non-MCS: vCPU i's guest thread and the VMM thread serving it on core. The
 * VMM thread on the same core as its vCPU: a guest exit is an IPC to a
 * thread on the same core, never a cross-core one.
 */
static seL4_Error set_core(struct vm *v, unsigned i, unsigned core)
{
#if CONFIG_MAX_NUM_NODES > 1
    seL4_Error err = check(seL4_TCB_SetAffinity(v->guest_tcb[i], core), v, "guest core");
    if (err == seL4_NoError)
        err = check(seL4_TCB_SetAffinity(v->vmm_tcb[i], vmm_core(v, i, core)), v, "VMM core");
    return err;
#else
    (void)v, (void)i, (void)core;
    return seL4_NoError;
#endif
}
#endif

/* vCPU i's guest thread at its priority, the VMM thread serving it at the VM's VMM priority. */
static seL4_Error set_prio(struct vm *v, unsigned i)
{
    seL4_Error err = check(seL4_TCB_SetPriority(v->guest_tcb[i], seL4_CapInitThreadTCB, v->prio[i]),
                           v, "guest priority");
    if (err == seL4_NoError)
        err = check(seL4_TCB_SetPriority(v->vmm_tcb[i], seL4_CapInitThreadTCB, vmm_prio(v)), v,
                    "VMM priority");
    return err;
}

#ifndef CONFIG_KERNEL_MCS
static seL4_Error configure_threads(struct vm *v, unsigned i, seL4_Word guard,
                                    seL4_Word guest_guard)
{
    seL4_Error err;

    err = check(seL4_TCB_Configure(v->guest_tcb[i], SEL4_GUEST_SLOT_FAULT_EP, v->guest_cnode[i],
                                   guest_guard, v->guest_vspace, 0, 0, seL4_CapNull),
                v, "configuring the guest thread");
    if (err == seL4_NoError)
        err =
            check(seL4_TCB_Configure(v->vmm_tcb[i], SEL4_VMM_SLOT_VMM_FAULT_EP, v->cnode, guard,
                                     v->vmm_vspace, 0, SEL4_VMM_IPC_BUFFER_VA(i), v->ipc_frame[i]),
                  v, "configuring the VMM thread");
    if (err == seL4_NoError)
        err = set_prio(v, i);
    if (err == seL4_NoError)
        err = set_core(v, i, v->core[i]);
    return err;
}
#endif

/* vCPU i's guest thread and the VMM thread serving it, configured but not running. */
static seL4_Error configure_vcpu(struct vm *v, unsigned i)
{
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - SEL4_VMM_CNODE_BITS).words[0];
    seL4_Word guest_guard =
        seL4_CNode_CapData_new(0, seL4_WordBits - SEL4_GUEST_CNODE_BITS).words[0];
    seL4_Error err;

    err = check(seL4_ARM_VCPU_SetTCB(v->vcpu[i], v->guest_tcb[i]), v, "binding the VCPU");
    if (err == seL4_NoError)
        err = configure_threads(v, i, guard, guest_guard);
    if (err != seL4_NoError)
        return err;
    char name[64];
    snprintf(name, sizeof(name), "%s-guest%u", v->desc->name, i);
    seL4_DebugNameThread(v->guest_tcb[i], name);
    snprintf(name, sizeof(name), "%s-vmm%u", v->desc->name, i);
    seL4_DebugNameThread(v->vmm_tcb[i], name);
    return seL4_NoError;
}

static seL4_Error start_threads(struct vm *v)
{
    seL4_Error err = seL4_NoError;

    for (unsigned i = 0; i < v->desc->cpus && err == seL4_NoError; i++)
        err = configure_vcpu(v, i);
    if (err != seL4_NoError)
        return err;
    seL4_UserContext regs = {.pc = v->entry, .x0 = SEL4_VMM_ARGS_VA};
    return check(
        seL4_TCB_WriteRegisters(v->vmm_tcb[0], true, 0, sizeof(regs) / sizeof(seL4_Word), &regs), v,
        "starting the VMM thread");
}

static void reset_budget(struct vm *v)
{
    v->slots.next = v->slots.first;
    v->objects.used = 0;
    for (unsigned i = 0; i < v->ram_count; i++)
        v->ram[i].used = 0;
}

/* Deletes everything made for the VM: objects through their untypeds, then the copies. */
static void destroy(struct vm *v)
{
    v->ring = NULL; /* its page goes with the revocation below */
    for (unsigned i = 0; i < v->desc->cpus; i++) {
        seL4_TCB_Suspend(v->vmm_tcb[i]); /* a slot never filled is null: harmless */
        seL4_TCB_Suspend(v->guest_tcb[i]);
    }
    /*
     * A VCPU still loaded on another core would be written back into freed
     * memory there later (handover.c); the admin's own core drops it when
     * the VCPU is deleted.
     */
    for (unsigned i = 0; i < v->desc->cpus; i++) {
        bool seen = v->core[i] == ADMIN_CORE;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = v->core[j] == v->core[i];
        if (!seen)
            handover_flush(v->core[i]);
    }
    seL4_Error err = seL4_CNode_Revoke(seL4_CapInitThreadCNode, v->objects.ut, seL4_WordBits);
    for (unsigned i = 0; i < v->ram_count && err == seL4_NoError; i++)
        err = seL4_CNode_Revoke(seL4_CapInitThreadCNode, v->ram[i].ut, seL4_WordBits);
    if (err == seL4_NoError && v->desc->colours != 0)
        err = colour_revoke(&v->colour);
    for (seL4_CPtr s = v->slots.first; s < v->slots.next && err == seL4_NoError; s++)
        err = seL4_CNode_Delete(seL4_CapInitThreadCNode, s, seL4_WordBits);
    if (err != seL4_NoError)
        console_printf("admin: %s: teardown failed (seL4 error %d); its budget stays locked\n",
                       v->desc->name, err);
    else
        reset_budget(v);
    v->state = err == seL4_NoError ? VM_STOPPED : VM_UNAVAILABLE;
    for (unsigned k = 0; k < admin_service_count; k++)
        admin_services[k]->vm_stopped((unsigned)(v - vms));
}

/*
 * stdvmmd's admission rule: the running VMs together stay within the
 * description's system.memory, system.vcpus and system.max_vms.
 */
static bool system_admits(const struct vm *v)
{
    uint64_t memory = v->desc->memory;
    unsigned vcpus = v->desc->cpus, count = 1;

    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        if (vms[i].state == VM_RUNNING) {
            memory += vms[i].desc->memory;
            vcpus += vms[i].desc->cpus;
            count++;
        }
    }
    const char *what = sel4_system.memory && memory > sel4_system.memory    ? "memory"
                       : sel4_system.vcpus && vcpus > sel4_system.vcpus     ? "vcpus"
                       : sel4_system.max_vms && count > sel4_system.max_vms ? "max_vms"
                                                                            : NULL;
    if (what != NULL)
        console_printf("admin: %s: not started: with it the running VMs would take %llu MiB, "
                       "%u vCPUs, %u VMs; system.%s allows less (%llu MiB, %u vCPUs, %u VMs; "
                       "0: no limit)\n",
                       v->desc->name, (unsigned long long)(memory >> 20), vcpus, count, what,
                       (unsigned long long)(sel4_system.memory >> 20), sel4_system.vcpus,
                       sel4_system.max_vms);
    return what == NULL;
}

int vm_start(unsigned index)
{
    struct vm *v = &vms[index];
    const struct sel4_vm_desc *d = v->desc;
    if (v->state != VM_STOPPED) {
        console_printf("admin: %s is %s\n", d->name,
                       v->state == VM_RUNNING ? "already running" : "not available");
        return -1;
    }
    if (!system_admits(v))
        return -1;
    v->boot_count++;
    v->state = VM_RUNNING; /* from here on a failure tears down what exists */
    /* A VM starts from its description's placement, whatever it was moved to before. */
    memcpy(v->core, d->cores, sizeof(v->core));
    memcpy(v->budget_us, d->budget_us, sizeof(v->budget_us));
    memcpy(v->period_us, d->period_us, sizeof(v->period_us));
    for (unsigned i = 0; i < d->cpus; i++)
        v->prio[i] = desc_prio(d, i);
    /*
     * Building takes a while (the kernel clears the VM's memory): do it at
     * the guests' priority, so that running VMs keep their share of the CPU.
     */
    seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, GUEST_PRIO);
    seL4_Error err = make_objects(v);
    if (err == seL4_NoError && elf_load(sel4_vmm_program, sel4_vmm_program_size, v->vmm_vspace,
                                        &v->objects, d->colours != 0 ? &v->colour : NULL) < 0)
        err = seL4_InvalidArgument;
    if (err == seL4_NoError)
        err = map_ram(v);
    if (err == seL4_NoError)
        err = map_image(v, d->kernel, v->plan.image_va[0]);
    if (err == seL4_NoError && d->initrd != SEL4_NO_IMAGE)
        err = map_image(v, d->initrd, v->plan.image_va[1]);
    /* A read-only disk is one more shared image: the VMM serves it, the guest never maps it. */
    if (err == seL4_NoError && d->disk != SEL4_NO_IMAGE)
        err = map_image(v, d->disk, v->plan.image_va[2]);
    if (err == seL4_NoError)
        err = map_gicv(v);
    if (err == seL4_NoError)
        err = map_console(v, index);
    if (err == seL4_NoError)
        err = map_args(v, index);
    if (err == seL4_NoError)
        err = map_data(v);
    if (err == seL4_NoError)
        err = fill_cnode(v, index);
    const struct vm_start vs = start_of(v);
    for (unsigned k = 0; k < admin_service_count && err == seL4_NoError; k++)
        err = admin_services[k]->vm_start(&vs);
    /*
     * Back above every VM before its VMM thread starts: a VM of a higher
     * priority than the building level would otherwise keep the admin (and
     * everyone's console) off the core for as long as it runs.
     */
    seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, ADMIN_PRIO);
    /* Before anything of it runs: every frame made for it, read back from the kernel. */
    if (err == seL4_NoError && d->colours != 0 &&
        (colour_readback(&v->colour, d->name, v->plan.ram_frames) < 0 ||
         colour_channel_readback(index) < 0))
        err = seL4_IllegalOperation;
    if (err == seL4_NoError)
        err = start_threads(v);
    if (err != seL4_NoError) {
        console_printf("admin: %s: could not be started\n", d->name);
        destroy(v);
        return -1;
    }
    console_printf("admin: %s started (boot %u): VMM protection domain with %llu MiB of guest "
                   "RAM, %lu slots used\n",
                   d->name, v->boot_count, (unsigned long long)(d->memory >> 20),
                   (unsigned long)(v->slots.next - v->slots.first));
    return 0;
}

int vm_stop(unsigned index, const char *why)
{
    struct vm *v = &vms[index];

    if (v->state != VM_RUNNING) {
        console_printf("admin: %s is not running\n", v->desc->name);
        return -1;
    }
    destroy(v);
    console_printf("admin: %s stopped (%s); its capabilities are revoked\n", v->desc->name, why);
    return 0;
}

int vm_find(const char *name)
{
    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        if (strcmp(vms[i].desc->name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* The cores a VM's vCPUs are on: where they run now, or where they will start. */
static const uint8_t *vm_cores(const struct vm *v)
{
    return v->state == VM_RUNNING ? v->core : v->desc->cores;
}

/* Whether v runs a vCPU (or, with vmm too, a VMM thread) on core. */
static bool vm_uses_core(const struct vm *v, unsigned core, bool vmm)
{
    const uint8_t *c = vm_cores(v);
    for (unsigned i = 0; i < v->desc->cpus; i++) {
        if (c[i] == core || (vmm && vmm_core(v, i, c[i]) == core))
            return true;
    }
    return false;
}

/*
 * Moves vCPU vcpu of VM index to another core and/or sets the VM's priority
 * while it runs (core or prio < 0: unchanged), with stdvmmd's refusals: a
 * core the kernel lacks, another VM's dedicated core, or for a dedicated VM
 * a core another VM uses. The VMM thread serving the vCPU moves with it, so
 * its exits stay on one core.
 */
/* Parts per million of a core that the budgeted vCPUs placed on it take, but vCPU skip of v. */
static uint64_t core_load_ppm(unsigned core, const struct vm *skip_vm, unsigned skip)
{
    uint64_t ppm = 0;

    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        const struct vm *o = &vms[i];
        if (o->state != VM_RUNNING)
            continue;
        for (unsigned c = 0; c < o->desc->cpus; c++) {
            if (o->core[c] == core && o->budget_us[c] != 0 && !(o == skip_vm && c == skip))
                ppm += (uint64_t)o->budget_us[c] * 1000000 / o->period_us[c];
        }
    }
    return ppm;
}

int vm_vcpu_place(unsigned index, unsigned vcpu, const struct vcpu_place *p)
{
    struct vm *v = &vms[index];
    const char *name = v->desc->name;
    int core = p->core, prio = p->prio;

    if (v->state != VM_RUNNING) {
        console_printf("admin: %s is not running\n", name);
        return -1;
    }
    if (vcpu >= v->desc->cpus) {
        console_printf("admin: %s has vCPUs 0-%u\n", name, v->desc->cpus - 1);
        return -1;
    }
    if (core >= CONFIG_MAX_NUM_NODES) {
        console_printf("admin: %s vCPU %u: no core %d; this kernel runs %d core(s)\n", name, vcpu,
                       core, CONFIG_MAX_NUM_NODES);
        return -1;
    }
    if (prio > VM_PRIO_MAX) {
        console_printf("admin: %s vCPU %u: priority %d; VMs run at 0-%d (the admin at %d)\n", name,
                       vcpu, prio, VM_PRIO_MAX, ADMIN_PRIO);
        return -1;
    }
    for (unsigned i = 0; core >= 0 && i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        const struct vm *o = &vms[i];
        if (o == v || !vm_uses_core(o, (unsigned)core, v->desc->dedicated))
            continue;
        /* A dedicated VM's VMM threads (vmm_threads) may share a core; its vCPUs may not. */
        if (o->desc->dedicated && vm_uses_core(o, (unsigned)core, false)) {
            console_printf("admin: %s vCPU %u: core %d is dedicated to %s; refused\n", name, vcpu,
                           core, o->desc->name);
            return -1;
        }
        if (v->desc->dedicated) {
            console_printf("admin: %s vCPU %u: %s is dedicated, but %s runs threads on core "
                           "%d; refused\n",
                           name, vcpu, name, o->desc->name, core);
            return -1;
        }
    }
    uint32_t budget = p->set_budget ? p->budget_us : v->budget_us[vcpu];
    uint32_t period = p->set_budget ? p->period_us : v->period_us[vcpu];
#ifndef CONFIG_KERNEL_MCS
    if (budget != 0) {
        console_printf("admin: %s vCPU %u: budgets need an MCS kernel (-DKernelIsMCS=ON)\n", name,
                       vcpu);
        return -1;
    }
#endif
    if (budget != 0 && (period == 0 || budget > period)) {
        console_printf("admin: %s vCPU %u: a budget of %u us every %u us is impossible\n", name,
                       vcpu, budget, period);
        return -1;
    }
    unsigned target = core >= 0 ? (unsigned)core : v->core[vcpu];
    uint64_t load = core_load_ppm(target, v, vcpu);
    if (budget != 0 && load + (uint64_t)budget * 1000000 / period > 1000000) {
        console_printf("admin: %s vCPU %u: core %u has %llu%% in budgets already; %u/%u us does "
                       "not fit\n",
                       name, vcpu, target, (unsigned long long)(load / 10000), budget, period);
        return -1;
    }
    unsigned old_core = v->core[vcpu], old_prio = v->prio[vcpu];
    bool moving = core >= 0 && (unsigned)core != old_core;
    if (moving && !handover_ready()) {
        console_printf("admin: %s vCPU %u: cannot hand a VCPU over between cores on this "
                       "kernel; refused\n",
                       name, vcpu);
        return -1;
    }
    /*
     * From the old core, where the admin outranks the guest: its VCPU is
     * written back there and it cannot run there again before it is moved.
     */
    seL4_Error err = moving ? handover_run_on(old_core) : seL4_NoError;
    if (err == seL4_NoError && moving)
        err = handover_flush(old_core);
#ifdef CONFIG_KERNEL_MCS
    /* An MCS thread runs where its scheduling context is configured. */
    if (err == seL4_NoError && (core >= 0 || p->set_budget))
        err = configure_guest_sc(v, vcpu, target, budget, period);
    if (err == seL4_NoError && core >= 0 && !v->desc->vmm_threads)
        err = configure_sc(v, v->vmm_sc[vcpu], target, 0, 0);
#else
    if (err == seL4_NoError && core >= 0)
        err = set_core(v, vcpu, target);
#endif
    if (moving && handover_run_on(ADMIN_CORE) != seL4_NoError)
        console_printf("admin: still running on core %u\n", old_core);
    /* The VMM threads follow the VM's highest vCPU: all of them, as any may hold the lock. */
    if (err == seL4_NoError && prio >= 0)
        v->prio[vcpu] = (uint8_t)prio;
    for (unsigned i = 0; prio >= 0 && i < v->desc->cpus && err == seL4_NoError; i++)
        err = set_prio(v, i);
    if (err != seL4_NoError) {
        v->prio[vcpu] = (uint8_t)old_prio;
        return -1;
    }
    if (core >= 0)
        v->core[vcpu] = (uint8_t)core;
    v->budget_us[vcpu] = budget;
    v->period_us[vcpu] = budget ? period : 0;
    console_printf("admin: %s vCPU %u: core %u -> %u, priority %u -> %u, budget %u/%u us\n", name,
                   vcpu, old_core, v->core[vcpu], old_prio, v->prio[vcpu], v->budget_us[vcpu],
                   v->period_us[vcpu]);
    return 0;
}

void vm_list(void)
{
    static const char *const states[] = {"unavailable", "stopped", "running"};

    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        const struct vm *v = &vms[i];
        char cores[4 * SEL4_VMM_MAX_VCPUS + 1] = "", prios[4 * SEL4_VMM_MAX_VCPUS + 1] = "";
        char vmm[4 * SEL4_VMM_MAX_VCPUS + 8] = "";
        const uint8_t *where = vm_cores(v);
        for (unsigned c = 0; c < v->desc->cpus && c < SEL4_VMM_MAX_VCPUS; c++) {
            const char *sep = c ? "," : "";
            snprintf(cores + strlen(cores), sizeof(cores) - strlen(cores), "%s%u", sep, where[c]);
            snprintf(prios + strlen(prios), sizeof(prios) - strlen(prios), "%s%u", sep,
                     v->state == VM_RUNNING ? v->prio[c] : desc_prio(v->desc, c));
            if (v->desc->vmm_threads)
                snprintf(vmm + strlen(vmm), sizeof(vmm) - strlen(vmm), "%s%u", c ? "," : "  vmm ",
                         v->desc->vmm_cores[c]);
        }
        console_printf("admin: %-12s %-11s %4llu MiB  %u vCPU  boots %u  cores %s  prio %s%s%s\n",
                       v->desc->name, states[v->state], (unsigned long long)(v->desc->memory >> 20),
                       v->desc->cpus, v->boot_count, cores, prios,
                       v->desc->dedicated ? "  dedicated" : "", vmm);
    }
}

#ifdef CONFIG_BENCHMARK_TRACK_UTILISATION
/* A thread's cycles since the kernel's last utilisation reset, and its core's idle and total. */
static uint64_t thread_cycles(seL4_CPtr tcb, uint64_t *idle, uint64_t *total)
{
    seL4_BenchmarkGetThreadUtilisation(tcb);
    const uint64_t *b = (const uint64_t *)&seL4_GetIPCBuffer()->msg[0];
    *idle = b[BENCHMARK_IDLE_TCBCPU_UTILISATION];
    *total = b[BENCHMARK_TOTAL_UTILISATION];
    return b[BENCHMARK_TCB_UTILISATION];
}

static unsigned permille(uint64_t part, uint64_t whole)
{
    return whole ? (unsigned)(part * 1000 / whole) : 0;
}

void vm_util_report(void)
{
    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        const struct vm *v = &vms[i];
        if (v->state != VM_RUNNING)
            continue;
        for (unsigned c = 0; c < v->desc->cpus; c++) {
            uint64_t idle, total, vmm_idle, vmm_total;
            uint64_t guest = thread_cycles(v->guest_tcb[c], &idle, &total);
            uint64_t vmm = thread_cycles(v->vmm_tcb[c], &vmm_idle, &vmm_total);
            unsigned g = permille(guest, total), m = permille(vmm, total),
                     id = permille(idle, total);
            console_printf("admin: util %s vcpu %u core %u: guest %u.%u%% vmm %u.%u%% "
                           "(core idle %u.%u%%)\n",
                           v->desc->name, c, v->core[c], g / 10, g % 10, m / 10, m % 10, id / 10,
                           id % 10);
        }
    }
}
#endif

static int budget(struct vm *v)
{
    const struct sel4_vm_desc *d = v->desc;
    uint64_t pages;
    struct sel4_vm_spec spec = {.ram_gpa = d->ram_count != 0 ? d->ram[0].gpa : A64_RAM_BASE,
                                .ram_size = d->memory,
                                .image_count = 1,
                                .vcpus = d->cpus,
                                .small_ram = d->colours != 0,
                                .extra_tables = shared_vm_tables((unsigned)(v - vms))};

    if (d->cpus == 0 || d->cpus > SEL4_VMM_MAX_VCPUS) {
        console_printf("admin: %s: %u vCPUs; the seL4 port runs 1 to %d per VM\n", d->name, d->cpus,
                       SEL4_VMM_MAX_VCPUS);
        return -1;
    }
    for (unsigned i = 0; i < d->cpus; i++) {
#ifndef CONFIG_KERNEL_MCS
        if (d->budget_us[i] != 0) {
            console_printf("admin: %s: vCPU %u has a budget; budgets need an MCS kernel "
                           "(-DKernelIsMCS=ON)\n",
                           d->name, i);
            return -1;
        }
#endif
        if (d->cores[i] >= CONFIG_MAX_NUM_NODES) {
            console_printf("admin: %s: vCPU %u placed on core %u; this kernel runs %d core(s)\n",
                           d->name, i, d->cores[i], CONFIG_MAX_NUM_NODES);
            return -1;
        }
        if (d->vmm_cores[i] >= CONFIG_MAX_NUM_NODES) {
            console_printf("admin: %s: the VMM thread of vCPU %u placed on core %u "
                           "(vmm_threads); this kernel runs %d core(s)\n",
                           d->name, i, d->vmm_cores[i], CONFIG_MAX_NUM_NODES);
            return -1;
        }
        if (d->priority[i] > VM_PRIO_MAX) {
            console_printf("admin: %s: vCPU %u at priority %d; VMs run at 0-%d\n", d->name, i,
                           d->priority[i], VM_PRIO_MAX);
            return -1;
        }
    }
    if (elf_program_pages(sel4_vmm_program, sel4_vmm_program_size, &pages, &v->entry) < 0)
        return -1;
    spec.program_pages = pages;
    spec.data_pages = data_pages(d);
    spec.image_size[0] = sel4_images[d->kernel].size;
    if (d->initrd != SEL4_NO_IMAGE) {
        spec.image_size[1] = sel4_images[d->initrd].size;
        spec.image_count = 2;
    }
    if (d->disk != SEL4_NO_IMAGE) { /* slot 2 (slot 1 stays empty without an initramfs) */
        spec.image_size[2] = sel4_images[d->disk].size;
        spec.image_count = 3;
    }
    if (sel4_plan_vm(&spec, &v->plan) < 0)
        return -1;
    if (d->colours == 0 && SEL4_VMM_SLOT_RAM + v->plan.ram_frames > SEL4_VMM_SLOT_SHARED_FIRST) {
        console_printf("admin: %s: %llu MiB of RAM need more frames than the VMM's CNode holds\n",
                       d->name, (unsigned long long)(d->memory >> 20));
        return -1;
    }
    unsigned index = (unsigned)(v - vms);
    uint64_t slots = v->plan.slots;
    for (unsigned k = 0; k < admin_service_count; k++)
        slots += admin_services[k]->vm_slots(index);
    v->slots.first = v->slots.next = admin_slots(slots);
    v->slots.end = v->slots.first + slots;
    if (v->slots.first == seL4_CapNull)
        return -1;
    /* The budget's untypeds live in admin slots outside the range; what they make goes in it. */
    if (admin_untyped(v->plan.objects_bits, &v->objects, &v->slots) != seL4_NoError)
        return -1;
    for (unsigned i = 0; i < v->plan.ram_chunk_count; i++) {
        if (admin_untyped(v->plan.ram_chunk_bits[i], &v->ram[i], &v->slots) != seL4_NoError)
            return -1;
        v->ram_count = i + 1;
    }
    if (d->colours != 0) {
        if (sel4_cache.colours == 0) {
            console_printf("admin: %s: colours, but no system.cache to colour\n", d->name);
            return -1;
        }
        /*
         * RAM, the program, its data pages, the argument page, the console ring and an IPC page
         * per vCPU.
         */
        uint64_t frames = v->plan.ram_frames + pages + spec.data_pages + 2 + d->cpus;
        return colour_budget(&v->colour, d->name, frames, d->colours, sel4_cache.colours);
    }
    return 0;
}

void vms_init(void)
{
    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        vms[i].desc = &sel4_vm_table[i];
        if (budget(&vms[i]) == 0) {
            vms[i].state = VM_STOPPED;
        } else {
            /* budget() said why: its vCPUs, its core, or no memory left for it. */
            console_printf("admin: %s: unavailable; it cannot be started\n", vms[i].desc->name);
        }
    }
    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        if (vms[i].state == VM_STOPPED && vms[i].desc->autostart)
            vm_start(i);
    }
}

static void flush_line(struct vm *v)
{
    if (v->line_len == 0)
        return;
    v->line[v->line_len] = '\0';
    console_printf("[%s] %s\n", v->desc->name, v->line);
    v->line_len = 0;
}

void vm_console_drain(unsigned index)
{
    if (index >= sel4_vm_count || index >= SEL4_MAX_VMS)
        return;
    struct vm *v = &vms[index];
    if (v->state != VM_RUNNING || v->ring == NULL)
        return; /* a late notification from a VM already torn down */
    struct sel4_console_ring *r = v->ring;
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint32_t tail = r->tail;
    /* head is the VMM's word: never read more than the ring holds. */
    if (head - tail > SEL4_CONSOLE_RING_SIZE)
        tail = head - SEL4_CONSOLE_RING_SIZE;
    for (; tail != head; tail++) {
        char c = r->data[tail % SEL4_CONSOLE_RING_SIZE];
        if (c == '\n' || v->line_len == sizeof(v->line) - 1)
            flush_line(v);
        if (c != '\n')
            v->line[v->line_len++] = (c >= ' ' || c == '\t') && c != 0x7f ? c : '?';
    }
    __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
    uint32_t dropped = __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
    if (dropped != v->dropped_seen) {
        console_printf("admin: %s: %u bytes of console output dropped (ring full)\n", v->desc->name,
                       dropped - v->dropped_seen);
        v->dropped_seen = dropped;
    }
}

void vm_message(seL4_Word badge, seL4_MessageInfo_t info)
{
    seL4_Word vm_badge = badge & SEL4_BADGE_VM_MASK;

    if (vm_badge == 0 || vm_badge > sel4_vm_count || vms[vm_badge - 1].state != VM_RUNNING) {
        /* A message from a VM already torn down, or a stray badge: nobody to answer. */
        return;
    }
    unsigned index = (unsigned)vm_badge - 1;
    struct vm *v = &vms[index];
    seL4_Word label = seL4_MessageInfo_get_label(info);
    if (badge & SEL4_BADGE_VMM_FAULT) {
        console_printf("admin: %s: its VMM thread faulted (seL4 fault %lu, pc 0x%lx, "
                       "address 0x%lx); stopping this VM only\n",
                       v->desc->name, (unsigned long)label, (unsigned long)seL4_GetMR(0),
                       (unsigned long)seL4_GetMR(1));
        vm_stop(index, "VMM fault");
        return;
    }
    vm_console_drain(index); /* what the VMM wrote before this message comes first */
    flush_line(v);
    switch (label) {
    case SEL4_MSG_STOPPED: {
        seL4_Word reason = seL4_GetMR(0);
        vm_stop(index, reason_name(reason));
        if (reason == 2 /* VM_STOP_RESET */ && v->desc->restart_on_reset) {
            console_printf("admin: %s: guest reset: rebuilding it\n", v->desc->name);
            vm_start(index);
        }
        break;
    }
    default:
        console_printf("admin: %s: unknown message %lu from its VMM; stopping it\n", v->desc->name,
                       (unsigned long)label);
        vm_stop(index, "protocol error");
        break;
    }
}
