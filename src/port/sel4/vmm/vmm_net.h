/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMM's virtio-net backend: channel front ends to the switch PD or a driver VM (vmm_net.c). */
#ifndef STDVMM_PORT_SEL4_VMM_NET_H
#define STDVMM_PORT_SEL4_VMM_NET_H

#include "stdvmm/devices/virtio_net.h"
#include "vmm_abi.h"

/*
 * Formats this port's channels, posts every RX buffer, rings the switch,
 * and fills cfg's MAC and backend for model m (not yet initialised).
 */
int vmm_net_init(const struct sel4_vmm_args *a, struct virtio_net_config *cfg,
                 struct virtio_net *m);

/* The switch signalled: reap TX answers, hand received frames to the guest. Under the VMM lock. */
void vmm_net_notified(void);

/*
 * The driver VM serving this NIC went away (frames are dropped meanwhile,
 * as on a link that is down) or is back (fresh channels, posted again).
 */
void vmm_net_backend(bool up);

/* Logs the NIC's counters (at stop). */
void vmm_net_report(void);

#endif
