/* SPDX-License-Identifier: BSD-2-Clause */
/* The seL4 port's planning: VMM address space, untyped needs, the untyped pool, registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "port/sel4/portable/sel4_plan.h"
#include "stdvmm/error.h"

#define MiB (1ull << 20)

static void plan_debian_guest(void **state)
{
    (void)state;
    struct sel4_vm_spec spec = {.ram_gpa = 0x40000000,
                                .ram_size = 384 * MiB,
                                .image_size = {31 * MiB + 5, 2 * MiB},
                                .image_count = 2,
                                .program_pages = 200,
                                .vcpus = 1};
    struct sel4_vm_plan plan;
    assert_int_equal(sel4_plan_vm(&spec, &plan), 0);
    assert_int_equal(plan.ram_frames, 192);
    /* 384 MiB = 256 + 128: no power-of-two rounding waste */
    assert_int_equal(plan.ram_chunk_count, 2);
    assert_int_equal(plan.ram_chunk_bits[0], 28);
    assert_int_equal(plan.ram_chunk_bits[1], 27);
    assert_int_equal(plan.image_va[0], SEL4_VMM_IMAGES_VA);
    assert_int_equal(plan.image_frames[0], 16); /* 31 MiB + 5 bytes: 16 large pages */
    assert_int_equal(plan.image_va[1], SEL4_VMM_IMAGES_VA + 32 * MiB);
    assert_int_equal(plan.image_frames[1], 1);
    assert_true(plan.objects_bits >= 22);
    assert_true(plan.slots >= 200 + 2 * 192 + 17);
    assert_int_equal(plan.ram_vmm_va % (2 * MiB), 0);
}

/* A VM of 64 MiB with a 31 MiB kernel and a VMM program of program_pages pages. */
static struct sel4_vm_spec spec_64m(uint64_t program_pages)
{
    return (struct sel4_vm_spec){.ram_gpa = 0x40000000,
                                 .ram_size = 64 * MiB,
                                 .image_size = {31 * MiB},
                                 .image_count = 1,
                                 .program_pages = program_pages,
                                 .vcpus = 1};
}

/* Coloured RAM (small_ram): 4 KiB frames from elsewhere, their level-3 tables from the objects. */
static void plan_small_ram(void **state)
{
    (void)state;
    struct sel4_vm_spec spec = spec_64m(200);
    struct sel4_vm_plan large, small;
    assert_int_equal(sel4_plan_vm(&spec, &large), 0);
    spec.small_ram = true;
    assert_int_equal(sel4_plan_vm(&spec, &small), 0);
    assert_int_equal(large.ram_frames, 32);
    assert_int_equal(small.ram_frames, 16384);
    assert_int_equal(small.ram_chunk_count, 0); /* no 2 MiB chunks: the colour allocator's */
    assert_true(large.ram_chunk_count > 0);
    /* The VMM's copies (one per frame) and 64 level-3 tables; the frames' own slots are not here.
     */
    assert_int_equal(small.slots - large.slots, 16384 - 2 * 32 + 64);
    assert_true(small.objects_bits >= large.objects_bits);
    assert_true((1ull << small.objects_bits) >= 2 * MiB + 200 * 4096 + 64 * 4096);
}

/* A coloured shared region's level-3 tables come from the member's objects too. */
static void plan_extra_tables(void **state)
{
    (void)state;
    struct sel4_vm_spec spec = spec_64m(3560);
    struct sel4_vm_plan without, with;
    assert_int_equal(sel4_plan_vm(&spec, &without), 0);
    /* 2 MiB + 3560 pages + a vCPU leave 80 KiB of 16 MiB: 36 tables (64 MiB) do not fit. */
    spec.extra_tables = 64 / 2 + 4;
    assert_int_equal(sel4_plan_vm(&spec, &with), 0);
    assert_true((1ull << with.objects_bits) >=
                2 * MiB + 3560 * 4096 + 16 * 1024 + spec.extra_tables * 4096);
    assert_int_equal(with.objects_bits, without.objects_bits + 1);
    assert_int_equal(with.slots, without.slots); /* their slots are the shared service's */
}

static void plan_refusals(void **state)
{
    (void)state;
    struct sel4_vm_plan plan;
    struct sel4_vm_spec spec = {
        .ram_gpa = 0x40000000, .ram_size = 3 * MiB, .program_pages = 1, .vcpus = 1};
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL); /* not 2 MiB pages */
    spec.ram_size = 64 * MiB;
    spec.ram_gpa = 0x40100000;
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL); /* misaligned */
    spec.ram_gpa = 0x40000000;
    spec.program_pages = 0;
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
    spec.program_pages = 1;
    spec.image_count = 1;
    spec.image_size[0] = SEL4_VMM_RAM_VA; /* bigger than the image window */
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
    spec.image_count = 5;
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
    spec.image_count = 0;
    spec.ram_size = SEL4_VMM_VA_LIMIT;
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
    spec.ram_size = 64 * MiB;
    assert_int_equal(sel4_plan_vm(&spec, &plan), 0);
    spec.vcpus = 0;
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
    spec.vcpus = SEL4_PLAN_MAX_VCPUS + 1; /* GICv2 targets one byte's worth */
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
}

