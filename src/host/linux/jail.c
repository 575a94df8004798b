/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The jail of a VMM started as root (stdvmm/host/jail.h). The order
 * matters: the cgroup while we may still write /sys/fs/cgroup; the
 * namespaces, then the fork that makes the child pid 1 of the new pid
 * namespace; the new root (a tmpfs, so nothing of the directory's old
 * contents shows through), pivot_root and the old root detached; rlimits;
 * and last the uid, gid and capabilities, which nothing after needs.
 */
#include "stdvmm/host/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"
#include "stdvmm/log.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
}

int host_jail_cgroup(const struct host_jail *j)
{
    char dir[256], path[300], num[32];

    if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) != 0) {
        LOG_WARN("jail: no cgroup v2 at " CGROUP_ROOT ": memory and the number of tasks are not "
                 "capped (memory.max, pids.max)");
        return 0;
    }
    /* The controllers must be enabled on the way down; each write may find them already on. */
    if (write_text(CGROUP_ROOT "/cgroup.subtree_control", "+memory +pids") < 0 ||
        (mkdir(CGROUP_ROOT "/stdvmm", 0755) != 0 && errno != EEXIST) ||
        write_text(CGROUP_ROOT "/stdvmm/cgroup.subtree_control", "+memory +pids") < 0) {
        LOG_ERR("jail: cannot enable the memory and pids controllers below " CGROUP_ROOT
                "/stdvmm: %s",
                strerror(errno));
        return -STDVMM_EIO;
    }
    snprintf(dir, sizeof(dir), CGROUP_ROOT "/stdvmm/%s", j->name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        LOG_ERR("jail: cannot create the cgroup %s: %s", dir, strerror(errno));
        return -errno;
    }
    int r = 0;
    if (j->memory_max != 0) {
        snprintf(path, sizeof(path), "%s/memory.max", dir);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)j->memory_max);
        r = write_text(path, num);
    }
    if (r == 0 && j->pids_max != 0) {
        snprintf(path, sizeof(path), "%s/pids.max", dir);
        snprintf(num, sizeof(num), "%u", j->pids_max);
        r = write_text(path, num);
    }
    if (r == 0) {
        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        snprintf(num, sizeof(num), "%d", (int)getpid());
        r = write_text(path, num);
    }
    if (r < 0) {
        LOG_ERR("jail: cannot set up the cgroup %s: %s", dir, strerror(-r));
        return r;
    }
    LOG_INFO("jail: cgroup %s: memory.max %llu, pids.max %u", dir,
             (unsigned long long)j->memory_max, j->pids_max);
    return 0;
}

/* ---- the new root ---- */

/* mkdir -p below the new root, for a host path seen at the same place inside. */
static int make_dirs(const char *root, const char *path)
{
    char p[512];
    int n = snprintf(p, sizeof(p), "%s/%s", root, path);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -STDVMM_EINVAL;
    for (char *s = p + strlen(root) + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -errno : 0;
}

static int bind_dir(const char *root, const char *host_path)
{
    char target[512];

    snprintf(target, sizeof(target), "%s%s", root, host_path);
    int r = make_dirs(root, host_path);
    if (r == 0 && mount(host_path, target, NULL, MS_BIND | MS_REC, NULL) != 0)
        r = -errno;
    if (r < 0)
        LOG_ERR("jail: cannot bind %s into %s: %s", host_path, root, strerror(-r));
    return r;
}

static int copy_file(const char *from, const char *to)
{
    char buf[4096];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
    if (in < 0)
        return 0; /* nothing to copy: libslirp then has no host DNS, as outside */
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ssize_t n = 0;
    while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            r = -STDVMM_EIO;
            break;
        }
    }
    if (out < 0 || n < 0)
        r = -errno;
    close(in);
    if (out >= 0)
        close(out);
    return r;
}

/*
 * /dev/kvm as a node of the jail's own, owned by the jail's uid: each
 * build opens it again, and the host's node (root:kvm 0660) would refuse
 * that uid. A bind mount would share the host's inode, so no chown there.
 */
