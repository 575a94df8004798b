/* SPDX-License-Identifier: BSD-2-Clause */
/* GDT, TSS, identity page tables, the boot vCPU's registers, and the boot MSRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arch/x86_64/boot_cpu.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/msrs.h"
#include "stdvmm/error.h"
#include "stdvmm/guest_memory.h"

#define RAM_SIZE (2ull << 20)

static uint8_t *ram;
static struct gmem gm;

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM_SIZE);
    gmem_init(&gm);
    return ram == NULL || gmem_add_region(&gm, 0, RAM_SIZE, ram) != 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void test_gdt(void **state)
{
    (void)state;
    assert_int_equal(x86_boot_cpu_write_tables(&gm), 0);
    const uint8_t *gdt = ram + X86_GDT_ADDR;
    assert_int_equal(x86_get64(gdt + 0x00), 0);
    assert_int_equal(x86_get64(gdt + 0x08), 0);
    assert_int_equal(x86_get64(gdt + 0x10), 0x00af9b000000ffffull);
    assert_int_equal(x86_get64(gdt + 0x18), 0x00cf93000000ffffull);
    /* Busy 64-bit TSS at X86_TSS_ADDR, limit 0x67; upper half (base 63:32) zero. */
    uint64_t tss = x86_get64(gdt + 0x20);
    assert_int_equal(tss & 0xffff, 0x67);
    assert_int_equal((tss >> 16) & 0xffffff, X86_TSS_ADDR & 0xffffff);
    assert_int_equal((tss >> 40) & 0xff, 0x8b);
    assert_int_equal(tss >> 56, X86_TSS_ADDR >> 24);
    assert_int_equal(x86_get64(gdt + 0x28), 0);
    assert_int_equal(X86_GDT_LIMIT, 0x2f);
    /* The TSS says it has no I/O bitmap. */
    assert_int_equal(x86_get16(ram + X86_TSS_ADDR + 0x66), 0x68);
}

static void test_page_tables(void **state)
{
    (void)state;
    assert_int_equal(x86_boot_cpu_write_tables(&gm), 0);
    const uint8_t *pml4 = ram + X86_PML4_ADDR;
    const uint8_t *pdpt = ram + X86_PDPT_ADDR;
    const uint8_t *pd = ram + X86_PD_ADDR;

    assert_int_equal(x86_get64(pml4), 0xa003);
    for (unsigned i = 1; i < 512; i++)
        assert_int_equal(x86_get64(pml4 + 8 * i), 0);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(x86_get64(pdpt + 8 * i), (0xb000 + 0x1000 * i) | 3);
    for (unsigned i = 4; i < 512; i++)
        assert_int_equal(x86_get64(pdpt + 8 * i), 0);

    /* Walk a few addresses through the tables: identity, 2 MiB pages. */
    static const uint64_t probes[] = {0,          0x7000,     0x1000200, 0x3fffffff,
                                      0xc0000000, 0xfee00000, 0xffffffff};
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t va = probes[i];
        uint64_t e4 = x86_get64(pml4 + 8 * ((va >> 39) & 511));
        assert_true(e4 & 1);
        uint64_t e3 = x86_get64(ram + (e4 & ~0xfffull) + 8 * ((va >> 30) & 511));
        assert_true(e3 & 1);
        assert_false(e3 & 0x80);
        uint64_t e2 = x86_get64(ram + (e3 & ~0xfffull) + 8 * ((va >> 21) & 511));
        assert_int_equal(e2 & 0x83, 0x83);
        assert_int_equal((e2 & ~0x1fffffull) | (va & 0x1fffff), va);
    }
    assert_int_equal(x86_get64(pd), 0x83);
    assert_int_equal(x86_get64(pd + 8 * 2047), 0xffe00083ull);
}

static void test_tables_need_ram(void **state)
{
    struct gmem high;
    (void)state;
    gmem_init(&high);
    assert_int_equal(gmem_add_region(&high, 0x100000, RAM_SIZE, ram), 0);
    assert_int_equal(x86_boot_cpu_write_tables(&high), -STDVMM_EFAULT);
}

