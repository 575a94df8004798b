/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hv_vm_set_read_page() on KVM: a read-only memory slot (KVM_MEM_READONLY)
 * over one page of this process. Reads are served from the page; a write
 * to a read-only slot leaves the guest as an MMIO exit through KVM's MMIO
 * bus, so coalesced-MMIO zones inside the page still queue (arm64:
 * kvm_handle_guest_abort() sends a write fault on a non-writable slot to
 * io_mem_abort(); riscv64: gstage_page_fault() to kvm_riscv_vcpu_mmio_store();
 * both try kvm_io_bus_write() first). Rewrites go into the mapped page in
 * place: no memory-slot change, which costs KVM a synchronisation of every
 * vCPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define READ_PAGE_SIZE 0x1000u

/*
 * The guest maps device registers as Device memory, which arm64 reads
 * without the cache unless the CPU forces stage 2's cacheable attribute
 * (FEAT_S2FWB); KVM cleans a page to the point of coherency only when it
 * maps it. So what this process writes into the mapped page is cleaned to
 * memory before the guest may read it (Linux lets user space run DC CIVAC,
 * SCTLR_EL1.UCI). On riscv64 a guest can map memory uncached only with
 * Svpbmt, which host_allows() refuses, so the caches are coherent.
 */
static void make_visible(const uint8_t *p, size_t len)
{
#if defined(__aarch64__)
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    uintptr_t line = 4u << ((ctr >> 16) & 0xf); /* DminLine: log2 of words */
    uintptr_t a = (uintptr_t)p & ~(line - 1);
    for (; a < (uintptr_t)p + len; a += line)
        __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb ish" : : : "memory");
#else
    (void)p, (void)len;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * riscv64: a guest with Svpbmt maps its devices as IO, uncached, and would
 * read past a rewrite still in this CPU's cache; user space has no cache
 * clean to offer here, so such hosts keep every read an exit.
 */
static bool host_allows(const struct hv_vm *vm)
{
#if defined(__riscv)
    char line[1024];
    bool svpbmt = false;
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f != NULL && !svpbmt && fgets(line, sizeof(line), f) != NULL)
        svpbmt = strncmp(line, "isa", 3) == 0 && strstr(line, "svpbmt") != NULL;
    if (f != NULL)
        fclose(f);
    if (f == NULL || svpbmt) {
        LOG_INFO("VM %s: %s: no read page (a guest's uncached device mapping could read stale "
                 "bytes)",
                 vm->name, f == NULL ? "cannot read /proc/cpuinfo" : "the host CPU has Svpbmt");
        return false;
    }
#endif
    (void)vm;
    return true;
}

static int read_page_supported(struct hv_vm *vm)
{
    if (vm->rpage_state != 0)
        return vm->rpage_state;
    vm->rpage_state = -STDVMM_ENOTSUP;
    if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
        LOG_INFO("VM %s: KVM has no read-only memory (KVM_CAP_READONLY_MEM)", vm->name);
    } else if (sysconf(_SC_PAGESIZE) != READ_PAGE_SIZE) {
        LOG_INFO("VM %s: host pages of %ld bytes are larger than a device's 4 KiB page", vm->name,
                 sysconf(_SC_PAGESIZE));
    } else if (host_allows(vm)) {
        void *p =
            mmap(NULL, READ_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            LOG_ERR("VM %s: read page: mmap: %s", vm->name, strerror(errno));
            vm->rpage_state = -STDVMM_ENOMEM;
        } else {
            vm->rpage = p;
            vm->rpage_state = 1;
        }
    }
    return vm->rpage_state;
}

static int set_slot(struct hv_vm *vm, bool on)
{
    struct kvm_userspace_memory_region region = {
        .slot = vm->rpage_slot,
        .flags = KVM_MEM_READONLY,
        .guest_phys_addr = vm->rpage_gpa,
        .memory_size = on ? READ_PAGE_SIZE : 0,
        .userspace_addr = (uint64_t)(uintptr_t)vm->rpage,
    };

    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        int e = errno;
        LOG_ERR("VM %s: read page at 0x%llx (slot %u): %s it: %s", vm->name,
                (unsigned long long)vm->rpage_gpa, vm->rpage_slot, on ? "mapping" : "removing",
                strerror(e));
        return -e;
    }
    vm->rpage_mapped = on;
    return 0;
}

int hv_vm_set_read_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                        uint32_t len, uint8_t fill)
{
    if (vm == NULL || gpa % READ_PAGE_SIZE != 0 || len > READ_PAGE_SIZE)
        return -STDVMM_EINVAL;
    if (bytes == NULL)
        return vm->rpage_mapped ? set_slot(vm, false) : 0;
    int r = read_page_supported(vm);
    if (r < 0)
        return r;
    if (vm->rpage_mapped && (slot != vm->rpage_slot || gpa != vm->rpage_gpa)) {
        LOG_ERR("VM %s: a second read page (0x%llx) while 0x%llx is mapped", vm->name,
                (unsigned long long)gpa, (unsigned long long)vm->rpage_gpa);
        return -STDVMM_EEXIST;
    }
    /* In place while mapped: a vCPU reading meanwhile sees each byte old or new, as on a bus. */
    memcpy(vm->rpage, bytes, len);
    memset(vm->rpage + len, fill, READ_PAGE_SIZE - len);
    make_visible(vm->rpage, READ_PAGE_SIZE);
    if (vm->rpage_mapped)
        return 0;
    vm->rpage_slot = slot;
    vm->rpage_gpa = gpa;
    return set_slot(vm, true);
}

void kvm_read_page_destroy(struct hv_vm *vm)
{
    if (vm->rpage != NULL)
        munmap(vm->rpage, READ_PAGE_SIZE);
    vm->rpage = NULL;
}
