/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI tables for x86_64 guests, generated per VM from a platform
 * description. A Linux guest without a device tree learns everything it
 * needs from them: the CPUs and interrupt controllers (MADT), how to power
 * off and reset (FADT), and the platform devices (DSDT).
 *
 * The platform is "hardware-reduced" ACPI: there is no PM1 block, PM timer,
 * GPE block or SCI, only the sleep control/status and reset registers. That
 * keeps the VMM side to three I/O ports and needs no FACS.
 *
 * Layout in the buffer, each table 16-byte aligned: RSDP (at offset 0, so
 * the guest's scan of 0xE0000-0xFFFFF finds it when the buffer is placed at
 * 0xE0000), XSDT, FADT, MADT, VIOT (only when a device is a virtio-iommu),
 * DSDT.
 */
#ifndef STDVMM_ACPI_H
#define STDVMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_X86_LAPIC_ADDR 0xfee00000u
/*
 * A shared region's device (docs/memory.md): stdvmm's own ACPI id, for a
 * device no other firmware describes; Linux lists its ranges in /proc/iomem
 * under this name.
 */
#define ACPI_SHARED_REGION_HID "SVMM0001"
#define ACPI_X86_IOAPIC_ADDR 0xfec00000u

/* Where a legacy OS scans for the RSDP; the tables are meant to go here. */
#define ACPI_X86_BIOS_AREA_GPA 0xe0000u
#define ACPI_X86_BIOS_AREA_SIZE 0x20000u

/* xAPIC MADT entries hold an 8-bit APIC ID and 0xff is the broadcast ID. */
#define ACPI_MAX_CPUS 255
/* DSDT device names are a two-letter prefix and the index in hex. */
#define ACPI_MAX_DEVICES 256
/* The I/O APIC KVM emulates has 24 pins; device IRQs must land on one. */
#define ACPI_IOAPIC_PINS 24

/* A device's part in virtio-iommu translation, for the VIOT table. */
enum acpi_iommu_role {
    ACPI_IOMMU_NONE = 0,
    ACPI_IOMMU_SELF,     /* the virtio-iommu's own virtio-mmio window (at most one) */
    ACPI_IOMMU_ENDPOINT, /* translated by it, as iommu_endpoint */
};

/* One platform device for the DSDT. */
struct acpi_device {
    /*
     * Hardware ID: seven characters are an EISA id written as EISAID
     * ("PNP0501", a 16550 UART); eight are an ACPI id written as a string
     * ("LNRO0005" virtio-mmio, "QEMU0001" pvpanic).
     */
    const char *hid;
    uint32_t uid; /* distinguishes devices with the same hid */
    bool is_pio;  /* base/size are I/O ports rather than MMIO */
    uint64_t base;
    uint64_t size;            /* MMIO: below 4 GiB; PIO: 1..255 ports */
    /* A second, memory resource anywhere in 64 bits (a shared region's memory); size 0: none. */
    uint64_t mem_base, mem_size;
    bool mem_writable;
    uint32_t irq;             /* GSI on the I/O APIC; 0 = none */
    bool irq_level_triggered; /* else edge; active high either way */
    /*
     * MMIO devices only. The VIOT names a device by its base, the address
     * Linux finds as the device's first memory resource; endpoint IDs are
     * distinct, and endpoints need a device that is the IOMMU.
     */
    enum acpi_iommu_role iommu;
    uint32_t iommu_endpoint;
};

struct acpi_platform {
    unsigned cpu_count;       /* 1..ACPI_MAX_CPUS */
    const uint32_t *apic_ids; /* cpu_count distinct IDs < 0xff; NULL = 0, 1, ... */
    uint32_t lapic_addr;      /* ACPI_X86_LAPIC_ADDR */
    uint32_t ioapic_addr;     /* ACPI_X86_IOAPIC_ADDR */
    /*
     * 0 recommended: KVM's in-kernel I/O APIC resets its ID register to 0,
     * and on x86_64 Linux takes the ID from the MADT without reprogramming
     * it, so 0 keeps both views equal (QEMU does the same). Sharing the
     * number with the BSP's local APIC only mattered on the pre-xAPIC serial
     * APIC bus. Any value is accepted.
     */
    uint8_t ioapic_id;
    uint32_t ioapic_gsi_base; /* 0 */
    /*
     * Hardware-reduced sleep registers: the guest writes
     * (SLP_TYP << 2) | SLP_EN (bit 5) to sleep_control_port and reads
     * sleep_status_port. Both 8-bit, non-zero ports (may be the same port).
     */
    uint16_t sleep_control_port;
    uint16_t sleep_status_port;
    uint8_t s5_sleep_type;    /* SLP_TYP for S5 (soft off), 0..7 */
    uint16_t reset_port;      /* 8-bit reset register; non-zero */
    uint8_t reset_value;      /* what the guest writes there to reset */
    const char *oem_id;       /* up to 6 characters; NULL = "STDVMM" */
    const char *oem_table_id; /* up to 8 characters; NULL = "STDVMM" */
    const struct acpi_device *devices;
    unsigned device_count; /* 0..ACPI_MAX_DEVICES */
    /*
     * The power button of a hardware-reduced platform: 0 for none, else the
     * GSI (an I/O APIC pin no device uses) of a Generic Event Device
     * (ACPI0013) whose _EVT notifies a power button device (PNP0C0C, 0x80).
     * An edge on that pin is a press: Linux's button driver reports
     * KEY_POWER, and the guest's userspace decides to power off.
     */
    uint32_t power_button_gsi;
};

/*
 * Zeroes *p and sets the x86 defaults: LAPIC/IOAPIC addresses, IOAPIC id
 * and GSI base 0. The caller still sets CPUs, ports, S5 type and devices.
 */
void acpi_platform_init(struct acpi_platform *p);

/*
 * Writes all tables into buf (size bytes) for a guest that will see buf at
 * guest-physical buf_gpa (16-byte aligned); every pointer between tables is
 * buf_gpa + offset. On success *used is the number of bytes written,
 * starting with the RSDP at offset 0; a few bytes after them may have been
 * used as scratch space and are left zero. Returns -STDVMM_EINVAL for a bad
 * description and -STDVMM_ENOSPC when buf is too small; 128 KiB holds
 * ACPI_MAX_CPUS and ACPI_MAX_DEVICES with room to spare.
 */
int acpi_build_tables(const struct acpi_platform *p, uint8_t *buf, size_t size, uint64_t buf_gpa,
                      size_t *used);

/* The 8-bit sum of len bytes; a table with a correct checksum sums to 0. */
uint8_t acpi_sum8(const uint8_t *data, size_t len);

#endif
