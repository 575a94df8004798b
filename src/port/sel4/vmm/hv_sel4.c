/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hypervisor port (include/stdvmm/hv.h, hv_aarch64.h) on seL4, the only
 * code of the VMM program that calls libsel4 for the guest. What KVM does in
 * the kernel happens here, in the VMM's protection domain:
 *  - the guest runs on a TCB bound to a VCPU object; its faults arrive on
 *    the VMM's fault endpoint and hv_vcpu_run() turns them into exits:
 *    VMFault  -> decode the data abort (ESR) -> HV_EXIT_MMIO, or the vGIC
 *                distributor, which lives here as KVM's lives in the kernel;
 *    VCPUFault -> HVC/SMC -> PSCI (VERSION, FEATURES, CPU_ON, SYSTEM_OFF,
 *                SYSTEM_RESET, ...), WFI/WFE; anything else stops this VM;
 *    VGICMaintenance -> the guest's EOI freed a list register;
 *    VPPIEvent -> the virtual timer fired: inject it, acknowledge on EOI;
 *  - memory is mapped by the admin before the VMM starts, so mapping calls
 *    only check that the core asks for what the admin provided.
 * Each vCPU has a fault endpoint and a VMM thread of its own (placed on the
 * vCPU's core by the admin), so an exit never crosses cores. The threads
 * share the device models, the vGIC and this file's state: a thread holds
 * the VMM lock from the moment its vCPU's fault arrives until it answers it
 * (hv_vcpu_run() returns with the lock held, the core dispatches the exit,
 * the next hv_vcpu_run() releases it just before the reply), and a PSCI
 * call (it changes other vCPUs). Exits that touch only the vGIC (its own
 * lock) and this vCPU's registers - the virtual timer, list-register
 * maintenance, distributor accesses - are handled without it, in parallel
 * on every vCPU's core: they are most exits, and a tick on every vCPU
 * serialised behind one lock is what a busy multi-vCPU guest drowns in. A
 * thread that finds the lock taken sleeps on a notification until the
 * holder hands it over: spinning would burn the core a preempted holder
 * needs (one core) or hammer the kernel's lock with system calls (several).
 */
#include "vmm/hv_sel4.h"

#include <sel4/sel4.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "arch/aarch64/psci.h"
#include "port/sel4/portable/esr.h"
#include "port/sel4/portable/guest_call.h"
#include "port/sel4/portable/sel4_plan.h"
#include "port/sel4/portable/vgic_v2.h"
#include "stdvmm/arch.h"
#include "stdvmm/error.h"
#include "stdvmm/hv.h"
#include "stdvmm/hv_aarch64.h"
#include "stdvmm/log.h"

#define CTX_WORDS (sizeof(seL4_UserContext) / sizeof(seL4_Word))
/* GICv2 list registers hold 5 bits of priority. */
#define LR_PRIORITY_SHIFT 3
/* VMPIDR_EL2 bit 31 is RES1. */
#define VMPIDR_RES1 (1ull << 31)
/* SCTLR_EL1 at reset with the MMU and caches off: only the RES1 bits (ARMv8.0). */
#define SCTLR_EL1_RESET 0x30d00800ull

_Static_assert(CTX_WORDS == SEL4_A64_CTX_WORDS, "seL4_UserContext layout changed");

struct hv_vcpu {
    struct hv_vm *vm;
    unsigned index;
    seL4_CPtr tcb, vcpu, fault_ep;
    uint64_t mpidr;
    /*
     * started: the guest thread was resumed (by its own VMM thread for the
     * boot vCPU, by the PSCI CPU_ON of another vCPU for the rest).
     * holds_lock: this vCPU's VMM thread holds the VMM lock.
     */
    bool started, powered_off, reply_pending, holds_lock;
    atomic_bool kicked;
    seL4_UserContext ctx; /* read at the last fault; written back before the reply if dirty */
    bool ctx_dirty;
    /* An MMIO access handed to the core: completed on the next hv_vcpu_run(). */
    bool mmio_pending;
    struct esr_dabt dabt;
    uint8_t data[8];
};

struct hv_vm {
    const struct sel4_vmm_args *args;
    unsigned vcpu_count;
    bool gic_created;
    struct a64_gic_layout gic;
    struct vgic vgic;
    struct hv_vcpu vcpus[SEL4_VMM_MAX_VCPUS];
    bool vm_created, ram_mapped;
};

static struct hv_vm the_vm; /* one VM per VMM protection domain (paper §4.1.5) */
static const struct sel4_vmm_args *vmm_args;
/* The vCPU this thread serves (banked GICD registers): one thread per vCPU. */
static _Thread_local unsigned running_vcpu;
/*
 * The holder plus the threads waiting for it. A waiter sleeps on the lock
 * notification; an unlock that sees waiters signals it once, handing the
 * lock to exactly one of them. At most one signal is ever pending (a new
 * holder appears only by consuming it), so the notification's coalescing
 * loses none.
 */
static atomic_uint lock_users;
static atomic_ulong lock_waits; /* acquisitions that had to wait: contention, for the log */

/* Takes the VMM lock for v's thread, unless that thread holds it already. */
static void lock_vmm(struct hv_vcpu *v)
{
    if (v->holds_lock)
        return;
    if (atomic_fetch_add_explicit(&lock_users, 1, memory_order_acquire) > 0) {
        atomic_fetch_add_explicit(&lock_waits, 1, memory_order_relaxed);
        /*
         * The fault message just received is still in the message
         * registers, and a wait returns its own in the first four.
         */
        seL4_Word mr[seL4_FastMessageRegisters];
        for (unsigned i = 0; i < seL4_FastMessageRegisters; i++)
            mr[i] = seL4_GetMR((int)i);
        seL4_Wait(SEL4_VMM_SLOT_LOCK_NTFN, NULL);
        for (unsigned i = 0; i < seL4_FastMessageRegisters; i++)
            seL4_SetMR((int)i, mr[i]);
        atomic_thread_fence(memory_order_acquire);
    }
    v->holds_lock = true;
}

static void unlock_vmm(struct hv_vcpu *v)
{
    if (!v->holds_lock)
        return;
    v->holds_lock = false;
    if (atomic_fetch_sub_explicit(&lock_users, 1, memory_order_release) > 1)
        seL4_Signal(SEL4_VMM_SLOT_LOCK_NTFN);
}

unsigned long hv_sel4_lock_waits(void)
{
    return atomic_load_explicit(&lock_waits, memory_order_relaxed);
}

static void (*notification_handler)(uint64_t badge);

void hv_sel4_set_notification_handler(void (*fn)(uint64_t badge))
{
    notification_handler = fn;
}

void hv_sel4_set_args(const struct sel4_vmm_args *args)
{
    vmm_args = args;
}

static int sel4_err(seL4_Error err, const char *what)
{
    if (err == seL4_NoError)
        return 0;
    LOG_ERR("%s: seL4 error %d", what, (int)err);
    return -STDVMM_EIO;
}

int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out)
{
    if (vmm_args == NULL || the_vm.vm_created) {
        LOG_ERR("VM %s: the seL4 port runs exactly one VM per VMM, set up by the admin", cfg->name);
        return -STDVMM_EBUSY;
    }
    if (cfg->vcpu_count == 0 || cfg->vcpu_count > SEL4_VMM_MAX_VCPUS ||
        cfg->vcpu_count != vmm_args->vcpu_count) {
        LOG_ERR("VM %s: %u vCPUs; this VMM serves %u (at most %d)", cfg->name, cfg->vcpu_count,
                vmm_args->vcpu_count, SEL4_VMM_MAX_VCPUS);
        return -STDVMM_EINVAL;
    }
    memset(&the_vm, 0, sizeof(the_vm));
    the_vm.args = vmm_args;
    the_vm.vcpu_count = cfg->vcpu_count;
    the_vm.vm_created = true;
    *out = &the_vm;
    return 0;
}

