/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Event loops, the guest's console log, disks and their io_uring rings.
 * Reading and writing descriptors the VMM already holds is in the base
 * list; these add what a device does beyond that.
 */
#include "seccomp_lists.h"

/* A device's event loop: eventfds (ioeventfd, irqfd, wake-ups) are read and written. */
static const struct sc_rule event_rules[] = {
    SC("eventfd2"), SC("pipe2"),
};
SC_LIST(sc_event, "event", event_rules);

/*
 * Guest output past the log's cap rotates the file (host_rotlog): a new
 * file and a rename, relative to the log's directory only, and its fsync;
 * where the directory is not writable (a jail), the file is truncated.
 */
static const struct sc_rule console_log_rules[] = {
    SC_LOGDIR("openat", 0), SC_LOGDIR2("renameat", 0, 2), SC_LOGDIR2("renameat2", 0, 2),
    SC("fsync"), SC("ftruncate"),
};
SC_LIST(sc_console_log, "console-log", console_log_rules);

/*
 * A disk's requests when they run on the device thread (no io_uring, or its
 * fallback), and the timer that resumes what a rate limit held (a disk's
 * requests, a network interface's frames: host/loop_timer.h).
 */
static const struct sc_rule disk_rules[] = {
    SC("pread64"),   SC("pwrite64"),       SC("preadv"),          SC("pwritev"),
    SC("preadv2"),   SC("pwritev2"),       SC("fdatasync"),       SC("fsync"),
    SC("fallocate"), SC("timerfd_create"), SC("timerfd_settime"),
};
SC_LIST(sc_disk, "disk", disk_rules);

/*
 * Submitting to and reaping from a ring. The ring's own operations bypass
 * seccomp; blk_file restricts each ring to the operations the disk list
 * allows as system calls (IORING_REGISTER_RESTRICTIONS).
 */
static const struct sc_rule uring_rules[] = {
    SC("io_uring_enter"),
};
SC_LIST(sc_uring, "io_uring", uring_rules);

/* Creating, restricting and enabling rings: on the main thread, when a VM is built. */
static const struct sc_rule uring_setup_rules[] = {
    SC("io_uring_setup"), SC("io_uring_register"),
};
SC_LIST(sc_uring_setup, "io_uring-setup", uring_setup_rules);
