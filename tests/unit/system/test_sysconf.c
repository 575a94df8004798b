/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description: what a valid file turns into, and that an invalid
 * one is refused with every problem reported at its path (and line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error.h"
#include "stdvmm/system_config.h"
#include "stdvmm/spelling.h"

#ifndef EXAMPLE_SYSTEM
#error "EXAMPLE_SYSTEM (docs/examples/system.yaml) must be defined by the build"
#endif

static int parse(const char *text, struct sysconf *cfg, struct sysconf_diags *d)
{
    memset(d, 0, sizeof(*d));
    return sysconf_parse_system(text, strlen(text), SYSCONF_FORMAT_AUTO, "/base", 0, cfg, d);
}

/* True when some diagnostic has this path and its message contains text. */
static bool has_diag(const struct sysconf_diags *d, const char *path, const char *text)
{
    for (unsigned i = 0; i < d->count; i++) {
        if (strcmp(d->items[i].path, path) == 0 && strstr(d->items[i].message, text) != NULL)
            return true;
    }
    return false;
}

static unsigned diag_line(const struct sysconf_diags *d, const char *path)
{
    for (unsigned i = 0; i < d->count; i++) {
        if (strcmp(d->items[i].path, path) == 0)
            return d->items[i].line;
    }
    return 0;
}

static void dump(const struct sysconf_diags *d)
{
    sysconf_diags_print(d, "test.yaml", 2);
}

static const char *const minimal = "system:\n"
                                   "  memory: 1G\n"
                                   "  vcpus: 4\n"
                                   "vms:\n"
                                   "  - name: a\n"
                                   "    kernel: vmlinuz\n";

/* Reads a single-VM description (relative paths under dir) and converts it; both must succeed. */
/* A problem a description must be refused with: where, what, and on which line (0: not checked). */
struct want_diag {
    const char *path;
    const char *text;
    unsigned line;
};

/* text is refused with each problem of want (and maybe more); *d is the caller's to check and free.
 */
static void refused_with(const char *text, struct sysconf_diags *d, const struct want_diag *want,
                         size_t n)
{
    struct sysconf cfg;

    assert_int_equal(parse(text, &cfg, d), -STDVMM_EINVAL);
    dump(d);
    for (size_t i = 0; i < n; i++) {
        if (!has_diag(d, want[i].path, want[i].text))
            fail_msg("no problem '%s' at %s", want[i].text, want[i].path);
        if (want[i].line != 0)
            assert_int_equal(diag_line(d, want[i].path), want[i].line);
    }
}

static void read_vm(const char *text, const char *dir, struct sysconf *cfg, struct sysconf_diags *d,
                    struct vmm_config *vc)
{
    int r = sysconf_parse_vm(text, strlen(text), SYSCONF_FORMAT_AUTO, dir, 0, cfg, d);
    if (r != 0)
        dump(d);
    assert_int_equal(r, 0);
    assert_int_equal(sysconf_vm_to_vmm_config(&cfg->vms[0], vc, d), 0);
}

/* A single-VM description the parser must refuse; d holds why. */
static void refused(const char *text, struct sysconf_diags *d)
{
    struct sysconf cfg;
    assert_int_equal(sysconf_parse_vm(text, strlen(text), SYSCONF_FORMAT_AUTO, NULL, 0, &cfg, d),
                     -STDVMM_EINVAL);
}

/* The JSON the manager hands to `stdvmm run --config` for cfg's VM, read back into back. */
static char *read_back(const struct sysconf *cfg, struct sysconf_diags *d, struct sysconf *back)
{
    char *json = sysconf_vm_to_json(&cfg->vms[0]);
    assert_non_null(json);
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, back, d),
                     0);
    return json;
}

static void minimal_gets_defaults(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse(minimal, &cfg, &d), 0);
    assert_int_equal(cfg.system.memory, 1ull << 30);
    assert_int_equal(cfg.system.vcpus, 4);
    assert_int_equal(cfg.system.max_vms, SYSCONF_DEFAULT_MAX_VMS);
    assert_false(cfg.system.has_host_cpus);
    assert_int_equal(cfg.vm_count, 1);
    assert_string_equal(cfg.vms[0].name, "a");
    assert_string_equal(cfg.vms[0].kernel, "/base/vmlinuz"); /* relative to the file */
    assert_null(cfg.vms[0].initramfs);
    assert_string_equal(cfg.vms[0].cmdline, "console=ttyS0");
    assert_int_equal(cfg.vms[0].cpus, 1);
    assert_int_equal(cfg.vms[0].memory, 512ull << 20);
    assert_int_equal(cfg.vms[0].restart, SYSCONF_RESTART_NEVER);
    assert_false(cfg.vms[0].autostart);
    assert_int_equal(cfg.vms[0].instances_max, 0);
    sysconf_free(&cfg);
    sysconf_diags_free(&d);
}

static void every_field(void **state)
{
    static const char *const text =
        "system: {memory: 2G, vcpus: 8, max_vms: 3, host_cpus: \"0-3\"}\n"
        "vms:\n"
        "  - name: full\n"
        "    kernel: /k\n"
        "    initramfs: /i\n"
        "    cmdline: \"console=ttyS0 quiet\"\n"
        "    cpus: 2\n"
        "    memory: 256M\n"
        "    disks: [{path: /d0.img}, {path: /d1.img, read_only: true}]\n"
        "    nets: [{tap: tap0, mac: \"52:54:00:12:34:56\"}]\n"
        "    vsock: {cid: 7}\n"
        "    serial_log: logs/full.log\n"
        "    no_reboot: true\n"
        "    restart: on-failure:2\n"
        "    autostart: true\n"
        "    host_cpus: 2\n"
        "  - name: w\n"
        "    kernel: /k\n"
        "    memory: 67108864\n"
        "    restart: always\n"
        "    instances: {max: 3}\n"
        "    serial_log: /logs/w-{n}.log\n";
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    int r = parse(text, &cfg, &d);
    if (r != 0)
        dump(&d);
    assert_int_equal(r, 0);
    assert_int_equal(cfg.system.max_vms, 3);
    assert_int_equal(sysconf_cpuset_count(&cfg.system.host_cpus), 4);
    const struct sysconf_vm *v = &cfg.vms[0];
    assert_int_equal(v->cpus, 2);
    assert_int_equal(v->memory, 256ull << 20);
    assert_int_equal(v->disk_count, 2);
    assert_string_equal(v->disks[0].path, "/d0.img");
    assert_false(v->disks[0].read_only);
    assert_true(v->disks[1].read_only);
    assert_int_equal(v->net_count, 1);
    assert_string_equal(v->nets[0].tap, "tap0");
    assert_string_equal(v->nets[0].mac, "52:54:00:12:34:56");
    assert_int_equal(v->vsock_cid, 7);
    assert_string_equal(v->serial_log, "/base/logs/full.log");
    assert_true(v->no_reboot);
    assert_int_equal(v->restart, SYSCONF_RESTART_ON_FAILURE);
    assert_int_equal(v->restart_max, 2);
    assert_true(v->autostart);
    assert_true(v->has_host_cpus);
    assert_true(sysconf_cpuset_has(&v->host_cpus, 2));
    assert_int_equal(sysconf_cpuset_count(&v->host_cpus), 1);
    assert_int_equal(cfg.vms[1].memory, 64ull << 20);
    assert_int_equal(cfg.vms[1].instances_max, 3);
    assert_int_equal(cfg.vms[1].restart, SYSCONF_RESTART_ALWAYS);
    sysconf_free(&cfg);
    sysconf_diags_free(&d);
}

