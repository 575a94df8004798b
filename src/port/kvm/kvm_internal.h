/* SPDX-License-Identifier: BSD-2-Clause */
/* State shared by the files of the KVM port; nothing outside port/kvm sees it. */
#ifndef STDVMM_KVM_INTERNAL_H
#define STDVMM_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "stdvmm/hv.h"

struct hv_vm {
    int kvm_fd;
    int vm_fd;
    int run_mmap_size;
    unsigned vcpu_count;
    char name[64];
};

struct hv_vcpu {
    struct hv_vm *vm;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    atomic_bool thread_known;
};

/* Fails with a message a user can act on when /dev/kvm cannot run this VM. */
int kvm_open_system(int *kvm_fd);

/* Arch-specific VM set-up done right after KVM_CREATE_VM. */
int kvm_arch_vm_init(struct hv_vm *vm);

#endif
