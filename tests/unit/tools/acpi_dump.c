/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Builds the ACPI tables for a typical VM (two vCPUs, COM1, pvpanic, three
 * virtio-mmio devices, the GED power button) and writes each table to <dir>/<name>.dat, finding
 * them the way a guest does, by following RSDP -> XSDT -> FADT -> DSDT, so
 * that acpi_iasl_check.sh can disassemble them with iasl.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/acpi.h"

#define TABLES_GPA ACPI_X86_BIOS_AREA_GPA

static uint8_t tables[ACPI_X86_BIOS_AREA_SIZE];
static size_t used;

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Offset in tables[] of a table at gpa, or 0 if it is not wholly inside. */
static size_t locate(uint64_t gpa, const char *sig)
{
    uint64_t off = gpa - TABLES_GPA;

    if (gpa < TABLES_GPA || off + 36 > used || off + le(tables + off + 4, 4) > used ||
        memcmp(tables + off, sig, 4) != 0) {
        fprintf(stderr, "acpi_dump: no %s table at 0x%llx\n", sig, (unsigned long long)gpa);
        return 0;
    }
    return (size_t)off;
}

static int save(const char *dir, const char *name, size_t off, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(tables + off, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "acpi_dump: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct acpi_device devs[] = {
        {.hid = "PNP0501", .uid = 0, .is_pio = true, .base = 0x3f8, .size = 8, .irq = 4},
        {.hid = "QEMU0001", .uid = 0, .is_pio = true, .base = 0x505, .size = 1},
        {.hid = "LNRO0005", .uid = 0, .base = 0xd0000000, .size = 0x200, .irq = 5},
        {.hid = "LNRO0005", .uid = 1, .base = 0xd0001000, .size = 0x200, .irq = 6},
        {.hid = "LNRO0005", .uid = 2, .base = 0xd0002000, .size = 0x200, .irq = 7},
        {.hid = ACPI_SHARED_REGION_HID,
         .uid = 0,
         .base = 0xd000f000,
         .size = 0x1000,
         .mem_base = 0x100000000ull,
         .mem_size = 0x200000,
         .mem_writable = true,
         .irq = 20,
         .irq_level_triggered = true},
    };
    struct acpi_platform p;
    size_t xsdt, fadt, madt, dsdt;
    const char *dir;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    acpi_platform_init(&p);
    p.cpu_count = 2;
    p.sleep_control_port = 0x3c0;
    p.sleep_status_port = 0x3c1;
    p.reset_port = 0x3c2;
    p.reset_value = 0x1;
    p.s5_sleep_type = 5;
    p.devices = devs;
    p.device_count = sizeof(devs) / sizeof(devs[0]);
    p.power_button_gsi = 23;
    if (acpi_build_tables(&p, tables, sizeof(tables), TABLES_GPA, &used) != 0) {
        fprintf(stderr, "acpi_dump: acpi_build_tables failed\n");
        return 1;
    }
    xsdt = locate(le(tables + 24, 8), "XSDT");
    fadt = xsdt ? locate(le(tables + xsdt + 36, 8), "FACP") : 0;
    madt = xsdt ? locate(le(tables + xsdt + 44, 8), "APIC") : 0;
    dsdt = fadt ? locate(le(tables + fadt + 140, 8), "DSDT") : 0;
    if (!dsdt || !madt) {
        return 1;
    }
    if (save(dir, "rsdp", 0, (size_t)le(tables + 20, 4)) ||
        save(dir, "xsdt", xsdt, (size_t)le(tables + xsdt + 4, 4)) ||
        save(dir, "facp", fadt, (size_t)le(tables + fadt + 4, 4)) ||
        save(dir, "apic", madt, (size_t)le(tables + madt + 4, 4)) ||
        save(dir, "dsdt", dsdt, (size_t)le(tables + dsdt + 4, 4))) {
        return 1;
    }
    printf("acpi_dump: %zu bytes of tables written to %s\n", used, dir);
    return 0;
}
