/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aarch64 half of the KVM port (include/stdvmm/hv_aarch64.h): vCPU init
 * with in-kernel PSCI, boot registers through KVM_SET_ONE_REG, and the vGIC
 * as a KVM device. The architected timer and PSCI need nothing here: KVM
 * emulates both, and reports SYSTEM_OFF/RESET as KVM_EXIT_SYSTEM_EVENT,
 * which kvm_vcpu.c turns into HV_EXIT_SYSTEM_OFF/_RESET.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/hv_aarch64.h"
#include "stdvmm/log.h"

#define MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)
#define CORE_REG(name)                                                                             \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))

/* KVM_IRQ_LINE's interrupt number field is 16 bits wide. */
#define KVM_ARM_IRQ_NUM_MAX 0xffffu

int kvm_arch_vm_init(struct hv_vm *vm)
{
    (void)vm; /* the default 40-bit IPA space covers stdvmm's whole layout */
    return 0;
}

enum kvm_arch_exit kvm_arch_exit(struct hv_vcpu *v, struct hv_exit *ex)
{
    (void)v;
    (void)ex;
    return KVM_ARCH_EXIT_UNKNOWN; /* every exit this arch has is a common one */
}

int kvm_arch_irq_line_number(struct hv_vm *vm, uint32_t irq, uint32_t *out)
{
    if (irq > KVM_ARM_IRQ_NUM_MAX - A64_SPI_INTID_BASE) {
        LOG_ERR("VM %s: SPI %u is beyond what KVM_IRQ_LINE can name", vm->name, irq);
        return -STDVMM_EINVAL;
    }
    *out = ((uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (irq + A64_SPI_INTID_BASE);
    return 0;
}

static int dist_reg(struct hv_vm *vm, bool set, uint64_t attr, uint32_t *value)
{
    struct kvm_device_attr a = {
        .group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
        .attr = attr,
        .addr = (uint64_t)(uintptr_t)value,
    };

    if (ioctl(vm->irqchip_fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) < 0) {
        int e = errno;
        if (e == EBUSY) {
            LOG_ERR("VM %s: the vGIC's distributor is reachable only with every vCPU stopped",
                    vm->name);
            return -STDVMM_EBUSY;
        }
        LOG_ERR("VM %s: vGIC distributor register 0x%llx: %s", vm->name,
                (unsigned long long)(attr & 0xffffffffu), strerror(e));
        return -e;
    }
    return 0;
}

#define GICD_ITARGETSR 0x800
#define GICD_IROUTER 0x6000
#define MPIDR_AFF_MASK 0xffffffull /* Aff2.Aff1.Aff0: what KVM's vGIC routes on */
/* GICv2 registers are accessed "as CPU n" (bits 39:32); the distributor's SPI fields are not banked. */
#define V2_ATTR(offset) ((uint64_t)(offset))

static int spi_intid(struct hv_vm *vm, uint32_t irq, uint32_t *intid)
{
    if (vm->irqchip_fd < 0)
        return -STDVMM_ENODEV;
    if (irq > 987) { /* INTIDs 32..1019 are SPIs */
        LOG_ERR("VM %s: SPI %u does not exist", vm->name, irq);
        return -STDVMM_EINVAL;
    }
    *intid = irq + A64_SPI_INTID_BASE;
    return 0;
}

/*
 * An SPI's INTID is the same on every CPU, so the VMM may send it to any
 * vCPU and Linux's handler runs there as well as on the CPU the guest chose.
 */
int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu)
{
    uint32_t intid;
    int r = spi_intid(vm, irq, &intid);

    if (r < 0)
        return r;
    if (vcpu >= vm->vcpu_count || vcpu >= KVM_MAX_TRACKED_VCPUS) {
        LOG_ERR("VM %s: no vCPU %u to route SPI %u to", vm->name, vcpu, irq);
        return -STDVMM_EINVAL;
    }
    if (vm->gic_v3) {
        uint32_t aff = (uint32_t)(vm->mpidr[vcpu] & MPIDR_AFF_MASK); /* Interrupt_Routing_Mode 0 */
        return dist_reg(vm, true, GICD_IROUTER + 8ull * intid, &aff);
    }
    if (vcpu >= 8)
        return -STDVMM_EINVAL; /* GICv2 targets are one byte */
    uint32_t word, shift = (intid % 4) * 8;
    uint64_t attr = V2_ATTR(GICD_ITARGETSR + (intid & ~3u));
    r = dist_reg(vm, false, attr, &word);
    if (r < 0)
        return r;
    word = (word & ~(0xffu << shift)) | (1u << vcpu) << shift;
    return dist_reg(vm, true, attr, &word);
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    uint32_t intid, value;
    int r = spi_intid(vm, irq, &intid);

    if (r < 0)
        return r;
    if (vm->gic_v3) {
        r = dist_reg(vm, false, GICD_IROUTER + 8ull * intid, &value);
        if (r < 0)
            return r;
        if (value & (1u << 31)) /* 1-of-N: any CPU */
            return -STDVMM_ENOENT;
        for (unsigned i = 0; i < vm->vcpu_count && i < KVM_MAX_TRACKED_VCPUS; i++) {
            if ((vm->mpidr[i] & MPIDR_AFF_MASK) == (value & MPIDR_AFF_MASK)) {
                *vcpu = i;
                return 0;
            }
        }
        return -STDVMM_ENOENT;
    }
    r = dist_reg(vm, false, V2_ATTR(GICD_ITARGETSR + (intid & ~3u)), &value);
    if (r < 0)
        return r;
    value = (value >> ((intid % 4) * 8)) & 0xffu;
    if (value == 0 || (value & (value - 1)) != 0)
        return -STDVMM_ENOENT;
    *vcpu = (unsigned)__builtin_ctz(value);
    return 0;
}

static int set_gic_address(struct hv_vm *vm, uint64_t type, uint64_t addr, const char *what)
{
    return kvm_irqchip_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &addr, what);
}

