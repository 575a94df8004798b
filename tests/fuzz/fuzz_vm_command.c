/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for a request on the per-VM control socket, as its
 * thread reads it (src/control/vm_api.c): whoever may connect is trusted
 * to stop the VM, but the line is still parsed by code inside the VM's
 * trusted computing base. The line goes first to the placement commands
 * (sched_policy_api: `placement`, `vcpu N SPEC`), then to the command
 * words. With no placement object nothing touches a thread; the vCPU
 * index is checked against its bound before any cast, and a SPEC is run
 * through the grammar and the rules as `vcpu` would (without applying it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stdvmm/control/vm_api.h"
#include "stdvmm/error.h"
#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"
#include "stdvmm/sched/sched_policy.h"

#define REQUEST_MAX 256 /* what the socket thread reads of one line */

static struct vmm_placement placement;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    struct stdvmm_error err;

    if (size > REQUEST_MAX)
        size = REQUEST_MAX;
    const char *nl = memchr(line, '\n', size);
    size_t len = nl != NULL ? (size_t)(nl - line) : size;

    json_t *reply = sched_policy_api(NULL, line, len, &err);
    if (reply != NULL && err.code != 0)
        abort(); /* an answer and a refusal at once */
    json_decref(reply);
    if (err.code != 0 && err.msg[0] == '\0')
        abort(); /* a refusal says why */
    enum vm_api_command cmd = vm_api_parse_command(line, nl != NULL ? len + 1 : len);
    if (cmd > VM_API_UNKNOWN)
        abort();

    /* "vcpu N SPEC": the spec as sched_policy_vcpu_set checks it. */
    if (len > 5 && memcmp(line, "vcpu ", 5) == 0) {
        char buf[REQUEST_MAX + 1];
        const char *end;
        unsigned long long index;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (placement_parse_uint(buf + 5, PLACEMENT_MAX_VCPUS - 1, &index, &end) && *end == ' ') {
            if (index >= PLACEMENT_MAX_VCPUS)
                abort();
            placement_init(&placement);
            if (placement_apply_spec(&placement.vcpu[index], end + 1, &err) == 0)
                (void)placement_check_vm(&placement, PLACEMENT_MAX_VCPUS, &err);
        }
    }
    return 0;
}
