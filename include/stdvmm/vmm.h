/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level VMM API (paper §5.1, top layer): build and run one VM from
 * a description. The command line and configuration files are two spellings
 * of struct vmm_config; everything below it (core, arch, port) is reachable
 * without this header for integrators who want the lower layers only.
 */
#ifndef STDVMM_VMM_H
#define STDVMM_VMM_H

#include <stdbool.h>
#include <stdint.h>

enum vmm_serial_mode {
    VMM_SERIAL_TTY,  /* the terminal stdvmm runs on (raw mode while the VM runs) */
    VMM_SERIAL_FILE, /* append guest output to a file; no input */
    VMM_SERIAL_OFF,  /* discard */
};

struct vmm_config {
    const char *name;
    const char *kernel;
    const char *initramfs; /* NULL: none */
    const char *cmdline;
    unsigned cpus;
    uint64_t memory; /* bytes */
    enum vmm_serial_mode serial;
    const char *serial_path; /* VMM_SERIAL_FILE */
    bool no_reboot;          /* guest reset ends the VMM instead of rebooting */
    const char *api_socket;  /* per-VM control socket (pause, resume, shutdown, info); NULL: none */
};

/* Process exit statuses of `stdvmm run`; documented in docs/cli.md. */
enum vmm_exit_status {
    VMM_EXIT_POWEROFF = 0, /* the guest powered off */
    VMM_EXIT_ERROR = 1,    /* stdvmm could not build or run the VM; stderr says why */
    VMM_EXIT_USAGE = 2,    /* bad command line or configuration */
    VMM_EXIT_PANIC = 3,    /* the guest kernel panicked */
    VMM_EXIT_RESET = 4,    /* the guest reset itself under --no-reboot */
    VMM_EXIT_STOPPED = 5,  /* stopped from the host (signal, console escape) */
};

#define VMM_MAX_CPUS 64

/* Checks a configuration; logs every problem; 0 when it can run. */
int vmm_config_check(const struct vmm_config *cfg);

/* Builds and runs the VM until it stops for good; returns an enum vmm_exit_status. */
int vmm_run(const struct vmm_config *cfg);

#endif
