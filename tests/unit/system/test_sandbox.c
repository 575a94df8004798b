/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's seccomp sandbox (stdvmm/host/sandbox.h): the --seccomp
 * spellings, what each thread kind's allow-list lets through, that every
 * name in the lists is a system call, and, in child processes, that a
 * loaded filter lets a device thread's work through and stops a forbidden
 * call with SIGSYS and a line naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "seccomp_lists.h"
#include "stdvmm/host/sandbox.h"

static void parse_modes(void **state)
{
    (void)state;
    enum host_seccomp_mode m = HOST_SECCOMP_OFF;
    assert_true(host_seccomp_parse_mode("kill", &m));
    assert_int_equal(m, HOST_SECCOMP_KILL);
    assert_true(host_seccomp_parse_mode("log", &m));
    assert_int_equal(m, HOST_SECCOMP_LOG);
    assert_true(host_seccomp_parse_mode("off", &m));
    assert_int_equal(m, HOST_SECCOMP_OFF);
    m = HOST_SECCOMP_LOG;
    assert_false(host_seccomp_parse_mode("KILL", &m));
    assert_false(host_seccomp_parse_mode("", &m));
    assert_false(host_seccomp_parse_mode("on", &m));
    assert_false(host_seccomp_parse_mode(NULL, &m));
    assert_int_equal(m, HOST_SECCOMP_LOG); /* untouched on a refusal */
    /* The configuration's zero value is the safe one. */
    assert_int_equal(HOST_SECCOMP_KILL, 0);
    assert_string_equal(host_seccomp_mode_name(HOST_SECCOMP_KILL), "kill");
}

#define V(kind, needs, name) host_sandbox_verdict(HOST_THREAD_##kind, (needs), (name))

