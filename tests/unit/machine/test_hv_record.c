/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A port that can create VMs and vCPUs but runs nothing: every call is
 * appended to a log (hv_record_log) so that a test can check what the
 * machine layer asked of the port and in which order. One call can be made
 * to fail (hv_record_fail_at). The calls test_hv_none.c answers (IRQ lines,
 * run, kick) stay there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/hv.h"
#if defined(__x86_64__)
#include "stdvmm/hv_x86_64.h"
#elif defined(__aarch64__)
#include "stdvmm/hv_aarch64.h"
#endif
#include "test_hv_record.h"

struct hv_vm {
    unsigned vcpus_alive;
};
struct hv_vcpu {
    struct hv_vm *vm;
    unsigned index;
};

char hv_record_log[8192];
const char *hv_record_fail_at;
int hv_record_live_vms, hv_record_live_vcpus;

struct hv_record_doorbell hv_record_doorbells[HV_RECORD_MAX_DOORBELLS];
unsigned hv_record_doorbell_count;
int hv_record_live_notifiers;

void hv_record_reset(void)
{
    hv_record_log[0] = '\0';
    hv_record_fail_at = NULL;
    hv_record_live_vms = hv_record_live_vcpus = 0;
    hv_record_doorbell_count = 0;
    hv_record_live_notifiers = 0;
}

/* Logs "name" (or "name(args)", args already formatted) and says whether this call should fail. */
static int record_text(const char *name, const char *args)
{
    size_t used = strlen(hv_record_log);
    char entry[96];

    if (args != NULL)
        snprintf(entry, sizeof(entry), "%s(%s) ", name, args);
    else
        snprintf(entry, sizeof(entry), "%s ", name);
    if (used + strlen(entry) < sizeof(hv_record_log))
        memcpy(hv_record_log + used, entry, strlen(entry) + 1);
    return hv_record_fail_at != NULL && strcmp(hv_record_fail_at, name) == 0 ? -STDVMM_EIO : 0;
}

/* Logs "name" (or "name(arg)") and says whether this call should fail. */
static int record(const char *name, const char *fmt, unsigned long long arg)
{
    char a[48];

    if (fmt == NULL)
        return record_text(name, NULL);
    snprintf(a, sizeof(a), fmt, arg);
    return record_text(name, a);
}

/* "name(addr+len,pio|mmio)": the zone's whole shape, since a wider or misplaced one would swallow
 * other registers' writes. */
static int record_zone(const char *name, uint64_t addr, uint32_t len, bool is_pio)
{
    char a[48];

    snprintf(a, sizeof(a), "0x%llx+%u,%s", (unsigned long long)addr, len, is_pio ? "pio" : "mmio");
    return record_text(name, a);
}

int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out)
{
    int r = record("vm_create", "%llu", cfg->vcpu_count);
    if (r < 0)
        return r;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return -STDVMM_ENOMEM;
    hv_record_live_vms++;
    return 0;
}

void hv_vm_destroy(struct hv_vm *vm)
{
    record("vm_destroy", NULL, 0);
    free(vm);
    hv_record_live_vms--;
}

int hv_vm_map_memory(struct hv_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                     uint32_t flags)
{
    (void)vm;
    (void)slot;
    (void)size;
    (void)host;
    return record("map", (flags & HV_MEM_READONLY) ? "0x%llx,ro" : "0x%llx", gpa);
}

int hv_vm_unmap_memory(struct hv_vm *vm, unsigned slot)
{
    (void)vm;
    return record("unmap", "%llu", slot);
}

int hv_vm_add_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    (void)vm;
    return record_zone("buffer", addr, len, is_pio);
}

int hv_vm_remove_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio)
{
    (void)vm;
    return record_zone("unbuffer", addr, len, is_pio);
}

int hv_vm_set_read_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                        uint32_t len, uint8_t fill)
{
    (void)vm, (void)slot, (void)len, (void)fill;
    return record(bytes != NULL ? "read_page" : "read_page_off", "0x%llx", gpa);
}

int hv_vm_patch_read_page(struct hv_vm *vm, unsigned slot, uint32_t offset, const uint8_t *bytes,
                          uint32_t len)
{
    (void)vm, (void)slot, (void)offset, (void)bytes, (void)len;
    return 0; /* patches come with every interrupt: not worth a record each */
}

int hv_vcpu_create(struct hv_vm *vm, unsigned index, struct hv_vcpu **out)
{
    int r = record("vcpu_create", "%llu", index);
    if (r < 0)
        return r;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return -STDVMM_ENOMEM;
    (*out)->vm = vm;
    (*out)->index = index;
    hv_record_live_vcpus++;
    return 0;
}

void hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
    record("vcpu_destroy", "%llu", vcpu->index);
    free(vcpu);
    hv_record_live_vcpus--;
}

#if defined(__x86_64__)
int hv_x86_create_irqchip(struct hv_vm *vm)
{
    (void)vm;
    return record("irqchip", NULL, 0);
}

int hv_x86_create_pit(struct hv_vm *vm)
{
    (void)vm;
    return record("pit", NULL, 0);
}

/* Leaf 0 and leaf 1, as a minimal CPU would report them. */
int hv_x86_get_supported_cpuid(struct hv_vm *vm, struct x86_cpuid_entry *entries, unsigned max,
                               unsigned *count)
{
    (void)vm;
    if (max < 2)
        return -STDVMM_ENOSPC;
    entries[0] = (struct x86_cpuid_entry){.function = 0, .eax = 1};
    entries[1] = (struct x86_cpuid_entry){.function = 1, .eax = 0x800f12};
    *count = 2;
    return record("get_cpuid", NULL, 0);
}

