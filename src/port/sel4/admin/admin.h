/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The root task: the admin component of paper §4.2.1. It owns all untyped
 * memory, gives each configured VM a fixed budget of it at boot, and builds
 * for each running VM a VMM protection domain holding only that VM's
 * capabilities (§4.1.5). Stopping a VM revokes its budget, which destroys
 * every object made for it; restarting builds it again.
 */
#ifndef STDVMM_PORT_SEL4_ADMIN_H
#define STDVMM_PORT_SEL4_ADMIN_H

#include <sel4/sel4.h>
#include <stdbool.h>
#include <stdint.h>

#include "port/sel4/portable/colour.h"
#include "port/sel4/portable/sel4_plan.h"
#include "vm_table.h"
#include "vmm_abi.h"

/*
 * The admin serves console input and VMM reports above everything else, at
 * seL4's highest priority, so that descriptions get the rest of seL4's
 * range. While it builds a VM it drops to the guests' default priority, so
 * that the VMs already running keep their share.
 */
#define ADMIN_PRIO seL4_MaxPrio
#define GUEST_PRIO 100
/*
 * A VM's VMM threads run one above its highest vCPU: they only run when a
 * vCPU faulted or one VMM thread hands the VMM lock to another, and then
 * they must not wait behind guests spending whole timeslices (a guest's WFI
 * and WFE do not trap). One priority for all of them, as any of them may
 * hold the VMM lock another waits for. So a vCPU's priority is at most two
 * below the admin's (tools/sel4/gen-vm-table.py's VM_PRIO_MAX: the same).
 */
#define VMM_PRIO(vm_prio) ((seL4_Word)(vm_prio) + 1u)
#define VM_PRIO_MAX (ADMIN_PRIO - 2)
/*
 * MCS kernels: a thread without a budget of its own gets a full scheduling
 * context (budget = period) of this length, which acts as its timeslice
 * among equals (policy rr). A fifo vCPU's full context is so long that it
 * never expires in practice: it runs until it blocks or a higher priority
 * preempts it (seL4 puts a preempted thread back at the head of its queue).
 */
#define FULL_SC_US 5000
#define FIFO_SC_US 1000000000u /* 1000 s */

/* The admin's own virtual addresses (its program sits at 0x400000). */
#define ADMIN_SCRATCH_VA 0x1000000000ull /* one page, to fill frames before handing them out */
#define ADMIN_UART_VA 0x1000200000ull    /* PL011 registers */
#define ADMIN_IMAGES_VA 0x2000000000ull  /* the image store, 2 MiB pages */
#define ADMIN_CONSOLE_VA 0x1000400000ull /* VM i's console ring at + i pages */

/* A range of slots in the admin's CNode. */
struct slot_range {
    seL4_CPtr first, next, end;
};

/* A bump allocator over one untyped, mirroring the kernel's alignment rule. */
struct ut_alloc {
    seL4_CPtr ut;
    uint8_t bits;
    uint64_t paddr; /* of its first byte */
    uint64_t used;
    struct slot_range *slots; /* where the capabilities to what is retyped go */
};

seL4_Error ut_retype(struct ut_alloc *a, seL4_Word type, seL4_Word size_arg, unsigned obj_bits,
                     seL4_CPtr *slot);
seL4_CPtr slot_take(struct slot_range *r);

/* Maps frame at va in vspace, making page tables from pt as needed. */
seL4_Error vs_map(seL4_CPtr vspace, seL4_CPtr frame, uint64_t va, seL4_CapRights_t rights,
                  seL4_ARM_VMAttributes attr, struct ut_alloc *pt);

/* Fills a fresh 4 KiB frame through the admin's scratch window. */
seL4_Error vs_fill_frame(seL4_CPtr frame, const void *data, uint64_t len);

