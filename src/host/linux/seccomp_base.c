/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every thread's list: what glibc does on any thread's behalf (malloc,
 * mutexes and condition variables, the clock, stdio for the log) and a
 * thread's own end. Nothing here opens, creates or reaches anything new.
 */
#include <errno.h>

#include "seccomp_lists.h"

static const struct sc_rule rules[] = {
    /* malloc's arenas and mmap'd chunks; a thread's stack is freed by madvise. */
    SC("brk"), SC("mmap"), SC("munmap"), SC("mremap"), SC("mprotect"), SC("madvise"),
    SC("futex"), SC("sched_yield"), SC("set_robust_list"), SC("rseq"),
    SC("clock_gettime"), SC("clock_nanosleep"), SC("nanosleep"), SC("gettimeofday"),
    SC("clock_getres"),
    /* The log goes to stderr; stdio asks for the descriptor's type once. */
    SC("write"), SC("writev"), SC("read"), SC("readv"), SC("close"), SC("fstat"),
    SC("newfstatat"), SC("statx"), SC("lseek"), SC("fcntl"),
    SC("poll"), SC("ppoll"),
    SC("getpid"), SC("gettid"), SC("getrandom"),
    /*
     * Kicking a vCPU out of KVM_RUN, and abort(): signals to this process's
     * own threads only, never another process.
     */
    SC_SELF("tgkill", 0), SC("rt_sigreturn"), SC("rt_sigprocmask"), SC("sigaltstack"),
    SC("exit"), SC("exit_group"),
    /*
     * A wait with a timeout (futex, poll, nanosleep) that a signal
     * interrupted is resumed by the kernel through this; it can only go on
     * with that call. Without it a disk's device thread (the one with
     * io_uring workers) was killed under fio (bench/io and bench/profile,
     * 2026-12-05).
     */
    SC("restart_syscall"),
    /*
     * glibc tries clone3 first and falls back to clone, whose flags a
     * filter can see (clone3 passes them in memory): ENOSYS steers it there.
     */
    SC_FAIL("clone3", ENOSYS),
};
SC_LIST(sc_base, "base", rules);
