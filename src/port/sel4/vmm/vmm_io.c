/* SPDX-License-Identifier: BSD-2-Clause */
#include "vmm/vmm_io.h"

#include <sel4/sel4.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "port/sel4/portable/sel4_plan.h"
#include "stdvmm/log.h"
#include "vmm_abi.h"

#ifndef STDVMM_SEL4_LOG_LEVEL
#define STDVMM_SEL4_LOG_LEVEL STDVMM_LOG_INFO
#endif
/* How long a writer waits for the admin to make room before dropping bytes. */
#define FULL_RING_YIELDS 1000

static struct sel4_console_ring *const ring =
    (struct sel4_console_ring *)(uintptr_t)SEL4_VMM_CONSOLE_VA;

void vmm_io_init(const char *vm_name)
{
    (void)vm_name;
}

static void signal_admin(void)
{
    seL4_Signal(SEL4_VMM_SLOT_CONSOLE_NTFN);
}

static void put(const char *buf, size_t len)
{
    uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
    bool signalled = false;

    for (size_t i = 0; i < len; i++) {
        unsigned spins = 0;
        while (head - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) >= SEL4_CONSOLE_RING_SIZE &&
               spins < FULL_RING_YIELDS) {
            if (!signalled) {
                __atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
                signal_admin();
                signalled = true;
            }
            seL4_Yield();
            spins++;
        }
        if (spins == FULL_RING_YIELDS) {
            __atomic_store_n(&ring->dropped, ring->dropped + 1, __ATOMIC_RELAXED);
            continue;
        }
        ring->data[head % SEL4_CONSOLE_RING_SIZE] = buf[i];
        head++;
    }
    __atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
}

void vmm_console_write(const uint8_t *buf, size_t len)
{
    bool newline = false;
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        /* The debug console wants bare newlines. */
        if (buf[i] == '\r') {
            put((const char *)buf + start, i - start);
            start = i + 1;
        } else if (buf[i] == '\n') {
            newline = true;
        }
    }
    put((const char *)buf + start, len - start);
    /* One notification per line keeps the admin's wake-ups to the guest's lines. */
    if (newline)
        signal_admin();
}

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line_no, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char buf[512];
    va_list ap;

    if ((int)level > STDVMM_SEL4_LOG_LEVEL)
        return;
    int n = snprintf(buf, sizeof(buf), "stdvmm: %s: %s:%d: ", names[level & 3], func, line_no);
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(buf);
    if (len == sizeof(buf) - 1)
        len--;
    buf[len++] = '\n';
    put(buf, len);
    signal_admin();
}

_Noreturn void vmm_report_stop(enum vm_stop_reason reason)
{
    signal_admin();
    for (;;) {
        seL4_SetMR(0, (seL4_Word)reason);
        /* No reply comes: the admin drains the console ring, then revokes this domain. */
        seL4_Call(SEL4_VMM_SLOT_ADMIN_EP, seL4_MessageInfo_new(SEL4_MSG_STOPPED, 0, 0, 1));
    }
}

uint64_t vmm_now_ns(void)
{
    uint64_t cnt, frq;

    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    if (frq == 0)
        return 0;
    /* Split to avoid overflowing cnt * 1e9 after ~5 hours at 1 GHz. */
    return cnt / frq * 1000000000ull + cnt % frq * 1000000000ull / frq;
}
