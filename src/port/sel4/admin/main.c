/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The root task's start: take stock of the untyped memory seL4 hands over,
 * set up the admin's endpoint, console and the image store, give every
 * configured VM its budget, start the autostart VMs, then serve VMM
 * messages and console commands forever.
 */
#include <string.h>

#include "admin.h"
#include "rt/rt.h"

struct admin admin;

seL4_CPtr admin_slots(seL4_Word n)
{
    if (admin.slot_end - admin.next_slot < n)
        return seL4_CapNull;
    seL4_CPtr first = admin.next_slot;
    admin.next_slot += n;
    return first;
}

static seL4_Error pool_retype(seL4_Word type, seL4_Word size_arg, unsigned obj_bits,
                              seL4_CPtr *slot, uint64_t *paddr)
{
    unsigned index;
    seL4_CPtr s = admin_slots(1);

    if (s == seL4_CapNull)
        return seL4_RangeError;
    if (sel4_ut_pool_alloc(&admin.pool, obj_bits, &index, paddr) < 0) {
        console_printf("admin: no untyped memory left for an object of 2^%u bytes\n", obj_bits);
        return seL4_NotEnoughMemory;
    }
    seL4_Error err = seL4_Untyped_Retype(admin.pool.ut[index].slot, type, size_arg,
                                         seL4_CapInitThreadCNode, 0, 0, s, 1);
    if (err != seL4_NoError)
        console_printf("admin: retype from untyped %lu failed: error %d\n",
                       (unsigned long)admin.pool.ut[index].slot, err);
    *slot = s;
    return err;
}

seL4_Error admin_retype(seL4_Word type, seL4_Word size_arg, unsigned obj_bits, seL4_CPtr *slot)
{
    return pool_retype(type, size_arg, obj_bits, slot, NULL);
}

seL4_Error admin_mint_send(seL4_CPtr dest_cnode, seL4_Word dest, unsigned bits, seL4_CPtr ntfn,
                           seL4_Word badge)
{
    seL4_CNode_Delete(dest_cnode, dest, (uint8_t)bits); /* a stale one: empty already */
    return seL4_CNode_Mint(dest_cnode, dest, (uint8_t)bits, seL4_CapInitThreadCNode, ntfn,
                           seL4_WordBits, seL4_CanWrite, badge);
}

seL4_Error admin_untyped(unsigned bits, struct ut_alloc *out, struct slot_range *slots)
{
    seL4_CPtr ut;
    uint64_t paddr;
    seL4_Error err = pool_retype(seL4_UntypedObject, bits, bits, &ut, &paddr);

    if (err != seL4_NoError)
        return err;
    *out = (struct ut_alloc){.ut = ut, .bits = (uint8_t)bits, .paddr = paddr, .slots = slots};
    return seL4_NoError;
}

static void pool_from_bootinfo(void)
{
    seL4_BootInfo *bi = admin.bi;
    uint64_t ram = 0;

    sel4_ut_pool_init(&admin.pool);
    for (seL4_CPtr s = bi->untyped.start; s < bi->untyped.end; s++) {
        const seL4_UntypedDesc *d = &bi->untypedList[s - bi->untyped.start];
        if (d->sizeBits < seL4_PageBits)
            continue; /* slivers around the kernel's own objects: no use for them */
        if (sel4_ut_pool_add(&admin.pool, s, d->paddr, d->sizeBits, d->isDevice) == 0 &&
            !d->isDevice)
            ram += 1ull << d->sizeBits;
    }
    console_printf("admin: %u untypeds, %llu MiB of RAM to hand out\n", admin.pool.count,
                   (unsigned long long)(ram >> 20));
}

/*
 * 2^count_bits consecutive frames at a fixed physical address inside a
 * device untyped: split the untyped in halves down to the piece that holds
 * them (retype goes in order, so halving is how to reach an address without
 * wasting memory or slots), then retype that piece into pages.
 */
seL4_Error device_frames(uint64_t paddr, unsigned count_bits, seL4_CPtr *first)
{
    unsigned index;
    unsigned want = seL4_PageBits + count_bits;

    if (sel4_ut_pool_find_device(&admin.pool, paddr, 1ull << want, &index) < 0) {
        console_printf("admin: no device untyped covers 0x%llx\n", (unsigned long long)paddr);
        return seL4_FailedLookup;
    }
    struct sel4_untyped_desc *u = &admin.pool.ut[index];
    seL4_CPtr ut = u->slot;
    uint64_t base = u->paddr;
    unsigned bits = u->size_bits;
    if (u->used != 0 || paddr % (1ull << want) != 0) {
        console_printf("admin: device memory at 0x%llx already split or misaligned\n",
                       (unsigned long long)paddr);
        return seL4_RevokeFirst;
    }
    u->used = 1ull << bits; /* consumed: the pieces are the admin's now */
    while (bits > want) {
        seL4_CPtr halves = admin_slots(2);
        if (halves == seL4_CapNull)
            return seL4_RangeError;
        seL4_Error err = seL4_Untyped_Retype(ut, seL4_UntypedObject, bits - 1,
                                             seL4_CapInitThreadCNode, 0, 0, halves, 2);
        if (err != seL4_NoError)
            return err;
        bits--;
        bool upper = paddr >= base + (1ull << bits);
        ut = halves + upper;
        base += upper ? 1ull << bits : 0;
    }
    seL4_CPtr s = admin_slots(1u << count_bits);
    if (s == seL4_CapNull)
        return seL4_RangeError;
    *first = s;
    return seL4_Untyped_Retype(ut, seL4_ARM_SmallPageObject, 0, seL4_CapInitThreadCNode, 0, 0, s,
                               1u << count_bits);
}

