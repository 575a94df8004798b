/* SPDX-License-Identifier: BSD-2-Clause */
#include "vmm/vmm_io.h"

#include <sel4/sel4.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/log.h"
#include "vmm_abi.h"

#ifndef STDVMM_SEL4_LOG_LEVEL
#define STDVMM_SEL4_LOG_LEVEL STDVMM_LOG_INFO
#endif

static char line[SEL4_MSG_CONSOLE_MAX];
static size_t line_len;

void vmm_io_init(const char *vm_name)
{
    (void)vm_name;
    line_len = 0;
}

/* One IPC per line: the admin prints it whole, so lines of different VMs never mix. */
static void send(const char *buf, size_t len)
{
    seL4_Word words = 1 + (len + sizeof(seL4_Word) - 1) / sizeof(seL4_Word);

    seL4_SetMR(0, len);
    for (size_t w = 1; w < words; w++) {
        seL4_Word v = 0;
        for (size_t b = 0; b < sizeof(seL4_Word); b++) {
            size_t i = (w - 1) * sizeof(seL4_Word) + b;
            if (i < len)
                v |= (seL4_Word)(uint8_t)buf[i] << (8 * b);
        }
        seL4_SetMR(w, v);
    }
    seL4_Call(SEL4_VMM_SLOT_ADMIN_EP, seL4_MessageInfo_new(SEL4_MSG_CONSOLE, 0, 0, words));
}

static void flush(void)
{
    if (line_len != 0)
        send(line, line_len);
    line_len = 0;
}

void vmm_console_write(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = (char)buf[i];
        if (c == '\r')
            continue; /* the debug console wants bare newlines */
        line[line_len++] = c;
        if (c == '\n' || line_len == sizeof(line))
            flush();
    }
}

void stdvmm_log(enum stdvmm_log_level level, const char *func, int line_no, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char buf[SEL4_MSG_CONSOLE_MAX];
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
    flush(); /* a partial guest line first, so the order stays */
    send(buf, len);
}

_Noreturn void vmm_report_stop(enum vm_stop_reason reason)
{
    flush();
    for (;;) {
        seL4_SetMR(0, (seL4_Word)reason);
        /* No reply comes: the admin revokes this protection domain. */
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
