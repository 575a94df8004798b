/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's VMM serving other VMs' disks (blk_abi.h, "Disks served by a
 * driver VM"): the back end of each client's channel, relayed over this
 * VM's virtio-vsock to the program in the guest that owns the disk.
 */
#ifndef STDVMM_PORT_SEL4_VMM_DRVBACK_H
#define STDVMM_PORT_SEL4_VMM_DRVBACK_H

#include <stdint.h>

#include "stdvmm/devices/virtio_vsock.h"
#include "vmm_abi.h"

/* Fills the vsock device's backend; 0, or negative. */
int vmm_drvback_init(const struct sel4_vmm_args *a, struct virtio_vsock_config *cfg,
                     struct virtio_vsock *dev);
/* Under the VMM lock: clients rang (badge bits), or were detached by the admin. */
void vmm_drvback_notified(uint64_t badge);
/* Under the VMM lock, outside the transport's: send what waits to the guest. */
void vmm_drvback_pump(void);
void vmm_drvback_report(void);

#endif
