/* SPDX-License-Identifier: BSD-2-Clause */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/vmm.h"

void cli_run_usage(FILE *out)
{
    fprintf(out,
            "Usage: stdvmm run --kernel PATH [OPTIONS]\n"
            "       stdvmm run --config FILE [OPTIONS]\n"
            "\n"
            "Boot a Linux guest in a new VM; stdvmm exits when the VM stops.\n"
            "\n"
            "  --kernel PATH        guest kernel (x86_64: bzImage, e.g. Debian's vmlinuz)\n"
            "  --initramfs PATH     initial RAM filesystem (cpio, may be compressed)\n"
            "  --cmdline STR        kernel command line (default: \"console=ttyS0\")\n"
            "  --cpus N             number of vCPUs (default 1, at most %d)\n"
            "  --memory SIZE        guest RAM, e.g. 512M or 2G (default 512M)\n"
            "  --serial MODE        console: tty (default), file=PATH, off\n"
            "  --no-reboot          a guest reset ends stdvmm (exit 4) instead of rebooting\n"
            "  --name NAME          VM name, used in messages (default \"vm\")\n"
            "  --config FILE        the VM from a single-VM description (YAML or JSON, see\n"
            "                       docs/system-description.md); flags override it\n"
            "  --api-socket PATH    control socket: pause, resume, shutdown, info\n"
            "  --log-level LEVEL    error, warn (default), info or debug\n"
            "  -h, --help           this text\n"
            "\n"
            "On the console, Ctrl-A x stops the VM; Ctrl-A Ctrl-A sends Ctrl-A.\n"
            "\n"
            "Exit status: 0 guest powered off, 1 error, 2 bad usage, 3 guest kernel panic,\n"
            "4 guest reset under --no-reboot, 5 stopped from the host (signal, Ctrl-A x).\n",
            VMM_MAX_CPUS);
}

static int parse_serial(const char *arg, struct vmm_config *cfg)
{
    if (strcmp(arg, "tty") == 0) {
        cfg->serial = VMM_SERIAL_TTY;
    } else if (strcmp(arg, "off") == 0) {
        cfg->serial = VMM_SERIAL_OFF;
    } else if (strncmp(arg, "file=", 5) == 0 && arg[5] != '\0') {
        cfg->serial = VMM_SERIAL_FILE;
        cfg->serial_path = arg + 5;
    } else {
        fprintf(stderr, "stdvmm: --serial %s: expected tty, off or file=PATH\n", arg);
        return -1;
    }
    return 0;
}

static int parse_log_level(const char *arg, enum stdvmm_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *out = (enum stdvmm_log_level)i;
            return 0;
        }
    }
    fprintf(stderr, "stdvmm: --log-level %s: expected error, warn, info or debug\n", arg);
    return -1;
}

int cli_run(int argc, char **argv)
{
    enum { OPT_KERNEL = 256, OPT_INITRAMFS, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_SERIAL,
           OPT_NO_REBOOT, OPT_NAME, OPT_LOG_LEVEL, OPT_CONFIG, OPT_API_SOCKET };
    static const struct option options[] = {
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initramfs", required_argument, NULL, OPT_INITRAMFS},
        {"cmdline", required_argument, NULL, OPT_CMDLINE},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"serial", required_argument, NULL, OPT_SERIAL},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"name", required_argument, NULL, OPT_NAME},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"api-socket", required_argument, NULL, OPT_API_SOCKET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vmm_config cfg = {
        .name = "vm",
        .cmdline = "console=ttyS0",
        .cpus = 1,
        .memory = 512ull << 20,
        .serial = VMM_SERIAL_TTY,
    };
    enum stdvmm_log_level level = STDVMM_LOG_WARN;
    int opt;

    /* The file first, so that every flag overrides it whatever the order. */
    const char *config = cli_config_find(argc, argv);
    if (config != NULL && cli_config_load(config, &cfg) != 0)
        return VMM_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case OPT_KERNEL: cfg.kernel = optarg; break;
        case OPT_INITRAMFS: cfg.initramfs = optarg; break;
        case OPT_CMDLINE: cfg.cmdline = optarg; break;
        case OPT_CPUS: {
            unsigned long n = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n == 0 || n > VMM_MAX_CPUS) {
                fprintf(stderr, "stdvmm: --cpus %s: expected a number from 1 to %d\n", optarg,
                        VMM_MAX_CPUS);
                return VMM_EXIT_USAGE;
            }
            cfg.cpus = (unsigned)n;
            break;
        }
        case OPT_MEMORY:
            if (!host_parse_size(optarg, &cfg.memory)) {
                fprintf(stderr, "stdvmm: --memory %s: expected a size such as 512M or 2G\n",
                        optarg);
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_SERIAL:
            if (parse_serial(optarg, &cfg) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_NO_REBOOT: cfg.no_reboot = true; break;
        case OPT_NAME: cfg.name = optarg; break;
        case OPT_LOG_LEVEL:
            if (parse_log_level(optarg, &level) < 0)
                return VMM_EXIT_USAGE;
            break;
        case OPT_CONFIG:
            if (optarg != config) {
                fprintf(stderr, "stdvmm run: give --config once, spelled in full\n");
                return VMM_EXIT_USAGE;
            }
            break;
        case OPT_API_SOCKET: cfg.api_socket = optarg; break;
        case 'h': cli_run_usage(stdout); return 0;
        default: cli_run_usage(stderr); return VMM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stdvmm run: unexpected argument '%s'\n", argv[optind]);
        return VMM_EXIT_USAGE;
    }
    if (cfg.kernel == NULL) {
        fprintf(stderr, "stdvmm run: --kernel PATH is required (try 'stdvmm run --help')\n");
        return VMM_EXIT_USAGE;
    }
    host_clock_start();
    host_log_set_level(level);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "stdvmm[%s]", cfg.name);
    host_log_set_prefix(prefix);
    return vmm_run(&cfg);
}
