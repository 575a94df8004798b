/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flattened device tree a riscv64 guest boots with: memory, harts
 * (riscv,isa, MMU type, each with its local interrupt controller), the
 * timebase, the AIA (IMSIC files and an APLIC in MSI mode), /chosen and one
 * node per platform device of the VM, as dtb.h does for Arm. SBI needs no
 * node: the kernel finds it through the ecall interface.
 */
#ifndef STDVMM_DTB_RISCV64_H
#define STDVMM_DTB_RISCV64_H

#include <stdint.h>

#include "stdvmm/vm.h"

#define RV64_DTB_MAX_MEMORY 4
/* Hart n's local interrupt controller is phandle RV64_DTB_INTC_PHANDLE + n. */
#define RV64_DTB_IMSIC_PHANDLE 1
#define RV64_DTB_APLIC_PHANDLE 2
#define RV64_DTB_PLIC_PHANDLE 3
#define RV64_DTB_INTC_PHANDLE 16

/* Interrupt specifier flags (the APLIC's second cell). */
#define RV64_DTB_IRQ_EDGE_RISING 1
#define RV64_DTB_IRQ_LEVEL_HIGH 4

struct rv64_dtb_config {
    struct {
        uint64_t base, size;
    } memory[RV64_DTB_MAX_MEMORY];
    unsigned memory_count;
    unsigned hart_count;             /* hart IDs 0..hart_count-1 */
    const char *isa;                 /* riscv,isa, e.g. "rv64imafdc_zicsr_zifencei" */
    const char *isa_ext;             /* riscv,isa-extensions: NUL-separated names */
    unsigned isa_ext_len;            /* bytes of isa_ext, the last NUL included */
    const char *mmu_type;            /* "riscv,sv39", "riscv,sv48", "riscv,sv57" */
    uint64_t cbom_block, cboz_block; /* riscv,cbom-/cboz-block-size; 0: not stated */
    uint64_t timebase_hz;
    /*
     * The interrupt controller: the AIA (APLIC in MSI mode and IMSIC files)
     * unless plic_size is not 0, then a PLIC with one context per hart
     * (hart n: context n, its supervisor external interrupt).
     */
    uint64_t plic_base, plic_size;
    uint32_t plic_sources;             /* riscv,ndev: sources 1..plic_sources */
    uint64_t imsic_base, imsic_stride; /* hart n's file: imsic_base + n * imsic_stride */
    uint32_t imsic_ids;
    uint64_t aplic_base, aplic_size;
    uint32_t aplic_sources;
    const char *bootargs;
    uint64_t initrd_start, initrd_end; /* equal: no initramfs */
    const struct vm_platform_device *devices;
    unsigned device_count;
    uint32_t uart_clock_hz;
};

/* Writes the DTB into buf (at most size bytes) and its length to *used. */
int rv64_dtb_build(const struct rv64_dtb_config *cfg, void *buf, uint32_t size, uint32_t *used);

#endif
