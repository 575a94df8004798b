/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The riscv64 half of the KVM port (include/stdvmm/hv_riscv64.h): ISA
 * extensions and CONFIG/TIMER registers read through KVM_GET_ONE_REG, boot
 * registers set through KVM_SET_ONE_REG, secondary harts stopped for the
 * guest's SBI HSM to start, and the AIA as a KVM device. KVM does the SBI
 * and reports SRST as KVM_EXIT_SYSTEM_EVENT (kvm_vcpu.c makes it
 * HV_EXIT_SYSTEM_OFF/_RESET); what it forwards is answered with the
 * portable decoder in src/arch/riscv64/sbi.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/riscv64/sbi.h"
#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_riscv64.h"
#include "stdvmm/log.h"

/*
 * Debian 12's cross headers are Linux 6.1's: the AIA device (6.5) and the
 * CONFIG registers after zicbom_block_size (6.4) are missing there. Their
 * numbers are uapi, so they are spelt out; a 6.1 host kernel answers
 * ENOENT / ENODEV for them, which is handled like any missing feature.
 */
#ifndef KVM_DEV_TYPE_RISCV_AIA
#define KVM_DEV_TYPE_RISCV_AIA (KVM_DEV_TYPE_ARM_PV_TIME + 1)
#define KVM_DEV_RISCV_AIA_GRP_CONFIG 0
#define KVM_DEV_RISCV_AIA_CONFIG_IDS 1
#define KVM_DEV_RISCV_AIA_CONFIG_SRCS 2
#define KVM_DEV_RISCV_AIA_CONFIG_HART_BITS 5
#define KVM_DEV_RISCV_AIA_GRP_ADDR 1
#define KVM_DEV_RISCV_AIA_ADDR_APLIC 0
#define KVM_DEV_RISCV_AIA_ADDR_IMSIC(vcpu) (1 + (vcpu))
#define KVM_DEV_RISCV_AIA_GRP_CTRL 2
#define KVM_DEV_RISCV_AIA_CTRL_INIT 0
#endif
/* struct kvm_riscv_config: isa, zicbom_block_size, mvendorid, marchid, mimpid, zicboz_block_size,
 * satp_mode. */
#define CONFIG_ZICBOM_BLOCK 1
#define CONFIG_ZICBOZ_BLOCK 5
#define CONFIG_SATP_MODE 6

#define REG64(type, index) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (uint64_t)(index))
#define CORE_REG(name) REG64(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(name))
#define SATP_MODE_SV39 8

int kvm_arch_vm_init(struct hv_vm *vm)
{
    (void)vm;
    return 0;
}

int kvm_arch_irq_line_number(struct hv_vm *vm, uint32_t irq, uint32_t *out)
{
    /* With the AIA, KVM_IRQ_LINE names the APLIC's wired source itself. */
    if (irq == 0 || irq > vm->rv64_sources) {
        LOG_ERR("VM %s: APLIC source %u does not exist (1..%u)", vm->name, irq, vm->rv64_sources);
        return -STDVMM_EINVAL;
    }
    *out = irq;
    return 0;
}

/* The guest programs each source's target hart in the APLIC: the VMM does not route. */
int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu)
{
    (void)vm;
    (void)irq;
    (void)vcpu;
    return -STDVMM_ENOTSUP;
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    (void)vm;
    (void)irq;
    (void)vcpu;
    return -STDVMM_ENOTSUP;
}

enum kvm_arch_exit kvm_arch_exit(struct hv_vcpu *v, struct hv_exit *ex)
{
    struct kvm_run *run = v->run;

    if (run->exit_reason != KVM_EXIT_RISCV_SBI)
        return KVM_ARCH_EXIT_UNKNOWN;
    struct rv64_sbi_call call = {.ext = run->riscv_sbi.extension_id,
                                 .fid = run->riscv_sbi.function_id};
    for (int i = 0; i < 6; i++)
        call.args[i] = run->riscv_sbi.args[i];
    switch (rv64_sbi_handle(&call)) {
    case RV64_SBI_POWEROFF:
        ex->reason = HV_EXIT_SYSTEM_OFF;
        return KVM_ARCH_EXIT_DONE;
    case RV64_SBI_RESET:
        ex->reason = HV_EXIT_SYSTEM_RESET;
        return KVM_ARCH_EXIT_DONE;
    case RV64_SBI_CONTINUE:
        break;
    }
    run->riscv_sbi.ret[0] = (unsigned long)call.ret[0];
    run->riscv_sbi.ret[1] = (unsigned long)call.ret[1];
    return KVM_ARCH_EXIT_RERUN;
}

