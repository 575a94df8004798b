/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging. Portable code only declares stdvmm_log(); the host layer (Linux)
 * or the seL4 port provides it. Messages name the function and line, in the
 * way libvmm does, so a failure deep in a device model can be found quickly.
 */
#ifndef STDVMM_LOG_H
#define STDVMM_LOG_H

enum stdvmm_log_level {
    STDVMM_LOG_ERROR = 0,
    STDVMM_LOG_WARN = 1,
    STDVMM_LOG_INFO = 2,
    STDVMM_LOG_DEBUG = 3,
};

#if defined(__GNUC__)
#define STDVMM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define STDVMM_PRINTF(a, b)
#endif

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line, const char *fmt, ...)
    STDVMM_PRINTF(4, 5);

#define LOG_ERR(...) stdvmm_log(STDVMM_LOG_ERROR, __func__, __LINE__, __VA_ARGS__)
#define LOG_WARN(...) stdvmm_log(STDVMM_LOG_WARN, __func__, __LINE__, __VA_ARGS__)
#define LOG_INFO(...) stdvmm_log(STDVMM_LOG_INFO, __func__, __LINE__, __VA_ARGS__)
#define LOG_DEBUG(...) stdvmm_log(STDVMM_LOG_DEBUG, __func__, __LINE__, __VA_ARGS__)

#endif
