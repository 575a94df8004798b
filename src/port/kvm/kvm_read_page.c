/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hv_vm_set_read_page() on KVM: a read-only memory slot (KVM_MEM_READONLY)
 * over one page of this process, one per slot the caller names. Reads are served from the page; a
 * write to a read-only slot leaves the guest as an MMIO exit through KVM's MMIO bus, so
 * coalesced-MMIO zones inside the page still queue (arm64: kvm_handle_guest_abort() sends a write
 * fault on a non-writable slot to io_mem_abort(); riscv64: gstage_page_fault() to
 * kvm_riscv_vcpu_mmio_store(); both try kvm_io_bus_write() first). Rewrites go into the mapped page
 * in place: no memory-slot change, which costs KVM a synchronisation of every vCPU.
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
    if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
        LOG_INFO("VM %s: KVM has no read-only memory (KVM_CAP_READONLY_MEM)", vm->name);
    else if (sysconf(_SC_PAGESIZE) != READ_PAGE_SIZE)
        LOG_INFO("VM %s: host pages of %ld bytes are larger than a device's 4 KiB page", vm->name,
                 sysconf(_SC_PAGESIZE));
    else if (host_allows(vm))
        vm->rpage_state = 1;
    return vm->rpage_state;
}

/* The entry of slot, or NULL. Lock-free: entries never move and count is published after them. */
static struct kvm_read_page *find_page(struct hv_vm *vm, unsigned slot)
{
    unsigned n = atomic_load_explicit(&vm->rpage_count, memory_order_acquire);

    for (unsigned i = 0; i < n; i++)
        if (vm->rpages[i].slot == slot)
            return &vm->rpages[i];
    return NULL;
}

/* Under rpage_lock. */
static struct kvm_read_page *add_page(struct hv_vm *vm, unsigned slot, uint64_t gpa)
{
    unsigned n = atomic_load(&vm->rpage_count);

    if (n == KVM_MAX_READ_PAGES) {
        LOG_ERR("VM %s: more than %u read pages", vm->name, KVM_MAX_READ_PAGES);
        return NULL;
    }
    void *p =
        mmap(NULL, READ_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        LOG_ERR("VM %s: read page: mmap: %s", vm->name, strerror(errno));
        return NULL;
    }
    vm->rpages[n] = (struct kvm_read_page){.slot = slot, .gpa = gpa, .mem = p};
    atomic_store_explicit(&vm->rpage_count, n + 1, memory_order_release);
    return &vm->rpages[n];
}

static int set_slot(struct hv_vm *vm, struct kvm_read_page *pg, bool on)
{
    struct kvm_userspace_memory_region region = {
        .slot = pg->slot,
        .flags = KVM_MEM_READONLY,
        .guest_phys_addr = pg->gpa,
        .memory_size = on ? READ_PAGE_SIZE : 0,
        .userspace_addr = (uint64_t)(uintptr_t)pg->mem,
    };

    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        int e = errno;
        LOG_ERR("VM %s: read page at 0x%llx (slot %u): %s it: %s", vm->name,
                (unsigned long long)pg->gpa, pg->slot, on ? "mapping" : "removing", strerror(e));
        return -e;
    }
    pg->mapped = on;
    return 0;
}

static int set_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                    uint32_t len, uint8_t fill)
{
    struct kvm_read_page *pg = find_page(vm, slot);

    if (bytes == NULL)
        return pg != NULL && pg->mapped ? set_slot(vm, pg, false) : 0;
    int r = read_page_supported(vm);
    if (r < 0)
        return r;
    if (pg != NULL && pg->gpa != gpa) {
        if (pg->mapped) {
            LOG_ERR("VM %s: read page slot %u moved to 0x%llx while mapped at 0x%llx", vm->name,
                    slot, (unsigned long long)gpa, (unsigned long long)pg->gpa);
            return -STDVMM_EEXIST;
        }
        pg->gpa = gpa;
    }
    if (pg == NULL && (pg = add_page(vm, slot, gpa)) == NULL)
        return -STDVMM_ENOMEM;
    /* In place while mapped: a vCPU reading meanwhile sees each byte old or new, as on a bus. */
    memcpy(pg->mem, bytes, len);
    memset(pg->mem + len, fill, READ_PAGE_SIZE - len);
    make_visible(pg->mem, READ_PAGE_SIZE);
    return pg->mapped ? 0 : set_slot(vm, pg, true);
}

int hv_vm_set_read_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                        uint32_t len, uint8_t fill)
{
    if (vm == NULL || gpa % READ_PAGE_SIZE != 0 || len > READ_PAGE_SIZE)
        return -STDVMM_EINVAL;
    pthread_mutex_lock(&vm->rpage_lock);
    int r = set_page(vm, slot, gpa, bytes, len, fill);
    pthread_mutex_unlock(&vm->rpage_lock);
    return r;
}

int hv_vm_patch_read_page(struct hv_vm *vm, unsigned slot, uint32_t offset, const uint8_t *bytes,
                          uint32_t len)
{
    struct kvm_read_page *pg = vm != NULL ? find_page(vm, slot) : NULL;

    if (pg == NULL || offset > READ_PAGE_SIZE || len > READ_PAGE_SIZE - offset)
        return -STDVMM_EINVAL;
    uint8_t *dst = pg->mem + offset;
    /* One aligned store for a register, so that a guest's 32-bit read never sees half of it. */
    if (len == 4 && offset % 4 == 0) {
        uint32_t v;
        memcpy(&v, bytes, 4);
        __atomic_store_n((uint32_t *)(void *)dst, v, __ATOMIC_RELAXED);
    } else {
        memcpy(dst, bytes, len);
    }
    make_visible(dst, len);
    return 0;
}

void kvm_read_page_destroy(struct hv_vm *vm)
{
    unsigned n = atomic_load(&vm->rpage_count);

    for (unsigned i = 0; i < n; i++)
        munmap(vm->rpages[i].mem, READ_PAGE_SIZE);
    atomic_store(&vm->rpage_count, 0);
    pthread_mutex_destroy(&vm->rpage_lock);
}
