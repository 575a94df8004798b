/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/aarch64/image.h"

#include <string.h>

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
    img->raw = false;
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

struct signature {
    uint32_t offset;
    uint8_t len;
    uint8_t bytes[6];
    const char *name;
};

/*
 * First bytes of formats that are not arm64 code. Each is at least 3 bytes
 * at a fixed offset, so a raw program is taken for one only if its first
 * instruction happens to encode the same bytes; "MZ" alone is the EFI PE
 * signature, which a real Image with an EFI stub also has, but an Image is
 * recognised by its own magic before this list is consulted.
 */
static const struct signature foreign[] = {
    {0, 2, {0x1f, 0x8b}, "gzip-compressed data"},
    {0, 4, {0x28, 0xb5, 0x2f, 0xfd}, "zstd-compressed data"},
    {0, 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}, "xz-compressed data"},
    {0, 3, {'B', 'Z', 'h'}, "bzip2-compressed data"},
    {0, 3, {0x5d, 0x00, 0x00}, "lzma-compressed data"},
    {0, 4, {0x89, 'L', 'Z', 'O'}, "lzo-compressed data"},
    {0, 4, {0x02, 0x21, 0x4c, 0x18}, "lz4-compressed data"},
    {0, 4, {0x04, 0x22, 0x4d, 0x18}, "lz4-compressed data"},
    {0, 4, {0x7f, 'E', 'L', 'F'}, "an ELF file (a vmlinux?)"},
    {0, 4, {0x27, 0x05, 0x19, 0x56}, "a U-Boot uImage"},
    {0, 2, {'M', 'Z'}, "an EFI PE file (a compressed EFI zboot kernel?)"},
    {0x202, 4, {'H', 'd', 'r', 'S'}, "an x86 bzImage"},
    {0x38, 4, {'R', 'S', 'C', 0x05}, "a riscv64 Image"},
};

const char *a64_kernel_foreign_format(const uint8_t *data, uint64_t size)
{
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        const struct signature *s = &foreign[i];
        if (size >= (uint64_t)s->offset + s->len && memcmp(data + s->offset, s->bytes, s->len) == 0)
            return s->name;
    }
    return NULL;
}

static int raw_image(uint64_t size, struct a64_image *img)
{
    if (size == 0 || size > A64_IMAGE_MAX_SIZE) {
        LOG_ERR("raw arm64 kernel of %llu bytes: 1 byte to %llu MiB", (unsigned long long)size,
                (unsigned long long)(A64_IMAGE_MAX_SIZE >> 20));
        return -STDVMM_ENOEXEC;
    }
    /* No header says how much BSS follows; the program must clear its own (as .flat files do). */
    *img = (struct a64_image){
        .raw = true, .text_offset = A64_RAW_TEXT_OFFSET, .image_size = size, .file_size = size};
    return 0;
}

static bool has_image_magic(const uint8_t *data, uint64_t size)
{
    return size >= A64_IMAGE_HEADER_SIZE && le32(data + A64_IMAGE_MAGIC_OFFSET) == A64_IMAGE_MAGIC;
}

int a64_kernel_probe(const uint8_t *data, uint64_t size, enum vm_kernel_format format,
                     struct a64_image *img)
{
    if (data == NULL)
        size = 0;
    switch (format) {
    case VM_KERNEL_IMAGE:
        return a64_image_parse(data, size, img);
    case VM_KERNEL_RAW:
        return raw_image(size, img);
    case VM_KERNEL_AUTO:
        break;
    default:
        LOG_ERR("kernel format %d is not one stdvmm knows", (int)format);
        return -STDVMM_EINVAL;
    }
    if (has_image_magic(data, size))
        return a64_image_parse(data, size, img);
    const char *what = size != 0 ? a64_kernel_foreign_format(data, size) : NULL;
    if (what != NULL) {
        LOG_ERR("kernel: %s, no \"ARM\\x64\" magic at offset 0x38: neither an uncompressed "
                "arm64 Image nor raw code (--kernel-format raw would jump into it anyway)",
                what);
        return -STDVMM_ENOEXEC;
    }
    return raw_image(size, img);
}

static struct kernel_image_layout layout(const struct a64_image *img)
{
    return (struct kernel_image_layout){.what = img->raw ? "raw arm64 kernel" : "arm64 Image",
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
