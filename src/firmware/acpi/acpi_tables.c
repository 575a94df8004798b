/* SPDX-License-Identifier: BSD-2-Clause */
/* RSDP, XSDT, FADT, MADT, VIOT and DSDT for x86_64 guests (ACPI 6.3 layouts; VIOT 6.5). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "firmware/acpi/acpi_le.h"
#include "firmware/acpi/viot.h"
#include "stdvmm/acpi.h"
#include "stdvmm/aml.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define RSDP_LEN 36
#define HDR_LEN 36
/* FADT, MADT and the VIOT when there is one */
#define XSDT_MAX_ENTRIES 3
#define FADT_LEN 276
#define MADT_FIXED_LEN 44
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC_LEN 12

#define FADT_F_PWR_BUTTON (1u << 4)
#define FADT_F_SLP_BUTTON (1u << 5)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)
#define FADT_BOOT_CMOS_RTC_NOT_PRESENT (1u << 5)

#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_LAPIC_ENABLED 1u

/* Creator of the tables, as iasl puts "INTL" there. */
#define CREATOR_ID "SVMM"
#define CREATOR_REVISION 1
#define OEM_REVISION 1

struct layout {
    size_t xsdt, xsdt_len, fadt, madt, madt_len, viot, viot_len, dsdt;
};

static size_t align16(size_t v)
{
    return (v + 15) & ~(size_t)15;
}

/* Space-padded, as OEM fields are conventionally written. */
static void put_padded(uint8_t *dst, const char *s, size_t width)
{
    size_t n = strlen(s);

    memset(dst, ' ', width);
    memcpy(dst, s, n < width ? n : width);
}

uint8_t acpi_sum8(const uint8_t *data, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + data[i]);
    }
    return sum;
}

static void set_checksum(uint8_t *t, size_t len, size_t field)
{
    t[field] = 0;
    t[field] = (uint8_t)-acpi_sum8(t, len);
}

void acpi_platform_init(struct acpi_platform *p)
{
    memset(p, 0, sizeof(*p));
    p->lapic_addr = ACPI_X86_LAPIC_ADDR;
    p->ioapic_addr = ACPI_X86_IOAPIC_ADDR;
}

static const char *oem_id(const struct acpi_platform *p)
{
    return p->oem_id ? p->oem_id : "STDVMM";
}

static const char *oem_table_id(const struct acpi_platform *p)
{
    return p->oem_table_id ? p->oem_table_id : "STDVMM";
}

