/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm ctl vm SOCKET placement` and `stdvmm ctl vm SOCKET vcpu N SPEC`:
 * read and change the placement of a running VM's vCPUs through its
 * per-VM socket (docs/multicore.md, docs/api/vm-socket.md).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vm_client.h"

int cli_ctl_vm_placement(const char *socket_path, int argc, char **argv, int json)
{
    char command[300], err[256];
    json_t *reply;

    if (strcmp(argv[0], "placement") == 0 && argc == 1) {
        snprintf(command, sizeof(command), "placement");
    } else if (strcmp(argv[0], "vcpu") == 0 && argc == 3) {
        if (snprintf(command, sizeof(command), "vcpu %s %s", argv[1], argv[2]) >=
            (int)sizeof(command)) {
            fprintf(stderr, "stdvmm ctl vm: placement spec too long\n");
            return 2;
        }
    } else {
        fprintf(stderr, "stdvmm ctl vm SOCKET placement | vcpu N pcpus=LIST[,priority=P]"
                        "[,budget=R/P][,weight=W]\n");
        return 2;
    }
    if (vm_client_call(socket_path, command, 5000, &reply, err, sizeof(err)) != 0) {
        fprintf(stderr, "stdvmm ctl: %s\n", err);
        return 1;
    }
    bool ok = json_is_true(json_object_get(reply, "ok"));
    if (!ok) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        fprintf(stderr, "stdvmm ctl: %s\n", e ? e : "refused");
    } else if (json) {
        char *text = json_dumps(reply, JSON_INDENT(2));
        if (text)
            printf("%s\n", text);
        free(text);
    } else {
        json_t *list = json_object_get(reply, "vcpus");
        json_t *one = json_object_get(reply, "vcpu");
        size_t n = list ? json_array_size(list) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *v = list ? json_array_get(list, i) : one;
            printf("vcpu%lld tid=%lld affinity=%s mechanism=%s %s\n",
                   (long long)json_integer_value(json_object_get(v, "vcpu")),
                   (long long)json_integer_value(json_object_get(v, "tid")),
                   json_string_value(json_object_get(v, "affinity")),
                   json_string_value(json_object_get(v, "mechanism")),
                   json_string_value(json_object_get(v, "placement")));
        }
    }
    json_decref(reply);
    return ok ? 0 : 1;
}
