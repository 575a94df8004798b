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

#endif
