/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description (paper §4.2.1): the bounds a system of VMs must stay
 * within and the VMs it may run, in one YAML (or JSON) file. The manager
 * (stdvmmd) enforces the bounds at run time; `stdvmm run --config` reads a
 * single VM entry, so the command line and the file are two spellings of one
 * struct vmm_config. The schema is documented in docs/system-description.md.
 *
 * Parsing is done by libyaml (YAML) or jansson (JSON); this module turns the
 * document into typed structures and validates it, reporting every problem
 * with its path in the file ("vms[2].memory: 64G exceeds system.memory 8G"),
 * not only the first one. Linux-hosted: src/description (stdvmm_description).
 */
#ifndef STDVMM_SYSTEM_CONFIG_H
#define STDVMM_SYSTEM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/memory_map.h"
#include "stdvmm/placement.h"
#include "stdvmm/vmm.h"

#define SYSCONF_MAX_VMS 256       /* definitions in one description */
#define SYSCONF_MAX_DISKS 8       /* per VM */
#define SYSCONF_MAX_NETS 4        /* per VM */
#define SYSCONF_MAX_FS 4          /* per VM: virtio-fs devices */
#define SYSCONF_MAX_HOSTFWDS 8    /* per user-mode network */
#define SYSCONF_MAX_INSTANCES 256 /* instances.max of one definition */
#define SYSCONF_NAME_MAX 48       /* VM names become file names and socket paths */
#define SYSCONF_MAX_HOST_CPUS 1024
#define SYSCONF_MAX_FILE_SIZE (1u << 20) /* a description is text; bigger is a mistake */
#define SYSCONF_DEFAULT_MAX_VMS 16
/*
 * The smallest guest any arch of stdvmm boots (x86_64: 32M). A constant
 * rather than arch_min_ram(), so that the manager links no arch or port
 * code; the VMM checks its own arch's minimum again when it starts.
 */
#define SYSCONF_MIN_MEMORY (32ull << 20)

/* A set of host CPUs ("0-3,6"). */
struct sysconf_cpuset {
    uint64_t bits[SYSCONF_MAX_HOST_CPUS / 64];
};

enum sysconf_restart {
    SYSCONF_RESTART_NEVER,
    SYSCONF_RESTART_ON_FAILURE, /* exit status other than 0 (poweroff) */
    SYSCONF_RESTART_ALWAYS,     /* any exit the manager did not ask for */
};

struct sysconf_disk {
    const char *path;       /* NULL when vhost_user is set */
    const char *vhost_user; /* socket of a vhost-user-blk backend (qemu-storage-daemon) */
    const char *id; /* serial number the guest reads (at most 20 bytes); NULL: diskN */
    bool read_only;
    struct vmm_irq_owner irq; /* irq_vcpu: the vCPU that owns its interrupt */
    struct rate_limiter_config limit; /* bw_size, ops_size, ...: zeros: no limit */
};

/* filesystems: virtio-fs served by a vhost-user-fs backend (virtiofsd). */
struct sysconf_fs {
    const char *tag;    /* what the guest mounts: mount -t virtiofs TAG DIR */
    const char *socket; /* the backend's vhost-user socket */
    struct vmm_irq_owner irq;
};

struct sysconf_net {
    const char *network;    /* a network of the description's networks[] (stdvmmd's switch) */
    const char *tap;        /* host TAP device ("{n}": instance number); NULL: user networking */
    bool vhost;             /* tap: the kernel's vhost-net moves the frames */
    const char *vhost_user; /* a vhost-user-net backend's socket (stdvmm-switch, DPDK) */
    const char *mac;        /* "52:54:00:12:34:56", or NULL: the VMM derives one */
    /* user networking only; instances: host_port + n - 1 */
    struct spelling_hostfwd hostfwds[SYSCONF_MAX_HOSTFWDS];
    bool unrestricted; /* user: {restrict: false} */
    unsigned hostfwd_count;
    struct vmm_irq_owner irq;
    struct rate_limiter_config limit; /* each direction's buckets; as vmm_net's */
};

/* A shared pool of pCPUs (system.pools) that several VMs' vCPUs may use. */
struct sysconf_pool {
    const char *name;
    struct placement_cpuset pcpus;
};

