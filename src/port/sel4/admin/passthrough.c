/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Board devices a VM owns (passthrough: a driver VM, docs/sel4.md "Driver
 * VMs"). The VM's own Linux drives the device with its own driver: the
 * page of the device's registers is mapped into the VM's stage 2 at
 * SEL4_PT_GPA (same offset in the page as on the board), and its interrupt
 * is bound to the VMM's notification; the VMM raises it on the VM's vGIC
 * and acknowledges it at the guest's EOI. The device addresses memory
 * physically and QEMU's virt has no IOMMU in front of it: the VM's RAM is
 * one physically contiguous block, whose address the VMM puts in the
 * device tree (dma-ranges), and the guest negotiates ACCESS_PLATFORM so its
 * DMA API translates (QEMU: iommu_platform=on on the device).
 *
 * What this does not confine: the device's DMA. A driver VM can program
 * its device to read or write any physical memory; that needs an IOMMU
 * (SMMU) the board does not have. The page also holds the board's seven
 * other transports (4 KiB is the mapping granule): a device that shares its
 * page with another device is refused, and gen-vm-table gives a device one
 * owner.
 */
#include "admin.h"

struct owned {
    bool in_use;
    int transport;
    seL4_CPtr irq; /* the IRQ handler, an admin slot, kept across runs */
};

static struct owned owned[SEL4_MAX_VMS];

static bool owns(unsigned index)
{
    return index < sel4_vm_count && index < SEL4_MAX_VMS && owned[index].in_use;
}

static int passthrough_init(void)
{
    for (unsigned i = 0; i < sel4_vm_count && i < SEL4_MAX_VMS; i++) {
        const struct sel4_vm_desc *d = &sel4_vm_table[i];
        if (!(d->passthrough & 3u))
            continue;
        /* One device per VM (gen-vm-table): bit 0 disk0, bit 1 net0. */
        const char *what = d->passthrough & 1u ? "disk0" : "net0";
        int n = d->passthrough & 1u ? board_find_disk0() : board_find_net0();
        if (n >= 0 && board_page_shared((unsigned)n)) {
            console_printf("admin: %s: %s shares its 4 KiB page with another board device, "
                           "which the VM would reach too; refused (QEMU: give the owned device "
                           "last on the command line, the others before it, 8 apart)\n",
                           d->name, what);
            return -1;
        }
        seL4_CPtr irq = admin_slots(1);
        if (n < 0 || irq == seL4_CapNull)
            return -1;
        seL4_Error err =
            seL4_IRQControl_GetTrigger(seL4_CapIRQControl, board_transport_irq((unsigned)n), 0,
                                       seL4_CapInitThreadCNode, irq, seL4_WordBits);
        if (err != seL4_NoError) {
            console_printf("admin: %s: the interrupt %d of %s: seL4 error %d\n", d->name,
                           board_transport_irq((unsigned)n), what, err);
            return -1;
        }
        /* Whatever firmware or a previous owner left running stops here. */
        board_transport_reset((unsigned)n);
        owned[i] = (struct owned){.in_use = true, .transport = n, .irq = irq};
        console_printf("admin: %s owns %s (virtio-mmio at 0x%llx, IRQ %d): passthrough\n", d->name,
                       what, (unsigned long long)board_transport_pa((unsigned)n),
                       board_transport_irq((unsigned)n));
    }
    return 0;
}

static unsigned passthrough_vm_slots(unsigned index)
{
    /* The page's copy, the badged notification, and the page tables that map the page. */
    return owns(index) ? 2 + 4 : 0;
}

static void passthrough_vm_args(const struct vm_start *vs, struct sel4_vmm_args *a)
{
    unsigned index = vs->index;
    uint64_t ram_pa = vs->ram_pa;
    if (!owns(index) || ram_pa == 0)
        return;
    a->pt_gpa = SEL4_PT_GPA + (board_transport_pa((unsigned)owned[index].transport) & 0xfff);
    a->pt_size = 0x200;
    a->pt_dma_bus = ram_pa;
}

static seL4_Error passthrough_vm_start(const struct vm_start *vs)
{
    unsigned index = vs->index;
    seL4_CPtr vmm_cnode = vs->vmm_cnode, guest_vspace = vs->guest_vspace, vmm_ntfn = vs->vmm_ntfn;
    struct ut_alloc *objects = vs->objects;
    if (!owns(index))
        return seL4_NoError;
    if (vs->ram_pa == 0) {
        console_printf("admin: %s: its RAM is not one physical block, and the device it owns "
                       "needs that\n",
                       sel4_vm_table[index].name);
        return seL4_InvalidArgument;
    }
    struct owned *o = &owned[index];
    seL4_CPtr page = slot_take(objects->slots), badged = slot_take(objects->slots);
    seL4_Error err =
        page == seL4_CapNull || badged == seL4_CapNull ? seL4_RangeError : seL4_NoError;

    if (err == seL4_NoError)
        err = seL4_CNode_Copy(seL4_CapInitThreadCNode, page, seL4_WordBits, seL4_CapInitThreadCNode,
                              board_transport_page((unsigned)o->transport), seL4_WordBits,
                              seL4_ReadWrite);
    /* Device memory in stage 2 (no cacheable attribute), never executable. */
    if (err == seL4_NoError)
        err =
            vs_map(guest_vspace, page, SEL4_PT_GPA, seL4_ReadWrite, seL4_ARM_ExecuteNever, objects);
    if (err == seL4_NoError)
        err =
            seL4_CNode_Mint(seL4_CapInitThreadCNode, badged, seL4_WordBits, seL4_CapInitThreadCNode,
                            vmm_ntfn, seL4_WordBits, seL4_CanWrite, SEL4_BADGE_PT_IRQ);
    if (err == seL4_NoError)
        err = seL4_IRQHandler_SetNotification(o->irq, badged);
    /* The VMM acknowledges at the guest's EOI: it needs the handler, nothing else of it. */
    if (err == seL4_NoError)
        err = seL4_CNode_Copy(vmm_cnode, SEL4_VMM_SLOT_PT_IRQ, SEL4_VMM_CNODE_BITS,
                              seL4_CapInitThreadCNode, o->irq, seL4_WordBits, seL4_AllRights);
    /* Unmasked: a previous run may have left it masked, waiting for an EOI that never came. */
    if (err == seL4_NoError)
        err = seL4_IRQHandler_Ack(o->irq);
    if (err != seL4_NoError)
        console_printf("admin: %s: its board device: seL4 error %d\n", sel4_vm_table[index].name,
                       err);
    return err;
}

static void passthrough_vm_stopped(unsigned index)
{
    if (!owns(index))
        return;
    /*
     * The VM is gone, its device may still be working on its queues: reset
     * it, so it neither writes into the RAM the next run gets nor raises an
     * interrupt for no one; and unbind the interrupt from the revoked
     * notification.
     */
    board_transport_reset((unsigned)owned[index].transport);
    seL4_IRQHandler_Clear(owned[index].irq);
}

const struct admin_service passthrough_service = {
    "the board devices given to VMs are not available",
    passthrough_init,
    passthrough_vm_slots,
    passthrough_vm_args,
    passthrough_vm_start,
    passthrough_vm_stopped};
