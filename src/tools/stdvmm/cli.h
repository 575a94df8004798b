/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef STDVMM_TOOLS_CLI_H
#define STDVMM_TOOLS_CLI_H

#include <stddef.h>
#include <stdio.h>

struct stdvmm_error; /* stdvmm/error_report.h */

/* `stdvmm run ...`: argv[0] is "run". Returns the process exit status. */
int cli_run(int argc, char **argv);
void cli_run_usage(FILE *out);

/* `stdvmm ctl ...`: argv[0] is "ctl". Returns the process exit status. */
int cli_ctl(int argc, char **argv);
void cli_ctl_usage(FILE *out);

struct vmm_config;
/* `run --config FILE`: the argument of --config in argv (NULL: none). */
const char *cli_config_find(int argc, char **argv);
/* Fills cfg from the single-VM description FILE; 0, or -1 after printing why. */
int cli_config_load(const char *path, struct vmm_config *cfg);
/*
 * How long `ctl vm SOCKET ...` waits for a VMM's answer. A VMM answers in
 * well under a second even in the emulated test host under load (measured:
 * 0.15-0.43 s per call there), but a user's command should not fail while a
 * starved host catches up, so the deadline only guards against a VMM that
 * hangs.
 */
#define CLI_VM_SOCKET_TIMEOUT_MS 30000
/* `ctl vm SOCKET placement|vcpu N SPEC` (cli_ctl_placement.c); an exit status. */
int cli_ctl_vm_placement(const char *socket_path, int argc, char **argv, int json);
struct json_t;
/* `ctl vcpu NAME N SPEC`: SPEC as the manager's JSON body; NULL with the reason in err. */
struct json_t *cli_placement_spec_body(const char *spec, struct stdvmm_error *err);
/* The manager's placement answers (GET .../placement, PUT .../vcpus/N/placement) as a table. */
void cli_print_manager_placement(const struct json_t *answer);
/* GET /v1/networks and GET /v1/networks/NAME as tables (cli_ctl_network.c). */
void cli_print_networks(const struct json_t *answer);
void cli_print_network(const struct json_t *answer);
/* --placement and --vmm-threads (cli_placement.c); -1 after printing why. */
int cli_placement_option(struct vmm_config *cfg, const char *opt, const char *arg);

#endif
