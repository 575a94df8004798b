/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for virtio-iommu: everything its guest driver controls
 * (requests of any type, length and split, the bypass byte, resets) mixed
 * with the endpoints' translations. After every step the domains' maps must
 * still be sorted and disjoint, and every host pointer a translation hands
 * out must lie, whole, inside guest RAM (one heap block of exactly its
 * size, so AddressSanitizer sees any stray access too). An IOTLB miss (for
 * a datapath outside the VMM) must be answered exactly when the address
 * translates, with an entry that holds it, lies in guest RAM and translates
 * whole to the same host bytes: it never exceeds a mapping.
 *
 * Input: a stream of steps, each an opcode byte and its operands.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "stdvmm/devices/virtio_iommu.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/guest_memory.h"

#define RAM_GPA 0x100000ull
#define RAM_SIZE 0x20000ull
#define RING(q) (RAM_GPA + 0x1000ull * (q)) /* desc +0, avail +0x400, used +0x800 */
#define REQ (RAM_GPA + 0x4000ull)
#define TAIL (RAM_GPA + 0x5000ull)
#define QSIZE 16
#define ENDPOINTS 3
/* Small tables, so that inputs reach full domains (S_NOMEM) as well as empty ones. */
#define DOMAINS ENDPOINTS
#define MAPPINGS 16

static uint8_t *ram;
static struct gmem mem;
static struct viommu *iommu;
static struct viommu_domain *domains;
static struct iommu_mapping *mappings;
static struct virtio_mmio t;
static const struct dma_space *eps[ENDPOINTS];
static uint16_t avail_idx;
static struct dma_iotlb_entry entry; /* the last update a sink got */
static unsigned updates;

static void nop(void *ctx)
{
    (void)ctx;
}

static void w32(uint64_t off, uint32_t v)
{
    uint8_t b[4];
    virtio_put_le32(b, v);
    virtio_mmio_write(&t, off, b, 4);
}

static void start_driver(void)
{
    uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_IOMMU_F_MAP_UNMAP) |
                 VIRTIO_BIT(VIRTIO_IOMMU_F_PROBE) | VIRTIO_BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG);
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, 3);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
    w32(VIRTIO_MMIO_STATUS, 0xb);
    for (unsigned q = 0; q < 2; q++) {
        w32(VIRTIO_MMIO_QUEUE_SEL, q);
        w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
        w32(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
        w32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RING(q) + 0x400));
        w32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RING(q) + 0x800));
        w32(VIRTIO_MMIO_QUEUE_READY, 1);
    }
    w32(VIRTIO_MMIO_STATUS, 0xf);
    avail_idx = 0;
}

static void setup(void)
{
    ram = malloc(RAM_SIZE);
    iommu = malloc(sizeof(*iommu));
    domains = malloc(DOMAINS * sizeof(*domains));
    mappings = malloc(DOMAINS * MAPPINGS * sizeof(*mappings));
    if (ram == NULL || iommu == NULL || domains == NULL || mappings == NULL)
        abort();
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = ram + (RING(0) - RAM_GPA) + 16 * i;
    virtio_put_le64(p, addr);
    virtio_put_le32(p + 8, len);
    virtio_put_le16(p + 12, flags);
    virtio_put_le16(p + 14, next);
}

