/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VMM protection domain's only ways out: its badged endpoint to the admin
 * (console lines, the final stop report) and the log sink of stdvmm_log().
 */
#ifndef STDVMM_PORT_SEL4_VMM_IO_H
#define STDVMM_PORT_SEL4_VMM_IO_H

#include <stddef.h>
#include <stdint.h>

#include "stdvmm/vm.h"

void vmm_io_init(const char *vm_name);

/* Guest console output: buffered to whole lines, then sent to the admin. */
void vmm_console_write(const uint8_t *buf, size_t len);

/* Tells the admin why the VM stopped; the admin tears this PD down, so it does not return. */
_Noreturn void vmm_report_stop(enum vm_stop_reason reason);

/* Monotonic nanoseconds from the generic timer's virtual counter. */
uint64_t vmm_now_ns(void);

#endif
