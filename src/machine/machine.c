/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * machine_build(): the one build sequence of a VM for every port
 * (stdvmm/machine.h). Everything a host differs in comes through struct
 * machine_host, so this file knows no operating system and no hypervisor
 * beyond the port contract (stdvmm/hv.h).
 */
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/hv.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"

static void set_irq(void *ctx, uint32_t irq, bool level)
{
    vm_set_irq_line(ctx, irq, level);
}

/*
 * The console's transmit register as the port's buffered writes while the
 * UART says a late write is invisible to the guest: the kernel's console
 * output then costs no exit per byte. Where the port cannot buffer, every
 * write exits as before.
 *
 * One byte at base + THR is the whole of the guest's THR access on every
 * arch: port I/O on x86_64, and on the MMIO arches the device tree says
 * reg-shift 0 and reg-io-width 1 (firmware/fdt). A wider or shifted access
 * does not fit the zone, so it exits and is handled as before.
 */
static void uart_tx_deferrable(void *ctx, bool yes)
{
    struct vm *vm = ctx;
    const struct arch_platform *p = arch_platform();
    uint64_t thr = p->uart.base + SERIAL8250_THR;

    if (vm->hv == NULL)
        return;
    if (yes)
        (void)hv_vm_add_buffered_writes(vm->hv, thr, 1, p->uart.is_pio);
    else
        (void)hv_vm_remove_buffered_writes(vm->hv, thr, 1, p->uart.is_pio);
}

/*
 * The console UART's register mirror as the port's read page: while every
 * register read is free of side effects the guest reads them from memory,
 * and the status poll before each byte of kernel console output costs no
 * exit (writes still exit, THR's into the buffered-write zone). Only for an
 * MMIO UART alone in its 4 KiB page (the layouts' static asserts), in
 * memory slot MACHINE_UART_PAGE_SLOT.
 */
#define UART_PAGE_SIZE 0x1000ull
/* Installing or withdrawing costs a memory-slot change: only after this long without a reason. */
#define UART_MIRROR_QUIET_NS 50000000ull

static int uart_mirror(void *ctx, const uint8_t *regs)
{
    struct vm *vm = ctx;
    const struct arch_platform *p = arch_platform();
    int r = vm->hv == NULL ? -STDVMM_ENOTSUP
                           : hv_vm_set_read_page(vm->hv, MACHINE_UART_PAGE_SLOT, p->uart.base, regs,
                                                 regs != NULL ? SERIAL8250_REG_COUNT : 0, 0xff);

    if (r == -STDVMM_ENOTSUP) {
        LOG_INFO("VM %s: console UART reads exit each time (this port has no read page)", vm->name);
    } else if (r < 0 && regs == NULL) {
        /* The guest would go on reading stale registers: it cannot run on correctly. */
        LOG_ERR("VM %s: cannot withdraw the console UART's register page (%s); stopping", vm->name,
                stdvmm_strerror(r));
        vm_request_stop(vm, VM_STOP_ERROR);
    } else if (r < 0) {
        LOG_WARN("VM %s: console UART register page failed (%s); its reads exit from now on",
                 vm->name, stdvmm_strerror(r));
        (void)hv_vm_set_read_page(vm->hv, MACHINE_UART_PAGE_SLOT, p->uart.base, NULL, 0, 0xff);
    }
    return r;
}

static bool uart_mirrorable(const struct machine_host *h)
{
    const struct arch_platform *p = arch_platform();

    return h->mirror_console && h->now_ns != NULL && !p->uart.is_pio &&
           p->uart.base % UART_PAGE_SIZE == 0;
}

void machine_tick(struct machine *m)
{
    const struct machine_host *h = m->host;

    if (h != NULL && uart_mirrorable(h))
        serial8250_mirror_tick(&m->uart, h->now_ns(h->ctx), UART_MIRROR_QUIET_NS);
}

static uint64_t host_now_ns(void *ctx)
{
    const struct machine_host *h = ctx;
    return h->now_ns(h->ctx);
}

static void host_console_tx(void *ctx, const uint8_t *buf, size_t len)
{
    const struct machine_host *h = ctx;
    h->console_tx(h->ctx, buf, len);
}

