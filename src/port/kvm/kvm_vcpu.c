/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

/*
 * A kick sets kvm_run.immediate_exit, so a vCPU about to enter the guest
 * returns at once, and sends this signal, so one already inside leaves with
 * EINTR. The handler does nothing: interrupting the ioctl is the point.
 */
#define KICK_SIGNAL (SIGRTMIN + 1)

static void kick_handler(int sig)
{
    (void)sig;
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;

static void install_kick_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
}

int hv_vcpu_create(struct hv_vm *vm, unsigned index, struct hv_vcpu **out)
{
    struct hv_vcpu *v = calloc(1, sizeof(*v));

    if (v == NULL)
        return -STDVMM_ENOMEM;
    pthread_once(&kick_once, install_kick_handler);
    v->vm = vm;
    v->index = index;
    atomic_init(&v->thread_known, false);
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0) {
        int e = errno;
        LOG_ERR("VM %s: KVM_CREATE_VCPU %u: %s", vm->name, index, strerror(e));
        free(v);
        return -e;
    }
    v->run = mmap(NULL, (size_t)vm->run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        int e = errno;
        LOG_ERR("VM %s: mmap of vCPU %u run area: %s", vm->name, index, strerror(e));
        close(v->fd);
        free(v);
        return -e;
    }
    kvm_buffered_map(vm, v->fd);
    *out = v;
    return 0;
}

void hv_vcpu_destroy(struct hv_vcpu *v)
{
    if (v == NULL)
        return;
    munmap(v->run, (size_t)v->vm->run_mmap_size);
    close(v->fd);
    free(v);
}

void hv_vcpu_kick(struct hv_vcpu *v)
{
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (atomic_load(&v->thread_known))
        pthread_kill(v->thread, KICK_SIGNAL);
}

static void fill_io_exit(struct hv_vcpu *v, struct hv_exit *ex)
{
    struct kvm_run *run = v->run;

    if (run->exit_reason == KVM_EXIT_IO) {
        ex->reason = HV_EXIT_PIO;
        ex->io.addr = run->io.port;
        ex->io.len = run->io.size;
        ex->io.count = run->io.count;
        ex->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
        ex->io.data = (uint8_t *)run + run->io.data_offset;
    } else {
        ex->reason = HV_EXIT_MMIO;
        ex->io.addr = run->mmio.phys_addr;
        ex->io.len = run->mmio.len;
        ex->io.count = 1;
        ex->io.is_write = run->mmio.is_write != 0;
        ex->io.data = run->mmio.data;
    }
}

static void fill_system_event(const struct kvm_run *run, struct hv_exit *ex)
{
    ex->detail = run->system_event.type;
    switch (run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        ex->reason = HV_EXIT_SYSTEM_OFF;
        break;
    case KVM_SYSTEM_EVENT_RESET:
        ex->reason = HV_EXIT_SYSTEM_RESET;
        break;
    default:
        ex->reason = HV_EXIT_SHUTDOWN;
        break;
    }
}

int hv_vcpu_run(struct hv_vcpu *v, struct hv_exit *ex)
{
    struct kvm_run *run = v->run;

    if (!atomic_load(&v->thread_known)) {
        v->thread = pthread_self();
        atomic_store(&v->thread_known, true);
    }
again:
    memset(ex, 0, sizeof(*ex));
    if (ioctl(v->fd, KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
            ex->reason = HV_EXIT_KICKED;
            return 0;
        }
        int e = errno;
        LOG_ERR("VM %s: KVM_RUN on vCPU %u: %s", v->vm->name, v->index, strerror(e));
        return -e;
    }
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
    case KVM_EXIT_MMIO:
        fill_io_exit(v, ex);
        break;
    case KVM_EXIT_INTR:
        ex->reason = HV_EXIT_KICKED;
        break;
    case KVM_EXIT_HLT:
        ex->reason = HV_EXIT_HALTED;
        break;
    case KVM_EXIT_SHUTDOWN:
        ex->reason = HV_EXIT_SHUTDOWN;
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        fill_system_event(run, ex);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        ex->reason = HV_EXIT_INTERNAL_ERROR;
        ex->detail = run->fail_entry.hardware_entry_failure_reason;
        LOG_ERR("VM %s vCPU %u: KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx", v->vm->name, v->index,
                (unsigned long long)ex->detail);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        ex->reason = HV_EXIT_INTERNAL_ERROR;
        ex->detail = run->internal.suberror;
        LOG_ERR("VM %s vCPU %u: KVM_EXIT_INTERNAL_ERROR, suberror %u", v->vm->name, v->index,
                run->internal.suberror);
        break;
    default:
        switch (kvm_arch_exit(v, ex)) {
        case KVM_ARCH_EXIT_DONE:
            return 0;
        case KVM_ARCH_EXIT_RERUN:
            goto again;
        case KVM_ARCH_EXIT_UNKNOWN:
            break;
        }
        ex->reason = HV_EXIT_GUEST_FAULT;
        ex->detail = run->exit_reason;
        LOG_ERR("VM %s vCPU %u: unexpected KVM exit reason %u", v->vm->name, v->index,
                run->exit_reason);
        break;
    }
    return 0;
}