static int get_reg(int fd, uint64_t id, uint64_t *value)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)value};
    return ioctl(fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static int one_reg(struct hv_vcpu *v, unsigned long req, uint64_t id, uint64_t *value,
                   const char *what)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)value};

    if (ioctl(v->fd, req, &reg) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: %s %s: %s", v->vm->name, v->index,
                req == KVM_SET_ONE_REG ? "KVM_SET_ONE_REG" : "KVM_GET_ONE_REG", what, strerror(e));
        return -e;
    }
    return 0;
}

/* What a new vCPU of this KVM has, read from a vCPU of its own VM (the real VM's ids stay free). */
static int probe_vcpu(struct hv_vm *vm, int vcpu_fd, struct rv64_hv_features *out)
{
    uint64_t value;
    int r;

    for (unsigned n = 0; n < RV64_EXT_COUNT; n++) {
        /* ENOENT/EINVAL: an extension this KVM does not know, hence does not give. */
        if (get_reg(vcpu_fd, REG64(KVM_REG_RISCV_ISA_EXT, n), &value) == 0 && value != 0)
            out->ext |= 1ull << n;
    }
    r = get_reg(vcpu_fd, REG64(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(frequency)),
                &out->timebase_hz);
    if (r < 0) {
        LOG_ERR("VM %s: KVM_GET_ONE_REG timer frequency: %s", vm->name, strerror(-r));
        return r;
    }
    /* Linux 6.1's KVM has no satp_mode register: Sv39 is what every rv64 MMU has. */
    out->satp_mode = get_reg(vcpu_fd, REG64(KVM_REG_RISCV_CONFIG, CONFIG_SATP_MODE), &value) == 0
                         ? (unsigned)value
                         : SATP_MODE_SV39;
    if (get_reg(vcpu_fd, REG64(KVM_REG_RISCV_CONFIG, CONFIG_ZICBOM_BLOCK), &value) == 0)
        out->cbom_block = value;
    if (get_reg(vcpu_fd, REG64(KVM_REG_RISCV_CONFIG, CONFIG_ZICBOZ_BLOCK), &value) == 0)
        out->cboz_block = value;
    return 0;
}

int hv_rv64_features(struct hv_vm *vm, struct rv64_hv_features *out)
{
    struct kvm_create_device test = {.type = KVM_DEV_TYPE_RISCV_AIA,
                                     .flags = KVM_CREATE_DEVICE_TEST};

    *out = (struct rv64_hv_features){0};
    out->aia = ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &test) == 0;
    int scratch = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0UL);
    if (scratch < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_CREATE_VM (to read what its vCPUs get): %s", vm->name, strerror(e));
        return -e;
    }
    int vcpu = ioctl(scratch, KVM_CREATE_VCPU, 0UL);
    int r;
    if (vcpu < 0) {
        r = -errno;
        LOG_ERR("VM %s: KVM_CREATE_VCPU in the probe VM: %s", vm->name, strerror(-r));
    } else {
        r = probe_vcpu(vm, vcpu, out);
        close(vcpu);
    }
    close(scratch);
    return r;
}

int hv_rv64_create_aia(struct hv_vm *vm, const struct rv64_aia_layout *aia)
{
    struct kvm_create_device dev = {.type = KVM_DEV_TYPE_RISCV_AIA};

    if (vm->irqchip_fd >= 0) {
        LOG_ERR("VM %s: the AIA exists already", vm->name);
        return -STDVMM_EEXIST;
    }
    if (aia->harts == 0 || aia->imsic_stride != 0x1000) {
        LOG_ERR(
            "VM %s: AIA for %u harts with IMSIC files 0x%llx apart (KVM: 4 KiB, 1 hart or more)",
            vm->name, aia->harts, (unsigned long long)aia->imsic_stride);
        return -STDVMM_EINVAL;
    }
    if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_CREATE_DEVICE (RISC-V AIA): %s", vm->name, strerror(e));
        return e == ENODEV || e == ENXIO ? -STDVMM_ENODEV : -e;
    }
    vm->irqchip_fd = (int)dev.fd;
    vm->irqfds_deferred = true; /* KVM takes irqfds once the AIA is initialised */
    vm->rv64_sources = aia->sources;
    /* KVM finds hart n's file at imsic_base + (n << 12): n must fit in hart_bits. */
    uint32_t hart_bits = 0;
    while ((1u << hart_bits) < aia->harts)
        hart_bits++;
    uint32_t sources = aia->sources, ids = aia->ids;
    uint64_t aplic = aia->aplic_base;
    int r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_SRCS,
                                 &sources, "AIA number of wired sources");
    if (r == 0)
        r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_IDS,
                                 &ids, "AIA number of MSI identities");
    if (r == 0)
        r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_CONFIG,
                                 KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, &hart_bits,
                                 "AIA hart index bits");
    if (r == 0)
        r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_APLIC,
                                 &aplic, "AIA APLIC address");
    for (unsigned i = 0; r == 0 && i < aia->harts; i++) {
        uint64_t imsic = aia->imsic_base + i * aia->imsic_stride;
        r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_IMSIC(i),
                                 &imsic, "AIA IMSIC address");
    }
    return r;
}