/* The admin's global allocator (its own objects, image store, per-VM budgets). */
struct admin {
    seL4_BootInfo *bi;
    struct sel4_ut_pool pool;
    struct ut_alloc own; /* page tables and small objects of the admin itself */
    struct slot_range own_slots;
    seL4_CPtr next_slot, slot_end;
    seL4_CPtr endpoint;
#ifdef CONFIG_KERNEL_MCS
    seL4_CPtr reply; /* MCS: receiving needs a reply object */
#endif
    seL4_CPtr console_ntfn; /* bound to the admin's thread: UART input and VM console rings */
    /* Signals of console_ntfn that woke a receive other than the main loop's (handover.c). */
    seL4_Word deferred_signals;
    seL4_CPtr gicv_frame[2]; /* the virtual CPU interface, mapped into every guest */
    uint64_t gicv_paddr;
    /* The image store: every boot image in 2 MiB pages, shared read-only. */
    struct {
        seL4_CPtr first_frame;
        uint64_t frames;
    } images[SEL4_MAX_IMAGES];
};
extern struct admin admin;

seL4_CPtr admin_slots(seL4_Word n);
/* Retypes one object from the bootinfo pool into a new admin slot. */
seL4_Error admin_retype(seL4_Word type, seL4_Word size_arg, unsigned obj_bits, seL4_CPtr *slot);
/* 2^count_bits consecutive device frames at paddr (e.g. the GICV, the UART). */
seL4_Error device_frames(uint64_t paddr, unsigned count_bits, seL4_CPtr *first);
/* Carves a child untyped of 2^bits from the pool (a VM's budget), retyping into slots. */
seL4_Error admin_untyped(unsigned bits, struct ut_alloc *out, struct slot_range *slots);
/*
 * A badged send to ntfn at slot dest of dest_cnode (2^bits slots), replacing
 * whatever a previous run of a VM left there: a doorbell between two PDs.
 */
seL4_Error admin_mint_send(seL4_CPtr dest_cnode, seL4_Word dest, unsigned bits, seL4_CPtr ntfn,
                           seL4_Word badge);

/*
 * A coloured VM's frames (colour.c, docs/memory.md): 4 KiB frames of the
 * VM's cache colours only, retyped from untypeds of its budget in address
 * order; each run of other colours between them becomes one untyped nobody
 * uses. The frames' capabilities are in a range of their own, which the
 * read-back walks; the skipped runs' in another.
 */
struct colour_alloc {
    uint64_t mask;
    unsigned colours;
    struct ut_alloc chunk[SEL4_PLAN_MAX_RAM_CHUNKS];
    unsigned count, cur;
    struct slot_range frame_slots, skip_slots;
    uint64_t frames; /* handed out since the last revoke */
};
/* A budget for frames frames of the colours in mask: untypeds and slots, at boot. */
int colour_budget(struct colour_alloc *c, const char *name, uint64_t frames, uint64_t mask,
                  unsigned colours);
/* The next frame of the colours, its physical address checked with the kernel's. */
seL4_Error colour_frame(struct colour_alloc *c, seL4_CPtr *frame);
/* Deletes every frame (and copy of one) made since the budget was given; ready to start again. */
seL4_Error colour_revoke(struct colour_alloc *c);
/*
 * Reads back every frame's physical address (seL4_ARM_Page_GetAddress)
 * and checks its colour; prints the counts. 0 when all are of the VM's
 * colours and all are there.
 */
int colour_readback(const struct colour_alloc *c, const char *name, uint64_t ram_frames);
/* The same for a VM's channel frames: net and disk pages of them, as made. */
int colour_readback_channels(const struct colour_alloc *c, const char *name, unsigned net,
                             unsigned disk);
/* Frames read back one at a time (a shared region's, and each member's copies of them). */
struct colour_tally {
    uint64_t per[SEL4_COLOUR_MAX], frames, outside, unreadable;
};
void colour_tally_add(struct colour_tally *t, seL4_CPtr frame, uint64_t mask, unsigned colours);
/* Prints "admin: WHO: N frames, ... outside colours ...: ok"; 0 when want frames, all in mask. */
int colour_tally_report(const struct colour_tally *t, uint64_t mask, unsigned colours,
                        uint64_t want, const char *who);

/*
 * A coloured VM's channels (colour_channel.c): VM index's NIC region (disk
 * false) or disk channel, made at boot from a colour budget of the VM's
 * colours kept for its channels alone, which outlives the VM's runs: frames
 * in consecutive admin slots from *first. *coloured false: the VM is not
 * coloured, nothing made (the caller makes the frames as for any VM).
 */
