/* SPDX-License-Identifier: BSD-2-Clause */
/* What the seL4 port needs from the VMM program's start-up code. */
#ifndef STDVMM_PORT_SEL4_HV_SEL4_H
#define STDVMM_PORT_SEL4_HV_SEL4_H

#include <stdint.h>

#include "vmm_abi.h"

struct hv_vm;

/* The admin's description of this VM; hv_vm_create() takes its capabilities from it. */
void hv_sel4_set_args(const struct sel4_vmm_args *args);

/*
 * Where this VMM sees RAM region index of the guest (args' regions, back to
 * back from ram_va), when it is at gpa with size bytes; NULL otherwise.
 */
void *hv_sel4_ram_host(const struct sel4_vmm_args *a, unsigned index, uint64_t gpa, uint64_t size);

/* How often a vCPU's thread had to wait for the VMM lock (another vCPU's exit was in progress). */
unsigned long hv_sel4_lock_waits(void);

/*
 * fn runs, under the VMM lock, on vCPU 0's thread whenever the notification
 * bound to that thread is signalled (badge: the bits signalled). NULL: none.
 */
void hv_sel4_set_notification_handler(void (*fn)(uint64_t badge));

/*
 * The interrupt of the board device this VM owns (passthrough) fired: raise
 * SPI spi, which seL4 keeps masked until the guest's EOI acknowledges it
 * through SEL4_VMM_SLOT_PT_IRQ.
 */
int hv_sel4_passthrough_irq(struct hv_vm *vm, uint32_t spi);

#endif
