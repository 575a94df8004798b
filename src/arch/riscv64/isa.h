/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ISA a hart's device tree node states, from the extensions the
 * hypervisor turns on for a new vCPU (enum rv64_isa_ext): both the
 * "riscv,isa" string every kernel reads and the newer
 * "riscv,isa-base" + "riscv,isa-extensions" pair (riscv/extensions.yaml).
 */
#ifndef STDVMM_ARCH_RISCV64_ISA_H
#define STDVMM_ARCH_RISCV64_ISA_H

#include <stdint.h>

#include "stdvmm/hv_riscv64.h"

/* The device tree name of an extension ("i", "zicsr", ...); NULL for unknown numbers. */
const char *rv64_isa_ext_name(unsigned ext);

/*
 * "rv64" + single letters in canonical order (imafdqcv...) + "_"-separated
 * multi-letter names: the riscv,isa string. H is left out: the guest
 * cannot use it. Returns its length; -STDVMM_EINVAL without I, M or A
 * (every Linux kernel needs them), -STDVMM_ENOSPC when buf is too small.
 */
int rv64_isa_string(uint64_t ext, char *buf, unsigned size);

/*
 * The riscv,isa-extensions string list: NUL-separated names, the single
 * letters first. Returns the list's length with its last NUL.
 */
int rv64_isa_ext_list(uint64_t ext, char *buf, unsigned size);

#endif
