/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Placement applied to real threads (src/sched/sched_policy.c) through the
 * per-VM socket's commands ("placement", "vcpu N SPEC"): a vCPU thread's
 * affinity follows its pcpus, the answer reports what the kernel now says,
 * a refused change leaves the vCPU as it was, and malformed commands are
 * answered, not applied. Only affinities: budgets and weights need cgroups
 * or SCHED_DEADLINE, which the integration case placement.sh covers.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/error_report.h"
#include "stdvmm/placement.h"
#include "stdvmm/sched/sched_policy.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pid_t vcpu_tid;
static bool quit;
static int enter_result = 1;
static struct sched_policy *policy;

static void *vcpu_thread(void *arg)
{
    (void)arg;
    int r =
        sched_policy_vcpu_enter(policy, 0); /* checked by the main thread: cmocka asserts there */
    pthread_mutex_lock(&lock);
    enter_result = r;
    vcpu_tid = (pid_t)syscall(SYS_gettid);
    pthread_cond_broadcast(&cond);
    while (!quit)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    sched_policy_vcpu_leave(policy, 0);
    return NULL;
}

/* The answer, or the refusal as the per-VM socket sends it. */
static json_t *answer_of(struct sched_policy *sp, const char *line)
{
    struct stdvmm_error err;
    json_t *r = sched_policy_api(sp, line, strlen(line), &err);
    if (r == NULL && err.code == 0)
        fail_msg("'%s' not taken as a placement command", line);
    if (r == NULL)
        r = json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
    return r;
}

static json_t *api(const char *line)
{
    return answer_of(policy, line);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

/* command must be refused, its error containing text. */
static void assert_refused(const char *command, const char *text)
{
    json_t *r = api(command);
    assert_false(json_is_true(json_object_get(r, "ok")));
    if (strstr(str(r, "error"), text) == NULL)
        fail_msg("'%s': '%s' does not say '%s'", command, str(r, "error"), text);
    json_decref(r);
}

static void affinity_text(pid_t tid, char *buf, size_t size)
{
    cpu_set_t set;
    struct placement_cpuset ps = {0};
    assert_int_equal(sched_getaffinity(tid, sizeof(set), &set), 0);
    for (unsigned c = 0; c < CPU_SETSIZE && c < PLACEMENT_MAX_PCPUS; c++)
        if (CPU_ISSET(c, &set))
            placement_cpuset_add(&ps, c);
    placement_cpuset_format(&ps, buf, size);
}

static void vcpu_affinity_follows_its_placement(void **state)
{
    (void)state;
    struct vmm_placement p;
    pthread_t thread;
    cpu_set_t host;
    char all[256], now[256], cmd[64], want[64];

    assert_int_equal(sched_getaffinity(0, sizeof(host), &host), 0);
    unsigned first = 0;
    while (!CPU_ISSET(first, &host))
        first++;
    affinity_text(0, all, sizeof(all));

    placement_init(&p);
    assert_int_equal(sched_policy_start(&policy, &p, 2), 0);
    assert_non_null(policy);
    assert_int_equal(pthread_create(&thread, NULL, vcpu_thread, NULL), 0);
    pthread_mutex_lock(&lock);
    while (vcpu_tid == 0)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    assert_int_equal(enter_result, 0);

    /* Both vCPUs floating; vCPU 0 has a thread, vCPU 1 none yet. */
    json_t *r = api("placement\n");
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_t *vcpus = json_object_get(r, "vcpus");
    assert_int_equal(json_array_size(vcpus), 2);
    json_t *v0 = json_array_get(vcpus, 0);
    assert_int_equal(json_integer_value(json_object_get(v0, "tid")), vcpu_tid);
    assert_string_equal(str(v0, "placement"), "pcpus=any");
    assert_string_equal(str(v0, "mechanism"), "time-shared");
    assert_string_equal(str(v0, "affinity"), all);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(vcpus, 1), "tid")), 0);
    json_decref(r);

    /* Pinned: the kernel says so, and so does the answer. */
    snprintf(cmd, sizeof(cmd), "vcpu 0 pcpus=%u", first);
    snprintf(want, sizeof(want), "%u", first);
    r = api(cmd);
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_t *v = json_object_get(r, "vcpu");
    assert_string_equal(str(v, "placement"), cmd + 7);
    assert_string_equal(str(v, "affinity"), want);
    json_decref(r);
    affinity_text(vcpu_tid, now, sizeof(now));
    assert_string_equal(now, want);

    /* Refused changes leave the vCPU where it is. */
    snprintf(cmd, sizeof(cmd), "vcpu 1 pcpus=%u,dedicated", first);
    assert_refused(cmd, "also placed for vcpu");
    assert_refused("vcpu 0 priority=256", "0-255");
    assert_refused("vcpu 0 speed=11", "not a placement field");
    assert_refused("vcpu 2 pcpus=any", "no vCPU 2 (this VM has 2)");
    assert_refused("vcpu 4294967296 pcpus=any", "expected: vcpu N");
    assert_refused("vcpu x", "expected: vcpu N");
    affinity_text(vcpu_tid, now, sizeof(now));
    assert_string_equal(now, want);
    r = api("placement");
    assert_string_equal(str(json_array_get(json_object_get(r, "vcpus"), 1), "placement"),
                        "pcpus=any");
    json_decref(r);

    /* Floating again: every CPU the VMM had. */
    r = api("vcpu 0 pcpus=any");
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    affinity_text(vcpu_tid, now, sizeof(now));
    assert_string_equal(now, all);

    /* Not a placement command: left to the socket's other commands. */
    struct stdvmm_error err;
    assert_null(sched_policy_api(policy, "info", 4, &err));
    assert_int_equal(err.code, 0);

    pthread_mutex_lock(&lock);
    quit = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    sched_policy_stop(policy);
    policy = NULL; /* a VM started without a placement */
    assert_refused("vcpu 0 pcpus=any", "not active");
}

/* Two VMs in one process: each answers for its own vCPUs (the state used to be one static). */
static void two_vms_keep_their_own_placement(void **state)
{
    struct vmm_placement p1, p3;
    struct sched_policy *a, *b;
    (void)state;

    placement_init(&p1);
    placement_init(&p3);
    assert_int_equal(sched_policy_start(&a, &p1, 1), 0);
    assert_int_equal(sched_policy_start(&b, &p3, 3), 0);
    assert_ptr_not_equal(a, b);

    json_t *r = answer_of(b, "vcpu 2 weight=300");
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    r = answer_of(a, "vcpu 2 weight=300");
    assert_false(json_is_true(json_object_get(r, "ok")));
    assert_non_null(strstr(str(r, "error"), "no vCPU 2 (this VM has 1)"));
    json_decref(r);

    r = answer_of(a, "placement");
    assert_int_equal(json_array_size(json_object_get(r, "vcpus")), 1);
    json_decref(r);
    r = answer_of(b, "placement");
    json_t *vcpus = json_object_get(r, "vcpus");
    assert_int_equal(json_array_size(vcpus), 3);
    assert_string_equal(str(json_array_get(vcpus, 2), "placement"), "pcpus=any,weight=300");
    assert_string_equal(str(json_array_get(vcpus, 0), "placement"), "pcpus=any");
    json_decref(r);

    sched_policy_stop(a);
    r = answer_of(b, "placement"); /* b outlives a */
    assert_int_equal(json_array_size(json_object_get(r, "vcpus")), 3);
    json_decref(r);
    sched_policy_stop(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vcpu_affinity_follows_its_placement),
        cmocka_unit_test(two_vms_keep_their_own_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
