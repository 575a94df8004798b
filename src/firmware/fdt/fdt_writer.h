/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sequential-write helpers the device tree builders share (dtb.c for
 * Arm, dtb_riscv64.c): the first libfdt error sticks and stops the build.
 */
#ifndef STDVMM_FIRMWARE_FDT_WRITER_H
#define STDVMM_FIRMWARE_FDT_WRITER_H

#include <libfdt.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

#define NAME_MAX_LEN 48

/* libfdt reports errors as negative FDT_ERR_*; the first one stops the build. */
struct writer {
    void *fdt;
    int err;
};

static inline void check(struct writer *w, int r)
{
    if (w->err == 0 && r < 0)
        w->err = r;
}

static inline void begin(struct writer *w, const char *name)
{
    if (w->err == 0)
        check(w, fdt_begin_node(w->fdt, name));
}

static inline void end(struct writer *w)
{
    if (w->err == 0)
        check(w, fdt_end_node(w->fdt));
}

static inline void prop(struct writer *w, const char *name, const void *val, int len)
{
    if (w->err == 0)
        check(w, fdt_property(w->fdt, name, val, len));
}

static inline void prop_str(struct writer *w, const char *name, const char *s)
{
    prop(w, name, s, (int)strlen(s) + 1);
}

static inline void prop_u32(struct writer *w, const char *name, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);
    prop(w, name, &be, sizeof(be));
}

static inline void prop_u64(struct writer *w, const char *name, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);
    prop(w, name, &be, sizeof(be));
}

static inline void prop_empty(struct writer *w, const char *name)
{
    static const char nothing; /* libfdt copies 0 bytes from it; NULL would be UB for memcpy */
    prop(w, name, &nothing, 0);
}

/* reg = <base size> with #address-cells = #size-cells = 2. */
static inline void prop_reg(struct writer *w, uint64_t base, uint64_t size)
{
    fdt64_t cells[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    prop(w, "reg", cells, sizeof(cells));
}

/*
 * A shared region's node (docs/memory.md), open for the caller's interrupt
 * property and end(): the register page first, then the region's memory.
 * No Linux driver binds "stdvmm,shared-region"; user space finds the node
 * by its label and maps the ranges through /dev/mem.
 */
static inline void shared_region_begin(struct writer *w, const char *name,
                                       const struct vm_platform_device *d)
{
    fdt64_t cells[4] = {cpu_to_fdt64(d->base), cpu_to_fdt64(d->size), cpu_to_fdt64(d->shm_gpa),
                        cpu_to_fdt64(d->shm_size)};
    static const char names[] = "registers\0memory";

    begin(w, name);
    prop_str(w, "compatible", "stdvmm,shared-region");
    prop(w, "reg", cells, sizeof(cells));
    prop(w, "reg-names", names, sizeof(names));
    prop_str(w, "label", d->label != NULL ? d->label : "");
}

/* "prefix@hex": snprintf is not available to freestanding code. */
static inline const char *unit_name(char *buf, const char *prefix, uint64_t addr)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(prefix);
    char digits[16];
    int d = 0;

    if (n > NAME_MAX_LEN - 18)
        n = NAME_MAX_LEN - 18;
    memcpy(buf, prefix, n);
    buf[n++] = '@';
    do {
        digits[d++] = hex[addr & 0xf];
        addr >>= 4;
    } while (addr != 0);
    while (d > 0)
        buf[n++] = digits[--d];
    buf[n] = '\0';
    return buf;
}

/* The compatible property is a list of NUL-terminated strings. */
static inline void prop_compat2(struct writer *w, const char *a, const char *b)
{
    char both[64];
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;

    if (la + lb > sizeof(both)) {
        check(w, -FDT_ERR_BADVALUE);
        return;
    }
    memcpy(both, a, la);
    memcpy(both + la, b, lb);
    prop(w, "compatible", both, (int)(la + lb));
}

/* An empty tree in buf with its root node open: what every machine's tree starts with. */
static inline void open_root(struct writer *w, void *buf, uint32_t size, uint32_t irq_parent)
{
    w->fdt = buf;
    w->err = 0;
    check(w, fdt_create(buf, (int)(size > INT32_MAX ? INT32_MAX : size)));
    if (w->err == 0)
        check(w, fdt_finish_reservemap(buf));
    begin(w, "");
    prop_str(w, "compatible", "stdvmm,virt");
    prop_str(w, "model", "stdvmm");
    prop_u32(w, "#address-cells", 2);
    prop_u32(w, "#size-cells", 2);
    /* 0: none at the root (riscv64, whose devices name their own: see dtb_riscv64.c). */
    if (irq_parent != 0)
        prop_u32(w, "interrupt-parent", irq_parent);
}

/* Closes the root node and the tree: 0 and its size in *used, or the first error. */
static inline int close_root(struct writer *w, uint32_t size, uint32_t *used)
{
    end(w);
    if (w->err == 0)
        check(w, fdt_finish(w->fdt));
    if (w->err != 0) {
        LOG_ERR("device tree: libfdt: %s (buffer of %u bytes)", fdt_strerror(w->err), size);
        return w->err == -FDT_ERR_NOSPACE ? -STDVMM_ENOSPC : -STDVMM_EINVAL;
    }
    *used = fdt_totalsize(w->fdt);
    return 0;
}

/* Free in both trees: arm64 takes 1-3 (dtb.h), riscv64 1-3 and 16 up (dtb_riscv64.h). */
#define FDT_VIOMMU_PHANDLE 4

/*
 * Linux's virtio-iommu binding (Documentation/devicetree/bindings/virtio/
 * iommu.txt): the IOMMU's virtio-mmio node is an IOMMU with one cell, the
 * endpoint ID, and each device behind it names it in `iommus`.
 */
static inline void write_iommu(struct writer *w, const struct vm_platform_device *d)
{
    if (d->iommu == VM_IOMMU_SELF) {
        prop_u32(w, "#iommu-cells", 1);
        prop_u32(w, "phandle", FDT_VIOMMU_PHANDLE);
    } else if (d->iommu == VM_IOMMU_ENDPOINT) {
        fdt32_t cells[2] = {cpu_to_fdt32(FDT_VIOMMU_PHANDLE), cpu_to_fdt32(d->iommu_endpoint)};
        prop(w, "iommus", cells, sizeof(cells));
    }
}

static inline void add_memory_node(struct writer *w, uint64_t base, uint64_t size)
{
    char name[NAME_MAX_LEN];

    begin(w, unit_name(name, "memory", base));
    prop_str(w, "device_type", "memory");
    prop_reg(w, base, size);
    end(w);
}

/*
 * /chosen: the command line, the initramfs (none when end <= start), and
 * the console UART at console_base (0: none) as stdout-path, which is also
 * what a bare "earlycon" on the command line picks up.
 */
static inline void add_chosen_node(struct writer *w, const char *bootargs, uint64_t initrd_start,
                                   uint64_t initrd_end, uint64_t console_base)
{
    char path[NAME_MAX_LEN + 1];

    begin(w, "chosen");
    prop_str(w, "bootargs", bootargs != NULL ? bootargs : "");
    if (initrd_end > initrd_start) {
        prop_u64(w, "linux,initrd-start", initrd_start);
        prop_u64(w, "linux,initrd-end", initrd_end);
    }
    if (console_base != 0) {
        path[0] = '/';
        unit_name(path + 1, "serial", console_base);
        prop_str(w, "stdout-path", path);
    }
    end(w);
}

#endif
