/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * measure: runs a VMM, timing it from launch to a readiness line on its
 * standard output and to its exit, and reports what wait4() knows about it.
 * Built statically by bench/boot/run.sh so it runs in the test host without
 * a library closure.
 *
 *   measure [-r TEXT] [-o FILE] [-m MIB] [-k] [-s FILE] [-p FILE] [-c A,B,C,D] [-j FILE]
 *           [-t FILE] -- PROGRAM [ARGS...]
 *     -r TEXT  readiness text to look for in the output (default
 *              "stdvmm-guest: ready")
 *     -o FILE  copy of the program's standard output (default: discarded)
 *     -m MIB   the guest's RAM: mappings this large or larger are the
 *              guest's, not the VMM's, in the private RSS below (default 256)
 *     -k       kill the program (SIGKILL) once it is ready and measured: for
 *              a VMM that cannot power the guest off (kvmtool on x86)
 *     -s FILE  every counter of the VM's debugfs directory, "name value" per
 *              line (exit reasons, page faults, TLB flushes, ...)
 *     -p FILE  the mappings counted in priv_kib below, one per line
 *              ("PRIVATE_KIB SIZE_KIB PERMS NAME"), at the readiness line
 *     -c A,B,C,D  the four counters of the VM's debugfs directory printed
 *              as kvm_A= ... kvm_D= (default exits,io_exits,mmio_exits,
 *              halt_exits: x86's; each architecture's KVM names its own)
 *     -j FILE  phase snapshots: for every output line that starts with
 *              "stdvmm-phase: ", that line's rest followed by the four
 *              counters and irq_injections as " A=N ... irq_injections=N"
 *              (-1 when unreadable), read when the line arrives, so that
 *              bench/io can split the counters per job
 *     -t FILE  with -j: after each phase snapshot, the lines of FILE that
 *              start with "{" (a tracing histogram's entries, e.g. the
 *              kvm_mmio event's by address) and its "Drops:" line (entries
 *              lost to a full table), each as "hist LINE", read at the same
 *              moment
 *
 * Prints one line:
 *   ready_ms=R exit_ms=E maxrss_kib=K utime_ms=U stime_ms=S status=X \
 *   kvm_exits=N kvm_io_exits=N kvm_mmio_exits=N kvm_halt_exits=N \
 *   run_cpu_ms=C ready_cpu_ms=C priv_kib=K threads=N fds=N \
 *   priv_file_kib=K priv_anon_kib=K
 * with R = -1 when the text never appeared; X is the exit status, or
 * 128 + signal; the KVM counts are -1 when they could not be read.
 *
 * The VMM's own overhead, each -1 when not measured:
 *   run_cpu_ms    CPU time of all its threads from exec to its VM's first
 *                 exit (so just after the first KVM_RUN), from
 *                 /proc/PID/task/<tid>/schedstat (nanoseconds), polled
 *                 every millisecond
 *   ready_cpu_ms  the same at the readiness line, less the guest time KVM
 *                 accounted to the vCPU threads (/proc/PID/stat field 43,
 *                 clock ticks): what the VMM itself spent to get the guest
 *                 ready
 *   priv_kib      Private_Clean + Private_Dirty of /proc/PID/smaps at the
 *                 readiness line, without mappings of the guest's RAM size
 *                 or larger (the guest's memory)
 *   priv_file_kib, priv_anon_kib
 *                 priv_kib split: pages of files (the program and its
 *                 libraries: private when no other process maps them, as in
 *                 the test host) and anonymous memory (heap, stacks, copies)
 *   threads, fds  /proc/PID/status Threads and the entries of /proc/PID/fd
 *                 at the readiness line
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
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#define NSTATS 4
static char kvm_stats[NSTATS][64] = {"exits", "io_exits", "mmio_exits", "halt_exits"};

/* -c: exactly NSTATS comma-separated names, each a plain file name. */
static int set_kvm_stats(const char *list)
{
    const char *p = list;
    for (size_t i = 0; i < NSTATS; i++) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof(kvm_stats[i]) || memchr(p, '/', n) != NULL ||
            (p[n] == '\0') != (i == NSTATS - 1))
            return 0;
        memcpy(kvm_stats[i], p, n);
        kvm_stats[i][n] = '\0';
        p += n + 1;
    }
    return 1;
}