static void put_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev,
                       const struct acpi_platform *p)
{
    memcpy(t, sig, 4);
    acpi_w32(t + 4, len);
    t[8] = rev;
    put_padded(t + 10, oem_id(p), 6);
    put_padded(t + 16, oem_table_id(p), 8);
    acpi_w32(t + 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    acpi_w32(t + 32, CREATOR_REVISION);
}

static uint32_t apic_id(const struct acpi_platform *p, unsigned cpu)
{
    return p->apic_ids ? p->apic_ids[cpu] : cpu;
}

static bool valid_oem_field(const char *s, size_t width)
{
    size_t n = strlen(s);

    if (n > width) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool is_upper_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* An ACPI id: four vendor characters (A-Z, 0-9) and four hex digits. */
static bool valid_acpi_id(const char *hid)
{
    for (int i = 0; i < 4; i++) {
        if (!((hid[i] >= 'A' && hid[i] <= 'Z') || (hid[i] >= '0' && hid[i] <= '9'))) {
            return false;
        }
    }
    for (int i = 4; i < 8; i++) {
        if (!is_upper_hex(hid[i])) {
            return false;
        }
    }
    return true;
}

static int check_device(const struct acpi_platform *p, unsigned i)
{
    const struct acpi_device *d = &p->devices[i];
    size_t hid_len;
    uint32_t eisa;

    if (!d->hid) {
        LOG_ERR("device %u: no _HID", i);
        return -STDVMM_EINVAL;
    }
    hid_len = strlen(d->hid);
    if (hid_len == 7) {
        if (aml_eisaid_value(d->hid, &eisa) != 0) {
            LOG_ERR("device %u: _HID \"%s\" is not a valid EISA id", i, d->hid);
            return -STDVMM_EINVAL;
        }
    } else if (hid_len == 8) {
        if (!valid_acpi_id(d->hid)) {
            LOG_ERR("device %u: _HID \"%s\" is not an ACPI id (4 of A-Z/0-9, 4 hex digits)", i,
                    d->hid);
            return -STDVMM_EINVAL;
        }
    } else {
        LOG_ERR("device %u: _HID \"%s\" has %zu characters, not 7 (EISA) or 8 (ACPI)", i, d->hid,
                hid_len);
        return -STDVMM_EINVAL;
    }
    for (unsigned j = 0; j < i; j++) {
        if (p->devices[j].uid == d->uid && strcmp(p->devices[j].hid, d->hid) == 0) {
            LOG_ERR("devices %u and %u: both %s with _UID %u", j, i, d->hid, d->uid);
            return -STDVMM_EINVAL;
        }
    }
    if (d->size == 0) {
        LOG_ERR("device %u (%s): size 0", i, d->hid);
        return -STDVMM_EINVAL;
    }
    if (d->is_pio) {
        if (d->size > 0xff || d->base > 0x10000 - d->size) {
            LOG_ERR("device %u (%s): ports 0x%llx+0x%llx do not fit an IO descriptor "
                    "(16-bit ports, at most 255 of them)",
                    i, d->hid, (unsigned long long)d->base, (unsigned long long)d->size);
            return -STDVMM_EINVAL;
        }
    } else if (d->size > 0xffffffffull || d->base > 0x100000000ull - d->size) {
        LOG_ERR("device %u (%s): MMIO 0x%llx+0x%llx is not below 4 GiB", i, d->hid,
                (unsigned long long)d->base, (unsigned long long)d->size);
        return -STDVMM_EINVAL;
    }
    if (d->irq != 0 &&
        (d->irq < p->ioapic_gsi_base || d->irq - p->ioapic_gsi_base >= ACPI_IOAPIC_PINS)) {
        LOG_ERR("device %u (%s): IRQ %u is not a pin of the I/O APIC (GSI %u-%u)", i, d->hid,
                d->irq, p->ioapic_gsi_base, p->ioapic_gsi_base + ACPI_IOAPIC_PINS - 1);
        return -STDVMM_EINVAL;
    }
    return 0;
}

static int check_power_button(const struct acpi_platform *p)
{
    uint32_t gsi = p->power_button_gsi;

    if (gsi == 0) {
        return 0;
    }
    if (gsi < p->ioapic_gsi_base || gsi - p->ioapic_gsi_base >= ACPI_IOAPIC_PINS) {
        LOG_ERR("power button GSI %u is not a pin of the I/O APIC", gsi);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < p->device_count; i++) {
        if (p->devices[i].irq == gsi) {
            LOG_ERR("power button GSI %u is also the IRQ of device %u (%s)", gsi, i,
                    p->devices[i].hid);
            return -STDVMM_EINVAL;
        }
    }
    return 0;
}

static int check_platform(const struct acpi_platform *p)
{
    int err;

    if (p->cpu_count == 0 || p->cpu_count > ACPI_MAX_CPUS) {
        LOG_ERR("%u vCPUs; xAPIC MADT entries describe 1 to %d", p->cpu_count, ACPI_MAX_CPUS);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < p->cpu_count; i++) {
        uint32_t id = apic_id(p, i);

        if (id >= 0xff) {
            LOG_ERR("vCPU %u: APIC ID %u does not fit an xAPIC MADT entry (0-254)", i, id);
            return -STDVMM_EINVAL;
        }
        for (unsigned j = 0; j < i; j++) {
            if (apic_id(p, j) == id) {
                LOG_ERR("vCPUs %u and %u share APIC ID %u", j, i, id);
                return -STDVMM_EINVAL;
            }
        }
    }
    if (p->lapic_addr == 0 || p->ioapic_addr == 0) {
        LOG_ERR("local APIC address 0x%x or I/O APIC address 0x%x is 0", p->lapic_addr,
                p->ioapic_addr);
        return -STDVMM_EINVAL;
    }
    if (p->sleep_control_port == 0 || p->sleep_status_port == 0 || p->reset_port == 0) {
        LOG_ERR("sleep control port 0x%x, sleep status port 0x%x and reset port 0x%x "
                "must all be set",
                p->sleep_control_port, p->sleep_status_port, p->reset_port);
        return -STDVMM_EINVAL;
    }
    if (p->s5_sleep_type > 7) {
        LOG_ERR("S5 sleep type %u does not fit the 3-bit SLP_TYP field", p->s5_sleep_type);
        return -STDVMM_EINVAL;
    }
    if (!valid_oem_field(oem_id(p), 6) || !valid_oem_field(oem_table_id(p), 8)) {
        LOG_ERR("OEM id \"%s\" (max 6) or OEM table id \"%s\" (max 8) too long or not ASCII",
                oem_id(p), oem_table_id(p));
        return -STDVMM_EINVAL;
    }
    if (p->device_count > ACPI_MAX_DEVICES || (p->device_count > 0 && !p->devices)) {
        LOG_ERR("%u devices at %p (at most %d)", p->device_count, (const void *)p->devices,
                ACPI_MAX_DEVICES);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < p->device_count; i++) {
        err = check_device(p, i);
        if (err) {
            return err;
        }
    }
    err = check_power_button(p);
    return err ? err : acpi_viot_check(p);
}

static void write_rsdp(uint8_t *t, const struct acpi_platform *p, uint64_t xsdt_gpa)
{
    memcpy(t, "RSD PTR ", 8);
    put_padded(t + 9, oem_id(p), 6);
    t[15] = 2; /* ACPI 2.0+: XSDT and the extended checksum exist */
    /* RsdtAddress stays 0: 64-bit guests use the XSDT. */
    acpi_w32(t + 20, RSDP_LEN);
    acpi_w64(t + 24, xsdt_gpa);
    set_checksum(t, 20, 8);
    set_checksum(t, RSDP_LEN, 32);
}

/* entries: the tables' guest-physical addresses, n of them. */
static void write_xsdt(uint8_t *t, const struct acpi_platform *p, const uint64_t *entries,
                       unsigned n)
{
    size_t len = HDR_LEN + 8 * (size_t)n;

    put_header(t, "XSDT", (uint32_t)len, 1, p);
    for (unsigned i = 0; i < n; i++) {
        acpi_w64(t + HDR_LEN + 8 * i, entries[i]);
    }
    set_checksum(t, len, 9);
}

/* VIOT revision 0 is the only one defined (ACPI 6.5). */
static void write_viot(uint8_t *t, const struct acpi_platform *p, size_t len)
{
    put_header(t, "VIOT", (uint32_t)len, 0, p);
    acpi_viot_write_body(t, p);
    set_checksum(t, len, 9);
}

static void put_gas_io8(uint8_t *g, uint16_t port)
{
    g[0] = GAS_SPACE_SYSTEM_IO;
    g[1] = 8; /* register bit width */
    g[2] = 0; /* bit offset */
    g[3] = GAS_ACCESS_BYTE;
    acpi_w64(g + 4, port);
}

static void write_fadt(uint8_t *t, const struct acpi_platform *p, uint64_t dsdt_gpa)
{
    put_header(t, "FACP", FADT_LEN, 6, p);
    /*
     * Hardware-reduced: FIRMWARE_CTRL, SCI_INT, SMI_CMD and all the PM1/PM2/
     * PM timer/GPE blocks stay zero, and the 32-bit DSDT field too, because
     * X_DSDT takes precedence and a differing pair only earns a warning.
     */
    acpi_w16(t + 109, FADT_BOOT_VGA_NOT_PRESENT | FADT_BOOT_CMOS_RTC_NOT_PRESENT);
    /*
     * No fixed-feature power or sleep button exists; clearing these bits
     * would claim one.
     */
    acpi_w32(t + 112,
             FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP | FADT_F_HW_REDUCED_ACPI);
    put_gas_io8(t + 116, p->reset_port);
    t[128] = p->reset_value;
    t[131] = 3; /* FADT minor version: 6.3 */
    acpi_w64(t + 140, dsdt_gpa);
    put_gas_io8(t + 244, p->sleep_control_port);
    put_gas_io8(t + 256, p->sleep_status_port);
    memcpy(t + 268, "STDVMM\0\0", 8);
    set_checksum(t, FADT_LEN, 9);
}

/*
 * The MADT flags leave PCAT_COMPAT clear: the platform is hardware-reduced
 * and all interrupts go through the I/O APIC. Linux replaces the legacy
 * 8259 with a null PIC on such platforms anyway; PCAT_COMPAT would promise
 * a dual-8259 the OS should mask, which is not part of this platform (even
 * where KVM happens to emulate one). No interrupt source overrides follow
 * for the same reason: without a legacy PIC no IRQ is "ISA", and each
 * device's _CRS states its trigger mode and polarity directly.
 */
static void write_madt(uint8_t *t, const struct acpi_platform *p, size_t len)
{
    uint8_t *e = t + MADT_FIXED_LEN;

    put_header(t, "APIC", (uint32_t)len, 5, p);
    acpi_w32(t + 36, p->lapic_addr);
    acpi_w32(t + 40, 0);
    for (unsigned i = 0; i < p->cpu_count; i++) {
        e[0] = MADT_TYPE_LAPIC;
        e[1] = MADT_LAPIC_LEN;
        e[2] = (uint8_t)i; /* ACPI processor UID */
        e[3] = (uint8_t)apic_id(p, i);
        acpi_w32(e + 4, MADT_LAPIC_ENABLED);
        e += MADT_LAPIC_LEN;
    }
    e[0] = MADT_TYPE_IOAPIC;
    e[1] = MADT_IOAPIC_LEN;
    e[2] = p->ioapic_id;
    e[3] = 0;
    acpi_w32(e + 4, p->ioapic_addr);
    acpi_w32(e + 8, p->ioapic_gsi_base);
    set_checksum(t, len, 9);
}

static const char *name_prefix(const char *hid)
{
    if (strcmp(hid, "PNP0501") == 0) {
        return "CO";
    }
    if (strcmp(hid, "LNRO0005") == 0) {
        return "VR";
    }
    if (strcmp(hid, "QEMU0001") == 0) {
        return "PP";
    }
    if (strcmp(hid, ACPI_SHARED_REGION_HID) == 0) {
        return "SR";
    }
    return "DV";
}

static void write_device(struct aml *a, const struct acpi_device *d, unsigned index)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *prefix = name_prefix(d->hid);
    char name[5] = {prefix[0], prefix[1], hex[(index >> 4) & 0xf], hex[index & 0xf], '\0'};

    aml_device_begin(a, name);
    if (strlen(d->hid) == 7) {
        aml_name_eisaid(a, "_HID", d->hid);
    } else {
        aml_name_string(a, "_HID", d->hid);
    }
    aml_name_integer(a, "_UID", d->uid);
    aml_name(a, "_CRS");
    aml_resource_begin(a);
    if (d->is_pio) {
        aml_io(a, (uint16_t)d->base, (uint16_t)d->base, 1, (uint8_t)d->size);
    } else {
        aml_memory32_fixed(a, (uint32_t)d->base, (uint32_t)d->size, true);
    }
    if (d->mem_size != 0) {
        aml_qword_memory(a, d->mem_base, d->mem_size, d->mem_writable);
    }
    if (d->irq != 0) {
        aml_interrupt(a, d->irq, d->irq_level_triggered ? AML_IRQ_LEVEL : AML_IRQ_EDGE,
                      AML_IRQ_ACTIVE_HIGH, false);
    }
    aml_resource_end(a);
    aml_method_begin(a, "_STA", 0, false);
    aml_return_integer(a, 0x0f); /* present, enabled, shown, functioning */
    aml_end(a);
    aml_end(a);
}

/*
 * Device (PWRB) { _HID PNP0C0C }
 * Device (GED0) { _HID "ACPI0013", _CRS { Interrupt (Edge, ActiveHigh) { gsi } },
 *                 Method (_EVT, 1) { Notify (PWRB, 0x80) } }
 * A hardware-reduced platform has no fixed power button and no SCI; the
 * GED is the ACPI 6 way to turn an interrupt into this notification.
 */
static void write_power_button(struct aml *a, uint32_t gsi)
{
    static const uint8_t notify_op = 0x86;

    aml_device_begin(a, "PWRB");
    aml_name_eisaid(a, "_HID", "PNP0C0C");
    aml_name_integer(a, "_UID", 0);
    aml_end(a);
    aml_device_begin(a, "GED0");
    aml_name_string(a, "_HID", "ACPI0013");
    aml_name_integer(a, "_UID", 0);
    aml_name(a, "_CRS");
    aml_resource_begin(a);
    aml_interrupt(a, gsi, AML_IRQ_EDGE, AML_IRQ_ACTIVE_HIGH, false);
    aml_resource_end(a);
    aml_method_begin(a, "_EVT", 1, false);
    aml_bytes(a, &notify_op, 1);
    aml_namestring(a, "\\_SB_.PWRB");
    aml_integer(a, 0x80); /* device-specific: "power button pressed" */
    aml_end(a);
    aml_end(a);
}

/* Returns the DSDT's length, or a negative error. */
static long write_dsdt(uint8_t *t, size_t room, const struct acpi_platform *p)
{
    struct aml a;
    int err;

    if (room < HDR_LEN) {
        return -STDVMM_ENOSPC;
    }
    aml_init(&a, t + HDR_LEN, room - HDR_LEN);
    /* Linux reads SLP_TYPa from element 0; older ACPICA insists on two. */
    aml_name(&a, "\\_S5_");
    aml_package_begin(&a);
    aml_integer(&a, p->s5_sleep_type);
    aml_integer(&a, 0);
    aml_end(&a);
    aml_scope_begin(&a, "\\_SB_");
    for (unsigned i = 0; i < p->device_count; i++) {
        write_device(&a, &p->devices[i], i);
    }
    if (p->power_button_gsi != 0) {
        write_power_button(&a, p->power_button_gsi);
    }
    aml_end(&a);
    err = aml_finish(&a);
    if (err) {
        return err;
    }
    /* Revision 2 makes AML integers 64-bit. */
    put_header(t, "DSDT", (uint32_t)(HDR_LEN + a.pos), 2, p);
    set_checksum(t, HDR_LEN + a.pos, 9);
    return (long)(HDR_LEN + a.pos);
}

int acpi_build_tables(const struct acpi_platform *p, uint8_t *buf, size_t size, uint64_t buf_gpa,
                      size_t *used)
{
    struct layout l;
    uint64_t xsdt_entries[XSDT_MAX_ENTRIES];
    unsigned xsdt_count;
    long dsdt_len;
    int err;

    if (!p || !buf || !used) {
        LOG_ERR("NULL platform %p, buffer %p or used %p", (const void *)p, (void *)buf,
                (void *)used);
        return -STDVMM_EINVAL;
    }
    if (buf_gpa & 15) {
        LOG_ERR("tables at GPA 0x%llx: the RSDP must be 16-byte aligned",
                (unsigned long long)buf_gpa);
        return -STDVMM_EINVAL;
    }
    if (buf_gpa + size < buf_gpa) {
        LOG_ERR("tables at GPA 0x%llx + 0x%zx wrap around", (unsigned long long)buf_gpa, size);
        return -STDVMM_EINVAL;
    }
    err = check_platform(p);
    if (err) {
        return err;
    }

    l.viot_len = acpi_viot_len(p);
    xsdt_count = l.viot_len ? 3 : 2;
    l.xsdt = align16(RSDP_LEN);
    l.xsdt_len = HDR_LEN + 8 * (size_t)xsdt_count;
    l.fadt = align16(l.xsdt + l.xsdt_len);
    l.madt = align16(l.fadt + FADT_LEN);
    l.madt_len = MADT_FIXED_LEN + MADT_LAPIC_LEN * (size_t)p->cpu_count + MADT_IOAPIC_LEN;
    l.viot = align16(l.madt + l.madt_len);
    l.dsdt = align16(l.viot + l.viot_len);
    if (size < l.dsdt) {
        LOG_ERR("%zu bytes is too small for ACPI tables (%zu before the DSDT alone)", size, l.dsdt);
        return -STDVMM_ENOSPC;
    }
    memset(buf, 0, l.dsdt);
    dsdt_len = write_dsdt(buf + l.dsdt, size - l.dsdt, p);
    if (dsdt_len < 0) {
        err = (int)dsdt_len;
        if (err == -STDVMM_ENOSPC) {
            LOG_ERR("%zu bytes is too small for ACPI tables: the DSDT for %u devices does "
                    "not fit in the %zu after the MADT",
                    size, p->device_count, size - l.dsdt);
        }
        return err;
    }

    write_madt(buf + l.madt, p, l.madt_len);
    if (l.viot_len) {
        write_viot(buf + l.viot, p, l.viot_len);
    }
    write_fadt(buf + l.fadt, p, buf_gpa + l.dsdt);
    xsdt_entries[0] = buf_gpa + l.fadt;
    xsdt_entries[1] = buf_gpa + l.madt;
    xsdt_entries[2] = buf_gpa + l.viot; /* only counted with a VIOT */
    write_xsdt(buf + l.xsdt, p, xsdt_entries, xsdt_count);
    write_rsdp(buf, p, buf_gpa + l.xsdt);
    *used = l.dsdt + (size_t)dsdt_len;
    return 0;
}
