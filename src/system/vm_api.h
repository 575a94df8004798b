/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM control socket of `stdvmm run --api-socket PATH`: a small
 * thread answering one-line commands (info, pause, resume, shutdown, watch)
 * with one JSON line. The manager (stdvmmd) drives every VMM through it;
 * the protocol is in docs/api/vm-socket.md.
 *
 * vmm.c calls, in order: vm_api_open once, vm_api_attach after each VM is
 * built, vm_api_detach when it stopped (before its vCPU threads are joined),
 * vm_api_close with the exit status.
 */
#ifndef STDVMM_SYSTEM_VM_API_H
#define STDVMM_SYSTEM_VM_API_H

#include "stdvmm/vm.h"
#include "stdvmm/vmm.h"

struct vm_api;

/* Binds PATH (replacing a stale socket, refusing a live one) and starts the thread. */
int vm_api_open(struct vm_api **out, const char *path, const struct vmm_config *cfg);
struct vcpu_park;
struct vmm_virtio;
/* From now on commands act on vm, whose vCPUs park in park (pause). */
void vm_api_attach(struct vm_api *api, struct vm *vm, struct vcpu_park *park,
                   struct vmm_virtio *virtio);
/* The VM stopped: releases parked vCPUs and forgets it. */
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
