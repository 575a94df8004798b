/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the admin, the VMM protection domains and the switch protection
 * domain agree on for networking (docs/sel4.md, "Networking"): where the
 * shared regions are, how the channels in them are shaped, which badges
 * the notifications carry, and the switch's argument page.
 *
 * One port per VM with a NIC; the port number is the VM's index in the VM
 * table. A port's region is two channels (docs/backend-channel.md), one
 * per virtqueue so that a flood in one direction never starves the other:
 * TX at offset 0, RX at SEL4_NET_CHANNEL_BYTES. The admin makes the
 * region's frames once, at boot, from its own memory; they stay mapped in
 * the switch for as long as it runs, and a VMM maps copies that go with it.
 * So a stopped VM never leaves the switch with an unmapped region, only a
 * zeroed one.
 */
#ifndef STDVMM_PORT_SEL4_NET_ABI_H
#define STDVMM_PORT_SEL4_NET_ABI_H

#include <stdint.h>

/* Channel geometry: a frame of up to 1518 bytes (no offloads) fits a slot. */
#define SEL4_NET_SLOTS 64u
#define SEL4_NET_SLOT_SIZE 2048u
#define SEL4_NET_RING_ENTRIES 64u
/* Room for one channel of that geometry (checked against channel_shm_size() at run time). */
#define SEL4_NET_CHANNEL_BYTES (36u * 4096u)
#define SEL4_NET_REGION_BYTES (2u * SEL4_NET_CHANNEL_BYTES)
#define SEL4_NET_REGION_PAGES (SEL4_NET_REGION_BYTES / 4096u)
#define SEL4_NET_MAX_PORTS 8 /* one per VM of the table (SEL4_MAX_VMS) */

/* The VMM's view: its port's region. */
#define SEL4_VMM_NET_VA 0x11000000ull

/*
 * Badges. The switch signals a VMM's notification with SEL4_BADGE_NET_VMM
 * (vmm_abi.h, with the VMM's other signals). The switch's notification
 * carries bit port from that port's VMM (a doorbell: new requests) and bit
 * SEL4_BADGE_NET_DETACH(port) from the admin (that port's VM has stopped:
 * forget its channels).
 */
#define SEL4_BADGE_NET_DOORBELL(port) (1ull << (port))
#define SEL4_BADGE_NET_DETACH(port) (1ull << (32 + (port)))

/*
 * The switch's CNode: 2^SEL4_SWITCH_CNODE_BITS slots, guard filling the
 * word. It holds its own notification (to wait on) and, per port whose VM
 * runs, a send-only capability to that VMM's notification; nothing else.
 */
#define SEL4_SWITCH_CNODE_BITS 6
#define SEL4_SWITCH_SLOT_NTFN 2
#define SEL4_SWITCH_SLOT_VMM_NTFN 8 /* + port */

/* The switch's address space (its program is linked at 0x400000, like the VMM's). */
#define SEL4_SWITCH_ARGS_VA 0x10000000ull
#define SEL4_SWITCH_IPC_BUFFER_VA 0x10001000ull
#define SEL4_SWITCH_PORTS_VA 0x20000000ull
#define SEL4_SWITCH_PORT_STRIDE 0x100000ull /* 1 MiB per port, the region at its start */
#define SEL4_SWITCH_PORT_VA(p) (SEL4_SWITCH_PORTS_VA + (uint64_t)(p)*SEL4_SWITCH_PORT_STRIDE)

#define SEL4_SWITCH_ABI_MAGIC 0x48435773u /* "sWCH" */
#define SEL4_SWITCH_ABI_VERSION 1

struct sel4_switch_port {
    uint32_t in_use; /* a VM of the table has a NIC on this port */
    uint8_t mac[6];  /* its MAC: static entry, anti-spoofed */
    uint8_t pad[2];
    uint64_t networks; /* bit n: network n of the description */
    char name[48];     /* the VM's, for messages */
};

struct sel4_switch_args {
    uint32_t magic;
    uint32_t version;
    uint32_t port_count; /* ports 0..port_count-1 exist (unused ones have in_use 0) */
    uint32_t network_count;
    char networks[8][16]; /* names, for messages */
    struct sel4_switch_port ports[SEL4_NET_MAX_PORTS];
};

#endif
