/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Run-time placement through the manager's API (docs/multicore.md
 * "Run-time migration"): a VM's vCPUs as its VMM runs them, and moving one,
 * checked against the other VMs before its VMM is asked.
 */
#ifndef STDVMM_MANAGER_MANAGER_PLACEMENT_H
#define STDVMM_MANAGER_MANAGER_PLACEMENT_H

#include <stddef.h>

#include "manager_reply.h"
#include "manager_vms.h"

/* GET /v1/vms/NAME/placement */
void mgr_op_placement_get(struct mgr_vm *vm, struct mgr_reply *reply);
/* PUT /v1/vms/NAME/vcpus/INDEX/placement */
void mgr_op_placement_put(struct mgr *m, struct mgr_vm *vm, unsigned index, const char *body,
                          size_t len, struct mgr_reply *reply);

#endif
