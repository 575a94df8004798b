/* SPDX-License-Identifier: BSD-2-Clause */
#include <time.h>

#include "stdvmm/host/linux.h"

static uint64_t start_ns, start_wall_s;

uint64_t host_clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t host_clock_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void host_clock_start(void)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    start_ns = host_clock_monotonic_ns();
    start_wall_s = wall.tv_sec > 0 ? (uint64_t)wall.tv_sec : 0;
}

uint64_t host_clock_start_wall_s(void)
{
    return start_wall_s;
}

uint64_t host_clock_ns(void)
{
    return host_clock_monotonic_ns() - start_ns;
}

uint64_t host_clock_start_ns(void)
{
    return start_ns;
}