int hv_a64_create_gic(struct hv_vm *vm, const struct a64_gic_layout *gic)
{
    bool v3 = gic->version == A64_GIC_V3;
    struct kvm_create_device dev = {
        .type = v3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2,
    };
    uint32_t nr_irqs = gic->spi_count + A64_SPI_INTID_BASE;
    int r;

    if (vm->irqchip_fd >= 0) {
        LOG_ERR("VM %s: the vGIC exists already", vm->name);
        return -STDVMM_EEXIST;
    }
    if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
        int e = errno;
        if (e == ENODEV || e == ENXIO) {
            LOG_INFO("VM %s: this KVM cannot emulate a GICv%d", vm->name, (int)gic->version);
            return -STDVMM_ENODEV;
        }
        LOG_ERR("VM %s: KVM_CREATE_DEVICE (GICv%d): %s", vm->name, (int)gic->version, strerror(e));
        return -e;
    }
    vm->irqchip_fd = (int)dev.fd;
    vm->gic_v3 = v3;
    vm->irqfds_deferred = true; /* until hv_a64_gic_init(): KVM refuses them with EAGAIN */
    if (v3) {
        r = set_gic_address(vm, KVM_VGIC_V3_ADDR_TYPE_DIST, gic->dist_base,
                            "vGIC distributor address");
        if (r == 0)
            r = set_gic_address(vm, KVM_VGIC_V3_ADDR_TYPE_REDIST, gic->redist_base,
                                "vGIC redistributor address");
    } else {
        r = set_gic_address(vm, KVM_VGIC_V2_ADDR_TYPE_DIST, gic->dist_base,
                            "vGIC distributor address");
        if (r == 0)
            r = set_gic_address(vm, KVM_VGIC_V2_ADDR_TYPE_CPU, gic->cpu_base,
                                "vGIC CPU interface address");
    }
    if (r == 0)
        r = kvm_irqchip_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
                                 "vGIC number of interrupts");
    return r;
}

