/* SPDX-License-Identifier: BSD-2-Clause */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t restored;

void host_terminal_restore(void)
{
    if (saved_fd >= 0 && !restored) {
        restored = 1;
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
    }
}

/* Restores the terminal, then lets the signal do what it would have done. */
static void restore_and_reraise(int sig)
{
    host_terminal_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

int host_terminal_raw(int fd)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    struct termios raw;

    if (!isatty(fd))
        return 0;
    if (tcgetattr(fd, &saved) < 0)
        return -STDVMM_EIO;
    saved_fd = fd;
    atexit(host_terminal_restore);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], restore_and_reraise);

    raw = saved;
    cfmakeraw(&raw);
    /* Keep output processing so our own messages still get carriage returns. */
    raw.c_oflag |= OPOST | ONLCR;
    if (tcsetattr(fd, TCSAFLUSH, &raw) < 0)
        return -STDVMM_EIO;
    return 0;
}
