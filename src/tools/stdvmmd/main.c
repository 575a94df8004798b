/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmmd: the manager of a system of VMs (include/stdvmm/manager.h). It reads
 * a system description, starts one `stdvmm run` process per VM and serves
 * the control API (docs/api/openapi.yaml) on a Unix socket.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdvmm/manager.h"
#include "stdvmm/system_config.h"
#include "stdvmm/host/linux.h"

#define DEFAULT_STATE_DIR "/run/stdvmm"
#define DEFAULT_SOCKET "/run/stdvmm/api.sock"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: stdvmmd --system FILE [OPTIONS]\n"
            "\n"
            "Runs the VMs of a system description within its bounds, one stdvmm process per\n"
            "VM, and serves the control API (HTTP/JSON) on a Unix socket. VMs keep running\n"
            "when stdvmmd exits; a new stdvmmd with the same --state-dir adopts them.\n"
            "\n"
            "  --system FILE        the system description (YAML or JSON; see\n"
            "                       docs/system-description.md)\n"
            "  --api-socket PATH    control API socket (default %s)\n"
            "  --state-dir DIR      pid files, VM sockets, default serial logs\n"
            "                       (default %s)\n"
            "  --stdvmm PATH        the VMM binary (default: stdvmm next to stdvmmd)\n"
            "  --switch PATH        the networks' switch (default: stdvmm-switch next to\n"
            "                       stdvmmd)\n"
            "  --no-autostart       start no VM by itself\n"
            "  --check              validate the description, print every problem, exit\n"
            "  --log-level LEVEL    error, warn, info (default) or debug\n"
            "  -h, --help           this text\n"
            "\n"
            "Control it with `stdvmm ctl --socket PATH ...` (see `stdvmm ctl --help`).\n"
            "Exit status: 0 after SIGTERM/SIGINT, 1 error, 2 bad usage or description.\n",
            DEFAULT_SOCKET, DEFAULT_STATE_DIR);
}

static int parse_level(const char *arg, enum stdvmm_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *out = (enum stdvmm_log_level)i;
            return 0;
        }
    }
    fprintf(stderr, "stdvmmd: --log-level %s: expected error, warn, info or debug\n", arg);
    return -1;
}

/* The program called leaf installed or built next to this one. */
static void default_sibling(const char *leaf, char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0) {
        snprintf(out, size, "%s", leaf);
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    if (snprintf(out, size, "%s/%s", self, leaf) >= (int)size)
        snprintf(out, size, "%s", leaf);
}

static int check_only(const char *path)
{
    struct sysconf cfg;
    struct sysconf_diags diags = {0};

    if (sysconf_load_system(path, SYSCONF_CHECK_FILES, &cfg, &diags) != 0) {
        sysconf_diags_print(&diags, path, 2);
        sysconf_diags_free(&diags);
        return 2;
    }
    printf("%s: valid: %u definitions\n", path, cfg.vm_count);
    sysconf_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        OPT_SYSTEM = 256,
        OPT_SOCKET,
        OPT_STATE,
        OPT_STDVMM,
        OPT_SWITCH,
        OPT_NO_AUTOSTART,
        OPT_CHECK,
        OPT_LOG_LEVEL
    };
    static const struct option options[] = {
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"api-socket", required_argument, NULL, OPT_SOCKET},
        {"state-dir", required_argument, NULL, OPT_STATE},
        {"stdvmm", required_argument, NULL, OPT_STDVMM},
        {"switch", required_argument, NULL, OPT_SWITCH},
        {"no-autostart", no_argument, NULL, OPT_NO_AUTOSTART},
        {"check", no_argument, NULL, OPT_CHECK},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct mgr_options opts = {.state_dir = DEFAULT_STATE_DIR, .api_socket = DEFAULT_SOCKET};
    enum stdvmm_log_level level = STDVMM_LOG_INFO;
    char stdvmm[PATH_MAX], vswitch[PATH_MAX];
    bool check = false;
    int opt;

    default_sibling("stdvmm", stdvmm, sizeof(stdvmm));
    default_sibling("stdvmm-switch", vswitch, sizeof(vswitch));
    opts.stdvmm = stdvmm;
    opts.vswitch = vswitch;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case OPT_SYSTEM:
            opts.system_path = optarg;
            break;
        case OPT_SOCKET:
            opts.api_socket = optarg;
            break;
        case OPT_STATE:
            opts.state_dir = optarg;
            break;
        case OPT_STDVMM:
            opts.stdvmm = optarg;
            break;
        case OPT_SWITCH:
            opts.vswitch = optarg;
            break;
        case OPT_NO_AUTOSTART:
            opts.no_autostart = true;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_LOG_LEVEL:
            if (parse_level(optarg, &level) != 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || opts.system_path == NULL) {
        fprintf(stderr, "stdvmmd: %s (try 'stdvmmd --help')\n",
                optind < argc ? "unexpected argument" : "--system FILE is required");
        return 2;
    }
    if (check)
        return check_only(opts.system_path);
    host_log_set_level(level);
    host_log_set_prefix("stdvmmd");
    host_clock_start();

    struct mgr *m;
    int r = mgr_open(&opts, &m);
    if (r != 0)
        return r == -22 /* STDVMM_EINVAL: the description */ ? 2 : 1;
    r = mgr_run(m);
    mgr_close(m);
    return r == 0 ? 0 : 1;
}
