/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The manager's API operations: a routed request becomes a change of the
 * VMs' life cycle and a JSON reply.
 */
#ifndef STDVMM_MANAGER_MANAGER_OPS_H
#define STDVMM_MANAGER_MANAGER_OPS_H

#include <stddef.h>

#include "manager_reply.h"
#include "manager_request.h"

struct mgr;

/* One API operation. query_lines: "?lines=" or NULL. */
void mgr_handle(struct mgr *m, const struct mgr_route *route, const char *body, size_t body_len,
                const char *query_lines, struct mgr_reply *reply);

#endif
