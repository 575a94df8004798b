/* SPDX-License-Identifier: BSD-2-Clause */
/* The bzImage parser on synthetic headers, and on a real kernel when one is around. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/bzimage.h"
#include "bzimage_sample.h"
#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/guest_memory.h"

#define SETUP_SECTS BZIMAGE_SAMPLE_SETUP_SECTS
#define SETUP_SIZE BZIMAGE_SAMPLE_SETUP_SIZE
#define KERNEL_SIZE BZIMAGE_SAMPLE_KERNEL_SIZE
#define IMAGE_SIZE BZIMAGE_SAMPLE_SIZE
#define INIT_SIZE BZIMAGE_SAMPLE_INIT_SIZE

static uint8_t image[IMAGE_SIZE];

static void make_image(void)
{
    bzimage_sample(image);
}

static void test_good_image(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.protocol, 0x020f);
    assert_int_equal(bz.header_end, 0x26c);
    assert_int_equal(bz.setup_size, SETUP_SIZE);
    assert_int_equal(bz.kernel_offset, SETUP_SIZE);
    assert_int_equal(bz.kernel_size, KERNEL_SIZE);
    assert_int_equal(bz.load_addr, 0x1000000);
    assert_int_equal(bz.entry64, 0x1000200);
    assert_int_equal(bz.init_size, INIT_SIZE);
    assert_int_equal(bz.kernel_end, 0x1000000 + INIT_SIZE);
    assert_int_equal(bz.kernel_alignment, 0x200000);
    assert_true(bz.relocatable);
    assert_int_equal(bz.cmdline_size, 2047);
    assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
    assert_int_equal(bz.xloadflags, 0x7f);
    assert_int_equal(bz.loadflags, X86_LOADED_HIGH);
}

static void test_setup_sects_zero_means_four(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    image[X86_HDR_SETUP_SECTS] = 0;
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.setup_size, 5 * 512);
}

static void test_truncated(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    assert_int_equal(x86_bzimage_parse(image, 512, &bz), -STDVMM_EIO);
    assert_int_equal(x86_bzimage_parse(image, 0, &bz), -STDVMM_EIO);
    /* Header intact, payload cut short: syssize gives it away. */
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE - 16, &bz), -STDVMM_EIO);
    assert_int_equal(x86_bzimage_parse(NULL, IMAGE_SIZE, &bz), -STDVMM_EINVAL);
}

static void test_wrong_magic(void **state)
{
    struct x86_bzimage bz;
    (void)state;

    make_image();
    x86_put16(image + X86_HDR_BOOT_FLAG, 0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOEXEC);

    make_image();
    memcpy(image + X86_HDR_MAGIC, "HdrX", 4);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOEXEC);

    /* An ELF vmlinux, recognised even when short. */
    memset(image, 0, sizeof(image));
    memcpy(image, "\177ELF\2\1\1", 7);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOEXEC);
    assert_int_equal(x86_bzimage_parse(image, 64, &bz), -STDVMM_ENOEXEC);

    /* An arm64 Image: "ARM\x64" at 0x38. */
    memset(image, 0, sizeof(image));
    memcpy(image + 0x38, "ARM\x64", 4);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOEXEC);

    /* A gzip file. */
    memset(image, 0, sizeof(image));
    image[0] = 0x1f;
    image[1] = 0x8b;
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOEXEC);
}

static void test_old_protocol(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    x86_put16(image + X86_HDR_VERSION, 0x0206);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOTSUP);
    x86_put16(image + X86_HDR_VERSION, 0x020b);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOTSUP);
    x86_put16(image + X86_HDR_VERSION, 0x020c);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
}

static void test_short_header(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    image[X86_HDR_JUMP + 1] = 0x50; /* header would end at 0x252, before init_size */
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);
}

static void test_setup_sects_past_eof(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    image[X86_HDR_SETUP_SECTS] = 200;
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ERANGE);
    /* Setup ending exactly at EOF leaves no kernel at all. */
    image[X86_HDR_SETUP_SECTS] = IMAGE_SIZE / 512 - 1;
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ERANGE);
}

static void test_not_64bit(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    x86_put16(image + X86_HDR_XLOADFLAGS, 0x7e);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOTSUP);
}

static void test_zimage_refused(void **state)
{
    struct x86_bzimage bz;
    (void)state;
    make_image();
    image[X86_HDR_LOADFLAGS] = 0;
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ENOTSUP);
}

static void test_bad_fields(void **state)
{
    struct x86_bzimage bz;
    (void)state;

    make_image();
    x86_put32(image + X86_HDR_KERNEL_ALIGNMENT, 0x300000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);
    x86_put32(image + X86_HDR_KERNEL_ALIGNMENT, 0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);

    make_image();
    x86_put32(image + X86_HDR_INIT_SIZE, 0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);

    make_image();
    x86_put32(image + X86_HDR_CMDLINE_SIZE, 0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);

    make_image();
    x86_put32(image + X86_HDR_INITRD_ADDR_MAX, 0x8ffff);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);

    make_image();
    x86_put32(image + X86_HDR_SYSSIZE, 0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_EINVAL);
}

