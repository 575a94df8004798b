/* SPDX-License-Identifier: BSD-2-Clause */
/* Notifiers on KVM are eventfds: ioeventfd for guest-to-device doorbells, irqfd for interrupts. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

int hv_notifier_create(struct hv_vm *vm, hv_notifier_t *out)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (fd < 0) {
        int e = errno;
        LOG_ERR("VM %s: eventfd: %s", vm->name, strerror(e));
        return -e;
    }
    out->handle = fd;
    return 0;
}

void hv_notifier_destroy(struct hv_vm *vm, hv_notifier_t n)
{
    (void)vm;
    if (n.handle >= 0)
        close((int)n.handle);
}

static int ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio, hv_notifier_t n,
                     uint32_t flags, uint64_t datamatch)
{
    struct kvm_ioeventfd io = {
        .datamatch = datamatch,
        .addr = addr,
        .len = len,
        .fd = (int)n.handle,
        .flags = flags | (is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0),
    };

    if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_IOEVENTFD%s at 0x%llx: %s", vm->name,
                flags & KVM_IOEVENTFD_FLAG_DEASSIGN ? " (remove)" : "", (unsigned long long)addr,
                strerror(e));
        return -e;
    }
    return 0;
}

int hv_vm_add_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio, hv_notifier_t n)
{
    return ioeventfd(vm, addr, len, is_pio, n, 0, 0);
}

int hv_vm_remove_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio,
                           hv_notifier_t n)
{
    return ioeventfd(vm, addr, len, is_pio, n, KVM_IOEVENTFD_FLAG_DEASSIGN, 0);
}

int hv_vm_add_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                              hv_notifier_t n)
{
    return ioeventfd(vm, addr, len, false, n, KVM_IOEVENTFD_FLAG_DATAMATCH, value);
}

int hv_vm_remove_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                                 hv_notifier_t n)
{
    return ioeventfd(vm, addr, len, false, n,
                     KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN, value);
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

int hv_vm_remove_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n)
{
    /* Not given to KVM yet: forget it. */
    for (unsigned i = 0; i < vm->deferred_irqfd_count; i++) {
        if (vm->deferred_irqfds[i].fd == (uint32_t)n.handle && vm->deferred_irqfds[i].gsi == irq) {
            vm->deferred_irqfds[i] = vm->deferred_irqfds[--vm->deferred_irqfd_count];
            return 0;
        }
    }
    struct kvm_irqfd fd = {.fd = (uint32_t)n.handle, .gsi = irq, .flags = KVM_IRQFD_FLAG_DEASSIGN};
    if (ioctl(vm->vm_fd, KVM_IRQFD, &fd) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_IRQFD (remove) for interrupt %u: %s", vm->name, irq, strerror(e));
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