/* GICv2 virtual CPU interface of QEMU's virt board: GICV at 0x08040000, 8 KiB. */
#define QEMU_VIRT_GICV_PADDR 0x08040000ull

static int gicv_init(void)
{
    seL4_CPtr first;
    seL4_Error err = device_frames(QEMU_VIRT_GICV_PADDR, 1, &first);

    if (err != seL4_NoError) {
        console_printf("admin: GIC virtual CPU interface at 0x%llx: error %d\n",
                       (unsigned long long)QEMU_VIRT_GICV_PADDR, err);
        return -1;
    }
    admin.gicv_frame[0] = first;
    admin.gicv_frame[1] = first + 1;
    admin.gicv_paddr = QEMU_VIRT_GICV_PADDR;
    return 0;
}

/* Copies every boot image once into 2 MiB frames that VMMs map read-only. */
static int image_store_init(void)
{
    uint64_t va = ADMIN_IMAGES_VA;

    for (unsigned i = 0; i < sel4_image_count && i < SEL4_MAX_IMAGES; i++) {
        const struct sel4_image *img = &sel4_images[i];
        uint64_t frames = (img->size + (1ull << seL4_LargePageBits) - 1) >> seL4_LargePageBits;
        seL4_CPtr first = seL4_CapNull;
        uint64_t start_va = va;
        for (uint64_t f = 0; f < frames; f++) {
            seL4_CPtr frame;
            seL4_Error err = admin_retype(seL4_ARM_LargePageObject, 0, seL4_LargePageBits, &frame);
            if (err == seL4_NoError)
                err = vs_map(seL4_CapInitThreadVSpace, frame, va, seL4_ReadWrite,
                             seL4_ARM_Default_VMAttributes, &admin.own);
            if (err != seL4_NoError) {
                console_printf("admin: image store for %s: error %d\n", img->name, err);
                return -1;
            }
            if (f == 0)
                first = frame;
            else if (frame != first + f) {
                /* Slots must be consecutive: page tables came in between. */
                console_printf("admin: image store frames of %s not consecutive\n", img->name);
                return -1;
            }
            va += 1ull << seL4_LargePageBits;
        }
        memcpy((void *)(uintptr_t)start_va, img->data, img->size);
        admin.images[i].first_frame = first;
        admin.images[i].frames = frames;
        console_printf("admin: image %s: %llu KiB in %llu frames of 2 MiB\n", img->name,
                       (unsigned long long)(img->size >> 10), (unsigned long long)frames);
    }
    return 0;
}

/* The admin's bound notification: its bits say which sources signalled. */
static void serve_signals(seL4_Word badge)
{
    if (badge & SEL4_BADGE_CONSOLE_IRQ)
        console_irq();
    for (unsigned i = 0; i < SEL4_MAX_VMS; i++) {
        if (badge & SEL4_BADGE_CONSOLE_VM(i))
            vm_console_drain(i);
    }
}

void sel4rt_main(void *arg)
{
    admin.bi = arg;
    seL4_SetIPCBuffer(admin.bi->ipcBuffer);
    seL4_DebugNameThread(seL4_CapInitThreadTCB, "stdvmm-admin");
    admin.next_slot = admin.bi->empty.start;
    admin.slot_end = admin.bi->empty.end;
    console_printf("stdvmm on seL4: admin (root task) up, %u VMs configured\n", sel4_vm_count);

    pool_from_bootinfo();
    /* The admin's own page tables and small objects: 4 MiB is plenty. */
    admin.own_slots.first = admin.own_slots.next = admin_slots(1024);
    admin.own_slots.end = admin.own_slots.first + 1024;
    if (admin_untyped(22, &admin.own, &admin.own_slots) != seL4_NoError)
        goto dead;
    if (admin_retype(seL4_EndpointObject, 0, seL4_EndpointBits, &admin.endpoint) != seL4_NoError)
        goto dead;
#ifdef CONFIG_KERNEL_MCS
    if (admin_retype(seL4_ReplyObject, 0, seL4_ReplyBits, &admin.reply) != seL4_NoError)
        goto dead;
#endif
    seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, ADMIN_PRIO);
    if (gicv_init() < 0 || image_store_init() < 0)
        goto dead;
    if (console_init() < 0) {
        console_printf("admin: no console: cannot serve VMs\n");
        goto dead;
    }
    handover_init(); /* without it, vCPUs stay on their cores: said, not fatal */
    /* Before the VMs: a VM's start gives its VMM a doorbell to the switch. */
    for (unsigned k = 0; k < admin_service_count; k++) {
        if (admin_services[k]->init() < 0)
            console_printf("admin: %s\n", admin_services[k]->without);
    }
    vms_init();

    for (;;) {
        seL4_Word badge;
        /* Console signals that a VCPU hand-over's receive took (handover.c). */
        if (admin.deferred_signals != 0) {
            badge = admin.deferred_signals;
            admin.deferred_signals = 0;
            serve_signals(badge);
            continue;
        }
#ifdef CONFIG_KERNEL_MCS
        seL4_MessageInfo_t info = seL4_Recv(admin.endpoint, &badge, admin.reply);
#else
        seL4_MessageInfo_t info = seL4_Recv(admin.endpoint, &badge);
#endif
        if (badge & (SEL4_BADGE_CONSOLE_IRQ | SEL4_BADGE_CONSOLE_VMS)) {
            serve_signals(badge);
        } else {
            vm_message(badge, info);
        }
    }
dead:
    console_printf("admin: cannot go on; halting\n");
    for (;;)
        seL4_TCB_Suspend(seL4_CapInitThreadTCB);
}
