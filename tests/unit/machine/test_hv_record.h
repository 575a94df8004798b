/* SPDX-License-Identifier: BSD-2-Clause */
/* The recording port of the machine tests (test_hv_record.c). */
#ifndef STDVMM_TEST_HV_RECORD_H
#define STDVMM_TEST_HV_RECORD_H

/* "vm_create(2) map(0x0) irqchip ..." : every port call since hv_record_reset(). */
extern char hv_record_log[8192];
/* The name of a call (as logged, without arguments) that fails with EIO; NULL: none. */
extern const char *hv_record_fail_at;
/* VMs and vCPUs created and not yet destroyed. */
extern int hv_record_live_vms, hv_record_live_vcpus;

void hv_record_reset(void);

/*
 * The doorbells the VM holds (hv_vm_add_ioeventfd, _match, hv_vm_add_irqfd):
 * kind "ioeventfd" (key: address), "ioeventfd_match" (address + value) or
 * "irqfd" (key: interrupt line); handle is a real eventfd. Removing one
 * that was never added fails with ENOENT.
 */
#define HV_RECORD_MAX_DOORBELLS 64
struct hv_record_doorbell {
    const char *kind;
    unsigned long long key;
    long handle;
};
extern struct hv_record_doorbell hv_record_doorbells[HV_RECORD_MAX_DOORBELLS];
extern unsigned hv_record_doorbell_count;
/* Notifiers created and not yet destroyed. */
extern int hv_record_live_notifiers;
/* The handle of the doorbell of kind at key, or -1. */
long hv_record_doorbell(const char *kind, unsigned long long key);

#endif
