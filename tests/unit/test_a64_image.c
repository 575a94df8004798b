/* SPDX-License-Identifier: BSD-2-Clause */
/* The arm64 Image header parser and loader: what a kernel file must be for stdvmm to boot it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/aarch64/image.h"
#include "stdvmm/error.h"

#define FILE_SIZE 0x3000u

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A minimal valid Image: header fields at their booting.rst offsets. */
static void make_image(uint8_t *buf, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(buf, 0xaa, FILE_SIZE);
    put64(buf + 8, text_offset);
    put64(buf + 16, image_size);
    put64(buf + 24, flags);
    memcpy(buf + 0x38, "ARM\x64", 4);
}

static void parses_a_valid_header(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, 0x10000, A64_IMAGE_FLAG_ANY_PLACEMENT | (1u << 1));
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), 0);
    assert_int_equal(img.text_offset, 0);
    assert_int_equal(img.image_size, 0x10000);
    assert_int_equal(img.file_size, FILE_SIZE);
}

static void refuses_bad_magic(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, 0x10000, 0);
    memcpy(buf + 0x38, "ARMe", 4); /* one bit off */
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
    /* A gzip-compressed Image (Debian's arm64 vmlinuz is not, some are). */
    memset(buf, 0, 64);
    buf[0] = 0x1f;
    buf[1] = 0x8b;
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
}

static void refuses_short_file(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, 0x10000, 0);
    assert_int_equal(a64_image_parse(buf, 63, &img), -STDVMM_ENOEXEC);
    assert_int_equal(a64_image_parse(NULL, 0, &img), -STDVMM_ENOEXEC);
}

static void refuses_huge_image_size(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, A64_IMAGE_MAX_SIZE + 1, 0);
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
    make_image(buf, 0, UINT64_MAX, 0); /* would wrap load + image_size */
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
}

static void refuses_inconsistent_sizes(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, 0, 0); /* pre-3.17 kernel: BSS size unknown */
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
    make_image(buf, 0, FILE_SIZE - 1, 0); /* file longer than the image */
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
}

static void refuses_misaligned_text_offset(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0x80001, 0x10000, 0);
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
    make_image(buf, A64_IMAGE_ALIGN, 0x10000, 0);
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
    make_image(buf, 0x80000, 0x10000, 0); /* the old fixed offset is fine */
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), 0);
}

static void refuses_big_endian(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0, 0x10000, A64_IMAGE_FLAG_BE);
    assert_int_equal(a64_image_parse(buf, FILE_SIZE, &img), -STDVMM_ENOEXEC);
}

static void places_at_text_offset_above_ram_base(void **state)
{
    struct a64_image img = {.text_offset = 0x80000, .image_size = 0x100000, .file_size = 0x1000};
    uint64_t addr = 0;

    (void)state;
    assert_int_equal(a64_image_place(&img, 0x40000000, 64 << 20, &addr), 0);
    assert_int_equal(addr, 0x40080000);
    /* A RAM base off a 2 MiB boundary cannot carry text_offset's meaning. */
    assert_int_equal(a64_image_place(&img, 0x40100000, 64 << 20, &addr), -STDVMM_EINVAL);
    /* Too little RAM for image_size. */
    assert_int_equal(a64_image_place(&img, 0x40000000, 0x100000, &addr), -STDVMM_ENOSPC);
}

static void loads_file_and_zeroes_bss(void **state)
{
    static uint8_t ram[4 << 20];
    static uint8_t file[FILE_SIZE];
    struct gmem mem;
    struct a64_image img;

    (void)state;
    memset(ram, 0x55, sizeof(ram));
    gmem_init(&mem);
    assert_int_equal(gmem_add_region(&mem, 0x40000000, sizeof(ram), ram), 0);
    make_image(file, 0, 0x10000, 0);
    assert_int_equal(a64_image_parse(file, FILE_SIZE, &img), 0);
    assert_int_equal(a64_image_load(&mem, file, &img, 0x40000000), 0);
    assert_memory_equal(ram, file, FILE_SIZE);
    for (size_t i = FILE_SIZE; i < 0x10000; i++)
        assert_int_equal(ram[i], 0);
    assert_int_equal(ram[0x10000], 0x55);
    /* Misaligned load address, and one outside RAM. */
    assert_int_equal(a64_image_load(&mem, file, &img, 0x40001000), -STDVMM_EINVAL);
    assert_int_equal(a64_image_load(&mem, file, &img, 0x80000000), -STDVMM_EFAULT);
}

