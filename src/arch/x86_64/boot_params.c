/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/boot_params.h"

#include <string.h>

#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

typedef unsigned long long ull;

_Static_assert(X86_BP_E820_TABLE + X86_E820_MAX * X86_BP_E820_ENTRY_SIZE <= X86_ZERO_PAGE_SIZE,
               "e820 table must fit the zero page");

static int check_config(const struct x86_bzimage *bz, const struct x86_boot_config *cfg)
{
    if (cfg->e820_count == 0 || cfg->e820_count > X86_E820_MAX || cfg->e820 == NULL) {
        LOG_ERR("boot_params: %u e820 entries; the zero page takes 1 to %u", cfg->e820_count,
                X86_E820_MAX);
        return -STDVMM_EINVAL;
    }
    if (cfg->initrd_size != 0) {
        uint64_t last = cfg->initrd_addr + cfg->initrd_size - 1;
        if (last < cfg->initrd_addr ||
            (last > bz->initrd_addr_max && !(bz->xloadflags & X86_XLF_CAN_BE_LOADED_ABOVE_4G))) {
            LOG_ERR("boot_params: initramfs [0x%llx, +0x%llx) ends above the kernel's "
                    "initrd_addr_max 0x%x",
                    (ull)cfg->initrd_addr, (ull)cfg->initrd_size, bz->initrd_addr_max);
            return -STDVMM_ERANGE;
        }
    }
    return 0;
}

int x86_boot_params_build(uint8_t *zp, const uint8_t *img, const struct x86_bzimage *bz,
                          const struct x86_boot_config *cfg)
{
    int err = check_config(bz, cfg);
    if (err != 0)
        return err;

    /*
     * Start from zeros and copy only the setup header, as boot.rst asks: the
     * image's bytes before 0x1F1 are boot-sector code, not boot_params, and
     * leaving the sentinel at 0x1EF zero tells the kernel nothing stale
     * follows.
     */
    memset(zp, 0, X86_ZERO_PAGE_SIZE);
    memcpy(zp + X86_HDR_SETUP_SECTS, img + X86_HDR_SETUP_SECTS,
           bz->header_end - X86_HDR_SETUP_SECTS);

    zp[X86_HDR_TYPE_OF_LOADER] = X86_LOADER_TYPE_UNDEFINED;
    /* Keep LOADED_HIGH, drop the kernel-owned and obsolete bits (KASLR, QUIET, KEEP_SEGMENTS). */
    zp[X86_HDR_LOADFLAGS] = (uint8_t)((bz->loadflags & X86_LOADED_HIGH) | X86_CAN_USE_HEAP);
    x86_put16(zp + X86_HDR_HEAP_END_PTR, X86_HEAP_END_PTR);

    x86_put32(zp + X86_HDR_CMD_LINE_PTR, (uint32_t)cfg->cmdline_addr);
    x86_put32(zp + X86_BP_EXT_CMD_LINE_PTR, (uint32_t)(cfg->cmdline_addr >> 32));

    uint64_t rd_addr = cfg->initrd_size != 0 ? cfg->initrd_addr : 0;
    x86_put32(zp + X86_HDR_RAMDISK_IMAGE, (uint32_t)rd_addr);
    x86_put32(zp + X86_BP_EXT_RAMDISK_IMAGE, (uint32_t)(rd_addr >> 32));
    x86_put32(zp + X86_HDR_RAMDISK_SIZE, (uint32_t)cfg->initrd_size);
    x86_put32(zp + X86_BP_EXT_RAMDISK_SIZE, (uint32_t)(cfg->initrd_size >> 32));

    zp[X86_BP_E820_ENTRIES] = (uint8_t)cfg->e820_count;
    for (unsigned i = 0; i < cfg->e820_count; i++) {
        uint8_t *e = zp + X86_BP_E820_TABLE + i * X86_BP_E820_ENTRY_SIZE;
        x86_put64(e, cfg->e820[i].addr);
        x86_put64(e + 8, cfg->e820[i].size);
        x86_put32(e + 16, cfg->e820[i].type);
    }

    if (cfg->acpi_rsdp_addr != 0) {
        if (bz->protocol >= X86_BOOT_PROTOCOL_RSDP)
            x86_put64(zp + X86_BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp_addr);
        else
            LOG_DEBUG("boot_params: protocol %u.%02u predates acpi_rsdp_addr; the kernel "
                      "finds the RSDP by scanning 0xe0000-0xfffff",
                      bz->protocol >> 8, bz->protocol & 0xff);
    }
    return 0;
}

int x86_cmdline_write(const struct gmem *gm, const struct x86_bzimage *bz, const char *cmdline)
{
    uint64_t limit = bz->cmdline_size;
    const char *what = "the kernel's cmdline_size";

    if (limit > X86_CMDLINE_MAX - 1) {
        limit = X86_CMDLINE_MAX - 1;
        what = "stdvmm's 64 KiB command-line area";
    }
    if (cmdline == NULL)
        cmdline = "";
    /* memchr stops at the first NUL, so a short line is never read past its end. */
    const char *nul = memchr(cmdline, '\0', limit + 1);
    if (nul == NULL) {
        LOG_ERR("kernel command line is longer than %llu bytes, the limit set by %s", (ull)limit,
                what);
        return -STDVMM_E2BIG;
    }
    uint64_t len = (uint64_t)(nul - cmdline);
    int err = gmem_write(gm, X86_CMDLINE_ADDR, cmdline, len + 1);
    if (err != 0) {
        LOG_ERR("kernel command line: guest RAM does not cover [0x%llx, +%llu)",
                (ull)X86_CMDLINE_ADDR, (ull)(len + 1));
        return err;
    }
    return 0;
}

int x86_initrd_place(const struct x86_bzimage *bz, uint64_t initrd_size, uint64_t low_ram_end,
                     uint64_t *addr)
{
    /* initrd_addr_max names the last usable byte, hence the + 1. */
    uint64_t top = (uint64_t)bz->initrd_addr_max + 1;
    if (low_ram_end < top)
        top = low_ram_end;

    if (initrd_size == 0) {
        LOG_ERR("initramfs is empty");
        return -STDVMM_EINVAL;
    }
    if (initrd_size > top || ((top - initrd_size) & ~(X86_PAGE_SIZE - 1)) < bz->kernel_end) {
        LOG_ERR("initramfs of %llu bytes does not fit between the kernel's end 0x%llx and "
                "0x%llx (min of initrd_addr_max + 1 and the end of low RAM); give the guest "
                "more memory or use a smaller initramfs",
                (ull)initrd_size, (ull)bz->kernel_end, (ull)top);
        return -STDVMM_ENOMEM;
    }
    *addr = (top - initrd_size) & ~(X86_PAGE_SIZE - 1);
    return 0;
}
