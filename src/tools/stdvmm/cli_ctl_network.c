/* SPDX-License-Identifier: BSD-2-Clause */
/* `stdvmm ctl networks` and `stdvmm ctl network NAME`: the manager's answers as tables. */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"

static const char *text(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static long long number(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void print_summary_row(const json_t *n)
{
    char members[256] = "";
    size_t used = 0;
    const json_t *list = json_object_get(n, "members");
    for (size_t i = 0; i < json_array_size(list) && used < sizeof(members); i++) {
        const char *m = json_string_value(json_array_get(list, i));
        int w = snprintf(members + used, sizeof(members) - used, "%s%s", i ? "," : "", m ? m : "?");
        used += w > 0 ? (size_t)w : 0;
    }
    printf("%-16s %-10s %8lld %8lld  %s\n", text(n, "name"), text(n, "state"),
           number(n, "switch_pid"), number(n, "restarts"), members);
}

void cli_print_networks(const struct json_t *answer)
{
    const json_t *list = json_object_get(answer, "networks");
    printf("%-16s %-10s %8s %8s  %s\n", "NETWORK", "STATE", "PID", "RESTARTS", "MEMBERS");
    for (size_t i = 0; i < json_array_size(list); i++)
        print_summary_row(json_array_get(list, i));
}

void cli_print_network(const struct json_t *answer)
{
    printf("%-16s %-10s %8s %8s  %s\n", "NETWORK", "STATE", "PID", "RESTARTS", "MEMBERS");
    print_summary_row(answer);
    const json_t *ports = json_object_get(answer, "ports");
    printf("\n%-24s %-10s %10s\n", "PORT", "STATE", "RX_DROPPED");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        printf("%-24s %-10s %10lld\n", text(p, "name"), text(p, "state"), number(p, "rx_dropped"));
    }
    const json_t *table = json_object_get(answer, "mac_table");
    printf("\n%-18s %-24s %-8s %8s\n", "MAC", "PORT", "TYPE", "AGE_MS");
    for (size_t i = 0; i < json_array_size(table); i++) {
        const json_t *e = json_array_get(table, i);
        printf("%-18s %-24s %-8s %8lld\n", text(e, "mac"), text(e, "port"), text(e, "type"),
               number(e, "age_ms"));
    }
    const json_t *c = json_object_get(answer, "counters");
    printf("\nframes: %lld unicast, %lld flooded; dropped: %lld acl, %lld spoofed, %lld no "
           "destination\n",
           number(c, "unicast"), number(c, "flooded"), number(c, "drop_acl"),
           number(c, "drop_spoofed"), number(c, "drop_no_dest"));
}
