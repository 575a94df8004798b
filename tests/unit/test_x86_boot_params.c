/* SPDX-License-Identifier: BSD-2-Clause */
/* The zero page, the command line and the initramfs placement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/boot_params.h"
#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/guest_memory.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define SETUP_SIZE (5 * 512)
#define KERNEL_SIZE 4096
#define IMAGE_SIZE (SETUP_SIZE + KERNEL_SIZE)

static uint8_t image[IMAGE_SIZE];
static uint8_t zp[X86_ZERO_PAGE_SIZE];

static void make_image(uint16_t protocol)
{
    /* Non-zero filler everywhere shows what the zero page must not copy. */
    memset(image, 0xa5, sizeof(image));
    image[X86_HDR_SETUP_SECTS] = 4;
    x86_put32(image + X86_HDR_SYSSIZE, KERNEL_SIZE / 16);
    x86_put16(image + X86_HDR_BOOT_FLAG, 0xaa55);
    image[X86_HDR_JUMP] = 0xeb;
    image[X86_HDR_JUMP + 1] = 0x6a; /* header ends at 0x26c */
    memcpy(image + X86_HDR_MAGIC, "HdrS", 4);
    x86_put16(image + X86_HDR_VERSION, protocol);
    image[X86_HDR_TYPE_OF_LOADER] = 0;
    /* A kernel never ships with these set, but a loader must not pass them on. */
    image[X86_HDR_LOADFLAGS] = X86_LOADED_HIGH | X86_QUIET_FLAG | X86_KEEP_SEGMENTS;
    x86_put32(image + X86_HDR_RAMDISK_IMAGE, 0);
    x86_put32(image + X86_HDR_RAMDISK_SIZE, 0);
    x86_put32(image + X86_HDR_CMD_LINE_PTR, 0);
    x86_put32(image + X86_HDR_INITRD_ADDR_MAX, 0x7fffffff);
    x86_put32(image + X86_HDR_KERNEL_ALIGNMENT, 0x200000);
    image[X86_HDR_RELOCATABLE] = 1;
    x86_put16(image + X86_HDR_XLOADFLAGS, 0x7f);
    x86_put32(image + X86_HDR_CMDLINE_SIZE, 2047);
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x1000000);
    x86_put32(image + X86_HDR_INIT_SIZE, 0x3f98000);
}

static void parse(struct x86_bzimage *bz)
{
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, bz), 0);
}

static const struct x86_e820_entry e820_256m[] = {
    {0, 0x9fc00, X86_E820_RAM},
    {0x9fc00, 0x100000 - 0x9fc00, X86_E820_RESERVED},
    {0x100000, 256 * MiB - 0x100000, X86_E820_RAM},
};

static void test_fields(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image(0x020f);
    parse(&bz);

    struct x86_boot_config cfg = {
        .cmdline_addr = X86_CMDLINE_ADDR,
        .initrd_addr = 0x0f000000,
        .initrd_size = 0x00123456,
        .e820 = e820_256m,
        .e820_count = 3,
        .acpi_rsdp_addr = 0xe0000,
    };
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), 0);

    /* The setup header, verbatim from 0x1F1 to its end... */
    assert_int_equal(zp[X86_HDR_SETUP_SECTS], 4);
    assert_memory_equal(zp + 0x202, "HdrS", 4);
    assert_int_equal(x86_get16(zp + X86_HDR_VERSION), 0x020f);
    assert_int_equal(x86_get32(zp + X86_HDR_INIT_SIZE), 0x3f98000);
    assert_int_equal(x86_get64(zp + X86_HDR_PREF_ADDRESS), 0x1000000);
    assert_memory_equal(zp + 0x268, image + 0x268, 4);
    /* ...and nothing of the image around it. */
    for (unsigned off = 0; off < 0x1f1; off++)
        if (off < 0x070 || off >= 0x078)     /* acpi_rsdp_addr */
            if (off < 0x0c0 || off >= 0x0cc) /* ext_ fields */
                if (off != 0x1e8)
                    assert_int_equal(zp[off], 0);
    assert_int_equal(zp[X86_BP_SENTINEL], 0);
    for (unsigned off = 0x26c; off < X86_BP_E820_TABLE; off++)
        assert_int_equal(zp[off], 0);

    /* The loader's fields. */
    assert_int_equal(zp[0x210], 0xff);
    assert_int_equal(zp[0x211], X86_LOADED_HIGH | X86_CAN_USE_HEAP);
    assert_int_equal(x86_get16(zp + 0x224), 0xfe00);
    assert_int_equal(x86_get32(zp + 0x228), 0x20000);
    assert_int_equal(x86_get32(zp + 0x0c8), 0);
    assert_int_equal(x86_get32(zp + 0x218), 0x0f000000);
    assert_int_equal(x86_get32(zp + 0x21c), 0x00123456);
    assert_int_equal(x86_get32(zp + 0x0c0), 0);
    assert_int_equal(x86_get32(zp + 0x0c4), 0);
    assert_int_equal(x86_get64(zp + 0x070), 0xe0000);

    assert_int_equal(zp[0x1e8], 3);
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        assert_int_equal(x86_get64(e), e820_256m[i].addr);
        assert_int_equal(x86_get64(e + 8), e820_256m[i].size);
        assert_int_equal(x86_get32(e + 16), e820_256m[i].type);
    }
    for (unsigned off = 0x2d0 + 3 * 20; off < X86_ZERO_PAGE_SIZE; off++)
        assert_int_equal(zp[off], 0);
}