/*
 * Data pages (the virtio-iommu's tables of a VM with the IOMMU) cost slots and
 * objects like program pages, and must fit their window.
 */
static void plan_data_pages(void **state)
{
    (void)state;
    struct sel4_vm_plan without, with;
    struct sel4_vm_spec spec = {
        .ram_gpa = 0x40000000, .ram_size = 64 * MiB, .program_pages = 1600, .vcpus = 1};
    assert_int_equal(sel4_plan_vm(&spec, &without), 0);
    spec.data_pages = 128;
    assert_int_equal(sel4_plan_vm(&spec, &with), 0);
    assert_int_equal(with.slots - without.slots, 128);
    assert_true((1ull << with.objects_bits) >= 2 * MiB + (1600 + 128) * 4096);
    spec.data_pages = (SEL4_VMM_DATA_LIMIT - SEL4_VMM_DATA_VA) / 4096;
    assert_int_equal(sel4_plan_vm(&spec, &with), 0);
    spec.data_pages++;
    assert_int_equal(sel4_plan_vm(&spec, &with), -STDVMM_EINVAL);
}

/* The data areas start on pages in their order, absent ones take nothing. */
static void data_areas_layout(void **state)
{
    (void)state;
    uint64_t size[4] = {128 * 4096, 0, 4096 + 1, 3 * 131128};
    uint64_t offset[4] = {1, 1, 1, 1};
    /* 128 pages, none, 2 pages, 97 pages (393384 bytes). */
    assert_int_equal(sel4_plan_data(size, 4, offset), 128 + 2 + 97);
    assert_int_equal(offset[0], 0);
    assert_int_equal(offset[1], 0);
    assert_int_equal(offset[2], 128 * 4096);
    assert_int_equal(offset[3], 130 * 4096);
    /* Each area ends before the next one starts. */
    assert_true(offset[2] + size[2] <= offset[3]);
    uint64_t none[2] = {0, 0};
    assert_int_equal(sel4_plan_data(none, 2, offset), 0);
    /* A size the window cannot hold makes a page count sel4_plan_vm refuses, not a wrapped one. */
    uint64_t huge[2] = {UINT64_MAX, UINT64_MAX};
    uint64_t pages = sel4_plan_data(huge, 2, offset);
    assert_true(pages > (SEL4_VMM_DATA_LIMIT - SEL4_VMM_DATA_VA) / 4096);
    struct sel4_vm_plan plan;
    struct sel4_vm_spec spec = {.ram_gpa = 0x40000000,
                                .ram_size = 64 * MiB,
                                .program_pages = 300,
                                .vcpus = 1,
                                .data_pages = pages};
    assert_int_equal(sel4_plan_vm(&spec, &plan), -STDVMM_EINVAL);
}

/* Each vCPU costs objects and slots: an 8-vCPU VM needs more than a 1-vCPU one. */
static void plan_grows_with_vcpus(void **state)
{
    (void)state;
    struct sel4_vm_plan one, eight;
    struct sel4_vm_spec spec = {.ram_gpa = 0x40000000,
                                .ram_size = 128 * MiB,
                                .image_size = {20 * MiB},
                                .image_count = 1,
                                .program_pages = 500,
                                .vcpus = 1};
    assert_int_equal(sel4_plan_vm(&spec, &one), 0);
    spec.vcpus = 8;
    assert_int_equal(sel4_plan_vm(&spec, &eight), 0);
    assert_true(eight.slots >= one.slots + 7 * 6);
    /* 2 MiB fixed + 500 program pages fit 2^22 with one vCPU, not with eight */
    assert_int_equal(one.objects_bits, 22);
    assert_int_equal(eight.objects_bits, 23);
    /* Every VMM thread's IPC buffer lies below the console ring's neighbours. */
    assert_true(SEL4_VMM_IPC_BUFFER_VA(SEL4_PLAN_MAX_VCPUS - 1) < SEL4_VMM_IMAGES_VA);
    assert_true(SEL4_VMM_IPC_BUFFER_VA(0) > SEL4_VMM_CONSOLE_VA);
}

