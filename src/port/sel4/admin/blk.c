/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Disks on the board's disk: the block server protection domain and each
 * VM's channel to it (blk_abi.h, docs/sel4.md "Disks"). The server is built
 * once, at boot, when a VM's description gives it a region of the board's
 * disk. Its CSpace holds its notification, the device's IRQ handler and,
 * per running VM with a region, a send-only capability to that VMM's
 * notification; its VSpace maps its program, its argument page, the one
 * page of device registers holding the disk's transport, its DMA page and
 * the clients' channels. Nothing of any VM, and no other device.
 * The admin finds the disk on the board (board.c).
 */
#include <string.h>

#include "admin.h"
#include "blk_abi.h"

#define BLKSRV_UT_BITS 25 /* program, DMA page, channels of up to 8 clients, tables */
#define BLKSRV_SLOTS                                                                               \
    9216 /* per client 2 x SEL4_BLK_CHANNEL_PAGES (its frames, the admin's copies) */
#define ADMIN_BLK_VA 0x3800000000ull /* client c's channel at + c * SEL4_BLKSRV_CLIENT_STRIDE */

static struct backend_pd srv;
static seL4_CPtr region[SEL4_BLK_MAX_CLIENTS];
static seL4_CPtr detach[SEL4_BLK_MAX_CLIENTS];

static bool has_disk(unsigned index)
{
    return index < sel4_vm_count && index < SEL4_BLK_MAX_CLIENTS &&
           sel4_vm_table[index].disk_served && sel4_vm_table[index].disk_backend < 0;
}

static void fill_args(struct sel4_blksrv_args *a, unsigned transport, uint64_t dma_pa)
{
    uint64_t pa = board_transport_pa(transport);

    memset(a, 0, sizeof(*a));
    a->magic = SEL4_BLKSRV_ABI_MAGIC;
    a->version = SEL4_BLKSRV_ABI_VERSION;
    a->client_count = sel4_vm_count < SEL4_BLK_MAX_CLIENTS ? sel4_vm_count : SEL4_BLK_MAX_CLIENTS;
    a->transport_offset = (uint32_t)(pa & 0xfff);
    a->device_pa = pa;
    a->dma_pa = dma_pa;
    for (unsigned c = 0; c < a->client_count; c++) {
        const struct sel4_vm_desc *d = &sel4_vm_table[c];
        strncpy(a->clients[c].name, d->name, sizeof(a->clients[c].name) - 1);
        if (!has_disk(c))
            continue;
        a->clients[c].in_use = 1;
        a->clients[c].read_only = d->disk_read_only;
        a->clients[c].offset = d->disk_offset;
        a->clients[c].size = d->disk_region_size;
    }
}

/* The device's page, its interrupt and the DMA page: the server's only way to the disk. */
static seL4_Error give_device(unsigned transport, uint64_t *dma_pa)
{
    seL4_CPtr page = slot_take(&srv.slots), irq = slot_take(&srv.slots), dma, badged;
    seL4_Error err = page == seL4_CapNull || irq == seL4_CapNull ? seL4_RangeError : seL4_NoError;

    if (err == seL4_NoError)
        err = seL4_CNode_Copy(seL4_CapInitThreadCNode, page, seL4_WordBits, seL4_CapInitThreadCNode,
                              board_transport_page(transport), seL4_WordBits, seL4_ReadWrite);
    if (err == seL4_NoError)
        err = vs_map(srv.vspace, page, SEL4_BLKSRV_DEVICE_VA, seL4_ReadWrite, seL4_ARM_ExecuteNever,
                     &srv.objects);
    if (err == seL4_NoError)
        err = seL4_IRQControl_GetTrigger(seL4_CapIRQControl, board_transport_irq(transport), 0,
                                         seL4_CapInitThreadCNode, irq, seL4_WordBits);
    if (err == seL4_NoError)
        err = backend_pd_badge(&srv, SEL4_BADGE_BLK_IRQ, &badged);
    if (err == seL4_NoError)
        err = seL4_IRQHandler_SetNotification(irq, badged);
    if (err == seL4_NoError)
        err = seL4_CNode_Move(srv.cnode, SEL4_BLKSRV_SLOT_IRQ, srv.cnode_bits,
                              seL4_CapInitThreadCNode, irq, seL4_WordBits);
    if (err == seL4_NoError)
        err = ut_retype(&srv.objects, seL4_ARM_LargePageObject, 0, seL4_LargePageBits, &dma);
    if (err == seL4_NoError) {
        seL4_ARM_Page_GetAddress_t got = seL4_ARM_Page_GetAddress(dma);
        err = got.error;
        *dma_pa = got.paddr;
    }
    if (err == seL4_NoError)
        err = vs_map(srv.vspace, dma, SEL4_BLKSRV_DMA_VA, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &srv.objects);
    if (err != seL4_NoError)
        console_printf("admin: block server: its device: seL4 error %d\n", err);
    return err;
}

