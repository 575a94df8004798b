/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU list grammar (src/sched/cpulist.c) and both sets that spell
 * themselves with it: format -> parse gives the same set back in each
 * joining (',' for people and the description, ':' inside placement specs),
 * and the refusals are the same whoever parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/cpulist.h"
#include "stdvmm/placement.h"
#include "stdvmm/system_config.h"

#define NCPUS 1024
#define WORDS (NCPUS / 64)

static void set_cpu(uint64_t *bits, unsigned c)
{
    bits[c / 64] |= 1ull << (c % 64);
}

/* Sets worth a round trip: runs at word edges, singles, the last CPU, everything. */
static void sample(unsigned which, uint64_t *bits)
{
    static const unsigned cpus[][8] = {
        {0},          {1023},       {0, 1},           {63, 64},
        {0, 2, 4, 6}, {5, 7, 8, 9}, {62, 63, 64, 65}, {127, 128, 1022, 1023},
    };
    memset(bits, 0, WORDS * sizeof(*bits));
    if (which < sizeof(cpus) / sizeof(cpus[0])) {
        set_cpu(bits, cpus[which][0]);
        for (unsigned i = 1; i < 8 && cpus[which][i] != 0; i++)
            set_cpu(bits, cpus[which][i]);
        return;
    }
    for (unsigned c = 0; c < NCPUS; c++) { /* every CPU, then every third */
        if (which == 8 || c % 3 == 0)
            set_cpu(bits, c);
    }
}

static void round_trip(void **state)
{
    static const struct {
        char sep;
        const char *seps;
    } joinings[] = {{',', ","}, {':', ": "}};
    (void)state;
    for (unsigned j = 0; j < 2; j++) {
        for (unsigned which = 0; which < 10; which++) {
            uint64_t set[WORDS], back[WORDS];
            char text[4 * NCPUS];
            sample(which, set);
            cpulist_format(set, NCPUS, joinings[j].sep, text, sizeof(text));
            assert_true(cpulist_parse(text, joinings[j].seps, back, NCPUS));
            assert_memory_equal(set, back, sizeof(set));
        }
    }
}

static void shortest_spelling(void **state)
{
    uint64_t set[WORDS];
    char text[64];

    (void)state;
    assert_true(cpulist_parse("6,0-3,2", ",", set, NCPUS));
    cpulist_format(set, NCPUS, ',', text, sizeof(text));
    assert_string_equal(text, "0-3,6");
    cpulist_format(set, NCPUS, ':', text, sizeof(text));
    assert_string_equal(text, "0-3:6");
    memset(set, 0, sizeof(set));
    cpulist_format(set, NCPUS, ',', text, sizeof(text));
    assert_string_equal(text, "");
}

static void refusals(void **state)
{
    static const char *bad[] = {"",   "a",    "1,",     ",1", "1,,2", "3-1",   "1-",
                                "-1", "1024", "0-1024", "+1", " 1",   "1-2-3", "1;2"};
    uint64_t set[WORDS];

    (void)state;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(cpulist_parse(bad[i], ",", set, NCPUS));
    /* Each joining accepts only its own separators. */
    assert_false(cpulist_parse("0:1", ",", set, NCPUS));
    assert_false(cpulist_parse("0,1", ": ", set, NCPUS));
    assert_true(cpulist_parse("0 1:3", ": ", set, NCPUS));
}

/* The two set types keep their spellings: ',' for host CPUs, ':' or ' ' for pCPUs. */
static void both_sets_agree(void **state)
{
    struct sysconf_cpuset host;
    struct placement_cpuset pcpus;
    char a[64], b[64];

    (void)state;
    assert_true(sysconf_parse_cpuset("0-3,6,8-9", &host));
    assert_true(placement_cpuset_parse("0-3:6 8-9", &pcpus));
    assert_memory_equal(host.bits, pcpus.bits, sizeof(host.bits));
    sysconf_cpuset_format(&host, a, sizeof(a));
    placement_cpuset_format(&pcpus, b, sizeof(b));
    assert_string_equal(a, "0-3,6,8-9");
    assert_string_equal(a, b);
    assert_false(placement_cpuset_parse("0,1", &pcpus));
    assert_false(sysconf_parse_cpuset("0:1", &host));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(shortest_spelling),
        cmocka_unit_test(refusals),
        cmocka_unit_test(both_sets_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