/* The user's map, checked and in address order, or the arch's own plan for d->memory bytes. */
static int plan_ram(const struct machine_desc *d, struct arch_memory_plan *plan)
{
    if (d->memory_map_count == 0)
        return arch_plan_memory(d->memory, plan);
    int r = memmap_check(arch_memory_limits(), d->memory_map, d->memory_map_count, NULL, NULL);
    if (r < 0)
        return r;
    struct memmap_range sorted[ARCH_MAX_RAM_REGIONS];
    memcpy(sorted, d->memory_map, d->memory_map_count * sizeof(sorted[0]));
    memmap_sort(sorted, d->memory_map_count);
    for (unsigned i = 0; i < d->memory_map_count; i++) {
        plan->ram[i].gpa = sorted[i].gpa;
        plan->ram[i].size = sorted[i].size;
    }
    plan->ram_count = d->memory_map_count;
    return 0;
}

static int map_ram(struct machine *m, const struct machine_desc *d)
{
    struct arch_memory_plan plan;
    int r = plan_ram(d, &plan);

    for (unsigned i = 0; r == 0 && i < plan.ram_count; i++) {
        struct machine_ram *ram = &m->ram[i];
        ram->gpa = plan.ram[i].gpa;
        ram->size = plan.ram[i].size;
        ram->host = m->host->ram_alloc(m->host->ctx, i, ram->gpa, ram->size);
        if (ram->host == NULL)
            return -STDVMM_ENOMEM;
        m->ram_count = i + 1;
        r = hv_vm_map_memory(m->vm.hv, i, ram->gpa, ram->size, ram->host, 0);
        if (r == 0)
            r = gmem_add_region(&m->vm.mem, ram->gpa, ram->size, ram->host);
    }
    return r;
}

/* The devices every VM has: console UART, boot timer, panic notifier. */
static int add_platform_devices(struct machine *m)
{
    const struct arch_platform *p = arch_platform();
    const struct machine_host *h = m->host;
    struct vm *vm = &m->vm;

    struct serial8250_config uart = {
        .base = p->uart.base,
        .is_pio = p->uart.is_pio,
        .irq = p->uart.irq,
        .set_irq = set_irq,
        .irq_ctx = vm,
        .tx = h->console_tx != NULL ? host_console_tx : NULL,
        .tx_ctx = (void *)h,
        .tx_deferrable = h->buffer_console ? uart_tx_deferrable : NULL,
        .tx_deferrable_ctx = vm,
        .mirror = uart_mirrorable(h) ? uart_mirror : NULL,
        .mirror_ctx = vm,
        .window = uart_mirrorable(h) ? (uint32_t)UART_PAGE_SIZE : 0,
    };
    int r = serial8250_init(&m->uart, &uart);
    if (r == 0)
        r = serial8250_register(&m->uart, p->uart.is_pio ? &vm->pio : &vm->mmio);
    if (r == 0)
        r = vm_add_platform_device(vm, &p->uart);

    struct boot_timer_config timer = {
        .base = p->boot_timer.base,
        .is_pio = p->boot_timer.is_pio,
        .now_ns = host_now_ns,
        .clock_ctx = (void *)h,
        .start_ns = h->start_ns,
    };
    if (r == 0)
        r = boot_timer_init(&m->boot_timer, &timer);
    if (r == 0)
        r = boot_timer_register(&m->boot_timer, p->boot_timer.is_pio ? &vm->pio : &vm->mmio);

    if (r == 0 && p->pvpanic.size != 0) {
        struct pvpanic_config panic = {
            .base = p->pvpanic.base, .is_pio = p->pvpanic.is_pio, .vm = vm};
        r = pvpanic_init(&m->pvpanic, &panic);
        if (r == 0)
            r = pvpanic_register(&m->pvpanic, p->pvpanic.is_pio ? &vm->pio : &vm->mmio);
        if (r == 0)
            r = vm_add_platform_device(vm, &p->pvpanic);
    }

    if (r == 0 && p->rtc.size != 0) {
        struct pl031_config rtc = {
            .base = p->rtc.base,
            .irq = p->rtc.irq,
            .set_irq = set_irq,
            .irq_ctx = vm,
            .now_ns = host_now_ns,
            .clock_ctx = (void *)h,
            .start_ns = h->start_ns,
            .wall_s = h->start_wall_s,
        };
        r = pl031_init(&m->rtc, &rtc);
        if (r == 0)
            r = pl031_register(&m->rtc, &vm->mmio);
        if (r == 0)
            r = vm_add_platform_device(vm, &p->rtc);
    }
    return r;
}

