/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/riscv64/sbi.h"

enum rv64_sbi_action rv64_sbi_handle(struct rv64_sbi_call *call)
{
    call->ret[1] = 0;
    switch (call->ext) {
    case SBI_EXT_LEGACY_SHUTDOWN:
        return RV64_SBI_POWEROFF;
    case SBI_EXT_LEGACY_GETCHAR:
        /* The legacy calls answer in a0 alone: -1 is "no character". */
        call->ret[0] = -1;
        return RV64_SBI_CONTINUE;
    case SBI_EXT_SRST:
        if (call->fid != SBI_SRST_RESET) {
            call->ret[0] = SBI_ERR_NOT_SUPPORTED;
            return RV64_SBI_CONTINUE;
        }
        switch (call->args[0]) {
        case SBI_SRST_TYPE_SHUTDOWN:
            return RV64_SBI_POWEROFF;
        case SBI_SRST_TYPE_COLD_REBOOT:
        case SBI_SRST_TYPE_WARM_REBOOT:
            return RV64_SBI_RESET;
        }
        call->ret[0] = SBI_ERR_INVALID_PARAM;
        return RV64_SBI_CONTINUE;
    }
    /*
     * The legacy putchar too: stdvmm's console is the UART, and a kernel
     * told "not supported" by the SBI console falls back to it.
     */
    call->ret[0] = SBI_ERR_NOT_SUPPORTED;
    return RV64_SBI_CONTINUE;
}
