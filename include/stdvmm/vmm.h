/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level VMM API (paper §5.1, top layer): build and run one VM from
 * a description. The command line and configuration files are two spellings
 * of struct vmm_config; everything below it (core, arch, port) is reachable
 * without this header for integrators who want the lower layers only.
 * Linux-hosted: src/runtime (stdvmm_runtime).
 */
#ifndef STDVMM_VMM_H
#define STDVMM_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/devices/rate_limiter.h"
#include "stdvmm/host/sandbox.h"
#include "stdvmm/memory_map.h"
#include "stdvmm/spelling.h"
#include "stdvmm/vm.h"

enum vmm_serial_mode {
    VMM_SERIAL_TTY,  /* the terminal stdvmm runs on (raw mode while the VM runs) */
    VMM_SERIAL_FILE, /* append guest output to a file; no input */
    VMM_SERIAL_OFF,  /* discard */
};

/* Which device carries the console (--serial's terminal or file). */
enum vmm_console_device {
    VMM_CONSOLE_SERIAL = 0, /* the 16550A UART: ttyS0 */
    VMM_CONSOLE_VIRTIO,     /* virtio-console: hvc0; the UART stays, its output is dropped */
};

#define VMM_SERIAL_RATE_DEFAULT (1ull << 20)
#define VMM_SERIAL_RATE_OFF UINT64_MAX

#define VMM_MAX_DISKS 8
#define VMM_MAX_NETS 4
#define VMM_MAX_HOSTFWDS 8
#define VMM_MAX_FS 4
#define VMM_MAX_SHARED 8         /* as MACHINE_MAX_SHARED */
#define VMM_MAX_SHARED_MEMBERS 8 /* as SHARED_REGION_MAX_MEMBERS */

/* A raw disk image (virtio-blk). */
/*
 * Interrupt ownership of one device: the vCPU its interrupt should arrive
 * on. Arm: stdvmm routes it there when the driver starts the device; x86:
 * the guest routes its own interrupts, so stdvmm publishes the wish on the
 * kernel command line (stdvmm.irq_affinity=) for the guest to apply and
 * reports where the guest sent it (docs/multicore.md).
 */
struct vmm_irq_owner {
    bool set;
    unsigned vcpu;
};

struct vmm_disk {
    const char *path;       /* a raw image served by stdvmm itself; NULL with vhost_user */
    const char *vhost_user; /* the socket of a vhost-user-blk backend (docs/virtio.md) */
    const char *id; /* what the guest reads as the serial (GET_ID), 20 bytes at most; NULL: diskN */
    bool readonly;  /* VIRTIO_BLK_F_RO, and the file is opened read-only */
    struct vmm_irq_owner irq;
    struct rate_limiter_config limit; /* what the guest may make it do; zeros: no limit */
};

enum vmm_net_backend {
    VMM_NET_USER = 0,   /* user-mode networking (libslirp): NAT, DHCP, DNS, host forwards */
    VMM_NET_TAP,        /* an existing TAP interface of the host */
    VMM_NET_VHOST_USER, /* the queues served by a vhost-user-net backend (stdvmm-switch, DPDK) */
};

/* A network interface (virtio-net). */
struct vmm_net {
    enum vmm_net_backend backend;
    const char *tap;        /* VMM_NET_TAP: interface name */
    bool vhost;             /* VMM_NET_TAP: the kernel's vhost-net moves the frames */
    const char *vhost_user; /* VMM_NET_VHOST_USER: the backend's socket */
    bool has_mac;           /* else derived from the VM name and the interface's index */
    uint8_t mac[6];
    struct spelling_hostfwd hostfwds[VMM_MAX_HOSTFWDS]; /* VMM_NET_USER */
    bool unrestricted; /* VMM_NET_USER: the guest may open connections to the host's network */
    unsigned hostfwd_count;
    struct vmm_irq_owner irq;
    /*
     * Frames the guest may send, and receive, each direction with buckets of
     * its own (Cloud Hypervisor's model); zeros: no limit. Only where the
     * frames pass through stdvmm: not with vhost or vhost_user.
     */
    struct rate_limiter_config limit;
};

/* virtio-vsock; host side is a Unix socket (Firecracker's convention). */
struct vmm_vsock {
    bool enabled;
    uint32_t cid;       /* the guest's context ID, 3 or more */
    const char *socket; /* host-initiated: connect here, send "CONNECT <port>\n";
                           guest-initiated to port P: stdvmm connects to "<socket>_P" */
    struct vmm_irq_owner irq;
};