/* One file with many independent mistakes: each is reported, at its path and line. */
static void all_errors_reported_with_paths(void **state)
{
    static const char *const text =
        "system:\n"                /* 1 */
        "  memory: 8G\n"           /* 2 */
        "  vcpus: 4\n"             /* 3 */
        "  max_vm: 2\n"            /* 4: typo */
        "vms:\n"                   /* 5 */
        "  - name: a\n"            /* 6 */
        "    kernel: /k\n"         /* 7 */
        "    cpus: two\n"          /* 8: wrong type */
        "  - name: a\n"            /* 9: duplicate */
        "    kernel: /k\n"         /* 10 */
        "    restart: sometimes\n" /* 11 */
        "  - name: big\n"          /* 12 */
        "    kernel: /k\n"         /* 13 */
        "    memory: 64G\n"        /* 14: over the system */
        "    cpus: 8\n"            /* 15: over the system */
        "  - name: bad/name\n"     /* 16 */
        "    memory: 16M\n"        /* 17: too small; kernel missing */
        "    autostart: yes\n";    /* 18: YAML 1.1 boolean, a string here */
    struct sysconf_diags d;
    static const struct want_diag want[] = {
        {"system.max_vm", "did you mean 'max_vms'", 4},
        {"vms[0].cpus", "expected a whole number", 8},
        {"vms[1].name", "already the name of vms[0]", 0},
        {"vms[1].restart", "not a restart policy", 11},
        {"vms[2].memory", "64G exceeds system.memory 8G", 14},
        {"vms[2].cpus", "8 exceeds system.vcpus 4", 0},
        {"vms[3].name", "not a valid name", 0},
        {"vms[3].kernel", "required field missing", 0},
        {"vms[3].memory", "too little", 0},
        {"vms[3].autostart", "expected true or false", 0},
    };

    (void)state;
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    assert_int_equal(d.count, 10);
    sysconf_diags_free(&d);
}

static void missing_sections(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse("vms: []\n", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "system", "required section missing"));
    sysconf_diags_free(&d);
    assert_int_equal(parse("system: {memory: 1G}\nvm: []\n", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "vm", "did you mean 'vms'"));
    assert_true(has_diag(&d, "vms", "required list missing"));
    assert_true(has_diag(&d, "system.vcpus", "required field missing"));
    sysconf_diags_free(&d);
    assert_int_equal(parse("- 1\n- 2\n", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "expected a mapping"));
    sysconf_diags_free(&d);
    assert_int_equal(parse("", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "empty"));
    sysconf_diags_free(&d);
}

static void syntax_errors_have_lines(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse("system:\n  memory: 1G\n   vcpus: [\n", &cfg, &d), -STDVMM_EINVAL);
    assert_int_equal(d.count, 1);
    assert_non_null(strstr(d.items[0].message, "YAML syntax"));
    assert_true(d.items[0].line >= 2);
    sysconf_diags_free(&d);
    assert_int_equal(parse("system: {memory: 1G, memory: 2G, vcpus: 1}\nvms: []\n", &cfg, &d),
                     -STDVMM_EINVAL);
    assert_true(has_diag(&d, "system.memory", "duplicate key"));
    sysconf_diags_free(&d);
    assert_int_equal(parse("a: 1\n---\nb: 2\n", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "more than one YAML document"));
    sysconf_diags_free(&d);
}

static void json_is_accepted(void **state)
{
    static const char *const text =
        "{\"system\": {\"memory\": \"1G\", \"vcpus\": 2},\n"
        " \"vms\": [{\"name\": \"j\", \"kernel\": \"/k\", \"memory\": 134217728}]}";
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse(text, &cfg, &d), 0);
    assert_int_equal(cfg.vms[0].memory, 128ull << 20);
    sysconf_free(&cfg);
    assert_int_equal(parse("{\"system\": {}, \"system\": {}}", &cfg, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "", "JSON syntax"));
    sysconf_diags_free(&d);
}

/* "Billion laughs": a few lines whose aliases expand exponentially. */
static void alias_expansion_is_bounded(void **state)
{
    char text[4096];
    size_t n = 0;
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "a0: &a0 [x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 12; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    assert_int_equal(parse(text, &cfg, &d), -STDVMM_EINVAL);
    assert_true(d.count >= 1);
    assert_non_null(strstr(d.items[0].message, "more than"));
    sysconf_diags_free(&d);
}

static void autostart_must_fit_together(void **state)
{
    static const char *const text =
        "system: {memory: 256M, vcpus: 2, max_vms: 2}\n"
        "vms:\n"
        "  - {name: a, kernel: /k, memory: 128M, autostart: true}\n"
        "  - {name: b, kernel: /k, memory: 128M, autostart: true}\n"
        "  - {name: c, kernel: /k, memory: 128M, autostart: true}\n"
        "  - {name: d, kernel: /k, memory: 64M, autostart: true, instances: {max: 2}}\n";
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse(text, &cfg, &d), -STDVMM_EINVAL);
    dump(&d);
    assert_true(has_diag(&d, "vms[2].autostart",
                         "need 384M of guest memory, more than "
                         "system.memory 256M"));
    assert_true(has_diag(&d, "vms[2].autostart", "3 vCPUs, more than system.vcpus 2"));
    assert_true(has_diag(&d, "vms[2].autostart", "more than system.max_vms 2"));
    assert_true(has_diag(&d, "vms[3].autostart", "instantiated through the API"));
    sysconf_diags_free(&d);
}

