/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Networking: TAP offloads, libslirp's host sockets, Unix sockets (vsock's
 * host side, vhost-user backends) and the control socket. Socket creation
 * is limited to the address family the device needs.
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "seccomp_lists.h"

/*
 * The driver's offload features are set on the TAP device when it
 * negotiates them. With vhost-net the rings go to the kernel at DRIVER_OK
 * (the device's thread) and come back at a reset (a vCPU thread); behind
 * the IOMMU each boot also sets the IOTLB message format, and the IOTLB
 * messages themselves are read() and write() on the vhost descriptor.
 */
static const struct sc_rule tap_rules[] = {
    SC_IOCTL(TUNSETOFFLOAD),         SC_IOCTL(TUNSETVNETHDRSZ),      SC_IOCTL(VHOST_SET_FEATURES),
    SC_IOCTL(VHOST_SET_MEM_TABLE),   SC_IOCTL(VHOST_SET_VRING_NUM),  SC_IOCTL(VHOST_SET_VRING_BASE),
    SC_IOCTL(VHOST_SET_VRING_ADDR),  SC_IOCTL(VHOST_SET_VRING_KICK), SC_IOCTL(VHOST_SET_VRING_CALL),
    SC_IOCTL(VHOST_NET_SET_BACKEND), SC_IOCTL(VHOST_GET_VRING_BASE),
    SC_IOCTL(VHOST_GET_BACKEND_FEATURES), SC_IOCTL(VHOST_SET_BACKEND_FEATURES),
};
SC_LIST(sc_tap, "tap", tap_rules);

/*
 * libslirp turns the guest's TCP and UDP flows (and ICMP echo) into host
 * sockets, and serves host forwards. For DNS it reads /etc/resolv.conf:
 * read-only opens only.
 */
static const struct sc_rule inet_rules[] = {
    SC_IF("socket", 0, AF_INET), SC_IF("socket", 0, AF_INET6),
    SC("connect"), SC("bind"), SC("listen"), SC("accept"), SC("accept4"),
    SC("sendto"), SC("recvfrom"), SC("sendmsg"), SC("recvmsg"), SC("shutdown"),
    SC("setsockopt"), SC("getsockopt"), SC("getsockname"), SC("getpeername"),
    SC_IOCTL(FIONREAD), SC_IOCTL(FIONBIO),
    SC_IF_MASKED("openat", 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY),
    SC_IF_MASKED("open", 1, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY),
    SC("stat"),
};
SC_LIST(sc_inet, "inet", inet_rules);

/*
 * vsock's host side (guest connections to port P become a connection to
 * PATH_P; host programs connect to PATH) and vhost-user backends
 * (descriptors passed with SCM_RIGHTS).
 */
static const struct sc_rule unix_rules[] = {
    SC_IF("socket", 0, AF_UNIX), SC("connect"), SC("accept4"),
    SC("sendto"), SC("recvfrom"), SC("sendmsg"), SC("recvmsg"), SC("shutdown"),
    SC("getsockopt"), SC("setsockopt"),
};
SC_LIST(sc_unix, "unix", unix_rules);

/*
 * The control socket: its listening socket is made before; the thread
 * accepts and talks, and `info` lists the vCPU threads from /proc/self/task.
 */
static const struct sc_rule api_rules[] = {
    SC("accept4"), SC("sendto"), SC("recvfrom"), SC("sendmsg"), SC("recvmsg"), SC("shutdown"),
    SC("getsockopt"), SC("getdents64"),
};
SC_LIST(sc_api, "api", api_rules);