static uint64_t descriptor_type(uint64_t d)
{
    return (d >> 40) & 0xf;
}

static void test_registers(void **state)
{
    struct x86_regs regs;
    struct x86_sregs sregs;
    (void)state;

    x86_boot_cpu_state(0x1000200, X86_BOOT_PARAMS_ADDR, &regs, &sregs);
    assert_int_equal(regs.rip, 0x1000200);
    assert_int_equal(regs.rsi, 0x7000);
    assert_int_equal(regs.rflags, 2);
    assert_int_equal(regs.rax, 0);
    assert_int_equal(regs.rdi, 0);

    assert_int_equal(sregs.cr0, 0x80000031);
    assert_true(sregs.cr0 & X86_CR0_PE);
    assert_true(sregs.cr0 & X86_CR0_PG);
    assert_int_equal(sregs.cr3, 0x9000);
    assert_int_equal(sregs.cr4, 0x20);
    assert_int_equal(sregs.efer, 0x500);
    assert_int_equal(sregs.gdt.base, 0x500);
    assert_int_equal(sregs.gdt.limit, 0x2f);
    assert_int_equal(sregs.idt.limit, 0);

    /* cs matches GDT entry 0x10. */
    assert_int_equal(sregs.cs.selector, 0x10);
    assert_int_equal(sregs.cs.base, 0);
    assert_int_equal(sregs.cs.limit, 0xffffffff);
    assert_int_equal(sregs.cs.type, 0xb);
    assert_int_equal(sregs.cs.type, descriptor_type(X86_GDT_CODE64));
    assert_int_equal(sregs.cs.present, 1);
    assert_int_equal(sregs.cs.s, 1);
    assert_int_equal(sregs.cs.dpl, 0);
    assert_int_equal(sregs.cs.l, 1);
    assert_int_equal(sregs.cs.db, 0);
    assert_int_equal(sregs.cs.g, 1);

    const struct x86_segment *data[] = {&sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(data[i]->selector, 0x18);
        assert_int_equal(data[i]->base, 0);
        assert_int_equal(data[i]->limit, 0xffffffff);
        assert_int_equal(data[i]->type, 3);
        assert_int_equal(data[i]->type, descriptor_type(X86_GDT_DATA));
        assert_int_equal(data[i]->present, 1);
        assert_int_equal(data[i]->s, 1);
        assert_int_equal(data[i]->db, 1);
        assert_int_equal(data[i]->l, 0);
        assert_int_equal(data[i]->g, 1);
    }

    assert_int_equal(sregs.tr.selector, 0x20);
    assert_int_equal(sregs.tr.base, X86_TSS_ADDR);
    assert_int_equal(sregs.tr.limit, 0x67);
    assert_int_equal(sregs.tr.type, 0xb);
    assert_int_equal(sregs.tr.s, 0);
    assert_int_equal(sregs.tr.present, 1);
    assert_int_equal(sregs.tr.g, 0);
    assert_int_equal(sregs.tr.unusable, 0);
    assert_int_equal(sregs.ldt.unusable, 1);
}

static void test_msrs(void **state)
{
    struct x86_msr msrs[16];
    (void)state;

    int n = x86_boot_msrs(msrs, 16);
    assert_int_equal(n, X86_BOOT_MSR_COUNT);
    static const struct {
        uint32_t index;
        uint64_t value;
    } want[] = {
        {0x174, 0},      {0x175, 0},      {0x176, 0},      {0xc0000081, 0},
        {0xc0000082, 0}, {0xc0000083, 0}, {0xc0000084, 0}, {0xc0000102, 0},
        {0x10, 0},       {0x1a0, 1},      {0x2ff, 0x806},
    };
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int found = 0;
        for (int j = 0; j < n; j++) {
            if (msrs[j].index == want[i].index) {
                assert_int_equal(msrs[j].value, want[i].value);
                found++;
            }
        }
        assert_int_equal(found, 1);
    }
    assert_int_equal(x86_boot_msrs(msrs, X86_BOOT_MSR_COUNT - 1), -STDVMM_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_need_ram, setup, teardown),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_msrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
