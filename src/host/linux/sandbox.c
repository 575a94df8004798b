/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's seccomp sandbox (stdvmm/host/sandbox.h): which lists each kind
 * of thread gets, building them with libseccomp, and the report of a
 * violation.
 *
 * A violation traps (SECCOMP_RET_TRAP) rather than killing outright
 * (SECCOMP_RET_KILL_PROCESS): the kernel would then end the process
 * without a word, and only a parent reading the audit log could say which
 * call it was. `stdvmm run` often has no parent that cares. The SIGSYS
 * handler here writes one line naming the thread kind, the call and its
 * first arguments with write(2) alone (async-signal-safe), then sends
 * itself SIGSYS with the default action, so the process still dies of
 * SIGSYS (and dumps core where that is enabled). The trapped call never
 * runs, whatever a compromised thread does with the signal.
 */
#include "stdvmm/host/sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "seccomp_lists.h"
#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#if STDVMM_HAVE_LIBSECCOMP
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#endif

/* ---- which lists each kind of thread gets ---- */

struct sc_use {
    const struct sc_list *list;
    unsigned need; /* 0: always; else only when host_sandbox_init's needs have this bit */
};

static const struct sc_use vcpu_uses[] = {
    {&sc_base, 0},  {&sc_event, 0}, {&sc_console_log, 0},
    {&sc_kvm_vcpu, 0}, {&sc_kvm_irq, 0}, {&sc_tap, 0}, {&sc_unix, HOST_SANDBOX_VHOST},
};
static const struct sc_use device_uses[] = {
    {&sc_base, 0}, {&sc_event, 0}, {&sc_console_log, 0},          {&sc_kvm_irq, 0},
    {&sc_disk, 0}, {&sc_tap, 0},   {&sc_uring, HOST_SANDBOX_URING}, {&sc_inet, HOST_SANDBOX_INET},
    {&sc_unix, HOST_SANDBOX_UNIX},
};
static const struct sc_use api_uses[] = {
    {&sc_base, 0}, {&sc_event, 0}, {&sc_api, 0}, {&sc_kvm_irq, 0}, {&sc_placement, 0},
};
static const struct sc_use supervisor_uses[] = {
    {&sc_base, 0}, {&sc_supervisor, 0},
};
static const struct sc_use switch_uses[] = {
    {&sc_base, 0},
    {&sc_switch, 0},
};
/*
 * The main thread starts the others, and a thread starts under its
 * creator's filter, so this list holds every other kind's too.
 */
static const struct sc_use main_uses[] = {
    {&sc_base, 0},        {&sc_build, 0},       {&sc_threads, 0},
    {&sc_placement, 0},   {&sc_event, 0},       {&sc_console_log, 0},
    {&sc_kvm_vcpu, 0},    {&sc_kvm_irq, 0},     {&sc_disk, 0},
    {&sc_tap, 0},         {&sc_api, 0},         {&sc_uring, HOST_SANDBOX_URING},
    {&sc_uring_setup, HOST_SANDBOX_URING},      {&sc_inet, HOST_SANDBOX_INET},
    {&sc_unix, HOST_SANDBOX_UNIX},
};

static const struct {
    const struct sc_use *uses;
    size_t count;
    const char *name;
} kinds[HOST_THREAD_KINDS] = {
    [HOST_THREAD_MAIN] = {main_uses, sizeof(main_uses) / sizeof(main_uses[0]), "main"},
    [HOST_THREAD_VCPU] = {vcpu_uses, sizeof(vcpu_uses) / sizeof(vcpu_uses[0]), "vcpu"},
    [HOST_THREAD_DEVICE] = {device_uses, sizeof(device_uses) / sizeof(device_uses[0]), "device"},
    [HOST_THREAD_API] = {api_uses, sizeof(api_uses) / sizeof(api_uses[0]), "api"},
    [HOST_THREAD_SUPERVISOR] = {supervisor_uses,
                                sizeof(supervisor_uses) / sizeof(supervisor_uses[0]),
                                "jail-supervisor"},
    [HOST_THREAD_SWITCH] = {switch_uses, sizeof(switch_uses) / sizeof(switch_uses[0]), "switch"},
};