#define MAX_ALL_STATS 160
static char all_names[MAX_ALL_STATS][64];
static int all_fds[MAX_ALL_STATS];
static unsigned all_count;
static const char *all_stats_path;

/* Opens every counter file of the VM's directory, for -s. */
static void open_all_stats(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL && all_count < MAX_ALL_STATS) {
        char path[4096];
        if (e->d_type != DT_REG || strlen(e->d_name) >= sizeof(all_names[0]))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        snprintf(all_names[all_count], sizeof(all_names[0]), "%s", e->d_name);
        all_fds[all_count++] = fd;
    }
    if (d != NULL)
        closedir(d);
}

/* The first VM's debugfs directory, for -j's snapshots; empty until known. */
static char vm_dir[4096];

/*
 * Opens the stats files of the first VM that PID created; false until it has
 * one. KVM creates the VM's directory before the files in it, so a directory
 * whose files are not all there yet is looked at again later (seen once: a
 * run whose four counters all read -1 while its first KVM_RUN was seen).
 */
static int open_kvm_stats(pid_t pid, int fds[NSTATS])
{
    char pat[64];
    glob_t g;

    snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*", (int)pid);
    if (glob(pat, GLOB_ONLYDIR, NULL, &g) != 0)
        return 0;
    snprintf(vm_dir, sizeof(vm_dir), "%s", g.gl_pathv[0]);
    for (size_t i = 0; i < NSTATS; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", g.gl_pathv[0], kvm_stats[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            while (i > 0) {
                close(fds[--i]);
                fds[i] = -1;
            }
            globfree(&g);
            return 0;
        }
    }
    if (all_stats_path != NULL)
        open_all_stats(g.gl_pathv[0]);
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

/* A fresh read of one counter of the VM's directory: a new open each time,
 * as the files cannot seek back to offset 0. */
static long long read_stat_now(const char *name)
{
    char path[4200];
    if (vm_dir[0] == '\0')
        return -1;
    snprintf(path, sizeof(path), "%s/%s", vm_dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    long long v = read_stat(fd);
    if (fd >= 0)
        close(fd);
    return v;
}

#define PHASE_PREFIX "stdvmm-phase: "

/* -j: the output's lines are gathered here, as they may span reads; only
 * the start of a longer line is kept (phase lines are short). */
static char phase_line[256];
static size_t phase_len;

/* -t: a tracing histogram's file, copied into the phase log at each mark. */
static const char *hist_path;

static void copy_hist(FILE *phases)
{
    if (hist_path == NULL)
        return;
    FILE *h = fopen(hist_path, "r");
    if (h == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), h) != NULL)
        if (line[0] == '{' || strstr(line, "Drops:") != NULL)
            fprintf(phases, "hist %s", line);
    fclose(h);
}

static void phase_scan(FILE *phases, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (phase_len < sizeof(phase_line) - 1)
                phase_line[phase_len++] = data[i];
            continue;
        }
        while (phase_len > 0 && phase_line[phase_len - 1] == '\r')
            phase_len--;
        phase_line[phase_len] = '\0';
        phase_len = 0;
        const char *rest = strstr(phase_line, PHASE_PREFIX);
        if (rest == NULL)
            continue;
        fprintf(phases, "%s", rest + strlen(PHASE_PREFIX));
        for (size_t k = 0; k < NSTATS; k++)
            fprintf(phases, " %s=%lld", kvm_stats[k], read_stat_now(kvm_stats[k]));
        fprintf(phases, " irq_injections=%lld\n", read_stat_now("irq_injections"));
        copy_hist(phases);
        fflush(phases);
    }
}

/* Every thread's time on a CPU so far, in ns (schedstat's first field); -1 if unreadable. */
/*
 * Sum of fn(dir, entry) over the entries of /proc/PID/SUB (not . and ..);
 * -1 when the directory cannot be read.
 */
