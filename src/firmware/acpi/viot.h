/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Virtual I/O Translation Table (VIOT, ACPI 6.5 §5.2.32): which
 * virtio-mmio devices a virtio-iommu translates, and with which endpoint
 * IDs. Linux (drivers/acpi/viot.c) reads it once at boot and, when a
 * platform device probes, matches the base of its first memory resource
 * with an endpoint node's address; the IOMMU node's address finds the ACPI
 * device whose _CRS holds it. So every address here is a DSDT device's
 * Memory32Fixed base.
 */
#ifndef STDVMM_FIRMWARE_ACPI_VIOT_H
#define STDVMM_FIRMWARE_ACPI_VIOT_H

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/acpi.h"

/* Refuses a description the table cannot express (see acpi_device.iommu). */
int acpi_viot_check(const struct acpi_platform *p);

/* The table's length; 0 when no device is the IOMMU (no table then). */
size_t acpi_viot_len(const struct acpi_platform *p);

/*
 * Writes everything after the 36-byte common header into t (the table's
 * start, acpi_viot_len() bytes, zeroed); the caller writes the header and
 * the checksum.
 */
void acpi_viot_write_body(uint8_t *t, const struct acpi_platform *p);

#endif
