/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

/*
 * Unclaimed accesses are normal (Linux probes legacy ports and PCI config
 * space), so they are only logged at debug level, and only the first few.
 */
#define UNCLAIMED_LOG_LIMIT 16

static void dispatch_io(struct vcpu *vcpu, const struct hv_exit *ex, struct bus *bus,
                        unsigned *unclaimed)
{
    uint32_t count = ex->io.count ? ex->io.count : 1;

    for (uint32_t i = 0; i < count; i++) {
        uint8_t *data = ex->io.data + (uint64_t)i * ex->io.len;
        int r = ex->io.is_write ? bus_write(bus, ex->io.addr, data, ex->io.len)
                                : bus_read(bus, ex->io.addr, data, ex->io.len);
        if (r == -STDVMM_EINVAL) {
            LOG_WARN("vCPU %u: %s access of %u bytes at 0x%llx has an impossible width",
                     vcpu->index, bus->name, ex->io.len, (unsigned long long)ex->io.addr);
            return;
        }
        if (r == -STDVMM_ENODEV && *unclaimed < UNCLAIMED_LOG_LIMIT) {
            (*unclaimed)++;
            LOG_DEBUG("vCPU %u: unclaimed %s %s at 0x%llx (%u bytes)", vcpu->index, bus->name,
                      ex->io.is_write ? "write" : "read", (unsigned long long)ex->io.addr,
                      ex->io.len);
        }
    }
}

int vcpu_run_loop(struct vcpu *vcpu)
{
    struct vm *vm = vcpu->vm;
    unsigned unclaimed = 0;
    unsigned long long exits = 0; /* returns to the VMM: what buffered writes save */
    struct hv_exit ex;

    while (vm_stop_reason(vm) == VM_STOP_NONE) {
        int r = hv_vcpu_run(vcpu->hv, &ex);
        exits++;
        if (r < 0) {
            LOG_ERR("vCPU %u of VM %s: the hypervisor failed to run it (%s)", vcpu->index, vm->name,
                    stdvmm_strerror(r));
            vm_request_stop(vm, VM_STOP_ERROR);
            return r;
        }
        /* Whatever this exit is, it comes after the guest's queued writes. */
        vm_flush_buffered_writes(vm);
        switch (ex.reason) {
        case HV_EXIT_MMIO:
            dispatch_io(vcpu, &ex, &vm->mmio, &unclaimed);
            break;
        case HV_EXIT_PIO:
            dispatch_io(vcpu, &ex, &vm->pio, &unclaimed);
            break;
        case HV_EXIT_KICKED:
            if (vm->on_kick != NULL)
                vm->on_kick(vcpu, vm->on_kick_ctx);
            break;
        case HV_EXIT_HALTED:
            break;
        case HV_EXIT_SYSTEM_OFF:
            vm_request_stop(vm, VM_STOP_POWEROFF);
            break;
        case HV_EXIT_SYSTEM_RESET:
            vm_request_stop(vm, VM_STOP_RESET);
            break;
        case HV_EXIT_SHUTDOWN:
            LOG_INFO("vCPU %u: guest triple fault; treating it as a reset", vcpu->index);
            vm_request_stop(vm, VM_STOP_RESET);
            break;
        case HV_EXIT_GUEST_FAULT:
        case HV_EXIT_INTERNAL_ERROR:
            LOG_ERR("vCPU %u of VM %s: %s (detail 0x%llx); stopping this VM", vcpu->index, vm->name,
                    ex.reason == HV_EXIT_GUEST_FAULT ? "guest access the VMM cannot emulate"
                                                     : "hypervisor internal error",
                    (unsigned long long)ex.detail);
            vm_request_stop(vm, VM_STOP_ERROR);
            return -STDVMM_EIO;
        }
    }
    LOG_INFO("vCPU %u: %llu exits reached the VMM", vcpu->index, exits);
    return 0;
}
