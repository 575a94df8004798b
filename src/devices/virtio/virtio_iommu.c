/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-iommu requests. Each request is a readable part (head, fields) and
 * a writable part (PROBE properties, then the 4-byte tail with the status);
 * every field is copied out of the chain once and checked here.
 */
#include "stdvmm/devices/virtio_iommu.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/devices/iommu_iotlb.h"
#include "stdvmm/devices/virtio.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

#define TAIL_SIZE 4
/* Readable sizes of each request, head included (Linux sends these exactly). */
#define ATTACH_SIZE 20
#define DETACH_SIZE 20
#define MAP_SIZE 36
#define UNMAP_SIZE 28
#define PROBE_SIZE 72
#define REQ_MAX PROBE_SIZE
#define PROBE_BUFFER_MAX 4096u

/* The smallest page the device maps (page_size_mask below): addresses must be aligned to it. */
#define GRANULE 4096ull
#define PAGE_SIZE_MASK (~(GRANULE - 1))
#define DOMAIN_FIRST 1u
#define DOMAIN_LAST 0xffffu
/* Faults logged by the VMM before it goes quiet (they are still counted and reported). */
#define FAULTS_LOGGED 8u

#define DEVICE_FEATURES                                                                            \
    (VIRTIO_BIT(VIRTIO_IOMMU_F_INPUT_RANGE) | VIRTIO_BIT(VIRTIO_IOMMU_F_DOMAIN_RANGE) |            \
     VIRTIO_BIT(VIRTIO_IOMMU_F_MAP_UNMAP) | VIRTIO_BIT(VIRTIO_IOMMU_F_PROBE) |                     \
     VIRTIO_BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG))

static struct viommu_endpoint *find_endpoint(struct viommu *v, uint32_t id)
{
    for (unsigned i = 0; i < v->nendpoints; i++)
        if (v->endpoints[i].id == id)
            return &v->endpoints[i];
    return NULL;
}

static int find_domain(struct viommu *v, uint32_t id)
{
    for (int i = 0; i < (int)v->cfg.max_domains; i++)
        if (v->domains[i].used && v->domains[i].id == id)
            return i;
    return -1;
}

/*
 * An endpoint whose datapath caches translations outside the VMM loses
 * them before the request that changed them completes, so the driver may
 * reuse the memory as soon as it sees the status. Under the lock.
 */
static void flush_endpoint(struct viommu_endpoint *ep, uint64_t iova, uint64_t last)
{
    if (ep->sink.invalidate != NULL)
        ep->sink.invalidate(ep->sink.ctx, iova, last);
}

static void flush_domain(struct viommu *v, int domain, uint64_t iova, uint64_t last)
{
    for (unsigned i = 0; i < v->nendpoints; i++)
        if (v->endpoints[i].domain == domain)
            flush_endpoint(&v->endpoints[i], iova, last);
}

static void drop_all_domains(struct viommu *v)
{
    for (unsigned i = 0; i < v->nendpoints; i++) {
        flush_endpoint(&v->endpoints[i], 0, UINT64_MAX);
        v->endpoints[i].domain = -1;
    }
    for (unsigned i = 0; i < v->cfg.max_domains; i++) {
        v->domains[i].used = false;
        v->domains[i].endpoints = 0;
        iommu_map_clear(&v->domains[i].map);
    }
}

static void detach_locked(struct viommu *v, struct viommu_endpoint *ep)
{
    if (ep->domain < 0)
        return;
    struct viommu_domain *d = &v->domains[ep->domain];
    flush_endpoint(ep, 0, UINT64_MAX);
    ep->domain = -1;
    if (--d->endpoints == 0) {
        /* §5.13.6.3: a domain without endpoints goes, and its mappings with it. */
        d->used = false;
        iommu_map_clear(&d->map);
    }
}

/* ---- Translation, on the endpoints' threads ---- */