const char *host_thread_kind_name(enum host_thread_kind kind)
{
    return (unsigned)kind < HOST_THREAD_KINDS ? kinds[kind].name : "unknown";
}

/* The rule for name that needs no condition, if this kind has one: conditions on it are moot. */
static const struct sc_rule *find_rule(enum host_thread_kind kind, unsigned needs,
                                       const char *name, bool unconditional)
{
    for (size_t u = 0; u < kinds[kind].count; u++) {
        const struct sc_use *use = &kinds[kind].uses[u];
        if (use->need != 0 && !(needs & use->need))
            continue;
        for (size_t i = 0; i < use->list->count; i++) {
            const struct sc_rule *r = &use->list->rules[i];
            if (strcmp(r->name, name) == 0 && (!unconditional || r->cond == SC_ANY))
                return r;
        }
    }
    return NULL;
}

#if STDVMM_HAVE_LIBSECCOMP

/* ---- state ---- */

static struct {
    bool ready;
    enum host_seccomp_mode mode;
    unsigned needs;
    int log_dir_fd;
    pid_t pid;
    int trip; /* a kind, or -1: STDVMM_TEST_SECCOMP_TRIP (docs/security.md) */
    struct sock_fprog prog[HOST_THREAD_KINDS];
} sb = {.log_dir_fd = -1, .trip = -1};

static __thread const char *thread_kind; /* for the SIGSYS line */

/* ---- the report of a violation ---- */

#define NAMED_SYSCALLS 512
static const char *syscall_names[NAMED_SYSCALLS]; /* resolved before any filter: no malloc later */
static char report_prefix[64];

struct line {
    char buf[320];
    size_t len;
};

static void put(struct line *l, const char *s)
{
    while (s != NULL && *s != '\0' && l->len < sizeof(l->buf))
        l->buf[l->len++] = *s++;
}

static void put_num(struct line *l, uint64_t v, unsigned base)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    if (base == 16)
        put(l, "0x");
    while (n > 0 && l->len < sizeof(l->buf))
        l->buf[l->len++] = digits[--n];
}

static void syscall_args(const void *uc_, uint64_t args[6])
{
    const ucontext_t *uc = uc_;
#if defined(__x86_64__)
    static const int regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
    for (int i = 0; i < 6; i++)
        args[i] = (uint64_t)uc->uc_mcontext.gregs[regs[i]];
#elif defined(__aarch64__)
    for (int i = 0; i < 6; i++)
        args[i] = uc->uc_mcontext.regs[i];
#else
    (void)uc;
    memset(args, 0, 6 * sizeof(args[0]));
#endif
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    struct line l = {.len = 0};
    int saved = errno;
    uint64_t args[6];
    int nr = si->si_syscall;

    syscall_args(uc, args);
    put(&l, report_prefix);
    put(&l, ": error: seccomp: the ");
    put(&l, thread_kind != NULL ? thread_kind : "unsandboxed");
    put(&l, " thread (tid ");
    put_num(&l, (uint64_t)syscall(SYS_gettid), 10);
    put(&l, ") made system call ");
    put_num(&l, (uint64_t)(unsigned)nr, 10);
    put(&l, " (");
    put(&l, nr >= 0 && nr < NAMED_SYSCALLS && syscall_names[nr] ? syscall_names[nr] : "?");
    put(&l, ", args ");
    put_num(&l, args[0], 16);
    put(&l, ", ");
    put_num(&l, args[1], 16);
    put(&l, "), which its allow-list forbids: the VMM stops with SIGSYS "
            "(--seccomp=log or off to debug)\r\n");
    ssize_t ignored = write(STDERR_FILENO, l.buf, l.len);
    (void)ignored;
    /*
     * SA_RESETHAND made SIGSYS's action the default again: the same call,
     * trapped again, now ends the process with SIGSYS. A signal the
     * process sent itself would not: as pid 1 of a jail's pid namespace
     * it ignores default-action signals, but the kernel's forced SIGSYS
     * kills even that.
     */
    (void)sig;
    syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    errno = saved;
    _exit(128 + SIGSYS); /* not reached */
}

