/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Telling a guest kernel panic from an ordinary reboot on arm64. With
 * panic=-1 Linux resets through PSCI SYSTEM_RESET, exactly as `reboot` does.
 * Debian's arm64 kernel has no pvpanic driver, but it has ramoops: given a
 * reserved RAM area in the device tree (max-reason = panic), its kmsg dumper
 * writes the panic log there right before the reset. The VMM hands out that
 * area zeroed, so any record in it means the kernel panicked.
 *
 * The record is a ramoops persistent RAM zone (fs/pstore/ram_core.c):
 *   u32 sig; u32 start; u32 size; u8 data[]
 * and a dmesg record's data opens with the "====" header line ramoops writes
 * (fs/pstore/ram.c), whether the log after it is compressed or not.
 */
#ifndef STDVMM_ARCH_AARCH64_PANIC_RECORD_H
#define STDVMM_ARCH_AARCH64_PANIC_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/guest_memory.h"

#define A64_PANIC_RECORD_HEADER 12
#define A64_PANIC_RECORD_MAGIC "===="

/*
 * True when the area [base, base + size) holds a record the guest wrote.
 * The area is guest memory: every field is checked before it is believed.
 */
bool a64_panic_record_found(const struct gmem *mem, uint64_t base, uint64_t size);

#endif