static void post_fault(struct viommu *v, const struct viommu_endpoint *ep, uint8_t reason,
                       uint64_t addr, uint64_t len, unsigned access)
{
    unsigned n = atomic_fetch_add(&v->faults, 1) + 1;
    if (n <= FAULTS_LOGGED)
        LOG_WARN("virtio-iommu: %s (endpoint %u) %s 0x%llx+0x%llx refused: %s; reported to the "
                 "guest%s",
                 ep->name, ep->id, (access & DMA_WRITE) ? "write to" : "read of",
                 (unsigned long long)addr, (unsigned long long)len,
                 reason == VIRTIO_IOMMU_FAULT_R_DOMAIN ? "not attached to a domain"
                                                       : "outside its mappings",
                 n == FAULTS_LOGGED ? " (further faults are only counted)" : "");
    uint8_t ev[VIRTIO_IOMMU_FAULT_SIZE] = {0};
    uint32_t flags = VIRTIO_IOMMU_FAULT_F_ADDRESS;
    if (access & DMA_READ)
        flags |= VIRTIO_IOMMU_FAULT_F_READ;
    if (access & DMA_WRITE)
        flags |= VIRTIO_IOMMU_FAULT_F_WRITE;
    ev[0] = reason;
    virtio_put_le32(ev + 4, flags);
    virtio_put_le32(ev + 8, ep->id);
    virtio_put_le64(ev + 16, addr);

    /* Not v->segs: that belongs to the request worker, and this runs on an endpoint's thread. */
    struct virtq_seg segs[2];
    struct virtq_chain c;
    virtq_chain_init(&c, segs, 2);
    if (virtio_dev_pop(&v->vdev, VIOMMU_EVENT_QUEUE, &c) <= 0) {
        atomic_fetch_add(&v->faults_lost, 1);
        return;
    }
    uint64_t w = virtq_chain_write(&c, 0, ev, sizeof(ev));
    virtio_dev_push(&v->vdev, VIOMMU_EVENT_QUEUE, &c, (uint32_t)w);
}

static void *translate(void *ctx, uint64_t addr, uint64_t len, unsigned access)
{
    struct viommu_endpoint *ep = ctx;
    struct viommu *v = ep->iommu;
    uint64_t gpa = addr;
    uint64_t fault = addr;
    uint8_t reason = 0;

    stdvmm_lock(&v->lock);
    if (ep->domain < 0) {
        if (!atomic_load(&v->bypass))
            reason = VIRTIO_IOMMU_FAULT_R_DOMAIN;
    } else {
        const struct viommu_domain *d = &v->domains[ep->domain];
        if (!d->bypass) {
            uint32_t need = ((access & DMA_READ) ? IOMMU_MAP_READ : 0) |
                            ((access & DMA_WRITE) ? IOMMU_MAP_WRITE : 0);
            if (iommu_map_lookup(&d->map, addr, len, need, &gpa, &fault) < 0)
                reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
        }
    }
    stdvmm_unlock(&v->lock);
    if (reason != 0) {
        post_fault(v, ep, reason, fault, len, access);
        return NULL;
    }
    /* The mapping's target is the driver's word: guest RAM is checked here as for any address. */
    return gmem_translate(v->vdev.cfg.slot.mem, gpa, len);
}

/*
 * A miss of a datapath outside the VMM: the entry goes to its sink under
 * the lock (see struct dma_iotlb_sink), a fault to the driver as for an
 * in-process device.
 */
static int iotlb_miss(void *ctx, uint64_t addr, unsigned access)
{
    struct viommu_endpoint *ep = ctx;
    struct viommu *v = ep->iommu;
    const struct gmem *mem = v->vdev.cfg.slot.mem;
    struct dma_iotlb_entry e;
    uint8_t reason = 0;
    int r;

    stdvmm_lock(&v->lock);
    if (ep->domain < 0) {
        r = atomic_load(&v->bypass) ? iommu_iotlb_identity(mem, addr, &e) : -STDVMM_ENOENT;
        if (r == -STDVMM_ENOENT)
            reason = VIRTIO_IOMMU_FAULT_R_DOMAIN;
    } else if (v->domains[ep->domain].bypass) {
        r = iommu_iotlb_identity(mem, addr, &e);
    } else {
        r = iommu_iotlb_entry(&v->domains[ep->domain].map, mem, addr, access, &e);
        if (r == -STDVMM_ENOENT || r == -STDVMM_EPERM)
            reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
    }
    if (r == 0 && ep->sink.update != NULL)
        ep->sink.update(ep->sink.ctx, &e);
    stdvmm_unlock(&v->lock);
    if (reason != 0)
        post_fault(v, ep, reason, addr, 1, access);
    else if (r < 0)
        LOG_WARN("virtio-iommu: %s (endpoint %u) at 0x%llx: the driver mapped it outside guest RAM",
                 ep->name, ep->id, (unsigned long long)addr);
    return r;
}

