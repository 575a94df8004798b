/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Disks and NICs served by a driver VM (blk_abi.h, docs/sel4.md "Driver
 * VMs"). A user VM whose disk's backend is a driver VM gets the same
 * channel and the same VMM code as with the block server, and a NIC the
 * same channels as on the switch; only where its doorbells lead differs. The channels are made
 * once, at boot, from the admin's memory, so that either VM can stop and start while the other
 * runs; each start maps them again into the starting VMM.
 *
 * Capabilities, only while both VMs run: the user VMM's doorbell slots
 * (disk, NIC) hold a send to the driver VMM's notification badged with the
 * user VM's index; the driver VMM's slot SEL4_VMM_SLOT_DRV_CLIENT + index
 * holds a send to the user VMM's notification badged for both its disk and
 * its NIC (a wake-up with nothing new costs a look at two rings). Both come from the
 * notifications' own budgets, so stopping either VM deletes them. The admin
 * keeps a send to each running VMM's notification: BLK_LOST and BLK_UP to a
 * user VMM when its driver VM stops and starts, DRV_DETACH(index) to the
 * driver VMM when a user VM stops (after zeroing its channel).
 */
#include <string.h>

#include "admin.h"
#include "blk_abi.h"
#include "net_abi.h"

/* Client c's disk channel at + c * SEL4_VMM_DRV_CLIENT_STRIDE, its NIC's at ADMIN_DRV_NET_VA(c). */
#define ADMIN_DRV_VA 0x4000000000ull
#define ADMIN_DRV_NET_VA(c) (0x4100000000ull + (uint64_t)(c)*0x80000ull)

struct running {
    bool up;
    seL4_CPtr cnode, ntfn;
    seL4_CPtr lost, back;           /* a user VM: BLK_LOST and BLK_UP to its VMM */
    seL4_CPtr detach[SEL4_MAX_VMS]; /* a driver VM: DRV_DETACH(c) to its VMM */
};

static struct running run[SEL4_MAX_VMS];
static seL4_CPtr channel[SEL4_MAX_VMS];     /* first frame of VM c's disk channel; null: none */
static seL4_CPtr net_channel[SEL4_MAX_VMS]; /* first frame of VM c's NIC's channels; null: none */

static int valid_vm(int d)
{
    return d >= 0 && (unsigned)d < sel4_vm_count && d < SEL4_MAX_VMS ? d : -1;
}

static int disk_backend_of(unsigned c)
{
    if (c >= sel4_vm_count || c >= SEL4_MAX_VMS || !sel4_vm_table[c].disk_served)
        return -1;
    return valid_vm(sel4_vm_table[c].disk_backend);
}

static int net_backend_of(unsigned c)
{
    if (c >= sel4_vm_count || c >= SEL4_MAX_VMS || !sel4_vm_table[c].net)
        return -1;
    return valid_vm(sel4_vm_table[c].net_backend);
}

/* VM c's driver VM: one for its disk and its NIC (gen-vm-table; the admin checks it again). */
static int backend_of(unsigned c)
{
    int d = disk_backend_of(c), n = net_backend_of(c);
    return d >= 0 && n >= 0 && d != n ? -1 : d >= 0 ? d : n;
}

static bool serves(unsigned d, unsigned c)
{
    return backend_of(c) == (int)d && (sel4_vm_table[d].serves & (1u << c)) != 0;
}

/* A client's channels exist (made at boot): its disk's, its NIC's. */
static bool has_disk(unsigned c)
{
    return disk_backend_of(c) >= 0 && channel[c] != seL4_CapNull;
}

static bool has_net(unsigned c)
{
    return net_backend_of(c) >= 0 && net_channel[c] != seL4_CapNull;
}

static void *channel_va(unsigned c)
{
    return (void *)(uintptr_t)(ADMIN_DRV_VA + (uint64_t)c * SEL4_VMM_DRV_CLIENT_STRIDE);
}

static void *net_channel_va(unsigned c)
{
    return (void *)(uintptr_t)ADMIN_DRV_NET_VA(c);
}

/*
 * VM c's channel (disk, or its NIC's): pages frames from the admin's memory
 * (an untyped of 2^bits), or of c's colours when it has some, mapped at va:
 * the first's slot.
 */
static seL4_CPtr make_channel(unsigned c, bool disk, unsigned pages, unsigned bits, uint64_t va)
{
    struct ut_alloc mem;
    struct slot_range slots;
    seL4_CPtr first = seL4_CapNull;
    bool coloured;
    if (colour_channel(c, disk, &first, &coloured) != seL4_NoError)
        return seL4_CapNull;
    if (!coloured) {
        first = admin_slots(pages);
        slots = (struct slot_range){first, first, first + pages};
        if (first == seL4_CapNull || admin_untyped(bits, &mem, &slots) != seL4_NoError)
            return seL4_CapNull;
    }
    seL4_Error err = seL4_NoError;
    for (unsigned k = 0; k < pages && err == seL4_NoError; k++) {
        seL4_CPtr f = first + k;
        if (!coloured)
            err = ut_retype(&mem, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &f);
        if (err == seL4_NoError)
            err = vs_map(seL4_CapInitThreadVSpace, f, va + ((uint64_t)k << seL4_PageBits),
                         seL4_ReadWrite, seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever,
                         &admin.own);
    }
    return err == seL4_NoError ? first : seL4_CapNull;
}

static int driver_vm_init(void)
{
    for (unsigned c = 0; c < sel4_vm_count && c < SEL4_MAX_VMS; c++) {
        int d = backend_of(c);
        if (d < 0) {
            if (disk_backend_of(c) >= 0 || net_backend_of(c) >= 0)
                console_printf("admin: %s: its disk and NIC name two driver VMs\n",
                               sel4_vm_table[c].name);
            continue;
        }
        if (!serves((unsigned)d, c)) { /* gen-vm-table refuses it; the admin does not trust it */
            console_printf("admin: %s: its backend %s may not serve it\n", sel4_vm_table[c].name,
                           sel4_vm_table[d].name);
            continue;
        }
        /* 514 pages fit 2^22 bytes, 72 pages 2^19. */
        if (disk_backend_of(c) >= 0) {
            channel[c] = make_channel(c, true, SEL4_BLK_CHANNEL_PAGES, 22,
                                      (uint64_t)(uintptr_t)channel_va(c));
            if (channel[c] == seL4_CapNull)
                goto fail;
            console_printf("admin: %s's disk is served by the driver VM %s\n",
                           sel4_vm_table[c].name, sel4_vm_table[d].name);
        }
        if (net_backend_of(c) >= 0) {
            net_channel[c] = make_channel(c, false, SEL4_NET_REGION_PAGES, 19, ADMIN_DRV_NET_VA(c));
            if (net_channel[c] == seL4_CapNull)
                goto fail;
            console_printf("admin: %s's NIC is served by the driver VM %s\n", sel4_vm_table[c].name,
                           sel4_vm_table[d].name);
        }
        continue;
    fail:
        console_printf("admin: %s: its channels to %s: out of memory or slots\n",
                       sel4_vm_table[c].name, sel4_vm_table[d].name);
        return -1;
    }
    return 0;
}

/* A copy of each channel's frames and the page tables that map them. */
static unsigned channel_slots(unsigned c)
{
    return (disk_backend_of(c) >= 0 ? SEL4_BLK_CHANNEL_PAGES + 4 : 0) +
           (net_backend_of(c) >= 0 ? SEL4_NET_REGION_PAGES + 4 : 0);
}

static unsigned driver_vm_slots(unsigned index)
{
    unsigned n = 0;
    if (backend_of(index) >= 0)
        n += channel_slots(index) + 2; /* its channels, LOST and UP */
    for (unsigned c = 0; c < sel4_vm_count && c < SEL4_MAX_VMS; c++) {
        if (serves(index, c))
            n += channel_slots(c) + 1; /* each client's channels, DETACH */
    }
    return n;
}

static void driver_vm_args(const struct vm_start *vs, struct sel4_vmm_args *a)
{
    unsigned index = vs->index;
    const struct sel4_vm_desc *d = &sel4_vm_table[index];

    if (has_disk(index)) {
        a->disk_served = 1;
        a->disk_by_driver = 1;
        a->disk_size = d->disk_region_size;
        a->disk_read_only = d->disk_read_only;
    }
    if (has_net(index)) {
        a->net = 1;
        a->net_by_driver = 1;
        memcpy(a->net_mac, d->mac, sizeof(a->net_mac));
        a->net_irq_vcpu = d->net_irq_vcpu >= 0 ? (uint32_t)d->net_irq_vcpu + 1 : 0;
    }
    for (unsigned c = 0; c < sel4_vm_count && c < SEL4_MAX_VMS; c++) {
        const struct sel4_vm_desc *cd = &sel4_vm_table[c];
        if (!serves(index, c))
            continue;
        strncpy(a->drv[c].name, cd->name, sizeof(a->drv[c].name) - 1);
        if (has_net(c)) {
            a->drv_net_clients |= 1u << c;
            memcpy(a->drv[c].mac, cd->mac, sizeof(a->drv[c].mac));
        }
        if (!has_disk(c))
            continue;
        a->drv_clients |= 1u << c;
        a->drv[c].offset = cd->disk_offset;
        a->drv[c].size = cd->disk_region_size;
        a->drv[c].read_only = cd->disk_read_only;
        strncpy(a->drv[c].id, cd->disk_id ? cd->disk_id : "disk0", sizeof(a->drv[c].id) - 1);
    }
}

/* Doorbells both ways between user VM c and its driver VM d, both running. */
static seL4_Error pair(unsigned c, unsigned d)
{
    seL4_Error err = seL4_NoError;
    if (has_disk(c))
        err = admin_mint_send(run[c].cnode, SEL4_VMM_SLOT_BLK_DOORBELL, SEL4_VMM_CNODE_BITS,
                              run[d].ntfn, SEL4_BADGE_DRV_DOORBELL(c));
    if (err == seL4_NoError && has_net(c))
        err = admin_mint_send(run[c].cnode, SEL4_VMM_SLOT_NET_DOORBELL, SEL4_VMM_CNODE_BITS,
                              run[d].ntfn, SEL4_BADGE_DRV_DOORBELL(c));
    if (err == seL4_NoError)
        err = admin_mint_send(
            run[d].cnode, SEL4_VMM_SLOT_DRV_CLIENT + c, SEL4_VMM_CNODE_BITS, run[c].ntfn,
            (has_disk(c) ? SEL4_BADGE_BLK_VMM : 0) | (has_net(c) ? SEL4_BADGE_NET_VMM : 0));
    if (err != seL4_NoError)
        console_printf("admin: %s <-> %s: doorbells: seL4 error %d\n", sel4_vm_table[c].name,
                       sel4_vm_table[d].name, err);
    return err;
}

static seL4_Error admin_send(seL4_CPtr ntfn, seL4_Word badge, struct ut_alloc *objects,
                             seL4_CPtr *cap)
{
    *cap = slot_take(objects->slots);
    if (*cap == seL4_CapNull)
        return seL4_RangeError;
    return seL4_CNode_Mint(seL4_CapInitThreadCNode, *cap, seL4_WordBits, seL4_CapInitThreadCNode,
                           ntfn, seL4_WordBits, seL4_CanWrite, badge);
}

static seL4_Error driver_vm_start(const struct vm_start *vs)
{
    unsigned index = vs->index;
    seL4_CPtr vmm_cnode = vs->vmm_cnode, vmm_vspace = vs->vmm_vspace, vmm_ntfn = vs->vmm_ntfn;
    struct ut_alloc *objects = vs->objects;
    struct running *r = &run[index];
    int d = backend_of(index);
    bool is_client = has_disk(index) || has_net(index);
    bool is_driver = sel4_vm_table[index].serves != 0;
    seL4_Error err = seL4_NoError;

    if (!is_client && !is_driver)
        return seL4_NoError;
    *r = (struct running){.cnode = vmm_cnode, .ntfn = vmm_ntfn};
    if (is_client) {
        if (has_disk(index))
            err = backend_pd_share(channel[index], SEL4_BLK_CHANNEL_PAGES, vmm_vspace,
                                   SEL4_VMM_BLK_VA, objects);
        if (err == seL4_NoError && has_net(index))
            err = backend_pd_share(net_channel[index], SEL4_NET_REGION_PAGES, vmm_vspace,
                                   SEL4_VMM_NET_VA, objects);
        if (err == seL4_NoError)
            err = admin_send(vmm_ntfn, SEL4_BADGE_BLK_LOST, objects, &r->lost);
        if (err == seL4_NoError)
            err = admin_send(vmm_ntfn, SEL4_BADGE_BLK_UP, objects, &r->back);
    }
    for (unsigned c = 0; is_driver && c < sel4_vm_count && c < SEL4_MAX_VMS; c++) {
        if (!serves(index, c) || !(has_disk(c) || has_net(c)) || err != seL4_NoError)
            continue;
        if (has_disk(c))
            err = backend_pd_share(channel[c], SEL4_BLK_CHANNEL_PAGES, vmm_vspace,
                                   SEL4_VMM_DRV_CLIENT_VA(c), objects);
        if (err == seL4_NoError && has_net(c))
            err = backend_pd_share(net_channel[c], SEL4_NET_REGION_PAGES, vmm_vspace,
                                   SEL4_VMM_DRV_NET_VA(c), objects);
        if (err == seL4_NoError)
            err = admin_send(vmm_ntfn, SEL4_BADGE_DRV_DETACH(c), objects, &r->detach[c]);
    }
    if (err != seL4_NoError) {
        console_printf("admin: %s: its driver-VM channels: seL4 error %d\n",
                       sel4_vm_table[index].name, err);
        return err;
    }
    r->up = true;
    if (is_client) {
        if (run[d].up)
            err = pair(index, (unsigned)d);
        else
            seL4_Signal(r->lost); /* fail its I/O at once until the driver VM is there */
    }
    for (unsigned c = 0; is_driver && c < sel4_vm_count && c < SEL4_MAX_VMS && err == 0; c++) {
        if (serves(index, c) && (has_disk(c) || has_net(c)) && run[c].up) {
            err = pair(c, index);
            if (err == seL4_NoError)
                seL4_Signal(run[c].back); /* a fresh channel for this driver VM to attach */
        }
    }
    return err;
}

static void driver_vm_stopped(unsigned index)
{
    struct running *r = &run[index];
    int d = backend_of(index);

    if (!r->up)
        return;
    r->up = false; /* its capabilities went with its revocation */
    if (d >= 0 && (has_disk(index) || has_net(index))) {
        /* Nothing of its run may reach the next: the driver VM forgets it, then it is zeroed. */
        if (has_disk(index))
            memset(channel_va(index), 0, SEL4_BLK_CHANNEL_BYTES);
        if (has_net(index))
            memset(net_channel_va(index), 0, SEL4_NET_REGION_BYTES);
        if (run[d].up)
            seL4_Signal(run[d].detach[index]);
    }
    for (unsigned c = 0; c < sel4_vm_count && c < SEL4_MAX_VMS; c++) {
        if (serves(index, c) && run[c].up) {
            console_printf("admin: %s: its driver VM %s stopped: its I/O fails until "
                           "%s is back\n",
                           sel4_vm_table[c].name, sel4_vm_table[index].name,
                           sel4_vm_table[index].name);
            seL4_Signal(run[c].lost);
        }
    }
}

const struct admin_service driver_vm_service = {
    "disks and NICs served by driver VMs are not available",
    driver_vm_init,
    driver_vm_slots,
    driver_vm_args,
    driver_vm_start,
    driver_vm_stopped};
