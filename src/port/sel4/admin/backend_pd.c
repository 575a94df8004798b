/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Backend protection domains (the switch, the block server): one thread,
 * built once at boot from an untyped of its own, with only what it is
 * given here. Both hold their program, an argument page, an IPC buffer,
 * their notification, and shared regions made from their own untyped: the
 * backend maps the frames for as long as it runs, the admin maps copies (to
 * zero a region when its VM stops) and a VMM maps copies that go with it,
 * so a stopped VM never leaves a backend with an unmapped region.
 */
#include <string.h>

#include "admin.h"

static seL4_Error check(const struct backend_pd *pd, seL4_Error err, const char *what)
{
    if (err != seL4_NoError)
        console_printf("admin: %s: %s failed: seL4 error %d\n", pd->name, what, err);
    return err;
}

int backend_pd_create(struct backend_pd *pd, const char *name, const uint8_t *elf,
                      uint64_t elf_size, unsigned ut_bits, unsigned slots, unsigned cnode_bits)
{
    uint64_t pages;

    memset(pd, 0, sizeof(*pd));
    pd->name = name;
    pd->cnode_bits = cnode_bits;
    if (elf_program_pages(elf, elf_size, &pages, &pd->entry) < 0)
        return -1;
    pd->slots.first = pd->slots.next = admin_slots(slots);
    pd->slots.end = pd->slots.first + slots;
    seL4_Error err = pd->slots.first == seL4_CapNull ? seL4_NotEnoughMemory : seL4_NoError;
    if (err == seL4_NoError)
        err = admin_untyped(ut_bits, &pd->objects, &pd->slots);
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_CapTableObject, cnode_bits, cnode_bits + seL4_SlotBits,
                        &pd->cnode);
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_ARM_VSpaceObject, 0, seL4_VSpaceBits, &pd->vspace);
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_TCBObject, 0, seL4_TCBBits, &pd->tcb);
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_NotificationObject, 0, seL4_NotificationBits, &pd->ntfn);
#ifdef CONFIG_KERNEL_MCS
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_SchedContextObject, seL4_MinSchedContextBits,
                        seL4_MinSchedContextBits, &pd->sc);
#endif
    if (err == seL4_NoError)
        err = seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, pd->vspace);
    if (check(pd, err, "making its objects") != seL4_NoError)
        return -1;
    return elf_load(elf, elf_size, pd->vspace, &pd->objects, NULL);
}

static seL4_Error map_region(struct backend_pd *pd, seL4_CPtr first, unsigned pages, uint64_t pd_va,
                             uint64_t admin_va);

seL4_Error backend_pd_region(struct backend_pd *pd, unsigned vm, bool disk, unsigned pages,
                             uint64_t pd_va, uint64_t admin_va, seL4_CPtr *first)
{
    bool coloured;
    /* A coloured VM's: frames of its colours, made for its channels alone. */
    seL4_Error err = colour_channel(vm, disk, first, &coloured);

    /* Frames first, so that their slots are consecutive (page tables come after). */
    for (unsigned k = 0; k < pages && err == seL4_NoError && !coloured; k++) {
        seL4_CPtr f;
        err = ut_retype(&pd->objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &f);
        if (k == 0)
            *first = f;
        else if (err == seL4_NoError && f != *first + k)
            err = seL4_RangeError;
    }
    if (err == seL4_NoError)
        err = map_region(pd, *first, pages, pd_va, admin_va);
    return check(pd, err, "a shared region");
}

static seL4_Error map_region(struct backend_pd *pd, seL4_CPtr first, unsigned pages, uint64_t pd_va,
                             uint64_t admin_va)
{
    seL4_Error err = seL4_NoError;

    for (unsigned k = 0; k < pages && err == seL4_NoError; k++) {
        seL4_CPtr f = first + k, mine = slot_take(&pd->slots);
        uint64_t off = (uint64_t)k << seL4_PageBits;
        err = vs_map(pd->vspace, f, pd_va + off, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &pd->objects);
        if (err == seL4_NoError && mine == seL4_CapNull)
            err = seL4_RangeError;
        if (err == seL4_NoError)
            err = seL4_CNode_Copy(seL4_CapInitThreadCNode, mine, seL4_WordBits,
                                  seL4_CapInitThreadCNode, f, seL4_WordBits, seL4_ReadWrite);
        if (err == seL4_NoError)
            err = vs_map(seL4_CapInitThreadVSpace, mine, admin_va + off, seL4_ReadWrite,
                         seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &admin.own);
    }
    return err;
}

seL4_Error backend_pd_share(seL4_CPtr first, unsigned pages, seL4_CPtr vspace, uint64_t va,
                            struct ut_alloc *objects)
{
    seL4_Error err = seL4_NoError;

