/* SPDX-License-Identifier: BSD-2-Clause */
/* The x86_64 half of the KVM port: converts stdvmm's register structs to KVM's. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_x86_64.h"
#include "stdvmm/log.h"

/*
 * Intel VMX needs a 3-page TSS and an identity-map page somewhere guests
 * never use; the top of the 32-bit hole below the BIOS ROM is that place.
 * AMD ignores both, so setting them is always safe.
 */
#define KVM_TSS_ADDR 0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull

static int vm_ioctl(struct hv_vm *vm, unsigned long req, void *arg, const char *what)
{
    if (ioctl(vm->vm_fd, req, arg) < 0) {
        int e = errno;
        LOG_ERR("VM %s: %s: %s", vm->name, what, strerror(e));
        return -e;
    }
    return 0;
}

static int vcpu_ioctl(struct hv_vcpu *v, unsigned long req, void *arg, const char *what)
{
    if (ioctl(v->fd, req, arg) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: %s: %s", v->vm->name, v->index, what, strerror(e));
        return -e;
    }
    return 0;
}

int kvm_arch_vm_init(struct hv_vm *vm)
{
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;

    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        LOG_ERR("VM %s: KVM_SET_TSS_ADDR: %s", vm->name, strerror(errno));
        return -errno;
    }
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
        return vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity, "KVM_SET_IDENTITY_MAP_ADDR");
    return 0;
}

enum kvm_arch_exit kvm_arch_exit(struct hv_vcpu *v, struct hv_exit *ex)
{
    (void)v;
    (void)ex;
    return KVM_ARCH_EXIT_UNKNOWN; /* every exit this arch has is a common one */
}

int kvm_arch_irq_line_number(struct hv_vm *vm, uint32_t irq, uint32_t *out)
{
    (void)vm;
    *out = irq; /* a GSI of the in-kernel PIC/IOAPIC */
    return 0;
}

/*
 * On x86 the guest allocates each interrupt's vector on the one CPU it
 * picked and programs the IOAPIC with both: delivering that vector to
 * another CPU would reach a CPU that never allocated it ("No irq handler for
 * vector"). So the VMM cannot move an interrupt; it can only read where the
 * guest sent it.
 */
int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu)
{
    (void)vm;
    (void)irq;
    (void)vcpu;
    return -STDVMM_ENOTSUP;
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    struct kvm_irqchip chip = {.chip_id = KVM_IRQCHIP_IOAPIC};

    if (irq >= KVM_IOAPIC_NUM_PINS)
        return -STDVMM_EINVAL;
    int r = vm_ioctl(vm, KVM_GET_IRQCHIP, &chip, "KVM_GET_IRQCHIP (IOAPIC)");
    if (r < 0)
        return r;
    const struct kvm_ioapic_state *io = &chip.chip.ioapic;
    if (io->redirtbl[irq].fields.mask)
        return -STDVMM_ENOENT;
    unsigned dest = io->redirtbl[irq].fields.dest_id;
    if (io->redirtbl[irq].fields.dest_mode == 0) { /* physical: an APIC ID, = vCPU index */
        if (dest >= vm->vcpu_count || dest == 0xff)
            return -STDVMM_ENOENT;
        *vcpu = dest;
        return 0;
    }
    /*
     * Logical (Linux's flat mode below 9 CPUs): one bit per CPU, bit n for
     * CPU n, the logical IDs Linux programs. Several bits: no single owner.
     */
    if (dest == 0 || (dest & (dest - 1)) != 0)
        return -STDVMM_ENOENT;
    unsigned bit = (unsigned)__builtin_ctz(dest);
    if (bit >= vm->vcpu_count)
        return -STDVMM_ENOENT;
    *vcpu = bit;
    return 0;
}

int hv_x86_create_irqchip(struct hv_vm *vm)
{
    return vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
}