/* virtio-fs served by a vhost-user-fs backend (virtiofsd); the guest mounts it by tag. */
struct vmm_fs {
    const char *tag;    /* 1 to 36 bytes */
    const char *socket; /* the backend's vhost-user socket */
    struct vmm_irq_owner irq;
};

struct vmm_placement; /* stdvmm/placement.h */

/*
 * A shared region this VM is a member of (docs/memory.md): memory another
 * process made (stdvmmd's sealed memfd, handed down as fd; or a file at
 * path), mapped at gpa. Doorbells are eventfds by member index: this VM
 * waits on its own and signals the others'.
 */
struct vmm_shared_region {
    const char *name;
    uint64_t gpa;
    uint64_t size;
    bool read_only;   /* mapped read-only: the guest's writes are refused and counted */
    int fd;           /* an inherited descriptor of the memory; -1: path */
    const char *path; /* a file (e.g. under /dev/shm) when no descriptor is given */
    unsigned member, members;
    int doorbells[VMM_MAX_SHARED_MEMBERS]; /* eventfds, by member index */
    unsigned doorbell_count;               /* 0: no doorbells; else members */
};

struct vmm_config {
    const char *name;
    const char *kernel;
    const char *initramfs; /* NULL: none */
    const char *cmdline;
    unsigned cpus;
    uint64_t memory; /* bytes; with a memory map, its total */
    /* RAM at chosen guest-physical addresses (--memory-map, memory_map:); 0: the arch places it. */
    struct memmap_range memory_map[MEMMAP_MAX_REGIONS];
    unsigned memory_map_count;
    enum vmm_serial_mode serial;
    const char *serial_path; /* VMM_SERIAL_FILE */
    /* VMM_SERIAL_FILE: bytes before the log rotates to PATH.1; 0: 16 MiB. */
    uint64_t serial_max;
    /*
     * Guest console output (file or terminal) in bytes per second, with a
     * second's worth at once; what comes faster is dropped and counted.
     * 0: VMM_SERIAL_RATE_DEFAULT; VMM_SERIAL_RATE_OFF: no limit.
     */
    uint64_t serial_rate;
    bool no_reboot;          /* guest reset ends the VMM instead of rebooting */
    const char *api_socket;  /* per-VM control socket (pause, resume, shutdown, info); NULL: none */
    enum vmm_console_device console;
    struct vmm_disk disks[VMM_MAX_DISKS];
    unsigned disk_count;
    struct vmm_net nets[VMM_MAX_NETS];
    unsigned net_count;
    struct vmm_vsock vsock;
    struct vmm_fs fs[VMM_MAX_FS];
    unsigned fs_count;
    bool rng; /* virtio-rng fed from getrandom(2) */
    /*
     * A virtio-iommu in front of the other virtio devices (docs/memory.md):
     * their accesses go through the guest's mappings. Not with vhost-user,
     * vhost-net or virtio-fs, whose datapaths stdvmm does not translate.
     */
    bool iommu;
    struct vmm_shared_region shared[VMM_MAX_SHARED];
    unsigned shared_count;
    const struct vmm_placement *placement; /* vCPU/VMM thread placement; NULL: none */
    enum host_seccomp_mode seccomp;        /* the threads' filters; 0: kill on a violation */
    const char *jail;  /* root only: jail the VMM with this directory as its root; NULL: none */
    unsigned jail_id;  /* the jail's uid and gid; 0: HOST_JAIL_ID_BASE + pid (host/jail.h) */

    struct vm_arch_options arch; /* --kernel-format, --irqchip, --pmu, ...; zero: defaults */
};

/* Process exit statuses of `stdvmm run`; documented in docs/cli.md. */
enum vmm_exit_status {
    VMM_EXIT_POWEROFF = 0, /* the guest powered off */
    VMM_EXIT_ERROR = 1,    /* stdvmm could not build or run the VM; stderr says why */
    VMM_EXIT_USAGE = 2,    /* bad command line or configuration */
    VMM_EXIT_PANIC = 3,    /* the guest kernel panicked */
    VMM_EXIT_RESET = 4,    /* the guest reset itself under --no-reboot */
    VMM_EXIT_STOPPED = 5,  /* stopped from the host (signal, console escape) */
};

#define VMM_MAX_CPUS 64

/* Checks a configuration; logs every problem; 0 when it can run. */
int vmm_config_check(const struct vmm_config *cfg);

/* Builds and runs the VM until it stops for good; returns an enum vmm_exit_status. */
int vmm_run(const struct vmm_config *cfg);

#endif
