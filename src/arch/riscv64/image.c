/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/riscv64/image.h"

#include "stdvmm/error.h"
#include "stdvmm/kernel_image.h"
#include "stdvmm/log.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int rv64_image_parse(const uint8_t *data, uint64_t size, struct rv64_image *img)
{
    if (data == NULL || size < RV64_IMAGE_HEADER_SIZE) {
        LOG_ERR("riscv64 Image: %llu bytes, shorter than its %d-byte header",
                (unsigned long long)size, RV64_IMAGE_HEADER_SIZE);
        return -STDVMM_ENOEXEC;
    }
    uint32_t magic2 = le32(data + RV64_IMAGE_MAGIC2_OFFSET);
    uint64_t magic = le64(data + RV64_IMAGE_MAGIC_OFFSET);
    if (magic2 != RV64_IMAGE_MAGIC2 && magic != RV64_IMAGE_MAGIC) {
        LOG_ERR("riscv64 Image: neither \"RSC\\x05\" at 0x38 (found 0x%08x) nor \"RISCV\" at "
                "0x30: not an uncompressed riscv64 kernel Image",
                magic2);
        return -STDVMM_ENOEXEC;
    }
    img->text_offset = le64(data + 8);
    img->image_size = le64(data + 16);
    img->flags = le64(data + 24);
    img->version = le32(data + 32);
    img->file_size = size;

    if (img->version < RV64_IMAGE_VERSION_MIN) {
        LOG_ERR("riscv64 Image: header version %u.%u; stdvmm reads 0.2 and later",
                img->version >> 16, img->version & 0xffff);
        return -STDVMM_ENOEXEC;
    }
    if (img->flags & RV64_IMAGE_FLAG_BE) {
        LOG_ERR("riscv64 Image: flags 0x%llx say big-endian; stdvmm boots little-endian kernels",
                (unsigned long long)img->flags);
        return -STDVMM_ENOEXEC;
    }
    if (img->image_size == 0 || img->image_size > RV64_IMAGE_MAX_SIZE) {
        LOG_ERR("riscv64 Image: image_size 0x%llx; want 1 byte to %llu MiB",
                (unsigned long long)img->image_size,
                (unsigned long long)(RV64_IMAGE_MAX_SIZE >> 20));
        return -STDVMM_ENOEXEC;
    }
    if (img->image_size < size) {
        LOG_ERR("riscv64 Image: image_size 0x%llx is smaller than the file (%llu bytes)",
                (unsigned long long)img->image_size, (unsigned long long)size);
        return -STDVMM_ENOEXEC;
    }
    if (img->text_offset % 4096 != 0 || img->text_offset > RV64_IMAGE_ALIGN) {
        LOG_ERR("riscv64 Image: text_offset 0x%llx is misaligned (must be a 4 KiB multiple up "
                "to 2 MiB)",
                (unsigned long long)img->text_offset);
        return -STDVMM_ENOEXEC;
    }
    return 0;
}

static struct kernel_image_layout layout(const struct rv64_image *img)
{
    return (struct kernel_image_layout){.what = "riscv64 Image",
                                        .text_offset = img->text_offset,
                                        .image_size = img->image_size,
                                        .file_size = img->file_size};
}

int rv64_image_place(const struct rv64_image *img, uint64_t ram_base, uint64_t ram_size,
                     uint64_t *load_addr)
{
    struct kernel_image_layout k = layout(img);
    return kernel_image_place(&k, ram_base, ram_size, load_addr);
}

int rv64_image_load(struct gmem *mem, const uint8_t *data, const struct rv64_image *img,
                    uint64_t load_addr)
{
    struct kernel_image_layout k = layout(img);
    return kernel_image_load(&k, mem, data, load_addr);
}
