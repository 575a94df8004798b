/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network: the switch protection domain and each VM's port on it
 * (net_abi.h, docs/sel4.md "Networking"). The switch is built once, at
 * boot, from an untyped of its own, when at least one VM has a NIC. Its
 * CSpace holds its notification and, per running VM with a NIC, a
 * send-only capability to that VMM's notification; its VSpace maps its
 * program, argument page and the ports' regions, nothing of any VM.
 *
 * Each port's region is made here, once, from the switch's untyped: the
 * switch maps the frames, the admin maps copies (to zero the region when
 * its VM stops), and a starting VM gets copies in its slot range that go
 * with it. A VM's notification is made from the VM's budget, so revoking
 * the VM deletes the switch's capability to it too.
 */
#include <string.h>

#include "admin.h"
#include "net_abi.h"

#define SWITCH_PRIO (ADMIN_PRIO - 1)
#define SWITCH_UT_BITS 23 /* program (with the runtime's stacks), regions, tables */
#define SWITCH_SLOTS 4096
#define ADMIN_NET_VA 0x3000000000ull /* port p's region at + p * SEL4_SWITCH_PORT_STRIDE */

static struct {
    bool up;
    struct ut_alloc objects;
    struct slot_range slots;
    seL4_CPtr cnode, vspace, tcb, ntfn, ipc_frame;
#ifdef CONFIG_KERNEL_MCS
    seL4_CPtr sc;
#endif
    seL4_CPtr region[SEL4_NET_MAX_PORTS]; /* first frame; the rest follow in consecutive slots */
    seL4_CPtr detach[SEL4_NET_MAX_PORTS]; /* the admin's badged signal to the switch */
} sw;

static seL4_Error check(seL4_Error err, const char *what)
{
    if (err != seL4_NoError)
        console_printf("admin: switch: %s failed: seL4 error %d\n", what, err);
    return err;
}

static bool has_nic(unsigned index)
{
    return index < sel4_vm_count && index < SEL4_NET_MAX_PORTS && sel4_vm_table[index].net;
}

static seL4_Error make_region(unsigned p)
{
    seL4_Error err = seL4_NoError;

    /* Frames first, so that their slots are consecutive (page tables come after). */
    for (unsigned k = 0; k < SEL4_NET_REGION_PAGES && err == seL4_NoError; k++) {
        seL4_CPtr f;
        err = ut_retype(&sw.objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &f);
        if (k == 0)
            sw.region[p] = f;
    }
    for (unsigned k = 0; k < SEL4_NET_REGION_PAGES && err == seL4_NoError; k++) {
        seL4_CPtr f = sw.region[p] + k, mine = slot_take(&sw.slots);
        uint64_t off = (uint64_t)k << seL4_PageBits;
        err = vs_map(sw.vspace, f, SEL4_SWITCH_PORT_VA(p) + off, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &sw.objects);
        if (err == seL4_NoError && mine == seL4_CapNull)
            err = seL4_RangeError;
        if (err == seL4_NoError)
            err = seL4_CNode_Copy(seL4_CapInitThreadCNode, mine, seL4_WordBits,
                                  seL4_CapInitThreadCNode, f, seL4_WordBits, seL4_ReadWrite);
        if (err == seL4_NoError)
            err = vs_map(seL4_CapInitThreadVSpace, mine,
                         ADMIN_NET_VA + p * SEL4_SWITCH_PORT_STRIDE + off, seL4_ReadWrite,
                         seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &admin.own);
    }
    if (err == seL4_NoError) {
        sw.detach[p] = slot_take(&sw.slots);
        err = sw.detach[p] == seL4_CapNull
                  ? seL4_RangeError
                  : seL4_CNode_Mint(seL4_CapInitThreadCNode, sw.detach[p], seL4_WordBits,
                                    seL4_CapInitThreadCNode, sw.ntfn, seL4_WordBits, seL4_CanWrite,
                                    SEL4_BADGE_NET_DETACH(p));
    }
    return check(err, "a port's region");
}

