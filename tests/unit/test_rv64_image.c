/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The riscv64 Image header: what Debian's kernels carry (header 0.2,
 * magic2, text_offset 2 MiB), placement above the start of RAM, loading
 * with BSS zeroed, and a refusal naming the field for every bad header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/riscv64/image.h"
#include "stdvmm/error.h"

static uint8_t img[8192];

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* A header as Linux 6.x writes it (arch/riscv/kernel/head.S). */
static void make(uint64_t text_offset, uint64_t image_size, uint64_t flags, uint32_t version)
{
    memset(img, 0, sizeof(img));
    put32(img, 0x5a4d); /* "MZ": the EFI stub's first instruction */
    put64(img + 8, text_offset);
    put64(img + 16, image_size);
    put64(img + 24, flags);
    put32(img + 32, version);
    put64(img + RV64_IMAGE_MAGIC_OFFSET, RV64_IMAGE_MAGIC);
    put32(img + RV64_IMAGE_MAGIC2_OFFSET, RV64_IMAGE_MAGIC2);
    for (size_t i = 64; i < sizeof(img); i++)
        img[i] = (uint8_t)i;
}

static void debian_like_header(void **state)
{
    (void)state;
    struct rv64_image r;
    make(0x200000, 0x10000, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), 0);
    assert_int_equal(r.text_offset, 0x200000);
    assert_int_equal(r.image_size, 0x10000);
    uint64_t at;
    assert_int_equal(rv64_image_place(&r, 0x80000000, 64 << 20, &at), 0);
    assert_int_equal(at, 0x80200000);
    /* Only the deprecated magic (a kernel of header 0.2 without magic2 is still 0.2). */
    put32(img + RV64_IMAGE_MAGIC2_OFFSET, 0);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), 0);
}

static void load_zeroes_bss(void **state)
{
    (void)state;
    struct rv64_image r;
    make(0x200000, 0x4000, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), 0);
    uint8_t *ram = malloc(4 << 20);
    assert_non_null(ram);
    memset(ram, 0xcc, 4 << 20);
    struct gmem mem;
    gmem_init(&mem);
    assert_int_equal(gmem_add_region(&mem, 0x80000000, 4 << 20, ram), 0);
    uint64_t at;
    assert_int_equal(rv64_image_place(&r, 0x80000000, 4 << 20, &at), 0);
    assert_int_equal(rv64_image_load(&mem, img, &r, at), 0);
    assert_memory_equal(ram + 0x200000, img, sizeof(img));
    for (uint64_t i = sizeof(img); i < 0x4000; i++)
        assert_int_equal(ram[0x200000 + i], 0);
    assert_int_equal(ram[0x200000 + 0x4000], 0xcc); /* nothing past image_size */
    /* A load address off the 2 MiB grid, or outside RAM. */
    assert_int_equal(rv64_image_load(&mem, img, &r, at + 4096), -STDVMM_EINVAL);
    assert_int_equal(rv64_image_load(&mem, img, &r, 0x90200000), -STDVMM_EFAULT);
    free(ram);
}

static void bad_headers(void **state)
{
    (void)state;
    struct rv64_image r;
    make(0x200000, 0x10000, 0, 2);
    assert_int_equal(rv64_image_parse(img, 63, &r), -STDVMM_ENOEXEC);
    assert_int_equal(rv64_image_parse(NULL, 100, &r), -STDVMM_ENOEXEC);
    /* No magic at all: an arm64 Image or a compressed kernel. */
    put64(img + RV64_IMAGE_MAGIC_OFFSET, 0);
    put32(img + RV64_IMAGE_MAGIC2_OFFSET, 0x644d5241);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200000, 0x10000, 0, 1); /* header 0.1 */
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200000, 0x10000, RV64_IMAGE_FLAG_BE, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200000, 0, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200000, RV64_IMAGE_MAX_SIZE + 1, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200000, 4096, 0, 2); /* smaller than the file */
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x200800, 0x10000, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    make(0x400000, 0x10000, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), -STDVMM_ENOEXEC);
    /* Placement: a RAM base off the grid, a kernel bigger than RAM. */
    make(0x200000, 0x10000, 0, 2);
    assert_int_equal(rv64_image_parse(img, sizeof(img), &r), 0);
    uint64_t at;
    assert_int_equal(rv64_image_place(&r, 0x80001000, 64 << 20, &at), -STDVMM_EINVAL);
    assert_int_equal(rv64_image_place(&r, 0x80000000, 0x200000, &at), -STDVMM_ENOSPC);
    assert_int_equal(rv64_image_place(&r, 0x80000000, 0x100000, &at), -STDVMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(debian_like_header),
        cmocka_unit_test(load_zeroes_bss),
        cmocka_unit_test(bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
