/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86_64/msrs.h"

#include "stdvmm/error.h"
#include "stdvmm/log.h"

static const struct x86_msr boot_msrs[X86_BOOT_MSR_COUNT] = {
    /* The syscall entry points stay zero until Linux installs its own. */
    {X86_MSR_IA32_SYSENTER_CS, 0},
    {X86_MSR_IA32_SYSENTER_ESP, 0},
    {X86_MSR_IA32_SYSENTER_EIP, 0},
    {X86_MSR_STAR, 0},
    {X86_MSR_LSTAR, 0},
    {X86_MSR_CSTAR, 0},
    {X86_MSR_SYSCALL_MASK, 0},
    {X86_MSR_KERNEL_GS_BASE, 0},
    /*
     * The same value on every vCPU, written close together, is what KVM
     * recognises as a TSC synchronisation, so the guest sees one clock.
     */
    {X86_MSR_IA32_TSC, 0},
    /* Firmware normally turns fast string operations on; Linux expects it done. */
    {X86_MSR_IA32_MISC_ENABLE, X86_MISC_ENABLE_FAST_STRING},
    /*
     * MTRRs enabled with write-back as the default type: with no variable
     * ranges this makes all RAM cacheable, where the reset value (disabled)
     * would make the guest run uncached.
     */
    {X86_MSR_MTRR_DEF_TYPE, X86_MTRR_DEF_TYPE_E | X86_MTRR_TYPE_WB},
};

int x86_boot_msrs(struct x86_msr *out, unsigned max)
{
    if (max < X86_BOOT_MSR_COUNT) {
        LOG_ERR("boot MSRs: room for %u, %u needed", max, X86_BOOT_MSR_COUNT);
        return -STDVMM_ENOSPC;
    }
    for (unsigned i = 0; i < X86_BOOT_MSR_COUNT; i++)
        out[i] = boot_msrs[i];
    return X86_BOOT_MSR_COUNT;
}
