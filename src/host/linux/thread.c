/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>

#include "stdvmm/host/linux.h"

int host_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    int e = pthread_attr_init(&attr);
    if (e != 0)
        return e;
    e = pthread_attr_setstacksize(&attr, HOST_THREAD_STACK);
    if (e == 0)
        e = pthread_create(thread, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return e;
}
