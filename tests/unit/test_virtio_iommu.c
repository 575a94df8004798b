/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-iommu requests as a driver sends them, and a virtio-rng endpoint
 * behind the IOMMU: its rings and buffers are IOVAs, an access outside the
 * endpoint's mappings breaks its queue and shows up as a fault event; the
 * same endpoint's IOTLB side for a datapath outside the VMM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_iommu.h"
#include "stdvmm/devices/virtio_rng.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"

#define REQ (TD_DATA + 0x10000)        /* request buffer (readable part) */
#define TAIL (TD_DATA + 0x11000)       /* its writable part */
#define EVENTS (TD_DATA + 0x12000)     /* event-queue buffers */
#define EP_RINGS TD_RING(2)            /* the endpoint's rings, guest-physical */
#define EP_IOVA_RINGS 0x40000000ull    /* where the driver maps them */
#define EP_IOVA_BUF 0x50000000ull      /* and a data page */
#define EP_BUF_GPA (TD_DATA + 0x20000) /* the page behind it */
#define EP_ID 7u
#define OTHER_ID 8u /* a second endpoint, declared only: no device behind it */
/* The tables the fixture gives the IOMMU; small_setup uses fewer of them. */
#define DOMAINS 2
#define MAPPINGS 64
#define SMALL_MAPPINGS 3
#define ACCESS_PLATFORM VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM)
#define IOMMU_FEATURES                                                                             \
    (TD_FEATURES_ALL | VIRTIO_BIT(VIRTIO_IOMMU_F_MAP_UNMAP) | VIRTIO_BIT(VIRTIO_IOMMU_F_PROBE) |   \
     VIRTIO_BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG) | VIRTIO_BIT(VIRTIO_IOMMU_F_INPUT_RANGE) |           \
     VIRTIO_BIT(VIRTIO_IOMMU_F_DOMAIN_RANGE))

struct fixture {
    struct td d;  /* the IOMMU's queues 0 and 1 */
    struct td ep; /* the endpoint's view: same RAM, its own queue 0 */
    struct viommu iommu;
    struct viommu_domain domains[DOMAINS];
    struct iommu_mapping mappings[DOMAINS * MAPPINGS];
    struct virtio_mmio t;
    struct virtio_rng rng;
    struct virtio_mmio rng_t;
    uint16_t events_seen;
};

static size_t fill(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x5a, len);
    return len;
}

static int setup_with(void **state, unsigned domains, uint32_t mappings)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    f->ep = f->d;
    struct viommu_config ic = {.slot = td_slot(&f->d, "iommu"),
                               .nresv = 1,
                               .domains = f->domains,
                               .mappings = f->mappings,
                               .max_domains = domains,
                               .max_mappings = mappings};
    ic.resv[0] = (struct viommu_resv){
        .start = 0x8000000, .last = 0x80fffff, .subtype = VIRTIO_IOMMU_RESV_MEM_T_MSI};
    if (viommu_init(&f->iommu, &ic) != 0 || virtio_mmio_init(&f->t, &f->iommu.vdev) != 0)
        return -1;
    if (viommu_add_endpoint(&f->iommu, OTHER_ID, "other") == NULL)
        return -1;
    struct virtio_rng_config rc = {.slot = td_slot(&f->d, "rng"),
                                   .backend = {.fill = fill, .ctx = f}};
    rc.slot.dma = viommu_add_endpoint(&f->iommu, EP_ID, "rng");
    rc.slot.endpoint = EP_ID;
    if (rc.slot.dma == NULL || virtio_rng_init(&f->rng, &rc) != 0 ||
        virtio_mmio_init(&f->rng_t, &f->rng.vdev) != 0)
        return -1;
    /* The driver's start: features, both queues, event buffers made available. */
    td_start(&f->d, &f->t, 2, 16, IOMMU_FEATURES);
    for (uint16_t i = 0; i < 4; i++) {
        td_desc(&f->d, 1, i, EVENTS + 64ull * i, 64, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, 1, i);
    }
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, DOMAINS, MAPPINGS);
}

