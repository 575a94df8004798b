/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Builds a VM from a struct vmm_config and runs it: the glue between the
 * Linux host layer (files, threads, signals), the KVM port and the portable
 * core, arch and devices. One VM per process (paper §4.1.5).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "console.h"
#include "sched_policy.h"
#include "virtio_devices.h"
#include "vcpu_park.h"
#include "vm_api.h"
#include "stdvmm/arch.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/vmm.h"

struct vmm {
    const struct vmm_config *cfg;
    struct host_file_image kernel;
    struct host_file_image initrd;
    struct vm vm;
    void *ram[ARCH_MAX_RAM_REGIONS];
    uint64_t ram_size[ARCH_MAX_RAM_REGIONS];
    unsigned ram_count;
    struct console console;
    struct serial8250 uart;
    struct boot_timer boot_timer;
    struct pvpanic pvpanic;
    pthread_t threads[VM_MAX_VCPUS];
    unsigned threads_started;
    int stop_fd;   /* eventfd: the VM recorded a stop reason */
    int signal_fd; /* SIGTERM, SIGINT, SIGHUP */
    struct vm_api *api; /* --api-socket; NULL without */
    struct vmm_virtio *virtio;
    struct vcpu_park park; /* pause, and the VMM's own stop-the-world moments */
    char cmdline[8192]; /* the user's plus stdvmm's arguments; the arch code checks the kernel's limit */
};

int vmm_config_check(const struct vmm_config *cfg)
{
    int bad = 0;

    if (cfg->kernel == NULL) {
        LOG_ERR("no kernel given (--kernel PATH)");
        bad = 1;
    }
    if (cfg->cpus == 0 || cfg->cpus > VMM_MAX_CPUS) {
        LOG_ERR("--cpus %u: must be between 1 and %d", cfg->cpus, VMM_MAX_CPUS);
        bad = 1;
    }
    if (cfg->memory < arch_min_ram()) {
        LOG_ERR("--memory %lluM is too little: a Linux guest needs at least %lluM",
                (unsigned long long)(cfg->memory >> 20),
                (unsigned long long)(arch_min_ram() >> 20));
        bad = 1;
    }
    if (cfg->serial == VMM_SERIAL_FILE && (cfg->serial_path == NULL || !*cfg->serial_path)) {
        LOG_ERR("--serial file=PATH needs a path");
        bad = 1;
    }
    if (vmm_virtio_config_check(cfg) < 0)
        bad = 1;
    if (cfg->placement != NULL && sched_policy_check(cfg->placement, cfg->cpus) < 0)
        bad = 1;
    return bad ? -STDVMM_EINVAL : 0;
}

static void notify_stop(struct vm *vm, void *ctx)
{
    struct vmm *m = ctx;
    uint64_t one = 1;
    ssize_t ignored = write(m->stop_fd, &one, sizeof(one));
    (void)ignored;
}

static void set_irq(void *ctx, uint32_t irq, bool level)
{
    vm_set_irq_line(ctx, irq, level);
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return host_clock_monotonic_ns();
}

static size_t uart_input(void *ctx, const uint8_t *buf, size_t len)
{
    return serial8250_receive(ctx, buf, len);
}

