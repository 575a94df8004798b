/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the root task (admin) and a VMM protection domain agree on: the
 * argument page the admin maps at SEL4_VMM_ARGS_VA before starting the VMM,
 * the capability slots it fills in the VMM's CNode, and the messages a VMM
 * sends to the admin on its badged endpoint.
 */
#ifndef STDVMM_PORT_SEL4_VMM_ABI_H
#define STDVMM_PORT_SEL4_VMM_ABI_H

#include <stdint.h>

#define SEL4_VMM_ABI_MAGIC 0x4d4d5673u /* "sVMM" */
#define SEL4_VMM_ABI_VERSION 11
#define SEL4_VMM_NAME_MAX 48
#define SEL4_VMM_CMDLINE_MAX 2048
/*
 * GICv2's limit: GICD_ITARGETSR and the SGI target list are one byte. Each
 * vCPU is served by a VMM thread of its own (docs/sel4.md, "vCPUs").
 */
#define SEL4_VMM_MAX_VCPUS 8
#define SEL4_VMM_MAX_SHARED 4 /* shared regions of one VM (gen-vm-table's MAX_SHARED) */
#define SEL4_VMM_MAX_RAM 4    /* RAM regions of one VM: arm64's memory nodes (memory_map) */

/*
 * The VMM's CNode: 2^SEL4_VMM_CNODE_BITS slots, guard filling the rest of
 * the word so that slot numbers are CPtrs.
 */
#define SEL4_VMM_CNODE_BITS 12
#define SEL4_VMM_SLOT_ADMIN_EP 2     /* badged: console lines, stop reports */
#define SEL4_VMM_SLOT_GUEST_VSPACE 3 /* the guest's stage-2 address space */
#define SEL4_VMM_SLOT_VMM_FAULT_EP 4 /* badged admin endpoint: the VMM's own faults */
#define SEL4_VMM_SLOT_CONSOLE_NTFN 5 /* badged: "the console ring has new bytes" */
#define SEL4_VMM_SLOT_LOCK_NTFN 6    /* the VMM lock's waiters sleep on it (vmm/hv_sel4.c) */
#define SEL4_VMM_SLOT_NET_DOORBELL 7 /* badged send: the switch's notification (net_abi.h) */
#define SEL4_VMM_SLOT_GUEST_TCB 8    /* + vCPU index */
#define SEL4_VMM_SLOT_VCPU 16        /* + vCPU index */
#define SEL4_VMM_SLOT_FAULT_EP 24    /* + vCPU index: that vCPU's faults arrive here */
#define SEL4_VMM_SLOT_VMM_TCB 32     /* + vCPU index: the VMM thread serving it (0: the first) */
#define SEL4_VMM_SLOT_REPLY 40       /* + vCPU index: its VMM thread's reply object (MCS kernels) */
#define SEL4_VMM_SLOT_KICK 48        /* badged send: this VMM's own notification (below) */
#define SEL4_VMM_SLOT_BLK_DOORBELL 49 /* badged send: the block server's notification */
#define SEL4_VMM_SLOT_PT_IRQ 50       /* a board device's IRQ handler (passthrough): to ack it */
#define SEL4_VMM_SLOT_DRV_CLIENT 52   /* + client VM index: a driver VM's send to that VMM */
/* Guest RAM frames (the guest-side mappings); a coloured VM's 4 KiB frames stay with the admin. */
#define SEL4_VMM_SLOT_RAM 64
/*
 * Badged sends to the other members of this VM's shared region i, member k
 * (empty while that member does not run): the CNode's last 32 slots, which
 * guest RAM frames must not reach.
 */
#define SEL4_VMM_SLOT_SHARED_FIRST ((1u << SEL4_VMM_CNODE_BITS) - 32u)
#define SEL4_VMM_SLOT_SHARED_BELL(i, k) (SEL4_VMM_SLOT_SHARED_FIRST + (i) * 8u + (k))

/*
 * The guest thread's own CSpace: two slots, the badged fault endpoint in
 * slot 1 and nothing else. seL4 treats a guest's HVC as a system call when
 * x7 names one, so whatever the guest's CSpace holds, the guest could invoke.
 */