seL4_Error colour_channel(unsigned index, bool disk, seL4_CPtr *first, bool *coloured);
/* Reads back the frames of VM index's channels made so far; 0 when in its colours (or none). */
int colour_channel_readback(unsigned index);

/* ELF loading of the VMM program into a VMM's VSpace (elf.c); frames from a, or from colour. */
int elf_program_pages(const uint8_t *elf, uint64_t size, uint64_t *pages, uint64_t *entry);
int elf_load(const uint8_t *elf, uint64_t size, seL4_CPtr vspace, struct ut_alloc *a,
             struct colour_alloc *colour);

/* VMs (vm.c). */
void vms_init(void);
int vm_start(unsigned index);
int vm_stop(unsigned index, const char *why);
void vm_list(void);
/* A run-time change of one vCPU: what is negative (or set_budget false) stays. */
struct vcpu_place {
    int core;        /* the core it and its VMM thread move to */
    int prio;        /* the vCPU's priority (its VMM threads: VMM_PRIO of the VM's highest) */
    bool set_budget; /* MCS: a new budget (0: none, a full context) in each period */
    uint32_t budget_us, period_us;
};
int vm_vcpu_place(unsigned index, unsigned vcpu, const struct vcpu_place *p);
int vm_find(const char *name);
void vm_message(seL4_Word badge, seL4_MessageInfo_t info);
#ifdef CONFIG_BENCHMARK_TRACK_UTILISATION
/* Per running vCPU: its guest and VMM threads' share of their core since `util start`. */
void vm_util_report(void);
#endif
/* Prints what VM index's VMM wrote to its console ring. */
void vm_console_drain(unsigned index);

/*
 * Handing a VCPU over between cores (handover.c): a core keeps the last
 * VCPU that ran on it loaded until another VCPU runs there. The admin runs
 * on ADMIN_CORE except while it moves a vCPU.
 */
#define ADMIN_CORE 0u
int handover_init(void);
bool handover_ready(void);
/* Makes core write its loaded VCPU back to memory; returns once it has. */
seL4_Error handover_flush(unsigned core);
/* Moves the admin's own thread to core. */
seL4_Error handover_run_on(unsigned core);

/*
 * A backend protection domain (backend_pd.c): the switch, the block server.
 * One thread at ADMIN_PRIO - 1 on the admin's core, its own untyped, CNode
 * and VSpace; no fault handler (a fault stops that backend only).
 */
struct backend_pd {
    const char *name; /* for messages */
    bool up;
    struct ut_alloc objects;
    struct slot_range slots;
    seL4_CPtr cnode, vspace, tcb, ntfn, ipc_frame;
#ifdef CONFIG_KERNEL_MCS
    seL4_CPtr sc;
#endif
    uint64_t entry;
    unsigned cnode_bits;
};
/* Where its argument page, IPC buffer and notification go, and how it runs. */
struct backend_pd_layout {
    uint64_t args_va, ipc_va;
    unsigned ntfn_slot;
    seL4_Word prio;
    const char *thread_name;
};
/* Its objects from an untyped of 2^ut_bits, slots admin slots, and its program loaded. */
int backend_pd_create(struct backend_pd *pd, const char *name, const uint8_t *elf,
                      uint64_t elf_size, unsigned ut_bits, unsigned slots, unsigned cnode_bits);
/*
 * VM vm's channel (disk: its disk's; else its NIC's region): pages fresh
 * frames (consecutive slots from *first), at pd_va in it and admin_va here;
 * of the VM's colours when it has some (colour_channel), else the PD's own.
 */
seL4_Error backend_pd_region(struct backend_pd *pd, unsigned vm, bool disk, unsigned pages,
                             uint64_t pd_va, uint64_t admin_va, seL4_CPtr *first);
/* Copies of a region's frames at va in another VSpace, slots and tables from objects. */
seL4_Error backend_pd_share(seL4_CPtr first, unsigned pages, seL4_CPtr vspace, uint64_t va,
                            struct ut_alloc *objects);
/* A send-only capability to its notification with badge, in an admin slot (*cap). */
seL4_Error backend_pd_badge(struct backend_pd *pd, seL4_Word badge, seL4_CPtr *cap);
/* Maps args (one page at most), its IPC buffer, and starts its thread at its entry. */
seL4_Error backend_pd_start(struct backend_pd *pd, const void *args, size_t len,
                            const struct backend_pd_layout *l);
