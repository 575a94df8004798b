/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest-physical layout of a riscv64 stdvmm guest, booted straight into
 * the Linux riscv64 Image with a device tree; the SBI firmware is the
 * hypervisor's. The platform devices sit where the aarch64 guest has them,
 * so the console, boot timer and virtio windows share one address scheme;
 * the interrupt controller takes QEMU virt's AIA addresses, and RAM starts
 * at 2 GiB as on QEMU virt, where Debian's kernels are used to finding it:
 *
 *   0x09000000 16550A UART            8 byte-wide registers
 *   0x09010000 boot timer             1 byte (not in the device tree)
 *   0x09020000 pvpanic-mmio           1 byte
 *   0x0a000000 virtio-mmio            one 4 KiB window per device
 *   0x0c000000 PLIC                   2 MiB + 4 KiB per hart (no AIA in
 *                                     the hypervisor: stdvmm's own)
 *   0x0d000000 APLIC (S-mode domain)  16 KiB, wired sources to MSIs
 *   0x28000000 IMSIC S-mode files     4 KiB per hart, room for 64
 *   0x80000000 RAM                    kernel at the start (+ text_offset);
 *                                     from the top: DTB slot, then initramfs
 */
#ifndef STDVMM_ARCH_RISCV64_LAYOUT_H
#define STDVMM_ARCH_RISCV64_LAYOUT_H

#define RV64_SZ_4K 0x1000ull
#define RV64_SZ_2M 0x200000ull

#define RV64_UART_BASE 0x09000000ull
#define RV64_UART_IRQ 1 /* APLIC source 0 does not exist */
#define RV64_UART_CLOCK_HZ 1843200u
#define RV64_BOOT_TIMER_BASE 0x09010000ull
#define RV64_PVPANIC_BASE 0x09020000ull

#define RV64_VIRTIO_MMIO_BASE 0x0a000000ull
#define RV64_VIRTIO_MMIO_SIZE 0x1000ull
#define RV64_VIRTIO_MMIO_MAX 32
#define RV64_VIRTIO_IRQ_BASE 16

/* QEMU virt's PLIC address; sources 1..63 hold the UART's and the virtio windows'. */
#define RV64_PLIC_BASE 0x0c000000ull
#define RV64_PLIC_SOURCES 63

#define RV64_APLIC_BASE 0x0d000000ull
#define RV64_APLIC_SIZE 0x4000ull /* KVM_DEV_RISCV_APLIC_SIZE */
/* Wired sources 1..N; the device tree's riscv,num-sources and KVM's CONFIG_SRCS. */
#define RV64_APLIC_SOURCES 64
#define RV64_IMSIC_BASE 0x28000000ull
#define RV64_IMSIC_SIZE 0x1000ull /* one S-mode interrupt file: KVM_DEV_RISCV_IMSIC_SIZE */
#define RV64_MAX_HARTS 64
/* MSI identities each IMSIC file implements (riscv,num-ids); KVM's default. */
#define RV64_IMSIC_IDS 255
/* The supervisor external interrupt, as the hart's local controller numbers it. */
#define RV64_IRQ_S_EXT 9

#define RV64_RAM_BASE 0x80000000ull
/* Sv39 reaches 512 GiB of physical address space below which RAM must end. */
#define RV64_RAM_MAX ((1ull << 39) - RV64_RAM_BASE)

#define RV64_DTB_MAX_SIZE 0x10000u /* what stdvmm writes; the slot is 2 MiB */

/* Kernel (Debian's is ~30 MiB with BSS), the DTB slot and a small initramfs. */
#define RV64_MIN_RAM (64ull << 20)

#define RV64_CMDLINE_MAX 1024 /* the riscv kernel's COMMAND_LINE_SIZE, NUL included */

/* Alone in its 4 KiB page: the register mirror maps that page (src/machine/machine.c). */
_Static_assert(RV64_UART_BASE % RV64_SZ_4K == 0 &&
                   RV64_UART_BASE + RV64_SZ_4K <= RV64_BOOT_TIMER_BASE,
               "the UART shares its page");
_Static_assert(RV64_VIRTIO_MMIO_BASE + RV64_VIRTIO_MMIO_MAX * RV64_VIRTIO_MMIO_SIZE <=
                   RV64_APLIC_BASE,
               "virtio-mmio windows run into the APLIC");
_Static_assert(RV64_VIRTIO_MMIO_BASE + RV64_VIRTIO_MMIO_MAX * RV64_VIRTIO_MMIO_SIZE <=
                   RV64_PLIC_BASE,
               "virtio-mmio windows run into the PLIC");
_Static_assert(RV64_PLIC_BASE + 0x200000 + RV64_MAX_HARTS * 0x1000 <= RV64_APLIC_BASE,
               "the PLIC's contexts run into the APLIC");
_Static_assert(RV64_VIRTIO_IRQ_BASE + RV64_VIRTIO_MMIO_MAX <= RV64_PLIC_SOURCES + 1,
               "virtio interrupts beyond the PLIC's sources");
_Static_assert(RV64_APLIC_BASE + RV64_APLIC_SIZE <= RV64_IMSIC_BASE,
               "the APLIC runs into the IMSIC files");
_Static_assert(RV64_IMSIC_BASE + RV64_MAX_HARTS * RV64_IMSIC_SIZE <= RV64_RAM_BASE,
               "IMSIC files run into RAM");
_Static_assert(RV64_VIRTIO_IRQ_BASE + RV64_VIRTIO_MMIO_MAX <= RV64_APLIC_SOURCES,
               "virtio interrupts beyond the APLIC's sources");

#endif