static void shared_resources_are_refused(void **state)
{
    static const char *const text =
        "system: {memory: 4G, vcpus: 8, host_cpus: \"0-1\"}\n"
        "vms:\n"
        "  - {name: a, kernel: /k, disks: [{path: /d.img}], nets: [{tap: tap0}],\n"
        "     vsock: {cid: 10}, serial_log: /s.log, host_cpus: \"1-2\"}\n"
        "  - {name: b, kernel: /k, disks: [{path: /d.img, read_only: true}],\n"
        "     nets: [{tap: tap0}], serial_log: /s.log}\n"
        "  - {name: w, kernel: /k, instances: {max: 4}, vsock: {cid: 8},\n"
        "     disks: [{path: /w.img}], nets: [{tap: tapw, mac: \"52:54:00:00:00:01\"}]}\n"
        "  - {name: w-2, kernel: /k, serial_log_max: 0, seccomp: on, jail: 0}\n";
    struct sysconf_diags d;
    static const struct want_diag want[] = {
        {"vms[0].host_cpus", "1-2 is not within system.host_cpus 0-1", 0},
        {"vms[1].disks[0].path", "also a disk of vms[0]", 0},
        {"vms[1].nets[0].tap", "tap tap0 is also used by vms[0]", 0},
        {"vms[1].serial_log", "also the serial log of vms[0]", 0},
        {"vms[2].vsock.cid", "overlaps the CIDs of vms[0]", 0},
        {"vms[2].disks[0].path", "shared by the 4 instances", 0},
        {"vms[2].nets[0].tap", "put {n} in its name", 0},
        {"vms[2].nets[0].mac", "cannot share one MAC", 0},
        {"vms[3].name", "instance 2 of vms[2]", 0},
        {"vms[3].serial_log_max", "a serial log cap is at least 4K", 0},
        {"vms[3].seccomp", "'on' is not a seccomp mode", 0},
        {"vms[3].jail", "expected true or false", 0},
    };

    (void)state;
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    sysconf_diags_free(&d);
}

static void single_vm_description(void **state)
{
    static const char *const text = "kernel: vmlinuz\n"
                                    "initramfs: /i.gz\n"
                                    "memory: 64M\n"
                                    "cpus: 2\n"
                                    "serial_log: out.log\n"
                                    "serial_log_max: 1M\n"
                                    "seccomp: log\n"
                                    "restart: always\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc = {.serial = VMM_SERIAL_TTY};

    (void)state;
    read_vm(text, "/dir", &cfg, &d, &vc);
    assert_string_equal(vc.name, "vm");
    assert_string_equal(vc.kernel, "/dir/vmlinuz");
    assert_string_equal(vc.initramfs, "/i.gz");
    assert_int_equal(vc.cpus, 2);
    assert_int_equal(vc.memory, 64ull << 20);
    assert_int_equal(vc.serial, VMM_SERIAL_FILE);
    assert_string_equal(vc.serial_path, "/dir/out.log");
    assert_int_equal(vc.serial_max, 1u << 20);
    assert_int_equal(vc.seccomp, HOST_SECCOMP_LOG);

    /* The JSON the manager hands to `stdvmm run --config` reads back the same. */
    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_string_equal(back.vms[0].kernel, "/dir/vmlinuz");
    assert_int_equal(back.vms[0].memory, 64ull << 20);
    assert_int_equal(back.vms[0].restart, SYSCONF_RESTART_ALWAYS);
    assert_int_equal(back.vms[0].serial_log_max, 1u << 20);
    assert_int_equal(back.vms[0].seccomp, HOST_SECCOMP_LOG);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    assert_int_equal(
        sysconf_parse_vm("kernel: /k\nvms: []\n", 16, SYSCONF_FORMAT_AUTO, NULL, 0, &cfg, &d),
        -STDVMM_EINVAL);
    assert_true(has_diag(&d, "vms", "unknown field"));
    sysconf_diags_free(&d);
}

/* Maps this build's arch accepts (arch_memory_limits): x86_64 wants low memory at 0. */
#if defined(__aarch64__)
#define MAP_LOW "1G"
#define MAP_LOW_GPA (1ull << 30)
#define MAP_OVERLAP "0x44000000"
#else
#define MAP_LOW "0"
#define MAP_LOW_GPA 0ull
#define MAP_OVERLAP "0x4000000"
#endif

static void memory_map_regions(void **state)
{
    static const char *const text = "system: {memory: 4G, vcpus: 4}\n"          /* 1 */
                                    "vms:\n"                                    /* 2 */
                                    "  - name: a\n"                             /* 3 */
                                    "    kernel: /k\n"                          /* 4 */
                                    "    memory_map:\n"                         /* 5 */
                                    "      - {gpa: 0x100000000, size: 64M}\n"   /* 6 */
                                    "      - {gpa: " MAP_LOW ", size: 128M}\n"; /* 7 */
    struct sysconf cfg;
    struct sysconf_diags d;
    struct vmm_config vc = {0};

    (void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
    skip();
#endif
    assert_int_equal(parse(text, &cfg, &d), 0);
    const struct sysconf_vm *vm = &cfg.vms[0];
    assert_int_equal(vm->memory_map_count, 2);
    assert_int_equal(vm->memory, 192ull << 20); /* the total counts against system.memory */
    assert_int_equal(vm->memory_map[0].gpa, 1ull << 32);
    assert_int_equal(vm->memory_map[1].gpa, MAP_LOW_GPA);
    assert_int_equal(vm->memory_map[1].size, 128ull << 20);
    assert_int_equal(sysconf_vm_to_vmm_config(vm, &vc, &d), 0);
    assert_int_equal(vc.memory_map_count, 2);
    assert_int_equal(vc.memory_map[0].size, 64ull << 20);

    /* The manager's JSON for `stdvmm run --config` keeps the map. */
    char *json = sysconf_vm_to_json(vm);
    assert_non_null(json);
    struct sysconf back;
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &back, &d),
                     0);
    assert_int_equal(back.vms[0].memory_map_count, 2);
    assert_int_equal(back.vms[0].memory_map[0].gpa, 1ull << 32);
    assert_int_equal(back.vms[0].memory, 192ull << 20);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);
}