static long long proc_dir_sum(pid_t pid, const char *sub,
                              long long (*fn)(const char *dir, const char *entry))
{
    char path[64];
    long long sum = 0;
    struct dirent *e;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, sub);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            sum += fn(path, e->d_name);
    }
    closedir(d);
    return sum;
}

static long long schedstat_ns(const char *dir, const char *tid)
{
    char file[400];
    long long ns = 0;
    snprintf(file, sizeof(file), "%s/%s/schedstat", dir, tid);
    FILE *f = fopen(file, "r");
    if (f != NULL && fscanf(f, "%lld", &ns) != 1)
        ns = 0;
    if (f != NULL)
        fclose(f);
    return ns;
}

static long long one(const char *dir, const char *entry)
{
    (void)dir, (void)entry;
    return 1;
}

static long long task_cpu_ns(pid_t pid)
{
    return proc_dir_sum(pid, "task", schedstat_ns);
}

/* Field 43 of /proc/PID/stat: time KVM ran the guest on the process's threads, in ms. */
static long long guest_ms(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: count fields after its closing parenthesis. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok != NULL; tok = strtok(NULL, " ")) {
        if (++field == 43)
            return strtoll(tok, NULL, 10) * 1000 / sysconf(_SC_CLK_TCK);
    }
    return -1;
}

/*
 * A mapping's pages belong to a file (the program, its libraries) when its
 * name is a path, except a memfd's ("/memfd:NAME (deleted)"), which is
 * anonymous memory with a name; everything else (heap, stacks, anonymous
 * mappings, the vCPUs' kvm_run pages) is anonymous.
 */
static int is_file_mapping(const char *name)
{
    return name[0] == '/' && strncmp(name, "/memfd:", 7) != 0;
}

struct private_mem {
    long long total, file, anon; /* KiB, -1: not measured */
};

/*
 * Private memory outside the mappings of at least guest_bytes (the guest's
 * RAM), in KiB, split into file-backed and anonymous; with dump, one line
 * per mapping that has any ("KIB SIZE_KIB PERMS NAME").
 */
static struct private_mem private_kib(pid_t pid, unsigned long long guest_bytes, FILE *dump)
{
    char path[64], line[4096 + 128], name[4096] = "", perms[8] = "", next_perms[8];
    struct private_mem pm = {0, 0, 0};
    unsigned long long size = 0;
    long long here = 0;
    int skip = 1;

    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return (struct private_mem){-1, -1, -1};
    for (int more = 1; more;) {
        unsigned long long lo, hi;
        long long kib;
        int off = 0;
        more = fgets(line, sizeof(line), f) != NULL;
        int header =
            more && sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, next_perms, &off) == 3 &&
            off > 0 && strchr(line, '-') < strchr(line, ' ');
        if (!more || header) {
            /* The previous mapping is complete. */
            if (!skip && here > 0) {
                pm.total += here;
                *(is_file_mapping(name) ? &pm.file : &pm.anon) += here;
                if (dump != NULL)
                    fprintf(dump, "%lld %llu %s %s\n", here, size >> 10, perms,
                            name[0] != '\0' ? name : "[anon]");
            }
            if (!more)
                break;
            size = hi - lo;
            memcpy(perms, next_perms, sizeof(perms));
            skip = size >= guest_bytes;
            here = 0;
            snprintf(name, sizeof(name), "%s", line + off);
            name[strcspn(name, "\n")] = '\0';
        } else if (sscanf(line, "Private_Clean: %lld kB", &kib) == 1 ||
                   sscanf(line, "Private_Dirty: %lld kB", &kib) == 1) {
            here += kib;
        }
    }
    fclose(f);
    return pm;
}

static long long thread_count(pid_t pid)
{
    char path[64], line[256];
    long long n = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "Threads: %lld", &n) == 1)
            break;
    }
    if (f != NULL)
        fclose(f);
    return n;
}

static long long fd_count(pid_t pid)
{
    return proc_dir_sum(pid, "fd", one);
}