#define SEL4_GUEST_CNODE_BITS 1
#define SEL4_GUEST_SLOT_FAULT_EP 1

/* Badges. Admin endpoint: VM index + 1, with a flag for faults of the VMM itself. */
#define SEL4_BADGE_VM_MASK 0xffu
#define SEL4_BADGE_VMM_FAULT (1u << 8)
#define SEL4_BADGE_CONSOLE_IRQ (1ull << 40) /* the admin's bound notification: UART input */
#define SEL4_BADGE_CONSOLE_VM(i) (1ull << (41 + (i))) /* same notification: VM i's ring */
#define SEL4_BADGE_CONSOLE_VMS (0xffull << 41)
/*
 * The VMM's notification, bound to vCPU 0's VMM thread (so its fault wait
 * also wakes for it): who signalled is in these bits, which no fault badge
 * (vCPU index + 1) reaches.
 * - SEL4_BADGE_NET_VMM: the switch answered (net_abi.h);
 * - SEL4_BADGE_VMM_KICK: the VMM's own kick. The guest's QueueNotify write
 *   arrives with the transport's lock held, where the NIC and a served
 *   disk cannot be run (they take that lock again), so the VMM signals
 *   itself and serves the queue on the next wake (the seL4 form of an
 *   ioeventfd);
 * - SEL4_BADGE_BLK_VMM: the block server answered (blk_abi.h);
 * - SEL4_BADGE_PT_IRQ: the interrupt of a board device this VM owns
 *   (passthrough) fired; seL4 masks it until the VMM acknowledges it, which
 *   it does at the guest's EOI.
 */
#define SEL4_BADGE_VMM_SIGNALS (1ull << 32) /* the lowest of them */
#define SEL4_BADGE_NET_VMM (1ull << 32)
#define SEL4_BADGE_VMM_KICK (1ull << 33)
#define SEL4_BADGE_BLK_VMM (1ull << 34)
#define SEL4_BADGE_PT_IRQ (1ull << 35)
/*
 * A disk served by a driver VM (blk_abi.h): the admin tells the user VM's
 * VMM that the driver VM went away (BLK_LOST: its requests in flight fail,
 * new ones fail at once) and that it is back (BLK_UP: a fresh channel for
 * the new driver VM to attach). The driver VM's VMM hears client c ring
 * (DRV_DOORBELL) and, from the admin, that client c stopped and its channel
 * was zeroed (DRV_DETACH).
 */
#define SEL4_BADGE_BLK_LOST (1ull << 36) /* also a NIC's driver VM (args.net_by_driver) */
#define SEL4_BADGE_BLK_UP (1ull << 37)
#define SEL4_BADGE_DRV_DOORBELL(c) (1ull << (40 + (c)))
#define SEL4_BADGE_DRV_DOORBELLS (0xffull << 40)
#define SEL4_BADGE_DRV_DETACH(c) (1ull << (48 + (c)))
#define SEL4_BADGE_DRV_DETACHES (0xffull << 48)
/*
 * Shared region i of this VM (args.shared[i]): another member rang it.
 * Rings that arrive before the VMM takes the signal are one (a
 * notification's bits), so RINGS counts wake-ups on seL4, not rings.
 */
#define SEL4_BADGE_SHARED(i) (1ull << (56 + (i)))
#define SEL4_BADGE_SHARED_ALL (0xfull << 56)

/*
 * Where a board device a VM owns appears in its guest-physical space: the
 * 4 KiB page holding its registers, at the same offset in the page as on the
 * board (below RAM, above the VMM's own virtio-mmio windows); and the
 * virtual SPI its interrupt is raised on (above the VMM's own devices').
 */
#define SEL4_PT_GPA 0x0c000000ull
#define SEL4_PT_SPI 64
/*
 * Fault endpoints: one per vCPU, so that the VMM thread of a vCPU receives
 * only that vCPU's faults; the guest's copy carries badge vCPU index + 1.
 */

