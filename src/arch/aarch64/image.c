/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/aarch64/image.h"

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

int a64_image_parse(const uint8_t *data, uint64_t size, struct a64_image *img)
{
    if (data == NULL || size < A64_IMAGE_HEADER_SIZE) {
        LOG_ERR("arm64 Image: %llu bytes, shorter than its %d-byte header",
                (unsigned long long)size, A64_IMAGE_HEADER_SIZE);
        return -STDVMM_ENOEXEC;
    }
    uint32_t magic = le32(data + A64_IMAGE_MAGIC_OFFSET);
    if (magic != A64_IMAGE_MAGIC) {
        LOG_ERR("arm64 Image: magic 0x%08x at offset 0x38 is not \"ARM\\x64\" (0x%08x): not an "
                "uncompressed arm64 kernel Image",
                magic, A64_IMAGE_MAGIC);
        return -STDVMM_ENOEXEC;
    }
    img->text_offset = le64(data + 8);
    img->image_size = le64(data + 16);
    img->flags = le64(data + 24);
    img->file_size = size;

    if (img->flags & A64_IMAGE_FLAG_BE) {
        LOG_ERR("arm64 Image: flags 0x%llx say big-endian; stdvmm boots little-endian kernels",
                (unsigned long long)img->flags);
        return -STDVMM_ENOEXEC;
    }
    /* Kernels before 3.17 leave image_size 0 and need guesses about their BSS. */
    if (img->image_size == 0) {
        LOG_ERR("arm64 Image: image_size is 0 (a kernel older than Linux 3.17); not supported");
        return -STDVMM_ENOEXEC;
    }
    if (img->image_size > A64_IMAGE_MAX_SIZE) {
        LOG_ERR("arm64 Image: image_size 0x%llx is beyond the %llu MiB stdvmm accepts",
                (unsigned long long)img->image_size,
                (unsigned long long)(A64_IMAGE_MAX_SIZE >> 20));
        return -STDVMM_ENOEXEC;
    }
    if (img->image_size < size) {
        LOG_ERR("arm64 Image: image_size 0x%llx is smaller than the file (%llu bytes)",
                (unsigned long long)img->image_size, (unsigned long long)size);
        return -STDVMM_ENOEXEC;
    }
    if (img->text_offset % 4096 != 0 || img->text_offset >= A64_IMAGE_ALIGN) {
        LOG_ERR("arm64 Image: text_offset 0x%llx is misaligned (must be a 4 KiB multiple below "
                "2 MiB)",
                (unsigned long long)img->text_offset);
        return -STDVMM_ENOEXEC;
    }
    return 0;
}

static struct kernel_image_layout layout(const struct a64_image *img)
{
    return (struct kernel_image_layout){.what = "arm64 Image",
                                        .text_offset = img->text_offset,
                                        .image_size = img->image_size,
                                        .file_size = img->file_size};
}

int a64_image_place(const struct a64_image *img, uint64_t ram_base, uint64_t ram_size,
                    uint64_t *load_addr)
{
    struct kernel_image_layout k = layout(img);
    return kernel_image_place(&k, ram_base, ram_size, load_addr);
}

int a64_image_load(struct gmem *mem, const uint8_t *data, const struct a64_image *img,
                   uint64_t load_addr)
{
    struct kernel_image_layout k = layout(img);
    return kernel_image_load(&k, mem, data, load_addr);
}