    for (unsigned k = 0; k < pages && err == seL4_NoError; k++) {
        seL4_CPtr c = slot_take(objects->slots);
        if (c == seL4_CapNull)
            err = seL4_RangeError;
        if (err == seL4_NoError)
            err =
                seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits, seL4_CapInitThreadCNode,
                                first + k, seL4_WordBits, seL4_ReadWrite);
        if (err == seL4_NoError)
            err = vs_map(vspace, c, va + ((uint64_t)k << seL4_PageBits), seL4_ReadWrite,
                         seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, objects);
    }
    return err;
}

seL4_Error backend_pd_badge(struct backend_pd *pd, seL4_Word badge, seL4_CPtr *cap)
{
    *cap = slot_take(&pd->slots);
    if (*cap == seL4_CapNull)
        return check(pd, seL4_RangeError, "a badged capability to its notification");
    return check(pd,
                 seL4_CNode_Mint(seL4_CapInitThreadCNode, *cap, seL4_WordBits,
                                 seL4_CapInitThreadCNode, pd->ntfn, seL4_WordBits, seL4_CanWrite,
                                 badge),
                 "a badged capability to its notification");
}

seL4_Error backend_pd_start(struct backend_pd *pd, const void *args, size_t len,
                            const struct backend_pd_layout *l)
{
    seL4_CPtr frame;
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - pd->cnode_bits).words[0];

    if (len > (1u << seL4_PageBits))
        return check(pd, seL4_RangeError, "its argument page");
    seL4_Error err = ut_retype(&pd->objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &frame);
    if (err == seL4_NoError)
        err = vs_fill_frame(frame, args, len);
    if (err == seL4_NoError)
        err = vs_map(pd->vspace, frame, l->args_va, seL4_CanRead,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &pd->objects);
    if (err == seL4_NoError)
        err = ut_retype(&pd->objects, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &pd->ipc_frame);
    if (err == seL4_NoError)
        err = vs_map(pd->vspace, pd->ipc_frame, l->ipc_va, seL4_ReadWrite,
                     seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever, &pd->objects);
    if (err == seL4_NoError)
        err = seL4_CNode_Copy(pd->cnode, l->ntfn_slot, pd->cnode_bits, seL4_CapInitThreadCNode,
                              pd->ntfn, seL4_WordBits, seL4_CanRead);
#ifdef CONFIG_KERNEL_MCS
    if (err == seL4_NoError)
        err =
            seL4_TCB_Configure(pd->tcb, pd->cnode, guard, pd->vspace, 0, l->ipc_va, pd->ipc_frame);
    if (err == seL4_NoError)
        err = seL4_SchedControl_ConfigureFlags(admin.bi->schedcontrol.start, pd->sc, FULL_SC_US,
                                               FULL_SC_US, 0, 0, 0);
    if (err == seL4_NoError)
        err = seL4_TCB_SetSchedParams(pd->tcb, seL4_CapInitThreadTCB, l->prio, l->prio, pd->sc,
                                      seL4_CapNull);
#else
    /* No fault handler: a fault stops the backend's thread, and only its service with it. */
    if (err == seL4_NoError)
        err = seL4_TCB_Configure(pd->tcb, seL4_CapNull, pd->cnode, guard, pd->vspace, 0, l->ipc_va,
                                 pd->ipc_frame);
    if (err == seL4_NoError)
        err = seL4_TCB_SetPriority(pd->tcb, seL4_CapInitThreadTCB, l->prio);
#endif
    if (check(pd, err, "configuring its thread") != seL4_NoError)
        return err;
    seL4_DebugNameThread(pd->tcb, l->thread_name);
    seL4_UserContext regs = {.pc = pd->entry, .x0 = l->args_va};
    err = seL4_TCB_WriteRegisters(pd->tcb, true, 0, sizeof(regs) / sizeof(seL4_Word), &regs);
    if (check(pd, err, "starting it") == seL4_NoError)
        pd->up = true;
    return err;
}

seL4_Error backend_pd_attach_vmm(struct backend_pd *pd, unsigned slot, seL4_CPtr vmm_ntfn,
                                 seL4_Word badge, seL4_CPtr vmm_cnode, unsigned vmm_slot,
                                 seL4_Word doorbell_badge)
{
    /* Whatever a previous run of the VM left in the slot went with it; cleared anyway. */
    seL4_Error err = admin_mint_send(pd->cnode, slot, pd->cnode_bits, vmm_ntfn, badge);
    if (err == seL4_NoError)
        err = seL4_CNode_Mint(vmm_cnode, vmm_slot, SEL4_VMM_CNODE_BITS, seL4_CapInitThreadCNode,
                              pd->ntfn, seL4_WordBits, seL4_CanWrite, doorbell_badge);
    return err;
}
