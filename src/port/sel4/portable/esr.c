/* SPDX-License-Identifier: BSD-2-Clause */
#include "port/sel4/portable/esr.h"

#include <stddef.h>

uint32_t esr_ec(uint64_t esr)
{
    return (uint32_t)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

enum esr_dabt_status esr_decode_dabt(uint64_t esr, struct esr_dabt *out)
{
    uint32_t iss = (uint32_t)esr & ESR_ISS_MASK;

    if (esr_ec(esr) != ESR_EC_DABT_LOW)
        return ESR_DABT_NOT_DABT;
    /* An external abort is the hardware's verdict on real memory: never emulate it. */
    if (iss & ESR_DABT_EA)
        return ESR_DABT_EXTERNAL;
    /* The guest's page tables point into a hole: its own bug, not an MMIO access. */
    if (iss & ESR_DABT_S1PTW)
        return ESR_DABT_STAGE1_WALK;
    /* Cache maintenance by VA reports WnR=1 and an ISV that means nothing. */
    if (iss & ESR_DABT_CM)
        return ESR_DABT_CACHE_MAINT;
    if (!(iss & ESR_DABT_ISV))
        return ESR_DABT_NO_SYNDROME;
    out->len = 1u << ((iss >> ESR_DABT_SAS_SHIFT) & 3u);
    out->is_write = (iss & ESR_DABT_WNR) != 0;
    out->sign_extend = (iss & ESR_DABT_SSE) != 0;
    out->reg64 = (iss & ESR_DABT_SF) != 0;
    out->reg = (iss >> ESR_DABT_SRT_SHIFT) & 0x1fu;
    out->acq_rel = (iss & ESR_DABT_AR) != 0;
    out->dfsc = iss & ESR_DABT_DFSC_MASK;
    return ESR_DABT_OK;
}

const char *esr_dabt_status_name(enum esr_dabt_status status)
{
    switch (status) {
    case ESR_DABT_OK:
        return "emulatable";
    case ESR_DABT_NOT_DABT:
        return "not a data abort";
    case ESR_DABT_NO_SYNDROME:
        return "no instruction syndrome (ISV=0: pair, writeback or SIMD access)";
    case ESR_DABT_STAGE1_WALK:
        return "stage-1 page-table walk outside guest RAM";
    case ESR_DABT_EXTERNAL:
        return "synchronous external abort";
    case ESR_DABT_CACHE_MAINT:
        return "cache maintenance";
    }
    return "unknown";
}

static uint64_t low_bytes(uint64_t v, uint32_t len)
{
    return len >= 8 ? v : v & ((1ull << (len * 8)) - 1);
}

uint64_t esr_dabt_load_value(const struct esr_dabt *d, uint64_t data)
{
    uint64_t v = low_bytes(data, d->len);

    if (d->sign_extend && d->len < 8) {
        uint64_t sign = 1ull << (d->len * 8 - 1);
        v = (v ^ sign) - sign; /* two's complement sign extension without UB */
    }
    if (!d->reg64)
        v &= UINT32_MAX;
    return v;
}

uint64_t esr_dabt_store_value(const struct esr_dabt *d, uint64_t reg)
{
    return low_bytes(reg, d->len);
}

bool esr_is_hvc_smc(uint64_t esr)
{
    switch (esr_ec(esr)) {
    case ESR_EC_HVC32:
    case ESR_EC_HVC64:
    case ESR_EC_SMC32:
    case ESR_EC_SMC64:
        return true;
    default:
        return false;
    }
}

uint32_t esr_hvc_smc_imm(uint64_t esr)
{
    return (uint32_t)esr & 0xffffu;
}

bool esr_call_needs_pc_step(uint64_t esr)
{
    uint32_t ec = esr_ec(esr);
    return ec == ESR_EC_SMC32 || ec == ESR_EC_SMC64;
}

bool esr_wfx_is_wfe(uint64_t esr)
{
    return (esr & 1u) != 0;
}

const char *esr_ec_name(uint32_t ec)
{
    switch (ec) {
    case ESR_EC_UNKNOWN:
        return "unknown instruction";
    case ESR_EC_WFX:
        return "WFI/WFE";
    case ESR_EC_HVC32:
    case ESR_EC_HVC64:
        return "HVC";
    case ESR_EC_SMC32:
    case ESR_EC_SMC64:
        return "SMC";
    case ESR_EC_SYSREG:
        return "system register access";
    case ESR_EC_IABT_LOW:
        return "instruction abort";
    case ESR_EC_DABT_LOW:
        return "data abort";
    default:
        return "other exception class";
    }
}
