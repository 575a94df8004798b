/* SPDX-License-Identifier: BSD-2-Clause */
/* Little-endian stores into ACPI tables, which are byte arrays of any alignment. */
#ifndef STDVMM_FIRMWARE_ACPI_LE_H
#define STDVMM_FIRMWARE_ACPI_LE_H

#include <stdint.h>

static inline void acpi_w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void acpi_w32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void acpi_w64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

#endif
