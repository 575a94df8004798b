/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/e820.h"

#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

typedef unsigned long long ull;

int x86_ram_plan(uint64_t ram_size, struct x86_ram_range *out, unsigned max, unsigned *count)
{
    if (ram_size < X86_MIN_RAM) {
        LOG_ERR("guest RAM of %llu MiB is too small: x86 guests need at least %llu MiB",
                (ull)(ram_size >> 20), (ull)(X86_MIN_RAM >> 20));
        return -STDVMM_EINVAL;
    }
    if (ram_size & (X86_PAGE_SIZE - 1)) {
        LOG_ERR("guest RAM size 0x%llx is not a multiple of 4 KiB", (ull)ram_size);
        return -STDVMM_EINVAL;
    }
    unsigned need = ram_size > X86_MMIO_HOLE_START ? 2 : 1;
    if (max < need) {
        LOG_ERR("RAM plan for 0x%llx bytes needs %u ranges, room for %u", (ull)ram_size, need, max);
        return -STDVMM_ENOSPC;
    }
    if (need == 1) {
        out[0] = (struct x86_ram_range){.gpa = 0, .size = ram_size};
    } else {
        uint64_t high = ram_size - X86_MMIO_HOLE_START;
        if (high > UINT64_MAX - X86_HIGH_RAM_START) {
            LOG_ERR("guest RAM size 0x%llx does not fit the address space", (ull)ram_size);
            return -STDVMM_EINVAL;
        }
        out[0] = (struct x86_ram_range){.gpa = 0, .size = X86_MMIO_HOLE_START};
        out[1] = (struct x86_ram_range){.gpa = X86_HIGH_RAM_START, .size = high};
    }
    *count = need;
    return 0;
}

static int push(struct x86_e820_entry *out, unsigned max, unsigned *n, uint64_t addr, uint64_t end,
                uint32_t type)
{
    if (*n >= max) {
        LOG_ERR("e820 map is full (%u entries) at [0x%llx, 0x%llx)", max, (ull)addr, (ull)end);
        return -STDVMM_ENOSPC;
    }
    out[(*n)++] = (struct x86_e820_entry){.addr = addr, .size = end - addr, .type = type};
    return 0;
}

/* [gpa, gpa+size) overlaps [start, end). */
static bool overlaps(const struct x86_ram_range *r, uint64_t start, uint64_t end)
{
    return r->gpa < end && start < r->gpa + r->size;
}

static int check_range(const struct x86_ram_range *ram, unsigned i)
{
    const struct x86_ram_range *r = &ram[i];

    if (r->size == 0 || r->gpa + r->size < r->gpa) {
        LOG_ERR("RAM range %u [0x%llx, +0x%llx) is empty or wraps around", i, (ull)r->gpa,
                (ull)r->size);
        return -STDVMM_EINVAL;
    }
    if (overlaps(r, X86_MMIO_HOLE_START, X86_MMIO_HOLE_END)) {
        LOG_ERR("RAM range %u [0x%llx, 0x%llx) overlaps the 32-bit MMIO hole "
                "[0xc0000000, 4 GiB)",
                i, (ull)r->gpa, (ull)(r->gpa + r->size));
        return -STDVMM_EINVAL;
    }
    if (r->gpa != 0 && overlaps(r, 0, X86_BIOS_END)) {
        LOG_ERR("RAM range %u at 0x%llx overlaps the low 1 MiB, which belongs to the range "
                "starting at 0",
                i, (ull)r->gpa);
        return -STDVMM_EINVAL;
    }
    for (unsigned j = 0; j < i; j++) {
        if (overlaps(r, ram[j].gpa, ram[j].gpa + ram[j].size)) {
            LOG_ERR("RAM ranges %u and %u overlap at 0x%llx", j, i, (ull)r->gpa);
            return -STDVMM_EINVAL;
        }
    }
    return 0;
}

int x86_e820_build(const struct x86_ram_range *ram, unsigned ram_count, struct x86_e820_entry *out,
                   unsigned max, unsigned *count)
{
    const struct x86_ram_range *low = NULL;
    unsigned n = 0;
    int err;

    for (unsigned i = 0; i < ram_count; i++) {
        if ((err = check_range(ram, i)) != 0)
            return err;
        if (ram[i].gpa == 0)
            low = &ram[i];
    }
    if (low == NULL) {
        LOG_ERR("RAM plan has no range at address 0: the kernel needs low memory");
        return -STDVMM_EINVAL;
    }
    if (low->size < X86_MIN_RAM) {
        LOG_ERR("low RAM of %llu KiB is too small: the boot layout needs at least %llu MiB "
                "below the hole",
                (ull)(low->size >> 10), (ull)(X86_MIN_RAM >> 20));
        return -STDVMM_EINVAL;
    }

    /*
     * The EBDA and BIOS area are reserved even though they are backed by RAM:
     * the ACPI tables live there, and the kernel must not hand those pages out.
     */
    if ((err = push(out, max, &n, 0, X86_EBDA_START, X86_E820_RAM)) != 0 ||
        (err = push(out, max, &n, X86_EBDA_START, X86_BIOS_END, X86_E820_RESERVED)) != 0 ||
        (err = push(out, max, &n, X86_BIOS_END, low->size, X86_E820_RAM)) != 0)
        return err;

    /* Insertion into the sorted tail keeps the map ordered without relying on the plan's order. */
    for (unsigned i = 0; i < ram_count; i++) {
        if (&ram[i] == low)
            continue;
        if ((err = push(out, max, &n, ram[i].gpa, ram[i].gpa + ram[i].size, X86_E820_RAM)) != 0)
            return err;
        for (unsigned k = n - 1; k > 0 && out[k - 1].addr > out[k].addr; k--) {
            struct x86_e820_entry t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    }
    *count = n;
    return 0;
}
