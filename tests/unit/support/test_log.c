/* SPDX-License-Identifier: BSD-2-Clause */
/* The log sink for unit tests: everything goes to stderr, so a failing test shows why. */
#include <stdarg.h>
#include <stdio.h>

#include "stdvmm/log.h"

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    va_list ap;

    fprintf(stderr, "[%s] %s:%d: ", names[level & 3], func, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
