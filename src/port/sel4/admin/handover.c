/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Handing a VCPU's state over between cores.
 *
 * On this seL4 (1326364b) a core switches VCPUs lazily: when a vCPU's
 * thread stops running, its VCPU's registers (system registers, vGIC list
 * registers, virtual timer) stay in the core's hardware, and are written
 * back to the VCPU object only when another thread *with a VCPU* runs on
 * that core. Moving the thread (migrateTCB) hands over its FPU but not its
 * VCPU, so a moved vCPU would resume on its new core from the stale copy
 * in memory, and the old core would later write its copy over the live one
 * (a guest panic at pc 0x200 was the symptom). Deleting a VCPU that is
 * loaded on another core leaves that core pointing at freed memory.
 *
 * The cure is to make the old core write it back: every core has a
 * "flush" thread bound to a VCPU of its own, above every VM's priority, in
 * an address space with nothing mapped. Resumed, it makes its core switch
 * VCPUs (which saves the loaded one), then faults on its first instruction
 * fetch; the fault message tells the admin that the core is clean.
 *
 * For a move, the admin first runs itself on the old core: there, at its
 * priority, neither the guest nor the flush thread's fault can let the
 * guest run on the old core again before its scheduling context (or
 * affinity) has been moved.
 */
#include "admin.h"

#if CONFIG_MAX_NUM_NODES > 1

static struct {
    bool ready;
    seL4_CPtr ep, vspace;
#ifdef CONFIG_KERNEL_MCS
    seL4_CPtr reply;
#endif
    seL4_CPtr tcb[CONFIG_MAX_NUM_NODES];
    unsigned core; /* where the admin runs now */
} ho;

static seL4_Error say(seL4_Error err, const char *what, unsigned core)
{
    if (err != seL4_NoError)
        console_printf("admin: VCPU hand-over on core %u: %s failed: seL4 error %d\n", core, what,
                       err);
    return err;
}

static seL4_Error make_flusher(unsigned core)
{
    seL4_CPtr tcb, vcpu, cnode;
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - SEL4_GUEST_CNODE_BITS).words[0];
    seL4_Error err = admin_retype(seL4_TCBObject, 0, seL4_TCBBits, &tcb);

    if (err == seL4_NoError)
        err = admin_retype(seL4_ARM_VCPUObject, 0, seL4_VCPUBits, &vcpu);
    if (err == seL4_NoError)
        err = admin_retype(seL4_CapTableObject, SEL4_GUEST_CNODE_BITS,
                           SEL4_GUEST_CNODE_BITS + seL4_SlotBits, &cnode);
    if (err != seL4_NoError)
        return say(err, "objects", core);
    /* Its CSpace holds only its fault endpoint, badged with the core: it can do nothing else. */
    err = say(seL4_CNode_Mint(cnode, SEL4_GUEST_SLOT_FAULT_EP, SEL4_GUEST_CNODE_BITS,
                              seL4_CapInitThreadCNode, ho.ep, seL4_WordBits,
                              seL4_CapRights_new(1, 1, 0, 1), core + 1),
              "fault endpoint", core);
    if (err == seL4_NoError)
        err = say(seL4_ARM_VCPU_SetTCB(vcpu, tcb), "binding its VCPU", core);
#ifdef CONFIG_KERNEL_MCS
    seL4_CPtr sc, fault;
    if (err == seL4_NoError)
        err =
            say(seL4_TCB_Configure(tcb, cnode, guard, ho.vspace, 0, 0, seL4_CapNull), "TCB", core);
    if (err == seL4_NoError)
        err = admin_retype(seL4_SchedContextObject, seL4_MinSchedContextBits,
                           seL4_MinSchedContextBits, &sc);
    if (err == seL4_NoError)
        err = say(seL4_SchedControl_ConfigureFlags(admin.bi->schedcontrol.start + core, sc,
                                                   FULL_SC_US, FULL_SC_US, 0, 0, 0),
                  "scheduling context", core);
    /* MCS takes the fault handler from the admin's CSpace: a badged copy there. */
    if (err == seL4_NoError)
        err = (fault = admin_slots(1)) == seL4_CapNull ? seL4_RangeError : seL4_NoError;
    if (err == seL4_NoError)
        err = say(seL4_CNode_Mint(seL4_CapInitThreadCNode, fault, seL4_WordBits,
                                  seL4_CapInitThreadCNode, ho.ep, seL4_WordBits,
                                  seL4_CapRights_new(1, 1, 0, 1), core + 1),
                  "fault handler", core);
    if (err == seL4_NoError)
        err = say(
            seL4_TCB_SetSchedParams(tcb, seL4_CapInitThreadTCB, ADMIN_PRIO, ADMIN_PRIO, sc, fault),
            "scheduling", core);
