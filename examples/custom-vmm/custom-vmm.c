/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * custom-vmm: a VMM of one's own on the installed stdvmm library
 * (docs/api.md). One VM, built by the machine layer: the UART as its console
 * on stdout, one virtio-blk disk on a raw image, one vCPU thread, and this
 * program's own exit policy: a guest reset is refused (the VM stops instead
 * of rebooting), and a power-off reports how often the guest rang the disk.
 *
 *   custom-vmm KERNEL INITRAMFS DISK-IMAGE "KERNEL COMMAND LINE"
 *
 * The console is output only (no input thread): the guest is expected to
 * run by itself and power off.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "stdvmm/backends/blk_file.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/machine.h"

static struct machine mach;         /* the VM; large, hence not on the stack */
static struct blk_file disk;        /* the image behind the disk (Linux backend) */
static struct machine_virtio blk;   /* the disk as the machine layer describes it */
static struct virtio_blk blk_model; /* the device model's storage */
/* Its requests in flight (the model has no heap): one per queue entry, as io_uring takes them all. */
static struct virtio_blk_req blk_reqs[VIRTIO_BLK_QUEUE_SIZE];
static struct host_loop disk_loop;  /* the disk's own thread */
static int doorbell = -1;           /* eventfd: the guest notified the disk's queue */
static bool loop_ready, attached;
static atomic_uint rings; /* wake-ups of the disk thread by the guest, for the exit line */

/* ---- what only this host provides to the machine (struct machine_host) ---- */

static void *ram_alloc(void *ctx, unsigned index, uint64_t gpa, uint64_t size)
{
    return host_guest_ram_alloc(size);
}

static void ram_free(void *ctx, void *ram, uint64_t size)
{
    host_guest_ram_free(ram, size);
}

static void console_tx(void *ctx, const uint8_t *buf, size_t len)
{
    fwrite(buf, 1, len, stdout);
    fflush(stdout);
}

static uint64_t now_ns(void *ctx)
{
    return host_clock_monotonic_ns();
}

/* ---- the disk: the vCPU's QueueNotify write wakes the disk thread, which runs the queue ---- */

static void disk_kick(void *ctx)
{
    host_eventfd_signal(doorbell);
}

static void disk_notified(void *ctx, int fd, short revents)
{
    host_eventfd_drain(fd);
    atomic_fetch_add(&rings, 1);
    machine_virtio_process(&blk);
}

/* An edge on the disk's line through the port (stdvmm run uses an irqfd instead). */
static void disk_interrupt(void *ctx)
{
    vm_set_irq_line(&mach.vm, machine_virtio_irq(&blk), true);
    vm_set_irq_line(&mach.vm, machine_virtio_irq(&blk), false);
}

static int add_disk(void *ctx, struct machine *m)
{
    blk.kind = MACHINE_VIRTIO_BLK;
    snprintf(blk.name, sizeof(blk.name), "blk0");
    blk.cfg.blk = (struct virtio_blk_config){
        .slot = {.interrupt = disk_interrupt, .kick = disk_kick},
        .capacity = disk.size,
        .readonly = disk.readonly,
        .serial = "custom-disk",
        .backend = blk_file_backend(&disk),
        .reqs = blk_reqs,
        .reqs_size = sizeof(blk_reqs),
        .max_reqs = VIRTIO_BLK_QUEUE_SIZE,
    };
    doorbell = host_eventfd_create();
    int r = doorbell < 0 ? -STDVMM_EIO : host_loop_init(&disk_loop, "blk0");
    loop_ready = r == 0;
    if (r == 0)
        r = host_loop_add(&disk_loop, doorbell, POLLIN, disk_notified, NULL);
    if (r == 0)
        r = machine_add_virtio(m, &blk, &blk_model); /* window, interrupt, firmware entry */
    if (r == 0)
        r = blk_file_attach(&disk, &blk_model, &disk_loop); /* completions on the disk thread */
    attached = r == 0;
    return r;
}

static void remove_disk(void *ctx, struct machine *m)
{
    if (loop_ready)
        host_loop_stop(&disk_loop);
    if (attached)
        blk_file_detach(&disk); /* waits for I/O in flight: guest RAM goes next */
    if (loop_ready)
        host_loop_destroy(&disk_loop);
    if (doorbell >= 0)
        close(doorbell);
}

/* ---- running it ---- */

static void *vcpu_thread(void *arg)
{
    vcpu_run_loop(arg); /* until any vCPU or device records a stop reason */
    return NULL;
}

static int exit_policy(enum vm_stop_reason why)
{
    if (why == VM_STOP_POWEROFF) {
        fprintf(stderr, "custom-vmm: guest powered off after ringing the disk %u times\n",
                atomic_load(&rings));
        return 0;
    }
    if (why == VM_STOP_RESET) {
        fprintf(stderr, "custom-vmm: guest reset refused: this VMM stops instead\n");
        return 4;
    }
    fprintf(stderr, "custom-vmm: VM stopped: %s\n", vm_stop_reason_name(why));
    return 1;
}

int main(int argc, char **argv)
{
    struct host_file_image kernel = {0}, initrd = {0};
    pthread_t threads[VM_MAX_VCPUS];
    unsigned started = 0;
    int status = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: %s KERNEL INITRAMFS DISK-IMAGE CMDLINE\n", argv[0]);
        return 2;
    }
    host_log_set_prefix("custom-vmm");
    host_clock_start();
    if (host_file_image_load(&kernel, argv[1], "kernel") < 0 ||
        host_file_image_load(&initrd, argv[2], "initramfs") < 0 ||
        blk_file_open(&disk, "disk0", argv[3], false) < 0)
        return 1;

    const struct machine_desc desc = {
        .name = "custom",
        .cpus = 1,
        .memory = 256ull << 20,
        .kernel = kernel.data,
        .kernel_size = kernel.size,
        .initrd = initrd.data,
        .initrd_size = initrd.size,
        .cmdline = argv[4],
    };
    const struct machine_host host = {
        .ram_alloc = ram_alloc,
        .ram_free = ram_free,
        .console_tx = console_tx,
        .now_ns = now_ns,
        .start_ns = host_clock_start_ns(),
        .add_devices = add_disk,
        .remove_devices = remove_disk,
    };
    if (machine_build(&mach, &desc, &host) == 0 && host_loop_start(&disk_loop) == 0) {
        for (; started < mach.vm.vcpu_count; started++) {
            if (pthread_create(&threads[started], NULL, vcpu_thread, &mach.vm.vcpus[started])) {
                vm_request_stop(&mach.vm, VM_STOP_ERROR); /* ends the threads already running */
                break;
            }
        }
        for (unsigned i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
        status = exit_policy(vm_stop_reason(&mach.vm));
    }
    machine_teardown(&mach); /* remove_disk, vCPUs, the hypervisor VM, RAM */
    blk_file_close(&disk);
    host_file_image_release(&kernel);
    host_file_image_release(&initrd);
    return status;
}
