/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run --placement [vcpu=N,]SPEC` and `--vmm-threads LIST`: the
 * command-line spelling of a struct vmm_placement (docs/multicore.md). A
 * placement from --config is the starting point; flags change it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"
#include "stdvmm/vmm.h"

static struct vmm_placement cli_placement;

static struct vmm_placement *placement_of(struct vmm_config *cfg)
{
    if (cfg->placement != &cli_placement) {
        if (cfg->placement != NULL)
            cli_placement = *cfg->placement; /* from --config */
        else
            placement_init(&cli_placement);
        cfg->placement = &cli_placement;
    }
    return &cli_placement;
}

int cli_placement_option(struct vmm_config *cfg, const char *opt, const char *arg)
{
    struct vmm_placement *p = placement_of(cfg);
    struct stdvmm_error err;

    if (strcmp(opt, "--vmm-threads") == 0) {
        const char *list = strncmp(arg, "pcpus=", 6) == 0 ? arg + 6 : arg;
        if (!placement_cpuset_parse(list, &p->vmm_threads)) {
            fprintf(stderr, "stdvmm: --vmm-threads %s: expected a CPU list such as 0 or 0-1:4\n",
                    arg);
            return -1;
        }
        p->has_vmm_threads = true;
        return 0;
    }
    /* "vcpu=N," picks one vCPU; without it the spec is for every vCPU. */
    unsigned first = 0, last = PLACEMENT_MAX_VCPUS - 1;
    const char *spec = arg;
    if (strncmp(arg, "vcpu=", 5) == 0) {
        const char *end;
        unsigned long long n;
        if (!placement_parse_uint(arg + 5, PLACEMENT_MAX_VCPUS - 1, &n, &end) ||
            (*end != ',' && *end != '\0')) {
            fprintf(stderr, "stdvmm: --placement %s: vcpu=N takes a vCPU index 0-%d\n", arg,
                    PLACEMENT_MAX_VCPUS - 1);
            return -1;
        }
        first = last = (unsigned)n;
        spec = *end == ',' ? end + 1 : end;
        p->named |= 1ull << n;
    }
    for (unsigned i = first; i <= last; i++) {
        if (placement_apply_spec(&p->vcpu[i], spec, &err) < 0) {
            fprintf(stderr, "stdvmm: --placement %s: %s\n", arg, err.msg);
            return -1;
        }
    }
    return 0;
}
