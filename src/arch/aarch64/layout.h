/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest-physical layout of an aarch64 stdvmm guest, booted straight into
 * the Linux arm64 Image (Documentation/arch/arm64/booting.rst) with a device
 * tree and no firmware. Devices sit in the low 1 GiB, RAM starts at 1 GiB,
 * as on most Arm boards, so the same kernel sees familiar addresses:
 *
 *   0x08000000 GIC distributor        64 KiB
 *   0x08010000 GICv2 CPU interface    8 KiB (GICv2 only)
 *   0x08080000 GICv3 ITS              128 KiB (control frame, doorbell page)
 *   0x080a0000 GICv3 redistributors   128 KiB per vCPU, room for 64
 *   0x09000000 16550A UART            8 byte-wide registers
 *   0x09010000 boot timer             1 byte (not in the device tree: /init
 *                                     writes it through /dev/mem)
 *   0x09020000 pvpanic-mmio           1 byte (for kernels with the driver)
 *   0x09030000 PL031 RTC              4 KiB
 *   0x0a000000 virtio-mmio            one 4 KiB window per device
 *   0x40000000 RAM                    kernel at the start (+ text_offset);
 *                                     from the top: DTB slot, panic-record
 *                                     slot, then the initramfs
 *
 * The DTB and the panic record each get a 2 MiB-aligned 2 MiB slot: the boot
 * protocol asks that nothing needing other memory attributes share the DTB's
 * 2 MiB block, and the kernel maps the panic record with its own attributes.
 */
#ifndef STDVMM_ARCH_AARCH64_LAYOUT_H
#define STDVMM_ARCH_AARCH64_LAYOUT_H

#define A64_SZ_4K 0x1000ull
#define A64_SZ_2M 0x200000ull

#define A64_GIC_DIST_BASE 0x08000000ull
#define A64_GIC_DIST_SIZE_V3 0x10000ull
#define A64_GIC_DIST_SIZE_V2 0x1000ull
#define A64_GIC_CPU_BASE 0x08010000ull
#define A64_GIC_CPU_SIZE 0x2000ull
#define A64_GIC_ITS_BASE 0x08080000ull /* A64_GIC_ITS_SIZE (hv_aarch64.h) */
#define A64_GIC_REDIST_BASE 0x080a0000ull
#define A64_GIC_REDIST_FRAME_SIZE 0x20000ull /* RD_base + SGI_base, 64 KiB each */
#define A64_GIC_REDIST_MAX_CPUS 64
#define A64_GIC_SPI_COUNT 96 /* the distributor implements INTIDs 0..127 */

#define A64_UART_BASE 0x09000000ull
#define A64_UART_SPI 1 /* SPI 0 is left unused: struct vm_platform_device calls 0 "none" */
#define A64_UART_CLOCK_HZ 1843200u
#define A64_BOOT_TIMER_BASE 0x09010000ull
#define A64_PVPANIC_BASE 0x09020000ull
#define A64_RTC_BASE 0x09030000ull
#define A64_RTC_SPI 2

#define A64_VIRTIO_MMIO_BASE 0x0a000000ull
#define A64_VIRTIO_MMIO_SIZE 0x1000ull
#define A64_VIRTIO_MMIO_MAX 32
#define A64_VIRTIO_SPI_BASE 16

#define A64_RAM_BASE 0x40000000ull
/* KVM's default IPA space is 40 bits; RAM must end below it. */
#define A64_IPA_LIMIT 0x10000000000ull
#define A64_RAM_MAX (A64_IPA_LIMIT - A64_RAM_BASE)

#define A64_DTB_MAX_SIZE 0x10000u /* what stdvmm writes; the slot is 2 MiB */
#define A64_PANIC_RECORD_SIZE 0x10000ull

/*
 * Kernel (Debian's is ~40 MiB with BSS), the two top slots and a little
 * initramfs; whether a given kernel and initramfs fit is checked at load.
 */
#define A64_MIN_RAM (64ull << 20)

/* Alone in its 4 KiB page: the register mirror maps that page (src/machine/machine.c). */
_Static_assert(A64_UART_BASE % A64_SZ_4K == 0 && A64_UART_BASE + A64_SZ_4K <= A64_BOOT_TIMER_BASE,
               "the UART shares its page");
_Static_assert(A64_GIC_DIST_BASE + A64_GIC_DIST_SIZE_V3 <= A64_GIC_REDIST_BASE,
               "distributor runs into the redistributors");
_Static_assert(A64_GIC_DIST_BASE + A64_GIC_DIST_SIZE_V3 <= A64_GIC_ITS_BASE &&
                   A64_GIC_ITS_BASE + 0x20000ull <= A64_GIC_REDIST_BASE,
               "the ITS overlaps the distributor or the redistributors");
_Static_assert(A64_GIC_CPU_BASE + A64_GIC_CPU_SIZE <= A64_GIC_REDIST_BASE,
               "GICv2 CPU interface runs into the redistributors");
_Static_assert(A64_GIC_REDIST_BASE + A64_GIC_REDIST_MAX_CPUS * A64_GIC_REDIST_FRAME_SIZE <=
                   A64_UART_BASE,
               "redistributors run into the UART");
_Static_assert(A64_VIRTIO_MMIO_BASE + A64_VIRTIO_MMIO_MAX * A64_VIRTIO_MMIO_SIZE <= A64_RAM_BASE,
               "virtio-mmio windows run into RAM");
_Static_assert(A64_VIRTIO_SPI_BASE + A64_VIRTIO_MMIO_MAX <= A64_GIC_SPI_COUNT,
               "virtio interrupts beyond the distributor's SPIs");
_Static_assert(A64_GIC_SPI_COUNT % 32 == 0, "the GIC implements SPIs in groups of 32");

#endif
