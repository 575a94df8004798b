/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's program and its VMM (docs/sel4.md "Driver VMs"): the
 * connections to the VMM's side, one per channel it relays, at the host's
 * vsock ports (blk_abi.h), or at Unix sockets PREFIX<port> when a test
 * plays the VMM's side outside a VM (--unix).
 */
#ifndef STDVMM_DRIVER_VM_VMM_LINK_H
#define STDVMM_DRIVER_VM_VMM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connection to the VMM's side for port: a file descriptor, or -1. unix_prefix: NULL for vsock. */
int vmm_link_dial(const char *unix_prefix, unsigned port);

/* Answers request id: a response header, then len bytes of data (a stream: all or nothing). */
bool vmm_link_respond(int fd, uint32_t id, uint32_t status, const void *data, uint32_t len);

/*
 * Whether to dial the ports without a connection now. A connect() is a
 * round trip to the VMM (a port that serves no one answers with a reset):
 * once a second at most, never per request or frame.
 */
bool vmm_link_dial_due(void);

#endif
