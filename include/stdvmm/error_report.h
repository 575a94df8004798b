/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The error convention above the portable layers (runtime, control, sched,
 * description, manager, tools; docs/architecture.md, "Errors").
 *
 * Below, in core, devices, arch, firmware and machine, a function returns 0
 * or a negative STDVMM_E* code and logs the reason (stdvmm/error.h): nobody
 * above needs the text, the log is where it goes. Above, a reason often
 * goes somewhere else (a socket, an HTTP reply, a terminal), so a function
 * that can fail returns 0 or a negative STDVMM_E* code and, when the caller
 * passes one, fills a struct stdvmm_error with that code and a message a
 * user can act on. Each edge turns it into its own form in one place:
 * the per-VM socket's {"ok":false,"error":MSG} (vm_api.c), the manager's
 * HTTP reply (manager_reply.c, the status from the code), the CLI's stderr
 * line. A description's many problems at once, each with its path and line,
 * stay a list (struct sysconf_diags) that the same edges take.
 */
#ifndef STDVMM_ERROR_REPORT_H
#define STDVMM_ERROR_REPORT_H

#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define STDVMM_ERROR_MSG_MAX 512

struct stdvmm_error {
    int code; /* a positive STDVMM_E*; 0: no error recorded */
    char msg[STDVMM_ERROR_MSG_MAX];
};

/*
 * Records code and the message in e (which may be NULL: only the code is
 * returned) and returns -code, so that `return stdvmm_error_set(e, ...)`
 * is the whole failure path.
 */
int stdvmm_error_set(struct stdvmm_error *e, int code, const char *fmt, ...) STDVMM_PRINTF(3, 4);
/* Puts a context before e's message ("vcpu 2: " + "pcpus is empty"); e may be NULL. */
void stdvmm_error_prefix(struct stdvmm_error *e, const char *fmt, ...) STDVMM_PRINTF(2, 3);
/* Clears e (no error). */
void stdvmm_error_clear(struct stdvmm_error *e);

#endif