struct sysconf_vm {
    const char *name;
    const char *kernel;
    const char *initramfs; /* NULL: none */
    const char *cmdline;
    unsigned cpus;
    uint64_t memory;                                    /* bytes; with memory_map, its total */
    struct memmap_range memory_map[MEMMAP_MAX_REGIONS]; /* memory_map: RAM where it goes */
    unsigned memory_map_count;                          /* 0: the arch places RAM */
    struct sysconf_disk disks[SYSCONF_MAX_DISKS];
    unsigned disk_count;
    struct sysconf_net nets[SYSCONF_MAX_NETS];
    unsigned net_count;
    struct sysconf_fs filesystems[SYSCONF_MAX_FS];
    unsigned fs_count;
    uint32_t vsock_cid;       /* 0: no vsock device; instances get cid + n - 1 */
    const char *vsock_socket; /* host side; the manager's default: STATE/vms/NAME/vsock.sock */
    struct vmm_irq_owner vsock_irq;
    bool rng;                 /* virtio-rng */
    bool iommu;               /* virtio-iommu in front of the virtio devices */
    bool virtio_console;      /* console on virtio-console (hvc0) instead of the UART */
    const char *serial_log;   /* NULL: manager default, or the terminal for stdvmm run */
    uint64_t serial_log_max;  /* bytes before serial_log rotates; 0: the default, 16 MiB */
    uint64_t serial_log_rate; /* console bytes per second; 0: the default, 1 MiB */
    bool no_reboot;
    enum host_seccomp_mode seccomp; /* the VMM's filters; kill unless debugging */
    struct vm_arch_options arch;    /* kernel_format, irqchip, pmu, its, sve, pauth, mte */
    enum sysconf_restart restart;
    unsigned restart_max; /* on-failure:N; 0 = unlimited */
    bool autostart;
    bool no_jail; /* jail: false: a root manager starts this VMM unjailed (seccomp only) */
    unsigned instances_max; /* 0: one VM called name; N: a definition for N instances */
    bool has_host_cpus;
    struct sysconf_cpuset host_cpus;
    struct vmm_placement *placement; /* cpus: {...} or vmm_threads given; NULL: none */
};

struct sysconf_system {
    uint64_t memory;  /* total guest memory of running VMs, bytes */
    unsigned vcpus;   /* total vCPUs of running VMs */
    unsigned max_vms; /* VMs running at once */
    bool has_host_cpus;
    struct sysconf_cpuset host_cpus; /* where VMMs may run; all CPUs when absent */
    struct sysconf_pool *pools;      /* system.pools */
    unsigned pool_count;
};

#define SYSCONF_MAX_SHARED 16        /* shared_regions of one description */
#define SYSCONF_MAX_SHARED_MEMBERS 8 /* VMs of one shared region */

/* One VM's view of a shared region: where it sits in that VM, and how. */
struct sysconf_shared_member {
    const char *vm; /* a VM of vms[] (not a definition with instances) */
    uint64_t gpa;
    bool read_only; /* access: ro; the default is rw */
};

/*
 * shared_regions[]: memory that exactly these VMs see (docs/memory.md).
 * Checked here (members, placement in each member's map); stdvmmd maps it
 * into the members (src/manager/manager_shared.c).
 */
struct sysconf_shared_region {
    const char *name;
    uint64_t size;
    bool doorbell;
    struct sysconf_shared_member members[SYSCONF_MAX_SHARED_MEMBERS];
    unsigned member_count;
};

#define SYSCONF_MAX_NETWORKS 8 /* as the seL4 switch's argument page (net_abi.h) */
#define SYSCONF_NETWORK_NAME_MAX 15
#define SYSCONF_MAX_NETWORK_MEMBERS 16 /* ports of one stdvmm-switch */

/*
 * networks[]: a switched network between exactly the VMs named as its
 * members (the allow-list), the same schema as the seL4 port's
 * (tools/sel4/gen-vm-table.py). A member's NIC joins it with nets:
 * [{network: NAME}]. On Linux, stdvmmd runs one stdvmm-switch per network.
 */
struct sysconf_network {
    const char *name; /* 1-15 of A-Z a-z 0-9 . _ - */
    const char *members[SYSCONF_MAX_NETWORK_MEMBERS];
    unsigned member_count;
    const char *uplink; /* a host TAP device as one more port; NULL: none (Linux only) */
};

struct sysconf_arena;

/* A parsed, validated description. Strings live in the arena. */
struct sysconf {
    struct sysconf_system system;
    struct sysconf_vm *vms;
    unsigned vm_count;
    struct sysconf_shared_region *shared; /* shared_regions */
    unsigned shared_count;
    struct sysconf_network *networks; /* networks */
    unsigned network_count;
    struct sysconf_arena *arena;
};