/* A kvm-unit-tests .flat starts with code: its first word is an AArch64 branch. */
static void make_flat(uint8_t *buf, size_t size)
{
    memset(buf, 0, size);
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t insn = i == 0 ? 0x14000010u /* b +0x40 */ : 0xd503201fu; /* nop */
        for (int b = 0; b < 4; b++)
            buf[i + b] = (uint8_t)(insn >> (8 * b));
    }
}

static void auto_takes_an_image_by_its_magic(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_image(buf, 0x80000, 0x10000, 0);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_AUTO, &img), 0);
    assert_false(img.raw);
    assert_int_equal(img.text_offset, 0x80000);
    assert_int_equal(img.image_size, 0x10000);
    /* A broken Image header is refused, not run raw: the magic says it is an Image. */
    make_image(buf, 0x80000, 0x100, 0);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_AUTO, &img), -STDVMM_ENOEXEC);
}

static void auto_loads_headerless_code_raw(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_flat(buf, FILE_SIZE);
    assert_null(a64_kernel_foreign_format(buf, FILE_SIZE));
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_AUTO, &img), 0);
    assert_true(img.raw);
    assert_int_equal(img.text_offset, A64_RAW_TEXT_OFFSET);
    assert_int_equal(img.image_size, FILE_SIZE);
    assert_int_equal(img.file_size, FILE_SIZE);
    /* Shorter than an Image header is still a program (a few instructions). */
    assert_int_equal(a64_kernel_probe(buf, 8, VM_KERNEL_AUTO, &img), 0);
    assert_true(img.raw);
    assert_int_equal(img.image_size, 8);
    /* But not nothing. */
    assert_int_equal(a64_kernel_probe(buf, 0, VM_KERNEL_AUTO, &img), -STDVMM_ENOEXEC);
    assert_int_equal(a64_kernel_probe(NULL, 0, VM_KERNEL_RAW, &img), -STDVMM_ENOEXEC);
}

static void auto_refuses_compressed_and_foreign_files(void **state)
{
    static const struct {
        size_t offset;
        const char *bytes;
        size_t len;
    } cases[] = {
        {0, "\x1f\x8b\x08", 3},     /* gzip (Image.gz) */
        {0, "\x28\xb5\x2f\xfd", 4}, /* zstd */
        {0,
         "\xfd"
         "7zXZ\x00",
         6},                        /* xz */
        {0, "BZh9", 4},             /* bzip2 */
        {0, "\x5d\x00\x00\x80", 4}, /* lzma */
        {0, "\x89LZO", 4},          /* lzop */
        {0, "\x02\x21\x4c\x18", 4}, /* lz4 legacy */
        {0,
         "\x7f"
         "ELF",
         4},                        /* vmlinux */
        {0, "\x27\x05\x19\x56", 4}, /* U-Boot uImage */
        {0, "MZ\x00\x00zimg", 8},   /* EFI zboot (vmlinuz.efi) */
        {0x202, "HdrS", 4},         /* x86 bzImage */
        {0x38, "RSC\x05", 4},       /* riscv64 Image */
    };
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make_flat(buf, FILE_SIZE);
        memcpy(buf + cases[i].offset, cases[i].bytes, cases[i].len);
        assert_non_null(a64_kernel_foreign_format(buf, FILE_SIZE));
        assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_AUTO, &img), -STDVMM_ENOEXEC);
        /* Asked for explicitly, raw loads whatever it is given. */
        assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_RAW, &img), 0);
        assert_true(img.raw);
    }
    /* A signature longer than the file does not match. */
    memcpy(buf,
           "\xfd"
           "7zXZ",
           5);
    assert_null(a64_kernel_foreign_format(buf, 5));
    /* An Image with an EFI stub starts with "MZ" too; its magic wins. */
    make_image(buf, 0, 0x10000, 0);
    memcpy(buf, "MZ", 2);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_AUTO, &img), 0);
    assert_false(img.raw);
}

