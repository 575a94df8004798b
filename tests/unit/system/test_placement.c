/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU placement: the text spelling, the rules of one VM and between VMs of
 * a system description, and the priority/budget/weight mappings
 * (docs/multicore.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"
#include "stdvmm/sched/sched_policy.h"
#include "stdvmm/system_config.h"

static int parse(const char *text, struct sysconf *cfg, struct sysconf_diags *d)
{
    memset(d, 0, sizeof(*d));
    return sysconf_parse_system(text, strlen(text), SYSCONF_FORMAT_AUTO, "/base", 0, cfg, d);
}

static bool has_diag(const struct sysconf_diags *d, const char *path, const char *text)
{
    for (unsigned i = 0; i < d->count; i++) {
        if (strstr(d->items[i].path, path) != NULL && strstr(d->items[i].message, text) != NULL)
            return true;
    }
    for (unsigned i = 0; i < d->count; i++)
        fprintf(stderr, "diag: %s: %s\n", d->items[i].path, d->items[i].message);
    return false;
}

static void priority_mapping(void **state)
{
    (void)state;
    assert_int_equal(placement_linux_rt_priority(0), 1);
    assert_int_equal(placement_linux_rt_priority(255), 99);
    assert_int_equal(placement_linux_rt_priority(128), 50);
    for (int p = 1; p <= 255; p++) /* order-preserving */
        assert_true(placement_linux_rt_priority(p) >= placement_linux_rt_priority(p - 1));
    for (int l = 1; l <= 99; l++) /* every Linux level is reached, and maps back onto itself */
        assert_int_equal(placement_linux_rt_priority(placement_sel4_priority(l)), l);
    assert_int_equal(placement_weight_to_shares(100), 1024);
    assert_int_equal(placement_weight_to_shares(0), 1024);
    assert_int_equal(placement_weight_to_shares(200), 2048);
}

static void spec_parsing(void **state)
{
    struct vcpu_sched s;
    struct stdvmm_error err;
    char text[256];
    (void)state;

    placement_sched_default(&s);
    assert_int_equal(
        placement_apply_spec(&s, "pcpus=1-2:4,priority=200,rr,budget=20ms/100ms,weight=300", &err),
        0);
    assert_int_equal(s.kind, PLACEMENT_PINNED);
    assert_int_equal(placement_cpuset_count(&s.pcpus), 3);
    assert_true(placement_cpuset_has(&s.pcpus, 4));
    assert_int_equal(s.priority, 200);
    assert_int_equal(s.rt, PLACEMENT_RT_RR);
    assert_int_equal(s.runtime_ns, 20000000);
    assert_int_equal(s.period_ns, 100000000);
    assert_int_equal(s.weight, 300);
    placement_format_sched(&s, text, sizeof(text));
    assert_string_equal(text, "pcpus=1-2:4,priority=200,rr,budget=20000us/100000us,weight=300");

    assert_int_equal(placement_apply_spec(&s, "budget=none,priority=none,pcpus=any", &err), 0);
    assert_int_equal(s.kind, PLACEMENT_FLOATING);
    assert_int_equal(s.priority, -1);
    assert_int_equal(s.runtime_ns, 0);

    /* A refused spec changes nothing. */
    assert_int_equal(placement_apply_spec(&s, "pcpus=1,priority=256", &err), -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "0-255"));
    assert_int_equal(s.kind, PLACEMENT_FLOATING);
    assert_int_equal(placement_apply_spec(&s, "dedicated", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "budget=20ms", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "speed=11", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "weight=0", &err), -STDVMM_EINVAL);
}

/* Formats s, parses the text onto a default vcpu_sched, and checks it is s again. */
static void assert_round_trip(const struct vcpu_sched *s)
{
    struct vcpu_sched back;
    char text[512], again[512];
    struct stdvmm_error err;

    placement_format_sched(s, text, sizeof(text));
    placement_sched_default(&back);
    if (placement_apply_spec(&back, text, &err) < 0)
        fail_msg("'%s' does not parse: %s", text, err.msg);
    placement_format_sched(&back, again, sizeof(again));
    assert_string_equal(again, text);
    assert_int_equal(back.kind, s->kind);
    assert_memory_equal(&back.pcpus, &s->pcpus, sizeof(s->pcpus));
    assert_string_equal(back.pool, s->pool);
    assert_int_equal(back.priority, s->priority);
    if (s->priority >= 0)
        assert_int_equal(back.rt, s->rt);
    assert_int_equal(back.runtime_ns, s->runtime_ns);
    assert_int_equal(back.period_ns, s->period_ns);
    assert_int_equal(back.weight, s->weight);
}