static void iotlb_sink(void *ctx, const struct dma_iotlb_sink *sink)
{
    struct viommu_endpoint *ep = ctx;

    stdvmm_lock(&ep->iommu->lock);
    ep->sink = sink != NULL ? *sink : (struct dma_iotlb_sink){0};
    stdvmm_unlock(&ep->iommu->lock);
}

const struct dma_space *viommu_add_endpoint(struct viommu *v, uint32_t id, const char *name)
{
    if (v->nendpoints >= VIOMMU_MAX_ENDPOINTS || find_endpoint(v, id) != NULL) {
        LOG_ERR("virtio-iommu: cannot add endpoint %u (%s): duplicate, or more than %d", id,
                name ? name : "?", VIOMMU_MAX_ENDPOINTS);
        return NULL;
    }
    struct viommu_endpoint *ep = &v->endpoints[v->nendpoints++];
    *ep = (struct viommu_endpoint){.iommu = v, .id = id, .domain = -1, .name = name ? name : "?"};
    ep->dma = (struct dma_space){
        .translate = translate, .ctx = ep, .iotlb_sink = iotlb_sink, .iotlb_miss = iotlb_miss};
    return &ep->dma;
}

/* ---- Requests ---- */

static uint8_t do_attach(struct viommu *v, const uint8_t *r, uint64_t n)
{
    if (n < ATTACH_SIZE)
        return VIRTIO_IOMMU_S_INVAL;
    uint32_t dom = virtio_le32(r + 4);
    uint32_t epid = virtio_le32(r + 8);
    uint32_t flags = virtio_le32(r + 12);
    struct viommu_endpoint *ep = find_endpoint(v, epid);
    bool bypass = flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;

    if (ep == NULL)
        return VIRTIO_IOMMU_S_NOENT;
    if (dom < DOMAIN_FIRST || dom > DOMAIN_LAST)
        return VIRTIO_IOMMU_S_RANGE;
    if ((flags & ~VIRTIO_IOMMU_ATTACH_F_BYPASS) != 0 ||
        (bypass && !virtio_dev_has_feature(&v->vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG)))
        return VIRTIO_IOMMU_S_INVAL;
    int i = find_domain(v, dom);
    if (i >= 0) {
        /* A domain is either a bypass one or a mapping one, for all its endpoints. */
        if (v->domains[i].bypass != bypass)
            return VIRTIO_IOMMU_S_INVAL;
        if (ep->domain == i)
            return VIRTIO_IOMMU_S_OK;
        detach_locked(v, ep); /* §5.13.6.2: attaching moves the endpoint */
    } else {
        int free = -1;
        for (int k = 0; k < (int)v->cfg.max_domains && free < 0; k++)
            if (!v->domains[k].used)
                free = k;
        /* Leaving its current domain may free the one slot it needs; a failure changes nothing. */
        if (free < 0 && (ep->domain < 0 || v->domains[ep->domain].endpoints > 1))
            return VIRTIO_IOMMU_S_NOMEM;
        if (free < 0)
            free = ep->domain;
        detach_locked(v, ep);
        i = free;
        struct viommu_domain *d = &v->domains[i];
        d->used = true;
        d->bypass = bypass;
        d->id = dom;
        d->endpoints = 0;
        iommu_map_clear(&d->map);
    }
    v->domains[i].endpoints++;
    ep->domain = i;
    /* Before, it may have bypassed the IOMMU (the bypass field): nothing it cached holds now. */
    flush_endpoint(ep, 0, UINT64_MAX);
    return VIRTIO_IOMMU_S_OK;
}

static uint8_t do_detach(struct viommu *v, const uint8_t *r, uint64_t n)
{
    if (n < DETACH_SIZE)
        return VIRTIO_IOMMU_S_INVAL;
    uint32_t dom = virtio_le32(r + 4);
    struct viommu_endpoint *ep = find_endpoint(v, virtio_le32(r + 8));
    if (ep == NULL)
        return VIRTIO_IOMMU_S_NOENT;
    int i = find_domain(v, dom);
    if (i < 0)
        return VIRTIO_IOMMU_S_NOENT;
    if (ep->domain != i)
        return VIRTIO_IOMMU_S_INVAL;
    detach_locked(v, ep);
    return VIRTIO_IOMMU_S_OK;
}

