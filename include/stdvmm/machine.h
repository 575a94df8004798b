/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The portable machine layer (paper §5.1, between the core and the
 * high-level API): the one sequence that turns a description of a VM into a
 * bootable struct vm, the same on every port. A port's VMM (`stdvmm run` on
 * Linux/KVM, the VMM protection domain on seL4) fills a machine_desc, gives
 * the few things only its host has (RAM, a clock, where console output goes,
 * its extra devices) as a machine_host, and calls machine_build(); it keeps
 * only its glue: threads, signals, the reboot loop, control channels.
 *
 * Order (the arch hooks' contract, stdvmm/arch.h): hypervisor VM, RAM from
 * the arch's memory plan, arch_vm_init, the platform devices every VM has
 * (console UART, boot timer, panic notifier), the host's devices, kernel
 * and initramfs with the command line, firmware tables, vCPUs.
 *
 * Freestanding: checked by tools/check-freestanding.sh like core and devices.
 */
#ifndef STDVMM_MACHINE_H
#define STDVMM_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/arch.h"
#include "stdvmm/devices/boot_timer.h"
#include "stdvmm/devices/pl031.h"
#include "stdvmm/devices/pvpanic.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/devices/shared_region.h"
#include "stdvmm/devices/virtio_blk.h"
#include "stdvmm/devices/virtio_console.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/devices/virtio_net.h"
#include "stdvmm/devices/virtio_rng.h"
#include "stdvmm/devices/virtio_vhost.h"
#include "stdvmm/devices/virtio_vsock.h"
#include "stdvmm/devices/virtio_iommu.h"
#include "stdvmm/vm.h"

/* The longest command line a machine passes on; the arch checks the kernel's own limit. */
#define MACHINE_CMDLINE_MAX 8192
/* virtio-mmio slots of one machine (x86 puts them on GSI 5 and up, below the ACPI GED's 23). */
#define MACHINE_MAX_VIRTIO 16

/*
 * Shared regions of one machine. Each takes a slot of the virtio range for
 * its register page and line, from the top down, so virtio devices keep
 * their windows whether or not a VM has regions.
 */
#define MACHINE_MAX_SHARED 8

/*
 * Memory slots of the port (hv_vm_map_memory's numbering): RAM regions
 * first, then the shared regions, then the read pages (hv_vm_set_read_page):
 * the console UART's, then one per virtio-mmio window.
 */
#define MACHINE_UART_PAGE_SLOT (ARCH_MAX_RAM_REGIONS + MACHINE_MAX_SHARED)
#define MACHINE_VIRTIO_PAGE_SLOT(index) (MACHINE_UART_PAGE_SLOT + 1 + (index))

/*
 * The virtio device kinds. Each is instantiated through the same table
 * (machine_virtio_types) rather than a switch in every host.
 */
enum machine_virtio_kind {
    MACHINE_VIRTIO_CONSOLE,
    MACHINE_VIRTIO_RNG,
    MACHINE_VIRTIO_BLK,
    MACHINE_VIRTIO_NET,
    MACHINE_VIRTIO_VSOCK,
    MACHINE_VIRTIO_VHOST, /* any device type, its queues served by another process */
    MACHINE_VIRTIO_IOMMU, /* virtio-iommu in front of the others (stdvmm/devices/virtio_iommu.h) */
    MACHINE_VIRTIO_KINDS
};

/*
 * A device model of one kind. Everything else the machine and the host do
 * with a device goes through its struct virtio_dev (stdvmm/devices/virtio_device.h):
 * its transport, queue notification, quiesce.
 */
struct machine_virtio_type {
    const char *name;  /* "blk", for messages */
    size_t model_size; /* storage the caller gives to machine_add_virtio() */
    size_t vdev_offset; /* of the model's struct virtio_dev */
    int (*init)(void *model, const void *cfg);
};
extern const struct machine_virtio_type machine_virtio_types[MACHINE_VIRTIO_KINDS];

/*
 * One virtio device, described by its model's own configuration. The host
 * fills the kind, the name, the backend and the kind's settings in cfg, and
 * in cfg's slot the device's host hooks (interrupt, kick, driver_ok,
 * host_ctx); machine_add_virtio() fills the rest of the slot: window,
 * interrupt line, guest memory, and puts the device on its transport.
 */
struct machine_virtio {
    enum machine_virtio_kind kind;
    char name[16]; /* "blk0" */
    union {
        struct virtio_slot slot; /* the first member of every configuration below */
        struct virtio_console_config console;
        struct virtio_rng_config rng;
        struct virtio_blk_config blk;
        struct virtio_net_config net;
        struct virtio_vsock_config vsock;
        struct virtio_vhost_config vhost;
        struct viommu_config iommu;
    } cfg;
    void *model;             /* the storage given to machine_add_virtio() */
    struct virtio_dev *vdev; /* inside model */
    struct virtio_mmio transport;
    unsigned index; /* slot number: window and interrupt follow from it */
    struct vm *vm;  /* the machine's, for the transport's read page */
};

/*
 * A shared region as one member sees it (docs/memory.md): the description
 * checked where it sits (memmap_check_window); the machine checks it again.
 */
struct machine_shared {
    const char *name;
    uint64_t gpa;
    uint64_t size;
    bool writable;            /* else the port maps it read-only and writes are refused */
    bool doorbell;            /* the members may ring each other */
    unsigned member, members; /* this VM's index among the members, and their count */
};

/* What the machine is: the same fields whichever port builds it. */
struct machine_desc {
    const char *name;
    unsigned cpus;
    uint64_t memory; /* bytes of guest RAM, placed by the arch (arch_plan_memory) */
    /*
     * Or RAM where the user chose (count > 0): checked against the arch's
     * limits (memmap_check) and used instead of memory.
     */
    const struct memmap_range *memory_map;
    unsigned memory_map_count;
    const uint8_t *kernel;
    uint64_t kernel_size;
    const uint8_t *initrd; /* NULL: none */
    uint64_t initrd_size;
    const char *cmdline;         /* the user's; NULL: empty */
    struct vm_arch_options arch; /* kernel format, irqchip, CPU features; zero: defaults */
    const struct machine_shared *shared; /* shared regions this VM is a member of */
    unsigned shared_count;
};

struct machine;

/* What only the host of the VMM can provide. Callbacks get ctx. */
struct machine_host {
    void *ctx;
    /*
     * Host memory backing one RAM region of the arch's plan (index in plan
     * order), mapped into this VMM; NULL when there is none (say why).
     */
    void *(*ram_alloc)(void *ctx, unsigned index, uint64_t gpa, uint64_t size);
    /* Gives a region back at teardown; NULL: nothing to do (the host owns it). */
    void (*ram_free)(void *ctx, void *host, uint64_t size);
    /* The console UART's output; NULL: it is dropped (the console is elsewhere). */
    void (*console_tx)(void *ctx, const uint8_t *buf, size_t len);
    /*
     * true: the console's transmit register may use the port's buffered
     * writes (no exit per byte of kernel console output), and the host
     * promises to call vm_flush_buffered_writes() every few milliseconds
     * while the VM runs; queued output is otherwise seen only at the next
     * exit. false: every write exits, as on a port without buffering.
     */
    bool buffer_console;
    /*
     * true: the host calls machine_tick() every few milliseconds while the
     * VM runs, and the console UART of an MMIO arch may then be mirrored in
     * a read-only page (hv_vm_set_read_page) while its register reads are
     * free of side effects: the driver's status poll before each byte of
     * output costs no exit. false: every register read exits.
     */
    bool mirror_console;
    /*
     * true: every virtio-mmio window is read from a read page the machine
     * keeps current (virtio_mmio_mirror), so the driver's InterruptStatus
     * read in each interrupt costs no exit. false: every read exits.
     */
    bool mirror_virtio;
    /* A monotonic clock for the boot timer, and the moment it counts from. */
    uint64_t (*now_ns)(void *ctx);
    uint64_t start_ns;
    /* The wall clock at start_ns, seconds since 1970: the guest's RTC (arm64); 0: from 1970. */
    uint64_t start_wall_s;
    /* Called once, by the thread that records the VM's first stop reason; NULL: none. */
    void (*on_stop)(struct vm *vm, void *ctx);
    /* The host's devices (virtio), after the platform devices; NULL: none. */
    int (*add_devices)(void *ctx, struct machine *m);
    /* Stops those devices before vCPUs and RAM go (machine_teardown); NULL: none. */
    void (*remove_devices)(void *ctx, struct machine *m);
    /*
     * Host memory of shared region index (desc.shared[index]), mapped into
     * this VMM (read-only where !s->writable); NULL when it cannot be (say
     * why). The host owns the mapping. NULL hook: this host has no regions.
     */
    void *(*shared_map)(void *ctx, unsigned index, const struct machine_shared *s);
    /*
     * The guest rang target on region index (a member index, or
     * SHARED_REGION_RING_ALL): the host passes it on. Runs on a vCPU thread.
     */
    void (*shared_ring)(void *ctx, unsigned index, uint32_t target);
    /* Arguments the VMM adds after the user's command line into buf; NULL: none. */
    int (*cmdline_extra)(void *ctx, char *buf, size_t size);
};

struct machine_ram {
    uint64_t gpa;
    uint64_t size;
    void *host;
};

/* Which host and region a guest's doorbell write is passed to. */
struct machine_shared_ring {
    const struct machine_host *host;
    unsigned index;
};

struct machine {
    struct vm vm;
    const struct machine_host *host;
    struct machine_ram ram[ARCH_MAX_RAM_REGIONS];
    unsigned ram_count;
    struct serial8250 uart;
    struct boot_timer boot_timer;
    struct pvpanic pvpanic;
    struct pl031 rtc; /* arm64's RTC; unused where the arch has none */
    struct machine_virtio *virtio[MACHINE_MAX_VIRTIO]; /* in slot order; the host owns them */
    unsigned virtio_count;
    struct shared_region shared[MACHINE_MAX_SHARED]; /* desc.shared's register pages, in order */
    struct machine_shared_ring shared_rings[MACHINE_MAX_SHARED];
    unsigned shared_count;
    char cmdline[MACHINE_CMDLINE_MAX];
};

/*
 * Builds m from d on the current port. On failure the reason has been
 * logged and a negative -STDVMM_E* returned; call machine_teardown() either
 * way to release what was made.
 */
int machine_build(struct machine *m, const struct machine_desc *d, const struct machine_host *host);

/*
 * The machine's periodic work, from the host's main loop every few
 * milliseconds while the VM runs (machine_host.mirror_console): installs
 * the console UART's register page once its registers have been static
 * long enough. Any thread; vCPUs may run.
 */
void machine_tick(struct machine *m);

/* Releases the host's devices, vCPUs, the hypervisor VM and guest RAM, in that order. */
void machine_teardown(struct machine *m);

/*
 * Adds d as the machine's next virtio device, on the virtio-mmio transport (called from the host's
 * add_devices): the next window and interrupt of the arch's virtio range,
 * the model initialised in model (machine_virtio_types[d->kind].model_size
 * bytes, zeroed by the caller) and registered on the VM. Devices keep the
 * order they are added in, so the guest sees the same vda, eth0 on every boot.
 */
int machine_add_virtio(struct machine *m, struct machine_virtio *d, void *model);

/* Members rang this VM `rings` times on shared region index (any thread of the host). */
void machine_shared_doorbell(struct machine *m, unsigned index, uint32_t rings);

/* The device's queues were notified: runs the model's notify op. */
void machine_virtio_process(struct machine_virtio *d);
/* The model stops touching guest memory (before RAM goes). */
void machine_virtio_quiesce(struct machine_virtio *d);

/* The interrupt line and the guest's own number for it (GSI on x86, INTID on Arm). */
uint32_t machine_virtio_irq(const struct machine_virtio *d);
uint32_t machine_virtio_hwirq(const struct machine_virtio *d);

#endif