static seL4_Error map_args(void)
{
    static struct sel4_switch_args a;
    seL4_CPtr frame;

    memset(&a, 0, sizeof(a));
    a.magic = SEL4_SWITCH_ABI_MAGIC;
    a.version = SEL4_SWITCH_ABI_VERSION;
    a.port_count = sel4_vm_count < SEL4_NET_MAX_PORTS ? sel4_vm_count : SEL4_NET_MAX_PORTS;
    a.network_count = sel4_network_count;
    for (unsigned n = 0; n < sel4_network_count && n < 8; n++)
        strncpy(a.networks[n], sel4_network_names[n], sizeof(a.networks[n]) - 1);
    for (unsigned p = 0; p < a.port_count; p++) {
        const struct sel4_vm_desc *d = &sel4_vm_table[p];
        strncpy(a.ports[p].name, d->name, sizeof(a.ports[p].name) - 1);
        if (!d->net)
            continue;
        a.ports[p].in_use = 1;
        memcpy(a.ports[p].mac, d->mac, sizeof(a.ports[p].mac));
        a.ports[p].networks = d->networks;
    }
    _Static_assert(sizeof(a) <= 4096, "the argument page is one page");
    seL4_Error err = ut_retype(&sw.objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &frame);
    if (err == seL4_NoError)
        err = vs_fill_frame(frame, &a, sizeof(a));
    if (err == seL4_NoError)
        err = vs_map(sw.vspace, frame, SEL4_SWITCH_ARGS_VA, seL4_CanRead,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &sw.objects);
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &sw.ipc_frame);
    if (err == seL4_NoError)
        err = vs_map(sw.vspace, sw.ipc_frame, SEL4_SWITCH_IPC_BUFFER_VA, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &sw.objects);
    return check(err, "argument and IPC pages");
}

static seL4_Error start(uint64_t entry)
{
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - SEL4_SWITCH_CNODE_BITS).words[0];
    seL4_Error err = seL4_CNode_Copy(sw.cnode, SEL4_SWITCH_SLOT_NTFN, SEL4_SWITCH_CNODE_BITS,
                                     seL4_CapInitThreadCNode, sw.ntfn, seL4_WordBits, seL4_CanRead);
#ifdef CONFIG_KERNEL_MCS
    if (err == seL4_NoError)
        err = seL4_TCB_Configure(sw.tcb, sw.cnode, guard, sw.vspace, 0, SEL4_SWITCH_IPC_BUFFER_VA,
                                 sw.ipc_frame);
    if (err == seL4_NoError)
        err = seL4_SchedControl_ConfigureFlags(admin.bi->schedcontrol.start, sw.sc, FULL_SC_US,
                                               FULL_SC_US, 0, 0, 0);
    if (err == seL4_NoError)
        err = seL4_TCB_SetSchedParams(sw.tcb, seL4_CapInitThreadTCB, SWITCH_PRIO, SWITCH_PRIO,
                                      sw.sc, seL4_CapNull);
#else
    /* No fault handler: a fault stops the switch thread, and only the network with it. */
    if (err == seL4_NoError)
        err = seL4_TCB_Configure(sw.tcb, seL4_CapNull, sw.cnode, guard, sw.vspace, 0,
                                 SEL4_SWITCH_IPC_BUFFER_VA, sw.ipc_frame);
    if (err == seL4_NoError)
        err = seL4_TCB_SetPriority(sw.tcb, seL4_CapInitThreadTCB, SWITCH_PRIO);
#endif
    if (err != seL4_NoError)
        return check(err, "configuring its thread");
    seL4_DebugNameThread(sw.tcb, "stdvmm-switch");
    seL4_UserContext regs = {.pc = entry, .x0 = SEL4_SWITCH_ARGS_VA};
    return check(seL4_TCB_WriteRegisters(sw.tcb, true, 0, sizeof(regs) / sizeof(seL4_Word), &regs),
                 "starting it");
}

int net_init(void)
{
    unsigned ports = 0;
    uint64_t pages, entry;

    for (unsigned i = 0; i < sel4_vm_count; i++)
        ports += has_nic(i);
    if (ports == 0)
        return 0;
    if (elf_program_pages(sel4_switch_program, sel4_switch_program_size, &pages, &entry) < 0)
        return -1;
    sw.slots.first = sw.slots.next = admin_slots(SWITCH_SLOTS);
    sw.slots.end = sw.slots.first + SWITCH_SLOTS;
    seL4_Error err = sw.slots.first == seL4_CapNull ? seL4_NotEnoughMemory : seL4_NoError;
    if (err == seL4_NoError)
        err = admin_untyped(SWITCH_UT_BITS, &sw.objects, &sw.slots);
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_CapTableObject, SEL4_SWITCH_CNODE_BITS,
                        SEL4_SWITCH_CNODE_BITS + seL4_SlotBits, &sw.cnode);
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_ARM_VSpaceObject, 0, seL4_VSpaceBits, &sw.vspace);
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_TCBObject, 0, seL4_TCBBits, &sw.tcb);
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_NotificationObject, 0, seL4_NotificationBits, &sw.ntfn);
#ifdef CONFIG_KERNEL_MCS
    if (err == seL4_NoError)
        err = ut_retype(&sw.objects, seL4_SchedContextObject, seL4_MinSchedContextBits,
                        seL4_MinSchedContextBits, &sw.sc);