static bool aligned(uint64_t x)
{
    return (x & (GRANULE - 1)) == 0;
}

/*
 * MAP and UNMAP: the request is long enough and names an existing domain
 * that maps (not a bypass one); *i is its slot, [*start, *last] the range.
 */
static uint8_t mapping_domain(struct viommu *v, const uint8_t *r, uint64_t n, uint64_t need, int *i,
                              uint64_t *start, uint64_t *last)
{
    if (n < need)
        return VIRTIO_IOMMU_S_INVAL;
    *start = virtio_le64(r + 8);
    *last = virtio_le64(r + 16);
    *i = find_domain(v, virtio_le32(r + 4));
    if (*i < 0)
        return VIRTIO_IOMMU_S_NOENT;
    return v->domains[*i].bypass ? VIRTIO_IOMMU_S_INVAL : VIRTIO_IOMMU_S_OK;
}

/* The new mapping at iova of domain, to the caches that want it (dma_iotlb_sink.on_map). */
static void map_endpoints(struct viommu *v, int domain, uint64_t iova)
{
    struct dma_iotlb_entry e;

    for (unsigned k = 0; k < v->nendpoints; k++) {
        const struct viommu_endpoint *ep = &v->endpoints[k];
        /* Outside guest RAM it is a fault at the first access, as for any device. */
        if (ep->domain == domain && ep->sink.on_map && ep->sink.update != NULL &&
            iommu_iotlb_entry(&v->domains[domain].map, v->vdev.cfg.slot.mem, iova, 0, &e) == 0)
            ep->sink.update(ep->sink.ctx, &e);
    }
}

static uint8_t do_map(struct viommu *v, const uint8_t *r, uint64_t n)
{
    int i;
    uint64_t start, last;
    uint8_t st = mapping_domain(v, r, n, MAP_SIZE, &i, &start, &last);
    if (st != VIRTIO_IOMMU_S_OK)
        return st;
    uint64_t phys = virtio_le64(r + 24);
    uint32_t flags = virtio_le32(r + 32);

    /* No MMIO flag: F_MMIO is not offered, so device memory cannot be mapped. */
    if ((flags & ~(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)) != 0)
        return VIRTIO_IOMMU_S_INVAL;
    if (last < start || !aligned(start) || !aligned(phys) || !aligned(last + 1) ||
        phys + (last - start) < phys)
        return VIRTIO_IOMMU_S_RANGE;
    uint32_t mf = ((flags & VIRTIO_IOMMU_MAP_F_READ) ? IOMMU_MAP_READ : 0) |
                  ((flags & VIRTIO_IOMMU_MAP_F_WRITE) ? IOMMU_MAP_WRITE : 0);
    switch (iommu_map_add(&v->domains[i].map, start, last, phys, mf)) {
    case 0:
        map_endpoints(v, i, start);
        return VIRTIO_IOMMU_S_OK;
    case -STDVMM_EEXIST:
        return VIRTIO_IOMMU_S_INVAL; /* §5.13.6.6: overlapping an existing mapping */
    case -STDVMM_ENOSPC:
        return VIRTIO_IOMMU_S_NOMEM;
    default:
        return VIRTIO_IOMMU_S_RANGE;
    }
}

static uint8_t do_unmap(struct viommu *v, const uint8_t *r, uint64_t n)
{
    int i;
    uint64_t start, last;
    uint8_t st = mapping_domain(v, r, n, UNMAP_SIZE, &i, &start, &last);
    if (st != VIRTIO_IOMMU_S_OK)
        return st;
    if (last < start)
        return VIRTIO_IOMMU_S_RANGE;
    /* §5.13.6.7: a range that would split a mapping removes nothing. */
    int removed = iommu_map_remove(&v->domains[i].map, start, last);
    if (removed < 0)
        return VIRTIO_IOMMU_S_RANGE;
    if (removed > 0)
        flush_domain(v, i, start, last);
    return VIRTIO_IOMMU_S_OK;
}

