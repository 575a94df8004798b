/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime's virtio wiring (src/runtime/virtio_devices.c) on a machine
 * built by the machine layer against the recording port, whose doorbells
 * are real eventfds: each device gets a QueueNotify ioeventfd and an irqfd
 * from the port; a guest notification delivered the way the hypervisor
 * delivers it (the ioeventfd signalled, no exit) runs the device on its
 * thread, and the device's interrupt comes out of the irqfd; teardown
 * removes every doorbell it added and destroys every notifier. A port that
 * refuses irqfds leaves the device working through the interrupt line.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bzimage_sample.h"
#include "runtime/console.h"
#include "runtime/vcpu_park.h"
#include "runtime/virtio_devices.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/machine.h"
#include "virtio_driver.h"
#include "test_hv_record.h"

#define RNG_BUF (TD_DATA + 0x1000ull)
#define RNG_LEN 256

struct fixture {
    uint8_t kernel[BZIMAGE_SAMPLE_SIZE];
    char disk[64];
    struct vmm_config cfg;
    struct vmm_virtio *virtio;
    struct console con;
    struct vcpu_park park;
    int ram_fds[ARCH_MAX_RAM_REGIONS];
    struct machine mach;
    struct machine_host host;
    struct td d; /* the guest driver, on the machine's own RAM */
};

static void *ram_alloc(void *ctx, unsigned index, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    (void)index;
    (void)gpa;
    return calloc(1, size);
}

static void ram_free(void *ctx, void *ram, uint64_t size)
{
    (void)ctx;
    (void)size;
    free(ram);
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return 0;
}

static int add_virtio(void *ctx, struct machine *m)
{
    struct fixture *f = ctx;
    return vmm_virtio_build(f->virtio, m, f->ram_fds, &f->con, &f->park);
}

