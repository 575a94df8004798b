// SPDX-License-Identifier: BSD-2-Clause
/*
 * The isolation benchmark's guest half (a small cyclictest): sleeps 1 ms
 * with clock_nanosleep on absolute CLOCK_MONOTONIC deadlines, N times, and
 * records how late each wake-up is (the overshoot past the deadline, in
 * microseconds). Prints one line with the percentiles. Absolute deadlines
 * keep a late wake-up from shifting the following ones.
 *
 *   jitter [LOOPS]    default 3000 (3 s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define JITTER_PERIOD_NS 1000000L

static long long jitter_ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int jitter_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long loops = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
    if (loops < 100 || loops > 1000000) {
        fprintf(stderr, "jitter: LOOPS must be 100-1000000\n");
        return 2;
    }
    long long *late = malloc((size_t)loops * sizeof(*late));
    struct timespec next, now;

    if (late == NULL)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < loops; i++) {
        next.tv_nsec += JITTER_PERIOD_NS;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        late[i] = jitter_ns(&now) - jitter_ns(&next);
        /* After a long stall, start again from now rather than catch up in a burst. */
        if (late[i] > 10 * JITTER_PERIOD_NS)
            next = now;
    }
    qsort(late, (size_t)loops, sizeof(*late), jitter_cmp);
    printf("stdvmm-jitter: loops=%ld p50_us=%lld p99_us=%lld max_us=%lld\n", loops,
           late[loops / 2] / 1000, late[loops * 99 / 100] / 1000, late[loops - 1] / 1000);
    free(late);
    return 0;
}