/*
 * The VMM's data pages at SEL4_VMM_DATA_VA (sel4_plan.h): the device models'
 * tables for devices only some VMs have, which the admin maps, zeroed, into
 * the VMMs of those VMs only, so that the VMM program, one for every VM,
 * carries none of them (docs/sel4.md). Areas in this order, each starting
 * on a page, each present only with its device; args.data[k] says where
 * (offset from SEL4_VMM_DATA_VA) and how many bytes (0: none). The VMM
 * refuses a device whose area is smaller than it needs.
 */
#define SEL4_VMM_DATA_ALIGN 4096u /* each area starts on a page */
enum sel4_vmm_data_area {
    SEL4_VMM_DATA_IOMMU, /* args.iommu: the virtio-iommu's tables */
    SEL4_VMM_DATA_DISK,  /* args.disk_size: the virtio-blk's requests in flight */
    SEL4_VMM_DATA_VSOCK, /* a driver VM: the virtio-vsock's connections */
    SEL4_VMM_DATA_AREAS,
};

/*
 * The virtio-iommu's tables: a domain per endpoint the VMM can have
 * (console, disk, NIC, vsock: a driver never uses more domains than
 * endpoints), each of SEL4_VMM_IOMMU_MAPPINGS mappings of
 * SEL4_VMM_IOMMU_MAPPING_BYTES (struct iommu_mapping); a full domain answers
 * the guest's MAP with S_NOMEM.
 */
#define SEL4_VMM_IOMMU_DOMAINS 4
#define SEL4_VMM_IOMMU_MAPPINGS 4096
#define SEL4_VMM_IOMMU_MAPPING_BYTES 32
#define SEL4_VMM_IOMMU_TABLES_BYTES                                                                \
    ((uint64_t)SEL4_VMM_IOMMU_DOMAINS * SEL4_VMM_IOMMU_MAPPINGS * SEL4_VMM_IOMMU_MAPPING_BYTES)
/*
 * The disk's requests in flight, of SEL4_VMM_BLK_REQ_BYTES each (struct
 * virtio_blk_req): as many as a served disk's channel has slots (blk_abi.h
 * SEL4_BLK_SLOTS), so one piece each fills the channel; an image disk
 * completes each at once. The guest's further requests wait in its queue.
 */
#define SEL4_VMM_BLK_REQS 32
#define SEL4_VMM_BLK_REQ_BYTES 4200
#define SEL4_VMM_BLK_REQS_BYTES ((uint64_t)SEL4_VMM_BLK_REQS * SEL4_VMM_BLK_REQ_BYTES)
/*
 * A driver VM's vsock connections, of SEL4_VMM_VSOCK_CONN_BYTES each (struct
 * virtio_vsock_conn, its two 64 KiB buffers): one per channel of each VM it
 * may serve (a disk's, a NIC's two), and two spare for a server that
 * reconnects while its old connection's RST is still on its way.
 */
#define SEL4_VMM_VSOCK_CONN_BYTES 131128
#define SEL4_VMM_VSOCK_CONNS(clients) (3u * (clients) + 2u)
#define SEL4_VMM_VSOCK_CONNS_BYTES(clients)                                                        \
    ((uint64_t)SEL4_VMM_VSOCK_CONNS(clients) * SEL4_VMM_VSOCK_CONN_BYTES)

/* Message labels from a VMM to the admin (the VMM's faults carry seL4 fault labels). */
enum sel4_vmm_msg {
    SEL4_MSG_STOPPED = 0x101, /* MR0 = enum vm_stop_reason; no reply: the admin tears down */
};

/*
 * Console output: a ring in one page shared by the VMM (producer, at
 * SEL4_VMM_CONSOLE_VA) and the admin (consumer), with a notification per
 * batch. A VMM never waits for the admin, so a VM keeps running while the
 * admin is busy, e.g. building another VM. The admin prints whole lines.
 */
#define SEL4_CONSOLE_RING_SIZE 2048u /* a power of two: indices run freely */
struct sel4_console_ring {
    uint32_t head;    /* bytes written, by the VMM (release) */
    uint32_t tail;    /* bytes consumed, by the admin (release) */
    uint32_t dropped; /* bytes the VMM dropped on a full ring */
    uint32_t reserved;
    char data[SEL4_CONSOLE_RING_SIZE];
};

