/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The board's devices that the admin hands out: QEMU's virt board has 32
 * virtio-mmio transports at 0x0a000000 (0x200 apart, SPI 16 + n) and puts
 * the first -device on the command line at the highest one. "disk0" is the
 * block device found highest, "net0" the network device. One owner per device: the block server
 * (which serves regions of it) or a VM (passthrough); gen-vm-table checks that.
 *
 * The four pages of transports are retyped from the device untyped once and
 * stay mapped here: the admin reads the IDs, and resets a passed-through
 * device when its VM stops.
 */
#include "admin.h"

#define ADMIN_VIRTIO_VA 0x1000600000ull /* the four pages of virtio-mmio transports */
#define QEMU_VIRT_VIRTIO_PADDR 0x0a000000ull
#define QEMU_VIRT_VIRTIO_COUNT 32
#define QEMU_VIRT_VIRTIO_STRIDE 0x200u
#define QEMU_VIRT_VIRTIO_IRQ0 48 /* SPI 16 */
#define VIRTIO_MMIO_MAGIC 0x74726976u
#define VIRTIO_MMIO_STATUS 0x70u
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u

static seL4_CPtr pages;
static bool mapped;

static volatile uint32_t *regs(unsigned n)
{
    return (volatile uint32_t *)(uintptr_t)(ADMIN_VIRTIO_VA +
                                            (uint64_t)n * QEMU_VIRT_VIRTIO_STRIDE);
}

static bool map_transports(void)
{
    if (mapped)
        return true;
    seL4_Error err = device_frames(QEMU_VIRT_VIRTIO_PADDR, 2, &pages);
    for (unsigned k = 0; k < 4 && err == seL4_NoError; k++)
        err = vs_map(seL4_CapInitThreadVSpace, pages + k, ADMIN_VIRTIO_VA + k * 4096,
                     seL4_ReadWrite, seL4_ARM_ExecuteNever, &admin.own);
    if (err != seL4_NoError) {
        console_printf("admin: the board's virtio-mmio transports at 0x%llx: seL4 error %d\n",
                       (unsigned long long)QEMU_VIRT_VIRTIO_PADDR, err);
        return false;
    }
    mapped = true;
    return true;
}

/* The highest transport holding a modern virtio device of this ID: n, or -1. */
static int find(uint32_t id, const char *name, const char *qemu)
{
    if (!map_transports())
        return -1;
    for (int n = QEMU_VIRT_VIRTIO_COUNT - 1; n >= 0; n--) {
        volatile uint32_t *r = regs((unsigned)n);
        if (r[0] == VIRTIO_MMIO_MAGIC && r[2] == id) {
            if (r[1] != 2) {
                console_printf("admin: %s at 0x%llx is a legacy virtio device (version %u); "
                               "give QEMU -global virtio-mmio.force-legacy=false\n",
                               name, (unsigned long long)board_transport_pa((unsigned)n), r[1]);
                return -1;
            }
            return n;
        }
    }
    console_printf("admin: no %s on the board (QEMU: %s)\n", name, qemu);
    return -1;
}

int board_find_disk0(void)
{
    return find(VIRTIO_ID_BLOCK, "disk0",
                "-drive file=IMG,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0");
}

int board_find_net0(void)
{
    return find(VIRTIO_ID_NET, "net0", "-netdev user,id=n0 -device virtio-net-device,netdev=n0");
}

bool board_page_shared(unsigned n)
{
    unsigned per_page = 4096 / QEMU_VIRT_VIRTIO_STRIDE, first = n / per_page * per_page;
    for (unsigned k = first; k < first + per_page; k++) {
        /* Device ID 0: an empty transport. */
        if (k != n && regs(k)[0] == VIRTIO_MMIO_MAGIC && regs(k)[2] != 0)
            return true;
    }
    return false;
}

seL4_CPtr board_transport_page(unsigned n)
{
    return pages + (seL4_CPtr)(((uint64_t)n * QEMU_VIRT_VIRTIO_STRIDE) >> seL4_PageBits);
}

uint64_t board_transport_pa(unsigned n)
{
    return QEMU_VIRT_VIRTIO_PADDR + (uint64_t)n * QEMU_VIRT_VIRTIO_STRIDE;
}

int board_transport_irq(unsigned n)
{
    return QEMU_VIRT_VIRTIO_IRQ0 + (int)n;
}

void board_transport_reset(unsigned n)
{
    /* Writing 0 to Status resets a virtio device: it stops using its queues (and DMA). */
    if (mapped)
        regs(n)[VIRTIO_MMIO_STATUS / 4] = 0;
}