static void ring_peer(void *ctx, uint32_t target)
{
    const struct machine_shared_ring *r = ctx;
    r->host->shared_ring(r->host->ctx, r->index, target);
}

/* The slot of the virtio range region i's register page and line take: from the top down. */
static unsigned shared_slot(unsigned i)
{
    return MACHINE_MAX_VIRTIO - 1 - i;
}

/*
 * Each shared region: its memory mapped (read-only where the VM may only
 * read) and checked again here, whoever built the description, then its
 * register page in a slot of the virtio range. Not in guest memory's
 * regions: no device of this VM may reach another VM's memory by DMA.
 */
static int add_shared_regions(struct machine *m, const struct machine_desc *d)
{
    const struct arch_platform *p = arch_platform();
    struct memmap_range ram[ARCH_MAX_RAM_REGIONS];

    if (d->shared_count == 0)
        return 0;
    if (d->shared_count > MACHINE_MAX_SHARED || m->host->shared_map == NULL) {
        LOG_ERR("%u shared regions: this host maps at most %d", d->shared_count,
                m->host->shared_map == NULL ? 0 : MACHINE_MAX_SHARED);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < m->ram_count; i++)
        ram[i] = (struct memmap_range){m->ram[i].gpa, m->ram[i].size};
    for (unsigned i = 0; i < d->shared_count; i++) {
        const struct machine_shared *sh = &d->shared[i];
        struct memmap_range window = {sh->gpa, sh->size};
        int r =
            memmap_check_window(arch_memory_limits(), ram, m->ram_count, &window, i, NULL, NULL);
        for (unsigned j = 0; r == 0 && j < i; j++) {
            if (sh->gpa < d->shared[j].gpa + d->shared[j].size &&
                d->shared[j].gpa < sh->gpa + sh->size) {
                LOG_ERR("shared region '%s' overlaps '%s'", sh->name, d->shared[j].name);
                r = -STDVMM_EINVAL;
            }
        }
        if (r < 0)
            return r;
        unsigned slot = shared_slot(i);
        struct shared_region_config c = {
            .name = sh->name,
            .regs = p->virtio_mmio_base + (uint64_t)slot * p->virtio_mmio_stride,
            .gpa = sh->gpa,
            .size = sh->size,
            .member = sh->member,
            .members = sh->members,
            .writable = sh->writable,
            .doorbell = sh->doorbell,
            .irq = p->virtio_irq_base + slot,
            .set_irq = set_irq,
            .irq_ctx = &m->vm,
            .ring = m->host->shared_ring != NULL ? ring_peer : NULL,
            .ring_ctx = &m->shared_rings[i],
        };
        m->shared_rings[i] = (struct machine_shared_ring){.host = m->host, .index = i};
        r = shared_region_init(&m->shared[i], &c);
        if (r < 0)
            return r;
        void *host = m->host->shared_map(m->host->ctx, i, sh);
        if (host == NULL)
            return -STDVMM_ENOMEM;
        r = hv_vm_map_memory(m->vm.hv, ARCH_MAX_RAM_REGIONS + i, sh->gpa, sh->size, host,
                             sh->writable ? 0 : HV_MEM_READONLY);
        if (r == 0)
            r = shared_region_register(&m->shared[i], &m->vm.mmio);
        if (r < 0)
            return r;
        m->shared_count = i + 1;
        struct vm_platform_device dev = {
            .kind = VM_DEV_SHARED_REGION,
            .base = c.regs,
            .size = SHARED_REGION_REGS_SIZE,
            .irq = c.irq,
            .shm_gpa = sh->gpa,
            .shm_size = sh->size,
            .label = m->shared[i].name,
        };
        r = vm_add_platform_device(&m->vm, &dev);
        if (r < 0)
            return r;
    }
    return 0;
}