struct sel4_vmm_args {
    uint32_t magic;
    uint32_t version;
    uint32_t vm_index;
    uint32_t vcpu_count;
    char name[SEL4_VMM_NAME_MAX];
    char cmdline[SEL4_VMM_CMDLINE_MAX];
    /*
     * Guest RAM: ram_count regions in address order (ram_size bytes in all),
     * which the VMM sees back to back from ram_va.
     */
    uint64_t ram_size, ram_va;
    uint32_t ram_count;
    struct {
        uint64_t gpa, size;
    } ram[SEL4_VMM_MAX_RAM];
    uint64_t kernel_va, kernel_size;    /* read-only boot images */
    uint64_t initrd_va, initrd_size;    /* initrd_size 0: none */
    uint64_t gic_cpu_gpa;               /* where the admin mapped the GICV frames */
    uint32_t gic_list_regs;             /* list registers of the virtual CPU interface */
    uint32_t boot_count;                /* 1 for the first start, then + 1 per restart */
    uint32_t virtio_console;            /* 1: a virtio-console (hvc0) beside the UART */
    uint32_t iommu;                     /* 1: a virtio-iommu before the virtio devices */
    uint64_t disk_va, disk_size;        /* a read-only virtio-blk disk; disk_size 0: none */
    char disk_id[24];                   /* its serial (GET_ID), 20 bytes at most */
    /*
     * 1: the disk is this VM's region of the board's disk, served by the
     * block server through the channel at SEL4_VMM_BLK_VA (blk_abi.h);
     * disk_size is the region's size and disk_va is unused.
     */
    uint32_t disk_served;
    uint32_t disk_read_only;
    uint32_t disk_irq_vcpu; /* 1 + the vCPU owning its interrupt; 0: the guest's */
    /*
     * A virtio-net (net_abi.h): its region at SEL4_VMM_NET_VA; 0: no NIC. Its
     * channels lead to the switch, or with net_by_driver to a driver VM, which
     * can go away and come back (BLK_LOST, BLK_UP); the VMM cannot tell else.
     * disk_by_driver: the same for the disk.
     */
    uint32_t net;
    uint32_t net_by_driver, disk_by_driver;
    uint8_t net_mac[6];
    uint32_t net_irq_vcpu; /* 1 + the vCPU owning its interrupt; 0: the guest's */
    /*
     * A board device this VM owns (passthrough): its registers at pt_gpa
     * (pt_size bytes; 0: none), its interrupt on SEL4_PT_SPI, and where the
     * VM's RAM is in host physical memory (the device's DMA addresses).
     */
    uint64_t pt_gpa, pt_size, pt_dma_bus;
    /*
     * A driver VM serving disks: bit c, VM c's disk is served here, through
     * its channel at SEL4_VMM_DRV_CLIENT_VA(c), on the region drv[c] of the
     * disk this VM owns. drv_net_clients: bit c, VM c's NIC is served here,
     * its channels at SEL4_VMM_DRV_NET_VA(c), its MAC drv[c].mac.
     */
    uint32_t drv_clients;
    uint32_t drv_net_clients;
    struct {
        uint64_t offset, size;
        uint32_t read_only;
        char name[SEL4_VMM_NAME_MAX];
        char id[24]; /* its serial (GET_ID) */
        uint8_t mac[6];
    } drv[8];
    /* The device models' tables at SEL4_VMM_DATA_VA (above): per area, bytes 0: none. */
    struct {
        uint64_t offset, size;
    } data[SEL4_VMM_DATA_AREAS];
    /*
     * Shared regions this VM is a member of (docs/memory.md): the admin
     * mapped their frames into the guest's stage 2 at gpa (read-only where
     * read_only); the VMM never maps them, it only serves each one's
     * register page (and refuses a read-only member's writes).
     */
    uint32_t shared_count;
    struct sel4_vmm_args_shared {
        char name[SEL4_VMM_NAME_MAX];
        uint64_t gpa, size;
        uint32_t read_only, member, members;
        uint32_t doorbell; /* SEL4_VMM_SLOT_SHARED_BELL(i, k) reaches member k */
    } shared[SEL4_VMM_MAX_SHARED];
};

#endif
