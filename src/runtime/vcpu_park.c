/* SPDX-License-Identifier: BSD-2-Clause */
#include "vcpu_park.h"

#include <errno.h>
#include <time.h>

#include "stdvmm/error.h"

void vcpu_park_init(struct vcpu_park *p)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->vm = NULL;
    p->holds = 0;
    p->parked = 0;
}

void vcpu_park_destroy(struct vcpu_park *p)
{
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

static void on_kick(struct vcpu *vcpu, void *ctx)
{
    struct vcpu_park *p = ctx;

    pthread_mutex_lock(&p->lock);
    while (p->holds > 0 && p->vm == vcpu->vm && vm_stop_reason(vcpu->vm) == VM_STOP_NONE) {
        p->parked++;
        pthread_cond_broadcast(&p->cond);
        pthread_cond_wait(&p->cond, &p->lock);
        p->parked--;
    }
    pthread_mutex_unlock(&p->lock);
}

void vcpu_park_attach(struct vcpu_park *p, struct vm *vm)
{
    pthread_mutex_lock(&p->lock);
    vm->on_kick = on_kick;
    vm->on_kick_ctx = p;
    p->vm = vm;
    p->holds = 0;
    pthread_mutex_unlock(&p->lock);
}

void vcpu_park_detach(struct vcpu_park *p)
{
    pthread_mutex_lock(&p->lock);
    p->vm = NULL;
    p->holds = 0;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

int vcpu_park_hold(struct vcpu_park *p, int timeout_ms)
{
    struct timespec deadline;

    pthread_mutex_lock(&p->lock);
    struct vm *vm = p->vm;
    p->holds++;
    if (vm == NULL || vm_stop_reason(vm) != VM_STOP_NONE) {
        pthread_mutex_unlock(&p->lock);
        return -STDVMM_ENOENT;
    }
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (vm->vcpus[i].hv != NULL)
            hv_vcpu_kick(vm->vcpus[i].hv);
    }
    deadline_in(&deadline, timeout_ms);
    while (p->vm == vm && p->holds > 0 && p->parked < vm->vcpu_count &&
           vm_stop_reason(vm) == VM_STOP_NONE) {
        if (pthread_cond_timedwait(&p->cond, &p->lock, &deadline) == ETIMEDOUT)
            break;
    }
    int r = 0;
    if (p->vm != vm || vm_stop_reason(vm) != VM_STOP_NONE)
        r = -STDVMM_ENOENT;
    else if (p->parked < vm->vcpu_count)
        r = -STDVMM_EAGAIN;
    pthread_mutex_unlock(&p->lock);
    return r;
}

void vcpu_park_release(struct vcpu_park *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->holds > 0 && --p->holds == 0)
        pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void vcpu_park_count(struct vcpu_park *p, unsigned *parked, unsigned *total)
{
    pthread_mutex_lock(&p->lock);
    *parked = p->parked;
    *total = p->vm != NULL ? p->vm->vcpu_count : 0;
    pthread_mutex_unlock(&p->lock);
}
