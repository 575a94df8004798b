/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/mptable.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"

/* Sizes and codes from the MultiProcessor Specification 1.4, chapter 4. */
#define MPF_LEN 16
#define MPC_HEADER_LEN 44
#define MPC_CPU_LEN 20
#define MPC_ENTRY_LEN 8 /* bus, I/O APIC, I/O and local interrupt entries */
#define MP_SPEC_REV 4   /* 1.4 */

#define MP_PROCESSOR 0
#define MP_BUS 1
#define MP_IOAPIC 2
#define MP_INTSRC 3
#define MP_LINTSRC 4

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_INT_VECTORED 0 /* mp_INT */
#define MP_INT_NMI 1
#define MP_INT_EXTINT 3
#define MP_IRQ_CONFORMS 0 /* polarity and trigger as the bus defines: ISA, edge, active high */
#define MP_ALL_LAPICS 0xff
#define LAPIC_VERSION 0x14 /* an integrated local APIC */
#define IOAPIC_VERSION 0x11
/* Family 6 signature and the FPU and APIC feature bits: what Linux's parser reads, nothing more. */
#define CPU_SIGNATURE 0x600u
#define CPU_FEATURES 0x201u
#define ISA_BUS_ID 0

static void w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
    w16(p, (uint16_t)v);
    w16(p + 2, (uint16_t)(v >> 16));
}

/* The byte that makes the sum of p[0..len) zero, as both checksums require. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

static unsigned entry_count(unsigned cpu_count)
{
    return cpu_count + 1 /* bus */ + 1 /* I/O APIC */ + X86_MPTABLE_ISA_IRQS + 2 /* LINT0, LINT1 */;
}

size_t x86_mptable_size(unsigned cpu_count)
{
    return MPF_LEN + MPC_HEADER_LEN + (size_t)cpu_count * MPC_CPU_LEN +
           (size_t)(entry_count(cpu_count) - cpu_count) * MPC_ENTRY_LEN;
}

static uint8_t *intsrc(uint8_t *e, uint8_t type, uint8_t irq, uint8_t ioapic_id, uint8_t pin)
{
    e[0] = MP_INTSRC;
    e[1] = type;
    w16(e + 2, MP_IRQ_CONFORMS);
    e[4] = ISA_BUS_ID;
    e[5] = irq;
    e[6] = ioapic_id;
    e[7] = pin;
    return e + MPC_ENTRY_LEN;
}

static uint8_t *lintsrc(uint8_t *e, uint8_t type, uint8_t lint)
{
    e[0] = MP_LINTSRC;
    e[1] = type;
    w16(e + 2, MP_IRQ_CONFORMS);
    e[4] = ISA_BUS_ID;
    e[5] = 0;
    e[6] = MP_ALL_LAPICS;
    e[7] = lint;
    return e + MPC_ENTRY_LEN;
}

int x86_mptable_build(uint8_t *area, size_t size, uint64_t area_gpa, unsigned cpu_count,
                      uint8_t ioapic_id, uint32_t ioapic_addr, uint32_t lapic_addr)
{
    if (cpu_count == 0 || cpu_count > X86_MPTABLE_MAX_CPUS) {
        LOG_ERR("MP table: %u vCPUs; its processor entries describe 1 to %d", cpu_count,
                X86_MPTABLE_MAX_CPUS);
        return -STDVMM_EINVAL;
    }
    if (area_gpa % 16 != 0 || area_gpa + MPF_LEN > UINT32_MAX) {
        LOG_ERR("MP table at 0x%llx: the floating pointer must be 16-byte aligned below 4 GiB",
                (unsigned long long)area_gpa);
        return -STDVMM_EINVAL;
    }
    size_t need = x86_mptable_size(cpu_count);
    if (area == NULL || size < need) {
        LOG_ERR("MP table for %u vCPUs needs %zu bytes, the area has %zu", cpu_count, need, size);
        return -STDVMM_ENOSPC;
    }
    memset(area, 0, need);

    uint8_t *mpc = area + MPF_LEN;
    uint8_t *e = mpc + MPC_HEADER_LEN;
    for (unsigned i = 0; i < cpu_count; i++, e += MPC_CPU_LEN) {
        e[0] = MP_PROCESSOR;
        e[1] = (uint8_t)i; /* APIC ID, as in the MADT and CPUID */
        e[2] = LAPIC_VERSION;
        e[3] = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0);
        w32(e + 4, CPU_SIGNATURE);
        w32(e + 8, CPU_FEATURES);
    }
    e[0] = MP_BUS;
    e[1] = ISA_BUS_ID;
    memcpy(e + 2, "ISA   ", 6);
    e += MPC_ENTRY_LEN;
    e[0] = MP_IOAPIC;
    e[1] = ioapic_id;
    e[2] = IOAPIC_VERSION;
    e[3] = MP_IOAPIC_ENABLED;
    w32(e + 4, ioapic_addr);
    e += MPC_ENTRY_LEN;
    for (uint8_t irq = 0; irq < X86_MPTABLE_ISA_IRQS; irq++)
        e = intsrc(e, MP_INT_VECTORED, irq, ioapic_id, irq);
    e = lintsrc(e, MP_INT_EXTINT, 0); /* the 8259 behind LINT0 (virtual wire) */
    e = lintsrc(e, MP_INT_NMI, 1);

    size_t mpc_len = (size_t)(e - mpc);
    memcpy(mpc, "PCMP", 4);
    w16(mpc + 4, (uint16_t)mpc_len);
    mpc[6] = MP_SPEC_REV;
    memcpy(mpc + 8, "STDVMM  ", 8);       /* OEM ID */
    memcpy(mpc + 16, "STDVMM      ", 12); /* product ID */
    w16(mpc + 34, (uint16_t)entry_count(cpu_count));
    w32(mpc + 36, lapic_addr);
    mpc[7] = checksum(mpc, mpc_len);

    memcpy(area, "_MP_", 4);
    w32(area + 4, (uint32_t)(area_gpa + MPF_LEN)); /* the configuration table */
    area[8] = MPF_LEN / 16;
    area[9] = MP_SPEC_REV;
    /* feature1 = 0: the configuration table is there; feature2 = 0: virtual wire, no IMCR */
    area[10] = checksum(area, MPF_LEN);
    return 0;
}
