/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 part of the hypervisor port contract (see hv.h). The structures are
 * stdvmm's own, not KVM's, so that the x86 arch code stays free of Linux
 * headers; the KVM port converts.
 */
#ifndef STDVMM_HV_X86_64_H
#define STDVMM_HV_X86_64_H

#include <stdint.h>

#include "stdvmm/hv.h"

struct x86_segment {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint8_t type, present, dpl, db, s, l, g, avl;
    uint8_t unusable;
};

struct x86_dtable {
    uint64_t base;
    uint16_t limit;
};

struct x86_sregs {
    struct x86_segment cs, ds, es, fs, gs, ss, tr, ldt;
    struct x86_dtable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
};

struct x86_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

#define X86_CPUID_FLAG_SIGNIFICANT_INDEX (1u << 0)

struct x86_cpuid_entry {
    uint32_t function;
    uint32_t index;
    uint32_t flags;
    uint32_t eax, ebx, ecx, edx;
};

struct x86_msr {
    uint32_t index;
    uint64_t value;
};

/* Interrupt controllers (PIC, IOAPIC, local APICs) and the PIT, in the hypervisor. */
int hv_x86_create_irqchip(struct hv_vm *vm);
int hv_x86_create_pit(struct hv_vm *vm);

int hv_x86_get_supported_cpuid(struct hv_vm *vm, struct x86_cpuid_entry *entries, unsigned max,
                               unsigned *count);
int hv_x86_vcpu_set_cpuid(struct hv_vcpu *vcpu, const struct x86_cpuid_entry *entries,
                          unsigned count);
int hv_x86_vcpu_set_msrs(struct hv_vcpu *vcpu, const struct x86_msr *msrs, unsigned count);
int hv_x86_vcpu_set_regs(struct hv_vcpu *vcpu, const struct x86_regs *regs);
int hv_x86_vcpu_set_sregs(struct hv_vcpu *vcpu, const struct x86_sregs *sregs);
/* FPU/SSE state at reset (x87 control word 0x37f, MXCSR 0x1f80). */
int hv_x86_vcpu_reset_fpu(struct hv_vcpu *vcpu);
/* Local APIC LINT0 = ExtINT, LINT1 = NMI, as firmware leaves it. */
int hv_x86_vcpu_setup_lapic(struct hv_vcpu *vcpu);

#endif