int hv_x86_create_pit(struct hv_vm *vm)
{
    /* The dummy speaker port (0x61) stays in the kernel: Linux polls it while calibrating. */
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    return vm_ioctl(vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
}

#define MAX_CPUID_ENTRIES 256

/* Leaf 1 ECX: the local APIC's TSC-deadline timer mode. */
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

int hv_x86_get_supported_cpuid(struct hv_vm *vm, struct x86_cpuid_entry *entries, unsigned max,
                               unsigned *count)
{
    struct kvm_cpuid2 *c =
        calloc(1, sizeof(*c) + MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
    int r;

    if (c == NULL)
        return -STDVMM_ENOMEM;
    c->nent = MAX_CPUID_ENTRIES;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        r = -errno;
        LOG_ERR("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
        free(c);
        return r;
    }
    if (c->nent > max) {
        LOG_ERR("KVM reports %u CPUID leaves, more than the %u stdvmm keeps", c->nent, max);
        free(c);
        return -STDVMM_ENOSPC;
    }
    /*
     * KVM emulates the TSC-deadline mode in its local APIC but leaves the bit
     * out of its supported list, as it depends on the VMM using that APIC
     * (stdvmm always does). Without it Linux arms its timer through TMICT,
     * each write an emulated MMIO access instead of an MSR write.
     */
    bool deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *k = &c->entries[i];
        if (deadline && k->function == 1)
            k->ecx |= CPUID_1_ECX_TSC_DEADLINE;
        entries[i] = (struct x86_cpuid_entry){
            .function = k->function,
            .index = k->index,
            .flags =
                (k->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ? X86_CPUID_FLAG_SIGNIFICANT_INDEX : 0,
            .eax = k->eax,
            .ebx = k->ebx,
            .ecx = k->ecx,
            .edx = k->edx,
        };
    }
    *count = c->nent;
    free(c);
    return 0;
}

int hv_x86_vcpu_set_cpuid(struct hv_vcpu *v, const struct x86_cpuid_entry *entries, unsigned count)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + count * sizeof(struct kvm_cpuid_entry2));
    int r;

    if (c == NULL)
        return -STDVMM_ENOMEM;
    c->nent = count;
    for (unsigned i = 0; i < count; i++) {
        c->entries[i] = (struct kvm_cpuid_entry2){
            .function = entries[i].function,
            .index = entries[i].index,
            .flags = (entries[i].flags & X86_CPUID_FLAG_SIGNIFICANT_INDEX)
                         ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX
                         : 0,
            .eax = entries[i].eax,
            .ebx = entries[i].ebx,
            .ecx = entries[i].ecx,
            .edx = entries[i].edx,
        };
    }
    r = vcpu_ioctl(v, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
    free(c);
    return r;
}

int hv_x86_vcpu_set_msrs(struct hv_vcpu *v, const struct x86_msr *msrs, unsigned count)
{
    struct kvm_msrs *m = calloc(1, sizeof(*m) + count * sizeof(struct kvm_msr_entry));
    int done;

    if (m == NULL)
        return -STDVMM_ENOMEM;
    m->nmsrs = count;
    for (unsigned i = 0; i < count; i++) {
        m->entries[i].index = msrs[i].index;
        m->entries[i].data = msrs[i].value;
    }
    /* KVM_SET_MSRS returns how many it set; it stops at the first it refuses. */
    done = ioctl(v->fd, KVM_SET_MSRS, m);
    free(m);
    if (done < 0 || (unsigned)done != count) {
        LOG_ERR("VM %s vCPU %u: KVM_SET_MSRS refused MSR 0x%x", v->vm->name, v->index,
                done >= 0 && (unsigned)done < count ? msrs[done].index : 0);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int hv_x86_vcpu_set_regs(struct hv_vcpu *v, const struct x86_regs *r)
{
    struct kvm_regs k = {
        .rax = r->rax,
        .rbx = r->rbx,
        .rcx = r->rcx,
        .rdx = r->rdx,
        .rsi = r->rsi,
        .rdi = r->rdi,
        .rsp = r->rsp,
        .rbp = r->rbp,
        .r8 = r->r8,
        .r9 = r->r9,
        .r10 = r->r10,
        .r11 = r->r11,
        .r12 = r->r12,
        .r13 = r->r13,
        .r14 = r->r14,
        .r15 = r->r15,
        .rip = r->rip,
        .rflags = r->rflags,
    };
    return vcpu_ioctl(v, KVM_SET_REGS, &k, "KVM_SET_REGS");
}

static void to_kvm_segment(struct kvm_segment *k, const struct x86_segment *s)
{
    *k = (struct kvm_segment){
        .base = s->base,
        .limit = s->limit,
        .selector = s->selector,
        .type = s->type,
        .present = s->present,
        .dpl = s->dpl,
        .db = s->db,
        .s = s->s,
        .l = s->l,
        .g = s->g,
        .avl = s->avl,
        .unusable = s->unusable,
    };
}

int hv_x86_vcpu_set_sregs(struct hv_vcpu *v, const struct x86_sregs *s)
{
    struct kvm_sregs k;
    int r = vcpu_ioctl(v, KVM_GET_SREGS, &k, "KVM_GET_SREGS");

    if (r < 0)
        return r; /* start from KVM's state to keep apic_base and the interrupt bitmap */
    to_kvm_segment(&k.cs, &s->cs);
    to_kvm_segment(&k.ds, &s->ds);
    to_kvm_segment(&k.es, &s->es);
    to_kvm_segment(&k.fs, &s->fs);
    to_kvm_segment(&k.gs, &s->gs);
    to_kvm_segment(&k.ss, &s->ss);
    to_kvm_segment(&k.tr, &s->tr);
    to_kvm_segment(&k.ldt, &s->ldt);
    k.gdt.base = s->gdt.base;
    k.gdt.limit = s->gdt.limit;
    k.idt.base = s->idt.base;
    k.idt.limit = s->idt.limit;
    k.cr0 = s->cr0;
    k.cr2 = s->cr2;
    k.cr3 = s->cr3;
    k.cr4 = s->cr4;
    k.cr8 = s->cr8;
    k.efer = s->efer;
    return vcpu_ioctl(v, KVM_SET_SREGS, &k, "KVM_SET_SREGS");
}

int hv_x86_vcpu_reset_fpu(struct hv_vcpu *v)
{
    struct kvm_fpu fpu;

    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;    /* x87 reset control word: all exceptions masked */
    fpu.mxcsr = 0x1f80; /* SSE reset state: all exceptions masked */
    return vcpu_ioctl(v, KVM_SET_FPU, &fpu, "KVM_SET_FPU");
}

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4

static void set_lvt_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
    uint32_t v;

    memcpy(&v, &l->regs[reg], sizeof(v));
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&l->regs[reg], &v, sizeof(v));
}

int hv_x86_vcpu_setup_lapic(struct hv_vcpu *v)
{
    struct kvm_lapic_state l;
    int r = vcpu_ioctl(v, KVM_GET_LAPIC, &l, "KVM_GET_LAPIC");

    if (r < 0)
        return r;
    set_lvt_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
    set_lvt_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
    return vcpu_ioctl(v, KVM_SET_LAPIC, &l, "KVM_SET_LAPIC");
}
