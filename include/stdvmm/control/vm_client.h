/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client of a VMM's control socket (`stdvmm run --api-socket`, vm_api.h):
 * used by the manager and by `stdvmm ctl vm SOCKET COMMAND`. Library
 * stdvmm_vm_client (src/control), which links no hypervisor code.
 */
#ifndef STDVMM_CONTROL_VM_CLIENT_H
#define STDVMM_CONTROL_VM_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "stdvmm/error_report.h"

/*
 * Sends one command line and reads the JSON answer within timeout_ms.
 * 0 with *reply set (the caller json_decref()s it), or a negative STDVMM_E*
 * with the reason in err.
 */
int vm_client_call(const char *socket_path, const char *command, int timeout_ms, json_t **reply,
                   struct stdvmm_error *err);
/* Opens a `watch` connection: readable when the VMM exits (then read its line). */
int vm_client_watch(const char *socket_path, int timeout_ms, struct stdvmm_error *err);
/* Reads the exit event from a watch connection: the status, or -1 if there was none. */
int vm_client_watch_status(int fd);

#endif
