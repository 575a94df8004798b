/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hypervisor port: the only interface through which stdvmm talks to a
 * hypervisor. It is the low-level layer of the VMM API (paper §5.1). Every
 * port (KVM on Linux today, seL4 next) implements exactly these functions;
 * nothing above this header knows which hypervisor runs the guest.
 *
 * Contract, for every implementation:
 *  - All functions return 0 or a negative STDVMM_E* code, and log the reason.
 *  - A VM is created empty; the caller maps memory, creates vCPUs, then runs
 *    each vCPU from its own thread of execution.
 *  - hv_vcpu_run() runs the vCPU until an exit the VMM must handle and
 *    describes it in *exit. For an I/O read exit, the caller stores the value
 *    into exit->io.data before the next hv_vcpu_run() on that vCPU; the port
 *    completes the guest instruction then (KVM does it in the kernel, seL4
 *    writes the register and advances the PC).
 *  - hv_vcpu_kick() may be called from any thread; it makes a concurrent or
 *    the next hv_vcpu_run() of that vCPU return HV_EXIT_KICKED promptly.
 *  - Notifiers are the port's doorbells: on KVM an eventfd, on seL4 a
 *    notification capability. ioeventfd-style notifiers let a guest write
 *    signal a device without a VMM exit; irqfd-style notifiers let a device
 *    thread raise an interrupt without a vCPU.
 *  - Architecture-specific calls (registers, interrupt controller, CPUID)
 *    are declared in hv_<arch>.h under the same rules.
 */
#ifndef STDVMM_HV_H
#define STDVMM_HV_H

#include <stdbool.h>
#include <stdint.h>

struct hv_vm;
struct hv_vcpu;

struct hv_vm_config {
    unsigned vcpu_count;
    const char *name; /* for messages */
};

enum hv_exit_reason {
    HV_EXIT_MMIO,          /* guest-physical access no memory backs */
    HV_EXIT_PIO,           /* x86 port I/O */
    HV_EXIT_KICKED,        /* hv_vcpu_kick() or a signal interrupted the run */
    HV_EXIT_SYSTEM_OFF,    /* firmware-level power off (PSCI SYSTEM_OFF) */
    HV_EXIT_SYSTEM_RESET,  /* firmware-level reset (PSCI SYSTEM_RESET) */
    HV_EXIT_SHUTDOWN,      /* the CPU cannot go on: x86 triple fault */
    HV_EXIT_HALTED,        /* vCPU halted with no wake-up source the hypervisor knows */
    HV_EXIT_GUEST_FAULT,   /* an access or instruction the VMM cannot emulate */
    HV_EXIT_INTERNAL_ERROR /* the hypervisor failed to run the vCPU */
};

struct hv_exit {
    enum hv_exit_reason reason;
    struct {
        uint64_t addr;  /* guest-physical address or port number */
        uint32_t len;   /* bytes per access: 1, 2, 4 or 8 */
        uint32_t count; /* repeated accesses (x86 string I/O); data holds count*len bytes */
        bool is_write;
        uint8_t *data; /* owned by the port; valid until the next hv_vcpu_run() */
    } io;
    uint64_t detail; /* port-specific code for messages (KVM suberror, ESR, ...) */
};

typedef struct {
    long handle; /* eventfd on KVM, notification cap slot on seL4 */
} hv_notifier_t;

int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out);
void hv_vm_destroy(struct hv_vm *vm);

#define HV_MEM_READONLY (1u << 0)

int hv_vm_map_memory(struct hv_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                     uint32_t flags);
int hv_vm_unmap_memory(struct hv_vm *vm, unsigned slot);

/* Drives an interrupt line (GSI on x86, SPI number on Arm) to a level. */
int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level);

/*
 * A doorbell of this port for the two uses below: on KVM an eventfd (a
 * Linux-hosted VMM may poll its handle, and signal or drain it as one), on
 * seL4 a notification. Destroy it only after removing it from the VM.
 */
int hv_notifier_create(struct hv_vm *vm, hv_notifier_t *out);
void hv_notifier_destroy(struct hv_vm *vm, hv_notifier_t n);

/* Guest writes to [addr, addr+len) (or port addr) signal n without an exit. */
int hv_vm_add_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio,
                        hv_notifier_t n);
/* Undoes hv_vm_add_ioeventfd() with the same arguments. */
int hv_vm_remove_ioeventfd(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio,
                           hv_notifier_t n);
/*
 * Like hv_vm_add_ioeventfd(), but only a write of exactly value signals n:
 * one doorbell register, a notifier per queue (virtio-mmio's QueueNotify,
 * whose value is the queue index). Other values still exit to the VMM.
 */
int hv_vm_add_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                              hv_notifier_t n);
int hv_vm_remove_ioeventfd_match(struct hv_vm *vm, uint64_t addr, uint32_t len, uint64_t value,
                                 hv_notifier_t n);
