/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the placement grammar (src/sched/placement.c):
 * `pcpus=LIST,priority=P,budget=R/P,weight=W,...`, from `--vcpu`, the
 * per-VM socket's `vcpu N SPEC` and the manager's API. A spec that is
 * taken must pass or fail the rules without harm, and the spelling of one
 * that passes (placement_format_sched, what `placement` answers, budgets
 * in whole microseconds) must read back as the same placement.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[600], text[512], again[512];
    struct stdvmm_error err;
    struct vcpu_sched s, back;

    if (size >= sizeof(spec))
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    placement_sched_default(&s);
    if (placement_apply_spec(&s, spec, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* a refusal says why */
        return 0;
    }
    if (placement_check_sched(&s, &err) != 0)
        return 0; /* never stored, so never shown */
    placement_format_sched(&s, text, sizeof(text));
    placement_sched_default(&back);
    if (placement_apply_spec(&back, text, &err) != 0)
        abort(); /* its own spelling refused */
    placement_format_sched(&back, again, sizeof(again));
    if (strcmp(text, again) != 0)
        abort();
    return 0;
}
