/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/aarch64/panic_record.h"

#include <string.h>

#include "stdvmm/log.h"

bool a64_panic_record_found(const struct gmem *mem, uint64_t base, uint64_t size)
{
    uint8_t head[A64_PANIC_RECORD_HEADER + sizeof(A64_PANIC_RECORD_MAGIC) - 1];
    uint32_t used;

    if (size < sizeof(head) || gmem_read(mem, base, head, sizeof(head)) < 0)
        return false;
    used = (uint32_t)head[8] | (uint32_t)head[9] << 8 | (uint32_t)head[10] << 16 |
           (uint32_t)head[11] << 24;
    if (used == 0 || used > size - A64_PANIC_RECORD_HEADER)
        return false;
    if (memcmp(head + A64_PANIC_RECORD_HEADER, A64_PANIC_RECORD_MAGIC,
               sizeof(A64_PANIC_RECORD_MAGIC) - 1) != 0)
        return false;
    LOG_DEBUG("the guest left a %u-byte panic record at 0x%llx", used, (unsigned long long)base);
    return true;
}