/* A request: a structured one (fields a driver could send) or raw bytes, in one or two parts. */
static void request(struct fuzz_input *in)
{
    uint8_t kind = fuzz_u8(in);
    uint32_t out_len = fuzz_u8(in) % 96;
    uint32_t in_len = fuzz_u8(in) % (VIOMMU_PROBE_SIZE + 16);
    uint8_t *r = ram + (REQ - RAM_GPA);

    if (kind & 0x80) {
        memset(r, 0, 96);
        r[0] = (uint8_t)(1 + kind % 5);
        virtio_put_le32(r + 4, fuzz_u8(in) % 4 + (kind & 0x40 ? 0 : 1)); /* domain or endpoint */
        uint64_t start = (uint64_t)fuzz_u8(in) << 12;
        uint64_t pages = fuzz_u8(in) % 8 + 1;
        if (r[0] == VIRTIO_IOMMU_T_ATTACH || r[0] == VIRTIO_IOMMU_T_DETACH) {
            virtio_put_le32(r + 8, fuzz_u8(in) % (ENDPOINTS + 1));
            virtio_put_le32(r + 12, fuzz_u8(in) % 3);
        } else {
            virtio_put_le64(r + 8, start);
            virtio_put_le64(r + 16, start + (pages << 12) - 1 + (kind & 0x20 ? 1 : 0));
            virtio_put_le64(r + 24, RAM_GPA + ((uint64_t)(fuzz_u8(in) % 32) << 12));
            virtio_put_le32(r + 32, fuzz_u8(in) % 8);
        }
    } else {
        for (uint32_t i = 0; i < out_len; i++)
            r[i] = fuzz_u8(in);
    }
    uint16_t head = (uint16_t)((avail_idx % (QSIZE / 2)) * 2);
    if (out_len > 0 && in_len > 0) {
        put_desc(head, REQ, out_len, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
        put_desc(head + 1u, TAIL, in_len, VIRTQ_DESC_F_WRITE, 0);
    } else {
        put_desc(head, out_len ? REQ : TAIL, out_len ? out_len : in_len,
                 out_len ? 0 : VIRTQ_DESC_F_WRITE, 0);
    }
    uint8_t *avail = ram + (RING(0) + 0x400 - RAM_GPA);
    virtio_put_le16(avail + 4 + 2 * (avail_idx % QSIZE), head);
    avail_idx++;
    virtio_put_le16(avail + 2, avail_idx);
    viommu_process(iommu);
}

static void translate(struct fuzz_input *in)
{
    const struct dma_space *d = eps[fuzz_u8(in) % ENDPOINTS];
    uint8_t how = fuzz_u8(in);
    uint64_t addr = (how & 1) ? fuzz_u64(in) : ((uint64_t)fuzz_u8(in) << 12) + fuzz_u16(in);
    uint64_t len = (how & 2) ? fuzz_u64(in) : (uint64_t)fuzz_u16(in) + 1;
    unsigned access = 1 + (how >> 2) % 3;
    if (len == 0)
        return;
    uint8_t *p = d->translate(d->ctx, addr, len, access);
    if (p != NULL && (p < ram || len > RAM_SIZE || p > ram + (RAM_SIZE - len)))
        abort(); /* a pointer outside guest RAM */
    if (p != NULL)
        p[len - 1] ^= 0; /* ASan checks the last byte is ours */
}

/* Under the IOMMU's lock: only recorded here, checked once the miss returns. */
static void sink_update(void *ctx, const struct dma_iotlb_entry *e)
{
    (void)ctx;
    entry = *e;
    updates++;
}

static void sink_invalidate(void *ctx, uint64_t iova, uint64_t last)
{
    (void)ctx;
    if (last < iova)
        abort();
}

static void miss(struct fuzz_input *in)
{
    const struct dma_space *d = eps[fuzz_u8(in) % ENDPOINTS];
    uint64_t addr = (fuzz_u8(in) & 1) ? fuzz_u64(in) : ((uint64_t)fuzz_u8(in) << 12) + fuzz_u16(in);
    unsigned access = 1 + fuzz_u8(in) % 3;
    unsigned before = updates;
    int r = d->iotlb_miss(d->ctx, addr, access);

    if ((r == 0) != (updates == before + 1))
        abort(); /* answered without an update, or an update for a refused miss */
    if (r != 0)
        return;
    const struct dma_iotlb_entry *e = &entry;
    if (e->size == 0 || addr < e->iova || addr - e->iova >= e->size || (e->perm & access) != access)
        abort();
    if (e->host < ram || e->size > RAM_SIZE || e->host > ram + (RAM_SIZE - e->size))
        abort(); /* beyond guest RAM */
    if (d->translate(d->ctx, e->iova, e->size, e->perm) != e->host)
        abort(); /* beyond one mapping, or somewhere else */
}

static void check_maps(void)
{
    for (unsigned i = 0; i < DOMAINS; i++) {
        const struct iommu_map *m = &iommu->domains[i].map;
        /* Each domain stays inside its own slice of the caller's mappings. */
        if (m->cap != MAPPINGS || m->count > m->cap || m->m != mappings + i * MAPPINGS)
            abort();
        for (uint32_t k = 0; k < m->count; k++) {
            if (m->m[k].last < m->m[k].start)
                abort();
            if (k > 0 && m->m[k - 1].last >= m->m[k].start)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct fuzz_input in = {.p = data, .n = size};

    if (!ready) {
        setup();
        ready = 1;
    }
    memset(ram, 0, RAM_SIZE);
    gmem_init(&mem);
    gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram);
    struct viommu_config cfg = {
        .slot = {.name = "iommu",
                 .base = 0xd0000000u,
                 .irq = 5,
                 .mem = &mem,
                 .interrupt = nop,
                 .kick = nop},
        .nresv = 1,
        .resv = {{.start = 0x8000000, .last = 0x80fffff, .subtype = 1}},
        .domains = domains,
        .mappings = mappings,
        .max_domains = DOMAINS,
        .max_mappings = MAPPINGS,
    };
    if (viommu_init(iommu, &cfg) != 0 || virtio_mmio_init(&t, &iommu->vdev) != 0)
        abort();
    const struct dma_iotlb_sink sink = {.update = sink_update, .invalidate = sink_invalidate};
    for (unsigned i = 0; i < ENDPOINTS; i++) {
        if ((eps[i] = viommu_add_endpoint(iommu, i + 1, "ep")) == NULL)
            abort();
        eps[i]->iotlb_sink(eps[i]->ctx, &sink);
    }
    start_driver();
    for (unsigned steps = 0; in.n > 0 && steps < 256; steps++) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 8) {
        case 0:
        case 1:
        case 2:
        case 3:
            request(&in);
            break;
        case 4:
            translate(&in);
            break;
        case 5:
            miss(&in);
            break;
        case 6: {
            uint8_t b = fuzz_u8(&in);
            virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + fuzz_u8(&in) % 48, &b, 1);
            break;
        }
        default:
            start_driver(); /* a reset: every domain goes */
            break;
        }
        check_maps();
    }
    return 0;
}