void hv_vm_destroy(struct hv_vm *vm)
{
    /* The objects belong to the admin's budget for this VM: it revokes them. */
    if (vm != NULL)
        vm->vm_created = false;
}

void *hv_sel4_ram_host(const struct sel4_vmm_args *a, unsigned index, uint64_t gpa, uint64_t size)
{
    uint64_t offset = 0;
    if (index >= a->ram_count || index >= SEL4_VMM_MAX_RAM)
        return NULL;
    for (unsigned i = 0; i < index; i++)
        offset += a->ram[i].size;
    if (a->ram[index].gpa != gpa || a->ram[index].size != size || offset + size > a->ram_size)
        return NULL;
    return (void *)(uintptr_t)(a->ram_va + offset);
}

int hv_vm_map_memory(struct hv_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                     uint32_t flags)
{
    const struct sel4_vmm_args *a = vm->args;

    /* A shared region: the admin mapped it into the guest's stage 2 only (vmm/main.c). */
    if (slot >= ARCH_MAX_RAM_REGIONS) {
        unsigned i = slot - ARCH_MAX_RAM_REGIONS;
        bool ro = (flags & HV_MEM_READONLY) != 0;
        if (i < a->shared_count && i < SEL4_VMM_MAX_SHARED && a->shared[i].gpa == gpa &&
            a->shared[i].size == size && (uintptr_t)host == gpa &&
            ro == (a->shared[i].read_only != 0))
            return 0;
        LOG_ERR("shared region slot %u at 0x%llx+0x%llx: the admin mapped no such region", slot,
                (unsigned long long)gpa, (unsigned long long)size);
        return -STDVMM_ENOTSUP;
    }
    /* The admin mapped guest RAM (stage 2 and our window) before we started. */
    if (flags != 0 || host == NULL || hv_sel4_ram_host(a, slot, gpa, size) != host) {
        LOG_ERR("mapping 0x%llx+0x%llx at %p as RAM region %u: not what the admin provided",
                (unsigned long long)gpa, (unsigned long long)size, host, slot);
        return -STDVMM_ENOTSUP;
    }
    vm->ram_mapped = true;
    return 0;
}

