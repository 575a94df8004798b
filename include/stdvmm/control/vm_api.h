/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM control socket of `stdvmm run --api-socket PATH`: a small
 * thread answering one-line commands (info, pause, resume, shutdown, watch)
 * with one JSON line. The manager (stdvmmd) drives every VMM through it;
 * the protocol is in docs/api/vm-socket.md.
 *
 * The runtime (src/runtime/vmm.c) calls, in order: vm_api_open once,
 * vm_api_start once (after the jail, whose fork keeps no thread),
 * vm_api_attach after each VM is built, vm_api_detach when it stopped
 * (before its vCPU threads are joined), vm_api_close with the exit status.
 * Library stdvmm_vm_api (src/control).
 */
#ifndef STDVMM_CONTROL_VM_API_H
#define STDVMM_CONTROL_VM_API_H

#include <stdint.h>

#include "stdvmm/vm.h"
#include "stdvmm/vmm.h"

struct vm_api;

struct sched_policy;

/*
 * Binds PATH (replacing a stale socket, refusing a live one); the placement
 * commands act on sched (NULL: the VM has no placement).
 */
int vm_api_open(struct vm_api **out, const char *path, const struct vmm_config *cfg,
                struct sched_policy *sched);
/* Starts serving it on a thread of its own; api may be NULL (no socket). */
int vm_api_start(struct vm_api *api);

/* One device interrupt as `info` reports it. */
struct vm_api_irq {
    const char *device; /* "blk0" */
    uint32_t line;      /* the port's interrupt line (GSI / SPI) */
    uint32_t hwirq;     /* the guest's number for it (GSI / INTID) */
    struct vmm_irq_owner owner;
    int routed_to; /* vCPU stdvmm routed it to; -1: not (yet) */
};

/*
 * The VM commands act on, and what the socket needs of the VMM that runs
 * it: stopping every vCPU (pause) and the devices' interrupts (info).
 * Callbacks rather than the runtime's own types, so that the socket stands
 * below the runtime that opens it and never reaches back into it.
 */
struct vm_api_target {
    struct vm *vm;
    void *ctx;
    /*
     * Stops every vCPU within timeout_ms: 0, -STDVMM_EAGAIN (not all yet)
     * or -STDVMM_ENOENT (no running VM); every call is paired with release.
     */
    int (*hold)(void *ctx, int timeout_ms);
    void (*release)(void *ctx);
    /* How many vCPUs are parked now, of how many. */
    void (*parked)(void *ctx, unsigned *parked, unsigned *total);
    /* This boot's devices and their interrupts, at most max. */
    unsigned (*irqs)(void *ctx, struct vm_api_irq *out, unsigned max);
};

/* From now on commands act on target->vm (copied; NULL callbacks are not allowed). */
void vm_api_attach(struct vm_api *api, const struct vm_api_target *target);
/* The VM stopped: releases a pause's hold and forgets the VM. */
void vm_api_detach(struct vm_api *api);
/* Tells `watch` clients the exit status, stops the thread, removes the socket. */
void vm_api_close(struct vm_api *api, int exit_status);

/* Shared with the unit tests: the command word of a request line, or NULL. */
enum vm_api_command {
    VM_API_INFO,
    VM_API_PAUSE,
    VM_API_RESUME,
    VM_API_SHUTDOWN,
    VM_API_WATCH,
    VM_API_UNKNOWN,
};
enum vm_api_command vm_api_parse_command(const char *line, unsigned long len);

#endif
