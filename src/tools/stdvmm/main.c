/* SPDX-License-Identifier: BSD-2-Clause */
/* stdvmm: the command-line entry point. Subcommands live in cli_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/vmm.h"

#ifndef STDVMM_VERSION
#define STDVMM_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "stdvmm %s - a standard virtual machine monitor\n\n"
            "Usage:\n"
            "  stdvmm run [OPTIONS]     boot a VM (see 'stdvmm run --help')\n"
            "  stdvmm ctl COMMAND       control the VMs of stdvmmd (see 'stdvmm ctl --help')\n"
            "  stdvmm --help | --version\n",
            STDVMM_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VMM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("stdvmm %s\n", STDVMM_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "ctl") == 0)
        return cli_ctl(argc - 1, argv + 1);
    fprintf(stderr, "stdvmm: unknown command '%s' (try 'stdvmm --help')\n", argv[1]);
    return VMM_EXIT_USAGE;
}