static void bad_memory_maps_point_at_the_region(void **state)
{
    static const char *const text =
        "system: {memory: 8G, vcpus: 4}\n"                             /* 1 */
        "vms:\n"                                                       /* 2 */
        "  - name: overlap\n"                                          /* 3 */
        "    kernel: /k\n"                                             /* 4 */
        "    memory_map:\n"                                            /* 5 */
        "      - {gpa: " MAP_LOW ", size: 128M}\n"                     /* 6 */
        "      - {gpa: 0x100000000, size: 64M}\n"                      /* 7 */
        "      - {gpa: " MAP_OVERLAP ", size: 64M}\n"                  /* 8: into region 0 */
        "  - name: beyond\n"                                           /* 9 */
        "    kernel: /k\n"                                             /* 10 */
        "    memory: 1G\n"                                             /* 11: not the total */
        "    memory_map:\n"                                            /* 12 */
        "      - {gpa: " MAP_LOW ", size: 128M}\n"                     /* 13 */
        "      - {gpa: 0xfffffe00000, size: 4M}\n"                     /* 14: past 2^44 */
        "  - name: shapes\n"                                           /* 15 */
        "    kernel: /k\n"                                             /* 16 */
        "    memory_map: [{gpa: 1G}, {gpa: 2G, size: 2M, flags: 1}]\n" /* 17 */
        "  - name: agree\n"                                            /* 18 */
        "    kernel: /k\n"                                             /* 19 */
        "    memory: 1G\n"                                             /* 20 */
        "    memory_map:\n"                                            /* 21 */
        "      - {gpa: " MAP_LOW ", size: 128M}\n";                    /* 22 */
    struct sysconf_diags d;
    static const struct want_diag want[] = {
        {"vms[0].memory_map[2]", "overlaps region 0", 8},
        {"vms[1].memory_map[1]", "ends beyond", 14},
        {"vms[2].memory_map[0].size", "required field missing", 0},
        {"vms[2].memory_map[1].flags", "unknown field", 0},
        {"vms[3].memory", "differs from the memory_map's total of 128M", 20},
    };

    (void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
    skip();
#endif
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    assert_int_equal(d.count, 5);
    sysconf_diags_free(&d);
}

static void kernel_addr_is_kept(void **state)
{
    static const char *const text = "kernel: /k\nkernel_format: raw\nkernel_addr: 0x40200000\n";
    struct sysconf cfg, back;
    struct sysconf_diags d = {0};
    struct vmm_config vc = {0};

    (void)state;
    assert_int_equal(sysconf_parse_vm(text, strlen(text), SYSCONF_FORMAT_AUTO, NULL, 0, &cfg, &d),
                     0);
    assert_true(cfg.vms[0].arch.kernel_addr_set);
    assert_int_equal(cfg.vms[0].arch.kernel_addr, 0x40200000);
    assert_int_equal(sysconf_vm_to_vmm_config(&cfg.vms[0], &vc, &d), 0);
    assert_int_equal(vc.arch.kernel_addr, 0x40200000);
    char *json = sysconf_vm_to_json(&cfg.vms[0]);
    assert_non_null(json);
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &back, &d),
                     0);
    assert_true(back.vms[0].arch.kernel_addr_set);
    assert_int_equal(back.vms[0].arch.kernel_addr, 0x40200000);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);
    assert_int_equal(sysconf_parse_vm("kernel: /k\nkernel_addr: lots\n", 26, SYSCONF_FORMAT_AUTO,
                                      NULL, 0, &cfg, &d),
                     -STDVMM_EINVAL);
    assert_true(has_diag(&d, "kernel_addr", "expected a whole number"));
    sysconf_diags_free(&d);
}

/* Inside a 512M VM's RAM on this arch (x86_64 from 0, aarch64 from 1G). */
#if defined(__aarch64__)
#define IN_RAM "0x41000000"
#else
#define IN_RAM "0x1000000"
#endif

static void shared_regions_are_checked(void **state)
{
    static const char *const text =
        "system: {memory: 4G, vcpus: 8}\n"                                    /* 1 */
        "vms:\n"                                                              /* 2 */
        "  - {name: a, kernel: /k}\n"                                         /* 3 */
        "  - {name: b, kernel: /k}\n"                                         /* 4 */
        "  - {name: w, kernel: /k, instances: {max: 2}}\n"                    /* 5 */
        "shared_regions:\n"                                                   /* 6 */
        "  - name: ring\n"                                                    /* 7 */
        "    size: 1M\n"                                                      /* 8 */
        "    doorbell: true\n"                                                /* 9 */
        "    members:\n"                                                      /* 10 */
        "      - {vm: a, gpa: 0x200000000}\n"                                 /* 11 */
        "      - {vm: b, gpa: 0x200000000, access: ro}\n"                     /* 12 */
        "  - name: bad\n"                                                     /* 13 */
        "    size: 2M\n"                                                      /* 14 */
        "    members:\n"                                                      /* 15 */
        "      - {vm: nosuch, gpa: 0x300000000}\n"                            /* 16 */
        "      - {vm: a, gpa: " IN_RAM "}\n"                                  /* 17 */
        "      - {vm: b, gpa: 0x200000000, access: wo}\n"                     /* 18 */
        "      - {vm: b, gpa: 0x300000000}\n"                                 /* 19 */
        "      - {vm: b, gpa: 0x300000000}\n"                                 /* 20 */
        "      - {vm: w, gpa: 0x300000000}\n"                                 /* 21 */
        "  - {name: ring, size: 2M, members: [{vm: a, gpa: 0x400000000}]}\n"; /* 22 */
    struct sysconf_diags d;
    static const struct want_diag want[] = {
        {"shared_regions[1].members[0].vm", "'nosuch' is not a VM of vms[]", 16},
        {"shared_regions[1].members[1]", "overlaps the VM's RAM", 17},
        {"shared_regions[1].members[2].access", "not an access: rw or ro", 0},
        {"shared_regions[1].members[4]", "'b' is already members[3]", 20},
        {"shared_regions[1].members[5].vm", "a definition with instances", 0},
        {"shared_regions[2].name", "already the name of shared_regions[0]", 0},
        {"shared_regions[2].members", "2 to 8 members", 0},
    };

    (void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
    skip();
#endif
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    /* The good region passed its checks; no port maps it yet. */
    assert_false(has_diag(&d, "shared_regions[0].members[0]", ""));
    assert_false(has_diag(&d, "shared_regions[0].members[1]", ""));
    assert_int_equal(d.count, 7);
    sysconf_diags_free(&d);

    static const char *const good =
        "system: {memory: 4G, vcpus: 8}\n"
        "vms: [{name: a, kernel: /k}, {name: b, kernel: /k}]\n"
        "shared_regions:\n"
        "  - {name: ring, size: 1M, members: [{vm: a, gpa: 8G},\n"
        "     {vm: b, gpa: 8G, access: ro}]}\n"
        "  - {name: next, size: 2M, members: [{vm: a, gpa: 0x200080000},\n"
        "     {vm: b, gpa: 12G}]}\n";
    struct sysconf cfg;
    assert_int_equal(parse(good, &cfg, &d), -STDVMM_EINVAL);
    dump(&d);
    assert_true(
        has_diag(&d, "shared_regions[1].members[0]", "overlaps shared region 'ring' in VM 'a'"));
    assert_int_equal(d.count, 1);
    sysconf_diags_free(&d);
}

static void a_valid_shared_region_is_read(void **state)
{
    static const char *const text =
        "system: {memory: 4G, vcpus: 8}\n"
        "vms: [{name: a, kernel: /k}, {name: b, kernel: /k}]\n"
        "shared_regions:\n"
        "  - {name: ring, size: 1M, doorbell: true,\n"
        "     members: [{vm: a, gpa: 8G}, {vm: b, gpa: 8G, access: ro}]}\n";
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse(text, &cfg, &d), 0);
    assert_int_equal(cfg.shared_count, 1);
    const struct sysconf_shared_region *r = &cfg.shared[0];
    assert_string_equal(r->name, "ring");
    assert_int_equal(r->size, 1u << 20);
    assert_true(r->doorbell);
    assert_int_equal(r->member_count, 2);
    assert_string_equal(r->members[0].vm, "a");
    assert_int_equal(r->members[0].gpa, 8ull << 30);
    assert_false(r->members[0].read_only);
    assert_string_equal(r->members[1].vm, "b");
    assert_true(r->members[1].read_only);
    sysconf_free(&cfg);
    sysconf_diags_free(&d);
}

