/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A jail's supervisor (host/jail.c): it waits for the jailed VMM, passes it
 * the stop signals, and ends as it ended. kill has no condition: the
 * supervisor runs as the jail's own uid, whose only other process is the
 * VMM, so that is all it can signal.
 */
#include "seccomp_lists.h"

static const struct sc_rule supervisor_rules[] = {
    SC("rt_sigtimedwait"), SC("wait4"), SC("waitid"), SC("kill"), SC("rt_sigaction"),
    SC("prlimit64"), SC("setrlimit"),
};
SC_LIST(sc_supervisor, "jail-supervisor", supervisor_rules);

/*
 * stdvmm-switch after its ports listen: it accepts frontends, talks
 * vhost-user on their sockets (descriptors come with SET_MEM_TABLE and the
 * rings' eventfds, mmap and fcntl(F_DUPFD_CLOEXEC) are in base), and
 * otherwise only reads and writes eventfds. No socket, open or unlink:
 * its socket files stay behind and the next start replaces them.
 */
static const struct sc_rule switch_rules[] = {
    SC("accept4"), SC("recvmsg"), SC("recvfrom"), SC("sendmsg"), SC("sendto"),
};
SC_LIST(sc_switch, "switch", switch_rules);
