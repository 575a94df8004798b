/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/kernel_image.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

int kernel_image_place(const struct kernel_image_layout *k, uint64_t ram_base, uint64_t ram_size,
                       uint64_t *load_addr)
{
    if (ram_base % KERNEL_IMAGE_ALIGN != 0) {
        LOG_ERR("%s: RAM base 0x%llx is not 2 MiB aligned; the kernel cannot be placed", k->what,
                (unsigned long long)ram_base);
        return -STDVMM_EINVAL;
    }
    if (k->text_offset > ram_size || k->image_size > ram_size - k->text_offset) {
        LOG_ERR("%s: %llu MiB of kernel at 0x%llx do not fit in %llu MiB of RAM", k->what,
                (unsigned long long)(k->image_size >> 20),
                (unsigned long long)(ram_base + k->text_offset),
                (unsigned long long)(ram_size >> 20));
        return -STDVMM_ENOSPC;
    }
    *load_addr = ram_base + k->text_offset;
    return 0;
}

int kernel_image_load(const struct kernel_image_layout *k, struct gmem *mem, const uint8_t *data,
                      uint64_t load_addr)
{
    uint8_t *dst = gmem_translate(mem, load_addr, k->image_size);

    if (load_addr < k->text_offset || (load_addr - k->text_offset) % KERNEL_IMAGE_ALIGN != 0) {
        LOG_ERR("%s: load address 0x%llx is not text_offset 0x%llx above a 2 MiB boundary", k->what,
                (unsigned long long)load_addr, (unsigned long long)k->text_offset);
        return -STDVMM_EINVAL;
    }
    if (dst == NULL) {
        LOG_ERR("%s: [0x%llx, +0x%llx) is not guest RAM", k->what, (unsigned long long)load_addr,
                (unsigned long long)k->image_size);
        return -STDVMM_EFAULT;
    }
    memcpy(dst, data, k->file_size);
    memset(dst + k->file_size, 0, k->image_size - k->file_size);
    return 0;
}
