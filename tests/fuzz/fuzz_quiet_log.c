/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The log sink of the fuzzers of guest- and peer-controlled input: logging
 * is part of what such input can trigger, but printing slows fuzzing.
 */
#include "stdvmm/log.h"

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line, const char *fmt, ...)
{
    (void)level;
    (void)func;
    (void)line;
    (void)fmt;
}
