/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Buffered writes on KVM: coalesced MMIO/PIO zones. KVM appends a guest
 * write inside a zone to one ring per VM (a page mapped from any vCPU
 * descriptor) and lets the guest go on; a write that finds the ring full
 * exits as usual, after the VMM has drained what came before it.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

void kvm_buffered_init(struct hv_vm *vm)
{
    vm->wring = NULL;
    vm->wring_slots = 0;
    vm->wzone_count = 0;
    pthread_mutex_init(&vm->wring_lock, NULL);
    vm->wring_ready = true;
    /* Both answer the ring's page offset in the vCPU mapping, or 0 without the feature. */
    vm->wring_page = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
    vm->wring_pio = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
    if (vm->wring_page < 0)
        vm->wring_page = 0;
}

static int zone_ioctl(struct hv_vm *vm, unsigned long req, const struct kvm_coalesced_mmio_zone *z)
{
    if (ioctl(vm->vm_fd, req, z) < 0) {
        int e = errno;
        LOG_ERR("VM %s: %s of %s 0x%llx+%u: %s", vm->name,
                req == KVM_REGISTER_COALESCED_MMIO ? "KVM_REGISTER_COALESCED_MMIO"
                                                   : "KVM_UNREGISTER_COALESCED_MMIO",
                z->pio ? "port" : "MMIO", (unsigned long long)z->addr, z->size, strerror(e));
        return -e;
    }
    return 0;
}

static int find_zone(const struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    for (unsigned i = 0; i < vm->wzone_count; i++) {
        const struct kvm_coalesced_mmio_zone *z = &vm->wzones[i];
        if (z->addr == addr && z->size == len && (z->pio != 0) == is_pio)
            return (int)i;
    }
    return -1;
}

int hv_vm_add_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    if (vm->wring_page == 0 || (is_pio && !vm->wring_pio) || vm->wring_failed)
        return -STDVMM_ENOTSUP;
    if (len == 0 || len > 8)
        return -STDVMM_EINVAL;
    if (find_zone(vm, addr, len, is_pio) >= 0)
        return 0;
    if (vm->wzone_count == KVM_MAX_BUFFERED_ZONES) {
        LOG_ERR("VM %s: more than %d buffered-write ranges", vm->name, KVM_MAX_BUFFERED_ZONES);
        return -STDVMM_ENOSPC;
    }
    struct kvm_coalesced_mmio_zone z = {.addr = addr, .size = len, .pio = is_pio ? 1 : 0};
    int r = zone_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &z);
    if (r == 0)
        vm->wzones[vm->wzone_count++] = z;
    return r;
}

int hv_vm_remove_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    int i = find_zone(vm, addr, len, is_pio);

    if (i < 0)
        return 0;
    int r = zone_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, &vm->wzones[i]);
    if (r == 0)
        vm->wzones[i] = vm->wzones[--vm->wzone_count];
    return r;
}

/*
 * Writes queue in the kernel as soon as a zone exists, but the VMM can read
 * them only once a vCPU descriptor has mapped the ring. Should that mapping
 * fail, the zones go, so that every later write exits as before.
 */
void kvm_buffered_map(struct hv_vm *vm, int vcpu_fd)
{
    long page = sysconf(_SC_PAGESIZE);

    if (vm->wring != NULL || vm->wring_page == 0 || page <= 0)
        return;
    void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd,
                   (off_t)vm->wring_page * page);
    if (p == MAP_FAILED) {
        LOG_WARN("VM %s: cannot map KVM's coalesced-write ring (%s); the console's writes exit "
                 "one by one",
                 vm->name, strerror(errno));
        vm->wring_failed = true;
        while (vm->wzone_count > 0)
            hv_vm_remove_buffered_writes(vm, vm->wzones[0].addr, vm->wzones[0].size,
                                         vm->wzones[0].pio != 0);
        return;
    }
    vm->wring_bytes = (size_t)page;
    vm->wring_slots = (uint32_t)(((size_t)page - sizeof(struct kvm_coalesced_mmio_ring)) /
                                 sizeof(struct kvm_coalesced_mmio));
    vm->wring = p;
}

void kvm_buffered_destroy(struct hv_vm *vm)
{
    if (vm->writes_drained != 0)
        LOG_INFO("VM %s: %llu buffered writes reached the VMM without an exit", vm->name,
                 (unsigned long long)vm->writes_drained);
    if (vm->wring != NULL)
        munmap(vm->wring, vm->wring_bytes);
    vm->wring = NULL;
    pthread_mutex_destroy(&vm->wring_lock);
}

unsigned hv_vm_drain_writes(struct hv_vm *vm, hv_write_fn fn, void *ctx)
{
    struct kvm_coalesced_mmio_ring *ring = vm->wring;
    unsigned n = 0;

    /* The common case, on every exit: nothing queued, no lock. */
    if (ring == NULL || __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) ==
                            __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&vm->wring_lock);
    for (;;) {
        uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
        /* Acquire pairs with the kernel's barrier before it publishes last. */
        uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
        if (first == last || first >= vm->wring_slots || last >= vm->wring_slots)
            break;
        struct kvm_coalesced_mmio e = ring->coalesced_mmio[first];
        if (e.len <= sizeof(e.data))
            fn(ctx, e.phys_addr, e.len, e.data, e.pio != 0);
        n++;
        /*
         * Freed only after fn has run: a concurrent caller that still sees
         * this entry waits on the lock until the write has been handled.
         */
        __atomic_store_n(&ring->first, (first + 1) % vm->wring_slots, __ATOMIC_RELEASE);
    }
    vm->writes_drained += n;
    pthread_mutex_unlock(&vm->wring_lock);
    return n;
}
