/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM control socket (src/control/vm_api.c) served on a real Unix
 * socket and driven through the manager's own client (vm_client.c), with a
 * VM that has no hypervisor behind it: the command set of
 * docs/api/vm-socket.md, the states a VM goes through, the pairing of a
 * pause's hold with its release, watchers told the exit status, and a live
 * socket that a second VMM may not take over.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/control/vm_api.h"
#include "stdvmm/control/vm_client.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"
#include "stdvmm/vmm.h"

struct fixture {
    char dir[64];
    char path[96];
    struct vmm_config cfg;
    struct vm vm;
    struct vm_api *api;
    int holds, releases;
    int hold_result; /* what hold() answers */
};

static int fake_hold(void *ctx, int timeout_ms)
{
    struct fixture *f = ctx;
    (void)timeout_ms;
    f->holds++;
    return f->hold_result;
}

static void fake_release(void *ctx)
{
    ((struct fixture *)ctx)->releases++;
}

static void fake_parked(void *ctx, unsigned *parked, unsigned *total)
{
    (void)ctx;
    *parked = 1;
    *total = 2;
}

static unsigned no_irqs(void *ctx, struct vm_api_irq *out, unsigned max)
{
    (void)ctx;
    (void)out;
    (void)max;
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_vm_api.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/vm.sock", f->dir);
    f->cfg.name = "web";
    f->cfg.cpus = 2;
    f->cfg.memory = 256ull << 20;
    vm_init(&f->vm, "web", NULL, 2); /* no hypervisor: interrupts fail with ENODEV */
    if (vm_api_open(&f->api, f->path, &f->cfg, NULL) != 0 || vm_api_start(f->api) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->api != NULL)
        vm_api_close(f->api, 0);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void attach(struct fixture *f)
{
    struct vm_api_target t = {
        .vm = &f->vm,
        .ctx = f,
        .hold = fake_hold,
        .release = fake_release,
        .parked = fake_parked,
        .irqs = no_irqs,
    };
    vm_api_attach(f->api, &t);
}

/* Sends command; returns the reply (caller frees), asserting the call itself worked. */
static json_t *call(struct fixture *f, const char *command)
{
    json_t *reply = NULL;
    struct stdvmm_error err = {0};
    int r = vm_client_call(f->path, command, 5000, &reply, &err);
    if (r != 0)
        fail_msg("'%s': %s", command, err.msg);
    assert_non_null(reply);
    return reply;
}

static bool ok(const json_t *reply)
{
    return json_is_true(json_object_get(reply, "ok"));
}

static const char *field(const json_t *reply, const char *key)
{
    const char *s = json_string_value(json_object_get(reply, key));
    return s != NULL ? s : "";
}

/* command must be refused with an error that contains text. */
static void assert_refused(struct fixture *f, const char *command, const char *text)
{
    json_t *r = call(f, command);
    assert_false(ok(r));
    if (strstr(field(r, "error"), text) == NULL)
        fail_msg("'%s' answered '%s', expected '%s' in it", command, field(r, "error"), text);
    json_decref(r);
}

static const char *state_of(struct fixture *f, char *buf, size_t size)
{
    json_t *r = call(f, "info");
    assert_true(ok(r));
    snprintf(buf, size, "%s", field(r, "state"));
    json_decref(r);
    return buf;
}

static void info_before_and_after_a_vm(void **state)
{
    struct fixture *f = *state;
    char s[32];

    json_t *r = call(f, "info");
    assert_true(ok(r));
    assert_string_equal(field(r, "name"), "web");
    assert_string_equal(field(r, "state"), "starting");
    assert_int_equal(json_integer_value(json_object_get(r, "cpus")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "memory")), 256 << 20);
    assert_int_equal(json_integer_value(json_object_get(r, "pid")), getpid());
    assert_true(json_is_array(json_object_get(r, "irqs")));
    json_decref(r);
    assert_refused(f, "pause", "the VM is starting");
    assert_refused(f, "resume", "the VM is starting");
    assert_refused(f, "shutdown", "no guest to shut down");
    assert_int_equal(f->holds, 0);

    attach(f);
    assert_string_equal(state_of(f, s, sizeof(s)), "running");
    vm_request_stop(&f->vm, VM_STOP_POWEROFF);
    assert_string_equal(state_of(f, s, sizeof(s)), "stopping");
    assert_refused(f, "pause", "the VM is stopping");
    vm_api_detach(f->api);
    assert_string_equal(state_of(f, s, sizeof(s)), "starting");
}

