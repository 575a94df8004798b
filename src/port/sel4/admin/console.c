/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The admin's console. Output of the admin and of every VM goes through the
 * kernel's debug console (seL4_DebugPutChar), one whole line at a time from
 * the admin, which runs above all VMMs: lines of different VMs never mix.
 * Input: the admin maps QEMU virt's PL011 (which the kernel only writes to)
 * and takes its receive interrupt on a notification bound to its thread.
 * Commands: list, start NAME, stop NAME, restart NAME, sched, help.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "stdvmm/log.h"

#define PL011_PADDR 0x09000000ull
#define PL011_IRQ 33 /* SPI 1 */
#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_FR_RXFE (1u << 4)
#define PL011_IMSC 0x38
#define PL011_ICR 0x44
#define PL011_RXIM (1u << 4)
#define PL011_RTIM (1u << 6)

static seL4_CPtr irq_handler;
static char line[128];
static unsigned line_len;

static volatile uint32_t *uart_reg(unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(ADMIN_UART_VA + off);
}

void console_printf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p != '\0'; p++)
        seL4_DebugPutChar(*p);
}

int console_init(void)
{
    seL4_CPtr frame = seL4_CapNull, ntfn = seL4_CapNull;
    seL4_Error err = device_frames(PL011_PADDR, 0, &frame);

    if (err == seL4_NoError)
        err = vs_map(seL4_CapInitThreadVSpace, frame, ADMIN_UART_VA, seL4_ReadWrite,
                     seL4_ARM_ExecuteNever, &admin.own);
    if (err == seL4_NoError)
        err = admin_retype(seL4_NotificationObject, 0, seL4_NotificationBits, &ntfn);
    admin.console_ntfn = ntfn;
    irq_handler = admin_slots(1);
    if (err == seL4_NoError)
        err = seL4_IRQControl_GetTrigger(seL4_CapIRQControl, PL011_IRQ, 0, seL4_CapInitThreadCNode,
                                         irq_handler, seL4_WordBits);
    seL4_CPtr badged = admin_slots(1);
    if (err == seL4_NoError)
        err =
            seL4_CNode_Mint(seL4_CapInitThreadCNode, badged, seL4_WordBits, seL4_CapInitThreadCNode,
                            ntfn, seL4_WordBits, seL4_AllRights, SEL4_BADGE_CONSOLE_IRQ);
    if (err == seL4_NoError)
        err = seL4_IRQHandler_SetNotification(irq_handler, badged);
    if (err == seL4_NoError)
        err = seL4_TCB_BindNotification(seL4_CapInitThreadTCB, ntfn);
    if (err != seL4_NoError) {
        console_printf("admin: console input (PL011 at 0x%llx, IRQ %d): error %d\n",
                       (unsigned long long)PL011_PADDR, PL011_IRQ, err);
        return -1;
    }
    *uart_reg(PL011_ICR) = 0x7ff;
    *uart_reg(PL011_IMSC) = PL011_RXIM | PL011_RTIM;
    seL4_IRQHandler_Ack(irq_handler);
    console_printf("admin: commands on this console: list, start NAME, stop NAME, restart NAME, "
                   "sched, util [start], vcpu NAME N [core=C] [prio=P] [budget=R/P]\n");
    return 0;
}

#ifdef CONFIG_BENCHMARK_TRACK_UTILISATION
/*
 * The kernel keeps utilisation per core, started and finalised by a thread
 * on that core: the admin visits each core in turn, then goes home.
 */
static void go_to_core(unsigned core)
{
#if CONFIG_MAX_NUM_NODES > 1
#ifdef CONFIG_KERNEL_MCS
    /* An MCS thread runs where its scheduling context is. */
    seL4_SchedControl_ConfigureFlags(admin.bi->schedcontrol.start + core, seL4_CapInitThreadSC,
                                     FULL_SC_US, FULL_SC_US, 0, 0, 0);
#else
    seL4_TCB_SetAffinity(seL4_CapInitThreadTCB, core);
#endif
#else
    (void)core;
#endif
}

static void on_each_core(void (*fn)(void))
{
    for (unsigned core = 0; core < CONFIG_MAX_NUM_NODES; core++) {
        go_to_core(core);
        fn();
    }
    go_to_core(0);
}

static void util_start(void)
{
    seL4_BenchmarkResetLog();
    seL4_BenchmarkResetAllThreadsUtilisation();
}

static void util_stop(void)
{
    seL4_BenchmarkFinalizeLog();
}

/* `util start`: the kernel starts counting; `util`: each vCPU's share of its core since. */
static void util(const char *arg)
{
    if (arg != NULL && strcmp(arg, "start") == 0) {
        on_each_core(util_start);
        console_printf("admin: util: measuring on %d core(s); 'util' reports\n",
                       CONFIG_MAX_NUM_NODES);
        return;
    }
    on_each_core(util_stop);
    vm_util_report();
    console_printf("admin: util: end of report\n");
}
#endif

/* A decimal number of at most 3 digits; -1 if s is anything else. */
static int small_number(const char *s)
{
    int n = 0;
    unsigned digits = 0;

    for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
        n = n * 10 + (*s - '0');
    return *s == '\0' && digits > 0 && digits < 4 ? n : -1;
}

