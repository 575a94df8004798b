/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm ctl vm SOCKET placement` and `stdvmm ctl vm SOCKET vcpu N SPEC`:
 * read and change the placement of a running VM's vCPUs through its
 * per-VM socket (docs/multicore.md, docs/api/vm-socket.md).
 */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stdvmm/error_report.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/placement.h"

int cli_ctl_vm_placement(const char *socket_path, int argc, char **argv, int json)
{
    char command[300];
    struct stdvmm_error err;
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
    int r = vm_client_call(socket_path, command, CLI_VM_SOCKET_TIMEOUT_MS, &reply, &err);
    if (r != 0) {
        fprintf(stderr, "stdvmm ctl: %s\n", err.msg);
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

/*
 * `stdvmm ctl vcpu NAME INDEX SPEC` through the manager: the --placement
 * spelling becomes the JSON body of PUT /v1/vms/NAME/vcpus/INDEX/placement
 * (a field named "none", "any" or "default" becomes null: cleared). The
 * manager checks the values; here only the shape of each item.
 */
json_t *cli_placement_spec_body(const char *spec, struct stdvmm_error *err)
{
    char buf[512], *save = NULL;
    json_t *o = json_object();

    if (strlen(spec) >= sizeof(buf)) {
        stdvmm_error_set(err, STDVMM_EINVAL, "placement spec too long (at most %zu bytes)",
                         sizeof(buf) - 1);
        json_decref(o);
        return NULL;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *value = strchr(item, '=');
        if (value != NULL)
            *value++ = '\0';
        if (strcmp(item, "pcpus") == 0 && value != NULL) {
            for (char *c = value; *c; c++)
                if (*c == ':') /* ':' joins list parts on the command line */
                    *c = ',';
            json_object_set_new(o, "pcpus",
                                strcmp(value, "any") == 0 ? json_null() : json_string(value));
        } else if (strcmp(item, "pool") == 0 && value != NULL) {
            json_object_set_new(o, "pool", json_string(value));
        } else if ((strcmp(item, "dedicated") == 0 || strcmp(item, "shared") == 0) &&
                   value == NULL) {
            json_object_set_new(o, "dedicated", json_boolean(item[0] == 'd'));
        } else if ((strcmp(item, "fifo") == 0 || strcmp(item, "rr") == 0) && value == NULL) {
            json_object_set_new(o, "policy", json_string(item));
        } else if (strcmp(item, "priority") == 0 && value != NULL) {
            unsigned long long p;
            if (strcmp(value, "none") == 0)
                json_object_set_new(o, "priority", json_null());
            else if (placement_parse_uint(value, INT_MAX, &p, NULL))
                json_object_set_new(o, "priority", json_integer((json_int_t)p));
            else
                json_object_set_new(o, "priority", json_string(value)); /* the manager says why */
        } else if (strcmp(item, "weight") == 0 && value != NULL) {
            unsigned long long w;
            if (strcmp(value, "default") == 0)
                json_object_set_new(o, "weight", json_null());
            else if (placement_parse_uint(value, INT_MAX, &w, NULL))
                json_object_set_new(o, "weight", json_integer((json_int_t)w));
            else
                json_object_set_new(o, "weight", json_string(value));
        } else if (strcmp(item, "budget") == 0 && value != NULL) {
            char *slash = strchr(value, '/');
            if (strcmp(value, "none") == 0) {
                json_object_set_new(o, "budget", json_null());
            } else if (slash != NULL) {
                *slash = '\0';
                json_object_set_new(o, "budget", json_pack("{s:s, s:s}", "runtime", value,
                                                           "period", slash + 1));
            } else {
                stdvmm_error_set(err, STDVMM_EINVAL,
                                 "budget=%s: expected RUNTIME/PERIOD such as 20ms/100ms, "
                                 "or none",
                                 value);
                json_decref(o);
                return NULL;
            }
        } else {
            stdvmm_error_set(
                err, STDVMM_EINVAL,
                "'%s%s%s' is not a placement field: pcpus=LIST|any, dedicated, shared, "
                "pool=NAME, priority=0-255|none, fifo, rr, budget=R/P|none, weight=W|default",
                item, value ? "=" : "", value ? value : "");
            json_decref(o);
            return NULL;
        }
    }
    if (json_object_size(o) == 0) {
        stdvmm_error_set(err, STDVMM_EINVAL, "an empty placement spec");
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *text_or(const json_t *v, const char *none)
{
    return json_is_string(v) ? json_string_value(v) : none;
}

void cli_print_manager_placement(const json_t *answer)
{
    const json_t *list = json_object_get(answer, "vcpus");
    const json_t *one = json_object_get(answer, "vcpu");
    size_t n = list ? json_array_size(list) : 1;

    if (list != NULL)
        printf("%s (%s), placement from the %s\n", text_or(json_object_get(answer, "name"), "?"),
               text_or(json_object_get(answer, "state"), "?"),
               text_or(json_object_get(answer, "source"), "?"));
    printf("%-5s %-8s %-9s %-8s %-6s %-17s %-6s %-8s %-11s %s\n", "VCPU", "PCPUS", "DEDICATED",
           "PRIORITY", "POLICY", "BUDGET", "WEIGHT", "TID", "MECHANISM", "AFFINITY");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = list ? json_array_get(list, i) : one;
        const json_t *b = json_object_get(v, "budget");
        char budget[64] = "-", prio[16] = "-", tid[24] = "-";
        if (json_is_object(b))
            snprintf(budget, sizeof(budget), "%s/%s", text_or(json_object_get(b, "runtime"), "?"),
                     text_or(json_object_get(b, "period"), "?"));
        if (json_is_integer(json_object_get(v, "priority")))
            snprintf(prio, sizeof(prio), "%lld",
                     (long long)json_integer_value(json_object_get(v, "priority")));
        if (json_is_integer(json_object_get(v, "tid")))
            snprintf(tid, sizeof(tid), "%lld",
                     (long long)json_integer_value(json_object_get(v, "tid")));
        printf("%-5lld %-8s %-9s %-8s %-6s %-17s %-6lld %-8s %-11s %s\n",
               (long long)json_integer_value(json_object_get(v, "vcpu")),
               text_or(json_object_get(v, "pcpus"), "any"),
               json_is_true(json_object_get(v, "dedicated")) ? "yes" : "no", prio,
               prio[0] == '-' ? "-" : text_or(json_object_get(v, "policy"), "-"), budget,
               (long long)json_integer_value(json_object_get(v, "weight")), tid,
               text_or(json_object_get(v, "mechanism"), "-"),
               text_or(json_object_get(v, "affinity"), "-"));
    }
}
