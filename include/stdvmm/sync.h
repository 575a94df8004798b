/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A spin lock from C11 atomics, which are part of freestanding C: device
 * models are reached from several vCPU threads but must not depend on
 * pthreads (the seL4 port has none). Critical sections are register
 * accesses, a few hundred instructions at most.
 */
#ifndef STDVMM_SYNC_H
#define STDVMM_SYNC_H

#include <stdatomic.h>

typedef struct {
    atomic_flag flag;
} stdvmm_lock_t;

#define STDVMM_LOCK_INIT                                                                           \
    {                                                                                              \
        ATOMIC_FLAG_INIT                                                                           \
    }

static inline void stdvmm_lock_init(stdvmm_lock_t *l)
{
    atomic_flag_clear_explicit(&l->flag, memory_order_release);
}

static inline void stdvmm_lock(stdvmm_lock_t *l)
{
    while (atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire)) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ volatile("yield");
#endif
    }
}

static inline void stdvmm_unlock(stdvmm_lock_t *l)
{
    atomic_flag_clear_explicit(&l->flag, memory_order_release);
}

#endif