/* Every field and kind survives format -> parse, CPU lists with several parts included. */
static void spec_round_trip(void **state)
{
    static const char *const specs[] = {
        "pcpus=0:2", /* two parts: formatted "0:2", not "0,2" */
        "pcpus=0-3:6:8-9,dedicated",
        "pcpus=1,priority=0",
        "pcpus=5,priority=255,rr,budget=1ms/1s",
        "pcpus=0-1,pool=web,budget=20ms/100ms,weight=300",
        "pool=batch", /* a pool not resolved to pCPUs yet */
        "pcpus=any,weight=10000",
        "pcpus=any,priority=7,fifo",
        "pcpus=3,budget=500us/100ms",
    };
    struct stdvmm_error err;
    (void)state;

    for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct vcpu_sched s;
        placement_sched_default(&s);
        if (placement_apply_spec(&s, specs[i], &err) < 0)
            fail_msg("'%s' does not parse: %s", specs[i], err.msg);
        assert_round_trip(&s);
    }
    /* Every CPU set up to 12 CPUs, as a pinned and as a dedicated vCPU. */
    for (unsigned mask = 1; mask < (1u << 12); mask++) {
        struct vcpu_sched s;
        placement_sched_default(&s);
        s.kind = mask & 1 ? PLACEMENT_DEDICATED : PLACEMENT_PINNED;
        for (unsigned c = 0; c < 12; c++)
            if (mask & (1u << c))
                placement_cpuset_add(&s.pcpus, c);
        assert_round_trip(&s);
    }
    /* The pool grammar refuses what a description could not name. */
    struct vcpu_sched s;
    placement_sched_default(&s);
    assert_int_equal(placement_apply_spec(&s, "pool=", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "pool=a b", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "pool=0123456789012345678901234567890123", &err),
                     -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "pool="));
}

static void vm_rules(void **state)
{
    struct vmm_placement p;
    struct stdvmm_error err;
    (void)state;

    placement_init(&p);
    assert_int_equal(placement_apply_spec(&p.vcpu[0], "pcpus=1,dedicated", &err), 0);
    assert_int_equal(placement_apply_spec(&p.vcpu[1], "pcpus=0", &err), 0);
    assert_int_equal(placement_check_vm(&p, 2, &err), 0);

    /* Migration onto a dedicated pCPU of another vCPU. */
    assert_int_equal(placement_apply_spec(&p.vcpu[1], "pcpus=0-1", &err), 0);
    assert_int_equal(placement_check_vm(&p, 2, &err), -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "dedicated"));
    assert_int_equal(placement_apply_spec(&p.vcpu[1], "pcpus=0", &err), 0);

    /* VMM threads off dedicated pCPUs. */
    p.has_vmm_threads = true;
    placement_cpuset_parse("1", &p.vmm_threads);
    assert_int_equal(placement_check_vm(&p, 2, &err), -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "vmm_threads"));
    p.has_vmm_threads = false;

    /* Budgets: runtime <= period, and no pCPU over 100%. */
    assert_int_equal(placement_apply_spec(&p.vcpu[1], "budget=60ms/100ms", &err), 0);
    assert_int_equal(placement_check_vm(&p, 3, &err), 0);
    assert_int_equal(placement_apply_spec(&p.vcpu[2], "pcpus=0,budget=50ms/100ms", &err), 0);
    assert_int_equal(placement_check_vm(&p, 3, &err), -STDVMM_ERANGE);
    assert_non_null(strstr(err.msg, "pCPU 0 is budgeted at 110%"));
    assert_int_equal(placement_apply_spec(&p.vcpu[2], "budget=200ms/100ms", &err), 0);
    assert_int_equal(placement_check_vm(&p, 3, &err), -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "longer than its period"));
    assert_int_equal(placement_apply_spec(&p.vcpu[2], "budget=500us/100ms", &err), 0);
    assert_int_equal(placement_check_vm(&p, 3, &err), -STDVMM_EINVAL);
    assert_non_null(strstr(err.msg, "1ms minimum"));
}

#define VM(name, cpus) "  - name: " name "\n    kernel: /k\n    memory: 64M\n    cpus: " cpus "\n"

