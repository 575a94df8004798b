/* SPDX-License-Identifier: BSD-2-Clause */
#include "rt.h"

#include <sel4/sel4.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* From seL4_tools' tls_rootserver.lds, which both programs are linked with. */
extern char _tdata_start[], _tdata_end[], _tbss_start[], _tbss_end[];

void sel4rt_start(void *arg);

/*
 * AArch64 TLS variant 1: TPIDR_EL0 points at a 16-byte thread control block
 * that the static TLS image follows. One block per thread; thread 0 is the
 * one the program was started on (crt0.S gives it its stack).
 */
#define TLS_MAX 4096
#define STACK_SIZE 0x10000
static _Alignas(64) uint8_t tls_blocks[SEL4RT_MAX_THREADS][TLS_MAX];
static _Alignas(16) uint8_t stacks[SEL4RT_MAX_THREADS - 1][STACK_SIZE];

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

/* Fills thread index's TLS block from the program's TLS image; NULL if it does not fit. */
static uint8_t *tls_prepare(unsigned index)
{
    size_t tdata = (size_t)(_tdata_end - _tdata_start);
    size_t tbss_off = (size_t)(_tbss_start - _tdata_start);
    size_t tbss = (size_t)(_tbss_end - _tbss_start);
    uint8_t *block = tls_blocks[index];

    if (16 + tbss_off + tbss > TLS_MAX) {
        sel4rt_debug_puts("stdvmm: thread-local data exceeds the runtime's block\n");
        return NULL;
    }
    memcpy(block + 16, _tdata_start, tdata);
    memset(block + 16 + tbss_off, 0, tbss);
    return block;
}

void sel4rt_start(void *arg)
{
    uint8_t *block = tls_prepare(0);

    if (block == NULL)
        return;
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(block));
    sel4rt_main(arg);
}

/* Where a thread of sel4rt_thread_start begins: stack and TLS are already set. */
static _Noreturn void thread_entry(void (*fn)(unsigned), unsigned arg)
{
    fn(arg);
    /* fn does not return by contract (a VMM thread ends in a stop report); give the core away. */
    sel4rt_debug_puts("stdvmm: a runtime thread returned\n");
    for (;;)
        seL4_Yield();
}

int sel4rt_thread_start(seL4_CPtr tcb, unsigned index, void (*fn)(unsigned), unsigned arg)
{
    if (index == 0 || index >= SEL4RT_MAX_THREADS)
        return -1;
    uint8_t *block = tls_prepare(index);
    if (block == NULL)
        return -1;
    seL4_UserContext regs;
    memset(&regs, 0, sizeof(regs));
    regs.pc = (seL4_Word)(uintptr_t)thread_entry;
    regs.sp = (seL4_Word)(uintptr_t)(stacks[index - 1] + STACK_SIZE);
    regs.x0 = (seL4_Word)(uintptr_t)fn;
    regs.x1 = arg;
    regs.tpidr_el0 = (seL4_Word)(uintptr_t)block;
    seL4_Error err = seL4_TCB_WriteRegisters(tcb, true, 0, sizeof(regs) / sizeof(seL4_Word), &regs);
    return err == seL4_NoError ? 0 : -1;
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