int hv_x86_vcpu_set_cpuid(struct hv_vcpu *vcpu, const struct x86_cpuid_entry *entries,
                          unsigned count)
{
    (void)entries;
    (void)count;
    return record("set_cpuid", "%llu", vcpu->index);
}

int hv_x86_vcpu_set_msrs(struct hv_vcpu *vcpu, const struct x86_msr *msrs, unsigned count)
{
    (void)msrs;
    (void)count;
    return record("set_msrs", "%llu", vcpu->index);
}

int hv_x86_vcpu_set_regs(struct hv_vcpu *vcpu, const struct x86_regs *regs)
{
    (void)regs;
    return record("set_regs", "%llu", vcpu->index);
}

int hv_x86_vcpu_set_sregs(struct hv_vcpu *vcpu, const struct x86_sregs *sregs)
{
    (void)sregs;
    return record("set_sregs", "%llu", vcpu->index);
}

int hv_x86_vcpu_reset_fpu(struct hv_vcpu *vcpu)
{
    return record("reset_fpu", "%llu", vcpu->index);
}

int hv_x86_vcpu_setup_lapic(struct hv_vcpu *vcpu)
{
    return record("lapic", "%llu", vcpu->index);
}
#elif defined(__aarch64__)
int hv_a64_create_gic(struct hv_vm *vm, const struct a64_gic_layout *gic)
{
    (void)vm;
    (void)gic;
    return record("gic", NULL, 0);
}

int hv_a64_gic_init(struct hv_vm *vm)
{
    (void)vm;
    return record("gic_init", NULL, 0);
}

int hv_a64_vcpu_init(struct hv_vcpu *vcpu, const struct a64_vcpu_config *cfg)
{
    (void)cfg;
    return record("vcpu_init", "%llu", vcpu->index);
}

int hv_a64_vcpu_set_boot_regs(struct hv_vcpu *vcpu, const struct a64_boot_regs *regs)
{
    (void)regs;
    return record("boot_regs", "%llu", vcpu->index);
}

/* No optional features: the machine layer's order is the base one. */
int hv_a64_features(struct hv_vm *vm, struct a64_hv_features *out)
{
    (void)vm;
    *out = (struct a64_hv_features){.gicv2 = true};
    return 0;
}

int hv_a64_create_its(struct hv_vm *vm, uint64_t base)
{
    (void)vm;
    return record("its", "0x%llx", base);
}

int hv_a64_enable_mte(struct hv_vm *vm)
{
    (void)vm;
    return record("mte", NULL, 0);
}

int hv_a64_vcpu_pmu_init(struct hv_vcpu *vcpu, uint32_t ppi_intid)
{
    (void)ppi_intid;
    return record("pmu_init", "%llu", vcpu->index);
}
#endif

/* ---- doorbells: real eventfds, so that a test can play the hypervisor's part ---- */

int hv_notifier_create(struct hv_vm *vm, hv_notifier_t *out)
{
    (void)vm;
    int r = record("notifier", NULL, 0);
    if (r < 0)
        return r;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -STDVMM_EIO;
    out->handle = fd;
    hv_record_live_notifiers++;
    return 0;
}

void hv_notifier_destroy(struct hv_vm *vm, hv_notifier_t n)
{
    (void)vm;
    if (n.handle < 0)
        return;
    close((int)n.handle);
    hv_record_live_notifiers--;
}

static int doorbell_add(const char *name, uint64_t key, hv_notifier_t n)
{
    int r = record(name, "0x%llx", key);
    if (r < 0)
        return r;
    if (hv_record_doorbell_count == HV_RECORD_MAX_DOORBELLS)
        return -STDVMM_ENOSPC;
    hv_record_doorbells[hv_record_doorbell_count++] =
        (struct hv_record_doorbell){.kind = name, .key = key, .handle = n.handle};
    return 0;
}

static int doorbell_remove(const char *name, const char *kind, uint64_t key, hv_notifier_t n)
{
    for (unsigned i = 0; i < hv_record_doorbell_count; i++) {
        struct hv_record_doorbell *b = &hv_record_doorbells[i];
        if (strcmp(b->kind, kind) == 0 && b->key == key && b->handle == n.handle) {
            *b = hv_record_doorbells[--hv_record_doorbell_count];
            return record(name, "0x%llx", key);
        }
    }
    record(name, "0x%llx", key);
    return -STDVMM_ENOENT; /* removing what was never added */
}

long hv_record_doorbell(const char *kind, unsigned long long key)
{
    for (unsigned i = 0; i < hv_record_doorbell_count; i++)
        if (strcmp(hv_record_doorbells[i].kind, kind) == 0 && hv_record_doorbells[i].key == key)
            return hv_record_doorbells[i].handle;
    return -1;
}

int hv_vm_add_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio, hv_notifier_t n)
{
    (void)vm;
    (void)len;
    (void)is_pio;
    return doorbell_add("ioeventfd", addr, n);
}

int hv_vm_remove_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio,
                           hv_notifier_t n)
{
    (void)vm;
    (void)len;
    (void)is_pio;
    return doorbell_remove("remove_ioeventfd", "ioeventfd", addr, n);
}

int hv_vm_add_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                              hv_notifier_t n)
{
    (void)vm;
    (void)len;
    return doorbell_add("ioeventfd_match", addr + value, n);
}

int hv_vm_remove_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                                 hv_notifier_t n)
{
    (void)vm;
    (void)len;
    return doorbell_remove("remove_ioeventfd_match", "ioeventfd_match", addr + value, n);
}

int hv_vm_add_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n, hv_notifier_t resample)
{
    (void)vm;
    (void)resample;
    return doorbell_add("irqfd", irq, n);
}

int hv_vm_remove_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n)
{
    (void)vm;
    return doorbell_remove("remove_irqfd", "irqfd", irq, n);
}