/* "3ms", "500us", "1s", or plain microseconds; false if s is none of those or too long. */
static bool duration_us(const char *s, uint32_t *us)
{
    uint64_t n = 0;
    unsigned digits = 0;

    for (; *s >= '0' && *s <= '9' && digits < 8; s++, digits++)
        n = n * 10 + (uint64_t)(*s - '0');
    if (digits == 0 || digits == 8)
        return false;
    if (strcmp(s, "ms") == 0)
        n *= 1000;
    else if (strcmp(s, "s") == 0)
        n *= 1000000;
    else if (*s != '\0' && strcmp(s, "us") != 0)
        return false;
    if (n > UINT32_MAX)
        return false;
    *us = (uint32_t)n;
    return true;
}

/* "RUNTIME/PERIOD" (stdvmm's placement spelling) or "none". */
static bool budget_spec(char *s, struct vcpu_place *p)
{
    p->set_budget = true;
    if (strcmp(s, "none") == 0) {
        p->budget_us = p->period_us = 0;
        return true;
    }
    char *slash = strchr(s, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    return duration_us(s, &p->budget_us) && duration_us(slash + 1, &p->period_us) &&
           p->budget_us != 0;
}

/*
 * `vcpu NAME N [core=C] [prio=P] [budget=R/P|none]`: the paper's
 * acquire/release of vCPUs at run time.
 */
static void vcpu_command(char *arg)
{
    char *words[6];
    unsigned n = 0;

    for (char *w = arg; w != NULL && *w != '\0' && n < 6;) {
        words[n++] = w;
        w = strchr(w, ' ');
        if (w != NULL) {
            *w++ = '\0';
            while (*w == ' ')
                w++;
        }
    }
    int vm = n >= 2 ? vm_find(words[0]) : -1, vcpu = n >= 2 ? small_number(words[1]) : -1;
    struct vcpu_place p = {.core = -1, .prio = -1};
    bool ok = vm >= 0 && vcpu >= 0 && n >= 3;
    for (unsigned i = 2; ok && i < n; i++) {
        if (strncmp(words[i], "core=", 5) == 0)
            ok = (p.core = small_number(words[i] + 5)) >= 0;
        else if (strncmp(words[i], "prio=", 5) == 0)
            ok = (p.prio = small_number(words[i] + 5)) >= 0;
        else if (strncmp(words[i], "budget=", 7) == 0)
            ok = budget_spec(words[i] + 7, &p);
        else
            ok = false;
    }
    if (!ok) {
        console_printf("admin: usage: vcpu NAME N [core=C] [prio=P] [budget=RUNTIME/PERIOD|none] "
                       "(a running VM, see list; times like 3ms, 500us)\n");
        return;
    }
    vm_vcpu_place((unsigned)vm, (unsigned)vcpu, &p);
}

static void command(char *cmd)
{
    char *arg = strchr(cmd, ' ');

    if (arg != NULL) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    }
    if (cmd[0] == '\0')
        return;
    if (strcmp(cmd, "list") == 0) {
        vm_list();
        return;
    }
    if (strcmp(cmd, "sched") == 0) {
        /* The kernel's own view: every thread with its state, priority and core. */
        seL4_DebugDumpScheduler();
        return;
    }
#ifdef CONFIG_BENCHMARK_TRACK_UTILISATION
    if (strcmp(cmd, "util") == 0) {
        util(arg);
        return;
    }
#endif
    if (strcmp(cmd, "vcpu") == 0) {
        vcpu_command(arg);
        return;
    }
    if (strcmp(cmd, "help") == 0) {
        console_printf("admin: list | start NAME | stop NAME | restart NAME | sched | "
                       "util [start] | vcpu NAME N [core=C] [prio=P] [budget=R/P]\n");
        return;
    }
    bool start = strcmp(cmd, "start") == 0, stop = strcmp(cmd, "stop") == 0,
         restart = strcmp(cmd, "restart") == 0;
    if (!start && !stop && !restart) {
        console_printf("admin: unknown command '%s' (try help)\n", cmd);
        return;
    }
    int vm = arg != NULL ? vm_find(arg) : -1;
    if (vm < 0) {
        console_printf("admin: %s: no VM called '%s' (see list)\n", cmd, arg ? arg : "");
        return;
    }
    if (stop || restart)
        vm_stop((unsigned)vm, "stopped from the console");
    if (start || restart)
        vm_start((unsigned)vm);
}

void console_irq(void)
{
    while (!(*uart_reg(PL011_FR) & PL011_FR_RXFE)) {
        char c = (char)(*uart_reg(PL011_DR) & 0xff);
        if (c == '\r' || c == '\n') {
            line[line_len] = '\0';
            console_printf("\n");
            line_len = 0;
            command(line);
        } else if ((c == 0x7f || c == '\b') && line_len > 0) {
            line_len--;
            console_printf("\b \b");
        } else if (c >= ' ' && c < 0x7f && line_len + 1 < sizeof(line)) {
            line[line_len++] = c;
            seL4_DebugPutChar(c);
        }
    }
    *uart_reg(PL011_ICR) = PL011_RXIM | PL011_RTIM;
    seL4_IRQHandler_Ack(irq_handler);
}

/* The log sink of the portable code the admin links (planning). */
void stdvmm_log(enum stdvmm_log_level level, const char *func, int line_no, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char buf[512];
    va_list ap;

    if (level > STDVMM_LOG_INFO)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_printf("admin: %s: %s:%d: %s\n", names[level & 3], func, line_no, buf);
}