int hv_vm_unmap_memory(struct hv_vm *vm, unsigned slot)
{
    (void)vm;
    (void)slot;
    return 0; /* the mapping goes with the admin's revocation */
}

int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level)
{
    if (!vm->gic_created)
        return -STDVMM_ENODEV;
    if (irq > vm->gic.spi_count - 1) {
        LOG_ERR("SPI %u: the distributor has %u", irq, vm->gic.spi_count);
        return -STDVMM_EINVAL;
    }
    return vgic_set_spi_line(&vm->vgic, A64_SPI_INTID_BASE + irq, level);
}

int hv_sel4_passthrough_irq(struct hv_vm *vm, uint32_t spi)
{
    if (!vm->gic_created || vm->args->pt_size == 0 || spi != SEL4_PT_SPI)
        return -STDVMM_EINVAL;
    return vgic_hw_spi_event(&vm->vgic, A64_SPI_INTID_BASE + spi);
}

/* The VMM emulates the distributor, so ownership holds whatever the guest writes. */
int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu)
{
    if (!vm->gic_created)
        return -STDVMM_ENODEV;
    if (irq > vm->gic.spi_count - 1 || vcpu >= vm->vcpu_count)
        return -STDVMM_EINVAL;
    return vgic_set_spi_owner(&vm->vgic, A64_SPI_INTID_BASE + irq, (int)vcpu);
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    if (!vm->gic_created)
        return -STDVMM_ENODEV;
    if (irq > vm->gic.spi_count - 1)
        return -STDVMM_EINVAL;
    return vgic_spi_target(&vm->vgic, A64_SPI_INTID_BASE + irq, vcpu);
}

/*
 * Doorbells need notification objects from the VM's budget, which the admin
 * does not give the VMM yet: a queue notification is a fault the VMM
 * handles, and its interrupt is raised directly (src/port/sel4/vmm/main.c).
 */
int hv_notifier_create(struct hv_vm *vm, hv_notifier_t *out)
{
    (void)vm;
    out->handle = -1;
    return -STDVMM_ENOSYS;
}

void hv_notifier_destroy(struct hv_vm *vm, hv_notifier_t n)
{
    (void)vm, (void)n;
}

int hv_vm_remove_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio,
                           hv_notifier_t n)
{
    (void)vm, (void)addr, (void)len, (void)is_pio, (void)n;
    return -STDVMM_ENOSYS;
}

int hv_vm_remove_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n)
{
    (void)vm, (void)irq, (void)n;
    return -STDVMM_ENOSYS;
}

int hv_vm_add_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio, hv_notifier_t n)
{
    (void)vm, (void)addr, (void)len, (void)is_pio, (void)n;
    LOG_ERR("ioeventfd-style notifiers are not implemented on seL4 yet");
    return -STDVMM_ENOSYS;
}

int hv_vm_add_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                              hv_notifier_t n)
{
    (void)vm, (void)addr, (void)len, (void)value, (void)n;
    LOG_ERR("ioeventfd-style notifiers are not implemented on seL4 yet");
    return -STDVMM_ENOSYS;
}