void machine_shared_doorbell(struct machine *m, unsigned index, uint32_t rings)
{
    if (index < m->shared_count)
        shared_region_doorbell(&m->shared[index], rings);
}

/* The user's command line, then what the VMM adds (interrupt owners). */
static int compose_cmdline(struct machine *m, const char *user)
{
    char extra[512] = "";
    size_t ulen, elen;

    if (m->host->cmdline_extra != NULL &&
        m->host->cmdline_extra(m->host->ctx, extra, sizeof(extra)) < 0)
        extra[0] = '\0';
    user = user != NULL ? user : "";
    ulen = strlen(user);
    elen = strlen(extra);
    bool space = ulen != 0 && elen != 0;
    if (ulen + space + elen >= sizeof(m->cmdline)) {
        LOG_ERR("the kernel command line is longer than %zu bytes", sizeof(m->cmdline) - 1);
        return -STDVMM_E2BIG;
    }
    memcpy(m->cmdline, user, ulen);
    if (space)
        m->cmdline[ulen] = ' ';
    memcpy(m->cmdline + ulen + space, extra, elen + 1);
    return 0;
}

int machine_build(struct machine *m, const struct machine_desc *d, const struct machine_host *host)
{
    struct hv_vm_config hv_cfg = {.vcpu_count = d->cpus, .name = d->name};
    struct hv_vm *hv = NULL;

    m->host = host;
    m->ram_count = 0;
    m->virtio_count = 0;
    m->shared_count = 0;
    vm_init(&m->vm, d->name, NULL, d->cpus);
    m->vm.opts = d->arch;
    int r = hv_vm_create(&hv_cfg, &hv);
    if (r < 0)
        return r;
    m->vm.hv = hv;
    m->vm.on_stop = host->on_stop;
    m->vm.on_stop_ctx = host->ctx;

    r = map_ram(m, d);
    if (r == 0)
        r = arch_vm_init(&m->vm);
    if (r == 0)
        r = add_platform_devices(m);
    if (r == 0)
        r = add_shared_regions(m, d);
    if (r == 0 && host->add_devices != NULL)
        r = host->add_devices(host->ctx, m);
    if (r == 0)
        r = compose_cmdline(m, d->cmdline);
    if (r == 0) {
        struct vm_boot_images images = {
            .kernel = d->kernel,
            .kernel_size = d->kernel_size,
            .initrd = d->initrd,
            .initrd_size = d->initrd_size,
            .cmdline = m->cmdline,
        };
        r = arch_load_kernel(&m->vm, &images);
    }
    if (r == 0)
        r = arch_setup_firmware(&m->vm);
    for (unsigned i = 0; r == 0 && i < d->cpus; i++) {
        r = hv_vcpu_create(hv, i, &m->vm.vcpus[i].hv);
        if (r == 0)
            r = arch_vcpu_init(&m->vm, &m->vm.vcpus[i]);
    }
    return r;
}

void machine_teardown(struct machine *m)
{
    const struct machine_host *h = m->host;

    /* The guest's last console bytes may still wait in the port's queue. */
    vm_flush_buffered_writes(&m->vm);
    /* Device threads and I/O in flight end before vCPUs and guest RAM go. */
    if (h != NULL && h->remove_devices != NULL)
        h->remove_devices(h->ctx, m);
    for (unsigned i = 0; i < m->vm.vcpu_count; i++) {
        if (m->vm.vcpus[i].hv != NULL)
            hv_vcpu_destroy(m->vm.vcpus[i].hv);
        m->vm.vcpus[i].hv = NULL;
    }
    if (m->vm.hv != NULL)
        hv_vm_destroy(m->vm.hv);
    m->vm.hv = NULL;
    for (unsigned i = 0; i < m->ram_count; i++) {
        if (h->ram_free != NULL)
            h->ram_free(h->ctx, m->ram[i].host, m->ram[i].size);
    }
    m->ram_count = 0;
    m->virtio_count = 0;
    m->shared_count = 0;
}
