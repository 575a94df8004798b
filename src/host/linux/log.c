/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/host/linux.h"

static enum stdvmm_log_level max_level = STDVMM_LOG_WARN;
static char prefix[64] = "stdvmm";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void host_log_set_level(enum stdvmm_log_level level)
{
    max_level = level;
}

void host_log_set_prefix(const char *p)
{
    snprintf(prefix, sizeof(prefix), "%s", p);
}

const char *host_log_prefix(void)
{
    return prefix;
}

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char msg[1024];
    va_list ap;

    if (level > max_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /*
     * The terminal may be in raw mode (no output post-processing), so end
     * lines with CR LF ourselves. Function and line only at debug level:
     * users read messages, developers read locations.
     */
    pthread_mutex_lock(&log_lock);
    if (max_level >= STDVMM_LOG_DEBUG)
        fprintf(stderr, "%s: %s: %s (%s:%d)\r\n", prefix, names[level & 3], msg, func, line);
    else
        fprintf(stderr, "%s: %s: %s\r\n", prefix, names[level & 3], msg);
    pthread_mutex_unlock(&log_lock);
}
