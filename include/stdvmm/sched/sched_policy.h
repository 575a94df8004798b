/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Applies a VM's placement (include/stdvmm/placement.h) to the Linux threads
 * of this VMM process: affinity, SCHED_FIFO/RR, SCHED_DEADLINE, and the CPU
 * controller of a per-vCPU cgroup (v2 or v1, whichever the host mounts).
 * docs/multicore.md says which mechanism is used when.
 *
 * A VM's placement and its threads are one struct sched_policy, so two VMs
 * in one process keep their own; only the cgroup the process moves into
 * (v2) is the process's. The runtime (src/runtime/vmm.c) calls, in order:
 * sched_policy_start before it creates any thread (the VMM's own threads
 * inherit the vmm_threads affinity from the caller), sched_policy_vcpu_enter
 * first thing in each vCPU thread, sched_policy_vcpu_leave when it ends,
 * sched_policy_stop at exit. The per-VM socket calls sched_policy_api.
 * Every call takes a NULL policy: a VM without a placement.
 */
#ifndef STDVMM_SCHED_SCHED_POLICY_H
#define STDVMM_SCHED_SCHED_POLICY_H

#include <jansson.h>
#include <sys/types.h>
#include <stddef.h>

#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"

/* The placement's rules (placement_check_vm, no entry past the last vCPU); logs the first problem. */
int sched_policy_check(const struct vmm_placement *p, unsigned vcpus);
struct sched_policy;

/*
 * Checks the placement against this host and records it in a new policy;
 * p may be NULL (no placement: *out is NULL).
 */
int sched_policy_start(struct sched_policy **out, const struct vmm_placement *p, unsigned vcpus);
/* In vCPU thread index: records its thread id and applies its placement. */
int sched_policy_vcpu_enter(struct sched_policy *sp, unsigned index);
void sched_policy_vcpu_leave(struct sched_policy *sp, unsigned index);
/*
 * Removes the cgroups the policy made (the last one puts the process back
 * where it was) and frees it.
 */
void sched_policy_stop(struct sched_policy *sp);

/*
 * The VM's device threads (their ids, each boot's): while every vCPU has a
 * budget, they share one cgroup of their own whose quota is the sum of the
 * vCPUs' (20ms/100ms on each of two vCPUs: 40ms/100ms), so the VM's
 * device work cannot take more of the host than its vCPUs may; io_uring's
 * workers, made by these threads, start in it too. Without a cgroup to
 * use, it says so and leaves them as they are. Called from the main thread.
 */
void sched_policy_workers(struct sched_policy *sp, const pid_t *tids, unsigned n);

/* Changes vCPU index at run time ("pcpus=0,budget=none"); reason in err on failure. */
int sched_policy_vcpu_set(struct sched_policy *sp, unsigned index, const char *spec,
                          struct stdvmm_error *err);

/*
 * The per-VM socket's placement commands: "placement" (every vCPU's
 * parameters, thread, mechanism and current affinity) and "vcpu N SPEC".
 * Returns the JSON answer; NULL with the reason in err (err->code != 0)
 * when the command is refused; NULL with err->code 0 when line is not one
 * of them. The socket says a refusal in its own form (vm_api.c).
 */
json_t *sched_policy_api(struct sched_policy *sp, const char *line, size_t len,
                         struct stdvmm_error *err);

#endif
