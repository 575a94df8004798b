/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The small runtime shared by the root task and the VMM program: stack and
 * thread-local storage set-up (libsel4 keeps the IPC buffer pointer, and
 * picolibc errno, in TLS), stack-protector symbols for Debian's hardened
 * static libraries, and the program's entry point.
 */
#ifndef STDVMM_PORT_SEL4_RT_H
#define STDVMM_PORT_SEL4_RT_H

/* Each program defines this; arg is what the thread was started with in x0. */
void sel4rt_main(void *arg);

/* Writes a string to the kernel's debug console (seL4_DebugPutChar). */
void sel4rt_debug_puts(const char *s);

#endif
