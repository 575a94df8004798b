/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host side of the VM's virtio devices: for each one, an event loop
 * thread, the ioeventfd that carries the guest's queue notifications and
 * the irqfd that carries its interrupts, and the backend that does the
 * I/O. The device models themselves are portable (src/devices/virtio).
 *
 * Life cycle: open once per stdvmm run (images are opened and locked
 * here, so a conflict is reported before anything boots); build, start and
 * teardown once per boot (a guest reboot rebuilds the whole VM); close at
 * the end.
 */
#ifndef STDVMM_RUNTIME_VIRTIO_DEVICES_H
#define STDVMM_RUNTIME_VIRTIO_DEVICES_H

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "stdvmm/control/vm_api.h"
#include "stdvmm/vm.h"
#include "stdvmm/vmm.h"

struct vmm_virtio;

/* Checks the virtio part of a configuration; logs every problem. */
int vmm_virtio_config_check(const struct vmm_config *cfg);
/* Does guest RAM have to be a shared memfd (a vhost-user backend maps it)? */
bool vmm_virtio_shared_ram(const struct vmm_config *cfg);
int vmm_virtio_open(struct vmm_virtio **out, const struct vmm_config *cfg);
struct vcpu_park;
/*
 * Adds the devices to the machine (machine_add_virtio); the console device writes to
 * con. ram_fds are the memfds behind m's RAM regions (vhost-user devices pass them on). Routing an
 * interrupt to its owner vCPU (Arm) stops the vCPUs for a moment through park.
 */
struct machine;
int vmm_virtio_build(struct vmm_virtio *v, struct machine *m, const int *ram_fds,
                     struct console *con, struct vcpu_park *park);
/*
 * The kernel command-line argument that tells the guest which vCPU owns
 * which interrupt ("stdvmm.irq_affinity=GUESTIRQ:VCPU,..." with the
 * guest's own interrupt numbers), or "" when no device has an owner.
 */
int vmm_virtio_irq_affinity_arg(const struct vmm_virtio *v, char *buf, size_t size);

/* This boot's devices and their interrupts, as the control socket's `info` reports them. */
unsigned vmm_virtio_irqs(struct vmm_virtio *v, struct vm_api_irq *out, unsigned max);
/* Starts the device threads (before the vCPUs). */
int vmm_virtio_start(struct vmm_virtio *v);
/* The started device threads' ids, at most max. */
unsigned vmm_virtio_tids(struct vmm_virtio *v, pid_t *out, unsigned max);
/* Stops the threads, waits for I/O in flight and frees the devices (before guest RAM goes). */
void vmm_virtio_teardown(struct vmm_virtio *v);
void vmm_virtio_close(struct vmm_virtio *v);
/* With --console virtio: where console input goes. False: the UART takes it. */
bool vmm_virtio_console_input(struct vmm_virtio *v, console_input_fn *fn, void **ctx);

#endif