static void networks_are_checked(void **state)
{
    static const char *const text =
        "system: {memory: 4G, vcpus: 8}\n"
        "networks:\n"
        "  - {name: lan, members: [a, b, a, ghost, w]}\n"
        "  - {name: lan, members: []}\n"
        "  - {name: \"a name\", members: [a]}\n"
        "  - {name: wan, members: [c], vlan: 3, uplink: \"tap/0\"}\n"
        "vms:\n"
        "  - {name: a, kernel: /k, nets: [{network: lan, mac: \"02:00:00:00:00:01\"}]}\n"
        "  - {name: b, kernel: /k, nets: [{network: lan, mac: \"02:00:00:00:00:01\"},\n"
        "                                 {network: wan}, {network: dmz},\n"
        "                                 {network: lan, tap: tap0}]}\n"
        "  - {name: c, kernel: /k, nets: [{network: wan, mac: \"02:00:00:00:00:01\"}]}\n"
        "  - {name: w, kernel: /k, instances: {max: 2}}\n";
    struct sysconf cfg;
    struct sysconf_diags d;

    (void)state;
    assert_int_equal(parse(text, &cfg, &d), -STDVMM_EINVAL);
    dump(&d);
    assert_true(has_diag(&d, "networks[0].members[2]", "'a' is already a member"));
    assert_true(has_diag(&d, "networks[0].members[3]", "'ghost' is not a VM of vms[]"));
    assert_true(has_diag(&d, "networks[0].members[4]", "a definition with instances"));
    assert_true(has_diag(&d, "networks[1].name", "network lan appears twice"));
    assert_true(has_diag(&d, "networks[2].name", "want 1-15 letters"));
    assert_true(has_diag(&d, "networks[3].vlan", ""));
    assert_true(has_diag(&d, "networks[3].uplink", "not a network interface name"));
    /* The same MAC on two networks is no clash; twice on lan is. */
    assert_true(has_diag(&d, "vms[1].nets[0].network", "also vms[0].nets[0]'s MAC on lan"));
    assert_false(has_diag(&d, "vms[2].nets[0].network", ""));
    assert_true(has_diag(&d, "vms[1].nets[1].network", "b is not a member of network wan"));
    assert_true(has_diag(&d, "vms[1].nets[2].network", "'dmz' is not one of networks[]"));
    assert_true(has_diag(&d, "vms[1].nets[3]", "give one of network: NAME"));
    assert_int_equal(d.count, 11);
    sysconf_diags_free(&d);
}

/* The seL4 port's example (tools/sel4/gen-vm-table.py reads it) in this parser: one schema. */
static void the_sel4_network_example_parses(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;
    char text[8192] = "system: {memory: 2G, vcpus: 8}\n"; /* seL4 descriptions may omit it */
    size_t at = strlen(text);

    (void)state;
    FILE *f = fopen(SEL4_NET_EXAMPLE, "r");
    assert_non_null(f);
    at += fread(text + at, 1, sizeof(text) - at - 1, f);
    fclose(f);
    text[at] = '\0';
    int r = parse(text, &cfg, &d);
    if (r != 0)
        dump(&d);
    assert_int_equal(r, 0);
    assert_int_equal(cfg.network_count, 2);
    assert_string_equal(cfg.networks[0].name, "lan");
    assert_int_equal(cfg.networks[0].member_count, 2);
    assert_string_equal(cfg.networks[0].members[1], "client");
    assert_null(cfg.networks[0].uplink);
    assert_string_equal(cfg.vms[0].nets[0].network, "lan");
    assert_string_equal(cfg.vms[0].nets[0].mac, "52:54:00:00:00:01");
    assert_int_equal(cfg.vms[0].nets[0].irq.vcpu, 1);
    assert_string_equal(cfg.vms[3].nets[0].network, "other");

    /* What the manager would hand a VMM before it names the port: refused, not user networking. */
    char *json = sysconf_vm_to_json(&cfg.vms[0]);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"network\": \"lan\""));
    struct sysconf back;
    sysconf_diags_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &back, &d),
                     -STDVMM_EINVAL);
    assert_true(has_diag(&d, "nets[0].network", "networks are a system description's"));
    free(json);
    struct vmm_config vc = {0};
    sysconf_diags_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(sysconf_vm_to_vmm_config(&cfg.vms[0], &vc, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "nets[0].network", "the manager's to give"));
    sysconf_diags_free(&d);
    sysconf_free(&cfg);
}

static void devices_map_to_the_vmm_config(void **state)
{
    static const char *const text =
        "kernel: /k\n"
        "disks: [{path: /a.img, id: data}, {path: /b.img, read_only: true}]\n"
        "nets:\n"
        "  - {tap: tap3, mac: \"52:54:00:00:00:07\"}\n"
        "  - {user: {hostfwd: [{host: 2222, guest: 22}, {host: 8080, guest: 80},\n"
        "                      \"udp:0.0.0.0:5353-10.0.2.15:53\"]}}\n"
        "  - {tap: tap4, vhost: true}\n"
        "  - {user: {restrict: false}}\n"
        "vsock: {cid: 9, socket: v.sock}\n"
        "rng: true\n"
        "iommu: true\n"
        "console: virtio\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc;

    (void)state;
    memset(&vc, 0, sizeof(vc));
    read_vm(text, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.disk_count, 2);
    assert_string_equal(vc.disks[0].id, "data");
    assert_true(vc.disks[1].readonly);
    assert_int_equal(vc.net_count, 4);
    assert_int_equal(vc.nets[0].backend, VMM_NET_TAP);
    assert_string_equal(vc.nets[0].tap, "tap3");
    assert_false(vc.nets[0].vhost);
    assert_int_equal(vc.nets[2].backend, VMM_NET_TAP);
    assert_true(vc.nets[2].vhost);
    assert_true(vc.nets[0].has_mac);
    assert_int_equal(vc.nets[0].mac[5], 7);
    assert_int_equal(vc.nets[1].backend, VMM_NET_USER);
    assert_int_equal(vc.nets[1].hostfwd_count, 3);
    assert_int_equal(vc.nets[1].hostfwds[1].host_port, 8080);
    assert_int_equal(vc.nets[1].hostfwds[1].guest_port, 80);
    assert_false(vc.nets[1].hostfwds[1].udp);
    assert_memory_equal(vc.nets[1].hostfwds[1].host_addr, ((uint8_t[]){127, 0, 0, 1}), 4);
    assert_true(vc.nets[1].hostfwds[2].udp);
    assert_memory_equal(vc.nets[1].hostfwds[2].host_addr, ((uint8_t[]){0, 0, 0, 0}), 4);
    assert_int_equal(vc.nets[1].hostfwds[2].host_port, 5353);
    assert_false(vc.nets[1].unrestricted); /* restricted unless told */
    assert_true(vc.nets[3].unrestricted);
    assert_true(vc.vsock.enabled);
    assert_int_equal(vc.vsock.cid, 9);
    assert_string_equal(vc.vsock.socket, "/d/v.sock");
    assert_true(vc.rng);
    assert_true(vc.iommu);
    assert_int_equal(vc.console, VMM_CONSOLE_VIRTIO);

    /* The manager's JSON keeps all of it. */
    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_int_equal(back.vms[0].nets[1].hostfwd_count, 3);
    for (unsigned f = 0; f < 3; f++) {
        char a[SPELLING_HOSTFWD_LEN], b[SPELLING_HOSTFWD_LEN];
        spelling_format_hostfwd(&cfg.vms[0].nets[1].hostfwds[f], a, sizeof(a));
        spelling_format_hostfwd(&back.vms[0].nets[1].hostfwds[f], b, sizeof(b));
        assert_string_equal(a, b);
    }
    assert_false(back.vms[0].nets[1].unrestricted);
    assert_true(back.vms[0].nets[3].unrestricted);
    assert_null(back.vms[0].nets[1].tap);
    assert_false(back.vms[0].nets[0].vhost);
    assert_true(back.vms[0].nets[2].vhost);
    assert_string_equal(back.vms[0].vsock_socket, "/d/v.sock");
    assert_true(back.vms[0].virtio_console);
    assert_true(back.vms[0].iommu);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    /* stdvmm run has nobody to pick a vsock socket. */
    static const char *const nosock = "kernel: /k\nvsock: {cid: 5}\n";
    assert_int_equal(
        sysconf_parse_vm(nosock, strlen(nosock), SYSCONF_FORMAT_AUTO, NULL, 0, &cfg, &d), 0);
    assert_int_equal(sysconf_vm_to_vmm_config(&cfg.vms[0], &vc, &d), -STDVMM_EINVAL);
    assert_true(has_diag(&d, "vsock.socket", "required"));
    sysconf_free(&cfg);
    sysconf_diags_free(&d);
}

