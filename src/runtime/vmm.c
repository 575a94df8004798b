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
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "shared_regions.h"
#include "virtio_devices.h"
#include "vcpu_park.h"
#include "stdvmm/arch.h"
#include "stdvmm/control/vm_api.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/host/jail.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/machine.h"
#include "stdvmm/sched/sched_policy.h"
#include "stdvmm/vmm.h"

struct vmm {
    const struct vmm_config *cfg;
    struct host_file_image kernel;
    struct host_file_image initrd;
    struct machine mach; /* the VM itself, built by the portable machine layer */
    struct machine_host host;
    struct console console;
    pthread_t threads[VM_MAX_VCPUS];
    unsigned threads_started;
    int stop_fd;   /* eventfd: the VM recorded a stop reason */
    int signal_fd; /* SIGTERM, SIGINT, SIGHUP */
    struct vm_api *api; /* --api-socket; NULL without */
    struct sched_policy *sched; /* the placement; NULL without */
    struct vmm_vcpu_thread {
        struct vmm *m;
        struct vcpu *vcpu;
    } thread_args[VM_MAX_VCPUS];
    struct vmm_virtio *virtio;
    struct vcpu_park park; /* pause, and the VMM's own stop-the-world moments */
    /* The memfd behind each RAM region (m->mach.ram order) when RAM is shared; -1 otherwise. */
    int ram_fds[ARCH_MAX_RAM_REGIONS];
    /* Directories the jail binds at their own paths (jail_fill): sockets found by path later. */
    char jail_binds[HOST_JAIL_MAX_BINDS][256];
    struct shared_regions shared; /* memory shared with other VMs, and their doorbells */
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
    if (cfg->memory_map_count != 0) {
        uint64_t total = memmap_total(cfg->memory_map, cfg->memory_map_count);
        if (memmap_check(arch_memory_limits(), cfg->memory_map, cfg->memory_map_count, NULL, NULL) <
            0)
            bad = 1;
        else if (cfg->memory != total) {
            LOG_ERR("--memory %lluM differs from the memory map's total of %lluM: give one "
                    "or make them agree",
                    (unsigned long long)(cfg->memory >> 20), (unsigned long long)(total >> 20));
            bad = 1;
        }
    } else if (cfg->memory < arch_min_ram()) {
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
    if (shared_regions_check(cfg) < 0)
        bad = 1;
    if (cfg->placement != NULL && sched_policy_check(cfg->placement, cfg->cpus) < 0)
        bad = 1;
    return bad ? -STDVMM_EINVAL : 0;
}

/* ---- what the Linux host gives the machine layer (struct machine_host) ---- */

static void notify_stop(struct vm *vm, void *ctx)
{
    struct vmm *m = ctx;
    (void)vm;
    host_eventfd_signal(m->stop_fd);
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return host_clock_monotonic_ns();
}

static void *ram_alloc(void *ctx, unsigned index, uint64_t gpa, uint64_t size)
{
    struct vmm *m = ctx;
    (void)gpa;
    if (index >= ARCH_MAX_RAM_REGIONS)
        return NULL;
    m->ram_fds[index] = -1;
    if (!vmm_virtio_shared_ram(m->cfg))
        return host_guest_ram_alloc(size);
    return host_guest_ram_alloc_shared(size, "stdvmm-guest-ram", &m->ram_fds[index]);
}

static void ram_free(void *ctx, void *ram, uint64_t size)
{
    struct vmm *m = ctx;
    host_guest_ram_free(ram, size);
    for (unsigned i = 0; i < m->mach.ram_count; i++) {
        if (m->mach.ram[i].host == ram && m->ram_fds[i] >= 0) {
            close(m->ram_fds[i]);
            m->ram_fds[i] = -1;
        }
    }
}

static void uart_output(void *ctx, const uint8_t *buf, size_t len)
{
    struct vmm *m = ctx;
    console_output(&m->console, buf, len);
}

static int add_virtio(void *ctx, struct machine *mach)
{
    struct vmm *m = ctx;
    return vmm_virtio_build(m->virtio, mach, m->ram_fds, &m->console, &m->park);
}

static void remove_virtio(void *ctx, struct machine *mach)
{
    struct vmm *m = ctx;
    (void)mach;
    vmm_virtio_teardown(m->virtio);
}

static void *shared_map(void *ctx, unsigned index, const struct machine_shared *sh)
{
    struct vmm *m = ctx;
    return shared_regions_map(&m->shared, index, sh);
}

static void shared_ring(void *ctx, unsigned index, uint32_t target)
{
    struct vmm *m = ctx;
    shared_regions_ring(&m->shared, index, target);
}

static int irq_owners_arg(void *ctx, char *buf, size_t size)
{
    struct vmm *m = ctx;
    return vmm_virtio_irq_affinity_arg(m->virtio, buf, size);
}

static size_t uart_input(void *ctx, const uint8_t *buf, size_t len)
{
    return serial8250_receive(ctx, buf, len);
}

/* ---- what the control socket acts on (struct vm_api_target) ---- */

static int api_hold(void *ctx, int timeout_ms)
{
    struct vmm *m = ctx;
    return vcpu_park_hold(&m->park, timeout_ms);
}

static void api_release(void *ctx)
{
    struct vmm *m = ctx;
    vcpu_park_release(&m->park);
}

static void api_parked(void *ctx, unsigned *parked, unsigned *total)
{
    struct vmm *m = ctx;
    vcpu_park_count(&m->park, parked, total);
}

static unsigned api_irqs(void *ctx, struct vm_api_irq *out, unsigned max)
{
    struct vmm *m = ctx;
    return vmm_virtio_irqs(m->virtio, out, max);
}

static void api_attach(struct vmm *m)
{
    const struct vm_api_target target = {
        .vm = &m->mach.vm,
        .ctx = m,
        .hold = api_hold,
        .release = api_release,
        .parked = api_parked,
        .irqs = api_irqs,
    };
    vm_api_attach(m->api, &target);
}

static void host_init(struct vmm *m)
{
    m->host = (struct machine_host){
        .ctx = m,
        .ram_alloc = ram_alloc,
        .ram_free = ram_free,
        /* With a virtio console the UART stays for the kernel's probe, but speaks to no one. */
        .console_tx = m->cfg->console == VMM_CONSOLE_VIRTIO ? NULL : uart_output,
        .buffer_console = true, /* wait_for_stop() flushes */
        .mirror_console = true, /* wait_for_stop() ticks */
        .mirror_virtio = true,
        .now_ns = now_ns,
        .start_ns = host_clock_start_ns(), /* report time since stdvmm started, as Firecracker */
        .start_wall_s = host_clock_start_wall_s(),
        .on_stop = notify_stop,
        .add_devices = add_virtio,
        .remove_devices = remove_virtio,
        .cmdline_extra = irq_owners_arg,
        .shared_map = shared_map,
        .shared_ring = shared_ring,
    };
}

static int build(struct vmm *m)
{
    const struct vmm_config *cfg = m->cfg;
    const struct machine_desc desc = {
        .name = cfg->name,
        .cpus = cfg->cpus,
        .memory = cfg->memory,
        .memory_map = cfg->memory_map,
        .memory_map_count = cfg->memory_map_count,
        .kernel = m->kernel.data,
        .kernel_size = m->kernel.size,
        .initrd = m->initrd.data,
        .initrd_size = m->initrd.size,
        .cmdline = cfg->cmdline,
        .arch = cfg->arch,
        .shared = m->shared.desc,
        .shared_count = m->shared.count,
    };
    return machine_build(&m->mach, &desc, &m->host);
}

static void *vcpu_thread(void *arg)
{
    const struct vmm_vcpu_thread *t = arg;
    struct vcpu *vcpu = t->vcpu;
    char name[16];

    snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
    pthread_setname_np(pthread_self(), name);
    if (sched_policy_vcpu_enter(t->m->sched, vcpu->index) < 0) {
        vm_request_stop(vcpu->vm, VM_STOP_ERROR);
        return NULL;
    }
    /* After placement, which writes cgroup files this filter no longer allows. */
    host_sandbox_enter(HOST_THREAD_VCPU);
    vcpu_run_loop(vcpu);
    sched_policy_vcpu_leave(t->m->sched, vcpu->index);
    return NULL;
}

/* The device threads into the VM's CPU budget, before the guest runs to use them. */
static void place_workers(struct vmm *m)
{
    pid_t tids[MACHINE_MAX_VIRTIO];
    sched_policy_workers(m->sched, tids, vmm_virtio_tids(m->virtio, tids, MACHINE_MAX_VIRTIO));
}

static int start_vcpus(struct vmm *m)
{
    m->threads_started = 0;
    for (unsigned i = 0; i < m->mach.vm.vcpu_count; i++) {
        m->thread_args[i] = (struct vmm_vcpu_thread){.m = m, .vcpu = &m->mach.vm.vcpus[i]};
        if (host_thread_create(&m->threads[i], vcpu_thread, &m->thread_args[i]) != 0) {
            LOG_ERR("cannot start the thread of vCPU %u", i);
            vm_request_stop(&m->mach.vm, VM_STOP_ERROR);
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

/*
 * How long the guest's console output may wait in the port's queue while
 * the guest makes no exit (an idle guest halts inside KVM), or in the
 * console's line buffer without a newline: short enough for a person at the
 * console, and an empty queue costs this thread two loads.
 */
#define BUFFERED_FLUSH_MS 20

/*
 * Waits until the VM records a stop reason, turning host signals into a stop
 * request, and meanwhile hands on the writes the port queued and the other
 * members' doorbells.
 */
static void wait_for_stop(struct vmm *m)
{
    while (vm_stop_reason(&m->mach.vm) == VM_STOP_NONE) {
        struct pollfd fds[2 + VMM_MAX_SHARED] = {{.fd = m->stop_fd, .events = POLLIN},
                                                 {.fd = m->signal_fd, .events = POLLIN}};
        unsigned region[VMM_MAX_SHARED];
        unsigned bells = shared_regions_pollfds(&m->shared, fds + 2, region);
        int n = poll(fds, 2 + bells, BUFFERED_FLUSH_MS);
        if (n < 0 && errno != EINTR)
            break;
        vm_flush_buffered_writes(&m->mach.vm);
        console_flush(&m->console);
        machine_tick(&m->mach);
        if (n <= 0)
            continue;
        for (unsigned i = 0; i < bells; i++) {
            if (fds[2 + i].revents & POLLIN)
                shared_regions_doorbell(&m->shared, &m->mach, region[i]);
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                LOG_WARN("signal %u: stopping the VM", si.ssi_signo);
                vm_request_stop(&m->mach.vm, VM_STOP_REQUESTED);
            }
        }
    }
    host_eventfd_drain(m->stop_fd);
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
    m->stop_fd = host_eventfd_create();
    if (m->signal_fd < 0 || m->stop_fd < 0) {
        LOG_ERR("cannot create the VMM's signal and stop descriptors: %s", strerror(errno));
        return -STDVMM_EIO;
    }
    return 0;
}

/*
 * What this VM's devices need beyond every VMM's lists, and the directory
 * the console log may rotate in; then no_new_privs and the filters.
 */
static int sandbox_init(struct vmm *m)
{
    const struct vmm_config *cfg = m->cfg;
    unsigned needs = 0;

    for (unsigned i = 0; i < cfg->net_count; i++) {
        if (cfg->nets[i].backend == VMM_NET_USER)
            needs |= HOST_SANDBOX_INET;
        if (cfg->nets[i].backend == VMM_NET_VHOST_USER)
            needs |= HOST_SANDBOX_UNIX | HOST_SANDBOX_VHOST;
    }
    if (cfg->vsock.enabled)
        needs |= HOST_SANDBOX_UNIX;
    /* vhost-user backends: messages with descriptors, reconnection, ring hand-over on vCPUs. */
    if (cfg->fs_count > 0)
        needs |= HOST_SANDBOX_UNIX | HOST_SANDBOX_VHOST;
    for (unsigned i = 0; i < cfg->disk_count; i++)
        needs |= cfg->disks[i].vhost_user != NULL ? HOST_SANDBOX_UNIX | HOST_SANDBOX_VHOST
                                                  : HOST_SANDBOX_URING;
    /*
     * A jailed VMM's uid may not write the log's directory (the log starts
     * over instead of rotating), so it gets no file creation at all.
     */
    return host_sandbox_init(cfg->seccomp, needs,
                             cfg->jail != NULL ? -1 : console_log_dir_fd(&m->console));
}

/*
 * The jail binds the directory of a socket the VMM dials by path after it
 * entered the jail, at the same path. Relative paths are left out: inside,
 * they would resolve from the jail's root.
 */
static void jail_bind_parent(struct vmm *m, struct host_jail *j, const char *socket)
{
    char dir[sizeof(m->jail_binds[0])];
    const char *slash = socket != NULL ? strrchr(socket, '/') : NULL;

    if (slash == NULL || slash == socket || socket[0] != '/' ||
        (size_t)(slash - socket) >= sizeof(dir))
        return;
    memcpy(dir, socket, (size_t)(slash - socket));
    dir[slash - socket] = '\0';
    for (unsigned i = 0; i < j->bind_count; i++) {
        if (strcmp(j->binds[i], dir) == 0)
            return;
    }
    _Static_assert(HOST_JAIL_MAX_BINDS >= 1 + VMM_MAX_DISKS + VMM_MAX_NETS + VMM_MAX_FS,
                   "a bind for the vsock socket's directory and each vhost-user socket's");
    memcpy(m->jail_binds[j->bind_count], dir, sizeof(dir));
    j->binds[j->bind_count] = m->jail_binds[j->bind_count];
    j->bind_count++;
}

/* What the jail allows: the VM's own size, its disks' sizes, the paths its devices reach. */
static void jail_fill(struct vmm *m, struct host_jail *j)
{
    const struct vmm_config *cfg = m->cfg;
    struct stat st;
    uint64_t images = 0, biggest = cfg->serial_max != 0 ? cfg->serial_max : 16ull << 20;

    *j = (struct host_jail){.dir = cfg->jail, .name = cfg->name, .uid = cfg->jail_id,
                            .gid = cfg->jail_id, .dev_kvm = true, .nofile_max = 4096,
                            .seccomp = cfg->seccomp};
    if (stat(cfg->kernel, &st) == 0)
        images += (uint64_t)st.st_size;
    if (cfg->initramfs != NULL && stat(cfg->initramfs, &st) == 0)
        images += (uint64_t)st.st_size;
    /* Guest RAM, the images' copies, and room for the VMM itself and its page cache. */
    j->memory_max = cfg->memory + images + (256ull << 20);
    /* vCPUs, a thread per device, main, API, console, io_uring workers. */
    j->pids_max = cfg->cpus + 64;
    for (unsigned i = 0; i < cfg->disk_count; i++) {
        if (cfg->disks[i].path != NULL && stat(cfg->disks[i].path, &st) == 0 &&
            (uint64_t)st.st_size > biggest)
            biggest = (uint64_t)st.st_size;
    }
    /* RAM shared with a vhost-user backend is a memfd, sized with ftruncate: a file too. */
    if (vmm_virtio_shared_ram(cfg) && cfg->memory > biggest)
        biggest = cfg->memory;
    j->fsize_max = biggest + (1ull << 20);
    for (unsigned i = 0; i < cfg->net_count; i++) {
        if (cfg->nets[i].backend == VMM_NET_USER)
            j->host_net = j->resolv_conf = true;
    }
    /* Guest connections to vsock port P go to the path "<socket>_P", beside the socket. */
    if (cfg->vsock.enabled && cfg->vsock.socket != NULL)
        jail_bind_parent(m, j, cfg->vsock.socket);
    /*
     * A vhost-user backend that restarts (the manager's stdvmm-switch, say)
     * is dialled again at the same path from inside the jail. The socket's
     * own permissions then decide: the jail's uid is nobody else's.
     */
    for (unsigned i = 0; i < cfg->disk_count; i++)
        jail_bind_parent(m, j, cfg->disks[i].vhost_user);
    for (unsigned i = 0; i < cfg->net_count; i++) {
        if (cfg->nets[i].backend == VMM_NET_VHOST_USER)
            jail_bind_parent(m, j, cfg->nets[i].vhost_user);
    }
    for (unsigned i = 0; i < cfg->fs_count; i++)
        jail_bind_parent(m, j, cfg->fs[i].socket);
}

/* Opened before the jail, where the paths are. */
static int open_images(struct vmm *m)
{
    int r = host_file_image_open(&m->kernel, m->cfg->kernel, "kernel");
    if (r == 0 && m->cfg->initramfs != NULL)
        r = host_file_image_open(&m->initrd, m->cfg->initramfs, "initramfs");
    return r;
}

/*
 * Read after the jail's fork, in the VMM alone: copies made before it
 * stayed in the supervisor too, 11 MiB for the guest kit that the VMM's
 * own release (no_reboot) never gave back.
 */
static int read_images(struct vmm *m)
{
    int r = host_file_image_read(&m->kernel);
    if (r == 0 &&
        arch_probe_kernel(m->kernel.data, m->kernel.size, m->cfg->arch.kernel_format) < 0) {
        LOG_ERR("kernel %s: not a kernel image stdvmm can boot on this architecture",
                m->cfg->kernel);
        r = -STDVMM_ENOEXEC;
    }
    if (r == 0 && m->cfg->initramfs != NULL)
        r = host_file_image_read(&m->initrd);
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
    host_init(m);
    if (vmm_config_check(cfg) < 0) {
        vcpu_park_destroy(&m->park);
        free(m);
        return VMM_EXIT_USAGE;
    }
    struct host_jail jail;
    if (cfg->jail != NULL) {
        jail_fill(m, &jail);
        /* Before anything is allocated, so the VM's memory is charged to its cgroup. */
        if (host_jail_cgroup(&jail) < 0)
            goto out;
    }
    /* Before any thread exists: the VMM's threads inherit the vmm_threads affinity. */
    if (sched_policy_start(&m->sched, cfg->placement, cfg->cpus) < 0)
        goto out;
    /* Disk images first: one that another stdvmm holds is the likeliest refusal. */
    if (vmm_virtio_open(&m->virtio, cfg) < 0)
        goto out;
    if (open_images(m) < 0 || setup_signals(m) < 0 || console_open(&m->console, cfg) < 0)
        goto out;
    console_batch(&m->console); /* wait_for_stop() flushes */
    /* Mapped once, before the jail: the memory outlives the guest's reboots. */
    if (shared_regions_open(&m->shared, cfg) < 0)
        goto out;
    if (cfg->api_socket != NULL && vm_api_open(&m->api, cfg->api_socket, cfg, m->sched) < 0)
        goto out;
    /* Everything the VM uses by descriptor is open: now the jail, which forks, so no thread yet. */
    if (cfg->jail != NULL) {
        if (host_jail_enter(&jail) < 0)
            goto out;
        console_log_in_place(&m->console);
    }
    if (read_images(m) < 0)
        goto out;
    /* Before the first thread: each thread loads its kind's filter as it starts. */
    if (sandbox_init(m) < 0 || vm_api_start(m->api) < 0)
        goto out;
    host_sandbox_enter(HOST_THREAD_MAIN);

    for (;;) {
        if (build(m) < 0) {
            machine_teardown(&m->mach);
            break;
        }
        /*
         * The kernel and initramfs are in guest RAM now; their copies are
         * kept only to build the VM again after a guest reset. Without
         * reboots they are the VMM's largest private memory (~11 MiB for
         * the guest kit): give them back. The integration case vmm_memory
         * checks both ways.
         */
        if (cfg->no_reboot) {
            host_file_image_release(&m->kernel);
            host_file_image_release(&m->initrd);
        }
        vcpu_park_attach(&m->park, &m->mach.vm);
        api_attach(m);
        console_input_fn input = uart_input;
        void *input_ctx = &m->mach.uart;
        vmm_virtio_console_input(m->virtio, &input, &input_ctx);
        if (console_start_input(&m->console, &m->mach.vm, input, input_ctx) < 0 ||
            vmm_virtio_start(m->virtio) < 0 || (place_workers(m), start_vcpus(m) < 0)) {
            vm_api_detach(m->api);
            vcpu_park_detach(&m->park);
            join_vcpus(m);
            machine_teardown(&m->mach);
            break;
        }
        wait_for_stop(m);
        vm_api_detach(m->api);
        vcpu_park_detach(&m->park); /* releases vCPUs parked by a pause */
        join_vcpus(m);
        enum vm_stop_reason reason = vm_stop_reason(&m->mach.vm);
        machine_teardown(&m->mach);
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
    sched_policy_stop(m->sched);
    console_close(&m->console);
    host_file_image_release(&m->kernel);
    host_file_image_release(&m->initrd);
    vmm_virtio_close(m->virtio);
    shared_regions_close(&m->shared);
    if (m->stop_fd >= 0)
        close(m->stop_fd);
    if (m->signal_fd >= 0)
        close(m->signal_fd);
    vcpu_park_destroy(&m->park);
    free(m);
    return status;
}