int hv_vm_remove_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                                 hv_notifier_t n)
{
    (void)vm, (void)addr, (void)len, (void)value, (void)n;
    return -STDVMM_ENOSYS;
}

/* Every guest access is a fault the VMM answers: nothing is ever queued. */
int hv_vm_add_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    (void)vm, (void)addr, (void)len, (void)is_pio;
    return -STDVMM_ENOTSUP;
}

int hv_vm_remove_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    (void)vm, (void)addr, (void)len, (void)is_pio;
    return 0;
}

/* Device pages stay unmapped: every access is a fault the VMM answers. */
int hv_vm_set_read_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                        uint32_t len, uint8_t fill)
{
    (void)vm, (void)slot, (void)gpa, (void)len, (void)fill;
    return bytes == NULL ? 0 : -STDVMM_ENOTSUP;
}

int hv_vm_patch_read_page(struct hv_vm *vm, unsigned slot, uint32_t offset, const uint8_t *bytes,
                          uint32_t len)
{
    (void)vm, (void)slot, (void)offset, (void)bytes, (void)len;
    return -STDVMM_EINVAL; /* no page was ever installed */
}

unsigned hv_vm_drain_writes(struct hv_vm *vm, hv_write_fn fn, void *ctx)
{
    (void)vm, (void)fn, (void)ctx;
    return 0;
}

int hv_vm_add_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n, hv_notifier_t resample)
{
    (void)vm, (void)irq, (void)n, (void)resample;
    LOG_ERR("irqfd-style notifiers are not implemented on seL4 yet");
    return -STDVMM_ENOSYS;
}

/* ---- the vGIC's hypervisor side ---------------------------------------- */

static int vgic_inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority)
{
    struct hv_vm *vm = ctx;
    seL4_Error err = seL4_ARM_VCPU_InjectIRQ(vm->vcpus[vcpu].vcpu, (seL4_Uint16)intid,
                                             priority >> LR_PRIORITY_SHIFT, 0, (seL4_Uint8)lr);
    return err == seL4_NoError ? 0 : -STDVMM_EIO;
}

/* The virtual timer's PPI, or the passed-through device's SPI: unmask it at seL4. */
static void vgic_ack_hw(void *ctx, unsigned vcpu, uint32_t intid)
{
    struct hv_vm *vm = ctx;
    seL4_Error err = intid < A64_SPI_INTID_BASE ? seL4_ARM_VCPU_AckVPPI(vm->vcpus[vcpu].vcpu, intid)
                                                : seL4_IRQHandler_Ack(SEL4_VMM_SLOT_PT_IRQ);
    if (err != seL4_NoError)
        LOG_WARN("vCPU %u: acknowledging INTID %u: seL4 error %d", vcpu, intid, (int)err);
}

static unsigned vgic_current(void *ctx)
{
    (void)ctx;
    return running_vcpu;
}

int hv_a64_create_gic(struct hv_vm *vm, const struct a64_gic_layout *gic)
{
    if (gic->version != A64_GIC_V2) {
        /* seL4 on QEMU virt runs a GICv2 here: the arch code falls back to it. */
        return -STDVMM_ENODEV;
    }
    if (gic->cpu_base != vm->args->gic_cpu_gpa || gic->cpu_size != 0x2000) {
        LOG_ERR("GIC CPU interface wanted at 0x%llx; the admin mapped the virtual one at 0x%llx",
                (unsigned long long)gic->cpu_base, (unsigned long long)vm->args->gic_cpu_gpa);
        return -STDVMM_EINVAL;
    }
    if (gic->dist_size != VGIC_DIST_SIZE) {
        LOG_ERR("GICv2 distributor of %llu bytes; the emulation has %u",
                (unsigned long long)gic->dist_size, VGIC_DIST_SIZE);
        return -STDVMM_EINVAL;
    }
    struct vgic_config cfg = {
        .vcpu_count = vm->vcpu_count,
        .nr_irqs = A64_SPI_INTID_BASE + gic->spi_count,
        .nr_lrs = vm->args->gic_list_regs,
        .ops = {.ctx = vm,
                .inject = vgic_inject,
                .ack_hw = vgic_ack_hw,
                .current_vcpu = vgic_current},
    };
    int r = vgic_init(&vm->vgic, &cfg);
    if (r < 0)
        return r;
    vm->gic = *gic;
    vm->gic_created = true;
    return 0;
}

