/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMM's virtio-blk backend for a region of the board's disk: a channel to the block server. */
#ifndef STDVMM_PORT_SEL4_VMM_BLK_H
#define STDVMM_PORT_SEL4_VMM_BLK_H

#include <stdbool.h>

#include "stdvmm/devices/virtio_blk.h"
#include "vmm_abi.h"

/* Formats the channel, rings the server, and fills cfg's backend for model m. */
int vmm_blk_init(const struct sel4_vmm_args *a, struct virtio_blk_config *cfg,
                 struct virtio_blk *m);

/* The server signalled: complete what it answered, send what waited for slots. Under the VMM lock.
 */
void vmm_blk_notified(void);

/* Logs the disk's counters (at stop). */
void vmm_blk_report(void);

/*
 * A disk served by a driver VM: it went away (up false: requests in flight
 * and new ones fail with an I/O error, within the admin's notice) or is
 * back (a fresh channel for it to attach; requests go through again).
 */
void vmm_blk_backend(bool up);

#endif