int hv_a64_gic_init(struct hv_vm *vm)
{
    if (vm->irqchip_fd < 0) {
        LOG_ERR("VM %s: no vGIC to initialise", vm->name);
        return -STDVMM_ENODEV;
    }
    int r = kvm_irqchip_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
                                 "vGIC KVM_DEV_ARM_VGIC_CTRL_INIT");
    if (r == 0)
        r = kvm_flush_deferred_irqfds(vm);
    return r;
}

static bool vm_has(struct hv_vm *vm, long cap)
{
    return ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static bool can_create_device(struct hv_vm *vm, uint32_t type)
{
    struct kvm_create_device dev = {.type = type, .flags = KVM_CREATE_DEVICE_TEST};
    return ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) == 0;
}

int hv_a64_features(struct hv_vm *vm, struct a64_hv_features *out)
{
    *out = (struct a64_hv_features){
        .pmu = vm_has(vm, KVM_CAP_ARM_PMU_V3),
        .its = can_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS),
        .sve = vm_has(vm, KVM_CAP_ARM_SVE),
        .pauth = vm_has(vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) && vm_has(vm, KVM_CAP_ARM_PTRAUTH_GENERIC),
        .mte = vm_has(vm, KVM_CAP_ARM_MTE),
        .gicv2 = can_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V2),
    };
    return 0;
}

int hv_a64_enable_mte(struct hv_vm *vm)
{
    struct kvm_enable_cap cap = {.cap = KVM_CAP_ARM_MTE};

    if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_ENABLE_CAP(KVM_CAP_ARM_MTE): %s", vm->name, strerror(e));
        return -e;
    }
    return 0;
}

/* As kvmtool does: the ITS is complete once its base is set, independently of the vGIC's init. */
int hv_a64_create_its(struct hv_vm *vm, uint64_t base)
{
    struct kvm_create_device dev = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS};
    struct kvm_device_attr addr = {
        .group = KVM_DEV_ARM_VGIC_GRP_ADDR,
        .attr = KVM_VGIC_ITS_ADDR_TYPE,
        .addr = (uint64_t)(uintptr_t)&base,
    };
    struct kvm_device_attr init = {
        .group = KVM_DEV_ARM_VGIC_GRP_CTRL,
        .attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
    };

    if (vm->irqchip_fd < 0 || !vm->gic_v3) {
        LOG_ERR("VM %s: an ITS needs a GICv3 first", vm->name);
        return -STDVMM_EINVAL;
    }
    if (vm->its_fd >= 0) {
        LOG_ERR("VM %s: the ITS exists already", vm->name);
        return -STDVMM_EEXIST;
    }
    if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_CREATE_DEVICE (GICv3 ITS): %s", vm->name, strerror(e));
        return e == ENODEV || e == ENXIO ? -STDVMM_ENODEV : -e;
    }
    vm->its_fd = (int)dev.fd;
    if (ioctl(vm->its_fd, KVM_SET_DEVICE_ATTR, &addr) < 0 ||
        ioctl(vm->its_fd, KVM_SET_DEVICE_ATTR, &init) < 0) {
        int e = errno;
        LOG_ERR("VM %s: ITS at 0x%llx: %s", vm->name, (unsigned long long)base, strerror(e));
        return -e;
    }
    return 0;
}

int hv_a64_vcpu_pmu_init(struct hv_vcpu *v, uint32_t ppi_intid)
{
    int irq = (int)ppi_intid;
    struct kvm_device_attr set_irq = {
        .group = KVM_ARM_VCPU_PMU_V3_CTRL,
        .attr = KVM_ARM_VCPU_PMU_V3_IRQ,
        .addr = (uint64_t)(uintptr_t)&irq,
    };
    struct kvm_device_attr init = {
        .group = KVM_ARM_VCPU_PMU_V3_CTRL,
        .attr = KVM_ARM_VCPU_PMU_V3_INIT,
    };

    if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &set_irq) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: PMU overflow interrupt %u: %s", v->vm->name, v->index, ppi_intid,
                strerror(e));
        return -e;
    }
    if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &init) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: KVM_ARM_VCPU_PMU_V3_INIT: %s", v->vm->name, v->index, strerror(e));
        return -e;
    }
    return 0;
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