static void name_syscalls(void)
{
    for (int nr = 0; nr < NAMED_SYSCALLS; nr++)
        syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

/* ---- building the filters ---- */

static struct scmp_arg_cmp cmp_eq(unsigned arg, uint64_t value)
{
    return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value, .datum_b = 0};
}

static int add_rule(scmp_filter_ctx ctx, enum host_thread_kind kind, unsigned needs,
                    const struct sc_rule *r, int log_dir_fd, pid_t pid)
{
    int nr = seccomp_syscall_resolve_name(r->name);
    int e = 0;

    if (nr == __NR_SCMP_ERROR)
        return 0; /* not on this architecture (open, poll, renameat on arm64) */
    if (r->cond != SC_ANY && r->cond != SC_ERRNO && find_rule(kind, needs, r->name, true))
        return 0; /* allowed without conditions by another concern */
    switch (r->cond) {
    case SC_ANY: e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); break;
    case SC_ERRNO: e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)r->value), nr, 0); break;
    case SC_ARG_EQ:
        e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp_eq(r->arg, r->value));
        break;
    case SC_ARG_MASKED:
        e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                             SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
        break;
    case SC_ARG_SELF:
        e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                             cmp_eq(r->arg, (uint64_t)pid));
        break;
    case SC_ARG_LOGDIR:
        if (log_dir_fd < 0)
            return 0; /* no console log: nothing may be created */
        if (r->value != 0)
            e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 2,
                                 cmp_eq(r->arg, (uint64_t)log_dir_fd),
                                 cmp_eq((unsigned)r->value, (uint64_t)log_dir_fd));
        else
            e = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                 cmp_eq(r->arg, (uint64_t)log_dir_fd));
        break;
    }
    if (e == -EEXIST)
        e = 0; /* the same rule from two concerns */
    if (e < 0)
        LOG_ERR("seccomp: %s list: cannot add %s: %s", kinds[kind].name, r->name, strerror(-e));
    return e;
}