static int blk_init(void)
{
    static struct sel4_blksrv_args a;
    unsigned clients = 0;
    uint64_t dma_pa = 0;

    for (unsigned i = 0; i < sel4_vm_count; i++)
        clients += has_disk(i);
    if (clients == 0)
        return 0;
    int transport = board_find_disk0();
    if (transport < 0)
        return -1;
    if (backend_pd_create(&srv, "block server", sel4_blksrv_program, sel4_blksrv_program_size,
                          BLKSRV_UT_BITS, BLKSRV_SLOTS, SEL4_BLKSRV_CNODE_BITS) < 0 ||
        give_device((unsigned)transport, &dma_pa) != seL4_NoError)
        return -1;
    for (unsigned c = 0; c < SEL4_BLK_MAX_CLIENTS; c++) {
        if (!has_disk(c))
            continue;
        if (backend_pd_region(&srv, c, true, SEL4_BLK_CHANNEL_PAGES, SEL4_BLKSRV_CLIENT_VA(c),
                              ADMIN_BLK_VA + c * SEL4_BLKSRV_CLIENT_STRIDE,
                              &region[c]) != seL4_NoError ||
            backend_pd_badge(&srv, SEL4_BADGE_BLK_DETACH(c), &detach[c]) != seL4_NoError)
            return -1;
    }
    fill_args(&a, (unsigned)transport, dma_pa);
    _Static_assert(sizeof(a) <= 4096, "the argument page is one page");
    const struct backend_pd_layout layout = {
        .args_va = SEL4_BLKSRV_ARGS_VA,
        .ipc_va = SEL4_BLKSRV_IPC_BUFFER_VA,
        .ntfn_slot = SEL4_BLKSRV_SLOT_NTFN,
        .prio = ADMIN_PRIO - 1,
        .thread_name = "stdvmm-blkserver",
    };
    if (backend_pd_start(&srv, &a, sizeof(a), &layout) != seL4_NoError)
        return -1;
    console_printf("admin: block server started: disk0 at 0x%llx (IRQ %d), %u VMs with a region\n",
                   (unsigned long long)a.device_pa, board_transport_irq((unsigned)transport),
                   clients);
    return 0;
}

static unsigned blk_vm_slots(unsigned index)
{
    /* The channel's frames and the page tables that map them. */
    return has_disk(index) ? SEL4_BLK_CHANNEL_PAGES + 4 : 0;
}

static void blk_vm_args(const struct vm_start *vs, struct sel4_vmm_args *a)
{
    unsigned index = vs->index;
    const struct sel4_vm_desc *d = &sel4_vm_table[index];

    if (!has_disk(index) || !srv.up)
        return;
    a->disk_served = 1;
    a->disk_size = d->disk_region_size;
    a->disk_read_only = d->disk_read_only;
}

static seL4_Error blk_vm_start(const struct vm_start *vs)
{
    unsigned index = vs->index;

    if (!has_disk(index) || !srv.up)
        return seL4_NoError;
    seL4_Error err = backend_pd_attach_vmm(
        &srv, SEL4_BLKSRV_SLOT_VMM_NTFN + index, vs->vmm_ntfn, SEL4_BADGE_BLK_VMM, vs->vmm_cnode,
        SEL4_VMM_SLOT_BLK_DOORBELL, SEL4_BADGE_BLK_DOORBELL(index));
    if (err == seL4_NoError)
        err = backend_pd_share(region[index], SEL4_BLK_CHANNEL_PAGES, vs->vmm_vspace,
                               SEL4_VMM_BLK_VA, vs->objects);
    if (err != seL4_NoError)
        console_printf("admin: %s: its channel to the block server: seL4 error %d\n",
                       sel4_vm_table[index].name, err);
    return err;
}

static void blk_vm_stopped(unsigned index)
{
    if (!has_disk(index) || !srv.up)
        return;
    /*
     * As for the switch: the VMM is gone, the server still maps the channel.
     * Zero it first, so nothing the VM left there is taken for its next run.
     */
    memset((void *)(uintptr_t)(ADMIN_BLK_VA + index * SEL4_BLKSRV_CLIENT_STRIDE), 0,
           SEL4_BLK_CHANNEL_BYTES);
    seL4_Signal(detach[index]);
}

const struct admin_service blk_service = {
    "no block server: VMs with a region of the board's disk start without that disk",
    blk_init,
    blk_vm_slots,
    blk_vm_args,
    blk_vm_start,
    blk_vm_stopped};
