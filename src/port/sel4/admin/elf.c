/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loads the VMM program (a static aarch64 ELF linked at
 * SEL4_VMM_PROGRAM_BASE) into a fresh VSpace: one new frame per page of
 * every PT_LOAD segment, filled through the admin's scratch window. The
 * program is built with this admin, but its headers are still checked
 * before use: a corrupt image must not make the admin write out of bounds.
 */
#include <elf.h>
#include <string.h>

#include "admin.h"

#define PAGE (1ull << seL4_PageBits)

static const Elf64_Phdr *phdrs(const uint8_t *elf, uint64_t size, unsigned *count)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;

    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_AARCH64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
        (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff) {
        console_printf("admin: the embedded VMM program is not an aarch64 ELF\n");
        return NULL;
    }
    *count = eh->e_phnum;
    return (const Elf64_Phdr *)(elf + eh->e_phoff);
}

static bool segment_ok(const Elf64_Phdr *ph, uint64_t size)
{
    return ph->p_filesz <= ph->p_memsz && ph->p_offset <= size &&
           ph->p_filesz <= size - ph->p_offset && ph->p_vaddr >= SEL4_VMM_PROGRAM_BASE &&
           ph->p_memsz <= SEL4_VMM_PROGRAM_LIMIT - ph->p_vaddr;
}

int elf_program_pages(const uint8_t *elf, uint64_t size, uint64_t *pages, uint64_t *entry)
{
    unsigned n;
    const Elf64_Phdr *ph = phdrs(elf, size, &n);

    if (ph == NULL)
        return -1;
    *pages = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (!segment_ok(&ph[i], size)) {
            console_printf("admin: VMM program segment %u lies outside its window\n", i);
            return -1;
        }
        uint64_t start = ph[i].p_vaddr & ~(PAGE - 1);
        uint64_t end = (ph[i].p_vaddr + ph[i].p_memsz + PAGE - 1) & ~(PAGE - 1);
        *pages += (end - start) / PAGE;
    }
    *entry = ((const Elf64_Ehdr *)elf)->e_entry;
    return 0;
}

int elf_load(const uint8_t *elf, uint64_t size, seL4_CPtr vspace, struct ut_alloc *a,
             struct colour_alloc *colour)
{
    static uint8_t page[1u << seL4_PageBits];
    unsigned n;
    const Elf64_Phdr *ph = phdrs(elf, size, &n);

    if (ph == NULL)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD || !segment_ok(&ph[i], size))
            continue;
        uint64_t start = ph[i].p_vaddr & ~(PAGE - 1);
        uint64_t end = ph[i].p_vaddr + ph[i].p_memsz;
        for (uint64_t va = start; va < end; va += PAGE) {
            /* The part of this page that the file provides; the rest is zero (bss). */
            memset(page, 0, sizeof(page));
            uint64_t file_lo = ph[i].p_vaddr, file_hi = ph[i].p_vaddr + ph[i].p_filesz;
            uint64_t lo = va > file_lo ? va : file_lo;
            uint64_t hi = va + PAGE < file_hi ? va + PAGE : file_hi;
            if (lo < hi)
                memcpy(page + (lo - va), elf + ph[i].p_offset + (lo - file_lo), hi - lo);
            seL4_CPtr frame;
            seL4_Error err = colour != NULL
                                 ? colour_frame(colour, &frame)
                                 : ut_retype(a, seL4_ARM_SmallPageObject, 0, seL4_PageBits, &frame);
            if (err == seL4_NoError)
                err = vs_fill_frame(frame, page, sizeof(page));
            /* Segments of a static program may share a page: map it once. */
            if (err == seL4_NoError)
                err = vs_map(vspace, frame, va, seL4_AllRights, seL4_ARM_Default_VMAttributes, a);
            if (err == seL4_DeleteFirst) {
                console_printf("admin: VMM program segments overlap at 0x%llx\n",
                               (unsigned long long)va);
                return -1;
            }
            if (err != seL4_NoError) {
                console_printf("admin: loading the VMM program at 0x%llx failed: error %d\n",
                               (unsigned long long)va, err);
                return -1;
            }
        }
    }
    return 0;
}
