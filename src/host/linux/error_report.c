/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/error_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int stdvmm_error_set(struct stdvmm_error *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return -code;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -code;
}

void stdvmm_error_prefix(struct stdvmm_error *e, const char *fmt, ...)
{
    char rest[STDVMM_ERROR_MSG_MAX];
    va_list ap;

    if (e == NULL)
        return;
    memcpy(rest, e->msg, sizeof(rest));
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    size_t used = strlen(e->msg);
    strncat(e->msg, rest, sizeof(e->msg) - used - 1); /* cut where the buffer ends */
}

void stdvmm_error_clear(struct stdvmm_error *e)
{
    if (e != NULL) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}
