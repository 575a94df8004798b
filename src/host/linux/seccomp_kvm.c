/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * KVM ioctls after the VM is built, by the threads that make them. The
 * request numbers come from <linux/kvm.h>, the one header outside the KVM
 * port that needs it. The main thread may make any ioctl (it builds VMs);
 * these lists are for threads that run guest-driven code.
 */
#include <linux/kvm.h>

#include "seccomp_lists.h"

/* The vCPU's own loop: run, and read or write its registers on an exit. */
static const struct sc_rule vcpu_rules[] = {
    SC_IOCTL(KVM_RUN),
#if defined(__x86_64__)
    SC_IOCTL(KVM_GET_REGS), SC_IOCTL(KVM_SET_REGS),
    SC_IOCTL(KVM_GET_SREGS), SC_IOCTL(KVM_SET_SREGS),
#elif defined(__aarch64__)
    SC_IOCTL(KVM_GET_ONE_REG), SC_IOCTL(KVM_SET_ONE_REG),
#endif
};
SC_LIST(sc_kvm_vcpu, "kvm-vcpu", vcpu_rules);

/*
 * Interrupts and doorbells, from whichever thread a device model runs on:
 * raising a line, wiring ioeventfd/irqfd when a driver starts a device,
 * and reading or moving where an interrupt goes (the control socket's
 * info, interrupt ownership on Arm).
 */
static const struct sc_rule irq_rules[] = {
    SC_IOCTL(KVM_IRQ_LINE),
    SC_IOCTL(KVM_IRQFD),
    SC_IOCTL(KVM_IOEVENTFD),
    /* The console UART turns its buffered writes on and off as the guest programs it. */
    SC_IOCTL(KVM_REGISTER_COALESCED_MMIO),
    SC_IOCTL(KVM_UNREGISTER_COALESCED_MMIO),
    /*
     * ... and withdraws its register page (a read-only memory slot) the
     * moment a register read would have a side effect: input arrives, the
     * guest enables the THRE interrupt (hv_vm_set_read_page).
     */
    SC_IOCTL(KVM_SET_USER_MEMORY_REGION),
#if defined(__x86_64__)
    SC_IOCTL(KVM_GET_IRQCHIP),
#elif defined(__aarch64__)
    SC_IOCTL(KVM_GET_DEVICE_ATTR),
    SC_IOCTL(KVM_SET_DEVICE_ATTR),
#elif defined(__riscv)
    /* The VMM's PLIC (no in-kernel AIA) sets and clears a hart's external interrupt. */
    SC_IOCTL(KVM_INTERRUPT),
#endif
};
SC_LIST(sc_kvm_irq, "kvm-irq", irq_rules);