#endif
    if (err == seL4_NoError)
        err = seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, sw.vspace);
    if (check(err, "its objects") != seL4_NoError)
        return -1;
    if (elf_load(sel4_switch_program, sel4_switch_program_size, sw.vspace, &sw.objects) < 0)
        return -1;
    for (unsigned p = 0; p < SEL4_NET_MAX_PORTS; p++) {
        if (has_nic(p) && make_region(p) != seL4_NoError)
            return -1;
    }
    if (map_args() != seL4_NoError || start(entry) != seL4_NoError)
        return -1;
    sw.up = true;
    console_printf("admin: switch started: %u ports, %u networks, %u KiB of channels each\n", ports,
                   sel4_network_count, SEL4_NET_REGION_BYTES >> 10);
    return 0;
}

unsigned net_vm_slots(unsigned index)
{
    /* The region's frames and the notification. */
    return has_nic(index) ? SEL4_NET_REGION_PAGES + 4 : 0;
}

void net_vm_args(unsigned index, struct sel4_vmm_args *a)
{
    if (!has_nic(index) || !sw.up)
        return;
    a->net = 1;
    memcpy(a->net_mac, sel4_vm_table[index].mac, sizeof(a->net_mac));
    int irq_vcpu = sel4_vm_table[index].net_irq_vcpu;
    a->net_irq_vcpu = irq_vcpu >= 0 ? (uint32_t)irq_vcpu + 1 : 0;
}

seL4_Error net_vm_start(unsigned index, seL4_CPtr vmm_cnode, seL4_CPtr vmm_vspace,
                        seL4_CPtr vmm_tcb0, struct ut_alloc *objects)
{
    seL4_CPtr ntfn;

    if (!has_nic(index) || !sw.up)
        return seL4_NoError;
    /* From the VM's budget: revoking the VM deletes the switch's capability to it too. */
    seL4_Error err = ut_retype(objects, seL4_NotificationObject, 0, seL4_NotificationBits, &ntfn);
    if (err == seL4_NoError)
        err = seL4_TCB_BindNotification(vmm_tcb0, ntfn);
    if (err == seL4_NoError) {
        seL4_CNode_Delete(sw.cnode, SEL4_SWITCH_SLOT_VMM_NTFN + index, SEL4_SWITCH_CNODE_BITS);
        err = seL4_CNode_Mint(sw.cnode, SEL4_SWITCH_SLOT_VMM_NTFN + index, SEL4_SWITCH_CNODE_BITS,
                              seL4_CapInitThreadCNode, ntfn, seL4_WordBits, seL4_CanWrite,
                              SEL4_BADGE_NET_VMM);
    }
    if (err == seL4_NoError)
        err = seL4_CNode_Mint(vmm_cnode, SEL4_VMM_SLOT_NET_KICK, SEL4_VMM_CNODE_BITS,
                              seL4_CapInitThreadCNode, ntfn, seL4_WordBits, seL4_CanWrite,
                              SEL4_BADGE_NET_KICK);
    if (err == seL4_NoError)
        err = seL4_CNode_Mint(vmm_cnode, SEL4_VMM_SLOT_NET_DOORBELL, SEL4_VMM_CNODE_BITS,
                              seL4_CapInitThreadCNode, sw.ntfn, seL4_WordBits, seL4_CanWrite,
                              SEL4_BADGE_NET_DOORBELL(index));
    for (unsigned k = 0; k < SEL4_NET_REGION_PAGES && err == seL4_NoError; k++) {
        seL4_CPtr c = slot_take(objects->slots);
        if (c == seL4_CapNull)
            err = seL4_RangeError;
        if (err == seL4_NoError)
            err =
                seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits, seL4_CapInitThreadCNode,
                                sw.region[index] + k, seL4_WordBits, seL4_ReadWrite);
        if (err == seL4_NoError)
            err = vs_map(vmm_vspace, c, SEL4_VMM_NET_VA + ((uint64_t)k << seL4_PageBits),
                         seL4_ReadWrite, seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever,
                         objects);
    }
    if (err != seL4_NoError)
        console_printf("admin: %s: its port on the switch: seL4 error %d\n",
                       sel4_vm_table[index].name, err);
    return err;
}

void net_vm_stopped(unsigned index)
{
    if (!has_nic(index) || !sw.up)
        return;
    /*
     * The VMM is gone (revoked); the switch still maps the region. Zero it
     * before telling the switch, so that nothing the VM left there can be
     * taken for a channel of its next run.
     */
    memset((void *)(uintptr_t)(ADMIN_NET_VA + index * SEL4_SWITCH_PORT_STRIDE), 0,
           SEL4_NET_REGION_BYTES);
    seL4_Signal(sw.detach[index]);
}
