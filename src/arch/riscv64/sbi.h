/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SBI calls that reach the VMM. KVM does the SBI itself (base, timer, IPI,
 * RFENCE, HSM, SRST, PMU) and forwards to user space only what it leaves
 * out: the legacy console calls and whatever extension it does not know.
 * A KVM that predates SRST in the kernel forwards it too, so a shutdown or
 * reboot is decoded here as well as from KVM_EXIT_SYSTEM_EVENT. Pure
 * logic: the port fills the call in and writes the answer back.
 */
#ifndef STDVMM_ARCH_RISCV64_SBI_H
#define STDVMM_ARCH_RISCV64_SBI_H

#include <stdint.h>

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_GETCHAR 0x02
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_SRST 0x53525354 /* "SRST" */
#define SBI_SRST_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2

#define SBI_SUCCESS 0
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)

enum rv64_sbi_action {
    RV64_SBI_CONTINUE, /* answer written: run the hart on */
    RV64_SBI_POWEROFF,
    RV64_SBI_RESET,
};

struct rv64_sbi_call {
    uint64_t ext, fid;
    uint64_t args[6];
    int64_t ret[2]; /* error, value: what the guest's a0 and a1 get back */
};

/* Decodes call, writes its answer into call->ret, says what the VMM must do. */
enum rv64_sbi_action rv64_sbi_handle(struct rv64_sbi_call *call);

#endif
