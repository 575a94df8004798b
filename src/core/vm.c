/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/vm.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

void vm_init(struct vm *vm, const char *name, struct hv_vm *hv, unsigned vcpu_count)
{
    memset(vm, 0, sizeof(*vm));
    vm->name = name;
    vm->hv = hv;
    vm->vcpu_count = vcpu_count;
    gmem_init(&vm->mem);
    bus_init(&vm->mmio, "mmio");
    bus_init(&vm->pio, "pio");
    atomic_init(&vm->stop_reason, VM_STOP_NONE);
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].index = i;
    }
}

int vm_add_platform_device(struct vm *vm, const struct vm_platform_device *dev)
{
    if (vm->device_count >= VM_MAX_PLATFORM_DEVICES) {
        LOG_ERR("VM %s: too many platform devices (limit %d)", vm->name, VM_MAX_PLATFORM_DEVICES);
        return -STDVMM_ENOSPC;
    }
    vm->devices[vm->device_count++] = *dev;
    return 0;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
    int expected = VM_STOP_NONE;

    if (reason == VM_STOP_NONE)
        return;
    if (vm->refine_stop != NULL && vm_stop_reason(vm) == VM_STOP_NONE)
        reason = vm->refine_stop(vm, reason);
    if (!atomic_compare_exchange_strong(&vm->stop_reason, &expected, (int)reason))
        return; /* an earlier reason stands: e.g. a panic followed by its reboot */
    LOG_DEBUG("VM %s stops: %s", vm->name, vm_stop_reason_name(reason));
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (vm->vcpus[i].hv != NULL)
            hv_vcpu_kick(vm->vcpus[i].hv);
    }
    if (vm->on_stop != NULL)
        vm->on_stop(vm, vm->on_stop_ctx);
}

enum vm_stop_reason vm_stop_reason(const struct vm *vm)
{
    return (enum vm_stop_reason)atomic_load(&vm->stop_reason);
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
    switch (reason) {
    case VM_STOP_NONE:
        return "running";
    case VM_STOP_POWEROFF:
        return "guest powered off";
    case VM_STOP_RESET:
        return "guest reset";
    case VM_STOP_PANIC:
        return "guest kernel panicked";
    case VM_STOP_ERROR:
        return "VMM error";
    case VM_STOP_REQUESTED:
        return "stop requested";
    }
    return "unknown";
}

int vm_set_irq_line(struct vm *vm, uint32_t irq, bool level)
{
    if (vm->irq_line != NULL)
        return vm->irq_line(vm->irq_line_ctx, irq, level);
    if (vm->hv == NULL)
        return -STDVMM_ENODEV;
    return hv_vm_set_irq_line(vm->hv, irq, level);
}

int vm_irq_target(struct vm *vm, uint32_t irq, unsigned *vcpu)
{
    if (vm->irq_target != NULL)
        return vm->irq_target(vm->irq_line_ctx, irq, vcpu);
    if (vm->hv == NULL)
        return -STDVMM_ENODEV;
    return hv_vm_irq_target(vm->hv, irq, vcpu);
}

static void buffered_write(void *ctx, uint64_t addr, uint32_t len, const uint8_t *data, bool is_pio)
{
    struct vm *vm = ctx;

    /* Failures are the bus's to report, as for an exit: the guest goes on. */
    (void)bus_write(is_pio ? &vm->pio : &vm->mmio, addr, data, len);
}

unsigned vm_flush_buffered_writes(struct vm *vm)
{
    if (vm->hv == NULL)
        return 0;
    return hv_vm_drain_writes(vm->hv, buffered_write, vm);
}