static void pause_and_resume_pair_holds_with_releases(void **state)
{
    struct fixture *f = *state;
    char s[32];

    attach(f);
    json_t *r = call(f, "pause");
    assert_true(ok(r));
    assert_string_equal(field(r, "state"), "paused");
    json_decref(r);
    assert_int_equal(f->holds, 1);
    assert_int_equal(f->releases, 0);
    assert_string_equal(state_of(f, s, sizeof(s)), "paused");

    /* A second pause holds again for stragglers and gives the first hold back. */
    r = call(f, "pause");
    assert_true(ok(r));
    json_decref(r);
    assert_int_equal(f->holds, 2);
    assert_int_equal(f->releases, 1);

    r = call(f, "resume");
    assert_true(ok(r));
    assert_string_equal(field(r, "state"), "running");
    json_decref(r);
    assert_int_equal(f->releases, 2);
    /* Resuming a running VM changes nothing. */
    r = call(f, "resume");
    assert_true(ok(r));
    json_decref(r);
    assert_int_equal(f->releases, 2);

    /* Paused again, the VM stops: detaching gives the hold back. */
    r = call(f, "pause");
    json_decref(r);
    vm_api_detach(f->api);
    assert_int_equal(f->holds, f->releases);
}

static void a_pause_that_does_not_finish_says_how_far_it_got(void **state)
{
    struct fixture *f = *state;

    attach(f);
    f->hold_result = -STDVMM_EAGAIN;
    assert_refused(f, "pause", "only 1 of 2 vCPUs stopped");
    f->hold_result = -STDVMM_ENOENT;
    assert_refused(f, "pause", "stopped while pausing");
    f->hold_result = 0;
    json_t *r = call(f, "resume");
    assert_true(ok(r));
    json_decref(r);
    assert_int_equal(f->holds, f->releases);
}

static void shutdown_reports_the_port_error(void **state)
{
    struct fixture *f = *state;

    attach(f);
    /* No hypervisor VM: the power button cannot be pressed, and the reply says why. */
    assert_refused(f, "shutdown", "power button");
}

static void unknown_and_malformed_commands(void **state)
{
    struct fixture *f = *state;

    attach(f);
    assert_refused(f, "reboot", "unknown command");
    assert_refused(f, "", "command"); /* an empty line */
    assert_refused(f, "pausex", "unknown command");
    assert_int_equal(vm_api_parse_command("info\n", 5), VM_API_INFO);
    assert_int_equal(vm_api_parse_command("info\r\n", 6), VM_API_INFO);
    assert_int_equal(vm_api_parse_command("info  \n", 7), VM_API_UNKNOWN); /* nothing else */
    assert_int_equal(vm_api_parse_command("watch", 5), VM_API_WATCH);
    assert_int_equal(vm_api_parse_command("infos\n", 6), VM_API_UNKNOWN);
    assert_int_equal(vm_api_parse_command("", 0), VM_API_UNKNOWN);
}

static void watchers_hear_the_exit_status(void **state)
{
    struct fixture *f = *state;
    struct stdvmm_error err = {0};

    int a = vm_client_watch(f->path, 5000, &err);
    if (a < 0)
        fail_msg("watch: %s", err.msg);
    int b = vm_client_watch(f->path, 5000, &err);
    assert_true(b >= 0);
    vm_api_close(f->api, 3);
    f->api = NULL;
    assert_int_equal(vm_client_watch_status(a), 3);
    assert_int_equal(vm_client_watch_status(b), 3);
    close(a);
    close(b);
    /* The socket is gone with its VMM. */
    struct stat st;
    assert_int_not_equal(stat(f->path, &st), 0);
}

