/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/bzimage.h"

#include <string.h>

#include "arch/x86_64/layout.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* Below this even the boot sector and setup header are not all there. */
#define MIN_IMAGE_SIZE 1024u
#define SECTOR 512u

typedef unsigned long long ull;

/*
 * Users hand stdvmm the wrong kernel file often enough (the vmlinux ELF next
 * to the bzImage, an arm64 Image, a still-compressed download) that naming
 * what the file actually is saves them a trip to a hex dump.
 */
static const char *recognise_other_format(const uint8_t *img, uint64_t size)
{
    if (size >= 4 && memcmp(img, "\177ELF", 4) == 0)
        return "an ELF file (a vmlinux?); stdvmm boots arch/x86/boot/bzImage";
    if (size >= 0x40 && memcmp(img + 0x38, "ARM\x64", 4) == 0)
        return "an arm64 Image, not an x86 bzImage";
    if (size >= 2 && img[0] == 0x1f && img[1] == 0x8b)
        return "gzip-compressed; decompress it first";
    return NULL;
}

static bool is_power_of_two(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* The kernel can live at addr: above the BIOS area and wholly below the hole. */
static bool load_addr_usable(uint64_t addr, uint64_t footprint)
{
    return addr >= X86_BIOS_END && addr < X86_MMIO_HOLE_START &&
           footprint <= X86_MMIO_HOLE_START - addr;
}

static int check_identity(const uint8_t *img, uint64_t size)
{
    const char *other = recognise_other_format(img, size);
    if (other != NULL) {
        LOG_ERR("kernel image: not a bzImage: %s", other);
        return -STDVMM_ENOEXEC;
    }
    if (size < MIN_IMAGE_SIZE) {
        LOG_ERR("kernel image: truncated: %llu bytes cannot even hold the boot sector and "
                "setup header (%u bytes)",
                (ull)size, MIN_IMAGE_SIZE);
        return -STDVMM_EIO;
    }
    uint16_t flag = x86_get16(img + X86_HDR_BOOT_FLAG);
    if (flag != X86_BOOT_FLAG_MAGIC) {
        LOG_ERR("kernel image: not a bzImage: boot flag at 0x1fe is 0x%04x, not 0xaa55", flag);
        return -STDVMM_ENOEXEC;
    }
    if (x86_get32(img + X86_HDR_MAGIC) != X86_HDR_MAGIC_HDRS) {
        LOG_ERR("kernel image: not a bzImage: no \"HdrS\" setup header signature at 0x202 "
                "(a boot sector without a Linux setup header)");
        return -STDVMM_ENOEXEC;
    }
    return 0;
}

static int check_capabilities(const uint8_t *img, struct x86_bzimage *bz)
{
    bz->protocol = x86_get16(img + X86_HDR_VERSION);
    if (bz->protocol < X86_BOOT_PROTOCOL_MIN) {
        LOG_ERR("kernel image: boot protocol %u.%02u is too old: stdvmm needs 2.12 or later "
                "(Linux 3.8+) for the 64-bit entry point",
                bz->protocol >> 8, bz->protocol & 0xff);
        return -STDVMM_ENOTSUP;
    }
    /* Byte 0x201 is the displacement of the short jump over the header. */
    bz->header_end = X86_HDR_JUMP + 2u + img[X86_HDR_JUMP + 1];
    if (bz->header_end < X86_HDR_END_2_12) {
        LOG_ERR("kernel image: setup header ends at 0x%x, before the end (0x%x) of the "
                "fields boot protocol %u.%02u promises",
                bz->header_end, X86_HDR_END_2_12, bz->protocol >> 8, bz->protocol & 0xff);
        return -STDVMM_EINVAL;
    }
    if (bz->header_end > X86_HDR_END_MAX)
        bz->header_end = X86_HDR_END_MAX;

    bz->xloadflags = x86_get16(img + X86_HDR_XLOADFLAGS);
    if (!(bz->xloadflags & X86_XLF_KERNEL_64)) {
        LOG_ERR("kernel image: no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags "
                "0x%04x): a 32-bit kernel; stdvmm boots x86_64 kernels only",
                bz->xloadflags);
        return -STDVMM_ENOTSUP;
    }
    bz->loadflags = img[X86_HDR_LOADFLAGS];
    if (!(bz->loadflags & X86_LOADED_HIGH)) {
        LOG_ERR("kernel image: LOADED_HIGH clear in loadflags 0x%02x: a zImage that must "
                "load at 0x10000, which stdvmm does not support",
                bz->loadflags);
        return -STDVMM_ENOTSUP;
    }
    return 0;
}

static int check_extent(const uint8_t *img, uint64_t size, struct x86_bzimage *bz)
{
    unsigned sects = img[X86_HDR_SETUP_SECTS];
    /* Old boot loaders treated 0 as 4; boot.rst keeps that meaning. */
    if (sects == 0)
        sects = 4;
    bz->setup_size = (sects + 1) * SECTOR;
    if (bz->setup_size + (uint64_t)X86_ENTRY64_OFFSET >= size) {
        LOG_ERR("kernel image: setup_sects %u puts the protected-mode kernel at offset %u, "
                "but the file is only %llu bytes (corrupt header or truncated file)",
                sects, bz->setup_size, (ull)size);
        return -STDVMM_ERANGE;
    }
    bz->kernel_offset = bz->setup_size;
    bz->kernel_size = size - bz->setup_size;

    /* Signed kernels carry a signature after the payload, so more is fine; less is not. */
    uint64_t payload = (uint64_t)x86_get32(img + X86_HDR_SYSSIZE) * 16;
    if (payload == 0) {
        LOG_ERR("kernel image: syssize is 0: the header does not say how long the kernel is");
        return -STDVMM_EINVAL;
    }
    if (payload > bz->kernel_size) {
        LOG_ERR("kernel image: truncated: the header (syssize) promises a %llu-byte "
                "protected-mode kernel but the file holds only %llu bytes after the setup",
                (ull)payload, (ull)bz->kernel_size);
        return -STDVMM_EIO;
    }
    return 0;
}

static int check_memory_fields(const uint8_t *img, struct x86_bzimage *bz)
{
    bz->kernel_alignment = x86_get32(img + X86_HDR_KERNEL_ALIGNMENT);
    bz->relocatable = img[X86_HDR_RELOCATABLE] != 0;
    bz->init_size = x86_get32(img + X86_HDR_INIT_SIZE);
    bz->cmdline_size = x86_get32(img + X86_HDR_CMDLINE_SIZE);
    bz->initrd_addr_max = x86_get32(img + X86_HDR_INITRD_ADDR_MAX);

    if (!is_power_of_two(bz->kernel_alignment)) {
        LOG_ERR("kernel image: kernel_alignment 0x%x is not a power of two", bz->kernel_alignment);
        return -STDVMM_EINVAL;
    }
    if (bz->init_size == 0) {
        LOG_ERR("kernel image: init_size is 0: the kernel does not say how much memory it "
                "needs to start");
        return -STDVMM_EINVAL;
    }
    if (bz->cmdline_size == 0) {
        LOG_ERR("kernel image: cmdline_size is 0: the kernel accepts no command line");
        return -STDVMM_EINVAL;
    }
    if (bz->initrd_addr_max < X86_BIOS_END) {
        LOG_ERR("kernel image: initrd_addr_max 0x%x is below 1 MiB: no room for an initramfs",
                bz->initrd_addr_max);
        return -STDVMM_EINVAL;
    }
    return 0;
}

static int choose_load_addr(const uint8_t *img, struct x86_bzimage *bz)
{
    uint64_t footprint = bz->init_size > bz->kernel_size ? bz->init_size : bz->kernel_size;
    uint64_t pref = x86_get64(img + X86_HDR_PREF_ADDRESS);
    bool aligned = (pref & (bz->kernel_alignment - 1)) == 0;

    if (load_addr_usable(pref, footprint) && (aligned || !bz->relocatable)) {
        bz->load_addr = pref;
    } else if (!bz->relocatable) {
        LOG_ERR("kernel image: not relocatable and its pref_address 0x%llx (init_size 0x%x) "
                "is outside usable RAM [1 MiB, 3 GiB)",
                (ull)pref, bz->init_size);
        return -STDVMM_ERANGE;
    } else {
        uint64_t align = bz->kernel_alignment;
        uint64_t addr = (X86_KERNEL_DEFAULT_ADDR + align - 1) & ~(align - 1);
        if (!load_addr_usable(addr, footprint)) {
            LOG_ERR("kernel image: neither pref_address 0x%llx nor 0x%llx (kernel_alignment "
                    "0x%llx) leaves room for init_size 0x%x below 3 GiB",
                    (ull)pref, (ull)addr, (ull)align, bz->init_size);
            return -STDVMM_ERANGE;
        }
        LOG_WARN("kernel image: pref_address 0x%llx is unusable (%s); loading the relocatable "
                 "kernel at 0x%llx",
                 (ull)pref, aligned ? "outside [1 MiB, 3 GiB)" : "misaligned", (ull)addr);
        bz->load_addr = addr;
    }
    bz->entry64 = bz->load_addr + X86_ENTRY64_OFFSET;
    bz->kernel_end = bz->load_addr + footprint;
    return 0;
}

int x86_bzimage_parse(const uint8_t *img, uint64_t size, struct x86_bzimage *out)
{
    struct x86_bzimage bz;
    int err;

    if (img == NULL || out == NULL) {
        LOG_ERR("kernel image: no image given");
        return -STDVMM_EINVAL;
    }
    memset(&bz, 0, sizeof(bz));
    if ((err = check_identity(img, size)) != 0 || (err = check_capabilities(img, &bz)) != 0 ||
        (err = check_extent(img, size, &bz)) != 0 || (err = check_memory_fields(img, &bz)) != 0 ||
        (err = choose_load_addr(img, &bz)) != 0)
        return err;
    *out = bz;
    return 0;
}

int x86_bzimage_load(const struct gmem *gm, const uint8_t *img, const struct x86_bzimage *bz)
{
    uint64_t footprint = bz->kernel_end - bz->load_addr;
    uint8_t *dst = gmem_translate(gm, bz->load_addr, footprint);

    if (dst == NULL) {
        LOG_ERR("kernel image: needs guest RAM [0x%llx, 0x%llx) (load address + init_size "
                "0x%x), which the guest's RAM does not cover; give the guest more memory",
                (ull)bz->load_addr, (ull)bz->kernel_end, bz->init_size);
        return -STDVMM_ENOMEM;
    }
    memcpy(dst, img + bz->kernel_offset, bz->kernel_size);
    return 0;
}