int hv_a64_gic_init(struct hv_vm *vm)
{
    return vm->gic_created ? 0 : -STDVMM_ENODEV;
}

/* The VMM's own GICv2 emulation (portable/vgic_v2.c); none of the optional features yet. */
int hv_a64_features(struct hv_vm *vm, struct a64_hv_features *out)
{
    (void)vm;
    *out = (struct a64_hv_features){.gicv2 = true};
    return 0;
}

int hv_a64_create_its(struct hv_vm *vm, uint64_t base)
{
    (void)vm;
    (void)base;
    return -STDVMM_ENODEV;
}

int hv_a64_enable_mte(struct hv_vm *vm)
{
    (void)vm;
    return -STDVMM_ENOTSUP;
}

int hv_a64_vcpu_pmu_init(struct hv_vcpu *vcpu, uint32_t ppi_intid)
{
    (void)vcpu;
    (void)ppi_intid;
    return -STDVMM_ENOTSUP;
}

/* ---- vCPUs ------------------------------------------------------------- */

int hv_vcpu_create(struct hv_vm *vm, unsigned index, struct hv_vcpu **out)
{
    if (index >= vm->vcpu_count) {
        LOG_ERR("vCPU %u: this VM has %u", index, vm->vcpu_count);
        return -STDVMM_EINVAL;
    }
    struct hv_vcpu *v = &vm->vcpus[index];
    memset(v, 0, sizeof(*v));
    v->vm = vm;
    v->index = index;
    v->tcb = SEL4_VMM_SLOT_GUEST_TCB + index;
    v->vcpu = SEL4_VMM_SLOT_VCPU + index;
    v->fault_ep = SEL4_VMM_SLOT_FAULT_EP + index;
    atomic_init(&v->kicked, false);
    *out = v;
    return 0;
}

void hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
    if (vcpu != NULL)
        seL4_TCB_Suspend(vcpu->tcb);
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
    /*
     * The vCPU's thread sees it on its next hv_vcpu_run(). A VM stop needs
     * no more: the thread that decides it reports to the admin, which
     * revokes every thread of this VMM at once.
     */
    atomic_store(&vcpu->kicked, true);
}

int hv_a64_vcpu_init(struct hv_vcpu *vcpu, const struct a64_vcpu_config *cfg)
{
    vcpu->mpidr = cfg->mpidr;
    vcpu->powered_off = cfg->powered_off;
    int r = sel4_err(seL4_ARM_VCPU_WriteRegs(vcpu->vcpu, seL4_VCPUReg_SCTLR, SCTLR_EL1_RESET),
                     "vCPU SCTLR_EL1");
    if (r == 0)
        r = sel4_err(
            seL4_ARM_VCPU_WriteRegs(vcpu->vcpu, seL4_VCPUReg_VMPIDR_EL2, VMPIDR_RES1 | cfg->mpidr),
            "vCPU MPIDR");
    return r;
}

int hv_a64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct a64_boot_regs *regs)
{
    seL4_UserContext ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.pc = regs->pc;
    ctx.spsr = regs->pstate;
    ctx.x0 = regs->x0;
    ctx.x1 = regs->x1;
    ctx.x2 = regs->x2;
    ctx.x3 = regs->x3;
    return sel4_err(seL4_TCB_WriteRegisters(vcpu->tcb, false, 0, CTX_WORDS, &ctx),
                    "guest boot registers");
}

static seL4_Word *ctx_word(struct hv_vcpu *v, unsigned index)
{
    return &((seL4_Word *)&v->ctx)[index];
}

static int read_ctx(struct hv_vcpu *v)
{
    return sel4_err(seL4_TCB_ReadRegisters(v->tcb, false, 0, CTX_WORDS, &v->ctx),
                    "reading guest registers");
}

static void step_pc(struct hv_vcpu *v)
{
    v->ctx.pc += 4; /* A64 instructions are 4 bytes; traps of T32 code do not come here */
    v->ctx_dirty = true;
}

/* Finishes an MMIO access the core has dispatched: load result, step over the instruction. */
static void complete_mmio(struct hv_vcpu *v)
{
    if (!v->dabt.is_write && v->dabt.reg != ESR_REG_ZR) {
        uint64_t raw = 0;
        for (uint32_t i = 0; i < v->dabt.len; i++)
            raw |= (uint64_t)v->data[i] << (8 * i);
        int idx = sel4_a64_ctx_x(v->dabt.reg);
        if (idx >= 0)
            *ctx_word(v, (unsigned)idx) = esr_dabt_load_value(&v->dabt, raw);
    }
    step_pc(v);
    v->mmio_pending = false;
}

