/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM set the root task may run, compiled in (tools/sel4/gen-vm-table.py
 * generates the definitions from a system description, the same schema as
 * stdvmmd's docs/examples/system.yaml). Boot images are embedded once each,
 * however many VMs use them.
 */
#ifndef STDVMM_PORT_SEL4_VM_TABLE_H
#define STDVMM_PORT_SEL4_VM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEL4_MAX_IMAGES 8
#define SEL4_MAX_VMS 8
#define SEL4_NO_IMAGE (-1)

struct sel4_image {
    const char *name; /* file name, for messages */
    const uint8_t *data;
    uint64_t size;
};

struct sel4_vm_desc {
    const char *name;
    int kernel; /* index into sel4_images */
    int initrd; /* index, or SEL4_NO_IMAGE */
    const char *cmdline;
    unsigned cpus;        /* vCPUs, 1..SEL4_VMM_MAX_VCPUS */
    uint8_t cores[8];     /* the core each vCPU runs on; 0 unless placed */
    uint8_t vmm_cores[8]; /* the core of the VMM thread serving each vCPU */
    bool vmm_threads;     /* vmm_threads placed them: they stay there when a vCPU moves */
    int16_t priority[8];  /* each vCPU's seL4 priority, 0..VM_PRIO_MAX; -1: the default */
    bool fifo[8];         /* MCS, no budget: run until it blocks among equals, no timeslice */
    bool dedicated;       /* its cores run no other VM's vCPUs (checked by gen-vm-table) */
    /*
     * Per vCPU, microseconds: an MCS scheduling context's budget in each
     * period (explicit, or derived from weights by gen-vm-table); 0: none.
     */
    uint32_t budget_us[8], period_us[8];
    uint64_t memory; /* bytes */
    /*
     * RAM where the description's memory_map put it (docs/memory.md), in
     * address order, totalling memory; ram_count 0: one region at 1 GiB.
     */
    unsigned ram_count;
    struct {
        uint64_t gpa, size;
    } ram[4];
    bool autostart;
    bool restart_on_reset; /* a guest reboot rebuilds the VM (no_reboot: false) */
    bool virtio_console;   /* console: virtio */
    int disk;              /* a read-only virtio-blk disk: image index, or SEL4_NO_IMAGE */
    /* Or a region of the board's disk, served by the block server (blk_abi.h). */
    bool disk_served;
    bool disk_read_only;
    uint64_t disk_offset, disk_region_size; /* bytes, multiples of 512 */
    const char *disk_id;                    /* its serial; NULL: "disk0" */
    int disk_backend;  /* the region's server: a driver VM's index; -1: the block server PD */
    int disk_irq_vcpu; /* the vCPU its interrupt goes to (irq_vcpu); -1: the guest's choice */
    bool net;          /* a virtio-net: on the switch, port = this VM's index (net_abi.h), */
    int net_backend;   /* or served by this driver VM (its index); -1: the switch */
    uint8_t mac[6];    /* its MAC */
    uint64_t networks; /* bit n: its NIC is on sel4_network_names[n] */
    int net_irq_vcpu;  /* the vCPU its NIC's interrupt goes to (irq_vcpu); -1: the guest's */
    /*
     * Board devices this VM owns (passthrough), bit 0: disk0, bit 1: net0 (one
     * so far: gen-vm-table). Mapped into its
     * stage 2, their interrupt routed to its vGIC; its RAM is physically
     * contiguous (gen-vm-table: a power of two).
     */
    uint32_t passthrough;
    uint32_t serves; /* a driver VM: bit c, it may serve VM c's disk and NIC (their backend) */
    /*
     * Cache colours (docs/memory.md), bit c: colour c of sel4_cache. Its RAM
     * and its VMM's frames are 4 KiB frames of these colours only; 0: not
     * coloured, RAM in 2 MiB frames.
     */
    uint64_t colours;
    /*
     * A virtio-iommu in the VMM in front of the VM's virtio devices
     * (docs/memory.md): every device access to its RAM is translated through
     * the guest's mappings. Not with passthrough (gen-vm-table).
     */
    bool iommu;
};

/* The last-level cache the colours divide (system.cache); colours 0: none given. */
struct sel4_cache_desc {
    unsigned line;
    uint64_t size;
    unsigned ways, colours;
};

/*
 * shared_regions (docs/memory.md): memory the admin backs once and maps into
 * exactly these VMs' stage 2, at each member's address, read-only where
 * said. The admin keeps the frames across the members' restarts.
 */
#define SEL4_MAX_SHARED 4
#define SEL4_MAX_SHARED_MEMBERS 8
struct sel4_shared_desc {
    const char *name;
    uint64_t size; /* a multiple of 2 MiB */
    bool doorbell; /* members' VMMs get badged sends to each other's notification */
    /* Cache colours (a mask; 0: none): 4 KiB frames of these colours, not 2 MiB frames. */
    uint64_t colours;
    unsigned member_count;
    struct {
        int vm; /* index into sel4_vm_table */
        uint64_t gpa;
        bool read_only;
    } members[SEL4_MAX_SHARED_MEMBERS];
};

/* system: what the running VMs may take together (stdvmmd's admission rules); 0: no limit. */
struct sel4_system_limits {
    uint64_t memory;
    unsigned vcpus, max_vms;
};

extern const struct sel4_system_limits sel4_system;
extern const struct sel4_cache_desc sel4_cache;
extern const struct sel4_image sel4_images[];
extern const unsigned sel4_image_count;
extern const struct sel4_vm_desc sel4_vm_table[];
extern const unsigned sel4_vm_count;
extern const struct sel4_shared_desc sel4_shared_table[];
extern const unsigned sel4_shared_count;
extern const char *const sel4_network_names[];
extern const unsigned sel4_network_count;
extern const uint8_t sel4_vmm_program[];
extern const uint64_t sel4_vmm_program_size;
extern const uint8_t sel4_switch_program[];
extern const uint64_t sel4_switch_program_size;
extern const uint8_t sel4_blksrv_program[];
extern const uint64_t sel4_blksrv_program_size;

#endif
