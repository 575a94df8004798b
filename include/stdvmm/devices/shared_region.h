/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The register page of a shared region (docs/memory.md): memory that
 * exactly the VMs named in the description see, at an address each chose,
 * with doorbells between them. The memory itself is an ordinary mapping of
 * the port (a memory slot on KVM, the same frames on seL4); this page only
 * tells the guest what the region is, and carries the doorbells, in the
 * spirit of QEMU's ivshmem-doorbell (IVPosition, Doorbell) but on a
 * platform device, since stdvmm's guests have no PCI bus.
 *
 * Registers, 32-bit little-endian, read-only unless said otherwise:
 *   0x00 MAGIC     "SHRG"
 *   0x04 VERSION   1
 *   0x08 MEMBER    this VM's index among the region's members
 *   0x0c MEMBERS   how many members the region has
 *   0x10 ADDR_LO, 0x14 ADDR_HI   the region's guest-physical address
 *   0x18 SIZE_LO, 0x1c SIZE_HI   its size in bytes
 *   0x20 FLAGS     bit 0: this VM may write it; bit 1: it has doorbells
 *   0x24 DOORBELL  write-only: ring member N (N != MEMBER), or all others
 *                  with SHARED_REGION_RING_ALL
 *   0x28 RINGS     doorbells received since the VM started (wraps)
 *   0x2c STATUS    bit 0: a doorbell arrived since the guest cleared it;
 *                  the interrupt line follows it; writing 1 clears it
 *   0x40..0x7f NAME the region's name, NUL-padded
 * Guests without a driver (Debian's kernels have no generic UIO driver) map
 * the page through /dev/mem and poll RINGS; a driver that binds the node
 * takes the interrupt instead.
 */
#ifndef STDVMM_DEVICES_SHARED_REGION_H
#define STDVMM_DEVICES_SHARED_REGION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"

#define SHARED_REGION_REGS_SIZE 0x1000
#define SHARED_REGION_MAGIC 0x47524853u /* "SHRG" */
#define SHARED_REGION_VERSION 1
#define SHARED_REGION_NAME_MAX 63

#define SHARED_REGION_MAGIC_REG 0x00
#define SHARED_REGION_VERSION_REG 0x04
#define SHARED_REGION_MEMBER 0x08
#define SHARED_REGION_MEMBERS 0x0c
#define SHARED_REGION_ADDR_LO 0x10
#define SHARED_REGION_ADDR_HI 0x14
#define SHARED_REGION_SIZE_LO 0x18
#define SHARED_REGION_SIZE_HI 0x1c
#define SHARED_REGION_FLAGS 0x20
#define SHARED_REGION_DOORBELL 0x24
#define SHARED_REGION_RINGS 0x28
#define SHARED_REGION_STATUS 0x2c
#define SHARED_REGION_NAME 0x40

#define SHARED_REGION_F_WRITABLE (1u << 0)
#define SHARED_REGION_F_DOORBELL (1u << 1)
#define SHARED_REGION_RING_ALL 0xffffffffu

struct shared_region_config {
    const char *name; /* at most SHARED_REGION_NAME_MAX bytes */
    uint64_t regs;    /* the register page's guest-physical address */
    uint64_t gpa;     /* the region's */
    uint64_t size;
    unsigned member, members; /* member < members <= SHARED_REGION_MAX_MEMBERS */
    bool writable;
    bool doorbell;
    uint32_t irq; /* the line STATUS drives; 0: none */
    void (*set_irq)(void *ctx, uint32_t irq, bool level);
    void *irq_ctx;
    /*
     * The guest rang target (a member index other than its own, or
     * SHARED_REGION_RING_ALL): the host passes it on to the member(s).
     * Runs on a vCPU thread. NULL: doorbells go nowhere.
     */
    void (*ring)(void *ctx, uint32_t target);
    void *ring_ctx;
};

#define SHARED_REGION_MAX_MEMBERS 8

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct shared_region {
    struct shared_region_config cfg;
    char name[SHARED_REGION_NAME_MAX + 1];
    atomic_uint rings;
    atomic_bool pending;
    atomic_uint refused_rings; /* to itself, to no member, or without doorbells: counted, logged once */
    atomic_uint refused_writes; /* a read-only member's writes to the region */
};

/* Checks cfg; -STDVMM_EINVAL with the reason logged. */
int shared_region_init(struct shared_region *s, const struct shared_region_config *cfg);

/*
 * Claims the register page at cfg.regs on bus (MMIO) and, for a member that
 * may only read, the region itself: the port maps it read-only, so its
 * writes exit, and they are refused and counted here.
 */
int shared_region_register(struct shared_region *s, struct bus *bus);

/* Members rang this VM `rings` times (any thread): counts them, sets STATUS, raises the line. */
void shared_region_doorbell(struct shared_region *s, uint32_t rings);

/* How many writes of a read-only member were refused. */
unsigned shared_region_refused_writes(const struct shared_region *s);

#endif