#else
    if (err == seL4_NoError)
        err = say(seL4_TCB_Configure(tcb, SEL4_GUEST_SLOT_FAULT_EP, cnode, guard, ho.vspace, 0, 0,
                                     seL4_CapNull),
                  "TCB", core);
    if (err == seL4_NoError)
        err = say(seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, ADMIN_PRIO), "priority", core);
    if (err == seL4_NoError)
        err = say(seL4_TCB_SetAffinity(tcb, core), "affinity", core);
#endif
    if (err == seL4_NoError) {
        seL4_DebugNameThread(tcb, "stdvmm-vcpu-flush");
        ho.tcb[core] = tcb;
    }
    return err;
}

int handover_init(void)
{
    seL4_Error err = admin_retype(seL4_EndpointObject, 0, seL4_EndpointBits, &ho.ep);

    if (err == seL4_NoError)
        err = admin_retype(seL4_ARM_VSpaceObject, 0, seL4_VSpaceBits, &ho.vspace);
    if (err == seL4_NoError)
        err = say(seL4_ARM_ASIDPool_Assign(seL4_CapInitThreadASIDPool, ho.vspace), "ASID", 0);
#ifdef CONFIG_KERNEL_MCS
    if (err == seL4_NoError)
        err = admin_retype(seL4_ReplyObject, 0, seL4_ReplyBits, &ho.reply);
#endif
    for (unsigned c = 0; c < CONFIG_MAX_NUM_NODES && err == seL4_NoError; c++)
        err = make_flusher(c);
    if (err != seL4_NoError) {
        console_printf("admin: no VCPU hand-over: moving vCPUs between cores is refused\n");
        return -1;
    }
    ho.ready = true;
    return 0;
}

bool handover_ready(void)
{
    return ho.ready;
}

seL4_Error handover_flush(unsigned core)
{
    if (!ho.ready || core >= CONFIG_MAX_NUM_NODES)
        return seL4_IllegalOperation;
    /* At pc 0 with the MMU off: the very first fetch faults, stage 2 maps nothing. */
    seL4_UserContext regs = {.pc = 0, .spsr = 0x3c5 /* EL1h, DAIF masked */};
    seL4_Error err =
        say(seL4_TCB_WriteRegisters(ho.tcb[core], true, 0, 3, &regs), "resuming", core);
    if (err != seL4_NoError)
        return err;
    for (;;) {
        seL4_Word badge;
#ifdef CONFIG_KERNEL_MCS
        seL4_Recv(ho.ep, &badge, ho.reply);
#else
        seL4_Recv(ho.ep, &badge);
#endif
        if (badge == core + 1)
            return seL4_NoError;
        /*
         * The admin's bound notification can wake any receive: keep its
         * bits for the main loop, which serves them once this is over.
         */
        admin.deferred_signals |= badge & (SEL4_BADGE_CONSOLE_IRQ | SEL4_BADGE_CONSOLE_VMS);
    }
}

seL4_Error handover_run_on(unsigned core)
{
    if (core == ho.core)
        return seL4_NoError;
#ifdef CONFIG_KERNEL_MCS
    seL4_Error err = seL4_SchedControl_ConfigureFlags(
        admin.bi->schedcontrol.start + core, seL4_CapInitThreadSC, FULL_SC_US, FULL_SC_US, 0, 0, 0);
#else
    seL4_Error err = seL4_TCB_SetAffinity(seL4_CapInitThreadTCB, core);
#endif
    if (say(err, "moving the admin", core) == seL4_NoError)
        ho.core = core;
    return err;
}

#else /* one core: a VCPU never changes cores and is deleted where it is loaded */

int handover_init(void)
{
    return 0;
}

bool handover_ready(void)
{
    return false;
}

seL4_Error handover_flush(unsigned core)
{
    (void)core;
    return seL4_NoError;
}

seL4_Error handover_run_on(unsigned core)
{
    (void)core;
    return seL4_NoError;
}

#endif