static void description_placement(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;
    (void)state;

    const char *ok = "system: {memory: 1G, vcpus: 8, host_cpus: \"0-3\", pools: {shared: [2, 3]}}\n"
                     "vms:\n" VM("rt", "{count: 1, pcpus: [1], dedicated: true, priority: 200}")
                         VM("a", "{count: 2, pool: shared, weight: 200, placement: [{vcpu: 1, "
                                 "pcpus: [0], budget: {runtime: 20ms, period: 100ms}}]}")
                             VM("plain", "2") "    vmm_threads: {pcpus: [0]}\n";
    assert_int_equal(parse(ok, &cfg, &d), 0);
    const struct sysconf_vm *rt = &cfg.vms[0], *a = &cfg.vms[1];
    assert_non_null(rt->placement);
    assert_int_equal(rt->placement->vcpu[0].kind, PLACEMENT_DEDICATED);
    assert_int_equal(rt->placement->vcpu[0].priority, 200);
    assert_int_equal(a->cpus, 2);
    assert_int_equal(a->placement->vcpu[0].kind, PLACEMENT_POOL);
    assert_true(placement_cpuset_has(&a->placement->vcpu[0].pcpus, 3)); /* the pool's pCPUs */
    assert_int_equal(a->placement->vcpu[1].kind, PLACEMENT_PINNED);
    assert_int_equal(a->placement->vcpu[1].runtime_ns, 20000000);
    assert_int_equal(a->placement->vcpu[1].weight, 200); /* VM-wide default kept */
    assert_int_equal(cfg.vms[2].cpus, 2);
    assert_true(cfg.vms[2].placement->has_vmm_threads);

    /* The manager hands a VM to stdvmm run as JSON: the placement survives. */
    char *json = sysconf_vm_to_json(a);
    assert_non_null(json);
    struct sysconf one;
    struct sysconf_diags d1 = {0};
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &one, &d1),
                     0);
    assert_int_equal(one.vms[0].placement->vcpu[1].period_ns, 100000000);
    assert_true(placement_cpuset_has(&one.vms[0].placement->vcpu[0].pcpus, 2));
    free(json);
    sysconf_free(&one);
    sysconf_free(&cfg);
    sysconf_diags_free(&d);
}

static void description_refusals(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;
    (void)state;

    /* One dedicated pCPU for two VMs. */
    const char *twice =
        "system: {memory: 1G, vcpus: 8}\nvms:\n" VM("x", "{count: 1, pcpus: [1], dedicated: true}")
            VM("y", "{count: 1, pcpus: [1], "
                    "dedicated: true}");
    assert_int_not_equal(parse(twice, &cfg, &d), 0);
    assert_true(has_diag(&d, "vms[1].cpus", "dedicated here but also given to vms[0]"));
    sysconf_diags_free(&d);

    const char *bad =
        "system: {memory: 1G, vcpus: 8, host_cpus: \"0-1\", pools: {p: [0]}}\nvms:\n" VM(
            "a", "{count: 1, pool: p, priority: 10}") VM("b", "{count: 1, pool: nope}")
            VM("c", "{count: 2, placement: [{vcpu: 2, pcpus: [0]}]}")
                VM("d", "{count: 1, pcpus: [5]}")
                    VM("e", "{count: 1, pcpus: [1], budget: {runtime: 30ms, period: 10ms}}")
                        VM("f", "{count: 2, pcpus: [1], budget: {runtime: 60ms, period: 100ms}}");
    assert_int_not_equal(parse(bad, &cfg, &d), 0);
    assert_true(has_diag(&d, "vms[0].cpus", "needs a budget"));
    assert_true(has_diag(&d, "vms[1].cpus", "no pool 'nope'"));
    assert_true(has_diag(&d, "vms[2].cpus.placement[0].vcpu", "does not exist"));
    assert_true(has_diag(&d, "vms[3].cpus", "pCPU 5 is not in system.host_cpus"));
    assert_true(has_diag(&d, "vms[4].cpus", "longer than its period"));
    assert_true(has_diag(&d, "vms", "pCPU 1 is budgeted at 120%"));
    sysconf_diags_free(&d);
}

/* irq_vcpu: owners kept through JSON (manager -> stdvmm) and into struct vmm_config; bad ones
 * named. */
