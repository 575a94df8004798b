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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
