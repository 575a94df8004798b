/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The log of the backend PDs (the switch, the block server): a line on the
 * kernel's debug console, prefixed with the program's name. They have no
 * console ring of their own; the admin's console shows these lines as they
 * come.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt/rt.h"
#include "stdvmm/log.h"

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line_no, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char buf[256];
    va_list ap;

    if (level > STDVMM_LOG_INFO)
        return;
    int n = snprintf(buf, sizeof(buf), "%s: %s: %s:%d: ", sel4rt_program_name, names[level & 3],
                     func, line_no);
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(buf, "\n");
    sel4rt_debug_puts(buf);
}
