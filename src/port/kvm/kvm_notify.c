/* SPDX-License-Identifier: BSD-2-Clause */
/* Notifiers on KVM are eventfds: ioeventfd for guest-to-device doorbells, irqfd for interrupts. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

int hv_vm_add_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio, hv_notifier_t n)
{
    struct kvm_ioeventfd io = {
        .addr = addr,
        .len = len,
        .fd = (int)n.handle,
        .flags = is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0,
    };

    if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_IOEVENTFD at 0x%llx: %s", vm->name, (unsigned long long)addr,
                strerror(e));
        return -e;
    }
    return 0;
}

int hv_vm_add_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n, hv_notifier_t resample)
{
    struct kvm_irqfd fd = {.fd = (uint32_t)n.handle, .gsi = irq};

    if (resample.handle >= 0) {
        fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
        fd.resamplefd = (uint32_t)resample.handle;
    }
    if (vm->irqfds_deferred) {
        if (vm->deferred_irqfd_count >= KVM_MAX_DEFERRED_IRQFDS) {
            LOG_ERR("VM %s: more than %d irqfds before the interrupt controller is ready", vm->name,
                    KVM_MAX_DEFERRED_IRQFDS);
            return -STDVMM_ENOSPC;
        }
        vm->deferred_irqfds[vm->deferred_irqfd_count++] = fd;
        return 0;
    }
    if (ioctl(vm->vm_fd, KVM_IRQFD, &fd) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_IRQFD for interrupt %u: %s", vm->name, irq, strerror(e));
        return -e;
    }
    return 0;
}

int kvm_flush_deferred_irqfds(struct hv_vm *vm)
{
    vm->irqfds_deferred = false;
    for (unsigned i = 0; i < vm->deferred_irqfd_count; i++) {
        /* KVM injects at once if the eventfd was signalled while it waited. */
        if (ioctl(vm->vm_fd, KVM_IRQFD, &vm->deferred_irqfds[i]) < 0) {
            int e = errno;
            LOG_ERR("VM %s: KVM_IRQFD for interrupt %u: %s", vm->name, vm->deferred_irqfds[i].gsi,
                    strerror(e));
            return -e;
        }
    }
    vm->deferred_irqfd_count = 0;
    return 0;
}
