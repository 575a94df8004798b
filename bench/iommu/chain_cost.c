/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark (not a test): what the VMM side of virtio-iommu costs per
 * descriptor chain. A virtio-rng device pops and pushes 64-byte chains
 * from a host buffer standing in for guest RAM, first with guest-physical
 * addresses (no IOMMU), then with its rings and buffer behind a
 * virtio-iommu domain holding 4 mappings, then 1000 more (in-flight
 * buffers of a busy driver). Each chain is about six translations: the
 * available index and entry, the descriptor, the buffer, the used entry and
 * index. It does not see the guest's side, where each I/O costs the driver
 * MAP and UNMAP requests (docs/memory.md has the whole-VM figures).
 *
 *   bench/iommu/run.sh [BUILD_DIR]   prints ns per chain, three rounds
 */
#include <stdio.h>
#include <time.h>

#include "stdvmm/devices/virtio_iommu.h"
#include "stdvmm/devices/virtio_rng.h"
#include "support/virtio_driver.h"

#define QSIZE 64
#define CHAINS 2000000
#define RING TD_RING(2)
#define BUF (TD_DATA + 0x20000)

static struct viommu iommu;
/* One domain, room for the rings, the buffer and run()'s 1000 unrelated mappings. */
static struct viommu_domain domain;
static struct iommu_mapping mappings[VIOMMU_DEFAULT_MAPPINGS];
static struct td d, ep;
static struct virtio_rng rng;
static struct virtio_mmio iommu_t, rng_t;

static size_t fill(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return len;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void request(const uint8_t *body, uint32_t len)
{
    static uint16_t k;
    uint16_t h = (uint16_t)((k++ % 8) * 2);
    memcpy(td_ptr(&d, TD_DATA + 0x10000), body, len);
    td_desc(&d, 0, h, TD_DATA + 0x10000, len, VIRTQ_DESC_F_NEXT, (uint16_t)(h + 1));
    td_desc(&d, 0, (uint16_t)(h + 1), TD_DATA + 0x11000, 4, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&d, 0, h);
    viommu_process(&iommu);
}

static void map(uint64_t iova, uint64_t size, uint64_t gpa)
{
    uint8_t m[36] = {VIRTIO_IOMMU_T_MAP};
    virtio_put_le32(m + 4, 1);
    virtio_put_le64(m + 8, iova);
    virtio_put_le64(m + 16, iova + size - 1);
    virtio_put_le64(m + 24, gpa);
    virtio_put_le32(m + 32, VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE);
    request(m, sizeof(m));
}

/* ns per chain; with: behind the IOMMU, with `extra` unrelated mappings in the domain. */
static double run(bool with, int extra)
{
    if (td_init(&d) != 0)
        return -1;
    ep = d;
    struct viommu_config ic = {.slot = td_slot(&d, "iommu"),
                               .domains = &domain,
                               .mappings = mappings,
                               .max_domains = 1,
                               .max_mappings = VIOMMU_DEFAULT_MAPPINGS};
    struct virtio_rng_config rc = {.slot = td_slot(&d, "rng"), .backend = {.fill = fill}};
    if (viommu_init(&iommu, &ic) != 0 || virtio_mmio_init(&iommu_t, &iommu.vdev) != 0)
        return -1;
    if (with) {
        rc.slot.dma = viommu_add_endpoint(&iommu, 1, "rng");
        rc.slot.endpoint = 1;
    }
    if (virtio_rng_init(&rng, &rc) != 0 || virtio_mmio_init(&rng_t, &rng.vdev) != 0)
        return -1;
    if (with) {
        td_start(&d, &iommu_t, 2, 16, TD_FEATURES_ALL | VIRTIO_BIT(VIRTIO_IOMMU_F_MAP_UNMAP));
        uint8_t a[20] = {VIRTIO_IOMMU_T_ATTACH};
        virtio_put_le32(a + 4, 1);
        virtio_put_le32(a + 8, 1);
        request(a, sizeof(a));
        for (int i = 0; i < extra; i++)
            map(0x100000000ull + 0x2000ull * (uint64_t)i, 0x1000, TD_DATA);
        map(RING, 0x10000, RING); /* identity, so one ring set-up serves both runs */
        map(BUF, 0x1000, BUF);
    }
    uint64_t features = TD_FEATURES_ALL | (with ? VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) : 0);
    td_start(&ep, &rng_t, 0, QSIZE, features);
    td_setup_queue_at(&ep, &rng_t, 0, QSIZE, RING, RING + 0x4000, RING + 0x8000);
    td_w32(&rng_t, VIRTIO_MMIO_STATUS, 0xf);
    if (!td_r32(&rng_t, VIRTIO_MMIO_QUEUE_READY))
        return -1;
    for (uint16_t i = 0; i < QSIZE; i++)
        td_desc_at(&ep, RING, i, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
    uint16_t idx = 0;
    double t0 = now();
    for (int i = 0; i < CHAINS; i += QSIZE / 2) {
        for (int k = 0; k < QSIZE / 2; k++, idx++)
            virtio_put_le16(td_ptr(&ep, RING + 0x4000 + 4 + 2 * (idx % QSIZE)), idx % QSIZE);
        virtio_put_le16(td_ptr(&ep, RING + 0x4000 + 2), idx);
        virtio_rng_process(&rng);
    }
    double dt = now() - t0;
    bool all_used = virtio_le16(td_ptr(&ep, RING + 0x8000 + 2)) == idx;
    td_free(&d);
    return all_used ? dt / CHAINS * 1e9 : -1;
}

int main(void)
{
    for (int r = 0; r < 3; r++) {
        double a = run(false, 0), b = run(true, 0), c = run(true, 1000);
        if (a < 0 || b < 0 || c < 0) {
            fprintf(stderr, "chain_cost: a run did not complete\n");
            return 1;
        }
        printf("ns/chain: direct %.0f, iommu %.0f (x%.2f), iommu+1000 mappings %.0f (x%.2f)\n", a,
               b, b / a, c, c / a);
    }
    return 0;
}
