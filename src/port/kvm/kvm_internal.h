/* SPDX-License-Identifier: BSD-2-Clause */
/* State shared by the files of the KVM port; nothing outside port/kvm sees it. */
#ifndef STDVMM_KVM_INTERNAL_H
#define STDVMM_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/hv.h"

#define KVM_MAX_DEFERRED_IRQFDS 64
#define KVM_MAX_TRACKED_VCPUS 64 /* VM_MAX_VCPUS */
#define KVM_MAX_BUFFERED_ZONES 8
#define KVM_MAX_READ_PAGES 32 /* the console UART and every virtio-mmio window */

struct hv_vm {
    int kvm_fd;
    int vm_fd;
    int run_mmap_size;
    unsigned vcpu_count;
    int irqchip_fd; /* in-kernel interrupt controller device (arm64 vGIC), or -1 */
    int its_fd;     /* arm64: the vGIC's ITS, or -1 */
    /*
     * arm64 KVM accepts irqfds only once the vGIC is initialised, which
     * needs every vCPU to exist: irqfds added before that wait here and are
     * registered by kvm_flush_deferred_irqfds() (kvm_notify.c).
     */
    bool irqfds_deferred;
    unsigned deferred_irqfd_count;
    struct kvm_irqfd deferred_irqfds[KVM_MAX_DEFERRED_IRQFDS];
    char name[64];
    /* arm64: what interrupt ownership needs to name vCPUs to the vGIC. */
    bool gic_v3;
    uint64_t mpidr[KVM_MAX_TRACKED_VCPUS]; /* affinity of vCPU i, as hv_a64_vcpu_init set it */
    uint32_t rv64_sources;                 /* riscv64: the APLIC's wired sources, 1..rv64_sources */
    /* Buffered writes (kvm_buffered.c): KVM's coalesced MMIO/PIO ring and its zones. */
    int wring_page;   /* the ring's page in a vCPU mapping; 0: no coalesced MMIO */
    bool wring_pio;   /* KVM_CAP_COALESCED_PIO */
    bool wring_ready; /* kvm_buffered_init() ran: destroy undoes it */
    bool wring_failed;
    struct kvm_coalesced_mmio_ring *wring; /* NULL until the first vCPU maps it */
    size_t wring_bytes;
    uint32_t wring_slots;
    pthread_mutex_t wring_lock; /* drainers, so that writes reach the VMM in order */
    uint64_t writes_drained;
    unsigned wzone_count;
    struct kvm_coalesced_mmio_zone wzones[KVM_MAX_BUFFERED_ZONES];
    /* hv_vm_set_read_page (kvm_read_page.c): 0 not yet asked, 1 usable, or why not. */
    int rpage_state;
    /* Entries are only added (under rpage_lock) and found by slot; count is published last. */
    pthread_mutex_t rpage_lock;
    atomic_uint rpage_count;
    struct kvm_read_page {
        unsigned slot;
        uint64_t gpa;
        bool mapped;
        uint8_t *mem; /* the page's memory in this process */
    } rpages[KVM_MAX_READ_PAGES];
};

struct hv_vcpu {
    struct hv_vm *vm;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    atomic_bool thread_known;
};

/* Frees the read pages' memory (hv_vm_destroy, after the VM's fd is closed). */
void kvm_read_page_destroy(struct hv_vm *vm);

/*
 * KVM_SET_DEVICE_ATTR on the in-kernel interrupt controller (arm64 vGIC,
 * riscv64 AIA): value is the attribute's input (NULL for a control). On
 * failure logs "VM name: what: reason" and returns -errno.
 */
int kvm_irqchip_set_attr(struct hv_vm *vm, uint32_t group, uint64_t attr, void *value,
                         const char *what);

/* Fails with a message a user can act on when /dev/kvm cannot run this VM. */
int kvm_open_system(int *kvm_fd);

/* Arch-specific VM set-up done right after KVM_CREATE_VM. */
int kvm_arch_vm_init(struct hv_vm *vm);

/*
 * The KVM_IRQ_LINE argument for a device interrupt: the GSI itself on x86;
 * on arm64 the SPI number n becomes (KVM_ARM_IRQ_TYPE_SPI << 24) | (32 + n).
 */
int kvm_arch_irq_line_number(struct hv_vm *vm, uint32_t irq, uint32_t *out);

/* What kvm_arch_exit made of an exit reason the common code does not know. */
enum kvm_arch_exit {
    KVM_ARCH_EXIT_UNKNOWN, /* not this arch's either: a guest fault */
    KVM_ARCH_EXIT_DONE,    /* *ex is filled in for the VMM */
    KVM_ARCH_EXIT_RERUN,   /* answered here (riscv64: a forwarded SBI call): run again */
};
enum kvm_arch_exit kvm_arch_exit(struct hv_vcpu *v, struct hv_exit *ex);

/* Buffered writes (kvm_buffered.c): set up at VM creation, ring mapped by the first vCPU. */
void kvm_buffered_init(struct hv_vm *vm);
void kvm_buffered_map(struct hv_vm *vm, int vcpu_fd);
void kvm_buffered_destroy(struct hv_vm *vm);

/* Registers the irqfds that waited for the irqchip, and stops deferring. */
int kvm_flush_deferred_irqfds(struct hv_vm *vm);

#endif
