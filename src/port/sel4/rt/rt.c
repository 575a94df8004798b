/* SPDX-License-Identifier: BSD-2-Clause */
#include "rt.h"

#include <sel4/sel4.h>
#include <stdint.h>
#include <string.h>

/* From seL4_tools' tls_rootserver.lds, which both programs are linked with. */
extern char _tdata_start[], _tdata_end[], _tbss_start[], _tbss_end[];

void sel4rt_start(void *arg);

/*
 * AArch64 TLS variant 1: TPIDR_EL0 points at a 16-byte thread control block
 * that the static TLS image follows. One thread per program, so one block.
 */
#define TLS_MAX 4096
static _Alignas(64) uint8_t tls_block[TLS_MAX];

/* Debian's libfdt is built with -fstack-protector-strong. */
uintptr_t __stack_chk_guard = 0x5e14f00d5e14f00dull;
void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
    sel4rt_debug_puts("stdvmm: stack protector tripped; stopping this thread\n");
    for (;;)
        seL4_DebugHalt();
}

void sel4rt_debug_puts(const char *s)
{
    for (; *s != '\0'; s++)
        seL4_DebugPutChar(*s);
}

void sel4rt_start(void *arg)
{
    size_t tdata = (size_t)(_tdata_end - _tdata_start);
    size_t tbss_off = (size_t)(_tbss_start - _tdata_start);
    size_t tbss = (size_t)(_tbss_end - _tbss_start);

    if (16 + tbss_off + tbss > TLS_MAX) {
        sel4rt_debug_puts("stdvmm: thread-local data exceeds the runtime's block\n");
        return;
    }
    memcpy(tls_block + 16, _tdata_start, tdata);
    memset(tls_block + 16 + tbss_off, 0, tbss);
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(tls_block));
    sel4rt_main(arg);
}

/* libsel4's own assertions (debug kernels) end here. */
void __assert_fail(const char *str, const char *file, int line, const char *function)
{
    char buf[32];
    unsigned n = 0;
    char digits[12];

    sel4rt_debug_puts("stdvmm: libsel4 assertion failed: ");
    sel4rt_debug_puts(str);
    sel4rt_debug_puts(" in ");
    sel4rt_debug_puts(function);
    sel4rt_debug_puts(" at ");
    sel4rt_debug_puts(file);
    sel4rt_debug_puts(":");
    for (unsigned v = line > 0 ? (unsigned)line : 0; n == 0 || v != 0; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    for (unsigned i = 0; i < n; i++)
        buf[i] = digits[n - 1 - i];
    buf[n] = '\0';
    sel4rt_debug_puts(buf);
    sel4rt_debug_puts("\n");
    for (;;)
        seL4_DebugHalt();
}