static int make_kvm_node(const char *root, unsigned uid, unsigned gid)
{
    char path[512];
    struct stat st;

    if (stat("/dev/kvm", &st) != 0 || !S_ISCHR(st.st_mode))
        return -ENOENT;
    snprintf(path, sizeof(path), "%s/dev", root);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/dev/kvm", root);
    if (mknod(path, S_IFCHR | 0600, st.st_rdev) != 0 || chown(path, uid, gid) != 0)
        return -errno;
    return 0;
}

/*
 * pivot_root, and the old root detached. A system running from its
 * initramfs (rootfs, as the test host does) cannot pivot_root (EINVAL):
 * there the new root is moved over / and entered with chroot, as runc's
 * --no-pivot does. The old root then stays mounted beneath, in this mount
 * namespace only, out of reach without CAP_SYS_CHROOT, which goes below.
 */
static int pivot_to(const char *root)
{
    char old[512];

    snprintf(old, sizeof(old), "%s/old-root", root);
    if (mkdir(old, 0700) != 0)
        return -errno;
    if (syscall(SYS_pivot_root, root, old) == 0) {
        if (chdir("/") != 0 || umount2("/old-root", MNT_DETACH) != 0 || rmdir("/old-root") != 0)
            return -errno;
        return 0;
    }
    if (errno != EINVAL)
        return -errno;
    if (rmdir(old) != 0 || chdir(root) != 0 || mount(root, "/", NULL, MS_MOVE, NULL) != 0 ||
        chroot(".") != 0 || chdir("/") != 0)
        return -errno;
    LOG_INFO("jail: the host runs from its initramfs: the new root is moved over / and chrooted "
             "(no pivot_root there)");
    return 0;
}

static int make_root(const struct host_jail *j, unsigned uid, unsigned gid)
{
    const char *root = j->dir;
    char path[512];

    /* Nothing we mount from here on reaches the host's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        int e = errno;
        if (e == EINVAL)
            LOG_ERR("jail: / is not a mount point (a chroot?): a jail needs a root it can make "
                    "private and leave; run stdvmm in a mount namespace whose root is a mount "
                    "point, or unprivileged (no jail)");
        return -e;
    }
    if (mkdir(root, 0700) != 0 && errno != EEXIST)
        return -errno;
    /* Not nodev: /dev/kvm is a node in it. */
    if (mount("stdvmm-jail", root, "tmpfs", MS_NOSUID | MS_NOEXEC,
              "size=1m,nr_inodes=256,mode=0755") != 0)
        return -errno;
    int r = j->dev_kvm ? make_kvm_node(root, uid, gid) : 0;
    if (r < 0) {
        LOG_ERR("jail: cannot make /dev/kvm in %s: %s", root, strerror(-r));
        return r;
    }
    for (unsigned i = 0; i < j->bind_count; i++) {
        if (bind_dir(root, j->binds[i]) < 0)
            return -STDVMM_EIO;
    }
    if (j->resolv_conf) {
        snprintf(path, sizeof(path), "%s/etc", root);
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -errno;
        snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
        if (copy_file("/etc/resolv.conf", path) < 0)
            return -STDVMM_EIO;
    }
    int r2 = pivot_to(root);
    if (r2 < 0)
        return r2;
    /*
     * The jail's own /proc (its pid namespace: the VMM alone), read-only:
     * the control socket's info lists the vCPU threads from /proc/self/task.
     */
    if (mkdir("/proc", 0555) != 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) != 0)
        return -errno;
    /* The root itself read-only: the VM writes only through descriptors opened outside. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) != 0)
        return -errno;
    return 0;
}

/* ---- rights ---- */