/* GSI n is APLIC source n, as kvmtool and QEMU route it: irqfds name GSIs. */
static int route_sources(struct hv_vm *vm)
{
    unsigned n = vm->rv64_sources + 1;
    struct kvm_irq_routing *table =
        calloc(1, sizeof(*table) + n * sizeof(struct kvm_irq_routing_entry));

    if (table == NULL)
        return -STDVMM_ENOMEM;
    table->nr = n;
    for (unsigned i = 0; i < n; i++) {
        table->entries[i].gsi = i;
        table->entries[i].type = KVM_IRQ_ROUTING_IRQCHIP;
        table->entries[i].u.irqchip.irqchip = 0;
        table->entries[i].u.irqchip.pin = i;
    }
    int r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0 ? -errno : 0;
    free(table);
    if (r < 0)
        LOG_ERR("VM %s: KVM_SET_GSI_ROUTING for %u APLIC sources: %s", vm->name, n - 1,
                strerror(-r));
    return r;
}

int hv_rv64_aia_init(struct hv_vm *vm)
{
    if (vm->irqchip_fd < 0) {
        LOG_ERR("VM %s: no AIA to initialise", vm->name);
        return -STDVMM_ENODEV;
    }
    int r = kvm_irqchip_set_attr(vm, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL,
                                 "AIA KVM_DEV_RISCV_AIA_CTRL_INIT");
    if (r == 0)
        r = route_sources(vm);
    if (r == 0)
        r = kvm_flush_deferred_irqfds(vm);
    return r;
}

int hv_rv64_vcpu_init(struct hv_vcpu *v, const struct rv64_vcpu_config *cfg)
{
    struct kvm_mp_state stopped = {.mp_state = KVM_MP_STATE_STOPPED};

    /* Without this a secondary hart would run from reset; the guest starts it with SBI HSM. */
    if (cfg->powered_off && ioctl(v->fd, KVM_SET_MP_STATE, &stopped) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: KVM_SET_MP_STATE (stopped): %s", v->vm->name, v->index,
                strerror(e));
        return -e;
    }
    return 0;
}

int hv_rv64_vcpu_set_external_irq(struct hv_vcpu *v, bool level)
{
    struct kvm_interrupt irq = {.irq = level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET};

    if (ioctl(v->fd, KVM_INTERRUPT, &irq) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: KVM_INTERRUPT %s: %s", v->vm->name, v->index,
                level ? "set" : "unset", strerror(e));
        return -e;
    }
    return 0;
}

int hv_rv64_vcpu_set_boot_regs(struct hv_vcpu *v, const struct rv64_boot_regs *regs)
{
    const struct {
        uint64_t id;
        uint64_t value;
        const char *name;
    } set[] = {
        {CORE_REG(regs.a0), regs->a0, "a0"},
        {CORE_REG(regs.a1), regs->a1, "a1"},
        {CORE_REG(regs.pc), regs->pc, "pc"},
        {CORE_REG(mode), KVM_RISCV_MODE_S, "mode"},
        /* The boot protocol wants the MMU off; a reset vCPU has it off already. */
        {REG64(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_REG(satp)), 0, "satp"},
    };

    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        uint64_t value = set[i].value;
        int r = one_reg(v, KVM_SET_ONE_REG, set[i].id, &value, set[i].name);
        if (r < 0)
            return r;
    }
    return 0;
}
