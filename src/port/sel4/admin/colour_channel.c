/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A coloured VM's channels (docs/memory.md, "Cache colouring"): its NIC's
 * region on the switch or to a driver VM, its disk's channel to the block
 * server or to a driver VM. The VMM copies every packet and block through
 * them, so they take frames of the VM's colours, like its RAM. They are
 * made once, at boot, and outlive the VM's runs (the peer maps them for as
 * long as it runs, net.c, blk.c, driver_vm.c), so they come from a colour
 * budget of their own, not the VM's, which is revoked at each stop.
 */
#include <stdio.h>

#include "admin.h"
#include "blk_abi.h"
#include "net_abi.h"
#include "port/sel4/portable/colour.h"

static struct colour_alloc chan[SEL4_MAX_VMS];
static bool budgeted[SEL4_MAX_VMS];
static unsigned made_net[SEL4_MAX_VMS], made_disk[SEL4_MAX_VMS]; /* pages handed out */

static bool coloured_vm(unsigned index)
{
    return index < sel4_vm_count && index < SEL4_MAX_VMS && sel4_vm_table[index].colours != 0;
}

/* One budget for every channel the VM has: the same for the switch, the server and a driver VM. */
static int budget(unsigned index)
{
    const struct sel4_vm_desc *d = &sel4_vm_table[index];
    uint64_t pages =
        (d->net ? SEL4_NET_REGION_PAGES : 0) + (d->disk_served ? SEL4_BLK_CHANNEL_PAGES : 0);
    char name[48];

    if (budgeted[index])
        return 0;
    snprintf(name, sizeof(name), "%s's channels", d->name);
    if (sel4_cache.colours == 0) {
        console_printf("admin: %s: colours, but no system.cache to colour\n", name);
        return -1;
    }
    if (colour_budget(&chan[index], name, pages, d->colours, sel4_cache.colours) < 0)
        return -1;
    budgeted[index] = true;
    return 0;
}

seL4_Error colour_channel(unsigned index, bool disk, seL4_CPtr *first, bool *coloured)
{
    unsigned pages = disk ? SEL4_BLK_CHANNEL_PAGES : SEL4_NET_REGION_PAGES;

    *coloured = coloured_vm(index);
    if (!*coloured)
        return seL4_NoError;
    if (budget(index) < 0)
        return seL4_NotEnoughMemory;
    for (unsigned k = 0; k < pages; k++) {
        seL4_CPtr f;
        seL4_Error err = colour_frame(&chan[index], &f);
        if (err != seL4_NoError)
            return err;
        if (k == 0)
            *first = f;
        else if (f != *first + k)
            return seL4_RangeError; /* the peer and the admin take a region as consecutive slots */
    }
    *(disk ? &made_disk[index] : &made_net[index]) += pages;
    return seL4_NoError;
}

int colour_channel_readback(unsigned index)
{
    /* None made (no channel, or its peer never came up): nothing of it to check. */
    if (!coloured_vm(index) || !budgeted[index] || made_net[index] + made_disk[index] == 0)
        return 0;
    return colour_readback_channels(&chan[index], sel4_vm_table[index].name, made_net[index],
                                    made_disk[index]);
}