static void test_load_address_choice(void **state)
{
    struct x86_bzimage bz;
    (void)state;

    /* Relocatable, pref_address misaligned: realigned default. */
    make_image();
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x1001000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.load_addr, 0x1000000);

    /* Relocatable with a large alignment: the default rounds up to it. */
    x86_put32(image + X86_HDR_KERNEL_ALIGNMENT, 0x4000000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.load_addr, 0x4000000);
    assert_int_equal(bz.entry64, 0x4000200);

    /* Relocatable, pref_address inside the BIOS area: moved. */
    make_image();
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x0);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.load_addr, X86_KERNEL_DEFAULT_ADDR);

    /* Not relocatable: pref_address as is, aligned or not, if it is RAM. */
    make_image();
    image[X86_HDR_RELOCATABLE] = 0;
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x100000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);
    assert_int_equal(bz.load_addr, 0x100000);

    /* Not relocatable and pref_address in the hole or below 1 MiB: refused. */
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0xd0000000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ERANGE);
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0x10000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ERANGE);
    /* ...or with init_size running into the hole. */
    x86_put64(image + X86_HDR_PREF_ADDRESS, 0xbff00000);
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), -STDVMM_ERANGE);
}

static void test_load_into_guest(void **state)
{
    struct x86_bzimage bz;
    struct gmem gm;
    (void)state;

    make_image();
    assert_int_equal(x86_bzimage_parse(image, IMAGE_SIZE, &bz), 0);

    uint64_t ram_size = 32ull << 20;
    uint8_t *ram = calloc(1, ram_size);
    assert_non_null(ram);
    gmem_init(&gm);
    assert_int_equal(gmem_add_region(&gm, 0, ram_size, ram), 0);
    assert_int_equal(x86_bzimage_load(&gm, image, &bz), 0);
    assert_memory_equal(ram + bz.load_addr, image + SETUP_SIZE, KERNEL_SIZE);
    assert_int_equal(ram[bz.load_addr - 1], 0);
    free(ram);

    /* RAM ends inside the kernel's init_size: refused before copying. */
    ram_size = 20ull << 20;
    ram = calloc(1, ram_size);
    assert_non_null(ram);
    gmem_init(&gm);
    assert_int_equal(gmem_add_region(&gm, 0, ram_size, ram), 0);
    assert_int_equal(x86_bzimage_load(&gm, image, &bz), -STDVMM_ENOMEM);
    assert_int_equal(ram[bz.load_addr], 0);
    free(ram);
}

static uint8_t *read_file(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)len);
        if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        }
        *size = (uint64_t)len;
    }
    fclose(f);
    return buf;
}

/* STDVMM_TEST_KERNEL, else the guest kit's kernel on a test host, else /boot/vmlinuz-*. */
static uint8_t *find_real_kernel(char *path, size_t path_size, uint64_t *size)
{
    const char *env = getenv("STDVMM_TEST_KERNEL");
    uint8_t *buf = NULL;

    if (env != NULL && env[0] != '\0') {
        snprintf(path, path_size, "%s", env);
        return read_file(path, size);
    }
    snprintf(path, path_size, "/opt/guest/vmlinuz");
    if ((buf = read_file(path, size)) != NULL)
        return buf;
    glob_t g;
    if (glob("/boot/vmlinuz-*", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && buf == NULL; i++) {
            snprintf(path, path_size, "%s", g.gl_pathv[i]);
            buf = read_file(path, size);
        }
        globfree(&g);
    }
    return buf;
}

static void test_real_kernel(void **state)
{
    char path[4096];
    uint64_t size = 0;
    struct x86_bzimage bz;
    (void)state;

    uint8_t *img = find_real_kernel(path, sizeof(path), &size);
    if (img == NULL) {
        print_message("no kernel (set STDVMM_TEST_KERNEL or install one in /boot): skipped\n");
        skip();
    }
    print_message("parsing %s (%llu bytes)\n", path, (unsigned long long)size);
    assert_int_equal(x86_bzimage_parse(img, size, &bz), 0);
    assert_true(bz.protocol >= X86_BOOT_PROTOCOL_MIN);
    assert_true(bz.xloadflags & X86_XLF_KERNEL_64);
    assert_true(bz.load_addr >= X86_BIOS_END);
    assert_int_equal(bz.entry64, bz.load_addr + 0x200);
    assert_true(bz.kernel_end > bz.load_addr);
    assert_true(bz.kernel_end <= X86_MMIO_HOLE_START);
    assert_true(bz.cmdline_size >= 255);
    assert_int_equal(bz.kernel_offset + bz.kernel_size, size);
    if (bz.relocatable)
        assert_int_equal(bz.load_addr & (bz.kernel_alignment - 1), 0);

    /* It loads into a 256 MiB guest, byte for byte. */
    uint64_t ram_size = 256ull << 20;
    uint8_t *ram = calloc(1, ram_size);
    struct gmem gm;
    assert_non_null(ram);
    gmem_init(&gm);
    assert_int_equal(gmem_add_region(&gm, 0, ram_size, ram), 0);
    assert_int_equal(x86_bzimage_load(&gm, img, &bz), 0);
    assert_memory_equal(ram + bz.load_addr, img + bz.kernel_offset, bz.kernel_size);
    free(ram);

    /* The same kernel cut in half is caught, not booted. */
    assert_int_equal(x86_bzimage_parse(img, size / 2, &bz), -STDVMM_EIO);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_image),
        cmocka_unit_test(test_setup_sects_zero_means_four),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_old_protocol),
        cmocka_unit_test(test_short_header),
        cmocka_unit_test(test_setup_sects_past_eof),
        cmocka_unit_test(test_not_64bit),
        cmocka_unit_test(test_zimage_refused),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_load_address_choice),
        cmocka_unit_test(test_load_into_guest),
        cmocka_unit_test(test_real_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