static void test_high_addresses_use_ext_fields(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image(0x020f);
    parse(&bz);

    struct x86_boot_config cfg = {
        .cmdline_addr = 0x123456000ull,
        .initrd_addr = 0x220000000ull,
        .initrd_size = 0x100001000ull,
        .e820 = e820_256m,
        .e820_count = 3,
    };
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), 0);
    assert_int_equal(x86_get32(zp + 0x228), 0x23456000);
    assert_int_equal(x86_get32(zp + 0x0c8), 0x1);
    assert_int_equal(x86_get32(zp + 0x218), 0x20000000);
    assert_int_equal(x86_get32(zp + 0x0c0), 0x2);
    assert_int_equal(x86_get32(zp + 0x21c), 0x00001000);
    assert_int_equal(x86_get32(zp + 0x0c4), 0x1);
    assert_int_equal(x86_get64(zp + 0x070), 0); /* no RSDP given */

    /* Without XLF_CAN_BE_LOADED_ABOVE_4G the same initramfs is refused. */
    x86_put16(image + X86_HDR_XLOADFLAGS, X86_XLF_KERNEL_64);
    parse(&bz);
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), -STDVMM_ERANGE);
}

static void test_rsdp_needs_2_14(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    struct x86_boot_config cfg = {.e820 = e820_256m, .e820_count = 3, .acpi_rsdp_addr = 0xe0000};

    make_image(0x020d);
    parse(&bz);
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), 0);
    assert_int_equal(x86_get64(zp + 0x070), 0);

    make_image(0x020e);
    parse(&bz);
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), 0);
    assert_int_equal(x86_get64(zp + 0x070), 0xe0000);
}

static void test_e820_count_limits(void **state)
{
    static struct x86_e820_entry many[X86_E820_MAX + 1];
    struct x86_bzimage bz;
    (void)state;
    make_image(0x020f);
    parse(&bz);

    for (unsigned i = 0; i <= X86_E820_MAX; i++)
        many[i] = (struct x86_e820_entry){.addr = i * 0x10000ull, .size = 0x10000, .type = 1};
    struct x86_boot_config cfg = {.e820 = many, .e820_count = X86_E820_MAX};
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), 0);
    assert_int_equal(zp[0x1e8], X86_E820_MAX);
    const uint8_t *last = zp + 0x2d0 + 20 * (X86_E820_MAX - 1);
    assert_int_equal(x86_get64(last), (X86_E820_MAX - 1) * 0x10000ull);

    cfg.e820_count = X86_E820_MAX + 1;
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), -STDVMM_EINVAL);
    cfg.e820_count = 0;
    assert_int_equal(x86_boot_params_build(zp, image, &bz, &cfg), -STDVMM_EINVAL);
}

struct guest {
    struct gmem gm;
    uint8_t *ram;
    uint64_t size;
};

static void guest_init(struct guest *g, uint64_t size)
{
    g->size = size;
    g->ram = calloc(1, size);
    assert_non_null(g->ram);
    gmem_init(&g->gm);
    assert_int_equal(gmem_add_region(&g->gm, 0, size, g->ram), 0);
}

