/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for `stdvmm run` that runs no guest, so the manager's life-cycle
 * logic (spawn, supervise, restart policy, stop escalation, adoption, the
 * API) can be tested in seconds on any machine, KVM or not. It takes the
 * same arguments the manager passes (run --config FILE --api-socket PATH),
 * speaks the same control-socket protocol (docs/api/vm-socket.md), writes a
 * "ready" line to the serial log, and exits with stdvmm's statuses.
 *
 * Behaviour comes from words in the VM's cmdline, so a system description
 * can script it:
 *   fake.exit=N      exit with status N ...
 *   fake.after=MS    ... this many milliseconds after starting (default 300)
 *   fake.noshutdown  ignore the power button (the manager must escalate)
 *   fake.ignoreterm  ignore SIGTERM too (the manager must SIGKILL)
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static FILE *serial;
static const char *sock_path;
static int watchers[8];
static unsigned nwatch;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish(int status)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "{\"event\":\"exit\",\"status\":%d}\n", status);
    for (unsigned i = 0; i < nwatch; i++)
        (void)send(watchers[i], line, (size_t)n, MSG_NOSIGNAL);
    if (serial != NULL)
        fprintf(serial, "fake-vmm: exit %d\n", status);
    unlink(sock_path);
    exit(status);
}

static const char *word_value(const char *cmdline, const char *key)
{
    const char *p = strstr(cmdline, key);
    return p ? p + strlen(key) : NULL;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--config") == 0)
            config = argv[i + 1];
        if (strcmp(argv[i], "--api-socket") == 0)
            sock_path = argv[i + 1];
    }
    if (argc < 2 || strcmp(argv[1], "run") != 0 || config == NULL || sock_path == NULL) {
        fprintf(stderr, "fake-vmm: usage: run --config FILE --api-socket PATH\n");
        return 2;
    }
    json_t *cfg = json_load_file(config, 0, NULL);
    const char *cmdline = json_string_value(json_object_get(cfg, "cmdline"));
    const char *log = json_string_value(json_object_get(cfg, "serial_log"));
    const char *name = json_string_value(json_object_get(cfg, "name"));
    if (cmdline == NULL || log == NULL || name == NULL) {
        fprintf(stderr, "fake-vmm: %s lacks cmdline, serial_log or name\n", config);
        return 2;
    }
    const char *v;
    int exit_status = (v = word_value(cmdline, "fake.exit=")) ? atoi(v) : -1;
    long long after = (v = word_value(cmdline, "fake.after=")) ? atoll(v) : 300;
    bool noshutdown = strstr(cmdline, "fake.noshutdown") != NULL;
    bool ignoreterm = strstr(cmdline, "fake.ignoreterm") != NULL;

    serial = fopen(log, "a");
    if (serial == NULL)
        return 1;
    setvbuf(serial, NULL, _IOLBF, 0);
    fprintf(serial, "stdvmm-guest: ready\n");

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
    unlink(sock_path);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 8)) {
        fprintf(stderr, "fake-vmm: %s: %s\n", sock_path, strerror(errno));
        return 1;
    }
    bool paused = false;
    long long deadline = exit_status >= 0 ? now_ms() + after : -1;
    long long shutdown_at = -1;
    for (;;) {
        struct pollfd fds[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        long long t = deadline;
        if (shutdown_at >= 0 && (t < 0 || shutdown_at < t))
            t = shutdown_at;
        int timeout = t < 0 ? -1 : (int)(t > now_ms() ? t - now_ms() : 0);
        poll(fds, 2, timeout);
        if (deadline >= 0 && now_ms() >= deadline)
            finish(exit_status);
        if (shutdown_at >= 0 && now_ms() >= shutdown_at)
            finish(0);
        if (fds[1].revents) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si) && !ignoreterm)
                finish(5);
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        char buf[128] = "";
        ssize_t n = c >= 0 ? recv(c, buf, sizeof(buf) - 1, 0) : -1;
        if (n <= 0) {
            if (c >= 0)
                close(c);
            continue;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        char reply[256];
        if (strcmp(buf, "watch") == 0 && nwatch < 8) {
            snprintf(reply, sizeof(reply), "{\"ok\":true,\"event\":\"watching\"}\n");
            (void)send(c, reply, strlen(reply), MSG_NOSIGNAL);
            watchers[nwatch++] = c;
            continue;
        }
        if (strcmp(buf, "info") == 0) {
            snprintf(reply, sizeof(reply),
                     "{\"ok\":true,\"name\":\"%s\",\"state\":\"%s\",\"pid\":%d}\n", name,
                     paused ? "paused" : "running", (int)getpid());
        } else if (strcmp(buf, "pause") == 0 || strcmp(buf, "resume") == 0) {
            paused = buf[0] == 'p';
            snprintf(reply, sizeof(reply), "{\"ok\":true,\"state\":\"%s\"}\n",
                     paused ? "paused" : "running");
        } else if (strcmp(buf, "shutdown") == 0) {
            if (!noshutdown) {
                fprintf(serial, "stdvmm-guest: power button: powering off\n");
                shutdown_at = now_ms() + 200;
            }
            snprintf(reply, sizeof(reply), "{\"ok\":true,\"state\":\"shutting-down\"}\n");
        } else {
            snprintf(reply, sizeof(reply), "{\"ok\":false,\"error\":\"unknown command\"}\n");
        }
        (void)send(c, reply, strlen(reply), MSG_NOSIGNAL);
        close(c);
    }
}