/* Fills props (probe_size bytes, zeroed: a NONE property ends the list) with reserved regions. */
static uint8_t do_probe(struct viommu *v, const uint8_t *r, uint64_t n, uint8_t *props,
                        uint64_t probe_size)
{
    /* Linux's buffer is exactly probe_size; a huge one would only make us zero it. */
    if (n < PROBE_SIZE || probe_size < VIOMMU_PROBE_SIZE || probe_size > PROBE_BUFFER_MAX)
        return VIRTIO_IOMMU_S_INVAL;
    if (find_endpoint(v, virtio_le32(r + 4)) == NULL)
        return VIRTIO_IOMMU_S_NOENT;
    uint8_t *p = props;
    for (unsigned i = 0; i < v->cfg.nresv; i++, p += 24) {
        const struct viommu_resv *rv = &v->cfg.resv[i];
        virtio_put_le16(p, VIRTIO_IOMMU_PROBE_T_RESV_MEM);
        virtio_put_le16(p + 2, 20); /* length of the property's value, header excluded */
        p[4] = rv->subtype;
        virtio_put_le64(p + 8, rv->start);
        virtio_put_le64(p + 16, rv->last);
    }
    return VIRTIO_IOMMU_S_OK;
}

static void serve(struct viommu *v, struct virtq_chain *c)
{
    uint8_t req[REQ_MAX] = {0};
    uint8_t props[VIOMMU_PROBE_SIZE] = {0};
    uint64_t n = virtq_chain_read(c, 0, req, sizeof(req));
    uint8_t status;

    if (c->in_bytes < TAIL_SIZE) {
        virtio_dev_warn_once(&v->vdev, "request without room for its status", c->head,
                             (uint32_t)c->in_bytes);
        virtio_dev_push(&v->vdev, VIOMMU_REQUEST_QUEUE, c, 0);
        return;
    }
    uint64_t probe_size = c->in_bytes - TAIL_SIZE;
    if (n < 4) {
        status = VIRTIO_IOMMU_S_INVAL;
    } else {
        stdvmm_lock(&v->lock);
        switch (req[0]) {
        case VIRTIO_IOMMU_T_ATTACH:
            status = do_attach(v, req, n);
            break;
        case VIRTIO_IOMMU_T_DETACH:
            status = do_detach(v, req, n);
            break;
        case VIRTIO_IOMMU_T_MAP:
            status = do_map(v, req, n);
            break;
        case VIRTIO_IOMMU_T_UNMAP:
            status = do_unmap(v, req, n);
            break;
        case VIRTIO_IOMMU_T_PROBE:
            status = virtio_dev_has_feature(&v->vdev, VIRTIO_IOMMU_F_PROBE)
                         ? do_probe(v, req, n, props, probe_size)
                         : VIRTIO_IOMMU_S_UNSUPP;
            break;
        default:
            status = VIRTIO_IOMMU_S_UNSUPP;
            break;
        }
        stdvmm_unlock(&v->lock);
    }
    uint32_t written = TAIL_SIZE;
    if (req[0] == VIRTIO_IOMMU_T_PROBE && status == VIRTIO_IOMMU_S_OK) {
        /* The properties fill the writable part before the tail, the unused rest zeroed. */
        static const uint8_t zero[64];
        uint64_t k = probe_size < sizeof(props) ? probe_size : sizeof(props);
        virtq_chain_write(c, 0, props, k);
        for (uint64_t off = k; off < probe_size; off += sizeof(zero))
            virtq_chain_write(c, off, zero,
                              probe_size - off < sizeof(zero) ? probe_size - off : sizeof(zero));
        written = (uint32_t)c->in_bytes;
    }
    uint8_t tail[TAIL_SIZE] = {status, 0, 0, 0};
    virtq_chain_write(c, probe_size, tail, sizeof(tail));
    virtio_dev_push(&v->vdev, VIOMMU_REQUEST_QUEUE, c, written);
}

void viommu_process(struct viommu *v)
{
    struct virtq_chain c;

    virtq_chain_init(&c, v->segs, VIOMMU_MAX_SEGS);
    while (virtio_dev_pop(&v->vdev, VIOMMU_REQUEST_QUEUE, &c) > 0)
        serve(v, &c);
}

unsigned viommu_faults(struct viommu *v)
{
    return atomic_load(&v->faults);
}