static int map_ram(struct vmm *m)
{
    struct arch_memory_plan plan;
    int r = arch_plan_memory(m->cfg->memory, &plan);

    if (r < 0)
        return r;
    for (unsigned i = 0; i < plan.ram_count; i++) {
        m->ram[i] = host_guest_ram_alloc(plan.ram[i].size);
        if (m->ram[i] == NULL)
            return -STDVMM_ENOMEM;
        m->ram_size[i] = plan.ram[i].size;
        m->ram_count = i + 1;
        r = hv_vm_map_memory(m->vm.hv, i, plan.ram[i].gpa, plan.ram[i].size, m->ram[i], 0);
        if (r < 0)
            return r;
        r = gmem_add_region(&m->vm.mem, plan.ram[i].gpa, plan.ram[i].size, m->ram[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The devices every VM has: console UART, boot timer, panic notifier. */
static int add_platform_devices(struct vmm *m)
{
    const struct arch_platform *p = arch_platform();
    struct vm *vm = &m->vm;
    int r;

    struct serial8250_config uart = {
        .base = p->uart.base,
        .is_pio = p->uart.is_pio,
        .irq = p->uart.irq,
        .set_irq = set_irq,
        .irq_ctx = vm,
        /* With a virtio console the UART stays for the kernel's probe, but speaks to no one. */
        .tx = m->cfg->console == VMM_CONSOLE_VIRTIO ? NULL : console_output,
        .tx_ctx = &m->console,
    };
    serial8250_init(&m->uart, &uart);
    r = serial8250_register(&m->uart, p->uart.is_pio ? &vm->pio : &vm->mmio);
    if (r == 0)
        r = vm_add_platform_device(vm, &p->uart);
    if (r < 0)
        return r;

    struct boot_timer_config timer = {
        .base = p->boot_timer.base,
        .is_pio = p->boot_timer.is_pio,
        .now_ns = now_ns,
        .start_ns = host_clock_start_ns(), /* report time since stdvmm started, as Firecracker */
    };
    boot_timer_init(&m->boot_timer, &timer);
    r = boot_timer_register(&m->boot_timer, p->boot_timer.is_pio ? &vm->pio : &vm->mmio);
    if (r < 0)
        return r;

    if (p->pvpanic.size != 0) {
        struct pvpanic_config panic = {
            .base = p->pvpanic.base, .is_pio = p->pvpanic.is_pio, .vm = vm};
        pvpanic_init(&m->pvpanic, &panic);
        r = pvpanic_register(&m->pvpanic, p->pvpanic.is_pio ? &vm->pio : &vm->mmio);
        if (r == 0)
            r = vm_add_platform_device(vm, &p->pvpanic);
    }
    return r;
}

/* The user's command line, plus what stdvmm tells the guest (interrupt owners). */
static int compose_cmdline(struct vmm *m)
{
    char extra[512];
    const char *user = m->cfg->cmdline ? m->cfg->cmdline : "";

    if (vmm_virtio_irq_affinity_arg(m->virtio, extra, sizeof(extra)) < 0)
        extra[0] = '\0';
    int n = snprintf(m->cmdline, sizeof(m->cmdline), "%s%s%s", user,
                     user[0] != '\0' && extra[0] != '\0' ? " " : "", extra);
    if (n < 0 || (size_t)n >= sizeof(m->cmdline)) {
        LOG_ERR("the kernel command line is longer than %zu bytes", sizeof(m->cmdline) - 1);
        return -STDVMM_E2BIG;
    }
    return 0;
}

static int build(struct vmm *m)
{
    const struct vmm_config *cfg = m->cfg;
    struct hv_vm_config hv_cfg = {.vcpu_count = cfg->cpus, .name = cfg->name};
    struct hv_vm *hv;
    int r;

    r = hv_vm_create(&hv_cfg, &hv);
    if (r < 0)
        return r;
    vm_init(&m->vm, cfg->name, hv, cfg->cpus);
    m->vm.on_stop = notify_stop;
    m->vm.on_stop_ctx = m;

    r = map_ram(m);
    if (r == 0)
        r = arch_vm_init(&m->vm);
    if (r == 0)
        r = add_platform_devices(m);
    if (r == 0)
        r = vmm_virtio_build(m->virtio, &m->vm, &m->console, &m->park);
    if (r == 0)
        r = compose_cmdline(m);
    if (r == 0) {
        struct vm_boot_images images = {
            .kernel = m->kernel.data,
            .kernel_size = m->kernel.size,
            .initrd = m->initrd.data,
            .initrd_size = m->initrd.size,
            .cmdline = m->cmdline,
        };
        r = arch_load_kernel(&m->vm, &images);
    }
    if (r == 0)
        r = arch_setup_firmware(&m->vm);
    for (unsigned i = 0; r == 0 && i < cfg->cpus; i++) {
        r = hv_vcpu_create(hv, i, &m->vm.vcpus[i].hv);
        if (r == 0)
            r = arch_vcpu_init(&m->vm, &m->vm.vcpus[i]);
    }
    return r;
}

static void teardown(struct vmm *m)
{
    vmm_virtio_teardown(m->virtio); /* device threads and I/O end before guest RAM goes */
    for (unsigned i = 0; i < m->vm.vcpu_count; i++) {
        hv_vcpu_destroy(m->vm.vcpus[i].hv);
        m->vm.vcpus[i].hv = NULL;
    }
    hv_vm_destroy(m->vm.hv);
    m->vm.hv = NULL;
    for (unsigned i = 0; i < m->ram_count; i++)
        host_guest_ram_free(m->ram[i], m->ram_size[i]);
    m->ram_count = 0;
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *vcpu = arg;
    char name[16];

    snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
    pthread_setname_np(pthread_self(), name);
    if (sched_policy_vcpu_enter(vcpu->index) < 0) {
        vm_request_stop(vcpu->vm, VM_STOP_ERROR);
        return NULL;
    }
    vcpu_run_loop(vcpu);
    sched_policy_vcpu_leave(vcpu->index);
    return NULL;
}

static int start_vcpus(struct vmm *m)
{
    m->threads_started = 0;
    for (unsigned i = 0; i < m->vm.vcpu_count; i++) {
        if (pthread_create(&m->threads[i], NULL, vcpu_thread, &m->vm.vcpus[i]) != 0) {
            LOG_ERR("cannot start the thread of vCPU %u", i);
            vm_request_stop(&m->vm, VM_STOP_ERROR);
            return -STDVMM_EAGAIN;
        }
        m->threads_started++;
    }
    return 0;
}

static void join_vcpus(struct vmm *m)
{
    for (unsigned i = 0; i < m->threads_started; i++)
        pthread_join(m->threads[i], NULL);
    m->threads_started = 0;
}

/* Waits until the VM records a stop reason, turning host signals into a stop request. */
static void wait_for_stop(struct vmm *m)
{
    while (vm_stop_reason(&m->vm) == VM_STOP_NONE) {
        struct pollfd fds[2] = {{.fd = m->stop_fd, .events = POLLIN},
                                {.fd = m->signal_fd, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                LOG_WARN("signal %u: stopping the VM", si.ssi_signo);
                vm_request_stop(&m->vm, VM_STOP_REQUESTED);
            }
        }
    }
    uint64_t drain;
    ssize_t ignored = read(m->stop_fd, &drain, sizeof(drain));
    (void)ignored;
}

static int exit_status(enum vm_stop_reason reason)
{
    switch (reason) {
    case VM_STOP_POWEROFF: return VMM_EXIT_POWEROFF;
    case VM_STOP_PANIC: return VMM_EXIT_PANIC;
    case VM_STOP_RESET: return VMM_EXIT_RESET;
    case VM_STOP_REQUESTED: return VMM_EXIT_STOPPED;
    case VM_STOP_ERROR:
    case VM_STOP_NONE: break;
    }
    return VMM_EXIT_ERROR;
}

static int setup_signals(struct vmm *m)
{
    sigset_t set;

    /* Blocked before any thread starts, so every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
    m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->signal_fd < 0 || m->stop_fd < 0) {
        LOG_ERR("cannot create the VMM's signal and stop descriptors: %s", strerror(errno));
        return -STDVMM_EIO;
    }
    return 0;
}

static int load_images(struct vmm *m)
{
    int r = host_file_image_load(&m->kernel, m->cfg->kernel, "kernel");
    if (r == 0 && arch_probe_kernel(m->kernel.data, m->kernel.size) < 0) {
        LOG_ERR("kernel %s: not a kernel image stdvmm can boot on this architecture",
                m->cfg->kernel);
        r = -STDVMM_ENOEXEC;
    }
    if (r == 0 && m->cfg->initramfs != NULL)
        r = host_file_image_load(&m->initrd, m->cfg->initramfs, "initramfs");
    return r;
}

int vmm_run(const struct vmm_config *cfg)
{
    struct vmm *m = calloc(1, sizeof(*m));
    int status = VMM_EXIT_ERROR;

    if (m == NULL)
        return VMM_EXIT_ERROR;
    m->cfg = cfg;
    m->stop_fd = m->signal_fd = -1;
    vcpu_park_init(&m->park);
    if (vmm_config_check(cfg) < 0) {
        vcpu_park_destroy(&m->park);
        free(m);
        return VMM_EXIT_USAGE;
    }
    /* Before any thread exists: the VMM's threads inherit the vmm_threads affinity. */
    if (sched_policy_start(cfg->placement, cfg->cpus) < 0)
        goto out;
    /* Disk images first: one that another stdvmm holds is the likeliest refusal. */
    if (vmm_virtio_open(&m->virtio, cfg) < 0)
        goto out;
    if (load_images(m) < 0 || setup_signals(m) < 0 || console_open(&m->console, cfg) < 0)
        goto out;
    if (cfg->api_socket != NULL && vm_api_open(&m->api, cfg->api_socket, cfg) < 0)
        goto out;

    for (;;) {
        if (build(m) < 0) {
            teardown(m);
            break;
        }
        vcpu_park_attach(&m->park, &m->vm);
        vm_api_attach(m->api, &m->vm, &m->park, m->virtio);
        console_input_fn input = uart_input;
        void *input_ctx = &m->uart;
        vmm_virtio_console_input(m->virtio, &input, &input_ctx);
        if (console_start_input(&m->console, &m->vm, input, input_ctx) < 0 ||
            vmm_virtio_start(m->virtio) < 0 || start_vcpus(m) < 0) {
            vm_api_detach(m->api);
            vcpu_park_detach(&m->park);
            join_vcpus(m);
            teardown(m);
            break;
        }
        wait_for_stop(m);
        vm_api_detach(m->api);
        vcpu_park_detach(&m->park); /* releases vCPUs parked by a pause */
        join_vcpus(m);
        enum vm_stop_reason reason = vm_stop_reason(&m->vm);
        teardown(m);
        status = exit_status(reason);
        if (reason == VM_STOP_RESET && !cfg->no_reboot) {
            LOG_INFO("guest reset: rebooting");
            continue;
        }
        if (reason == VM_STOP_PANIC)
            LOG_ERR("the guest kernel panicked (see its console output)");
        else if (reason != VM_STOP_POWEROFF)
            LOG_INFO("VM stopped: %s", vm_stop_reason_name(reason));
        break;
    }

out:
    vm_api_close(m->api, status);
    sched_policy_stop();
    console_close(&m->console);
    host_file_image_release(&m->kernel);
    host_file_image_release(&m->initrd);
    vmm_virtio_close(m->virtio);
    if (m->stop_fd >= 0)
        close(m->stop_fd);
    if (m->signal_fd >= 0)
        close(m->signal_fd);
    vcpu_park_destroy(&m->park);
    free(m);
    return status;
}