/* One domain of SMALL_MAPPINGS mappings: what a caller with little memory may give. */
static int small_setup(void **state)
{
    return setup_with(state, 1, SMALL_MAPPINGS);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f);
    return 0;
}

/* Sends one request of out_len readable bytes (already at REQ) and returns its status. */
static uint8_t request(struct fixture *f, uint32_t out_len, uint32_t in_len)
{
    static uint16_t slot;
    uint16_t head = (uint16_t)(slot++ % 8) * 2;
    memset(td_ptr(&f->d, TAIL), 0xee, in_len);
    td_desc(&f->d, 0, head, REQ, out_len, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
    td_desc(&f->d, 0, (uint16_t)(head + 1), TAIL, in_len, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, 0, head);
    viommu_process(&f->iommu);
    return td_ptr(&f->d, TAIL)[in_len - 4];
}

/* The request buffer, zeroed, with its type and the 32-bit field after the head. */
static uint8_t *req(struct fixture *f, uint8_t type, uint32_t first, size_t len)
{
    uint8_t *r = td_ptr(&f->d, REQ);
    memset(r, 0, len);
    r[0] = type;
    virtio_put_le32(r + 4, first);
    return r;
}

static uint8_t attach(struct fixture *f, uint32_t domain, uint32_t ep, uint32_t flags)
{
    uint8_t *r = req(f, VIRTIO_IOMMU_T_ATTACH, domain, 20);
    virtio_put_le32(r + 8, ep);
    virtio_put_le32(r + 12, flags);
    return request(f, 20, 4);
}

static uint8_t detach(struct fixture *f, uint32_t domain, uint32_t ep)
{
    virtio_put_le32(req(f, VIRTIO_IOMMU_T_DETACH, domain, 20) + 8, ep);
    return request(f, 20, 4);
}

/* MAP with phys and flags, or UNMAP (map_req false): both name a range of a domain. */
static uint8_t range_req(struct fixture *f, bool map_req, uint32_t domain, uint64_t start,
                         uint64_t last, uint64_t phys, uint32_t flags)
{
    uint32_t len = map_req ? 36 : 28;
    uint8_t *r = req(f, map_req ? VIRTIO_IOMMU_T_MAP : VIRTIO_IOMMU_T_UNMAP, domain, len);
    virtio_put_le64(r + 8, start);
    virtio_put_le64(r + 16, last);
    if (map_req) {
        virtio_put_le64(r + 24, phys);
        virtio_put_le32(r + 32, flags);
    }
    return request(f, len, 4);
}

static uint8_t map(struct fixture *f, uint32_t domain, uint64_t start, uint64_t last, uint64_t phys,
                   uint32_t flags)
{
    return range_req(f, true, domain, start, last, phys, flags);
}

static uint8_t unmap(struct fixture *f, uint32_t domain, uint64_t start, uint64_t last)
{
    return range_req(f, false, domain, start, last, 0, 0);
}

static void config_space(void **state)
{
    struct fixture *f = *state;
    uint64_t mask =
        td_r32(&f->t, VIRTIO_MMIO_CONFIG) | (uint64_t)td_r32(&f->t, VIRTIO_MMIO_CONFIG + 4) << 32;
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_IOMMU);
    assert_int_equal(mask & 0xfff, 0); /* 4 KiB pages and up */
    assert_true(mask & 0x1000);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_CONFIG + 32), VIOMMU_PROBE_SIZE);
    /* The driver owns the bypass byte only because BYPASS_CONFIG was negotiated. */
    uint8_t one = 1;
    virtio_mmio_write(&f->t, VIRTIO_MMIO_CONFIG + VIRTIO_IOMMU_CONFIG_BYPASS, &one, 1);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_CONFIG + VIRTIO_IOMMU_CONFIG_BYPASS) & 0xff, 1);
}