/* ---- Device ---- */

static void config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct viommu *v = dev;
    uint8_t cs[VIRTIO_IOMMU_CONFIG_SIZE] = {0};

    virtio_put_le64(cs + 0, PAGE_SIZE_MASK);
    virtio_put_le64(cs + 8, 0);           /* input_range.start */
    virtio_put_le64(cs + 16, UINT64_MAX); /* input_range.end */
    virtio_put_le32(cs + 24, DOMAIN_FIRST);
    virtio_put_le32(cs + 28, DOMAIN_LAST);
    virtio_put_le32(cs + 32, VIOMMU_PROBE_SIZE);
    cs[VIRTIO_IOMMU_CONFIG_BYPASS] = atomic_load(&v->bypass);
    memcpy(data, cs + offset, len);
}

static void config_write(void *dev, uint32_t offset, const uint8_t *data, uint32_t len)
{
    struct viommu *v = dev;

    /* Only the bypass byte is the driver's, and only with the feature that makes it so. */
    if (offset <= VIRTIO_IOMMU_CONFIG_BYPASS && offset + len > VIRTIO_IOMMU_CONFIG_BYPASS &&
        virtio_dev_has_feature(&v->vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
        unsigned char bypass = data[VIRTIO_IOMMU_CONFIG_BYPASS - offset] ? 1 : 0;
        stdvmm_lock(&v->lock);
        /* Unattached endpoints lose (or gain) the identity map they may have cached. */
        if (atomic_exchange(&v->bypass, bypass) != bypass)
            flush_domain(v, -1, 0, UINT64_MAX);
        stdvmm_unlock(&v->lock);
    }
}

static void reset(void *dev)
{
    struct viommu *v = dev;

    /* §5.13.5: a reset detaches every endpoint; they are denied again until re-attached. */
    stdvmm_lock(&v->lock);
    drop_all_domains(v);
    stdvmm_unlock(&v->lock);
    atomic_store(&v->bypass, 0);
}

static void notify(void *dev)
{
    viommu_process(dev);
}

static const struct virtio_device_ops viommu_ops = {
    .config_read = config_read,
    .config_write = config_write,
    .reset = reset,
    .notify = notify,
};

int viommu_init(struct viommu *v, const struct viommu_config *cfg)
{
    if (cfg->nresv > VIOMMU_MAX_RESV) {
        LOG_ERR("virtio-iommu: %u reserved regions, at most %d", cfg->nresv, VIOMMU_MAX_RESV);
        return -STDVMM_EINVAL;
    }
    /* Domains are found by linear search and slots are ints: a bound keeps both sane. */
    if (cfg->domains == NULL || cfg->mappings == NULL || cfg->max_domains == 0 ||
        cfg->max_domains > VIOMMU_MAX_ENDPOINTS || cfg->max_mappings == 0) {
        LOG_ERR("virtio-iommu: no storage for its tables (%u domains of %u mappings; 1 to %d "
                "domains)",
                cfg->max_domains, cfg->max_mappings, VIOMMU_MAX_ENDPOINTS);
        return -STDVMM_EINVAL;
    }
    memset(v, 0, sizeof(*v));
    v->cfg = *cfg;
    v->cfg.slot.dma = NULL; /* the IOMMU is not behind itself */
    v->domains = cfg->domains;
    stdvmm_lock_init(&v->lock);
    atomic_init(&v->bypass, 0);
    atomic_init(&v->faults, 0);
    atomic_init(&v->faults_lost, 0);
    for (unsigned i = 0; i < cfg->max_domains; i++) {
        v->domains[i] = (struct viommu_domain){.used = false};
        iommu_map_init(&v->domains[i].map, cfg->mappings + (size_t)i * cfg->max_mappings,
                       cfg->max_mappings);
    }
    struct virtio_dev_config t = {
        .slot = v->cfg.slot,
        .device_id = VIRTIO_ID_IOMMU,
        .features = DEVICE_FEATURES,
        .num_queues = 2,
        .queue_max = VIOMMU_QUEUE_SIZE,
        .config_size = VIRTIO_IOMMU_CONFIG_SIZE,
        .ops = &viommu_ops,
        .dev = v,
    };
    return virtio_dev_init(&v->vdev, &t);
}
