/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the admin, the VMM protection domains and the block server agree on
 * (docs/sel4.md, "Disks"): the shape of each VM's channel to the server,
 * where the regions are, the badges, and the server's argument page.
 *
 * The board's disk is QEMU's virtio-blk-device. The block server drives it
 * (src/drivers/virtio, the driver side) from a DMA region the admin gives
 * it, and serves each VM whose description gives it a region of that disk
 * (disks: [{device: disk0, offset, size, read_only}]) through one channel
 * (docs/backend-channel.md). Neither the server nor the device ever sees
 * guest RAM: the VMM copies between the guest's buffers and its slots.
 */
#ifndef STDVMM_PORT_SEL4_BLK_ABI_H
#define STDVMM_PORT_SEL4_BLK_ABI_H

#include <stdint.h>

/*
 * Channel geometry: a guest request is cut into pieces of a slot each
 * (Linux sends at most 1280 KiB per request by default: 20 slots).
 */
#define SEL4_BLK_SLOTS 32u
#define SEL4_BLK_SLOT_SIZE (64u * 1024u)
#define SEL4_BLK_RING_ENTRIES 32u
/* Room for one channel of that geometry (checked against channel_shm_size() at run time). */
#define SEL4_BLK_CHANNEL_BYTES (SEL4_BLK_SLOTS * SEL4_BLK_SLOT_SIZE + 2u * 4096u)
#define SEL4_BLK_CHANNEL_PAGES (SEL4_BLK_CHANNEL_BYTES / 4096u)
#define SEL4_BLK_MAX_CLIENTS 8 /* one per VM of the table (SEL4_MAX_VMS) */

/* The VMM's view: its channel. */
#define SEL4_VMM_BLK_VA 0x12000000ull

/*
 * Badges on the server's notification: bit client from that VM's VMM (a
 * doorbell), bit SEL4_BADGE_BLK_DETACH(client) from the admin (that VM
 * stopped: its region is zeroed, forget it), SEL4_BADGE_BLK_IRQ from the
 * device's interrupt. The server signals a VMM with SEL4_BADGE_BLK_VMM
 * (vmm_abi.h).
 */
#define SEL4_BADGE_BLK_DOORBELL(c) (1ull << (c))
#define SEL4_BADGE_BLK_DETACH(c) (1ull << (32 + (c)))
#define SEL4_BADGE_BLK_IRQ (1ull << 48)

/* The server's CNode: its notification, the device's IRQ handler, a send capability per VMM. */
#define SEL4_BLKSRV_CNODE_BITS 6
#define SEL4_BLKSRV_SLOT_NTFN 2
#define SEL4_BLKSRV_SLOT_IRQ 3
#define SEL4_BLKSRV_SLOT_VMM_NTFN 8 /* + client */

/* The server's address space (its program is linked at 0x400000, like the VMM's). */
#define SEL4_BLKSRV_ARGS_VA 0x10000000ull
#define SEL4_BLKSRV_IPC_BUFFER_VA 0x10001000ull
#define SEL4_BLKSRV_DEVICE_VA 0x10002000ull /* the page holding the device's registers */
#define SEL4_BLKSRV_DMA_VA 0x10200000ull    /* one 2 MiB page, the device reads and writes it */
#define SEL4_BLKSRV_DMA_BYTES (2ull << 20)
#define SEL4_BLKSRV_CLIENTS_VA 0x20000000ull
#define SEL4_BLKSRV_CLIENT_STRIDE 0x400000ull /* 4 MiB per client, its channel at the start */
#define SEL4_BLKSRV_CLIENT_VA(c) (SEL4_BLKSRV_CLIENTS_VA + (uint64_t)(c)*SEL4_BLKSRV_CLIENT_STRIDE)

#define SEL4_BLKSRV_ABI_MAGIC 0x4b4c4273u /* "sBLK" */
#define SEL4_BLKSRV_ABI_VERSION 1

struct sel4_blksrv_client {
    uint32_t in_use; /* this VM has a region of the disk */
    uint32_t read_only;
    uint64_t offset, size; /* bytes; multiples of 512 */
    char name[48];         /* the VM's, for messages */
};

struct sel4_blksrv_args {
    uint32_t magic;
    uint32_t version;
    uint32_t client_count;     /* clients 0..client_count-1 exist (unused ones: in_use 0) */
    uint32_t transport_offset; /* of the device's virtio-mmio registers in its page */
    uint64_t device_pa;        /* of those registers, for messages */
    uint64_t dma_pa;           /* bus address of the DMA page */
    struct sel4_blksrv_client clients[SEL4_BLK_MAX_CLIENTS];
};

/*
 * Disks served by a driver VM (docs/sel4.md "Driver VMs"): the user VM's
 * VMM is the same front end as for the block server (its doorbell and its
 * notification are the only difference, and it cannot tell); the driver
 * VM's VMM maps each client's channel at SEL4_VMM_DRV_CLIENT_VA(c) and
 * relays its requests over the driver VM's virtio-vsock, as the channel's
 * stream form (channel_stream.h), to a program in the driver VM that does
 * the I/O on the disk it owns (passthrough). The program connects to the
 * host (CID 2) at port SEL4_DRV_VSOCK_PORT + c for client c.
 */
#define SEL4_VMM_DRV_CLIENTS_VA 0x14000000ull
#define SEL4_VMM_DRV_CLIENT_STRIDE 0x400000ull
#define SEL4_VMM_DRV_CLIENT_VA(c)                                                                  \
    (SEL4_VMM_DRV_CLIENTS_VA + (uint64_t)(c)*SEL4_VMM_DRV_CLIENT_STRIDE)
#define SEL4_DRV_VSOCK_PORT 7000u
/*
 * NICs served by a driver VM: the same, with the NIC's two channels (TX,
 * RX: net_abi.h) at SEL4_VMM_DRV_NET_VA(c), each relayed on a connection
 * of its own, at SEL4_DRV_VSOCK_NET_TX_PORT + c and SEL4_DRV_VSOCK_NET_RX_PORT
 * + c, to a program in the driver VM that puts frames on the NIC it owns.
 */
#define SEL4_VMM_DRV_NET_VA(c) (0x18000000ull + (uint64_t)(c)*0x80000ull)
#define SEL4_DRV_VSOCK_NET_TX_PORT 7100u
#define SEL4_DRV_VSOCK_NET_RX_PORT 7200u
#define SEL4_DRV_GUEST_CID 3u

#endif