/* Signalling n raises irq; resample, if handle >= 0, is signalled on EOI (level irqs). */
int hv_vm_add_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n, hv_notifier_t resample);
/* Undoes hv_vm_add_irqfd(). */
int hv_vm_remove_irqfd(struct hv_vm *vm, uint32_t irq, hv_notifier_t n);

/*
 * Buffered writes: guest writes of exactly [addr, addr+len) (I/O ports when
 * is_pio) that the port may queue instead of leaving the guest, for a
 * register whose writes have no effect the guest could see before its next
 * access that does exit (a UART's transmit register while no interrupt
 * follows from it). The VMM takes queued writes with hv_vm_drain_writes():
 * before it handles any exit, so that the access that exited finds every
 * earlier write done; from time to time, so that output is not held back
 * while the guest runs without exits; and before the vCPUs are destroyed.
 * -STDVMM_ENOTSUP: this port or hypervisor cannot queue; the writes exit as
 * before. Adding a range twice, or removing one not added, is harmless.
 */
int hv_vm_add_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio);
int hv_vm_remove_buffered_writes(struct hv_vm *vm, uint64_t addr, uint32_t len, bool is_pio);

/*
 * A read page: one 4 KiB guest page at gpa (4 KiB-aligned) that the guest
 * reads from memory without an exit, for a device whose register reads are
 * for a while free of side effects (a UART's status registers, which a
 * console driver polls before each byte). bytes != NULL: install the page
 * in memory slot `slot` (the caller's numbering, as hv_vm_map_memory) if it
 * is not installed, with bytes[0..len) at its start and fill after; if it
 * is, rewrite its content in place. bytes == NULL: withdraw it. When the
 * call returns, no vCPU reads the former content any more. Guest writes to
 * the page still exit as MMIO, and buffered-write ranges inside it still
 * queue. A read page per slot (up to 32 per VM); calls for one slot are the
 * caller's to serialise. -STDVMM_ENOTSUP: this port or hypervisor cannot
 * (no read-only memory, host pages larger than 4 KiB); nothing was
 * installed and the page's accesses exit as before.
 */
int hv_vm_set_read_page(struct hv_vm *vm, unsigned slot, uint64_t gpa, const uint8_t *bytes,
                        uint32_t len, uint8_t fill);
/*
 * Rewrites len bytes at offset of slot's read page (installed or not), for
 * a register that changes often: cheaper than a whole rewrite. An aligned
 * 4-byte piece is one store (a guest's 32-bit read sees old or new). When
 * the call returns, no vCPU reads the former bytes. -STDVMM_EINVAL: slot
 * has no read page.
 */
int hv_vm_patch_read_page(struct hv_vm *vm, unsigned slot, uint32_t offset, const uint8_t *bytes,
                          uint32_t len);

/* One queued write; data holds len bytes (at most 8), little-endian as the guest wrote them. */
typedef void (*hv_write_fn)(void *ctx, uint64_t addr, uint32_t len, const uint8_t *data,
                            bool is_pio);
/*
 * Hands every queued write to fn, oldest first, and returns how many. Any
 * thread may call it; the port serialises callers so that writes reach fn
 * in guest order and a caller returns only after every write queued before
 * its call has been handed over (by it or by a concurrent caller). fn must
 * not call hv_vm_drain_writes().
 */
unsigned hv_vm_drain_writes(struct hv_vm *vm, hv_write_fn fn, void *ctx);

/*
 * Interrupt ownership: which vCPU takes a device's interrupt line.
 *
 * hv_vm_route_irq() makes line irq arrive on vCPU `vcpu` from now on,
 * overriding the guest's own routing, where the interrupt controller makes
 * that safe: an Arm GIC SPI has the same INTID on every CPU, so whichever
 * CPU takes it finds the same handler. It returns -STDVMM_ENOTSUP where
 * only the guest can route: on x86 the guest allocates each interrupt's
 * vector on one CPU and programs the IOAPIC/MSI with it, and another CPU
 * would take a vector it never allocated. The guest may route the line
 * elsewhere later; that is its right, as on real hardware.
 *
 * hv_vm_irq_target() reports the vCPU the interrupt controller delivers irq
 * to now: -STDVMM_ENOENT when no single vCPU (masked, or a set of them),
 * -STDVMM_ENOTSUP when the port cannot tell.
 *
 * KVM on Arm accepts both only while no vCPU is inside KVM_RUN: call them
 * with every vCPU parked (the runtime's pause, src/runtime/vcpu_park.c).
 */
int hv_vm_route_irq(struct hv_vm *vm, uint32_t irq, unsigned vcpu);
int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu);

int hv_vcpu_create(struct hv_vm *vm, unsigned index, struct hv_vcpu **out);
void hv_vcpu_destroy(struct hv_vcpu *vcpu);
int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit);
void hv_vcpu_kick(struct hv_vcpu *vcpu);

#endif
