/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef STDVMM_TOOLS_CLI_H
#define STDVMM_TOOLS_CLI_H

#include <stdio.h>

/* `stdvmm run ...`: argv[0] is "run". Returns the process exit status. */
int cli_run(int argc, char **argv);
void cli_run_usage(FILE *out);

#endif
