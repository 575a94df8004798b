/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The portable machine layer (src/machine) against a recording port: the
 * build sequence every port shares, what it asks of the host, and that a
 * failure at any step is reported and leaves nothing behind after
 * machine_teardown(). x86_64 builds only (the machine is built with that
 * arch's hooks and a synthetic bzImage).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86_64/bzimage.h"
#include "bzimage_sample.h"
#include "stdvmm/bus.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/machine.h"
#include "test_hv_record.h"

static uint8_t kernel[BZIMAGE_SAMPLE_SIZE];

static void make_kernel(void)
{
    bzimage_sample(kernel);
}

/* What the host saw. */
struct host_log {
    unsigned allocs, frees, devices_added, devices_removed;
    int vcpus_at_remove; /* live vCPUs when the host's devices were removed */
    uint64_t alloc_gpa[ARCH_MAX_RAM_REGIONS];
    bool fail_alloc, fail_devices;
    const char *extra;
    char console[64];
    size_t console_len;
    uint64_t now;
};

static void *ram_alloc(void *ctx, unsigned index, uint64_t gpa, uint64_t size)
{
    struct host_log *h = ctx;
    if (h->fail_alloc && index == 0)
        return NULL;
    assert_true(index < ARCH_MAX_RAM_REGIONS);
    h->alloc_gpa[index] = gpa;
    h->allocs++;
    return calloc(1, size);
}

static void ram_free(void *ctx, void *ram, uint64_t size)
{
    struct host_log *h = ctx;
    (void)size;
    free(ram);
    h->frees++;
}

static void console_tx(void *ctx, const uint8_t *buf, size_t len)
{
    struct host_log *h = ctx;
    assert_true(h->console_len + len < sizeof(h->console));
    memcpy(h->console + h->console_len, buf, len);
    h->console_len += len;
}

static uint64_t now_ns(void *ctx)
{
    return ((struct host_log *)ctx)->now;
}

static int add_devices(void *ctx, struct machine *m)
{
    struct host_log *h = ctx;
    assert_non_null(m->vm.hv); /* after the hypervisor VM, before the vCPUs */
    assert_null(m->vm.vcpus[0].hv);
    h->devices_added++;
    return h->fail_devices ? -STDVMM_EBUSY : 0;
}

static void remove_devices(void *ctx, struct machine *m)
{
    struct host_log *h = ctx;
    /* Devices go first, while vCPUs and RAM still exist. */
    for (unsigned i = 0; i < m->ram_count; i++)
        assert_non_null(m->ram[i].host);
    h->vcpus_at_remove = hv_record_live_vcpus;
    h->devices_removed++;
}

static int cmdline_extra(void *ctx, char *buf, size_t size)
{
    struct host_log *h = ctx;
    snprintf(buf, size, "%s", h->extra ? h->extra : "");
    return 0;
}

static struct machine mach;
static struct host_log hlog;

/* Devices a test wants the host to add: an rng and a console, or too many. */
static unsigned want_devices;
static struct machine_virtio vdevs[MACHINE_MAX_VIRTIO + 1];
static struct virtio_rng rng_models[MACHINE_MAX_VIRTIO + 1];
static struct virtio_console console_model;

static size_t no_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

static void ignore(void *ctx)
{
    (void)ctx;
}

static int add_virtio_devices(void *ctx, struct machine *m)
{
    int r = add_devices(ctx, m);
    for (unsigned i = 0; r == 0 && i < want_devices; i++) {
        struct machine_virtio *d = &vdevs[i];
        memset(d, 0, sizeof(*d));
        d->cfg.slot.interrupt = ignore;
        d->cfg.slot.kick = ignore;
        if (i == 1) {
            d->kind = MACHINE_VIRTIO_CONSOLE;
            snprintf(d->name, sizeof(d->name), "console");
            r = machine_add_virtio(m, d, &console_model);
        } else {
            d->kind = MACHINE_VIRTIO_RNG;
            snprintf(d->name, sizeof(d->name), "rng%u", i);
            d->cfg.rng.backend.fill = no_entropy;
            r = machine_add_virtio(m, d, &rng_models[i]);
        }
    }
    return r;
}

static struct machine_host make_host(void)
{
    return (struct machine_host){
        .ctx = &hlog,
        .ram_alloc = ram_alloc,
        .ram_free = ram_free,
        .console_tx = console_tx,
        .now_ns = now_ns,
        .start_ns = 1000,
        .add_devices = add_devices,
        .remove_devices = remove_devices,
        .cmdline_extra = cmdline_extra,
    };
}

static const struct machine_desc desc2 = {
    .name = "t",
    .cpus = 2,
    .memory = 256ull << 20,
    .kernel = kernel,
    .kernel_size = sizeof(kernel),
    .cmdline = "console=ttyS0",
};

static int setup(void **state)
{
    (void)state;
    make_kernel();
    hv_record_reset();
    memset(&hlog, 0, sizeof(hlog));
    memset(&mach, 0, sizeof(mach));
    return 0;
}

/* Index of word in the log, or -1. */
static long at(const char *word)
{
    const char *p = strstr(hv_record_log, word);
    return p ? p - hv_record_log : -1;
}

static void builds_in_the_port_contract_order(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    hlog.extra = "stdvmm.irq_affinity=5:1";

    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    /* hypervisor VM, RAM, interrupt controller, then vCPUs, boot vCPU's registers before vCPU 1 */
    assert_true(at("vm_create(2)") == 0);
    assert_true(at("map(0x0)") > at("vm_create(2)"));
    assert_true(at("irqchip") > at("map(0x0)"));
    assert_true(at("vcpu_create(0)") > at("irqchip"));
    assert_true(at("set_regs(0)") > at("vcpu_create(0)"));
    assert_true(at("vcpu_create(1)") > at("set_regs(0)"));
    assert_int_equal(at("set_regs(1)"), -1); /* application processors wait for INIT/SIPI */
    assert_int_equal(hlog.devices_added, 1);
    assert_int_equal(hlog.allocs, mach.ram_count);
    assert_int_equal(hlog.alloc_gpa[0], 0);
    assert_string_equal(mach.cmdline, "console=ttyS0 stdvmm.irq_affinity=5:1");
    assert_int_equal(mach.vm.vcpu_count, 2);
    /* Guest RAM is reachable through the checked accessor. */
    assert_true(gmem_contains(&mach.vm.mem, 0x100000, 4096));
    assert_false(gmem_contains(&mach.vm.mem, 256ull << 20, 1));

    machine_teardown(&mach);
    assert_int_equal(hlog.devices_removed, 1);
    assert_int_equal(hlog.vcpus_at_remove, 2); /* devices stop before the vCPUs go */
    assert_int_equal(hlog.frees, hlog.allocs);
    assert_int_equal(hv_record_live_vms, 0);
    assert_int_equal(hv_record_live_vcpus, 0);
}

static void platform_devices_reach_the_host(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const uint8_t c = 'x', magic = BOOT_TIMER_MAGIC;
    uint64_t ns;

    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    /* A byte written to COM1's THR comes out of the host's console. */
    assert_int_equal(bus_write(&mach.vm.pio, SERIAL8250_COM1_PORT, &c, 1), 0);
    assert_int_equal(hlog.console_len, 1);
    assert_int_equal(hlog.console[0], 'x');
    /* The boot timer counts on the host's clock from the host's start. */
    hlog.now = 5000;
    assert_int_equal(bus_write(&mach.vm.pio, BOOT_TIMER_X86_PORT, &magic, 1), 0);
    assert_true(boot_timer_userspace_ns(&mach.boot_timer, &ns));
    assert_int_equal(ns, 4000);
    machine_teardown(&mach);
}

static void uart_without_console_drops_output(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const uint8_t c = 'x';

    host.console_tx = NULL;
    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    assert_int_equal(bus_write(&mach.vm.pio, SERIAL8250_COM1_PORT, &c, 1), 0);
    assert_int_equal(hlog.console_len, 0);
    machine_teardown(&mach);
}

/*
 * A host that flushes gets COM1's THR as the port's buffered writes while
 * the guest's UART programming leaves a late write invisible, and loses them
 * the moment a THRE interrupt is enabled; one that does not gets none.
 */
static void console_thr_is_buffered_only_while_invisible(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const uint8_t thri = SERIAL8250_IER_THRI, none = 0;

    host.buffer_console = true;
    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    assert_true(at("buffer(0x3f8+1,pio)") >= 0);
    assert_int_equal(at("unbuffer(0x3f8+1,pio)"), -1);
    assert_int_equal(bus_write(&mach.vm.pio, SERIAL8250_COM1_PORT + SERIAL8250_IER, &thri, 1), 0);
    assert_true(at("unbuffer(0x3f8+1,pio)") > at("buffer(0x3f8+1,pio)"));
    hv_record_log[0] = '\0';
    assert_int_equal(bus_write(&mach.vm.pio, SERIAL8250_COM1_PORT + SERIAL8250_IER, &none, 1), 0);
    assert_true(at("buffer(0x3f8+1,pio)") == 0);
    machine_teardown(&mach);

    hv_record_reset();
    host.buffer_console = false;
    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    assert_int_equal(bus_write(&mach.vm.pio, SERIAL8250_COM1_PORT + SERIAL8250_IER, &thri, 1), 0);
    assert_int_equal(at("buffer("), -1);
    assert_int_equal(at("unbuffer("), -1);
    machine_teardown(&mach);
}

static void no_ram_is_reported_and_nothing_leaks(void **state)
{
    (void)state;
    struct machine_host host = make_host();

    hlog.fail_alloc = true;
    assert_int_equal(machine_build(&mach, &desc2, &host), -STDVMM_ENOMEM);
    assert_int_equal(at("vcpu_create"), -1);
    machine_teardown(&mach);
    assert_int_equal(hlog.frees, 0);
    assert_int_equal(hv_record_live_vms, 0);
}

static void a_failing_port_call_stops_the_build(void **state)
{
    static const char *steps[] = {"vm_create",   "map",       "irqchip", "pit",
                                  "vcpu_create", "set_cpuid", "set_regs"};
    for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        setup(state);
        struct machine_host host = make_host();
        hv_record_fail_at = steps[i];
        assert_int_equal(machine_build(&mach, &desc2, &host), -STDVMM_EIO);
        machine_teardown(&mach);
        assert_int_equal(hlog.frees, hlog.allocs);
        assert_int_equal(hv_record_live_vms, 0);
        assert_int_equal(hv_record_live_vcpus, 0);
    }
}