/*
 * KVM derives MPIDR_EL1 from the vCPU index; stdvmm's arch code chooses it.
 * Where KVM refuses the write, its own value is fine as long as it matches,
 * since only the device tree has to agree with it.
 */
static int set_mpidr(struct hv_vcpu *v, uint64_t mpidr)
{
    struct kvm_one_reg reg = {.id = MPIDR_EL1, .addr = (uint64_t)(uintptr_t)&mpidr};
    uint64_t actual = 0;
    int r;

    if (ioctl(v->fd, KVM_SET_ONE_REG, &reg) == 0)
        return 0;
    r = one_reg(v, KVM_GET_ONE_REG, MPIDR_EL1, &actual, "MPIDR_EL1");
    if (r < 0)
        return r;
    if ((actual & 0xff00ffffffull) != (mpidr & 0xff00ffffffull)) {
        LOG_ERR("VM %s vCPU %u: KVM keeps MPIDR 0x%llx, stdvmm described 0x%llx", v->vm->name,
                v->index, (unsigned long long)actual, (unsigned long long)mpidr);
        return -STDVMM_EINVAL;
    }
    return 0;
}

int hv_a64_vcpu_init(struct hv_vcpu *v, const struct a64_vcpu_config *cfg)
{
    struct kvm_vcpu_init init;

    memset(&init, 0, sizeof(init));
    if (ioctl(v->vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_ARM_PREFERRED_TARGET: %s", v->vm->name, strerror(e));
        return -e;
    }
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (cfg->powered_off)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    if (cfg->pmu)
        init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
    if (cfg->sve)
        init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
    /* KVM takes the two pointer-authentication features together or not at all. */
    if (cfg->pauth)
        init.features[0] |= 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
    if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: KVM_ARM_VCPU_INIT (target %u): %s", v->vm->name, v->index,
                init.target, strerror(e));
        return -e;
    }
    /* The host's vector lengths stay as KVM offers them; FINALIZE fixes them before any run. */
    int feature = KVM_ARM_VCPU_SVE;
    if (cfg->sve && ioctl(v->fd, KVM_ARM_VCPU_FINALIZE, &feature) < 0) {
        int e = errno;
        LOG_ERR("VM %s vCPU %u: KVM_ARM_VCPU_FINALIZE(SVE): %s", v->vm->name, v->index,
                strerror(e));
        return -e;
    }
    int r = set_mpidr(v, cfg->mpidr);
    if (r == 0 && v->index < KVM_MAX_TRACKED_VCPUS)
        v->vm->mpidr[v->index] = cfg->mpidr;
    return r;
}

int hv_a64_vcpu_set_boot_regs(struct hv_vcpu *v, const struct a64_boot_regs *regs)
{
    const struct {
        uint64_t id;
        uint64_t value;
        const char *name;
    } set[] = {
        /* clang-format off */
        {CORE_REG(regs.regs[0]), regs->x0, "x0"},
        {CORE_REG(regs.regs[1]), regs->x1, "x1"},
        {CORE_REG(regs.regs[2]), regs->x2, "x2"},
        {CORE_REG(regs.regs[3]), regs->x3, "x3"},
        {CORE_REG(regs.pstate), regs->pstate, "pstate"},
        {CORE_REG(regs.pc), regs->pc, "pc"},
        /* clang-format on */
    };

    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        uint64_t value = set[i].value;
        int r = one_reg(v, KVM_SET_ONE_REG, set[i].id, &value, set[i].name);
        if (r < 0)
            return r;
    }
    return 0;
}