static void remove_virtio(void *ctx, struct machine *m)
{
    struct fixture *f = ctx;
    (void)m;
    vmm_virtio_teardown(f->virtio);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    hv_record_reset();
    bzimage_sample(f->kernel);
    snprintf(f->disk, sizeof(f->disk), "/tmp/test_virtio_wiring.XXXXXX");
    int fd = mkstemp(f->disk);
    if (fd < 0 || ftruncate(fd, 1 << 20) != 0)
        return -1;
    close(fd);
    f->cfg = (struct vmm_config){
        .name = "t", .cpus = 1, .memory = 64ull << 20, .rng = true, .disk_count = 1};
    f->cfg.disks[0] = (struct vmm_disk){.path = f->disk, .id = "data"};
    for (unsigned i = 0; i < ARCH_MAX_RAM_REGIONS; i++)
        f->ram_fds[i] = -1;
    vcpu_park_init(&f->park);
    f->host = (struct machine_host){.ctx = f,
                                    .ram_alloc = ram_alloc,
                                    .ram_free = ram_free,
                                    .now_ns = now_ns,
                                    .add_devices = add_virtio,
                                    .remove_devices = remove_virtio};
    if (vmm_virtio_open(&f->virtio, &f->cfg) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vmm_virtio_close(f->virtio);
    vcpu_park_destroy(&f->park);
    unlink(f->disk);
    free(f);
    return 0;
}

static int build(struct fixture *f)
{
    const struct machine_desc desc = {.name = "t",
                                      .cpus = 1,
                                      .memory = f->cfg.memory,
                                      .kernel = f->kernel,
                                      .kernel_size = sizeof(f->kernel),
                                      .cmdline = "console=ttyS0"};
    return machine_build(&f->mach, &desc, &f->host);
}

static struct machine_virtio *device(struct fixture *f, const char *name)
{
    for (unsigned i = 0; i < f->mach.virtio_count; i++)
        if (strcmp(f->mach.virtio[i]->name, name) == 0)
            return f->mach.virtio[i];
    fail_msg("no virtio device %s", name);
    return NULL;
}

/* The guest's driver brings rng up on the machine's RAM and posts one buffer. */
static void rng_driver(struct fixture *f, struct machine_virtio *rng)
{
    memset(&f->d, 0, sizeof(f->d));
    assert_true(f->mach.ram_count >= 1 && f->mach.ram[0].gpa == 0);
    f->d.ram = (uint8_t *)f->mach.ram[0].host + TD_RAM_GPA;
    td_start(&f->d, &rng->transport, 1, 16, TD_FEATURES_ALL);
    td_desc(&f->d, 0, 0, RNG_BUF, RNG_LEN, VIRTQ_DESC_F_WRITE, 0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    td_avail(&f->d, 0, 0);
}

static bool readable_within(long fd, int ms)
{
    struct pollfd p = {.fd = (int)fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

static void guest_notification_in_interrupt_out(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(build(f), 0);
    struct machine_virtio *rng = device(f, "rng"), *blk = device(f, "blk0");
    uint64_t notify = rng->cfg.slot.base + VIRTIO_MMIO_QUEUE_NOTIFY;
    long kick = hv_record_doorbell("ioeventfd", notify);
    long irq = hv_record_doorbell("irqfd", machine_virtio_irq(rng));
    assert_true(kick >= 0);
    assert_true(irq >= 0);
    /* Every device has its own pair. */
    assert_true(hv_record_doorbell("ioeventfd", blk->cfg.slot.base + VIRTIO_MMIO_QUEUE_NOTIFY) >=
                0);
    assert_true(hv_record_doorbell("irqfd", machine_virtio_irq(blk)) >= 0);
    assert_int_equal(hv_record_doorbell_count, 2 * f->mach.virtio_count);

    assert_int_equal(vmm_virtio_start(f->virtio), 0);
    rng_driver(f, rng);
    assert_false(readable_within(irq, 0));
    /* What KVM does on the guest's QueueNotify write: signal the ioeventfd, no exit. */
    host_eventfd_signal((int)kick);
    if (!readable_within(irq, 5000))
        fail_msg("no interrupt on the irqfd within 5 s of the notification");
    assert_int_equal(
        __atomic_load_n((volatile uint16_t *)td_ptr(&f->d, f->d.q[0].used + 2), __ATOMIC_ACQUIRE),
        1);
    uint32_t id, len;
    td_used_elem(&f->d, 0, 0, &id, &len);
    assert_int_equal(len, RNG_LEN);
    /* The runtime's rng backend is getrandom: the buffer holds its bytes. */
    bool zero = true;
    for (unsigned i = 0; i < RNG_LEN; i++)
        zero = zero && *td_ptr(&f->d, RNG_BUF + i) == 0;
    assert_false(zero);

    machine_teardown(&f->mach);
    /* Every doorbell added was removed (a stray removal fails the port), every notifier gone. */
    assert_int_equal(hv_record_doorbell_count, 0);
    assert_int_equal(hv_record_live_notifiers, 0);
    assert_non_null(strstr(hv_record_log, "remove_ioeventfd"));
    assert_non_null(strstr(hv_record_log, "remove_irqfd"));
}

static void without_irqfd_the_device_still_works(void **state)
{
    struct fixture *f = *state;

    hv_record_fail_at = "irqfd"; /* this port has no irqfd */
    assert_int_equal(build(f), 0);
    struct machine_virtio *rng = device(f, "rng");
    long kick = hv_record_doorbell("ioeventfd", rng->cfg.slot.base + VIRTIO_MMIO_QUEUE_NOTIFY);
    assert_true(kick >= 0);
    assert_int_equal(hv_record_doorbell("irqfd", machine_virtio_irq(rng)), -1);
    /* The notifier made for the irqfd went back at once. */
    assert_int_equal(hv_record_live_notifiers, (int)f->mach.virtio_count);

    assert_int_equal(vmm_virtio_start(f->virtio), 0);
    rng_driver(f, rng);
    host_eventfd_signal((int)kick);
    int ms = 0;
    while (__atomic_load_n((volatile uint16_t *)td_ptr(&f->d, f->d.q[0].used + 2),
                           __ATOMIC_ACQUIRE) != 1 &&
           ms++ < 5000)
        usleep(1000);
    assert_int_equal(td_used_idx(&f->d, 0), 1);

    machine_teardown(&f->mach);
    assert_int_equal(hv_record_doorbell_count, 0);
    assert_int_equal(hv_record_live_notifiers, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(guest_notification_in_interrupt_out, setup, teardown),
        cmocka_unit_test_setup_teardown(without_irqfd_the_device_still_works, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
