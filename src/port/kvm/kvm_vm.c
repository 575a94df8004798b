/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out)
{
    struct hv_vm *vm = calloc(1, sizeof(*vm));
    int r;

    if (vm == NULL)
        return -STDVMM_ENOMEM;
    vm->vm_fd = -1;
    vm->irqchip_fd = -1;
    vm->its_fd = -1;
    pthread_mutex_init(&vm->rpage_lock, NULL);
    vm->vcpu_count = cfg->vcpu_count;
    snprintf(vm->name, sizeof(vm->name), "%s", cfg->name ? cfg->name : "vm");

    r = kvm_open_system(&vm->kvm_fd);
    if (r < 0)
        goto fail;

    int max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus <= 0)
        max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (max_vcpus > 0 && cfg->vcpu_count > (unsigned)max_vcpus) {
        LOG_ERR("VM %s: %u vCPUs requested, this KVM allows at most %d", vm->name,
                cfg->vcpu_count, max_vcpus);
        r = -STDVMM_EINVAL;
        goto fail;
    }

    vm->run_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->run_mmap_size <= 0) {
        r = -errno;
        LOG_ERR("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        goto fail;
    }
    do {
        vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    } while (vm->vm_fd < 0 && errno == EINTR);
    if (vm->vm_fd < 0) {
        r = -errno;
        LOG_ERR("KVM_CREATE_VM: %s", strerror(errno));
        goto fail;
    }
    kvm_buffered_init(vm);
    r = kvm_arch_vm_init(vm);
    if (r < 0)
        goto fail;
    *out = vm;
    return 0;

fail:
    hv_vm_destroy(vm);
    return r;
}

void hv_vm_destroy(struct hv_vm *vm)
{
    if (vm == NULL)
        return;
    if (vm->wring_ready)
        kvm_buffered_destroy(vm);
    if (vm->its_fd >= 0)
        close(vm->its_fd);
    if (vm->irqchip_fd >= 0)
        close(vm->irqchip_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    kvm_read_page_destroy(vm);
    free(vm);
}

static int set_region(struct hv_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                      uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .flags = (flags & HV_MEM_READONLY) ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };

    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx: %s",
                vm->name, slot, (unsigned long long)gpa, (unsigned long long)size, strerror(e));
        return -e;
    }
    return 0;
}

int hv_vm_map_memory(struct hv_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                     uint32_t flags)
{
    if (size == 0 || host == NULL)
        return -STDVMM_EINVAL;
    return set_region(vm, slot, gpa, size, host, flags);
}

int hv_vm_unmap_memory(struct hv_vm *vm, unsigned slot)
{
    /* KVM deletes a slot when its size is set to zero. */
    return set_region(vm, slot, 0, 0, NULL, 0);
}

int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level)
{
    struct kvm_irq_level line = {.level = level ? 1 : 0};
    int r = kvm_arch_irq_line_number(vm, irq, &line.irq);

    if (r < 0)
        return r;
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_IRQ_LINE %u=%d: %s", vm->name, irq, line.level, strerror(e));
        return -e;
    }
    return 0;
}

int kvm_irqchip_set_attr(struct hv_vm *vm, uint32_t group, uint64_t attr, void *value,
                         const char *what)
{
    struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value};

    if (ioctl(vm->irqchip_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
        int e = errno;
        LOG_ERR("VM %s: %s: %s", vm->name, what, strerror(e));
        return -e;
    }
    return 0;
}