static void chunks(void **state)
{
    (void)state;
    uint8_t bits[4];
    assert_int_equal(sel4_plan_pow2_chunks(7 * 2 * MiB, 21, bits, 4), 3);
    assert_int_equal(bits[0], 23);
    assert_int_equal(bits[2], 21);
    assert_int_equal(sel4_plan_pow2_chunks(15 * 2 * MiB, 21, bits, 3), 0); /* needs 4 */
}

/* The kernel aligns each object to its size above the watermark. */
static void pool_alignment_and_best_fit(void **state)
{
    (void)state;
    struct sel4_ut_pool pool;
    unsigned idx;
    uint64_t pa;
    sel4_ut_pool_init(&pool);
    assert_int_equal(sel4_ut_pool_add(&pool, 100, 0x40000000, 30, false), 0); /* 1 GiB */
    assert_int_equal(sel4_ut_pool_add(&pool, 101, 0x80000000, 24, false), 0); /* 16 MiB */
    assert_int_equal(sel4_ut_pool_add(&pool, 102, 0x09000000, 12, true), 0);  /* device */
    /* An 8 MiB object goes to the 16 MiB untyped: less waste. */
    assert_int_equal(sel4_ut_pool_alloc(&pool, 23, &idx, &pa), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(pa, 0x80000000);
    /* A 4 KiB object then a 4 MiB one in the same untyped: the second is aligned up. */
    assert_int_equal(sel4_ut_pool_alloc(&pool, 12, &idx, &pa), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(pa, 0x80800000);
    assert_int_equal(sel4_ut_pool_alloc(&pool, 22, &idx, &pa), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(pa, 0x80c00000);
    /* Another 4 MiB no longer fits there. */
    assert_int_equal(sel4_ut_pool_alloc(&pool, 22, &idx, &pa), 0);
    assert_int_equal(idx, 0);
    /* Nothing takes 2 GiB; device memory is never handed out as RAM. */
    assert_int_equal(sel4_ut_pool_alloc(&pool, 31, &idx, &pa), -STDVMM_ENOMEM);
    assert_int_equal(sel4_ut_pool_free(&pool, 22), (1ull << 30) - (4ull << 20));
}

static void pool_devices_and_refusals(void **state)
{
    (void)state;
    struct sel4_ut_pool pool;
    unsigned idx;
    sel4_ut_pool_init(&pool);
    assert_int_equal(sel4_ut_pool_add(&pool, 1, 0x08040000, 18, true), 0);
    assert_int_equal(sel4_ut_pool_find_device(&pool, 0x08040000, 0x2000, &idx), 0);
    assert_int_equal(idx, 0);
    assert_int_equal(sel4_ut_pool_find_device(&pool, 0x0807f000, 0x2000, &idx), -STDVMM_ENOENT);
    assert_int_equal(sel4_ut_pool_find_device(&pool, 0x09000000, 0x1000, &idx), -STDVMM_ENOENT);
    assert_int_equal(sel4_ut_pool_add(&pool, 2, 0x1000, 13, false), -STDVMM_EINVAL);
    assert_int_equal(sel4_ut_pool_add(&pool, 2, 0x0, 11, false), -STDVMM_EINVAL);
}

static void context_registers(void **state)
{
    (void)state;
    assert_int_equal(sel4_a64_ctx_x(0), 3);
    assert_int_equal(sel4_a64_ctx_x(8), 11);
    assert_int_equal(sel4_a64_ctx_x(16), 12);
    assert_int_equal(sel4_a64_ctx_x(18), 14);
    assert_int_equal(sel4_a64_ctx_x(29), 15);
    assert_int_equal(sel4_a64_ctx_x(30), 16);
    assert_int_equal(sel4_a64_ctx_x(9), 17);
    assert_int_equal(sel4_a64_ctx_x(15), 23);
    assert_int_equal(sel4_a64_ctx_x(19), 24);
    assert_int_equal(sel4_a64_ctx_x(28), 33);
    assert_int_equal(sel4_a64_ctx_x(31), -1);
    /* Every index used once, all below the context size. */
    int seen[SEL4_A64_CTX_WORDS] = {0};
    for (unsigned n = 0; n < 31; n++)
        seen[sel4_a64_ctx_x(n)]++;
    for (int i = 3; i < 34; i++)
        assert_int_equal(seen[i], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_debian_guest),
        cmocka_unit_test(plan_refusals),
        cmocka_unit_test(plan_grows_with_vcpus),
        cmocka_unit_test(chunks),
        cmocka_unit_test(pool_alignment_and_best_fit),
        cmocka_unit_test(pool_devices_and_refusals),
        cmocka_unit_test(context_registers),
        cmocka_unit_test(plan_small_ram),
        cmocka_unit_test(plan_data_pages),
        cmocka_unit_test(data_areas_layout),
        cmocka_unit_test(plan_extra_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
