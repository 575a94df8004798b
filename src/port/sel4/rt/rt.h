/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The small runtime shared by the root task and the VMM program: stack and
 * thread-local storage set-up (libsel4 keeps the IPC buffer pointer, and
 * picolibc errno, in TLS), stack-protector symbols for Debian's hardened
 * static libraries, and the program's entry point.
 */
#ifndef STDVMM_PORT_SEL4_RT_H
#define STDVMM_PORT_SEL4_RT_H

#include <sel4/sel4.h>

/* Threads a program may run: the first plus up to 7 it starts (a VMM: one per vCPU). */
#define SEL4RT_MAX_THREADS 8

/* Each program defines this; arg is what the thread was started with in x0. */
void sel4rt_main(void *arg);

/* A backend program's name, its log lines' prefix (rt/backend_log.c); each backend defines it. */
extern const char sel4rt_program_name[];

/* Writes a string to the kernel's debug console (seL4_DebugPutChar). */
void sel4rt_debug_puts(const char *s);

/*
 * Starts the configured but not yet running TCB tcb (same VSpace and
 * CSpace as the caller) as the program's thread index (1..7), with a
 * 64 KiB stack and TLS block of its own, running fn(arg). The thread must
 * call seL4_SetIPCBuffer() before its first IPC. 0, or -1 on failure.
 */
int sel4rt_thread_start(seL4_CPtr tcb, unsigned index, void (*fn)(unsigned), unsigned arg);

#endif