static void vhost_user_devices(void **state)
{
    static const char *const text = "kernel: /k\n"
                                    "disks: [{vhost_user: blk.sock}, {path: /a.img}]\n"
                                    "filesystems: [{tag: share, socket: fs.sock, irq_vcpu: 0}]\n"
                                    "nets: [{vhost_user: sw.sock, mac: \"52:54:00:00:00:09\"}]\n";
    static const char *const bad =
        "system: {memory: 4G, vcpus: 8}\n"
        "vms:\n"
        "  - {name: a, kernel: /k, disks: [{vhost_user: /s, id: x}],\n"
        "     filesystems: [{tag: \"\", socket: /f}, {tag: t}],\n"
        "     nets: [{vhost_user: /n, tap: t0}, {user: {}, vhost: true}]}\n"
        "  - {name: w, kernel: /k, instances: {max: 2},\n"
        "     disks: [{vhost_user: /w.sock}], nets: [{vhost_user: /x}]}\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc;

    (void)state;
    memset(&vc, 0, sizeof(vc));
    read_vm(text, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.disk_count, 2);
    assert_null(vc.disks[0].path);
    assert_string_equal(vc.disks[0].vhost_user, "/d/blk.sock");
    assert_string_equal(vc.disks[1].path, "/a.img");
    assert_int_equal(vc.fs_count, 1);
    assert_string_equal(vc.fs[0].tag, "share");
    assert_string_equal(vc.fs[0].socket, "/d/fs.sock");
    assert_true(vc.fs[0].irq.set);
    assert_int_equal(vc.net_count, 1);
    assert_int_equal(vc.nets[0].backend, VMM_NET_VHOST_USER);
    assert_string_equal(vc.nets[0].vhost_user, "/d/sw.sock");
    assert_int_equal(vc.nets[0].mac[5], 9);
    /* The manager's JSON keeps them. */
    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_string_equal(back.vms[0].disks[0].vhost_user, "/d/blk.sock");
    assert_string_equal(back.vms[0].filesystems[0].socket, "/d/fs.sock");
    assert_string_equal(back.vms[0].nets[0].vhost_user, "/d/sw.sock");
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    assert_int_equal(parse(bad, &cfg, &d), -STDVMM_EINVAL);
    dump(&d);
    assert_true(has_diag(&d, "vms[0].disks[0]", "the backend's"));
    assert_true(has_diag(&d, "vms[0].filesystems[0].tag", "1 to 36 bytes"));
    assert_true(has_diag(&d, "vms[0].filesystems[1].socket", "required field missing"));
    assert_true(has_diag(&d, "vms[1].disks[0].vhost_user", "one VM at a time"));
    assert_true(has_diag(&d, "vms[0].nets[0]", "not several"));
    assert_true(has_diag(&d, "vms[0].nets[1].vhost", "tap interfaces only"));
    assert_true(has_diag(&d, "vms[1].nets[0].vhost_user", "one VM at a time"));
    sysconf_diags_free(&d);
}

/* kernel_format and the arm64 feature keys: the same words as stdvmm run's flags. */
static void arch_options(void **state)
{
    static const char *const text = "kernel: /k.flat\n"
                                    "kernel_format: raw\n"
                                    "irqchip: gicv3\n"
                                    "pmu: off\n"
                                    "its: on\n"
                                    "mte: auto\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc;

    (void)state;
    memset(&vc, 0, sizeof(vc));
    read_vm(text, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.arch.kernel_format, VM_KERNEL_RAW);
    assert_int_equal(vc.arch.irqchip, VM_IRQCHIP_GICV3);
    assert_int_equal(vc.arch.pmu, VM_FEATURE_OFF);
    assert_int_equal(vc.arch.its, VM_FEATURE_ON);
    assert_int_equal(vc.arch.sve, VM_FEATURE_AUTO);
    assert_int_equal(vc.arch.mte, VM_FEATURE_AUTO);

    /* The manager's JSON carries what is not the default, and only that. */
    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_non_null(strstr(json, "\"kernel_format\": \"raw\""));
    assert_non_null(strstr(json, "\"pmu\": \"off\""));
    assert_null(strstr(json, "\"mte\""));
    assert_int_equal(back.vms[0].arch.kernel_format, VM_KERNEL_RAW);
    assert_int_equal(back.vms[0].arch.irqchip, VM_IRQCHIP_GICV3);
    assert_int_equal(back.vms[0].arch.pmu, VM_FEATURE_OFF);
    assert_int_equal(back.vms[0].arch.its, VM_FEATURE_ON);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    static const char *const bad = "kernel: /k\nkernel_format: zImage\nirqchip: gicv3-its\n"
                                   "sve: yes\n";
    assert_int_equal(sysconf_parse_vm(bad, strlen(bad), SYSCONF_FORMAT_AUTO, NULL, 0, &cfg, &d),
                     -STDVMM_EINVAL);
    assert_true(has_diag(&d, "kernel_format", "auto, image or raw"));
    assert_true(has_diag(&d, "irqchip", "auto, gicv2 or gicv3"));
    assert_true(has_diag(&d, "sve", "auto, on or off"));
    sysconf_diags_free(&d);
}

