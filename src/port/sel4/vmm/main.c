/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM program: one instance per VM, in a protection domain of its own
 * that holds only its VM's capabilities. It builds the VM with the same
 * portable core, aarch64 arch hooks, device tree builder and device models
 * as `stdvmm run` on Linux, in the same order (src/system/vmm.c), then runs
 * the vCPU loop and reports to the admin why the VM stopped.
 */
#include <sel4/sel4.h>
#include <string.h>

#include "port/sel4/portable/sel4_plan.h"
#include "rt/rt.h"
#include "stdvmm/arch.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"
#include "vmm/hv_sel4.h"
#include "vmm/vmm_io.h"

static struct vm vm;
static struct serial8250 uart;
static struct boot_timer boot_timer;
static struct pvpanic pvpanic;
static uint64_t start_ns;

static void set_irq(void *ctx, uint32_t irq, bool level)
{
    vm_set_irq_line(ctx, irq, level);
}

static void uart_tx(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    vmm_console_write(buf, len);
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return vmm_now_ns();
}

static int add_platform_devices(void)
{
    const struct arch_platform *p = arch_platform();
    struct serial8250_config ucfg = {
        .base = p->uart.base,
        .is_pio = p->uart.is_pio,
        .irq = p->uart.irq,
        .set_irq = set_irq,
        .irq_ctx = &vm,
        .tx = uart_tx,
    };
    int r = serial8250_init(&uart, &ucfg);
    if (r == 0)
        r = serial8250_register(&uart, &vm.mmio);
    if (r == 0)
        r = vm_add_platform_device(&vm, &p->uart);
    struct boot_timer_config tcfg = {
        .base = p->boot_timer.base, .now_ns = now_ns, .start_ns = start_ns};
    if (r == 0)
        r = boot_timer_init(&boot_timer, &tcfg);
    if (r == 0)
        r = boot_timer_register(&boot_timer, &vm.mmio);
    if (r == 0 && p->pvpanic.size != 0) {
        struct pvpanic_config pcfg = {.base = p->pvpanic.base, .vm = &vm};
        r = pvpanic_init(&pvpanic, &pcfg);
        if (r == 0)
            r = pvpanic_register(&pvpanic, &vm.mmio);
        if (r == 0)
            r = vm_add_platform_device(&vm, &p->pvpanic);
    }
    return r;
}

static int build(const struct sel4_vmm_args *a)
{
    struct hv_vm_config cfg = {.vcpu_count = a->vcpu_count, .name = a->name};
    struct arch_memory_plan plan;
    struct hv_vm *hv;

    int r = hv_vm_create(&cfg, &hv);
    if (r < 0)
        return r;
    vm_init(&vm, a->name, hv, a->vcpu_count);
    r = arch_plan_memory(a->ram_size, &plan);
    if (r == 0 && (plan.ram_count != 1 || plan.ram[0].gpa != a->ram_gpa)) {
        LOG_ERR("the arch places RAM at 0x%llx, the admin mapped it at 0x%llx",
                (unsigned long long)plan.ram[0].gpa, (unsigned long long)a->ram_gpa);
        r = -STDVMM_EINVAL;
    }
    if (r == 0)
        r = hv_vm_map_memory(hv, 0, a->ram_gpa, a->ram_size, (void *)(uintptr_t)a->ram_va, 0);
    if (r == 0)
        r = gmem_add_region(&vm.mem, a->ram_gpa, a->ram_size, (void *)(uintptr_t)a->ram_va);
    if (r == 0)
        r = arch_vm_init(&vm);
    if (r == 0)
        r = add_platform_devices();
    if (r == 0) {
        struct vm_boot_images images = {
            .kernel = (const uint8_t *)(uintptr_t)a->kernel_va,
            .kernel_size = a->kernel_size,
            .initrd = a->initrd_size ? (const uint8_t *)(uintptr_t)a->initrd_va : NULL,
            .initrd_size = a->initrd_size,
            .cmdline = a->cmdline,
        };
        r = arch_load_kernel(&vm, &images);
    }
    if (r == 0)
        r = arch_setup_firmware(&vm);
    for (unsigned i = 0; r == 0 && i < a->vcpu_count; i++) {
        r = hv_vcpu_create(hv, i, &vm.vcpus[i].hv);
        if (r == 0)
            r = arch_vcpu_init(&vm, &vm.vcpus[i]);
    }
    return r;
}

void sel4rt_main(void *arg)
{
    const struct sel4_vmm_args *a = arg;

    seL4_SetIPCBuffer((seL4_IPCBuffer *)(uintptr_t)SEL4_VMM_IPC_BUFFER_VA);
    if (a->magic != SEL4_VMM_ABI_MAGIC || a->version != SEL4_VMM_ABI_VERSION) {
        sel4rt_debug_puts("stdvmm: VMM started with a foreign argument page\n");
        vmm_report_stop(VM_STOP_ERROR);
    }
    start_ns = vmm_now_ns();
    vmm_io_init(a->name);
    hv_sel4_set_args(a);
    LOG_INFO("VMM of %s (boot %u): %llu MiB RAM at 0x%llx, kernel %llu KiB, initramfs %llu KiB",
             a->name, a->boot_count, (unsigned long long)(a->ram_size >> 20),
             (unsigned long long)a->ram_gpa, (unsigned long long)(a->kernel_size >> 10),
             (unsigned long long)(a->initrd_size >> 10));
    int r = build(a);
    if (r < 0) {
        LOG_ERR("building VM %s failed (%s)", a->name, stdvmm_strerror(r));
        vmm_report_stop(VM_STOP_ERROR);
    }
    LOG_INFO("VM %s built in %llu ms; starting its vCPU", a->name,
             (unsigned long long)((vmm_now_ns() - start_ns) / 1000000));
    vcpu_run_loop(&vm.vcpus[0]);
    enum vm_stop_reason reason = vm_stop_reason(&vm);
    uint64_t userspace_ns;
    if (boot_timer_userspace_ns(&boot_timer, &userspace_ns))
        LOG_INFO("guest reached userspace %llu ms after its VMM started",
                 (unsigned long long)(userspace_ns / 1000000));
    LOG_INFO("VM %s stopped: %s", a->name, vm_stop_reason_name(reason));
    vmm_report_stop(reason);
}
