/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests exercise the portable layers without a hypervisor: this port
 * has no VMs, so anything that reaches it fails with ENOSYS (and kicks do
 * nothing). Tests that need interrupts observe them through device callbacks.
 */
#include "stdvmm/error.h"
#include "stdvmm/hv.h"

int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level)
{
    (void)vm;
    (void)irq;
    (void)level;
    return -STDVMM_ENOSYS;
}

int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu)
{
    (void)vm;
    (void)irq;
    (void)vcpu;
    return -STDVMM_ENOSYS;
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    (void)vm;
    (void)irq;
    (void)vcpu;
    return -STDVMM_ENOSYS;
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
    (void)vcpu;
}

int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
    (void)vcpu;
    (void)exit;
    return -STDVMM_ENOSYS;
}

unsigned hv_vm_drain_writes(struct hv_vm *vm, hv_write_fn fn, void *ctx)
{
    (void)vm;
    (void)fn;
    (void)ctx;
    return 0;
}
