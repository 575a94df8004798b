/* SPDX-License-Identifier: BSD-2-Clause */
/* The VIOT table (see viot.h); layouts as ACPICA's actbl3.h spells them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/acpi/acpi_le.h"
#include "firmware/acpi/viot.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define HDR_LEN 36
/* node_count (u16), node_offset (u16), 8 reserved bytes */
#define VIOT_FIXED_LEN (HDR_LEN + 12)
#define VIOT_NODE_MMIO 2
#define VIOT_NODE_VIRTIO_IOMMU_MMIO 4
#define VIOT_MMIO_LEN 24
#define VIOT_IOMMU_MMIO_LEN 16

static unsigned count_role(const struct acpi_platform *p, enum acpi_iommu_role role)
{
    unsigned n = 0;

    for (unsigned i = 0; i < p->device_count; i++) {
        n += p->devices[i].iommu == role;
    }
    return n;
}

int acpi_viot_check(const struct acpi_platform *p)
{
    unsigned iommus = count_role(p, ACPI_IOMMU_SELF);

    if (iommus > 1) {
        LOG_ERR("%u devices are a virtio-iommu; the VIOT written here describes one", iommus);
        return -STDVMM_EINVAL;
    }
    for (unsigned i = 0; i < p->device_count; i++) {
        const struct acpi_device *d = &p->devices[i];

        if (d->iommu == ACPI_IOMMU_NONE) {
            continue;
        }
        if (d->iommu != ACPI_IOMMU_SELF && d->iommu != ACPI_IOMMU_ENDPOINT) {
            LOG_ERR("device %u (%s): IOMMU role %d is none of none, self, endpoint", i, d->hid,
                    (int)d->iommu);
            return -STDVMM_EINVAL;
        }
        /* Linux matches VIOT nodes with memory resources only. */
        if (d->is_pio) {
            LOG_ERR("device %u (%s): I/O ports cannot be a VIOT virtio-mmio node", i, d->hid);
            return -STDVMM_EINVAL;
        }
        if (d->iommu == ACPI_IOMMU_SELF) {
            continue;
        }
        if (iommus == 0) {
            LOG_ERR("device %u (%s): an IOMMU endpoint, but no device is the IOMMU", i, d->hid);
            return -STDVMM_EINVAL;
        }
        for (unsigned j = 0; j < i; j++) {
            const struct acpi_device *o = &p->devices[j];

            if (o->iommu == ACPI_IOMMU_ENDPOINT && o->iommu_endpoint == d->iommu_endpoint) {
                LOG_ERR("devices %u and %u: both IOMMU endpoint %u", j, i, d->iommu_endpoint);
                return -STDVMM_EINVAL;
            }
            if (o->iommu != ACPI_IOMMU_NONE && !o->is_pio && o->base == d->base) {
                LOG_ERR("devices %u and %u: both at 0x%llx, which VIOT cannot tell apart", j, i,
                        (unsigned long long)d->base);
                return -STDVMM_EINVAL;
            }
        }
    }
    return 0;
}

size_t acpi_viot_len(const struct acpi_platform *p)
{
    if (count_role(p, ACPI_IOMMU_SELF) == 0) {
        return 0;
    }
    return VIOT_FIXED_LEN + VIOT_IOMMU_MMIO_LEN +
           VIOT_MMIO_LEN * (size_t)count_role(p, ACPI_IOMMU_ENDPOINT);
}

static void put_node_header(uint8_t *n, uint8_t type, uint16_t len)
{
    n[0] = type;
    n[1] = 0;
    acpi_w16(n + 2, len);
}

void acpi_viot_write_body(uint8_t *t, const struct acpi_platform *p)
{
    unsigned endpoints = count_role(p, ACPI_IOMMU_ENDPOINT);
    const uint16_t iommu_off = VIOT_FIXED_LEN;
    uint8_t *n = t + iommu_off;

    acpi_w16(t + HDR_LEN, (uint16_t)(1 + endpoints));
    acpi_w16(t + HDR_LEN + 2, iommu_off);
    for (unsigned i = 0; i < p->device_count; i++) {
        if (p->devices[i].iommu == ACPI_IOMMU_SELF) {
            put_node_header(n, VIOT_NODE_VIRTIO_IOMMU_MMIO, VIOT_IOMMU_MMIO_LEN);
            acpi_w64(n + 8, p->devices[i].base);
        }
    }
    n += VIOT_IOMMU_MMIO_LEN;
    for (unsigned i = 0; i < p->device_count; i++) {
        const struct acpi_device *d = &p->devices[i];

        if (d->iommu != ACPI_IOMMU_ENDPOINT) {
            continue;
        }
        put_node_header(n, VIOT_NODE_MMIO, VIOT_MMIO_LEN);
        acpi_w32(n + 4, d->iommu_endpoint);
        acpi_w64(n + 8, d->base);
        acpi_w16(n + 16, iommu_off); /* output_node: the IOMMU's offset in the table */
        n += VIOT_MMIO_LEN;
    }
}