static char *line_of(size_t len)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    memset(s, 'x', len);
    s[len] = '\0';
    return s;
}

static void test_cmdline_limits(void **state)
{
    struct x86_bzimage bz;
    struct guest g;
    (void)state;
    make_image(0x020f);
    parse(&bz);
    guest_init(&g, 1 * MiB);

    /* Exactly cmdline_size characters fit, NUL after them. */
    char *s = line_of(2047);
    memset(g.ram + X86_CMDLINE_ADDR, 0xee, 4096);
    assert_int_equal(x86_cmdline_write(&g.gm, &bz, s), 0);
    assert_memory_equal(g.ram + X86_CMDLINE_ADDR, s, 2047);
    assert_int_equal(g.ram[X86_CMDLINE_ADDR + 2047], 0);
    free(s);

    s = line_of(2048);
    assert_int_equal(x86_cmdline_write(&g.gm, &bz, s), -STDVMM_E2BIG);
    free(s);

    assert_int_equal(x86_cmdline_write(&g.gm, &bz, "console=ttyS0 quiet"), 0);
    assert_string_equal((char *)g.ram + X86_CMDLINE_ADDR, "console=ttyS0 quiet");
    assert_int_equal(x86_cmdline_write(&g.gm, &bz, NULL), 0);
    assert_int_equal(g.ram[X86_CMDLINE_ADDR], 0);

    /* A kernel accepting more than the area: the 64 KiB area is the limit. */
    x86_put32(image + X86_HDR_CMDLINE_SIZE, 1u << 20);
    parse(&bz);
    s = line_of(X86_CMDLINE_MAX - 1);
    assert_int_equal(x86_cmdline_write(&g.gm, &bz, s), 0);
    assert_int_equal(g.ram[X86_CMDLINE_ADDR + X86_CMDLINE_MAX - 1], 0);
    free(s);
    s = line_of(X86_CMDLINE_MAX);
    assert_int_equal(x86_cmdline_write(&g.gm, &bz, s), -STDVMM_E2BIG);
    free(s);

    /* No RAM behind the command-line area. */
    struct gmem empty;
    gmem_init(&empty);
    assert_int_equal(x86_cmdline_write(&empty, &bz, "x"), -STDVMM_EFAULT);
    free(g.ram);
}

static void test_initrd_placement(void **state)
{
    struct x86_bzimage bz;
    uint64_t addr = 0;
    (void)state;
    make_image(0x020f);
    parse(&bz);
    assert_int_equal(bz.kernel_end, 0x1000000 + 0x3f98000);

    /* 256 MiB RAM: top of RAM, page-aligned down. */
    uint64_t size = 10 * MiB + 1;
    assert_int_equal(x86_initrd_place(&bz, size, 256 * MiB, &addr), 0);
    assert_int_equal(addr, (256 * MiB - size) & ~0xfffull);
    assert_true(addr + size <= 256 * MiB);
    assert_true(addr >= bz.kernel_end);

    /* 3 GiB low RAM: initrd_addr_max (2 GiB - 1) is the limit. */
    assert_int_equal(x86_initrd_place(&bz, 4096, 3 * GiB, &addr), 0);
    assert_int_equal(addr, 2 * GiB - 4096);

    /* Exactly the room between the kernel and the top. */
    uint64_t room = 256 * MiB - bz.kernel_end;
    assert_int_equal(x86_initrd_place(&bz, room, 256 * MiB, &addr), 0);
    assert_int_equal(addr, bz.kernel_end);
    assert_int_equal(x86_initrd_place(&bz, room + 1, 256 * MiB, &addr), -STDVMM_ENOMEM);

    /* Larger than RAM, RAM ending inside the kernel, empty. */
    assert_int_equal(x86_initrd_place(&bz, 300 * MiB, 256 * MiB, &addr), -STDVMM_ENOMEM);
    assert_int_equal(x86_initrd_place(&bz, 4096, 64 * MiB, &addr), -STDVMM_ENOMEM);
    assert_int_equal(x86_initrd_place(&bz, 0, 256 * MiB, &addr), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_high_addresses_use_ext_fields),
        cmocka_unit_test(test_rsdp_needs_2_14),
        cmocka_unit_test(test_e820_count_limits),
        cmocka_unit_test(test_cmdline_limits),
        cmocka_unit_test(test_initrd_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
