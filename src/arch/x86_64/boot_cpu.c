/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/boot_cpu.h"

#include <string.h>

#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

typedef unsigned long long ull;

#define TSS_ACCESS 0x8bull   /* present, DPL 0, system, type 0xB: busy 64-bit TSS */
#define TSS_IOPB_OFFSET 0x66 /* u16: where the I/O bitmap would start */

static void *table(const struct gmem *gm, uint64_t gpa, uint64_t len, const char *what)
{
    void *p = gmem_translate(gm, gpa, len);
    if (p == NULL)
        LOG_ERR("boot CPU: guest RAM does not cover the %s at [0x%llx, +0x%llx)", what, (ull)gpa,
                (ull)len);
    return p;
}

static uint64_t system_descriptor_low(uint64_t base, uint32_t limit, uint64_t access)
{
    return (limit & 0xffffull) | (base & 0xffffffull) << 16 | access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
}

int x86_boot_cpu_write_tables(const struct gmem *gm)
{
    uint8_t *gdt = table(gm, X86_GDT_ADDR, X86_GDT_LIMIT + 1, "GDT");
    uint8_t *tss = table(gm, X86_TSS_ADDR, X86_TSS_SIZE, "TSS");
    uint8_t *pml4 = table(gm, X86_PML4_ADDR, X86_PAGE_SIZE, "PML4");
    uint8_t *pdpt = table(gm, X86_PDPT_ADDR, X86_PAGE_SIZE, "PDPT");
    uint8_t *pd = table(gm, X86_PD_ADDR, X86_PD_COUNT * X86_PAGE_SIZE, "page directories");
    if (gdt == NULL || tss == NULL || pml4 == NULL || pdpt == NULL || pd == NULL)
        return -STDVMM_EFAULT;

    memset(gdt, 0, X86_GDT_LIMIT + 1);
    x86_put64(gdt + X86_BOOT_CS, X86_GDT_CODE64);
    x86_put64(gdt + X86_BOOT_DS, X86_GDT_DATA);
    /* Long-mode system descriptors are 16 bytes; the upper half holds base bits 63:32 (zero). */
    x86_put64(gdt + X86_BOOT_TSS,
              system_descriptor_low(X86_TSS_ADDR, X86_TSS_SIZE - 1, TSS_ACCESS));

    /*
     * Nothing uses the TSS before Linux loads its own, but VMX refuses to
     * enter long mode unless TR holds a present busy 64-bit TSS; backing the
     * descriptor with real, zeroed memory keeps it honest.
     */
    memset(tss, 0, X86_TSS_SIZE);
    x86_put16(tss + TSS_IOPB_OFFSET, (uint16_t)X86_TSS_SIZE);

    memset(pml4, 0, X86_PAGE_SIZE);
    memset(pdpt, 0, X86_PAGE_SIZE);
    x86_put64(pml4, X86_PDPT_ADDR | X86_PTE_PRESENT | X86_PTE_WRITE);
    for (unsigned i = 0; i < X86_PD_COUNT; i++)
        x86_put64(pdpt + 8 * i,
                  (X86_PD_ADDR + i * X86_PAGE_SIZE) | X86_PTE_PRESENT | X86_PTE_WRITE);
    for (uint64_t i = 0; i < X86_PD_COUNT * 512ull; i++)
        x86_put64(pd + 8 * i, (i << 21) | X86_PTE_PRESENT | X86_PTE_WRITE | X86_PTE_LARGE);
    return 0;
}

/* The register view of a code/data descriptor, so the two can never disagree. */
static struct x86_segment segment_from_descriptor(uint64_t d, uint16_t selector)
{
    struct x86_segment s;
    uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16);

    memset(&s, 0, sizeof(s));
    s.selector = selector;
    s.base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24;
    s.type = (d >> 40) & 0xf;
    s.s = (d >> 44) & 1;
    s.dpl = (d >> 45) & 3;
    s.present = (d >> 47) & 1;
    s.avl = (d >> 52) & 1;
    s.l = (d >> 53) & 1;
    s.db = (d >> 54) & 1;
    s.g = (d >> 55) & 1;
    s.limit = s.g ? (limit << 12) | 0xfff : limit;
    return s;
}

void x86_boot_cpu_state(uint64_t entry64, uint64_t boot_params, struct x86_regs *regs,
                        struct x86_sregs *sregs)
{
    memset(regs, 0, sizeof(*regs));
    regs->rip = entry64;
    regs->rsi = boot_params;
    regs->rsp = X86_BOOT_STACK_TOP;
    regs->rbp = X86_BOOT_STACK_TOP;
    regs->rflags = X86_RFLAGS_RESERVED;

    memset(sregs, 0, sizeof(*sregs));
    sregs->cs = segment_from_descriptor(X86_GDT_CODE64, X86_BOOT_CS);
    sregs->ds = segment_from_descriptor(X86_GDT_DATA, X86_BOOT_DS);
    sregs->es = sregs->ds;
    sregs->fs = sregs->ds;
    sregs->gs = sregs->ds;
    sregs->ss = sregs->ds;
    sregs->tr = segment_from_descriptor(
        system_descriptor_low(X86_TSS_ADDR, X86_TSS_SIZE - 1, TSS_ACCESS), X86_BOOT_TSS);
    /* No LDT: mark it unusable rather than describe a fake one. */
    sregs->ldt.unusable = 1;

    sregs->gdt.base = X86_GDT_ADDR;
    sregs->gdt.limit = X86_GDT_LIMIT;
    /* An empty IDT: interrupts are off, and an exception before Linux's own IDT is fatal anyway. */
    sregs->idt.base = 0;
    sregs->idt.limit = 0;

    sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    sregs->cr3 = X86_PML4_ADDR;
    sregs->cr4 = X86_CR4_PAE;
    sregs->efer = X86_EFER_LME | X86_EFER_LMA;
}
