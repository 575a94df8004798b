/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm ctl`: the client of the manager's API (docs/api/openapi.yaml).
 * Human-readable tables by default, the server's JSON with --json; on
 * failure the server's message on stderr and a non-zero exit status
 * (1 refused or failed, 2 bad usage). `stdvmm ctl vm SOCKET COMMAND` talks
 * to one VMM's own control socket instead (stdvmm run --api-socket).
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_http.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/system_config.h"
#include "stdvmm/spelling.h"

#define DEFAULT_SOCKET "/run/stdvmm/api.sock"
#define REQUEST_TIMEOUT_MS 30000
#define POLL_INTERVAL_MS 250
#define WAIT_SLACK_S 20 /* beyond the stop timeout: SIGTERM grace and teardown */

struct ctl {
    const char *socket;
    bool json;
};

void cli_ctl_usage(FILE *out)
{
    fprintf(out,
            "Usage: stdvmm ctl [--socket PATH] [--json] COMMAND [ARGS]\n"
            "\n"
            "Controls the VMs of a running stdvmmd (default socket: $STDVMM_SOCKET or %s).\n"
            "\n"
            "  list                          VMs with state, pid, size, uptime, restarts\n"
            "  info NAME                     one VM: pid, uptime, vCPU threads, memory,\n"
            "                                devices, restarts, last exit\n"
            "  start NAME\n"
            "  stop NAME [--force] [--timeout SEC] [--no-wait]\n"
            "                                power button, SIGTERM after SEC (default 30),\n"
            "                                SIGKILL 5 s later; --force: SIGTERM at once\n"
            "  restart NAME [--timeout SEC] [--no-wait]\n"
            "  pause NAME | resume NAME\n"
            "  create DEFINITION [--name NAME] [--memory SIZE] [--cpus N] [--no-start]\n"
            "  delete NAME                   a stopped instance\n"
            "  serial NAME [--lines N]       the end of the VM's serial log (default 50)\n"
            "  system                        bounds and what is in use\n"
            "  definitions                   the description's VM definitions\n"
            "  networks                      the description's networks and their switches\n"
            "  network NAME                  one network: its switch's ports and MAC table\n"
            "  placement NAME                every vCPU's placement, thread and affinity\n"
            "  vcpu NAME INDEX SPEC          move or re-schedule one vCPU at run time (SPEC as\n"
            "                                in run --placement: pcpus=0,budget=20ms/100ms)\n"
            "  vm SOCKET info|pause|resume|shutdown\n"
            "                                one VMM's own socket (stdvmm run --api-socket)\n"
            "  raw METHOD PATH [BODY|@FILE]  any request; prints the status and the answer\n"
            "\n"
            "Exit status: 0 done, 1 refused or failed (the manager's message on stderr),\n"
            "2 bad usage.\n",
            DEFAULT_SOCKET);
}

static void print_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text != NULL)
        printf("%s\n", text);
    free(text);
}

/* Reports a failed request; returns the exit status. */
static int report_failure(const struct ctl_response *r)
{
    json_t *j = r->json ? json_loads(r->body, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "error"));
    json_t *details = json_object_get(j, "details");

    fprintf(stderr, "stdvmm ctl: %s (HTTP %d)\n", msg ? msg : r->body, r->status);
    for (size_t i = 1; i < json_array_size(details); i++)
        fprintf(stderr, "  also: %s\n", json_string_value(json_array_get(details, i)));
    json_decref(j);
    return 1;
}

/* One request; *out gets the JSON answer of a 2xx reply. Returns an exit status. */
static int call(const struct ctl *c, const char *method, const char *path, json_t *body,
                json_t **out)
{
    struct stdvmm_error err;
    struct ctl_response r;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    int rc = ctl_http(c->socket, method, path, text, REQUEST_TIMEOUT_MS, &r, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "stdvmm ctl: %s\n", err.msg);
        return 1;
    }
    if (r.status < 200 || r.status > 299) {
        int s = report_failure(&r);
        ctl_response_free(&r);
        return s;
    }
    if (out != NULL) {
        *out = json_loads(r.body, 0, NULL);
        if (*out == NULL) {
            fprintf(stderr, "stdvmm ctl: the manager's answer is not JSON\n");
            ctl_response_free(&r);
            return 1;
        }
    }
    ctl_response_free(&r);
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void fmt_size(const json_t *o, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        spelling_format_size((uint64_t)json_integer_value(v), buf, size);
    else
        snprintf(buf, size, "-");
}

static void fmt_uptime(const json_t *o, char *buf, size_t size)
{
    json_t *v = json_object_get(o, "uptime");
    if (!json_is_integer(v)) {
        snprintf(buf, size, "-");
        return;
    }
    long long s = json_integer_value(v);
    if (s >= 3600)
        snprintf(buf, size, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
    else
        snprintf(buf, size, "%llds", s);
}

static void fmt_int(const json_t *o, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, size, "-");
}

static void print_vm_table(const json_t *vms)
{
    printf("%-20s %-10s %-8s %4s %7s %8s %8s  %s\n", "NAME", "STATE", "PID", "CPUS", "MEMORY",
           "UPTIME", "RESTARTS", "DEFINITION");
    for (size_t i = 0; i < json_array_size(vms); i++) {
        const json_t *v = json_array_get(vms, i);
        char pid[16], cpus[16], mem[32], up[32], restarts[16];
        fmt_int(v, "pid", pid, sizeof(pid));
        fmt_int(v, "cpus", cpus, sizeof(cpus));
        fmt_size(v, "memory", mem, sizeof(mem));
        fmt_uptime(v, up, sizeof(up));
        fmt_int(v, "restarts", restarts, sizeof(restarts));
        printf("%-20s %-10s %-8s %4s %7s %8s %8s  %s%s\n", str(v, "name"), str(v, "state"), pid,
               cpus, mem, up, restarts, str(v, "definition"),
               json_is_true(json_object_get(v, "instance")) ? " (instance)" : "");
    }
}

static void print_vm_info(const json_t *v)
{
    char buf[64];
    const json_t *dev = json_object_get(v, "devices");
    const json_t *last = json_object_get(v, "last_exit");
    const json_t *threads = json_object_get(v, "vcpu_threads");

    printf("name:        %s%s\n", str(v, "name"),
           json_is_true(json_object_get(v, "instance")) ? " (instance)" : "");
    printf("definition:  %s\n", str(v, "definition"));
    printf("state:       %s\n", str(v, "state"));
    fmt_int(v, "pid", buf, sizeof(buf));
    printf("pid:         %s%s\n", buf,
           json_is_true(json_object_get(v, "adopted")) ? " (adopted)" : "");
    fmt_uptime(v, buf, sizeof(buf));
    printf("uptime:      %s\n", buf);
    fmt_int(v, "cpus", buf, sizeof(buf));
    printf("cpus:        %s", buf);
    if (json_array_size(threads) > 0) {
        printf(" (vCPU threads:");
        for (size_t i = 0; i < json_array_size(threads); i++) {
            const json_t *t = json_array_get(threads, i);
            printf(" vcpu%lld=%lld", (long long)json_integer_value(json_object_get(t, "index")),
                   (long long)json_integer_value(json_object_get(t, "tid")));
        }
        printf(")");
    }
    printf("\n");
    if (json_object_get(v, "host_cpus"))
        printf("host cpus:   %s\n", str(v, "host_cpus"));
    fmt_size(v, "memory", buf, sizeof(buf));
    printf("memory:      %s", buf);
    if (json_is_integer(json_object_get(v, "vmm_rss"))) {
        fmt_size(v, "vmm_rss", buf, sizeof(buf));
        printf(" (VMM resident: %s)", buf);
    }
    printf("\n");
    printf("kernel:      %s\n", str(v, "kernel"));
    printf("initramfs:   %s\n", str(v, "initramfs"));
    printf("cmdline:     %s\n", str(v, "cmdline"));
    printf("serial log:  %s\n", str(json_object_get(dev, "serial"), "log"));
    const json_t *disks = json_object_get(dev, "disks"), *nets = json_object_get(dev, "nets");
    for (size_t i = 0; i < json_array_size(disks); i++) {
        const json_t *d = json_array_get(disks, i);
        if (json_is_string(json_object_get(d, "vhost_user")))
            printf("disk %zu:      vhost-user %s\n", i, str(d, "vhost_user"));
        else
            printf("disk %zu:      %s%s\n", i, str(d, "path"),
                   json_is_true(json_object_get(d, "read_only")) ? " (read-only)" : "");
    }
    for (size_t i = 0; i < json_array_size(nets); i++) {
        const json_t *n = json_array_get(nets, i);
        if (json_is_string(json_object_get(n, "vhost_user")))
            printf("net %zu:       vhost-user %s, mac %s\n", i, str(n, "vhost_user"),
                   str(n, "mac"));
        else
            printf("net %zu:       tap %s, mac %s\n", i, str(n, "tap"), str(n, "mac"));
    }
    if (json_is_object(json_object_get(dev, "vsock"))) {
        fmt_int(json_object_get(dev, "vsock"), "cid", buf, sizeof(buf));
        printf("vsock:       cid %s\n", buf);
    }
    fmt_int(v, "restarts", buf, sizeof(buf));
    printf("restarts:    %s (policy %s", buf, str(v, "restart_policy"));
    if (json_integer_value(json_object_get(v, "restart_max")) > 0)
        printf(":%lld", (long long)json_integer_value(json_object_get(v, "restart_max")));
    printf(")\n");
    fmt_int(v, "starts", buf, sizeof(buf));
    printf("starts:      %s\n", buf);
    if (json_is_object(last)) {
        fmt_int(last, "status", buf, sizeof(buf));
        printf("last exit:   %s (%s)\n", str(last, "reason"), buf);
    }
}

static int show(const struct ctl *c, json_t *answer, void (*human)(const json_t *))
{
    if (c->json)
        print_json(answer);
    else
        human(answer);
    json_decref(answer);
    return 0;
}

static void print_list(const json_t *j)
{
    print_vm_table(json_object_get(j, "vms"));
}

static void print_system(const json_t *j)
{
    const json_t *b = json_object_get(j, "bounds"), *u = json_object_get(j, "usage");
    char a[32], c[32], n1[16], n2[16], v1[16], v2[16];

    fmt_size(u, "memory", a, sizeof(a));
    fmt_size(b, "memory", c, sizeof(c));
    fmt_int(u, "vcpus", n1, sizeof(n1));
    fmt_int(b, "vcpus", n2, sizeof(n2));
    fmt_int(u, "vms", v1, sizeof(v1));
    fmt_int(b, "max_vms", v2, sizeof(v2));
    printf("%-14s %10s %10s\n", "BOUND", "IN USE", "LIMIT");
    printf("%-14s %10s %10s\n", "memory", a, c);
    printf("%-14s %10s %10s\n", "vcpus", n1, n2);
    printf("%-14s %10s %10s\n", "running VMs", v1, v2);
    printf("host cpus:     %s\n", str(b, "host_cpus"));
}

static void print_definitions(const json_t *j)
{
    const json_t *defs = json_object_get(j, "definitions");

    printf("%-20s %4s %7s %10s %9s\n", "DEFINITION", "CPUS", "MEMORY", "INSTANCES", "AUTOSTART");
    for (size_t i = 0; i < json_array_size(defs); i++) {
        const json_t *d = json_array_get(defs, i);
        char cpus[16], mem[32], inst[32] = "-";
        fmt_int(d, "cpus", cpus, sizeof(cpus));
        fmt_size(d, "memory", mem, sizeof(mem));
        if (json_integer_value(json_object_get(d, "instances_max")) > 0)
            snprintf(inst, sizeof(inst), "%lld/%lld",
                     (long long)json_integer_value(json_object_get(d, "instances")),
                     (long long)json_integer_value(json_object_get(d, "instances_max")));
        printf("%-20s %4s %7s %10s %9s\n", str(d, "name"), cpus, mem, inst,
               json_is_true(json_object_get(d, "autostart")) ? "yes" : "no");
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/*
 * Polls the VM until done() says so or the time is up; prints the last
 * state. Returns an exit status.
 */
static int wait_state(const struct ctl *c, const char *name, int seconds,
                      bool (*done)(const json_t *vm, long long old_pid), long long old_pid,
                      const char *what)
{
    char path[128];
    struct timespec t0, t;

    snprintf(path, sizeof(path), "/v1/vms/%s", name);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        json_t *vm = NULL;
        int rc = call(c, "GET", path, NULL, &vm);
        if (rc != 0)
            return rc;
        bool ok = done(vm, old_pid);
        const char *state = str(vm, "state");
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (ok || t.tv_sec - t0.tv_sec >= seconds) {
            int status = ok ? 0 : 1;
            if (c->json)
                print_json(vm);
            else if (ok)
                printf("%s: %s\n", name, state);
            else
                fprintf(stderr, "stdvmm ctl: %s is %s, not %s after %d s\n", name, state, what,
                        seconds);
            json_decref(vm);
            return status;
        }
        json_decref(vm);
        sleep_ms(POLL_INTERVAL_MS);
    }
}

static bool is_down(const json_t *vm, long long old_pid)
{
    (void)old_pid;
    const char *s = str(vm, "state");
    return strcmp(s, "stopped") == 0 || strcmp(s, "failed") == 0;
}

static bool is_up_again(const json_t *vm, long long old_pid)
{
    const char *s = str(vm, "state");
    json_t *pid = json_object_get(vm, "pid");
    if (strcmp(s, "failed") == 0)
        return true; /* no point waiting: reported with its state */
    return strcmp(s, "running") == 0 && json_is_integer(pid) && json_integer_value(pid) != old_pid;
}

/* Options after COMMAND NAME: --force, --timeout, --no-wait, --name, ... */
struct ctl_opts {
    bool force, no_wait, no_start;
    long timeout;
    const char *name, *memory;
    long cpus, lines;
};

static int parse_opts(int argc, char **argv, struct ctl_opts *o)
{
    enum { O_FORCE = 256, O_TIMEOUT, O_NO_WAIT, O_NAME, O_MEMORY, O_CPUS, O_NO_START, O_LINES };
    static const struct option options[] = {
        {"force", no_argument, NULL, O_FORCE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"no-wait", no_argument, NULL, O_NO_WAIT},
        {"name", required_argument, NULL, O_NAME},
        {"memory", required_argument, NULL, O_MEMORY},
        {"cpus", required_argument, NULL, O_CPUS},
        {"no-start", no_argument, NULL, O_NO_START},
        {"lines", required_argument, NULL, O_LINES},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(o, 0, sizeof(*o));
    o->timeout = -1;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case O_FORCE:
            o->force = true;
            break;
        case O_NO_WAIT:
            o->no_wait = true;
            break;
        case O_NO_START:
            o->no_start = true;
            break;
        case O_NAME:
            o->name = optarg;
            break;
        case O_MEMORY:
            o->memory = optarg;
            break;
        case O_TIMEOUT:
        case O_CPUS:
        case O_LINES: {
            unsigned long long v;
            if (!placement_parse_uint(optarg, INT_MAX, &v, NULL)) {
                fprintf(stderr, "stdvmm ctl: %s: expected a number\n", optarg);
                return -1;
            }
            *(opt == O_TIMEOUT ? &o->timeout : opt == O_CPUS ? &o->cpus : &o->lines) = (long)v;
            break;
        }
        default:
            return -1;
        }
    }
    return optind;
}

static int cmd_vm_socket(const struct ctl *c, int argc, char **argv)
{
    struct stdvmm_error err;
    json_t *reply;

    if (argc >= 3 && (strcmp(argv[2], "placement") == 0 || strcmp(argv[2], "vcpu") == 0))
        return cli_ctl_vm_placement(argv[1], argc - 2, argv + 2, c->json);
    if (argc != 3) {
        fprintf(stderr, "stdvmm ctl vm SOCKET info|pause|resume|shutdown|placement|vcpu\n");
        return 2;
    }
    if (strcmp(argv[2], "info") && strcmp(argv[2], "pause") && strcmp(argv[2], "resume") &&
        strcmp(argv[2], "shutdown")) {
        fprintf(stderr, "stdvmm ctl vm: unknown command '%s' (info, pause, resume, shutdown)\n",
                argv[2]);
        return 2;
    }
    if (vm_client_call(argv[1], argv[2], CLI_VM_SOCKET_TIMEOUT_MS, &reply, &err) != 0) {
        fprintf(stderr, "stdvmm ctl: %s\n", err.msg);
        return 1;
    }
    bool ok = json_is_true(json_object_get(reply, "ok"));
    if (!ok)
        fprintf(stderr, "stdvmm ctl: %s\n", str(reply, "error"));
    else if (c->json || strcmp(argv[2], "info") == 0)
        print_json(reply);
    else
        printf("%s\n", str(reply, "state"));
    json_decref(reply);
    return ok ? 0 : 1;
}

/* `placement NAME` and `vcpu NAME INDEX SPEC` (docs/multicore.md, run-time migration). */
static int cmd_placement(const struct ctl *c, int argc, char **argv)
{
    char path[160];
    struct stdvmm_error err;
    json_t *answer = NULL;
    bool get = strcmp(argv[0], "placement") == 0;

    if ((get && argc != 2) || (!get && argc != 4) || !sysconf_valid_name(argv[1])) {
        fprintf(stderr, "stdvmm ctl placement NAME | vcpu NAME INDEX "
                        "pcpus=LIST[,dedicated][,priority=P][,budget=R/P][,weight=W]\n");
        return 2;
    }
    if (get) {
        snprintf(path, sizeof(path), "/v1/vms/%s/placement", argv[1]);
        int rc = call(c, "GET", path, NULL, &answer);
        return rc ? rc : show(c, answer, cli_print_manager_placement);
    }
    if (strspn(argv[2], "0123456789") != strlen(argv[2]) || strlen(argv[2]) > 3) {
        fprintf(stderr, "stdvmm ctl vcpu: '%s' is not a vCPU index\n", argv[2]);
        return 2;
    }
    json_t *body = cli_placement_spec_body(argv[3], &err);
    if (body == NULL) {
        fprintf(stderr, "stdvmm ctl vcpu: %s\n", err.msg);
        return 2;
    }
    snprintf(path, sizeof(path), "/v1/vms/%s/vcpus/%s/placement", argv[1], argv[2]);
    int rc = call(c, "PUT", path, body, &answer);
    return rc ? rc : show(c, answer, cli_print_manager_placement);
}

/* Length of the UTF-8 sequence at p (at most n bytes) if valid and not a C1 control, else 0. */
static size_t utf8_printable(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    uint32_t cp;

    if (len == 0 || p[0] > 0xf4 || len > n)
        return 0;
    cp = p[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    /* Overlong forms, surrogates, past U+10FFFF, and C1 controls (U+009B is a CSI). */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return len;
}

/*
 * Guest output for a terminal: the guest chose these bytes, and escape
 * sequences could retitle, reprogram or (on some terminals) answer back
 * into the admin's shell. Text, newlines and tabs pass; a CR before LF is
 * dropped; other controls are shown as ^X, bytes that are not printable
 * UTF-8 as \xNN. A pipe or file gets the bytes unchanged.
 */
static void print_guest_text(const unsigned char *p, size_t n, FILE *out)
{
    for (size_t i = 0; i < n;) {
        unsigned char ch = p[i];
        if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f)) {
            fputc(ch, out);
            i++;
        } else if (ch == '\r' && i + 1 < n && p[i + 1] == '\n') {
            i++;
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(out, "^%c", ch ^ 0x40);
            i++;
        } else {
            size_t len = utf8_printable(p + i, n - i);
            if (len != 0)
                fwrite(p + i, 1, len, out);
            else
                fprintf(out, "\\x%02x", ch);
            i += len != 0 ? len : 1;
        }
    }
}

static int cmd_named(const struct ctl *c, const char *cmd, int argc, char **argv)
{
    struct ctl_opts o;
    char path[160];
    json_t *answer = NULL;

    int first = parse_opts(argc, argv, &o);
    if (first < 0 || argc - first != 1) {
        fprintf(stderr, "stdvmm ctl %s: expected one NAME (try 'stdvmm ctl --help')\n", cmd);
        return 2;
    }
    const char *name = argv[first];
    if (!sysconf_valid_name(name)) {
        fprintf(stderr, "stdvmm ctl: '%s' is not a VM name\n", name);
        return 2;
    }
    if (strcmp(cmd, "info") == 0) {
        snprintf(path, sizeof(path), "/v1/vms/%s", name);
        int rc = call(c, "GET", path, NULL, &answer);
        return rc ? rc : show(c, answer, print_vm_info);
    }
    if (strcmp(cmd, "serial") == 0) {
        struct ctl_response r;
        struct stdvmm_error err;
        snprintf(path, sizeof(path), "/v1/vms/%s/serial?lines=%ld", name,
                 o.lines > 0 ? o.lines : 50);
        if (ctl_http(c->socket, "GET", path, NULL, REQUEST_TIMEOUT_MS, &r, &err)) {
            fprintf(stderr, "stdvmm ctl: %s\n", err.msg);
            return 1;
        }
        int rc = r.status == 200 ? 0 : report_failure(&r);
        if (rc == 0 && isatty(STDOUT_FILENO))
            print_guest_text((const unsigned char *)r.body, r.len, stdout);
        else if (rc == 0)
            fwrite(r.body, 1, r.len, stdout);
        ctl_response_free(&r);
        return rc;
    }
    if (strcmp(cmd, "delete") == 0) {
        snprintf(path, sizeof(path), "/v1/vms/%s", name);
        int rc = call(c, "DELETE", path, NULL, &answer);
        if (rc == 0 && c->json)
            print_json(answer);
        else if (rc == 0)
            printf("%s: deleted\n", name);
        json_decref(answer);
        return rc;
    }
    /* start, stop, restart, pause, resume */
    json_t *body = NULL;
    if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0) {
        body = json_object();
        if (o.timeout >= 0)
            json_object_set_new(body, "timeout", json_integer(o.timeout));
        if (o.force)
            json_object_set_new(body, "force", json_true());
    }
    snprintf(path, sizeof(path), "/v1/vms/%s/%s", name, cmd);
    /* The old pid tells a restarted VM from the one before. */
    long long old_pid = -1;
    if (strcmp(cmd, "restart") == 0) {
        json_t *before = NULL;
        char ipath[128];
        snprintf(ipath, sizeof(ipath), "/v1/vms/%s", name);
        if (call(c, "GET", ipath, NULL, &before) == 0) {
            json_t *p = json_object_get(before, "pid");
            old_pid = json_is_integer(p) ? json_integer_value(p) : -1;
            json_decref(before);
        }
    }
    int rc = call(c, "POST", path, body, &answer);
    if (rc != 0)
        return rc;
    int wait_s = (int)(o.timeout >= 0 ? o.timeout : 30) + WAIT_SLACK_S;
    if (!o.no_wait && strcmp(cmd, "stop") == 0) {
        json_decref(answer);
        return wait_state(c, name, wait_s, is_down, -1, "stopped");
    }
    if (!o.no_wait && strcmp(cmd, "restart") == 0) {
        json_decref(answer);
        return wait_state(c, name, wait_s, is_up_again, old_pid, "running again");
    }
    if (c->json)
        print_json(answer);
    else
        printf("%s: %s\n", name, str(answer, "state"));
    json_decref(answer);
    return 0;
}

/* Any request, body as given: for scripts and for testing the server's refusals. */
static int cmd_raw(const struct ctl *c, int argc, char **argv)
{
    struct ctl_response r;
    struct stdvmm_error err;
    char *body = NULL;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "stdvmm ctl raw METHOD PATH [BODY|@FILE]\n");
        return 2;
    }
    if (argc == 4 && argv[3][0] == '@') {
        FILE *f = fopen(argv[3] + 1, "rb");
        size_t cap = 1 << 16, len = 0;
        body = f ? malloc(cap + 1) : NULL;
        while (body != NULL) {
            if (len == cap) {
                char *n = realloc(body, cap * 2 + 1);
                if (n == NULL)
                    break;
                body = n;
                cap *= 2;
            }
            size_t got = fread(body + len, 1, cap - len, f);
            len += got;
            if (got == 0)
                break;
        }
        if (f != NULL)
            fclose(f);
        if (body == NULL) {
            fprintf(stderr, "stdvmm ctl: cannot read %s\n", argv[3] + 1);
            return 2;
        }
        body[len] = '\0';
    } else if (argc == 4) {
        body = strdup(argv[3]);
    }
    int rc = ctl_http(c->socket, argv[1], argv[2], body, REQUEST_TIMEOUT_MS, &r, &err);
    free(body);
    if (rc != 0) {
        fprintf(stderr, "stdvmm ctl: %s\n", err.msg);
        return 1;
    }
    printf("HTTP %d\n", r.status);
    fwrite(r.body, 1, r.len, stdout);
    if (r.len > 0 && r.body[r.len - 1] != '\n')
        printf("\n");
    rc = r.status >= 200 && r.status <= 299 ? 0 : 1;
    ctl_response_free(&r);
    return rc;
}

static int cmd_create(const struct ctl *c, int argc, char **argv)
{
    struct ctl_opts o;
    json_t *answer = NULL;

    int first = parse_opts(argc, argv, &o);
    if (first < 0 || argc - first != 1) {
        fprintf(stderr, "stdvmm ctl create DEFINITION [--name NAME] [--memory SIZE] [--cpus N] "
                        "[--no-start]\n");
        return 2;
    }
    json_t *body = json_pack("{s:s}", "definition", argv[first]);
    if (o.name)
        json_object_set_new(body, "name", json_string(o.name));
    if (o.memory)
        json_object_set_new(body, "memory", json_string(o.memory));
    if (o.cpus)
        json_object_set_new(body, "cpus", json_integer(o.cpus));
    if (o.no_start)
        json_object_set_new(body, "start", json_false());
    int rc = call(c, "POST", "/v1/vms", body, &answer);
    if (rc != 0)
        return rc;
    if (c->json)
        print_json(answer);
    else
        printf("%s: created, %s\n", str(answer, "name"), str(answer, "state"));
    json_decref(answer);
    return 0;
}

int cli_ctl(int argc, char **argv)
{
    struct ctl c = {.socket = getenv("STDVMM_SOCKET")};
    int i = 1;

    if (c.socket == NULL || *c.socket == '\0')
        c.socket = DEFAULT_SOCKET;
    /* Global options come before the command; the command's own follow it. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            c.json = true;
        } else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            c.socket = argv[++i];
        } else if (strncmp(argv[i], "--socket=", 9) == 0) {
            c.socket = argv[i] + 9;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_ctl_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "stdvmm ctl: unknown option %s\n", argv[i]);
            cli_ctl_usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        cli_ctl_usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    json_t *answer = NULL;
    int rc;

    if (strcmp(cmd, "list") == 0 || strcmp(cmd, "ls") == 0) {
        rc = call(&c, "GET", "/v1/vms", NULL, &answer);
        return rc ? rc : show(&c, answer, print_list);
    }
    if (strcmp(cmd, "system") == 0) {
        rc = call(&c, "GET", "/v1/system", NULL, &answer);
        return rc ? rc : show(&c, answer, print_system);
    }
    if (strcmp(cmd, "definitions") == 0) {
        rc = call(&c, "GET", "/v1/definitions", NULL, &answer);
        return rc ? rc : show(&c, answer, print_definitions);
    }
    if (strcmp(cmd, "networks") == 0) {
        rc = call(&c, "GET", "/v1/networks", NULL, &answer);
        return rc ? rc : show(&c, answer, cli_print_networks);
    }
    if (strcmp(cmd, "network") == 0) {
        char path[64];
        if (sub_argc != 2 || strlen(sub_argv[1]) > 15 || strchr(sub_argv[1], '/') != NULL) {
            fprintf(stderr, "stdvmm ctl network NAME (a network of the description)\n");
            return 2;
        }
        snprintf(path, sizeof(path), "/v1/networks/%s", sub_argv[1]);
        rc = call(&c, "GET", path, NULL, &answer);
        return rc ? rc : show(&c, answer, cli_print_network);
    }
    if (strcmp(cmd, "create") == 0)
        return cmd_create(&c, sub_argc, sub_argv);
    if (strcmp(cmd, "vm") == 0)
        return cmd_vm_socket(&c, sub_argc, sub_argv);
    if (strcmp(cmd, "raw") == 0)
        return cmd_raw(&c, sub_argc, sub_argv);
    if (strcmp(cmd, "placement") == 0 || strcmp(cmd, "vcpu") == 0)
        return cmd_placement(&c, sub_argc, sub_argv);
    static const char *const named[] = {"info",  "start",  "stop",   "restart",
                                        "pause", "resume", "delete", "serial"};
    for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
        if (strcmp(cmd, named[k]) == 0)
            return cmd_named(&c, cmd, sub_argc, sub_argv);
    }
    fprintf(stderr, "stdvmm ctl: unknown command '%s' (try 'stdvmm ctl --help')\n", cmd);
    return 2;
}