/* A disk's rate limit: the same names as --disk, through the manager's JSON and back. */
static void disk_rate_limits(void **state)
{
    static const char *const text = "kernel: /k\n"
                                    "disks:\n"
                                    "  - path: /a.img\n"
                                    "    bw_size: 10M\n"
                                    "    bw_refill_time: 1000\n"
                                    "    bw_one_time_burst: 64M\n"
                                    "    ops_size: 200\n"
                                    "    ops_refill_time: 1000\n"
                                    "  - path: /b.img\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc;

    (void)state;
    memset(&vc, 0, sizeof(vc));
    read_vm(text, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.disks[0].limit.bytes.size, 10ull << 20);
    assert_int_equal(vc.disks[0].limit.bytes.refill_ms, 1000);
    assert_int_equal(vc.disks[0].limit.bytes.burst, 64ull << 20);
    assert_int_equal(vc.disks[0].limit.ops.size, 200);
    assert_int_equal(vc.disks[0].limit.ops.refill_ms, 1000);
    assert_false(rate_limiter_config_active(&vc.disks[1].limit));

    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_memory_equal(&back.vms[0].disks[0].limit, &cfg.vms[0].disks[0].limit,
                        sizeof(struct rate_limiter_config));
    assert_false(rate_limiter_config_active(&back.vms[0].disks[1].limit));
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    static const char *const bad = "kernel: /k\n"
                                   "disks:\n"
                                   "  - {path: /a.img, bw_size: 1M}\n"
                                   "  - {path: /b.img, ops_size: ten, ops_refill_time: 5}\n"
                                   "  - {vhost_user: /s, ops_size: 5, ops_refill_time: 5}\n";
    refused(bad, &d);
    assert_true(has_diag(&d, "disks[0]", "bw_size with bw_refill_time"));
    assert_true(has_diag(&d, "disks[1].ops_size", ""));
    assert_true(has_diag(&d, "disks[2]", "rate limits are the backend's"));
    sysconf_diags_free(&d);
}

static void net_rate_limits(void **state)
{
    static const char *const text = "kernel: /k\n"
                                    "nets:\n"
                                    "  - user: {}\n"
                                    "    bw_size: 1M\n"
                                    "    bw_refill_time: 100\n"
                                    "    ops_size: 1000\n"
                                    "    ops_refill_time: 1000\n"
                                    "  - {tap: t0}\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};
    struct vmm_config vc;

    (void)state;
    memset(&vc, 0, sizeof(vc));
    read_vm(text, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.nets[0].limit.bytes.size, 1ull << 20);
    assert_int_equal(vc.nets[0].limit.bytes.refill_ms, 100);
    assert_int_equal(vc.nets[0].limit.ops.size, 1000);
    assert_int_equal(vc.nets[0].limit.ops.refill_ms, 1000);
    assert_false(rate_limiter_config_active(&vc.nets[1].limit));

    /* Through the manager's JSON and back. */
    struct sysconf back;
    char *json = read_back(&cfg, &d, &back);
    assert_non_null(strstr(json, "bw_refill_time"));
    assert_memory_equal(&back.vms[0].nets[0].limit, &cfg.vms[0].nets[0].limit,
                        sizeof(struct rate_limiter_config));
    assert_false(rate_limiter_config_active(&back.vms[0].nets[1].limit));
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);

    /* The console's rate, beside the interfaces' limits. */
    static const char *const console = "kernel: /k\nserial_log_rate: 64K\n";
    memset(&vc, 0, sizeof(vc));
    read_vm(console, "/d", &cfg, &d, &vc);
    assert_int_equal(vc.serial_rate, 64 << 10);
    json = read_back(&cfg, &d, &back);
    assert_int_equal(back.vms[0].serial_log_rate, 64 << 10);
    free(json);
    sysconf_free(&back);
    sysconf_free(&cfg);
    refused("kernel: /k\nserial_log_rate: 0\n", &d);
    assert_true(has_diag(&d, "serial_log_rate", "4K"));
    sysconf_diags_free(&d);

    static const char *const bad = "kernel: /k\n"
                                   "nets:\n"
                                   "  - {user: {}, ops_size: 10}\n"
                                   "  - {tap: t1, vhost: true, bw_size: 1M, bw_refill_time: 10}\n"
                                   "  - {vhost_user: /s, ops_size: 5, ops_refill_time: 5}\n";
    refused(bad, &d);
    assert_true(has_diag(&d, "nets[0]", "ops_size with ops_refill_time"));
    assert_true(has_diag(&d, "nets[1]", "the kernel moves the frames"));
    assert_true(has_diag(&d, "nets[2]", "rate limits are the backend's"));
    sysconf_diags_free(&d);
}

static void bad_devices(void **state)
{
    static const char *const text =
        "system: {memory: 4G, vcpus: 8}\n"
        "vms:\n"
        "  - {name: a, kernel: /k, nets: [{tap: t0, user: {}}, {mac: \"52:54:00:00:00:01\"},\n"
        "     {user: {hostfwd: [{host: 8080, guest: 80}]}}, {user: {hostfwd: [{host: 80}]}}],\n"
        "     disks: [{path: /x, id: \"a-serial-longer-than-20\"}], console: vga}\n"
        "  - {name: w, kernel: /k, instances: {max: 3}, vsock: {cid: 20, socket: /w.sock},\n"
        "     nets: [{user: {hostfwd: [{host: 8079, guest: 22}, {host: 65535, guest: 1}]}}]}\n"
        "  - {name: z, kernel: /k,\n"
        "     nets: [{user: {hostfwd: [\"tcp:localhost:1-:2\"], restrict: maybe}}]}\n";
    struct sysconf_diags d;
    static const struct want_diag want[] = {
        {"vms[0].nets[0]", "not several", 0},
        {"vms[0].nets[1]", "not none", 0},
        {"vms[0].nets[3].user.hostfwd[0].guest", "required field missing", 0},
        {"vms[2].nets[0].user.hostfwd[0]", "is not a forward", 0},
        {"vms[2].nets[0].user.restrict", "", 0},
        {"vms[0].disks[0].id", "longer than the 20 bytes", 0},
        {"vms[0].console", "not a console device", 0},
        {"vms[1].vsock.socket", "put {n} in the path", 0},
        {"vms[1].nets[0].user.hostfwd[0].host", "also forwarded by vms[0]", 0},
        {"vms[1].nets[0].user.hostfwd[1].host", "go past 65535", 0},
    };

    (void)state;
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    sysconf_diags_free(&d);
}