/*
 * Connects a starting VMM: the backend's slot gets a send-only capability
 * to the VMM's notification (badge), the VMM's vmm_slot one to the
 * backend's (doorbell_badge). The VMM's notification comes from the VM's
 * budget, so revoking the VM deletes the backend's capability to it too.
 */
seL4_Error backend_pd_attach_vmm(struct backend_pd *pd, unsigned slot, seL4_CPtr vmm_ntfn,
                                 seL4_Word badge, seL4_CPtr vmm_cnode, unsigned vmm_slot,
                                 seL4_Word doorbell_badge);

/*
 * What each VM's start gives the services that build part of it (below):
 * the VM's index, its VMM's CNode, VSpace and notification (bound to its
 * vCPU 0 thread, vm.c), its guest's stage 2, where its RAM is in physical
 * memory (0: not one block), and the allocator of its budget.
 */
struct vm_start {
    unsigned index;
    seL4_CPtr vmm_cnode, vmm_vspace, vmm_ntfn, guest_vspace;
    uint64_t ram_pa;
    struct ut_alloc *objects;
};

/*
 * A service: the switch (net.c), the block server (blk.c), board devices a
 * VM owns (passthrough.c), driver VMs' channels (driver_vm.c). init at boot
 * (0, or -1: the admin stops); per VM, the extra slots its range needs,
 * what its VMM's arguments say, what its start builds, and what its stop
 * tells the others. vm.c calls them in the table's order (admin_services).
 */
struct admin_service {
    const char *without; /* what an init that failed leaves out, for the console */
    int (*init)(void);
    unsigned (*vm_slots)(unsigned index);
    void (*vm_args)(const struct vm_start *vs, struct sel4_vmm_args *a);
    seL4_Error (*vm_start)(const struct vm_start *vs);
    void (*vm_stopped)(unsigned index);
};

/*
 * The network (net.c): the switch PD, built at boot when a VM has a NIC on
 * a network, and each VM's port on it, built with the VM and detached when
 * it stops.
 */
extern const struct admin_service net_service;

/* Shared regions (shared.c): frames made at boot, mapped into each member's stage 2. */
extern const struct admin_service shared_service;
/* Page tables VM index's stage 2 needs for its coloured regions' 4 KiB frames (its budget's). */
uint64_t shared_vm_tables(unsigned index);

/*
 * The block server (blk.c): a PD built at boot when a VM has a disk on the
 * board's virtio-blk-device, driving that device and serving each such VM
 * its region of it; the same life cycle per VM as the network's.
 */
extern const struct admin_service blk_service;

/*
 * The board's virtio-mmio transports (board.c), probed and mapped once:
 * disk0's and net0's transport numbers (-1: none, said why), the admin's capability to
 * the page holding transport n, its physical address, its interrupt's
 * INTID, and a reset of its device.
 */
int board_find_disk0(void);
int board_find_net0(void);
/* Transport n's page holds another device too (a VM given n would reach it). */
bool board_page_shared(unsigned n);
seL4_CPtr board_transport_page(unsigned n);
uint64_t board_transport_pa(unsigned n);
int board_transport_irq(unsigned n);
void board_transport_reset(unsigned n);

/*
 * Board devices a VM owns (passthrough.c, a driver VM): at boot the IRQ
 * handler of each; per start, the device's page in the VM's stage 2 and its
 * interrupt bound to the VMM's notification (refused unless the VM's RAM is
 * one physical block: ram_pa); at stop, the device reset.
 */
extern const struct admin_service passthrough_service;

/*
 * Disks and NICs served by a driver VM (driver_vm.c): the channels, made at
 * boot; per start of a user VM or its driver VM, the channels mapped and
 * the doorbells between the two when both run; per stop, the other told.
 */
extern const struct admin_service driver_vm_service;

/* All of them, in the order they are built at boot and per VM (vm.c). */
extern const struct admin_service *const admin_services[];
extern const unsigned admin_service_count;

/* Console (console.c): PL011 input for commands, debug-console output. */
int console_init(void);
void console_irq(void);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
