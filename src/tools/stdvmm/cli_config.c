/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run --config FILE`: the single-VM description (the schema of one
 * entry of a system description, docs/system-description.md) as the other
 * spelling of the command line. The file is read before the flags, so a
 * flag overrides what the file says.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/system_config.h"
#include "stdvmm/vmm.h"

const char *cli_config_find(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0)
            return i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

/* The VMM's threads inherit the mask, so pinning the process pins them all. */
static int apply_host_cpus(const char *path, const struct sysconf_vm *vm)
{
    cpu_set_t set;

    if (!vm->has_host_cpus)
        return 0;
    CPU_ZERO(&set);
    for (unsigned c = 0; c < SYSCONF_MAX_HOST_CPUS && c < CPU_SETSIZE; c++) {
        if (sysconf_cpuset_has(&vm->host_cpus, c))
            CPU_SET(c, &set);
    }
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        char list[256];
        sysconf_cpuset_format(&vm->host_cpus, list, sizeof(list));
        fprintf(stderr, "stdvmm: %s: host_cpus %s: none of them can run this process\n", path,
                list);
        return -1;
    }
    return 0;
}

int cli_config_load(const char *path, struct vmm_config *cfg)
{
    /* Lives until the process exits: cfg points into it. */
    static struct sysconf file;
    struct sysconf_diags diags = {0};

    if (sysconf_load_vm(path, 0, &file, &diags) != 0) {
        sysconf_diags_print(&diags, path, 2);
        sysconf_diags_free(&diags);
        return -1;
    }
    int r = sysconf_vm_to_vmm_config(&file.vms[0], cfg, &diags);
    if (r != 0)
        sysconf_diags_print(&diags, path, 2);
    sysconf_diags_free(&diags);
    if (r == 0)
        r = apply_host_cpus(path, &file.vms[0]);
    return r;
}
