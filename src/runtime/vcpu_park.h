/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stopping every vCPU of a running VM for a moment: a user's pause (the
 * per-VM socket) and the VMM's own work that the hypervisor allows only
 * while no vCPU runs (on KVM/Arm, writing the vGIC's routing registers).
 * Each holder takes a hold and gives it back; the vCPUs run again when the
 * last hold is gone. The vCPUs park in the VM's on_kick hook, on their own
 * threads, outside the hypervisor.
 */
#ifndef STDVMM_RUNTIME_VCPU_PARK_H
#define STDVMM_RUNTIME_VCPU_PARK_H

#include <pthread.h>
#include <stdbool.h>

#include "stdvmm/vm.h"

struct vcpu_park {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* parked count changed, a hold ended, or the VM went */
    struct vm *vm;       /* NULL between builds */
    unsigned holds;
    unsigned parked; /* vCPU threads blocked in on_kick */
};

void vcpu_park_init(struct vcpu_park *p);
void vcpu_park_destroy(struct vcpu_park *p);
/* vm's vCPUs park here from now on (installs vm->on_kick). */
void vcpu_park_attach(struct vcpu_park *p, struct vm *vm);
/* The VM stopped: every hold is dropped and parked vCPUs go (to their exit). */
void vcpu_park_detach(struct vcpu_park *p);

/*
 * Takes a hold, kicks every vCPU and waits up to timeout_ms until all are
 * parked. 0: all parked; -STDVMM_EAGAIN: not all within the time (they
 * still will); -STDVMM_ENOENT: there is no running VM. Every call, whatever
 * it returned, is paired with one vcpu_park_release().
 */
int vcpu_park_hold(struct vcpu_park *p, int timeout_ms);
void vcpu_park_release(struct vcpu_park *p);
/* How many vCPUs are parked now, of how many. */
void vcpu_park_count(struct vcpu_park *p, unsigned *parked, unsigned *total);

#endif