static int set_limits(const struct host_jail *j)
{
    struct rlimit nofile = {j->nofile_max, j->nofile_max};
    struct rlimit fsize = {j->fsize_max, j->fsize_max};
    if (j->nofile_max != 0 && setrlimit(RLIMIT_NOFILE, &nofile) != 0)
        return -errno;
    if (j->fsize_max != 0 && setrlimit(RLIMIT_FSIZE, &fsize) != 0)
        return -errno;
    /* A write past the limit then fails with EFBIG instead of killing the VMM. */
    signal(SIGXFSZ, SIG_IGN);
    return 0;
}

/* The uid and gid, no supplementary groups, and no capability left in any set. */
static int drop_rights(unsigned uid, unsigned gid)
{
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return -errno;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -errno;
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return -errno;
    /* setresuid away from 0 clears the permitted and effective sets; check, do not trust. */
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0)
        return -errno;
    if (d[0].effective | d[1].effective | d[0].permitted | d[1].permitted)
        return -STDVMM_EPERM;
    return 0;
}

/* ---- the supervisor outside the pid namespace ---- */

static void supervise(pid_t child, const struct host_jail *j, unsigned uid, unsigned gid)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /*
     * None of the VM's descriptors: it holds no disk or socket, and a pipe
     * end kept here would keep the VMM's own wake-ups (the control socket
     * thread's) from ever seeing the other end closed.
     */
    if (close_range(3, ~0u, 0) != 0)
        LOG_WARN("jail: the supervisor cannot close the VM's descriptors: %s", strerror(errno));
    if (drop_rights(uid, gid) < 0 || host_sandbox_init(j->seccomp, 0, -1) < 0) {
        LOG_ERR("jail: the supervisor cannot drop its rights: %s", strerror(errno));
        kill(child, SIGKILL);
        _exit(1);
    }
    host_sandbox_enter(HOST_THREAD_SUPERVISOR);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t w = waitpid(child, &status, WNOHANG);
        if (w != child)
            continue;
        if (WIFEXITED(status))
            _exit(WEXITSTATUS(status));
        /* Die of the same signal (SIGSYS from the sandbox, say), without a second core dump. */
        int s = WTERMSIG(status);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(s, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, s);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), s);
        _exit(128 + s);
    }
}

int host_jail_enter(const struct host_jail *j)
{
    unsigned uid = j->uid != 0 ? j->uid : HOST_JAIL_ID_BASE + (unsigned)getpid();
    unsigned gid = j->gid != 0 ? j->gid : uid;
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;

    if (geteuid() != 0) {
        LOG_ERR("--jail needs root (it makes namespaces and drops to uid %u); without it, "
                "stdvmm runs with its seccomp filters only",
                uid);
        return -STDVMM_EPERM;
    }
    if (!j->host_net)
        flags |= CLONE_NEWNET;
    if (unshare(flags) != 0) {
        int e = errno;
        LOG_ERR("jail: cannot make new namespaces: %s", strerror(e));
        return -e;
    }
    pid_t child = fork();
    if (child < 0)
        return -errno;
    if (child > 0)
        supervise(child, j, uid, gid); /* never returns */

    /* The VMM: pid 1 of its pid namespace. It dies with its supervisor. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    int r = make_root(j, uid, gid);
    if (r < 0) {
        LOG_ERR("jail: cannot make the new root %s: %s", j->dir, strerror(-r));
        return r;
    }
    if (j->name != NULL && sethostname(j->name, strlen(j->name)) != 0)
        LOG_WARN("jail: cannot set the host name %s: %s", j->name, strerror(errno));
    r = set_limits(j);
    if (r == 0)
        r = drop_rights(uid, gid);
    if (r < 0) {
        LOG_ERR("jail: cannot drop to uid %u, gid %u without capabilities: %s", uid, gid,
                strerror(-r));
        return r;
    }
    /*
     * Changing credentials clears the parent-death signal: without this, a
     * supervisor killed with SIGKILL would leave the jailed process running,
     * holding its VM or its switch's ports.
     */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    LOG_INFO("jail: root %s, uid %u, gid %u, no capabilities, namespaces mnt pid ipc uts%s", j->dir,
             uid, gid, j->host_net ? "" : " net");
    return 0;
}