static void requests_are_validated(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(attach(f, 1, 99, 0), VIRTIO_IOMMU_S_NOENT);    /* unknown endpoint */
    assert_int_equal(attach(f, 0, EP_ID, 0), VIRTIO_IOMMU_S_RANGE); /* outside domain_range */
    assert_int_equal(attach(f, 1, EP_ID, 0x80), VIRTIO_IOMMU_S_INVAL);
    assert_int_equal(map(f, 1, 0x1000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOENT);
    assert_int_equal(attach(f, 1, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    /* A domain is a bypass one or a mapping one. */
    assert_int_equal(attach(f, 1, EP_ID, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
    assert_int_equal(map(f, 1, 0x1000, 0x1fff, EP_BUF_GPA, 1 | 8), VIRTIO_IOMMU_S_INVAL);
    assert_int_equal(map(f, 1, 0x1000, 0x1fff, EP_BUF_GPA, VIRTIO_IOMMU_MAP_F_MMIO),
                     VIRTIO_IOMMU_S_INVAL); /* F_MMIO is not offered */
    assert_int_equal(map(f, 1, 0x1800, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_RANGE);
    assert_int_equal(map(f, 1, 0x1000, 0x17ff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_RANGE);
    assert_int_equal(map(f, 1, 0x2000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_RANGE);
    assert_int_equal(map(f, 1, 0x1000, 0x2fff, EP_BUF_GPA, 3), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x2000, 0x2fff, EP_BUF_GPA, 3), VIRTIO_IOMMU_S_INVAL); /* overlap */
    assert_int_equal(unmap(f, 1, 0x1000, 0x1fff), VIRTIO_IOMMU_S_RANGE); /* would split */
    assert_int_equal(unmap(f, 1, 0x0, 0x3fff), VIRTIO_IOMMU_S_OK);
    assert_int_equal(unmap(f, 2, 0x0, 0x3fff), VIRTIO_IOMMU_S_NOENT);
    assert_int_equal(detach(f, 2, EP_ID), VIRTIO_IOMMU_S_NOENT);
    assert_int_equal(detach(f, 1, EP_ID), VIRTIO_IOMMU_S_OK);
    /* The domain went with its last endpoint. */
    assert_int_equal(map(f, 1, 0x1000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOENT);
    /* Too short, unknown type. */
    uint8_t *r = td_ptr(&f->d, REQ);
    r[0] = VIRTIO_IOMMU_T_MAP;
    assert_int_equal(request(f, 20, 4), VIRTIO_IOMMU_S_INVAL);
    r[0] = 0x42;
    assert_int_equal(request(f, 36, 4), VIRTIO_IOMMU_S_UNSUPP);
}

static void probe_reports_reserved_regions(void **state)
{
    struct fixture *f = *state;
    uint8_t *r = req(f, VIRTIO_IOMMU_T_PROBE, EP_ID, 72);
    assert_int_equal(request(f, 72, VIOMMU_PROBE_SIZE + 4), VIRTIO_IOMMU_S_OK);
    const uint8_t *p = td_ptr(&f->d, TAIL);
    assert_int_equal(virtio_le16(p), VIRTIO_IOMMU_PROBE_T_RESV_MEM);
    assert_int_equal(virtio_le16(p + 2), 20);
    assert_int_equal(p[4], VIRTIO_IOMMU_RESV_MEM_T_MSI);
    assert_int_equal(virtio_le64(p + 8), 0x8000000);
    assert_int_equal(virtio_le64(p + 16), 0x80fffff);
    assert_int_equal(virtio_le16(p + 24), VIRTIO_IOMMU_PROBE_T_NONE); /* end of the list */
    /* A buffer smaller than probe_size, an unknown endpoint. */
    assert_int_equal(request(f, 72, 16), VIRTIO_IOMMU_S_INVAL);
    virtio_put_le32(r + 4, 1234);
    assert_int_equal(request(f, 72, VIOMMU_PROBE_SIZE + 4), VIRTIO_IOMMU_S_NOENT);
}

/* The next fault event, if any: its reason, endpoint and address. */
static bool next_fault(struct fixture *f, uint8_t *reason, uint32_t *ep, uint64_t *addr,
                       uint32_t *flags)
{
    uint32_t id, len;
    if (td_used_idx(&f->d, 1) == f->events_seen)
        return false;
    td_used_elem(&f->d, 1, f->events_seen++, &id, &len);
    assert_int_equal(len, VIRTIO_IOMMU_FAULT_SIZE);
    const uint8_t *e = td_ptr(&f->d, EVENTS + 64ull * id);
    *reason = e[0];
    *flags = virtio_le32(e + 4);
    *ep = virtio_le32(e + 8);
    *addr = virtio_le64(e + 16);
    return true;
}

/*
 * The endpoint attached to domain 5, its rings mapped at EP_IOVA_RINGS, a
 * data page at EP_IOVA_BUF with buf_flags, and the driver started on them.
 */
static void start_endpoint(struct fixture *f, uint32_t buf_flags)
{
    assert_int_equal(attach(f, 5, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 5, EP_IOVA_RINGS, EP_IOVA_RINGS + 0xffff, EP_RINGS, 3), 0);
    assert_int_equal(map(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0xfff, EP_BUF_GPA, buf_flags), 0);
    td_start(&f->ep, &f->rng_t, 0, 16, TD_FEATURES_ALL | ACCESS_PLATFORM);
    td_setup_queue_at(&f->ep, &f->rng_t, 0, 16, EP_IOVA_RINGS, EP_IOVA_RINGS + 0x4000,
                      EP_IOVA_RINGS + 0x8000);
    td_w32(&f->rng_t, VIRTIO_MMIO_STATUS, 0xf);
}

static void endpoint_translates_and_faults(void **state)
{
    struct fixture *f = *state;
    uint8_t reason;
    uint32_t ep, flags;
    uint64_t addr;

    /* Without ACCESS_PLATFORM the driver would hand out guest-physical addresses: refused. */
    assert_false(td_negotiate(&f->rng_t, TD_FEATURES_ALL) & VIRTIO_STATUS_FEATURES_OK);
    assert_true(td_negotiate(&f->rng_t, TD_FEATURES_ALL | ACCESS_PLATFORM) &
                VIRTIO_STATUS_FEATURES_OK);

    /* Not attached yet: the rings cannot be reached and the queue stays off. */
    td_setup_queue_at(&f->ep, &f->rng_t, 0, 16, EP_IOVA_RINGS, EP_IOVA_RINGS + 0x4000,
                      EP_IOVA_RINGS + 0x8000);
    td_w32(&f->rng_t, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(td_r32(&f->rng_t, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(reason, VIRTIO_IOMMU_FAULT_R_DOMAIN);
    assert_int_equal(ep, EP_ID);
    assert_int_equal(addr, EP_IOVA_RINGS);
    assert_true(flags & VIRTIO_IOMMU_FAULT_F_ADDRESS);

    /* Attach, map the rings and a write-only data page, start again. */
    start_endpoint(f, VIRTIO_IOMMU_MAP_F_WRITE);
    assert_int_equal(td_r32(&f->rng_t, VIRTIO_MMIO_QUEUE_READY), 1);

    /* The descriptor says IOVA; the bytes land at the guest-physical page behind it. */
    td_desc_at(&f->ep, EP_RINGS, 0, EP_IOVA_BUF + 0x10, 32, VIRTQ_DESC_F_WRITE, 0);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 4), 0);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 2), 1);
    virtio_rng_process(&f->rng);
    assert_int_equal(virtio_le16(td_ptr(&f->ep, EP_RINGS + 0x8000 + 2)), 1);
    assert_int_equal(td_ptr(&f->d, EP_BUF_GPA)[0x10], 0x5a);
    assert_int_equal(td_ptr(&f->d, EP_BUF_GPA)[0x2f], 0x5a);
    assert_int_equal(td_ptr(&f->d, EP_BUF_GPA)[0x30], 0);
    assert_int_equal(viommu_faults(&f->iommu), 1);
    assert_false(next_fault(f, &reason, &ep, &addr, &flags));

    /* A descriptor pointing outside the mappings: refused, reported, the queue needs a reset. */
    td_desc_at(&f->ep, EP_RINGS, 1, EP_IOVA_BUF + 0x2000, 32, VIRTQ_DESC_F_WRITE, 0);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 6), 1);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 2), 2);
    virtio_rng_process(&f->rng);
    assert_int_equal(virtio_le16(td_ptr(&f->ep, EP_RINGS + 0x8000 + 2)), 1);
    assert_true(td_r32(&f->rng_t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
    assert_int_equal(ep, EP_ID);
    assert_int_equal(addr, EP_IOVA_BUF + 0x2000);
    assert_true(flags & VIRTIO_IOMMU_FAULT_F_WRITE);
    assert_int_equal(viommu_faults(&f->iommu), 2);
}

static void permissions_are_enforced(void **state)
{
    struct fixture *f = *state;
    uint8_t reason;
    uint32_t ep, flags;
    uint64_t addr;

    /* Read-only: the device may not write random bytes into it. */
    start_endpoint(f, VIRTIO_IOMMU_MAP_F_READ);
    td_desc_at(&f->ep, EP_RINGS, 0, EP_IOVA_BUF, 32, VIRTQ_DESC_F_WRITE, 0);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 2), 1);
    virtio_rng_process(&f->rng);
    assert_int_equal(td_ptr(&f->d, EP_BUF_GPA)[0], 0);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
    assert_int_equal(addr, EP_IOVA_BUF);

    /* A reset of the IOMMU detaches everything: the domain and its mappings are gone. */
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    td_start(&f->d, &f->t, 2, 16, IOMMU_FEATURES);
    assert_int_equal(map(f, 5, 0x1000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOENT);
}

static void bypass_domain_passes_through(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(attach(f, 9, EP_ID, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 9, 0x1000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_INVAL);
    td_start(&f->ep, &f->rng_t, 0, 16, TD_FEATURES_ALL | ACCESS_PLATFORM);
    td_setup_queue_at(&f->ep, &f->rng_t, 0, 16, EP_RINGS, EP_RINGS + 0x4000, EP_RINGS + 0x8000);
    td_w32(&f->rng_t, VIRTIO_MMIO_STATUS, 0xf);
    td_desc_at(&f->ep, EP_RINGS, 0, EP_BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
    virtio_put_le16(td_ptr(&f->ep, EP_RINGS + 0x4000 + 2), 1);
    virtio_rng_process(&f->rng);
    assert_int_equal(td_ptr(&f->d, EP_BUF_GPA)[7], 0x5a);
    assert_int_equal(viommu_faults(&f->iommu), 0);
}

/* The tables are the caller's: init refuses none, or empty ones. */
static void init_needs_tables(void **state)
{
    struct fixture *f = *state;
    struct viommu v;
    struct viommu_config ic = {.slot = td_slot(&f->d, "iommu"),
                               .domains = f->domains,
                               .mappings = f->mappings,
                               .max_domains = 1,
                               .max_mappings = 1};
    struct viommu_config bad[5] = {ic, ic, ic, ic, ic};
    bad[0].domains = NULL;
    bad[1].mappings = NULL;
    bad[2].max_domains = 0;
    bad[3].max_mappings = 0;
    bad[4].max_domains = VIOMMU_MAX_ENDPOINTS + 1;
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(viommu_init(&v, &bad[i]), -STDVMM_EINVAL);
    assert_int_equal(viommu_init(&v, &ic), 0);
}

/*
 * With a small capacity a full domain answers MAP with S_NOMEM (§5.13.6.6)
 * and keeps what it has; an UNMAP makes room again; a second domain beyond
 * the tables is S_NOMEM too, unless the endpoint's move frees the one slot.
 */
static void small_tables_fill_up(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(attach(f, 1, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    for (uint64_t i = 0; i < SMALL_MAPPINGS; i++)
        assert_int_equal(map(f, 1, 0x10000 * (i + 1), 0x10000 * (i + 1) + 0xfff, EP_BUF_GPA, 1),
                         VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x100000, 0x100fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOMEM);
    /* What was mapped is still there: an overlap with it is refused as such. */
    assert_int_equal(map(f, 1, 0x10000, 0x10fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_INVAL);
    assert_int_equal(unmap(f, 1, 0x20000, 0x20fff), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x100000, 0x100fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x200000, 0x200fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOMEM);
    /* The one domain slot is taken: the other endpoint cannot have a domain of its own. */
    assert_int_equal(attach(f, 2, OTHER_ID, 0), VIRTIO_IOMMU_S_NOMEM);
    assert_int_equal(attach(f, 1, OTHER_ID, 0), VIRTIO_IOMMU_S_OK);
    assert_int_equal(detach(f, 1, OTHER_ID), VIRTIO_IOMMU_S_OK);
    /* Moving the slot's only endpoint reuses the slot, empty. */
    assert_int_equal(attach(f, 3, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x1000, 0x1fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOENT);
    for (uint64_t i = 0; i < SMALL_MAPPINGS; i++)
        assert_int_equal(map(f, 3, 0x10000 * (i + 1), 0x10000 * (i + 1) + 0xfff, EP_BUF_GPA, 1),
                         VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 3, 0x100000, 0x100fff, EP_BUF_GPA, 1), VIRTIO_IOMMU_S_NOMEM);
}

/* Each domain fills its own slice of the mappings: a full one does not take from another. */
static void domains_have_their_own_capacity(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(attach(f, 1, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    assert_int_equal(attach(f, 2, OTHER_ID, 0), VIRTIO_IOMMU_S_OK);
    for (uint64_t i = 0; i < MAPPINGS; i++)
        assert_int_equal(map(f, 1, 0x1000 * i, 0x1000 * i + 0xfff, EP_BUF_GPA, 1),
                         VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 1, 0x1000 * MAPPINGS, 0x1000 * MAPPINGS + 0xfff, EP_BUF_GPA, 1),
                     VIRTIO_IOMMU_S_NOMEM);
    for (uint64_t i = 0; i < MAPPINGS; i++)
        assert_int_equal(map(f, 2, 0x1000 * i, 0x1000 * i + 0xfff, EP_BUF_GPA, 3),
                         VIRTIO_IOMMU_S_OK);
    assert_int_equal(map(f, 2, 0x1000 * MAPPINGS, 0x1000 * MAPPINGS + 0xfff, EP_BUF_GPA, 1),
                     VIRTIO_IOMMU_S_NOMEM);
    /* Domain 1's mappings are intact and still its own (read-only), not domain 2's. */
    const struct iommu_map *m = &f->iommu.domains[0].map;
    assert_int_equal(m->count, MAPPINGS);
    for (uint32_t i = 0; i < MAPPINGS; i++)
        assert_true(m->m[i].start == 0x1000ull * i && m->m[i].flags == IOMMU_MAP_READ);
}

/* What a datapath outside the VMM (vhost-net) would have been told, in order. */
struct sink_msg {
    char kind; /* 'u'pdate, 'i'nvalidate */
    uint64_t iova, last;
    uint8_t *host;
    unsigned perm;
};

struct sink_log {
    struct sink_msg msg[16];
    unsigned n;
};

static void sink_update(void *ctx, const struct dma_iotlb_entry *e)
{
    struct sink_log *l = ctx;
    assert_true(l->n < 16);
    l->msg[l->n++] = (struct sink_msg){'u', e->iova, e->iova + e->size - 1, e->host, e->perm};
}

static void sink_invalidate(void *ctx, uint64_t iova, uint64_t last)
{
    struct sink_log *l = ctx;
    assert_true(l->n < 16);
    l->msg[l->n++] = (struct sink_msg){'i', iova, last, NULL, 0};
}

static void expect_msg(struct sink_log *l, unsigned i, char kind, uint64_t iova, uint64_t last)
{
    assert_true(i < l->n);
    assert_int_equal(l->msg[i].kind, kind);
    assert_int_equal(l->msg[i].iova, iova);
    assert_int_equal(l->msg[i].last, last);
}

/*
 * The endpoint's IOTLB side: misses answered with whole mappings (or a
 * fault when there is none), and every UNMAP, DETACH, re-attach, bypass
 * change and reset invalidating before it completes.
 */
static void iotlb_follows_the_domain(void **state)
{
    struct fixture *f = *state;
    struct sink_log log = {0};
    const struct dma_space *dma = f->rng.vdev.cfg.slot.dma;
    const struct dma_iotlb_sink sink = {
        .update = sink_update, .invalidate = sink_invalidate, .ctx = &log};
    uint8_t reason;
    uint32_t ep, flags;
    uint64_t addr;

    dma->iotlb_sink(dma->ctx, &sink);
    /* Not attached, no bypass: a fault naming the domain, nothing cached. */
    assert_true(dma->iotlb_miss(dma->ctx, EP_IOVA_BUF, DMA_READ) < 0);
    assert_int_equal(log.n, 0);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(reason, VIRTIO_IOMMU_FAULT_R_DOMAIN);
    assert_int_equal(addr, EP_IOVA_BUF);

    assert_int_equal(attach(f, 5, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 0, 'i', 0, UINT64_MAX); /* whatever a bypass may have cached */
    assert_int_equal(map(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff, EP_BUF_GPA, 1), 0);
    assert_int_equal(map(f, 5, EP_IOVA_RINGS, EP_IOVA_RINGS + 0xfff, EP_RINGS, 3), 0);
    assert_int_equal(log.n, 1); /* a MAP changes nothing cached */

    /* A miss inside a mapping: all of it, read-only as mapped, at the page behind it. */
    assert_int_equal(dma->iotlb_miss(dma->ctx, EP_IOVA_BUF + 0x1234, DMA_READ), 0);
    expect_msg(&log, 1, 'u', EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff);
    assert_ptr_equal(log.msg[1].host, td_ptr(&f->d, EP_BUF_GPA));
    assert_int_equal(log.msg[1].perm, DMA_READ);
    /* A write it does not allow, and an address beyond it: faults, nothing cached. */
    assert_true(dma->iotlb_miss(dma->ctx, EP_IOVA_BUF, DMA_WRITE) < 0);
    assert_true(dma->iotlb_miss(dma->ctx, EP_IOVA_BUF + 0x2000, DMA_READ) < 0);
    assert_int_equal(log.n, 2);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
    assert_true(flags & VIRTIO_IOMMU_FAULT_F_WRITE);
    assert_true(next_fault(f, &reason, &ep, &addr, &flags));
    assert_int_equal(addr, EP_IOVA_BUF + 0x2000);

    /* UNMAP: exactly the range; a refused one (it would split a mapping) invalidates nothing. */
    assert_int_equal(unmap(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0xfff), VIRTIO_IOMMU_S_RANGE);
    assert_int_equal(log.n, 2);
    assert_int_equal(unmap(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 2, 'i', EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff);
    assert_true(dma->iotlb_miss(dma->ctx, EP_IOVA_BUF, DMA_READ) < 0);

    /* Moving to another domain, detaching, resetting the IOMMU: everything. */
    assert_int_equal(attach(f, 6, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 3, 'i', 0, UINT64_MAX);
    assert_true(dma->iotlb_miss(dma->ctx, EP_IOVA_RINGS, DMA_READ) < 0); /* domain 5's mapping */
    unsigned before = log.n;
    assert_int_equal(detach(f, 6, EP_ID), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, before, 'i', 0, UINT64_MAX);

    /* A bypass domain: the guest RAM region 1:1, dropped again on the next reset. */
    assert_int_equal(attach(f, 9, EP_ID, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
    assert_int_equal(dma->iotlb_miss(dma->ctx, EP_BUF_GPA, DMA_WRITE), 0);
    assert_int_equal(log.msg[log.n - 1].kind, 'u');
    assert_true(log.msg[log.n - 1].iova <= EP_BUF_GPA && log.msg[log.n - 1].last >= EP_BUF_GPA);
    before = log.n;
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    expect_msg(&log, before, 'i', 0, UINT64_MAX);
    assert_true(dma->iotlb_miss(dma->ctx, EP_BUF_GPA, DMA_READ) < 0);

    /* Without a sink nothing is called (the device detached). */
    dma->iotlb_sink(dma->ctx, NULL);
    before = log.n;
    td_start(&f->d, &f->t, 2, 16, IOMMU_FEATURES);
    assert_int_equal(attach(f, 5, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    assert_int_equal(log.n, before);
}

/* A sink with on_map (vhost-user's) gets each new mapping as the driver makes it. */
static void iotlb_on_map(void **state)
{
    struct fixture *f = *state;
    struct sink_log log = {0};
    const struct dma_space *dma = f->rng.vdev.cfg.slot.dma;
    const struct dma_iotlb_sink sink = {
        .update = sink_update, .invalidate = sink_invalidate, .ctx = &log, .on_map = true};

    dma->iotlb_sink(dma->ctx, &sink);
    assert_int_equal(attach(f, 5, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 0, 'i', 0, UINT64_MAX);
    assert_int_equal(map(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff, EP_BUF_GPA, 2), 0);
    expect_msg(&log, 1, 'u', EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff);
    assert_ptr_equal(log.msg[1].host, td_ptr(&f->d, EP_BUF_GPA));
    assert_int_equal(log.msg[1].perm, DMA_WRITE); /* as mapped: the sink may widen it */
    /* A refused MAP (overlapping) tells nothing; the UNMAP invalidates as always. */
    assert_int_equal(map(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0xfff, EP_BUF_GPA, 1),
                     VIRTIO_IOMMU_S_INVAL);
    assert_int_equal(log.n, 2);
    assert_int_equal(unmap(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 2, 'i', EP_IOVA_BUF, EP_IOVA_BUF + 0x1fff);
    /* Detached, a MAP of its old domain (gone with it) is nobody's. */
    assert_int_equal(detach(f, 5, EP_ID), VIRTIO_IOMMU_S_OK);
    expect_msg(&log, 3, 'i', 0, UINT64_MAX);
    assert_int_equal(attach(f, 6, EP_ID, 0), VIRTIO_IOMMU_S_OK);
    unsigned before = log.n;
    assert_int_equal(map(f, 5, EP_IOVA_BUF, EP_IOVA_BUF + 0xfff, EP_BUF_GPA, 1),
                     VIRTIO_IOMMU_S_NOENT);
    assert_int_equal(log.n, before);
    dma->iotlb_sink(dma->ctx, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(config_space, setup, teardown),
        cmocka_unit_test_setup_teardown(iotlb_on_map, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_are_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(probe_reports_reserved_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(endpoint_translates_and_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(permissions_are_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(bypass_domain_passes_through, setup, teardown),
        cmocka_unit_test_setup_teardown(init_needs_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(small_tables_fill_up, small_setup, teardown),
        cmocka_unit_test_setup_teardown(domains_have_their_own_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(iotlb_follows_the_domain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