static void verdicts(void **state)
{
    (void)state;
    /* Never, for any kind: starting programs, tracing, raw kernel interfaces. */
    static const char *const never[] = {"execve", "execveat", "ptrace", "process_vm_writev",
                                        "kexec_load", "init_module", "bpf", "mount",
                                        "setuid", "getppid"};
    for (int k = 0; k < HOST_THREAD_KINDS; k++) {
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
            int v = host_sandbox_verdict((enum host_thread_kind)k, ~0u, never[i]);
            if (v != HOST_SANDBOX_DENIED)
                fail_msg("%s thread: %s is %d, not denied", host_thread_kind_name(k), never[i],
                         v);
        }
        assert_int_equal(host_sandbox_verdict((enum host_thread_kind)k, 0, "futex"),
                         HOST_SANDBOX_ALLOWED);
        /* The kernel's restart of an interrupted timed poll or sleep: it killed a device thread. */
        assert_int_equal(host_sandbox_verdict((enum host_thread_kind)k, 0, "restart_syscall"),
                         HOST_SANDBOX_ALLOWED);
        /* clone3 fails (glibc falls back to clone, whose flags are checked). */
        assert_int_equal(host_sandbox_verdict((enum host_thread_kind)k, 0, "clone3"),
                         HOST_SANDBOX_DENIED);
    }
    assert_int_equal(V(MAIN, 0, "nosuchcall"), -1);

    /* A vCPU runs, raises interrupts, writes the console log; it opens nothing else. */
    assert_int_equal(V(VCPU, ~0u, "ioctl"), HOST_SANDBOX_CONDITIONAL);
    assert_int_equal(V(VCPU, ~0u, "openat"), HOST_SANDBOX_CONDITIONAL);
    assert_int_equal(V(VCPU, ~0u & ~HOST_SANDBOX_VHOST, "socket"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(VCPU, ~0u & ~HOST_SANDBOX_VHOST, "sendmsg"), HOST_SANDBOX_DENIED);
    /* With a vhost-user device the vCPU writing DRIVER_OK or a reset messages the backend. */
    assert_int_equal(V(VCPU, HOST_SANDBOX_VHOST, "sendmsg"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(VCPU, HOST_SANDBOX_VHOST, "bind"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(VCPU, ~0u, "clone"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(VCPU, ~0u, "io_uring_setup"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(VCPU, ~0u, "mkdirat"), HOST_SANDBOX_DENIED);

    /* Devices: sockets only for the backends this VM has, and only of their family. */
    assert_int_equal(V(DEVICE, 0, "socket"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, 0, "connect"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, HOST_SANDBOX_INET, "socket"), HOST_SANDBOX_CONDITIONAL);
    assert_int_equal(V(DEVICE, HOST_SANDBOX_UNIX, "socket"), HOST_SANDBOX_CONDITIONAL);
    assert_int_equal(V(DEVICE, HOST_SANDBOX_UNIX, "bind"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, 0, "io_uring_enter"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, HOST_SANDBOX_URING, "io_uring_enter"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(DEVICE, ~0u, "io_uring_setup"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, ~0u, "io_uring_register"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(DEVICE, 0, "preadv"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(DEVICE, 0, "getrandom"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(DEVICE, ~0u, "clone"), HOST_SANDBOX_DENIED);

    /* The control socket accepts and answers; it creates no socket. */
    assert_int_equal(V(API, 0, "accept4"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(API, 0, "socket"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(API, 0, "connect"), HOST_SANDBOX_DENIED);
    /* stdvmm-switch: talks on its accepted sockets and maps frontends' memory, opens nothing. */
    assert_int_equal(V(SWITCH, 0, "accept4"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(SWITCH, 0, "recvmsg"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(SWITCH, 0, "mmap"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(SWITCH, 0, "socket"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(SWITCH, 0, "connect"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(SWITCH, 0, "openat"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(SWITCH, 0, "unlink"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(SWITCH, 0, "execve"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(SWITCH, 0, "clone"), HOST_SANDBOX_DENIED);

    /* The main thread rebuilds VMs: any ioctl, threads but not processes. */
    assert_int_equal(V(MAIN, 0, "ioctl"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(MAIN, 0, "openat"), HOST_SANDBOX_ALLOWED);
    assert_int_equal(V(MAIN, 0, "clone"), HOST_SANDBOX_CONDITIONAL);
    assert_int_equal(V(MAIN, 0, "fork"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(MAIN, 0, "socket"), HOST_SANDBOX_DENIED);
    assert_int_equal(V(MAIN, HOST_SANDBOX_URING, "io_uring_setup"), HOST_SANDBOX_ALLOWED);
}

/* Every name in every list is a system call somewhere stdvmm runs (a typo would be skipped). */
static void names_exist(void **state)
{
    (void)state;
    const struct sc_list *lists[] = {
        &sc_base,  &sc_build, &sc_threads, &sc_placement,   &sc_kvm_vcpu,    &sc_kvm_irq,
        &sc_event, &sc_disk,  &sc_uring,   &sc_uring_setup, &sc_console_log, &sc_tap,
        &sc_inet,  &sc_unix,  &sc_api,     &sc_supervisor,  &sc_switch,
    };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        for (size_t i = 0; i < lists[l]->count; i++) {
            const char *n = lists[l]->rules[i].name;
            if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, n) == __NR_SCMP_ERROR &&
                seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, n) == __NR_SCMP_ERROR)
                fail_msg("list %s: '%s' is no system call on x86_64 or arm64",
                         lists[l]->concern, n);
        }
    }
}

/* ---- filters loaded for real, in child processes ---- */

struct child {
    int status;
    char err[1024]; /* its stderr */
    char proc_status[4096]; /* its /proc/PID/status once it has loaded its filter */
};

enum body { BODY_DEVICE_WORK, BODY_FORBIDDEN, BODY_TRIP };

/*
 * A device thread's usual work under its filter: memory, an eventfd
 * doorbell, poll, a write. _exit, not exit: nothing at exit (a sanitizer's
 * leak check) is part of the thread's list.
 */
static int device_work(void)
{
    char *p = malloc(1 << 20);
    if (p == NULL)
        return 10;
    memset(p, 1, 1 << 20);
    free(p);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return 11;
    uint64_t one = 1, got = 0;
    struct pollfd pfd = {.fd = efd, .events = POLLIN};
    if (write(efd, &one, 8) != 8 || poll(&pfd, 1, 1000) != 1 || read(efd, &got, 8) != 8 ||
        got != 1)
        return 12;
    close(efd);
    return 0;
}

static void run_child(enum host_seccomp_mode mode, enum body body, struct child *c)
{
    int err[2], ready[2], go[2];
    assert_int_equal(pipe(err), 0);
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err[1], STDERR_FILENO);
        close(err[0]);
        close(ready[0]);
        close(go[1]);
        if (body == BODY_TRIP)
            setenv("STDVMM_TEST_SECCOMP_TRIP", "device", 1);
        if (host_sandbox_init(mode, 0, -1) != 0)
            _exit(20);
        host_sandbox_enter(HOST_THREAD_DEVICE);
        char b = 0;
        /* Filter loaded: the parent reads our /proc status, then lets us go on. */
        if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
            _exit(21);
        int r = device_work();
        if (r == 0 && body == BODY_FORBIDDEN)
            syscall(SYS_getppid);
        _exit(r);
    }
    close(err[1]);
    close(ready[1]);
    close(go[0]);
    char b;
    if (read(ready[0], &b, 1) == 1) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(c->proc_status, 1, sizeof(c->proc_status) - 1, f);
        c->proc_status[n] = '\0';
        fclose(f);
        assert_int_equal(write(go[1], "g", 1), 1);
    }
    size_t len = 0;
    ssize_t n;
    while ((n = read(err[0], c->err + len, sizeof(c->err) - 1 - len)) > 0)
        len += (size_t)n;
    c->err[len] = '\0';
    assert_int_equal(waitpid(pid, &c->status, 0), pid);
    close(err[0]);
    close(ready[0]);
    close(go[1]);
}

static void filter_lets_device_work_through(void **state)
{
    (void)state;
    struct child c = {0};
    run_child(HOST_SECCOMP_KILL, BODY_DEVICE_WORK, &c);
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
        fail_msg("the device thread's work did not pass its filter (status 0x%x): %s", c.status,
                 c.err);
    assert_non_null(strstr(c.proc_status, "Seccomp:\t2"));
    assert_non_null(strstr(c.proc_status, "NoNewPrivs:\t1"));
}

static void forbidden_call_is_sigsys_and_named(void **state)
{
    (void)state;
    struct child c = {0};
    run_child(HOST_SECCOMP_KILL, BODY_FORBIDDEN, &c);
    if (!WIFSIGNALED(c.status) || WTERMSIG(c.status) != SIGSYS)
        fail_msg("a forbidden call did not end the process with SIGSYS (status 0x%x): %s",
                 c.status, c.err);
    if (strstr(c.err, "the device thread") == NULL || strstr(c.err, "(getppid,") == NULL)
        fail_msg("the log does not name the thread and the call: %s", c.err);
}

static void test_trip_is_sigsys(void **state)
{
    (void)state;
    struct child c = {0};
    run_child(HOST_SECCOMP_KILL, BODY_TRIP, &c);
    if (!WIFSIGNALED(c.status) || WTERMSIG(c.status) != SIGSYS)
        fail_msg("STDVMM_TEST_SECCOMP_TRIP=device did not end with SIGSYS (status 0x%x): %s",
                 c.status, c.err);
    assert_non_null(strstr(c.err, "(getppid,"));
}

static void log_and_off_let_it_run(void **state)
{
    (void)state;
    struct child c = {0};
    run_child(HOST_SECCOMP_LOG, BODY_FORBIDDEN, &c);
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
        fail_msg("--seccomp=log stopped the process (status 0x%x): %s", c.status, c.err);
    assert_non_null(strstr(c.proc_status, "Seccomp:\t2"));
    memset(&c, 0, sizeof(c));
    run_child(HOST_SECCOMP_OFF, BODY_FORBIDDEN, &c);
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
        fail_msg("--seccomp=off stopped the process (status 0x%x): %s", c.status, c.err);
    /* Off means no filter, but no_new_privs stays. */
    assert_non_null(strstr(c.proc_status, "Seccomp:\t0"));
    assert_non_null(strstr(c.proc_status, "NoNewPrivs:\t1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_modes),
        cmocka_unit_test(verdicts),
        cmocka_unit_test(names_exist),
        cmocka_unit_test(filter_lets_device_work_through),
        cmocka_unit_test(forbidden_call_is_sigsys_and_named),
        cmocka_unit_test(test_trip_is_sigsys),
        cmocka_unit_test(log_and_off_let_it_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
