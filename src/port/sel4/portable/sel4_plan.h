/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pure planning logic of the seL4 port, kept free of libsel4 so that it runs
 * in native unit tests:
 *  - the address space of a VMM protection domain (where its program, its
 *    start-up arguments, guest RAM and the shared boot images appear),
 *  - how much untyped memory a VM needs and in which power-of-two pieces,
 *  - an untyped pool that mirrors the kernel's placement rule for
 *    seL4_Untyped_Retype (objects are aligned to their size above the
 *    untyped's watermark), so the admin can tell in advance whether a VM fits,
 *  - the word offsets of aarch64 registers in seL4_UserContext.
 */
#ifndef STDVMM_PORT_SEL4_PLAN_H
#define STDVMM_PORT_SEL4_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#define SEL4_PLAN_PAGE_BITS 12
#define SEL4_PLAN_LARGE_PAGE_BITS 21 /* 2 MiB: guest RAM and boot images */
#define SEL4_PLAN_MAX_RAM_CHUNKS 16
#define SEL4_PLAN_MAX_IMAGES 4
#define SEL4_PLAN_MAX_VCPUS 8 /* GICv2: target lists are one byte */

/*
 * The VMM's virtual address space. The program is linked at
 * SEL4_VMM_PROGRAM_BASE; the rest is mapped by the admin before the VMM
 * starts and described to it in the argument page.
 */
#define SEL4_VMM_PROGRAM_BASE 0x400000ull
#define SEL4_VMM_PROGRAM_LIMIT 0x10000000ull /* program segments must end below */
#define SEL4_VMM_ARGS_VA 0x10000000ull       /* struct sel4_vmm_args, one page */
#define SEL4_VMM_CONSOLE_VA 0x10002000ull    /* console ring shared with the admin */
/* The IPC buffer of the VMM thread serving vCPU i, one page each. */
#define SEL4_VMM_IPC_BUFFERS_VA 0x10010000ull
#define SEL4_VMM_IPC_BUFFER_VA(i) (SEL4_VMM_IPC_BUFFERS_VA + (uint64_t)(i)*0x1000u)
/* Data pages the admin maps for the VMM only when its VM needs them (sel4_vm_spec.data_pages). */
#define SEL4_VMM_DATA_VA 0x10100000ull
#define SEL4_VMM_DATA_LIMIT 0x11000000ull /* the NIC's region (net_abi.h) follows */
#define SEL4_VMM_IMAGES_VA 0x20000000ull  /* shared read-only boot images */
#define SEL4_VMM_RAM_VA 0x4000000000ull   /* guest RAM, as the VMM sees it */
#define SEL4_VMM_VA_LIMIT 0x8000000000ull /* below seL4's user top on aarch64 hyp */

struct sel4_vm_spec {
    uint64_t ram_gpa;                          /* from arch_plan_memory(): 2 MiB aligned */
    uint64_t ram_size;                         /* 2 MiB multiple */
    uint64_t image_size[SEL4_PLAN_MAX_IMAGES]; /* kernel, initramfs, ... (0: absent) */
    unsigned image_count;
    uint64_t program_pages; /* 4 KiB pages of the VMM program's loadable segments */
    /*
     * 4 KiB pages the admin maps at SEL4_VMM_DATA_VA besides the program, for
     * state only some VMs need (the device models' tables, vmm_abi.h; see
     * sel4_plan_data): the program itself then carries none of it.
     */
    uint64_t data_pages;
    unsigned vcpus;         /* each: guest TCB, VCPU, fault endpoint, VMM thread, IPC page */
    /*
     * RAM in 4 KiB frames the admin picks one by one (cache colouring,
     * colour.h) instead of 2 MiB frames from the plan's chunks: the plan
     * then counts the level-3 page tables of both mappings and the VMM's
     * copies, not the frames' own slots or memory.
     */
    bool small_ram;
    /*
     * Page tables of other mappings into the guest's stage 2, from the
     * objects: a shared region of 4 KiB frames (cache colours) needs a
     * level-3 table per 2 MiB and the levels above it.
     */
    uint64_t extra_tables;
};

struct sel4_vm_plan {
    /* Guest RAM: large pages, retyped from power-of-two untyped chunks (small_ram: 4 KiB, none). */
    uint64_t ram_frames;
    uint8_t ram_chunk_bits[SEL4_PLAN_MAX_RAM_CHUNKS]; /* biggest first */
    unsigned ram_chunk_count;
    uint64_t ram_vmm_va;
    /* Boot images: each at a 2 MiB-aligned VMM address, read-only. */
    uint64_t image_va[SEL4_PLAN_MAX_IMAGES];
    uint64_t image_frames[SEL4_PLAN_MAX_IMAGES];
    /* Everything else (program frames, CNodes, TCBs, VCPUs, page tables): one untyped. */
    uint8_t objects_bits;
    /* Capability slots the admin needs for this VM. */
    uint64_t slots;
};

/* Checks spec and fills plan; -STDVMM_EINVAL (logged) when the VM cannot be laid out. */
int sel4_plan_vm(const struct sel4_vm_spec *spec, struct sel4_vm_plan *plan);

/*
 * The VMM's data areas (vmm_abi.h), n of them of size[k] bytes (0: absent),
 * back to back from SEL4_VMM_DATA_VA, each starting on a page: fills
 * offset[k] (0 for an absent one) and returns the 4 KiB pages they take
 * (sel4_vm_spec.data_pages; sel4_plan_vm refuses more than the window).
 */
uint64_t sel4_plan_data(const uint64_t *size, unsigned n, uint64_t *offset);

/* Power-of-two pieces of size (a multiple of 2^min_bits), biggest first. */
unsigned sel4_plan_pow2_chunks(uint64_t size, unsigned min_bits, uint8_t *bits, unsigned max);

/* ------------------------------------------------------------------ */

#define SEL4_UT_POOL_MAX 256

struct sel4_untyped_desc {
    uint64_t paddr;
    uint8_t size_bits;
    bool is_device;
    uint64_t used; /* bytes below the watermark */
    uint64_t slot; /* the capability, for the caller */
};

struct sel4_ut_pool {
    struct sel4_untyped_desc ut[SEL4_UT_POOL_MAX];
    unsigned count;
};

void sel4_ut_pool_init(struct sel4_ut_pool *pool);
int sel4_ut_pool_add(struct sel4_ut_pool *pool, uint64_t slot, uint64_t paddr, uint8_t size_bits,
                     bool is_device);

/*
 * Picks the RAM untyped that an object of 2^size_bits fits in with the least
 * waste (best fit after alignment), moves its watermark past the object and
 * returns its index. -STDVMM_ENOMEM when none fits.
 */
int sel4_ut_pool_alloc(struct sel4_ut_pool *pool, unsigned size_bits, unsigned *index,
                       uint64_t *paddr);

/* Bytes of RAM untyped still allocatable in pieces of at least 2^min_bits. */
uint64_t sel4_ut_pool_free(const struct sel4_ut_pool *pool, unsigned min_bits);

/* The device untyped containing [paddr, paddr + size); -STDVMM_ENOENT when none. */
int sel4_ut_pool_find_device(const struct sel4_ut_pool *pool, uint64_t paddr, uint64_t size,
                             unsigned *index);

/* ------------------------------------------------------------------ */

/* seL4_UserContext on aarch64: pc, sp, spsr, then x0..x30 in the kernel's frame order. */
#define SEL4_A64_CTX_PC 0
#define SEL4_A64_CTX_SP 1
#define SEL4_A64_CTX_SPSR 2
#define SEL4_A64_CTX_WORDS 36

/* Word index of Xn (0..30) in seL4_UserContext; -1 for n > 30 (31 is XZR in syndromes). */
int sel4_a64_ctx_x(unsigned n);

#endif
