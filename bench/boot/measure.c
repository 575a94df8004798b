/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * measure: runs a VMM, timing it from launch to a readiness line on its
 * standard output and to its exit, and reports what wait4() knows about it.
 * Built statically by bench/boot/run.sh so it runs in the test host without
 * a library closure.
 *
 *   measure [-r TEXT] [-o FILE] -- PROGRAM [ARGS...]
 *     -r TEXT  readiness text to look for in the output (default
 *              "stdvmm-guest: ready")
 *     -o FILE  copy of the program's standard output (default: discarded)
 *
 * Prints one line:
 *   ready_ms=R exit_ms=E maxrss_kib=K utime_ms=U stime_ms=S status=X \
 *   kvm_exits=N kvm_io_exits=N kvm_mmio_exits=N kvm_halt_exits=N
 * with R = -1 when the text never appeared; X is the exit status, or
 * 128 + signal; the KVM counts are -1 when they could not be read.
 *
 * KVM counts come from the VM's own debugfs directory
 * (/sys/kernel/debug/kvm/PID-FD/). KVM's top-level counters only sum the VMs
 * that still exist, so a delta around a run that ends its VM reads nothing;
 * instead the VM's files are opened while it runs. An open stats file holds
 * a reference to the VM, so its totals can still be read after the VMM has
 * exited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *const kvm_stats[] = {"exits", "io_exits", "mmio_exits", "halt_exits"};
#define NSTATS (sizeof(kvm_stats) / sizeof(kvm_stats[0]))

/* Opens the stats files of the first VM that PID created; false until it has one. */
static int open_kvm_stats(pid_t pid, int fds[NSTATS])
{
    char pat[64];
    glob_t g;

    snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*", (int)pid);
    if (glob(pat, GLOB_ONLYDIR, NULL, &g) != 0)
        return 0;
    for (size_t i = 0; i < NSTATS; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", g.gl_pathv[0], kvm_stats[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    }
    globfree(&g);
    return 1;
}

/* Read once, after the run: KVM's stats files cannot seek (no pread), and
 * only a read at offset 0 fetches a fresh value. */
static long long read_stat(int fd)
{
    char b[64];
    ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);
    if (n <= 0)
        return -1;
    b[n] = '\0';
    return strtoll(b, NULL, 10);
}

static double tv_ms(struct timeval tv)
{
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
    const char *ready = "stdvmm-guest: ready";
    const char *outpath = NULL;
    int opt;

    while ((opt = getopt(argc, argv, "+r:o:")) != -1) {
        switch (opt) {
        case 'r': ready = optarg; break;
        case 'o': outpath = optarg; break;
        default:
            fprintf(stderr, "usage: measure [-r TEXT] [-o FILE] -- PROGRAM [ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc || ready[0] == '\0') {
        fprintf(stderr, "measure: no program given\n");
        return 2;
    }

    int out = -1;
    if (outpath) {
        out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
            perror(outpath);
            return 2;
        }
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        perror("pipe");
        return 2;
    }

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp(argv[optind], argv + optind);
        perror(argv[optind]);
        _exit(127);
    }
    close(p[1]);

    /* The readiness text may straddle two reads: keep its length - 1 bytes
     * of the previous read in front of the next one. */
    size_t rlen = strlen(ready);
    char buf[65536 + 256];
    size_t keep = 0;
    double t_ready = -1;
    int stat_fds[NSTATS] = {-1, -1, -1, -1};
    /* Without debugfs there is nothing to wait for. */
    int have_stats = access("/sys/kernel/debug/kvm", F_OK) != 0;
    for (;;) {
        /* Look for the VM every 5 ms until it exists, then just read. */
        if (!have_stats) {
            have_stats = open_kvm_stats(pid, stat_fds);
            if (!have_stats) {
                struct pollfd pfd = {.fd = p[0], .events = POLLIN};
                if (poll(&pfd, 1, 5) == 0)
                    continue;
            }
        }
        ssize_t n = read(p[0], buf + keep, sizeof(buf) - 256 - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out >= 0 && write(out, buf + keep, (size_t)n) != n) {
            perror("measure: copy of output");
            out = -1;
        }
        size_t len = keep + (size_t)n;
        if (t_ready < 0) {
            buf[len] = '\0';
            if (memmem(buf, len, ready, rlen))
                t_ready = now_ms() - t0;
        }
        keep = rlen - 1 < len ? rlen - 1 : len;
        if (keep > 255)
            keep = 255;
        memmove(buf, buf + len - keep, keep);
    }

    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 2;
        }
    }
    double t_exit = now_ms() - t0;
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("ready_ms=%.1f exit_ms=%.1f maxrss_kib=%ld utime_ms=%.1f stime_ms=%.1f status=%d",
           t_ready, t_exit, ru.ru_maxrss, tv_ms(ru.ru_utime), tv_ms(ru.ru_stime), status);
    for (size_t i = 0; i < NSTATS; i++) {
        printf(" kvm_%s=%lld", kvm_stats[i], read_stat(stat_fds[i]));
        if (stat_fds[i] >= 0)
            close(stat_fds[i]);
    }
    printf("\n");
    return 0;
}