static void a_failing_host_device_stops_the_build(void **state)
{
    (void)state;
    struct machine_host host = make_host();

    hlog.fail_devices = true;
    assert_int_equal(machine_build(&mach, &desc2, &host), -STDVMM_EBUSY);
    assert_int_equal(at("vcpu_create"), -1); /* no kernel load, no vCPUs after it */
    machine_teardown(&mach);
    assert_int_equal(hlog.frees, hlog.allocs);
    assert_int_equal(hv_record_live_vms, 0);
}

static void an_overlong_command_line_is_refused(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    static char longline[MACHINE_CMDLINE_MAX];
    struct machine_desc d = desc2;

    /* Fits alone; with the VMM's own argument it does not. */
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    d.cmdline = longline;
    hlog.extra = "x";
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_E2BIG);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

static void a_bad_kernel_is_refused(void **state)
{
    (void)state;
    struct machine_host host = make_host();

    memcpy(kernel + X86_HDR_MAGIC, "NOPE", 4);
    assert_true(machine_build(&mach, &desc2, &host) < 0);
    assert_int_equal(at("vcpu_create"), -1);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

static void rebuilds_after_teardown(void **state)
{
    (void)state;
    struct machine_host host = make_host();

    /* A guest reboot rebuilds the whole machine in the same storage. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(machine_build(&mach, &desc2, &host), 0);
        machine_teardown(&mach);
    }
    assert_int_equal(hlog.frees, hlog.allocs);
    assert_int_equal(hlog.devices_added, 3);
    assert_int_equal(hv_record_live_vms, 0);
}

/*
 * Issue #15, item 5: every reboot builds the machine again from the kernel
 * image in memory. That image was a MAP_PRIVATE mapping of the file, so
 * truncating the file while the VM ran made the next build SIGBUS (and
 * rewriting it in place tore the copy). The image is read once now: the
 * reboot after the file is gone loads the same bytes as the first boot.
 */
static void reboot_after_the_kernel_file_is_truncated(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    char path[] = "/tmp/stdvmm-kernel-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, kernel, sizeof(kernel)), (ssize_t)sizeof(kernel));
    close(fd);
    struct host_file_image img;
    assert_int_equal(host_file_image_load(&img, path, "kernel"), 0);
    struct machine_desc d = desc2;
    d.kernel = img.data;
    d.kernel_size = img.size;

    static uint8_t payload[BZIMAGE_SAMPLE_KERNEL_SIZE];
    for (int boot = 0; boot < 2; boot++) {
        assert_int_equal(machine_build(&mach, &d, &host), 0);
        /* 16 MiB: the sample kernel's pref_address. */
        assert_int_equal(gmem_read(&mach.vm.mem, 0x1000000, payload, sizeof(payload)), 0);
        assert_memory_equal(payload, kernel + BZIMAGE_SAMPLE_SETUP_SIZE, sizeof(payload));
        machine_teardown(&mach);
        /* While the guest runs, the file is replaced in place and then cut to nothing. */
        fd = open(path, O_WRONLY);
        assert_true(fd >= 0);
        static uint8_t other[BZIMAGE_SAMPLE_SIZE];
        memset(other, 0xcc, sizeof(other));
        assert_int_equal(write(fd, other, sizeof(other)), (ssize_t)sizeof(other));
        assert_int_equal(ftruncate(fd, 0), 0);
        close(fd);
    }
    host_file_image_release(&img);
    unlink(path);
}

static uint32_t mmio_read32(uint64_t addr)
{
    uint8_t b[4];
    assert_int_equal(bus_read(&mach.vm.mmio, addr, b, 4), 0);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void virtio_devices_get_slots_in_order(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const struct arch_platform *p = arch_platform();

    host.add_devices = add_virtio_devices;
    want_devices = 3;
    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    assert_int_equal(mach.virtio_count, 3);
    for (unsigned i = 0; i < 3; i++) {
        const struct machine_virtio *d = mach.virtio[i];
        uint64_t base = p->virtio_mmio_base + i * p->virtio_mmio_stride;
        assert_ptr_equal(d, &vdevs[i]);
        assert_int_equal(d->index, i);
        assert_int_equal(d->cfg.slot.base, base);
        assert_int_equal(machine_virtio_irq(d), p->virtio_irq_base + i);
        assert_int_equal(machine_virtio_hwirq(d), p->hwirq_base + p->virtio_irq_base + i);
        /* The model answers on the VM's MMIO bus at its window. */
        assert_int_equal(mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
        assert_int_equal(mmio_read32(base + VIRTIO_MMIO_DEVICE_ID),
                         i == 1 ? VIRTIO_ID_CONSOLE : VIRTIO_ID_RNG);
    }
    machine_teardown(&mach);
    assert_int_equal(mach.virtio_count, 0);
}

static void too_many_virtio_devices_are_refused(void **state)
{
    (void)state;
    struct machine_host host = make_host();

    host.add_devices = add_virtio_devices;
    want_devices = MACHINE_MAX_VIRTIO + 1;
    assert_int_equal(machine_build(&mach, &desc2, &host), -STDVMM_ENOSPC);
    assert_int_equal(mach.virtio_count, MACHINE_MAX_VIRTIO);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

static void an_unknown_virtio_kind_is_refused(void **state)
{
    (void)state;
    struct machine_virtio d = {.kind = MACHINE_VIRTIO_KINDS, .name = "bad"};
    struct virtio_rng model;

    assert_int_equal(machine_add_virtio(&mach, &d, &model), -STDVMM_EINVAL);
    d.kind = MACHINE_VIRTIO_RNG;
    assert_int_equal(machine_add_virtio(&mach, &d, NULL), -STDVMM_EINVAL);
    assert_int_equal(mach.virtio_count, 0);
}

/* The slot hooks of the wired-request test: what reached the host. */
static unsigned wired_interrupts, wired_kicks;

static void count_interrupt(void *ctx)
{
    (void)ctx;
    wired_interrupts++;
}

static void count_kick(void *ctx)
{
    (void)ctx;
    wired_kicks++;
}

static size_t fill_0x5a(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x5a, len);
    return len;
}

static int add_wired_rng(void *ctx, struct machine *m)
{
    int r = add_devices(ctx, m);
    struct machine_virtio *d = &vdevs[0];
    memset(d, 0, sizeof(*d));
    d->kind = MACHINE_VIRTIO_RNG;
    snprintf(d->name, sizeof(d->name), "rng0");
    d->cfg.slot.interrupt = count_interrupt;
    d->cfg.slot.kick = count_kick;
    d->cfg.rng.backend.fill = fill_0x5a;
    return r == 0 ? machine_add_virtio(m, d, &rng_models[0]) : r;
}

static void mmio_write32(uint64_t addr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(bus_write(&mach.vm.mmio, addr, b, 4), 0);
}

static void put_le(uint64_t gpa, uint64_t v, unsigned bytes)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    assert_int_equal(gmem_write(&mach.vm.mem, gpa, b, bytes), 0);
}

static uint64_t get_le(uint64_t gpa, unsigned bytes)
{
    uint8_t b[8];
    uint64_t v = 0;
    assert_int_equal(gmem_read(&mach.vm.mem, gpa, b, bytes), 0);
    for (unsigned i = bytes; i-- > 0;)
        v = v << 8 | b[i];
    return v;
}

/*
 * One request end to end through what the machine wired: a guest driver's
 * register writes on the VM's MMIO bus reach the transport the machine put
 * the device on, the host's notification runs the model (its notify op),
 * the buffer in guest RAM is filled by the backend, and the interrupt goes
 * out through the slot's hook with the reason in InterruptStatus.
 */
static void a_request_travels_through_the_wired_device(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const uint64_t ring = 0x4000000, buf = 0x4100000; /* inside the 256 MiB of RAM */

    host.add_devices = add_wired_rng;
    wired_interrupts = wired_kicks = 0;
    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    const uint64_t base = mach.virtio[0]->cfg.slot.base;

    mmio_write32(base + VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_write32(base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    mmio_write32(base + VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
    mmio_write32(base + VIRTIO_MMIO_STATUS,
                 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(mmio_read32(base + VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    mmio_write32(base + VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(mmio_read32(base + VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_RNG_QUEUE_SIZE);
    mmio_write32(base + VIRTIO_MMIO_QUEUE_NUM, 8);
    mmio_write32(base + VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)ring);
    mmio_write32(base + VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(ring + 0x1000));
    mmio_write32(base + VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(ring + 0x2000));
    mmio_write32(base + VIRTIO_MMIO_QUEUE_READY, 1);
    mmio_write32(base + VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                                VIRTIO_STATUS_FEATURES_OK |
                                                VIRTIO_STATUS_DRIVER_OK);
    unsigned kicks = wired_kicks;
    assert_true(kicks >= 1); /* the worker is woken when the queue and the driver are ready */

    /* One writable buffer of 16 bytes, made available. */
    put_le(ring, buf, 8);
    put_le(ring + 8, 16, 4);
    put_le(ring + 12, 2, 2); /* VIRTQ_DESC_F_WRITE */
    put_le(ring + 0x1000 + 4, 0, 2);
    put_le(ring + 0x1000 + 2, 1, 2); /* avail idx */
    mmio_write32(base + VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(wired_kicks, kicks + 1); /* without an ioeventfd the write kicks the host */
    assert_int_equal(wired_interrupts, 0);

    machine_virtio_process(mach.virtio[0]);             /* the host's worker runs the model */
    assert_int_equal(get_le(ring + 0x2000 + 2, 2), 1);  /* used idx */
    assert_int_equal(get_le(ring + 0x2000 + 4, 4), 0);  /* used id */
    assert_int_equal(get_le(ring + 0x2000 + 8, 4), 16); /* used len */
    assert_int_equal(get_le(buf, 8), 0x5a5a5a5a5a5a5a5aull);
    assert_int_equal(get_le(buf + 8, 8), 0x5a5a5a5a5a5a5a5aull);
    assert_int_equal(wired_interrupts, 1);
    assert_int_equal(mmio_read32(base + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
    mmio_write32(base + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING);
    assert_int_equal(mmio_read32(base + VIRTIO_MMIO_INTERRUPT_STATUS), 0);

    /* A reset through the bus stops the queue; quiesce is safe on any kind. */
    mmio_write32(base + VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(mmio_read32(base + VIRTIO_MMIO_QUEUE_READY), 0);
    machine_virtio_quiesce(mach.virtio[0]);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

/*
 * Two machines in one address space (as in the seL4 admin, or a process
 * with several VMs): each has its own arch state, so the PC reset register
 * of one resets that one only.
 */
static void two_machines_keep_their_own_arch_state(void **state)
{
    (void)state;
    static struct machine other;
    struct machine_host host = make_host();
    const uint8_t reset = 0xfe; /* i8042 command: pulse the CPU reset line */

    assert_int_equal(machine_build(&mach, &desc2, &host), 0);
    assert_int_equal(machine_build(&other, &desc2, &host), 0);
    assert_int_equal(bus_write(&mach.vm.pio, 0x64, &reset, 1), 0);
    assert_int_equal(vm_stop_reason(&mach.vm), VM_STOP_RESET);
    assert_int_equal(vm_stop_reason(&other.vm), VM_STOP_NONE);
    assert_int_equal(bus_write(&other.vm.pio, 0x64, &reset, 1), 0);
    assert_int_equal(vm_stop_reason(&other.vm), VM_STOP_RESET);
    machine_teardown(&other);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

/* RAM where the user put it: mapped in address order, the hole left out, e820 telling the guest. */
static void a_chosen_memory_map_is_mapped_and_described(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const struct memmap_range map[] = {{1ull << 30, 64ull << 20}, {0, 192ull << 20}};
    struct machine_desc d = desc2;
    d.memory_map = map;
    d.memory_map_count = 2;

    assert_int_equal(machine_build(&mach, &d, &host), 0);
    assert_int_equal(hlog.allocs, 2);
    assert_int_equal(hlog.alloc_gpa[0], 0);
    assert_int_equal(hlog.alloc_gpa[1], 1ull << 30);
    assert_true(at("map(0x40000000)") > at("map(0x0)"));
    assert_int_equal(gmem_total(&mach.vm.mem), 256ull << 20);
    assert_true(gmem_contains(&mach.vm.mem, (1ull << 30) + (64ull << 20) - 4096, 4096));
    assert_false(gmem_contains(&mach.vm.mem, 192ull << 20, 1));
    /* The zero page's e820 table (boot_params: count at 0x1e8, entries of 20 bytes at 0x2d0). */
    uint8_t count = 0;
    assert_int_equal(gmem_read(&mach.vm.mem, 0x7000 + 0x1e8, &count, 1), 0);
    bool described = false;
    for (unsigned i = 0; i < count; i++) {
        uint64_t addr, size;
        uint32_t type;
        uint64_t e = 0x7000 + 0x2d0 + 20ull * i;
        assert_int_equal(gmem_read(&mach.vm.mem, e, &addr, 8), 0);
        assert_int_equal(gmem_read(&mach.vm.mem, e + 8, &size, 8), 0);
        assert_int_equal(gmem_read(&mach.vm.mem, e + 16, &type, 4), 0);
        assert_false(addr < (1ull << 30) && addr + size > (192ull << 20)); /* nothing in the hole */
        described = described || (addr == 1ull << 30 && size == 64ull << 20 && type == 1);
    }
    assert_true(described);
    machine_teardown(&mach);
    assert_int_equal(hlog.frees, 2);
}

static void a_memory_map_the_arch_refuses_allocates_nothing(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    const struct memmap_range map[] = {{0, 192ull << 20}, {3ull << 30, 2ull << 30}};
    struct machine_desc d = desc2;
    d.memory_map = map;
    d.memory_map_count = 2;

    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_EINVAL);
    assert_int_equal(hlog.allocs, 0);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

/* Shared regions: what the host mapped and which rings it passed on. */
static uint8_t shared_mem[2][64 << 10];
static unsigned shared_maps;
static uint32_t rings_passed[4];
static unsigned ring_calls;

static void *shared_map(void *ctx, unsigned index, const struct machine_shared *s)
{
    (void)ctx;
    assert_true(index < 2);
    assert_true(s->size <= sizeof(shared_mem[index]));
    shared_maps++;
    return shared_mem[index];
}

static void shared_ring(void *ctx, unsigned index, uint32_t target)
{
    (void)ctx;
    assert_true(ring_calls < 4);
    rings_passed[ring_calls++] = index << 16 | target;
}

static const struct machine_shared two_regions[] = {
    {.name = "chan",
     .gpa = 4ull << 30,
     .size = 64 << 10,
     .writable = true,
     .doorbell = true,
     .member = 0,
     .members = 2},
    {.name = "board", .gpa = 5ull << 30, .size = 8 << 10, .member = 1, .members = 2},
};

static uint32_t reg32(uint64_t addr)
{
    uint32_t v = 0;
    assert_int_equal(bus_read(&mach.vm.mmio, addr, (uint8_t *)&v, 4), 0);
    return v;
}

/*
 * Each region: its memory mapped (read-only for board), its register page
 * in the top virtio slots, described to the guest, doorbells both ways.
 */
static void shared_regions_are_mapped_described_and_rung(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    host.shared_map = shared_map;
    host.shared_ring = shared_ring;
    struct machine_desc d = desc2;
    d.shared = two_regions;
    d.shared_count = 2;
    shared_maps = ring_calls = 0;

    assert_int_equal(machine_build(&mach, &d, &host), 0);
    assert_int_equal(shared_maps, 2);
    assert_true(at("map(0x100000000)") > at("map(0x0)"));
    assert_true(at("map(0x140000000,ro)") > at("map(0x100000000)"));
    const struct arch_platform *p = arch_platform();
    uint64_t regs0 = p->virtio_mmio_base + (MACHINE_MAX_VIRTIO - 1) * p->virtio_mmio_stride;
    uint64_t regs1 = p->virtio_mmio_base + (MACHINE_MAX_VIRTIO - 2) * p->virtio_mmio_stride;
    unsigned described = 0;
    for (unsigned i = 0; i < mach.vm.device_count; i++) {
        const struct vm_platform_device *v = &mach.vm.devices[i];
        if (v->kind != VM_DEV_SHARED_REGION)
            continue;
        described++;
        if (v->base == regs0) {
            assert_int_equal(v->shm_gpa, 4ull << 30);
            assert_int_equal(v->irq, p->virtio_irq_base + MACHINE_MAX_VIRTIO - 1);
            assert_string_equal(v->label, "chan");
        } else {
            assert_int_equal(v->base, regs1);
            assert_int_equal(v->shm_size, 8 << 10);
        }
    }
    assert_int_equal(described, 2);
    /* x86's ACPI tables name the device (the DSDT is in guest RAM below 1 MiB). */
    static uint8_t low[1 << 20];
    assert_int_equal(gmem_read(&mach.vm.mem, 0, low, sizeof(low)), 0);
    assert_non_null(memmem(low, sizeof(low), "SVMM0001", 8));

    assert_int_equal(reg32(regs0 + SHARED_REGION_MAGIC_REG), SHARED_REGION_MAGIC);
    assert_int_equal(reg32(regs1 + SHARED_REGION_MEMBER), 1);
    uint32_t one = 1;
    assert_int_equal(bus_write(&mach.vm.mmio, regs0 + SHARED_REGION_DOORBELL, (uint8_t *)&one, 4),
                     0);
    assert_int_equal(ring_calls, 1);
    assert_int_equal(rings_passed[0], 0u << 16 | 1);
    machine_shared_doorbell(&mach, 0, 3);
    machine_shared_doorbell(&mach, 7, 1); /* no such region: nothing */
    assert_int_equal(reg32(regs0 + SHARED_REGION_RINGS), 3);
    /* board is read-only: a write exits to the bus and is refused there. */
    assert_int_equal(bus_write(&mach.vm.mmio, (5ull << 30) + 16, (uint8_t *)&one, 4), 0);
    assert_int_equal(shared_region_refused_writes(&mach.shared[1]), 1);
    /* The guest's memory does not include them: no device of this VM reaches them by DMA. */
    assert_false(gmem_contains(&mach.vm.mem, 4ull << 30, 1));
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

static void shared_regions_take_virtio_slots(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    host.shared_map = shared_map;
    host.add_devices = add_virtio_devices;
    struct machine_desc d = desc2;
    d.shared = two_regions;
    d.shared_count = 2;
    want_devices = MACHINE_MAX_VIRTIO - 2;
    assert_int_equal(machine_build(&mach, &d, &host), 0);
    machine_teardown(&mach);
    want_devices = MACHINE_MAX_VIRTIO - 1;
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_ENOSPC);
    machine_teardown(&mach);
    want_devices = 0;
}

static void bad_shared_regions_are_refused(void **state)
{
    (void)state;
    struct machine_host host = make_host();
    struct machine_desc d = desc2;
    struct machine_shared bad[2] = {two_regions[0], two_regions[1]};
    d.shared = bad;
    d.shared_count = 1;
    /* A host that cannot map regions. */
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_EINVAL);
    machine_teardown(&mach);
    host.shared_map = shared_map;
    /* On the VM's RAM. */
    bad[0].gpa = 64ull << 20;
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_EINVAL);
    machine_teardown(&mach);
    /* Two regions on each other. */
    bad[0].gpa = 4ull << 30;
    bad[1].gpa = (4ull << 30) + 4096;
    d.shared_count = 2;
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_EINVAL);
    machine_teardown(&mach);
    /* A member index past the members. */
    bad[1].gpa = 5ull << 30;
    bad[1].member = 2;
    assert_int_equal(machine_build(&mach, &d, &host), -STDVMM_EINVAL);
    machine_teardown(&mach);
    assert_int_equal(hv_record_live_vms, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(builds_in_the_port_contract_order, setup),
        cmocka_unit_test_setup(shared_regions_are_mapped_described_and_rung, setup),
        cmocka_unit_test_setup(shared_regions_take_virtio_slots, setup),
        cmocka_unit_test_setup(bad_shared_regions_are_refused, setup),
        cmocka_unit_test_setup(platform_devices_reach_the_host, setup),
        cmocka_unit_test_setup(uart_without_console_drops_output, setup),
        cmocka_unit_test_setup(console_thr_is_buffered_only_while_invisible, setup),
        cmocka_unit_test_setup(no_ram_is_reported_and_nothing_leaks, setup),
        cmocka_unit_test_setup(a_failing_port_call_stops_the_build, setup),
        cmocka_unit_test_setup(a_failing_host_device_stops_the_build, setup),
        cmocka_unit_test_setup(an_overlong_command_line_is_refused, setup),
        cmocka_unit_test_setup(a_bad_kernel_is_refused, setup),
        cmocka_unit_test_setup(rebuilds_after_teardown, setup),
        cmocka_unit_test_setup(reboot_after_the_kernel_file_is_truncated, setup),
        cmocka_unit_test_setup(virtio_devices_get_slots_in_order, setup),
        cmocka_unit_test_setup(too_many_virtio_devices_are_refused, setup),
        cmocka_unit_test_setup(an_unknown_virtio_kind_is_refused, setup),
        cmocka_unit_test_setup(a_request_travels_through_the_wired_device, setup),
        cmocka_unit_test_setup(two_machines_keep_their_own_arch_state, setup),
        cmocka_unit_test_setup(a_chosen_memory_map_is_mapped_and_described, setup),
        cmocka_unit_test_setup(a_memory_map_the_arch_refuses_allocates_nothing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