/* Whether the VM's exits counter (a fresh open: the files cannot seek) is above zero. */
static int vm_has_run(pid_t pid)
{
    char pat[64];
    glob_t g;
    int ran = 0;

    snprintf(pat, sizeof(pat), "/sys/kernel/debug/kvm/%d-*/exits", (int)pid);
    if (glob(pat, 0, NULL, &g) != 0)
        return 0;
    int fd = open(g.gl_pathv[0], O_RDONLY | O_CLOEXEC);
    globfree(&g);
    ran = fd >= 0 && read_stat(fd) > 0;
    if (fd >= 0)
        close(fd);
    return ran;
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

    unsigned long long guest_bytes = 256ull << 20;
    int kill_when_ready = 0;

    const char *maps_path = NULL;
    FILE *phases = NULL;

    while ((opt = getopt(argc, argv, "+r:o:m:ks:p:c:j:t:")) != -1) {
        switch (opt) {
        case 'r':
            ready = optarg;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'm':
            guest_bytes = strtoull(optarg, NULL, 10) << 20;
            break;
        case 'k':
            kill_when_ready = 1;
            break;
        case 's':
            all_stats_path = optarg;
            break;
        case 'p':
            maps_path = optarg;
            break;
        case 'j':
            phases = fopen(optarg, "w");
            if (phases != NULL)
                break;
            perror(optarg);
            return 2;
        case 't':
            hist_path = optarg;
            break;
        case 'c':
            if (set_kvm_stats(optarg))
                break;
            fprintf(stderr, "measure: -c wants %d counter names separated by commas\n", NSTATS);
            return 2;
        default:
            fprintf(stderr, "usage: measure [-r TEXT] [-o FILE] [-m MIB] [-k] [-s FILE] [-p FILE] "
                            "[-c A,B,C,D] [-j FILE] [-t FILE] -- PROGRAM [ARGS...]\n");
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
    int have_run = have_stats;
    long long run_cpu_ns = -1, ready_cpu_ms = -1, threads = -1, fds = -1;
    struct private_mem priv = {-1, -1, -1};
    for (;;) {
        /* Look for the VM every 5 ms until it exists, then every 1 ms for its first run. */
        if (!have_stats || !have_run) {
            if (!have_stats)
                have_stats = open_kvm_stats(pid, stat_fds);
            if (have_stats && !have_run && vm_has_run(pid)) {
                have_run = 1;
                run_cpu_ns = task_cpu_ns(pid);
            }
            if (!have_stats || !have_run) {
                struct pollfd pfd = {.fd = p[0], .events = POLLIN};
                if (poll(&pfd, 1, have_stats ? 1 : 5) == 0)
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
        if (phases != NULL)
            phase_scan(phases, buf + keep, (size_t)n);
        size_t len = keep + (size_t)n;
        if (t_ready < 0) {
            buf[len] = '\0';
            if (memmem(buf, len, ready, rlen)) {
                t_ready = now_ms() - t0;
                long long cpu = task_cpu_ns(pid), guest = guest_ms(pid);
                if (cpu >= 0 && guest >= 0)
                    ready_cpu_ms = cpu / 1000000 - guest;
                FILE *maps = maps_path != NULL ? fopen(maps_path, "w") : NULL;
                priv = private_kib(pid, guest_bytes, maps);
                if (maps != NULL)
                    fclose(maps);
                threads = thread_count(pid);
                fds = fd_count(pid);
                if (kill_when_ready)
                    kill(pid, SIGKILL);
            }
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
    FILE *sf = all_stats_path != NULL ? fopen(all_stats_path, "w") : NULL;
    for (unsigned i = 0; i < all_count; i++) {
        long long v = read_stat(all_fds[i]);
        if (sf != NULL && v >= 0)
            fprintf(sf, "%s %lld\n", all_names[i], v);
        close(all_fds[i]);
    }
    if (sf != NULL)
        fclose(sf);
    if (phases != NULL)
        fclose(phases);
    printf(" run_cpu_ms=%.1f ready_cpu_ms=%lld priv_kib=%lld threads=%lld fds=%lld"
           " priv_file_kib=%lld priv_anon_kib=%lld\n",
           run_cpu_ns < 0 ? -1.0 : (double)run_cpu_ns / 1e6, ready_cpu_ms, priv.total, threads, fds,
           priv.file, priv.anon);
    return 0;
}