/* Cache colouring is the seL4 port's: on KVM it is refused with why, not ignored. */
static void colours_are_refused_on_kvm(void **state)
{
    static const char *const text =
        "system: {memory: 1G, vcpus: 2, cache: {line: 64, size: 1M, ways: 16}}\n" /* 1 */
        "vms:\n"                                                                  /* 2 */
        "  - name: a\n"                                                           /* 3 */
        "    kernel: /k\n"                                                        /* 4 */
        "    colours: [0-3]\n"                                                    /* 5 */
        "  - name: b\n"                                                           /* 6 */
        "    kernel: /k\n"                                                        /* 7 */
        "    colours: \"4-7\"\n"                                                  /* 8 */
        "    share_colours: true\n"                                               /* 9 */
        "shared_regions:\n"                                                       /* 10 */
        "  - {name: chan, size: 2M, colours: [12-13],\n"                          /* 11 */
        "     members: [{vm: a, gpa: 4G}, {vm: b, gpa: 4G}]}\n";                  /* 12 */
    struct sysconf_diags d = {0};
    const struct want_diag want[] = {
        {"system.cache", "which Linux does not give to user space; only the seL4 port", 1},
        {"vms[0].colours", "cache colouring needs control of physical placement", 5},
        {"vms[1].colours", "only the seL4 port supports it", 8},
        {"vms[1].share_colours", "only the seL4 port supports it", 9},
        /* a shared region's colours (seL4: 4 KiB frames of them) the same way */
        {"shared_regions[0].colours", "only the seL4 port supports it", 11},
    };

    (void)state;
    refused_with(text, &d, want, sizeof(want) / sizeof(want[0]));
    /* Refused for what it is, not as a misspelt field. */
    assert_false(has_diag(&d, "vms[0].colours", "unknown field"));
    assert_false(has_diag(&d, "shared_regions[0].colours", "unknown field"));
    sysconf_diags_free(&d);
}

static void files_are_checked_on_request(void **state)
{
    static const char *const text = "system: {memory: 1G, vcpus: 1}\n"
                                    "vms: [{name: a, kernel: /nonexistent/vmlinuz,"
                                    " initramfs: /}]\n";
    struct sysconf cfg;
    struct sysconf_diags d = {0};

    (void)state;
    assert_int_equal(sysconf_parse_system(text, strlen(text), SYSCONF_FORMAT_AUTO, NULL,
                                          SYSCONF_CHECK_FILES, &cfg, &d),
                     -STDVMM_EINVAL);
    assert_true(has_diag(&d, "vms[0].kernel", "No such file"));
    assert_true(has_diag(&d, "vms[0].initramfs", "is a directory"));
    sysconf_diags_free(&d);
}

static void example_in_docs_is_valid(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d = {0};

    (void)state;
    int r = sysconf_load_system(EXAMPLE_SYSTEM, 0, &cfg, &d);
    if (r != 0)
        sysconf_diags_print(&d, EXAMPLE_SYSTEM, 2);
    assert_int_equal(r, 0);
    assert_int_equal(cfg.vm_count, 3);
    assert_int_equal(cfg.vms[2].instances_max, 4);
    sysconf_free(&cfg);
}

/*
 * Keys nested until their path outgrows the message buffer (found by
 * fuzz.sysconf: the "..." of a cut path was written past its end). The
 * description is refused with a cut path; ASan checks the bounds.
 */
static void long_key_paths_are_cut(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;
    char text[4096], key[121];
    (void)state;

    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    snprintf(text, sizeof(text),
             "system: {memory: 1G, vcpus: 4}\nvms: []\nextra: {%s: {%s: {%s: {%s: 1}}}}\n", key,
             key, key, key);
    assert_int_not_equal(parse(text, &cfg, &d), 0);
    assert_true(d.count > 0);
    for (unsigned i = 0; i < d.count; i++)
        assert_true(strlen(d.items[i].path) < 256);
    sysconf_diags_free(&d);
}

static void helpers(void **state)
{
    struct sysconf_cpuset s;
    char buf[64];
    enum sysconf_restart p;
    unsigned max;

    (void)state;
    assert_true(sysconf_parse_cpuset("0-3,6,8-9", &s));
    assert_int_equal(sysconf_cpuset_count(&s), 7);
    sysconf_cpuset_format(&s, buf, sizeof(buf));
    assert_string_equal(buf, "0-3,6,8-9");
    assert_false(sysconf_parse_cpuset("3-1", &s));
    assert_false(sysconf_parse_cpuset("1,", &s));
    assert_false(sysconf_parse_cpuset("a", &s));
    assert_false(sysconf_parse_cpuset("1024", &s));
    assert_false(sysconf_parse_cpuset("", &s));

    assert_true(sysconf_parse_restart("on-failure:5", &p, &max));
    assert_int_equal(p, SYSCONF_RESTART_ON_FAILURE);
    assert_int_equal(max, 5);
    assert_true(sysconf_parse_restart("on-failure", &p, &max));
    assert_int_equal(max, 0);
    assert_false(sysconf_parse_restart("on-failure:0", &p, &max));
    assert_false(sysconf_parse_restart("on-failure:", &p, &max));
    assert_false(sysconf_parse_restart("always:2", &p, &max));

    spelling_format_size(1536ull << 20, buf, sizeof(buf));
    assert_string_equal(buf, "1536M");
    spelling_format_size(8ull << 30, buf, sizeof(buf));
    assert_string_equal(buf, "8G");
    spelling_format_size(1000, buf, sizeof(buf));
    assert_string_equal(buf, "1000");

    assert_true(sysconf_valid_name("web-1.a_b"));
    assert_false(sysconf_valid_name("-web"));
    assert_false(sysconf_valid_name("a/b"));
    assert_false(sysconf_valid_name(".."));
    assert_false(sysconf_valid_name(""));
    memset(buf, 'a', SYSCONF_NAME_MAX + 1);
    buf[SYSCONF_NAME_MAX + 1] = '\0';
    assert_false(sysconf_valid_name(buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_gets_defaults),
        cmocka_unit_test(every_field),
        cmocka_unit_test(all_errors_reported_with_paths),
        cmocka_unit_test(missing_sections),
        cmocka_unit_test(syntax_errors_have_lines),
        cmocka_unit_test(json_is_accepted),
        cmocka_unit_test(alias_expansion_is_bounded),
        cmocka_unit_test(autostart_must_fit_together),
        cmocka_unit_test(shared_resources_are_refused),
        cmocka_unit_test(single_vm_description),
        cmocka_unit_test(memory_map_regions),
        cmocka_unit_test(bad_memory_maps_point_at_the_region),
        cmocka_unit_test(kernel_addr_is_kept),
        cmocka_unit_test(shared_regions_are_checked),
        cmocka_unit_test(a_valid_shared_region_is_read),
        cmocka_unit_test(networks_are_checked),
        cmocka_unit_test(the_sel4_network_example_parses),
        cmocka_unit_test(devices_map_to_the_vmm_config),
        cmocka_unit_test(vhost_user_devices),
        cmocka_unit_test(bad_devices),
        cmocka_unit_test(files_are_checked_on_request),
        cmocka_unit_test(example_in_docs_is_valid),
        cmocka_unit_test(helpers),
        cmocka_unit_test(arch_options),
        cmocka_unit_test(disk_rate_limits),
        cmocka_unit_test(net_rate_limits),
        cmocka_unit_test(long_key_paths_are_cut),
        cmocka_unit_test(colours_are_refused_on_kvm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