static int resume_state(struct hv_vcpu *v)
{
    if (v->mmio_pending)
        complete_mmio(v);
    if (v->ctx_dirty) {
        v->ctx_dirty = false;
        return sel4_err(seL4_TCB_WriteRegisters(v->tcb, false, 0, CTX_WORDS, &v->ctx),
                        "writing guest registers");
    }
    return 0;
}

static void guest_fault(struct hv_exit *ex, uint64_t detail)
{
    ex->reason = HV_EXIT_GUEST_FAULT;
    ex->detail = detail;
}

/* A data abort: the distributor is handled here, anything else goes to the core's bus. */
static bool data_abort(struct hv_vcpu *v, uint64_t addr, uint64_t esr, uint64_t pc,
                       struct hv_exit *ex)
{
    struct hv_vm *vm = v->vm;
    enum esr_dabt_status st = esr_decode_dabt(esr, &v->dabt);

    if (st == ESR_DABT_CACHE_MAINT) {
        step_pc(v); /* nothing is cached behind an MMIO hole */
        return false;
    }
    if (st != ESR_DABT_OK) {
        LOG_ERR("vCPU %u: guest access at IPA 0x%llx (pc 0x%llx, ESR 0x%llx) cannot be emulated: "
                "%s; stopping this VM",
                v->index, (unsigned long long)addr, (unsigned long long)pc, (unsigned long long)esr,
                esr_dabt_status_name(st));
        guest_fault(ex, esr);
        return true;
    }
    if (v->dabt.is_write) {
        uint64_t val = 0;
        if (v->dabt.reg != ESR_REG_ZR)
            val =
                esr_dabt_store_value(&v->dabt, *ctx_word(v, (unsigned)sel4_a64_ctx_x(v->dabt.reg)));
        for (uint32_t i = 0; i < 8; i++)
            v->data[i] = (uint8_t)(val >> (8 * i));
    } else {
        memset(v->data, 0, sizeof(v->data));
    }
    if (vm->gic_created && addr >= vm->gic.dist_base && addr - vm->gic.dist_base < VGIC_DIST_SIZE) {
        uint64_t off = addr - vm->gic.dist_base;
        if (v->dabt.is_write)
            vgic_dist_write(&vm->vgic, off, v->data, v->dabt.len);
        else
            vgic_dist_read(&vm->vgic, off, v->data, v->dabt.len);
        complete_mmio(v);
        return false;
    }
    v->mmio_pending = true;
    ex->reason = HV_EXIT_MMIO;
    ex->io.addr = addr;
    ex->io.len = v->dabt.len;
    ex->io.count = 0;
    ex->io.is_write = v->dabt.is_write;
    ex->io.data = v->data;
    return true;
}

/* PSCI callbacks, called with the VMM lock held. */
static bool psci_cpu_by_mpidr(void *ctx, uint64_t mpidr, unsigned *index)
{
    struct hv_vm *vm = ctx;
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if ((vm->vcpus[i].mpidr & PSCI_MPIDR_AFF_MASK) == mpidr) {
            *index = i;
            return true;
        }
    }
    return false;
}

static int psci_cpu_state(void *ctx, unsigned index)
{
    struct hv_vm *vm = ctx;
    return vm->vcpus[index].powered_off ? PSCI_AFF_OFF : PSCI_AFF_ON;
}

/* SPSR for a CPU coming up through CPU_ON: EL1h with D, A, I and F masked (PSCI 1.0 6.4). */
#define PSCI_ENTRY_SPSR 0x3c5u

/*
 * Powers up a secondary vCPU: the calling vCPU's thread writes the entry
 * state into the target's (suspended) guest thread and resumes it. The
 * target's own VMM thread is already waiting on that vCPU's fault endpoint,
 * so its first exit goes there, on its own core.
 */