static void a_live_socket_is_not_taken_over(void **state)
{
    struct fixture *f = *state;
    struct vm_api *second = NULL;

    assert_int_equal(vm_api_open(&second, f->path, &f->cfg, NULL), -STDVMM_EBUSY);
    assert_null(second);
    vm_api_close(f->api, 0);
    f->api = NULL;
    FILE *file = fopen(f->path, "w"); /* not a socket: refused, and left alone */
    assert_non_null(file);
    fclose(file);
    assert_int_equal(vm_api_open(&second, f->path, &f->cfg, NULL), -STDVMM_EEXIST);
    unlink(f->path);
    /* A socket nobody listens on, left by a VMM that died, is replaced. */
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", f->path);
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(stale, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(stale);
    assert_int_equal(vm_api_open(&f->api, f->path, &f->cfg, NULL), 0);
    assert_int_equal(vm_api_start(f->api), 0);
    json_t *r = call(f, "info");
    assert_true(ok(r));
    json_decref(r);
}

struct trickle {
    int fd;
    volatile int stop;
};

/* Sends one byte every 100 ms, never a newline, until told to stop or refused. */
static void *trickle_bytes(void *arg)
{
    struct trickle *t = arg;
    for (int i = 0; i < 300 && !t->stop; i++) {
        if (send(t->fd, "x", 1, MSG_NOSIGNAL) != 1)
            break;
        usleep(100 * 1000);
    }
    return NULL;
}

static int connect_to(const char *path, int flags)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | flags, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Slowloris: a client trickling its line a byte at a time, and twenty that
 * connect and send nothing, must not keep other clients out. Before, one
 * thread read each client in turn with a 1 s poll per byte, so the trickler
 * alone held the socket for its whole 256-byte line (25 s here) and each
 * silent client for a second.
 */
static void slow_clients_do_not_hold_the_socket(void **state)
{
    struct fixture *f = *state;
    struct trickle slow = {.fd = connect_to(f->path, 0)};
    pthread_t thread;
    int idle[20];

    attach(f);
    assert_true(slow.fd >= 0);
    assert_int_equal(pthread_create(&thread, NULL, trickle_bytes, &slow), 0);
    usleep(200 * 1000);
    for (int i = 0; i < 20; i++) {
        idle[i] = connect_to(f->path, SOCK_NONBLOCK);
        usleep(2000); /* within the listen backlog */
    }
    for (int i = 0; i < 3; i++) {
        char buf[32];
        assert_string_equal(state_of(f, buf, sizeof(buf)), "running");
    }
    /* The trickler is told off and closed once its time is up, not served forever. */
    struct pollfd p = {.fd = slow.fd, .events = POLLIN};
    char reply[512] = "";
    size_t got = 0;
    while (got + 1 < sizeof(reply) && poll(&p, 1, 5000) == 1) {
        ssize_t n = recv(slow.fd, reply + got, sizeof(reply) - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    reply[got] = '\0';
    if (strstr(reply, "\"ok\":false") == NULL)
        fail_msg("the trickling client got '%s', expected a refusal", reply);
    slow.stop = 1;
    pthread_join(thread, NULL);
    close(slow.fd);
    for (int i = 0; i < 20; i++) {
        if (idle[i] >= 0)
            close(idle[i]);
    }
    char buf[32];
    assert_string_equal(state_of(f, buf, sizeof(buf)), "running");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(info_before_and_after_a_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(pause_and_resume_pair_holds_with_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pause_that_does_not_finish_says_how_far_it_got, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(shutdown_reports_the_port_error, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_and_malformed_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(watchers_hear_the_exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(a_live_socket_is_not_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_clients_do_not_hold_the_socket, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