static void interrupt_owners(void **state)
{
    struct sysconf cfg;
    struct sysconf_diags d;
    (void)state;

    const char *ok = "system: {memory: 1G, vcpus: 8}\nvms:\n" VM(
        "a", "2") "    disks: [{path: /d0, irq_vcpu: 1}, {path: /d1}]\n"
                  "    nets: [{user: {}, irq_vcpu: 0}]\n"
                  "    vsock: {cid: 3, socket: /s, irq_vcpu: 1}\n";
    assert_int_equal(parse(ok, &cfg, &d), 0);
    char *json = sysconf_vm_to_json(&cfg.vms[0]);
    assert_non_null(json);
    struct sysconf one;
    struct sysconf_diags d1 = {0};
    assert_int_equal(sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &one, &d1),
                     0);
    struct vmm_config vc;
    memset(&vc, 0, sizeof(vc));
    assert_int_equal(sysconf_vm_to_vmm_config(&one.vms[0], &vc, &d1), 0);
    assert_true(vc.disks[0].irq.set);
    assert_int_equal(vc.disks[0].irq.vcpu, 1);
    assert_false(vc.disks[1].irq.set);
    assert_true(vc.nets[0].irq.set);
    assert_int_equal(vc.nets[0].irq.vcpu, 0);
    assert_true(vc.vsock.irq.set);
    assert_int_equal(vc.vsock.irq.vcpu, 1);
    free(json);
    sysconf_free(&one);
    sysconf_diags_free(&d1);
    sysconf_free(&cfg);
    sysconf_diags_free(&d);

    const char *bad = "system: {memory: 1G, vcpus: 8}\nvms:\n" VM(
        "b", "2") "    disks: [{path: /d2, irq_vcpu: 2}]\n"
                  "    nets: [{user: {}, irq_vcpu: one}]\n"
                  "    vsock: {cid: 4, socket: /t, irq_vcpu: 5}\n";
    assert_int_not_equal(parse(bad, &cfg, &d), 0);
    assert_true(has_diag(&d, "vms[0].disks[0].irq_vcpu", "vCPU 2 does not exist"));
    assert_true(has_diag(&d, "vms[0].nets[0].irq_vcpu", ""));
    assert_true(has_diag(&d, "vms[0].vsock.irq_vcpu", "vCPU 5 does not exist"));
    sysconf_diags_free(&d);
}

/* The shipped examples (docs/examples/direct-mapping.yaml, hybrid.yaml) are valid. */
static void shipped_examples(void **state)
{
    static const char *const names[] = {"direct-mapping.yaml", "hybrid.yaml"};
    char path[1024];
    (void)state;

    for (unsigned i = 0; i < 2; i++) {
        struct sysconf cfg;
        struct sysconf_diags d = {0};
        snprintf(path, sizeof(path), "%s", EXAMPLE_SYSTEM);
        snprintf(strrchr(path, '/') + 1, sizeof(path) - (size_t)(strrchr(path, '/') + 1 - path),
                 "%s", names[i]);
        int r = sysconf_load_system(path, 0, &cfg, &d);
        sysconf_diags_print(&d, path, 2);
        assert_int_equal(r, 0);
        sysconf_free(&cfg);
        sysconf_diags_free(&d);
    }
}

/*
 * Issue #15: the per-VM socket's "vcpu 4294967296 ..." cast the index to
 * unsigned and changed vCPU 0; strtoul also took blanks and signs, so
 * "weight=-18446744073709551615" wrapped to a weight of 1.
 */
static void vcpu_index_and_numbers_do_not_wrap(void **state)
{
    struct vcpu_sched s;
    struct stdvmm_error err;
    (void)state;

    static const char *const lines[] = {"vcpu 4294967296 pcpus=0", "vcpu -1 pcpus=0",
                                        "vcpu  1 pcpus=0", "vcpu 64 pcpus=0",
                                        "vcpu 99999999999999999999999 pcpus=0"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_null(sched_policy_api(NULL, lines[i], strlen(lines[i]), &err));
        assert_int_equal(err.code, STDVMM_EINVAL);
        /* About the number, not "placement is not active". */
        assert_non_null(strstr(err.msg, "vCPU index 0-63"));
    }

    placement_sched_default(&s);
    assert_int_equal(placement_apply_spec(&s, "weight=-18446744073709551615", &err),
                     -STDVMM_EINVAL);
    assert_int_equal(s.weight, 0);
    assert_int_equal(placement_apply_spec(&s, "priority= 5", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "priority=+5", &err), -STDVMM_EINVAL);
    assert_int_equal(placement_apply_spec(&s, "weight=10000,priority=255", &err), 0);
    assert_int_equal(s.weight, 10000);

    unsigned long long v;
    const char *end;
    assert_true(placement_parse_uint("18446744073709551615", ULLONG_MAX, &v, NULL));
    assert_true(v == ULLONG_MAX);
    assert_false(placement_parse_uint("18446744073709551616", ULLONG_MAX, &v, NULL));
    assert_false(placement_parse_uint("4294967296", 4294967295ull, &v, NULL));
    assert_false(placement_parse_uint("5", 0, &v, NULL));
    assert_false(placement_parse_uint("12x", 100, &v, NULL));
    assert_true(placement_parse_uint("12 x", 100, &v, &end));
    assert_int_equal(v, 12);
    assert_string_equal(end, " x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(priority_mapping),      cmocka_unit_test(spec_parsing),
        cmocka_unit_test(spec_round_trip),       cmocka_unit_test(vm_rules),
        cmocka_unit_test(description_placement), cmocka_unit_test(description_refusals),
        cmocka_unit_test(shipped_examples),      cmocka_unit_test(interrupt_owners),
        cmocka_unit_test(vcpu_index_and_numbers_do_not_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