static int32_t psci_cpu_on(void *ctx, unsigned index, uint64_t entry, uint64_t context_id)
{
    struct hv_vm *vm = ctx;
    struct hv_vcpu *t = &vm->vcpus[index];
    seL4_UserContext regs;

    if (!t->powered_off)
        return PSCI_ALREADY_ON;
    if (seL4_ARM_VCPU_WriteRegs(t->vcpu, seL4_VCPUReg_SCTLR, SCTLR_EL1_RESET) != seL4_NoError)
        return PSCI_INTERNAL_FAILURE;
    memset(&regs, 0, sizeof(regs));
    regs.pc = entry;
    regs.spsr = PSCI_ENTRY_SPSR;
    regs.x0 = context_id;
    if (sel4_err(seL4_TCB_WriteRegisters(t->tcb, true, 0, CTX_WORDS, &regs), "CPU_ON") < 0)
        return PSCI_INTERNAL_FAILURE;
    t->powered_off = false;
    t->started = true;
    return PSCI_SUCCESS;
}

/*
 * pc_at_insn: the saved PC points at the trapping instruction, not past it.
 * That is how seL4 reports a guest's HVC: as an unknown system call whose
 * FaultIP is the HVC itself (seL4 takes HVC from a VCPU thread for a system
 * call, and faults when x7 names none).
 */
static bool vcpu_fault(struct hv_vcpu *v, uint64_t hsr, bool pc_at_insn, struct hv_exit *ex)
{
    uint32_t ec = esr_ec(hsr);

    if (esr_is_hvc_smc(hsr)) {
        /* CPU_ON, CPU_OFF and AFFINITY_INFO read and change other vCPUs. */
        lock_vmm(v);
        const struct psci_ops ops = {.ctx = v->vm,
                                     .cpu_by_mpidr = psci_cpu_by_mpidr,
                                     .cpu_state = psci_cpu_state,
                                     .cpu_on = psci_cpu_on};
        uint64_t regs[4] = {v->ctx.x0, v->ctx.x1, v->ctx.x2, v->ctx.x3};
        struct guest_call_result res;
        if (guest_call_handle(hsr, regs, &ops, v->index, &res) < 0) {
            guest_fault(ex, hsr);
            return true;
        }
        if (res.step_pc || pc_at_insn)
            step_pc(v);
        switch (res.action) {
        case PSCI_ACTION_RETURN:
            v->ctx.x0 = res.x0;
            v->ctx_dirty = true;
            return false;
        case PSCI_ACTION_CPU_OFF:
            /*
             * Suspended, not left waiting for a reply: a later CPU_ON
             * rewrites its registers and resumes it from another thread.
             */
            seL4_TCB_Suspend(v->tcb);
            v->powered_off = true;
            v->reply_pending = false;
            ex->reason = HV_EXIT_HALTED;
            return true;
        case PSCI_ACTION_SYSTEM_OFF:
            v->reply_pending = false;
            ex->reason = HV_EXIT_SYSTEM_OFF;
            return true;
        case PSCI_ACTION_SYSTEM_RESET:
            v->reply_pending = false;
            ex->reason = HV_EXIT_SYSTEM_RESET;
            return true;
        }
    }
    if (ec == ESR_EC_WFX) {
        /* Only with a kernel that traps WFI (see README): let the guest go on. */
        step_pc(v);
        return false;
    }
    LOG_ERR("vCPU %u: %s (ESR 0x%llx) at pc 0x%llx: stdvmm cannot emulate it; stopping this VM",
            v->index, esr_ec_name(ec), (unsigned long long)hsr, (unsigned long long)v->ctx.pc);
    guest_fault(ex, hsr);
    return true;
}