static scmp_filter_ctx build(enum host_thread_kind kind, enum host_seccomp_mode mode,
                             unsigned needs, int log_dir_fd, pid_t pid)
{
    scmp_filter_ctx ctx = seccomp_init(mode == HOST_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
    if (ctx == NULL)
        return NULL;
    /* Set once for the process by host_sandbox_init; per thread it is inherited. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
        goto fail;
    for (size_t u = 0; u < kinds[kind].count; u++) {
        const struct sc_use *use = &kinds[kind].uses[u];
        if (use->need != 0 && !(needs & use->need))
            continue;
        for (size_t i = 0; i < use->list->count; i++) {
            if (add_rule(ctx, kind, needs, &use->list->rules[i], log_dir_fd, pid) < 0)
                goto fail;
        }
    }
    return ctx;
fail:
    seccomp_release(ctx);
    return NULL;
}

/*
 * A filter kept as the BPF program libseccomp makes of it, not as its
 * context: the six contexts held ~257 KiB of the VMM's heap for as long as
 * it ran (docs/benchmarks.md), and seccomp_load compiled one again, with
 * allocations of its own, in every thread that started.
 */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
    int fd = memfd_create("stdvmm-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct sock_filter *insns = NULL;
    int e = seccomp_export_bpf(ctx, fd);
    off_t size = e == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (e == 0 && (size <= 0 || size % (off_t)sizeof(*insns) != 0 ||
                   size / (off_t)sizeof(*insns) > BPF_MAXINSNS))
        e = -STDVMM_EINVAL;
    if (e == 0 && (insns = malloc((size_t)size)) == NULL)
        e = -STDVMM_ENOMEM;
    if (e == 0 && pread(fd, insns, (size_t)size, 0) != size)
        e = -STDVMM_EIO;
    close(fd);
    if (e != 0) {
        free(insns);
        return e;
    }
    *prog =
        (struct sock_fprog){.len = (unsigned short)(size / (off_t)sizeof(*insns)), .filter = insns};
    return 0;
}

int host_sandbox_init(enum host_seccomp_mode mode, unsigned needs, int log_dir_fd)
{
    /* Always: no set-uid or file-capability program gains rights through this process. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        LOG_ERR("cannot set no_new_privs: %s", strerror(errno));
        return -errno;
    }
    sb.mode = mode;
    sb.needs = needs;
    sb.log_dir_fd = log_dir_fd;
    sb.pid = getpid();
    const char *trip = getenv("STDVMM_TEST_SECCOMP_TRIP");
    for (int k = 0; trip != NULL && k < HOST_THREAD_KINDS; k++) {
        if (strcmp(trip, kinds[k].name) == 0)
            sb.trip = k;
    }
    if (mode == HOST_SECCOMP_OFF) {
        LOG_WARN("seccomp is off (--seccomp=off): a compromised device model has every "
                 "system call");
        sb.ready = true; /* no filters; the test trip still runs, and passes */
        return 0;
    }
    name_syscalls();
    const char *prefix = host_log_prefix();
    memcpy(report_prefix, prefix, strnlen(prefix, sizeof(report_prefix) - 1));
    for (int k = 0; k < HOST_THREAD_KINDS; k++) {
        scmp_filter_ctx ctx = build((enum host_thread_kind)k, mode, needs, log_dir_fd, sb.pid);
        int e = ctx != NULL ? export_bpf(ctx, &sb.prog[k]) : -STDVMM_EINVAL;
        if (ctx != NULL)
            seccomp_release(ctx);
        if (e != 0) {
            LOG_ERR("seccomp: cannot build the %s thread's filter", kinds[k].name);
            return -STDVMM_EINVAL;
        }
    }
    struct sigaction sa = {.sa_sigaction = on_sigsys,
                           .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        return -errno;
    sb.ready = true;
    LOG_INFO("seccomp: %s mode, a filter per thread kind (main, vcpu, device, api)",
             host_seccomp_mode_name(mode));
    return 0;
}

void host_sandbox_enter(enum host_thread_kind kind)
{
    if (!sb.ready || (unsigned)kind >= HOST_THREAD_KINDS)
        return;
    /* The call libseccomp's seccomp_load makes (no flags: no TSYNC, no LOG). */
    int e = sb.mode == HOST_SECCOMP_OFF ||
                    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb.prog[kind]) == 0
                ? 0
                : -errno;
    if (e < 0) {
        LOG_ERR("seccomp: cannot load the %s thread's filter: %s; stopping", kinds[kind].name,
                strerror(-e));
        _exit(1);
    }
    thread_kind = kinds[kind].name;
    if (sb.trip == (int)kind) {
        LOG_WARN("STDVMM_TEST_SECCOMP_TRIP=%s: making a forbidden system call (getppid) from "
                 "this %s thread",
                 kinds[kind].name, kinds[kind].name);
        syscall(SYS_getppid);
    }
}

int host_sandbox_verdict(enum host_thread_kind kind, unsigned needs, const char *name)
{
    if ((unsigned)kind >= HOST_THREAD_KINDS)
        return -1;
    if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
        return -1;
    /* The same lists must also make a filter. */
    scmp_filter_ctx ctx = build(kind, HOST_SECCOMP_KILL, needs, 3, getpid());
    if (ctx == NULL)
        return -1;
    seccomp_release(ctx);
    if (find_rule(kind, needs, name, true) != NULL)
        return HOST_SANDBOX_ALLOWED;
    const struct sc_rule *r = find_rule(kind, needs, name, false);
    return r == NULL || r->cond == SC_ERRNO ? HOST_SANDBOX_DENIED : HOST_SANDBOX_CONDITIONAL;
}

#else /* !STDVMM_HAVE_LIBSECCOMP */

int host_sandbox_init(enum host_seccomp_mode mode, unsigned needs, int log_dir_fd)
{
    (void)needs;
    (void)log_dir_fd;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (mode == HOST_SECCOMP_OFF)
        return 0;
    LOG_ERR("this stdvmm was built without libseccomp (Debian: libseccomp-dev) and cannot "
            "sandbox the VMM; run it with --seccomp=off to go without");
    return -STDVMM_ENOTSUP;
}

void host_sandbox_enter(enum host_thread_kind kind)
{
    (void)kind;
}

int host_sandbox_verdict(enum host_thread_kind kind, unsigned needs, const char *name)
{
    (void)kind;
    (void)needs;
    (void)name;
    (void)find_rule;
    return -1;
}

#endif