/* One problem found in a description or request. */
struct sysconf_diag {
    char *path;    /* "vms[2].memory"; "" for the document itself */
    unsigned line; /* 1-based line in the file; 0 when unknown (JSON, API bodies) */
    char *message;
};

struct sysconf_diags {
    struct sysconf_diag *items;
    unsigned count;
    unsigned capacity;
    bool truncated; /* more problems than SYSCONF_MAX_DIAGS */
};
#define SYSCONF_MAX_DIAGS 100

enum sysconf_format {
    SYSCONF_FORMAT_AUTO, /* JSON for *.json files and texts starting with '{', else YAML */
    SYSCONF_FORMAT_YAML,
    SYSCONF_FORMAT_JSON,
};

/* Flags for the parse functions. */
#define SYSCONF_CHECK_FILES (1u << 0) /* kernel, initramfs and disks must be readable files */

/*
 * A whole system description. base_dir resolves relative paths (NULL: keep
 * them). Returns 0, or -STDVMM_EINVAL with every problem in *diags (the
 * caller frees them with sysconf_diags_free); *out is only filled on success.
 */
int sysconf_parse_system(const char *text, size_t len, enum sysconf_format fmt,
                         const char *base_dir, unsigned flags, struct sysconf *out,
                         struct sysconf_diags *diags);
/* Reads path, then as sysconf_parse_system with base_dir = path's directory. */
int sysconf_load_system(const char *path, unsigned flags, struct sysconf *out,
                        struct sysconf_diags *diags);

/*
 * A single-VM description: the same fields as one entry of vms[] at the top
 * level (restart, autostart and instances are accepted and mean nothing to
 * `stdvmm run`). out->vms[0] is the VM; out->system is zero.
 */
int sysconf_parse_vm(const char *text, size_t len, enum sysconf_format fmt, const char *base_dir,
                     unsigned flags, struct sysconf *out, struct sysconf_diags *diags);
int sysconf_load_vm(const char *path, unsigned flags, struct sysconf *out,
                    struct sysconf_diags *diags);

void sysconf_free(struct sysconf *cfg);

/* A copy of s kept until sysconf_free (NULL on allocation failure). */
const char *sysconf_strdup(struct sysconf *cfg, const char *s);
/*
 * The same for strings that must outlive no struct sysconf (the manager's
 * per-instance paths): a copy in *arena, all freed at once by
 * sysconf_arena_free. *arena starts NULL.
 */
const char *sysconf_arena_strdup(struct sysconf_arena **arena, const char *s);
void sysconf_arena_free(struct sysconf_arena *arena);

/*
 * Fills a struct vmm_config from a VM entry; strings point into vm. Fields
 * the VMM does not support yet are reported as diags. serial_log set means
 * VMM_SERIAL_FILE; otherwise the serial mode is left as the caller set it.
 */
int sysconf_vm_to_vmm_config(const struct sysconf_vm *vm, struct vmm_config *out,
                             struct sysconf_diags *diags);

/*
 * The VM entry as JSON text (the single-VM schema) for `stdvmm run
 * --config`; the caller frees it with free(). NULL on allocation failure.
 */
char *sysconf_vm_to_json(const struct sysconf_vm *vm);

/* Names of VMs and instances: [A-Za-z0-9][A-Za-z0-9._-]*, at most SYSCONF_NAME_MAX. */
bool sysconf_valid_name(const char *name);

/* "on-failure:3" etc. into policy and max; false on anything else. */
bool sysconf_parse_restart(const char *s, enum sysconf_restart *policy, unsigned *max);
/* "0-3,6" into a set; false on junk, reversed ranges, CPUs >= SYSCONF_MAX_HOST_CPUS. */
bool sysconf_parse_cpuset(const char *s, struct sysconf_cpuset *out);
unsigned sysconf_cpuset_count(const struct sysconf_cpuset *set);
bool sysconf_cpuset_has(const struct sysconf_cpuset *set, unsigned cpu);
bool sysconf_cpuset_subset(const struct sysconf_cpuset *a, const struct sysconf_cpuset *of);
/* Writes "0-3,6" into buf (always terminated). */
void sysconf_cpuset_format(const struct sysconf_cpuset *set, char *buf, size_t size);

/* Diagnostics. Adding one may fail silently when memory runs out. */
void sysconf_diag_add(struct sysconf_diags *d, const char *path, unsigned line, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
/* One line per problem to descriptor fd: "FILE:LINE: PATH: MESSAGE" (FILE may be NULL). */
void sysconf_diags_print(const struct sysconf_diags *d, const char *file, int fd);
void sysconf_diags_free(struct sysconf_diags *d);

#endif