static void explicit_formats_are_obeyed(void **state)
{
    static uint8_t buf[FILE_SIZE];
    struct a64_image img;

    (void)state;
    make_flat(buf, FILE_SIZE);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_IMAGE, &img), -STDVMM_ENOEXEC);
    make_image(buf, 0, 0x10000, 0);
    /* raw ignores a header: the file goes to 0x80000 and runs from its first byte. */
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_RAW, &img), 0);
    assert_true(img.raw);
    assert_int_equal(img.text_offset, A64_RAW_TEXT_OFFSET);
    assert_int_equal(img.image_size, FILE_SIZE);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, VM_KERNEL_IMAGE, &img), 0);
    assert_false(img.raw);
    assert_int_equal(a64_kernel_probe(buf, FILE_SIZE, (enum vm_kernel_format)7, &img),
                     -STDVMM_EINVAL);
    /* Bigger than any kernel stdvmm accepts. */
    assert_int_equal(a64_kernel_probe(buf, A64_IMAGE_MAX_SIZE + 1, VM_KERNEL_RAW, &img),
                     -STDVMM_ENOEXEC);
}

static void places_raw_kernel_512k_into_ram(void **state)
{
    static uint8_t ram[0x100000], file[FILE_SIZE];
    struct gmem mem;
    struct a64_image img;
    uint64_t load;

    (void)state;
    make_flat(file, FILE_SIZE);
    memset(ram, 0x55, sizeof(ram));
    gmem_init(&mem);
    assert_int_equal(gmem_add_region(&mem, 0x40000000, sizeof(ram), ram), 0);
    assert_int_equal(a64_kernel_probe(file, FILE_SIZE, VM_KERNEL_AUTO, &img), 0);
    assert_int_equal(a64_image_place(&img, 0x40000000, sizeof(ram), &load), 0);
    assert_int_equal(load, 0x40080000);
    assert_int_equal(a64_image_load(&mem, file, &img, load), 0);
    assert_memory_equal(ram + 0x80000, file, FILE_SIZE);
    assert_int_equal(ram[0x80000 + FILE_SIZE], 0x55); /* nothing beyond the file is touched */
    assert_int_equal(ram[0x7ffff], 0x55);
}

static void option_words(void **state)
{
    enum vm_kernel_format f = VM_KERNEL_AUTO;
    enum vm_feature v = VM_FEATURE_AUTO;
    enum vm_irqchip c = VM_IRQCHIP_AUTO;

    (void)state;
    assert_true(vm_kernel_format_parse("raw", &f));
    assert_int_equal(f, VM_KERNEL_RAW);
    assert_true(vm_kernel_format_parse("image", &f));
    assert_int_equal(f, VM_KERNEL_IMAGE);
    assert_false(vm_kernel_format_parse("Image", &f));
    assert_int_equal(f, VM_KERNEL_IMAGE);
    assert_string_equal(vm_kernel_format_name(VM_KERNEL_AUTO), "auto");
    assert_true(vm_feature_parse("off", &v));
    assert_int_equal(v, VM_FEATURE_OFF);
    assert_false(vm_feature_parse("no", &v));
    assert_false(vm_feature_parse(NULL, &v));
    assert_true(vm_irqchip_parse("gicv2", &c));
    assert_int_equal(c, VM_IRQCHIP_GICV2);
    assert_false(vm_irqchip_parse("gicv3-its", &c));
    assert_string_equal(vm_irqchip_name(VM_IRQCHIP_GICV3), "gicv3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_valid_header),
        cmocka_unit_test(refuses_bad_magic),
        cmocka_unit_test(refuses_short_file),
        cmocka_unit_test(refuses_huge_image_size),
        cmocka_unit_test(refuses_inconsistent_sizes),
        cmocka_unit_test(refuses_misaligned_text_offset),
        cmocka_unit_test(refuses_big_endian),
        cmocka_unit_test(places_at_text_offset_above_ram_base),
        cmocka_unit_test(loads_file_and_zeroes_bss),
        cmocka_unit_test(auto_takes_an_image_by_its_magic),
        cmocka_unit_test(auto_loads_headerless_code_raw),
        cmocka_unit_test(auto_refuses_compressed_and_foreign_files),
        cmocka_unit_test(explicit_formats_are_obeyed),
        cmocka_unit_test(places_raw_kernel_512k_into_ram),
        cmocka_unit_test(option_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
