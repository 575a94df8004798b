/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-iommu (VirtIO 1.2 §5.13, device type 23): the guest's driver
 * attaches the VM's other virtio devices (endpoints) to domains and maps
 * I/O virtual addresses in them; every access those devices make to guest
 * memory is then translated through their domain, and one outside it is
 * refused and reported on the event queue as a fault.
 *
 * The endpoints are stdvmm's own device models: each gets a struct
 * dma_space from viommu_add_endpoint() and puts it in its virtio_slot, so
 * its virtqueue translates rings and buffers through it. A backend whose
 * datapath is elsewhere (the kernel's vhost-net) caches translations
 * instead: it registers a sink on the endpoint's dma_space, its misses are
 * answered with IOTLB entries (stdvmm/devices/iommu_iotlb.h), and every
 * UNMAP, DETACH, re-attach, bypass change and reset invalidates what it may
 * hold before the request completes. vhost-user backends have no such
 * path yet; the machine layer refuses them behind the IOMMU.
 *
 * An endpoint not attached to a domain is denied (and faults) unless the
 * driver set the bypass configuration field (VIRTIO_IOMMU_F_BYPASS_CONFIG);
 * a domain attached with VIRTIO_IOMMU_ATTACH_F_BYPASS passes its endpoints'
 * addresses through as guest-physical ones.
 *
 * Threads: requests are served by the device's host worker; translations
 * run on the endpoints' workers; one spin lock covers the domains (and the
 * sinks' calls, each one message to the kernel). A host
 * pointer handed out stays valid guest RAM even if the driver unmaps the
 * range while the endpoint uses it (that is the driver's race, not a
 * memory-safety one for the VMM).
 */
#ifndef STDVMM_DEVICES_VIRTIO_IOMMU_H
#define STDVMM_DEVICES_VIRTIO_IOMMU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/devices/dma.h"
#include "stdvmm/devices/iommu_map.h"
#include "stdvmm/devices/virtio_device.h"
#include "stdvmm/sync.h"

/* Feature bits (§5.13.3). */
#define VIRTIO_IOMMU_F_INPUT_RANGE 0
#define VIRTIO_IOMMU_F_DOMAIN_RANGE 1
#define VIRTIO_IOMMU_F_MAP_UNMAP 2
#define VIRTIO_IOMMU_F_BYPASS 3
#define VIRTIO_IOMMU_F_PROBE 4
#define VIRTIO_IOMMU_F_MMIO 5
#define VIRTIO_IOMMU_F_BYPASS_CONFIG 6

/* Request types and status codes (§5.13.6). */
#define VIRTIO_IOMMU_T_ATTACH 1
#define VIRTIO_IOMMU_T_DETACH 2
#define VIRTIO_IOMMU_T_MAP 3
#define VIRTIO_IOMMU_T_UNMAP 4
#define VIRTIO_IOMMU_T_PROBE 5

#define VIRTIO_IOMMU_S_OK 0
#define VIRTIO_IOMMU_S_IOERR 1
#define VIRTIO_IOMMU_S_UNSUPP 2
#define VIRTIO_IOMMU_S_DEVERR 3
#define VIRTIO_IOMMU_S_INVAL 4
#define VIRTIO_IOMMU_S_RANGE 5
#define VIRTIO_IOMMU_S_NOENT 6
#define VIRTIO_IOMMU_S_FAULT 7
#define VIRTIO_IOMMU_S_NOMEM 8

#define VIRTIO_IOMMU_ATTACH_F_BYPASS 1u
#define VIRTIO_IOMMU_MAP_F_READ 1u
#define VIRTIO_IOMMU_MAP_F_WRITE 2u
#define VIRTIO_IOMMU_MAP_F_MMIO 4u

#define VIRTIO_IOMMU_PROBE_T_NONE 0
#define VIRTIO_IOMMU_PROBE_T_RESV_MEM 1
#define VIRTIO_IOMMU_RESV_MEM_T_RESERVED 0
#define VIRTIO_IOMMU_RESV_MEM_T_MSI 1

#define VIRTIO_IOMMU_FAULT_R_UNKNOWN 0
#define VIRTIO_IOMMU_FAULT_R_DOMAIN 1
#define VIRTIO_IOMMU_FAULT_R_MAPPING 2
#define VIRTIO_IOMMU_FAULT_F_READ 1u
#define VIRTIO_IOMMU_FAULT_F_WRITE 2u
#define VIRTIO_IOMMU_FAULT_F_ADDRESS 0x100u

/* Configuration space layout (§5.13.4): page_size_mask, input_range, domain_range, probe_size,
 * bypass. */
#define VIRTIO_IOMMU_CONFIG_SIZE 40
#define VIRTIO_IOMMU_CONFIG_BYPASS 36
/* Fault event written to an event-queue buffer. */
#define VIRTIO_IOMMU_FAULT_SIZE 24

#define VIOMMU_REQUEST_QUEUE 0
#define VIOMMU_EVENT_QUEUE 1
#define VIOMMU_QUEUE_SIZE 64
#define VIOMMU_MAX_SEGS 8

#define VIOMMU_MAX_ENDPOINTS 16
/*
 * A sensible capacity for callers sizing the tables (struct viommu_config):
 * live mappings per domain. Linux maps each in-flight buffer and the rings,
 * and unmaps a buffer when it completes.
 */
#define VIOMMU_DEFAULT_MAPPINGS 4096
#define VIOMMU_MAX_RESV 4
/* Probe buffer: a reserved-region property is 24 bytes, and a NONE property ends the list. */
#define VIOMMU_PROBE_SIZE (VIOMMU_MAX_RESV * 24 + 8)

struct viommu_resv {
    uint64_t start, last;
    uint8_t subtype; /* VIRTIO_IOMMU_RESV_MEM_T_* */
};

struct viommu_domain;

struct viommu_config {
    struct virtio_slot slot; /* the IOMMU's own queues are not translated */
    /* Regions each endpoint must not map (PROBE), e.g. an MSI doorbell window; may be none. */
    struct viommu_resv resv[VIOMMU_MAX_RESV];
    unsigned nresv;
    /*
     * The tables, the caller's storage (this layer has no heap), so that a
     * VM without the IOMMU carries none: max_domains domains, each mapping
     * up to max_mappings ranges in its own slice of mappings[], which holds
     * max_domains * max_mappings. The driver can never use more domains
     * than there are endpoints (a domain goes with its last endpoint), so
     * that many is enough. A full domain answers MAP with S_NOMEM.
     */
    struct viommu_domain *domains;
    struct iommu_mapping *mappings;
    unsigned max_domains;
    uint32_t max_mappings;
};

struct viommu;

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct viommu_endpoint {
    struct viommu *iommu;
    uint32_t id;
    int domain; /* index into domains[], -1 when detached */
    const char *name;
    struct dma_space dma;
    struct dma_iotlb_sink sink; /* a datapath outside the VMM caching translations; or zeroes */
};

struct viommu_domain {
    bool used;
    bool bypass;
    uint32_t id;
    uint32_t endpoints; /* attached; the domain goes when the last detaches */
    struct iommu_map map; /* in the caller's mappings[] (viommu_config) */
};

struct viommu {
    struct virtio_dev vdev;
    struct viommu_config cfg;
    stdvmm_lock_t lock;  /* the endpoints' domains, the domains and their maps */
    atomic_uchar bypass; /* configuration field: unattached endpoints pass through */
    struct viommu_endpoint endpoints[VIOMMU_MAX_ENDPOINTS];
    unsigned nendpoints;
    struct viommu_domain *domains; /* cfg.domains, cfg.max_domains of them */
    atomic_uint faults;      /* translation faults since start, reported or not */
    atomic_uint faults_lost; /* of which the driver had no event buffer for */
    struct virtq_seg segs[VIOMMU_MAX_SEGS];
};

/* -STDVMM_EINVAL (logged) without tables (cfg->domains, cfg->mappings) or with an empty one. */
int viommu_init(struct viommu *v, const struct viommu_config *cfg);

/*
 * Declares endpoint id (the number the firmware tables give the device) and
 * returns the translation its device model puts in its slot's dma, or NULL
 * (duplicate id, too many endpoints). Before the VM starts.
 */
const struct dma_space *viommu_add_endpoint(struct viommu *v, uint32_t id, const char *name);

/* Host worker: serves the request queue. */
void viommu_process(struct viommu *v);

/* Translation faults so far (for tests and statistics). */
unsigned viommu_faults(struct viommu *v);

#endif
