/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the arch-hook tests (test_a64_arch.c, test_rv64_arch.c) share: a
 * port whose VM and vCPUs are only names, a log of the calls the test's own
 * port functions make (record), one VM with 64 MiB of RAM and two vCPUs,
 * and the steps every build ends with. Header-only, for one test program
 * each (static storage).
 */
#ifndef STDVMM_TEST_ARCH_RECORD_H
#define STDVMM_TEST_ARCH_RECORD_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "stdvmm/arch.h"
#include "stdvmm/guest_memory.h"
#include "stdvmm/vm.h"

struct hv_vm {
    int unused;
};
struct hv_vcpu {
    unsigned index;
};

#define RAM_SIZE (64ull << 20)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vm vm;
static struct hv_vm hv;
static struct hv_vcpu hv_vcpus[2] = {{0}, {1}};
static char calls[1024]; /* "gic3 vcpu0 ..." since the build began */

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...)
{
    size_t used = strlen(calls);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(calls + used, sizeof(calls) - used, fmt, ap);
    va_end(ap);
}

/* The last step of a build, as machine_build does it: arch_vcpu_init for both vCPUs. */
static int init_vcpus(void)
{
    int r = 0;
    for (unsigned i = 0; r == 0 && i < 2; i++) {
        vm.vcpus[i].hv = &hv_vcpus[i];
        r = arch_vcpu_init(&vm, &vm.vcpus[i]);
    }
    return r;
}

/* The device tree the arch left for the guest (vm.boot.arg), with a valid header. */
static const void *dtb(void)
{
    const void *fdt = gmem_translate(&vm.mem, vm.boot.arg, 64);
    assert_non_null(fdt);
    assert_int_equal(fdt_check_header(fdt), 0);
    return fdt;
}

#endif