/* Handles one fault message; true when it became an exit for the core. */
static bool handle_fault(struct hv_vcpu *v, seL4_MessageInfo_t info, struct hv_exit *ex)
{
    struct hv_vm *vm = v->vm;
    seL4_Word label = seL4_MessageInfo_get_label(info);

    switch (label) {
    case seL4_Fault_VMFault: {
        uint64_t ip = seL4_GetMR(seL4_VMFault_IP), addr = seL4_GetMR(seL4_VMFault_Addr);
        uint64_t fsr = seL4_GetMR(seL4_VMFault_FSR);
        bool prefetch = seL4_GetMR(seL4_VMFault_PrefetchFault) != 0;
        if (read_ctx(v) < 0) {
            ex->reason = HV_EXIT_INTERNAL_ERROR;
            return true;
        }
        if (prefetch) {
            LOG_ERR("vCPU %u: instruction fetch from IPA 0x%llx (pc 0x%llx), outside guest RAM; "
                    "stopping this VM",
                    v->index, (unsigned long long)addr, (unsigned long long)ip);
            v->reply_pending = false;
            guest_fault(ex, fsr);
            return true;
        }
        bool exit = data_abort(v, addr, fsr, ip, ex);
        if (exit && ex->reason == HV_EXIT_GUEST_FAULT)
            v->reply_pending = false;
        return exit;
    }
    case seL4_Fault_VCPUFault:
        if (read_ctx(v) < 0) {
            ex->reason = HV_EXIT_INTERNAL_ERROR;
            return true;
        }
        if (vcpu_fault(v, seL4_GetMR(seL4_VCPUFault_HSR), false, ex)) {
            if (ex->reason == HV_EXIT_GUEST_FAULT)
                v->reply_pending = false;
            return true;
        }
        return false;
    case seL4_Fault_UnknownSyscall:
        /* The guest's HVC (see vcpu_fault); SVC never leaves the guest. */
        if (read_ctx(v) < 0) {
            ex->reason = HV_EXIT_INTERNAL_ERROR;
            return true;
        }
        if (vcpu_fault(v, (uint64_t)ESR_EC_HVC64 << ESR_EC_SHIFT | ESR_IL, true, ex)) {
            if (ex->reason == HV_EXIT_GUEST_FAULT)
                v->reply_pending = false;
            return true;
        }
        return false;
    case seL4_Fault_VGICMaintenance: {
        seL4_Word idx = seL4_GetMR(seL4_VGICMaintenance_IDX);
        /* seL4 reports -1 when no list register signalled EOI; nothing to free then. */
        if (idx < vm->args->gic_list_regs)
            vgic_maintenance(&vm->vgic, v->index, (unsigned)idx);
        return false;
    }
    case seL4_Fault_VPPIEvent:
        vgic_ppi_event(&vm->vgic, v->index, (uint32_t)seL4_GetMR(seL4_VPPIEvent_IRQ));
        return false;
    default:
        LOG_ERR("vCPU %u: seL4 fault %lu (not a VM exit stdvmm knows); stopping this VM", v->index,
                (unsigned long)label);
        v->reply_pending = false;
        guest_fault(ex, label);
        return true;
    }
}

int hv_vcpu_run(struct hv_vcpu *v, struct hv_exit *ex)
{
    memset(ex, 0, sizeof(*ex));
    running_vcpu = v->index;
    for (;;) {
        if (atomic_exchange(&v->kicked, false)) {
            lock_vmm(v);
            ex->reason = HV_EXIT_KICKED;
            return 0;
        }
        seL4_MessageInfo_t info;
        seL4_Word badge;
        if (!v->started && !v->powered_off) {
            v->started = true;
            if (sel4_err(seL4_TCB_Resume(v->tcb), "starting the guest") < 0)
                return -STDVMM_EIO;
        }
        if (v->reply_pending) {
            if (resume_state(v) < 0)
                return -STDVMM_EIO;
            v->reply_pending = false;
            unlock_vmm(v);
#ifdef CONFIG_KERNEL_MCS
            info = seL4_ReplyRecv(v->fault_ep, seL4_MessageInfo_new(0, 0, 0, 0), &badge,
                                  SEL4_VMM_SLOT_REPLY + v->index);
#else
            info = seL4_ReplyRecv(v->fault_ep, seL4_MessageInfo_new(0, 0, 0, 0), &badge);
#endif
        } else {
            /* Powered off (or never on): CPU_ON from another vCPU resumes the guest thread. */
            unlock_vmm(v);
#ifdef CONFIG_KERNEL_MCS
            info = seL4_Recv(v->fault_ep, &badge, SEL4_VMM_SLOT_REPLY + v->index);
#else
            info = seL4_Recv(v->fault_ep, &badge);
#endif
        }
        /*
         * vCPU 0's thread has a notification bound (vmm_abi.h: backends'
         * signals and this VMM's own NIC kicks): a signal ends its wait with
         * the signalled bits as the badge, which no fault carries. The
         * fault, if one was pending, has been answered; the guest runs on.
         */
        if (badge >= SEL4_BADGE_VMM_SIGNALS) {
            if (notification_handler != NULL) {
                lock_vmm(v);
                notification_handler(badge);
            }
            continue;
        }
        if (badge != v->index + 1) {
            LOG_WARN("fault message with badge %lu on vCPU %u's endpoint; ignored",
                     (unsigned long)badge, v->index);
            continue;
        }
        v->reply_pending = true;
        if (handle_fault(v, info, ex)) {
            /* The core dispatches it to shared devices: under the lock. */
            lock_vmm(v);
            return 0;
        }
    }
}
