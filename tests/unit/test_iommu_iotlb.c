/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB entries a datapath outside the VMM gets for a miss: the whole
 * mapping holding the address, clipped to the guest RAM region it lands
 * in, never beyond either; refusals for unmapped addresses, missing
 * permissions and mappings to outside guest RAM; and the miss step the
 * datapaths share (the answer reaches the sink, counts, a log that stops
 * after IOMMU_IOTLB_ERRORS_LOGGED refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <string.h>

#include "stderr_capture.h"
#include "stdvmm/devices/iommu_iotlb.h"
#include "stdvmm/error.h"

/* Two RAM regions with a hole between them. */
#define LOW_GPA 0x40000000ull
#define LOW_SIZE 0x100000ull
#define HIGH_GPA 0x80000000ull
#define HIGH_SIZE 0x200000ull
static uint8_t low[LOW_SIZE], high[HIGH_SIZE];

struct fixture {
    struct gmem mem;
    struct iommu_map map;
    struct iommu_mapping storage[8];
};

static void setup(struct fixture *f)
{
    gmem_init(&f->mem);
    assert_int_equal(gmem_add_region(&f->mem, HIGH_GPA, HIGH_SIZE, high), 0);
    assert_int_equal(gmem_add_region(&f->mem, LOW_GPA, LOW_SIZE, low), 0);
    iommu_map_init(&f->map, f->storage, 8);
}

static void entry_is_the_mapping(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    assert_int_equal(iommu_map_add(&f.map, 0x10000, 0x13fff, LOW_GPA + 0x8000, IOMMU_MAP_READ), 0);
    assert_int_equal(iommu_map_add(&f.map, 0x20000, 0x20fff, HIGH_GPA, 3), 0);

    /* A miss in the middle of a mapping gets all of it, and only it. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x12345, DMA_READ, &e), 0);
    assert_int_equal(e.iova, 0x10000);
    assert_int_equal(e.size, 0x4000);
    assert_ptr_equal(e.host, low + 0x8000);
    assert_int_equal(e.perm, DMA_READ);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x20fff, DMA_READ | DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x20000);
    assert_int_equal(e.size, 0x1000);
    assert_ptr_equal(e.host, high);
    assert_int_equal(e.perm, DMA_READ | DMA_WRITE);

    /* Around and between the mappings, and an access the mapping does not allow. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0xffff, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x14000, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x21000, DMA_READ, &e), -STDVMM_ENOENT);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x10000, DMA_WRITE, &e), -STDVMM_EPERM);
}

static void entry_stays_in_guest_ram(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    /* A driver maps a range that runs off the end of the low region, into the hole. */
    assert_int_equal(iommu_map_add(&f.map, 0x100000, 0x1fffff, LOW_GPA + LOW_SIZE - 0x2000, 3), 0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x100000, DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x100000);
    assert_int_equal(e.size, 0x2000);
    assert_ptr_equal(e.host, low + LOW_SIZE - 0x2000);
    /* Inside the mapping but in the hole: nothing to give. */
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x102000, DMA_READ, &e), -STDVMM_EFAULT);

    /* A mapping starting before the high region and ending inside it: the part in RAM. */
    assert_int_equal(iommu_map_add(&f.map, 0x300000, 0x303fff, HIGH_GPA - 0x1000, IOMMU_MAP_WRITE),
                     0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, 0x302000, DMA_WRITE, &e), 0);
    assert_int_equal(e.iova, 0x301000);
    assert_int_equal(e.size, 0x3000);
    assert_ptr_equal(e.host, high);
    assert_int_equal(e.perm, DMA_WRITE);

    /* The whole IOVA space mapped onto address 0: only the region the miss lands in. */
    iommu_map_clear(&f.map);
    assert_int_equal(iommu_map_add(&f.map, 0, UINT64_MAX, 0, 3), 0);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, HIGH_GPA + 0x1234, DMA_READ, &e), 0);
    assert_int_equal(e.iova, HIGH_GPA);
    assert_int_equal(e.size, HIGH_SIZE);
    assert_int_equal(iommu_iotlb_entry(&f.map, &f.mem, UINT64_MAX, DMA_READ, &e), -STDVMM_EFAULT);
}

static void identity_is_the_region(void **state)
{
    struct fixture f;
    struct dma_iotlb_entry e;
    (void)state;
    setup(&f);
    assert_int_equal(iommu_iotlb_identity(&f.mem, LOW_GPA + LOW_SIZE - 1, &e), 0);
    assert_int_equal(e.iova, LOW_GPA);
    assert_int_equal(e.size, LOW_SIZE);
    assert_ptr_equal(e.host, low);
    assert_int_equal(e.perm, DMA_READ | DMA_WRITE);
    assert_int_equal(iommu_iotlb_identity(&f.mem, LOW_GPA + LOW_SIZE, &e), -STDVMM_EFAULT);
    assert_int_equal(iommu_iotlb_identity(&f.mem, 0, &e), -STDVMM_EFAULT);
}

/* An IOMMU for one endpoint: its map, and the datapath's sink that receives the answers. */
struct fake_iommu {
    struct fixture f;
    struct dma_iotlb_entry got[4];
    unsigned got_count;
};

static int fake_miss(void *ctx, uint64_t addr, unsigned access)
{
    struct fake_iommu *io = ctx;
    struct dma_iotlb_entry e;
    int r = iommu_iotlb_entry(&io->f.map, &io->f.mem, addr, access, &e);
    if (r == 0 && io->got_count < 4)
        io->got[io->got_count++] = e;
    return r;
}

static void *no_translate(void *ctx, uint64_t addr, uint64_t len, unsigned access)
{
    (void)ctx, (void)addr, (void)len, (void)access;
    return NULL;
}

/* Lines of the miss step's refusal log in text. */
static unsigned refusals_logged(const char *text)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, "IOTLB miss at IOVA")) != NULL; p++)
        n++;
    return n;
}

/* One miss of net0's vhost-net through dma; log gets what it logged. */
static int miss_logged(const struct dma_space *dma, struct iommu_iotlb_count *c, uint64_t iova,
                       unsigned access, char *log, size_t size)
{
    struct stderr_capture cap;
    assert_int_equal(stderr_capture_begin(&cap), 0);
    int r = iommu_iotlb_miss(dma, c, "net0", "vhost-net", iova, access);
    stderr_capture_end(&cap, log, size);
    return r;
}

static void miss_answers_and_counts(void **state)
{
    struct fake_iommu io = {0};
    struct dma_space dma = {.translate = no_translate, .ctx = &io, .iotlb_miss = fake_miss};
    struct iommu_iotlb_count c = {0};
    char log[4096];
    (void)state;
    setup(&io.f);
    assert_int_equal(iommu_map_add(&io.f.map, 0x10000, 0x13fff, LOW_GPA + 0x8000, 3), 0);

    assert_int_equal(miss_logged(&dma, &c, 0x12345, DMA_WRITE, log, sizeof(log)), 0);
    /* The datapath got the whole mapping; an answer is counted and not logged. */
    assert_int_equal(io.got_count, 1);
    assert_int_equal(io.got[0].iova, 0x10000);
    assert_int_equal(io.got[0].size, 0x4000);
    assert_ptr_equal(io.got[0].host, low + 0x8000);
    assert_int_equal(io.got[0].perm, DMA_READ | DMA_WRITE);
    assert_int_equal(c.misses, 1);
    assert_int_equal(c.errors, 0);
    assert_int_equal(refusals_logged(log), 0);

    /* Unmapped: refused with the IOMMU's error, counted, and logged naming device and datapath. */
    assert_int_equal(miss_logged(&dma, &c, 0x20000, DMA_READ, log, sizeof(log)), -STDVMM_ENOENT);
    assert_int_equal(io.got_count, 1);
    assert_int_equal(c.misses, 1);
    assert_int_equal(c.errors, 1);
    assert_int_equal(refusals_logged(log), 1);
    assert_non_null(strstr(log, "net0: vhost-net IOTLB miss at IOVA 0x20000 (read)"));

    /* Mapped read-only, asked to write: the mapping's refusal, not an answer. */
    iommu_map_clear(&io.f.map);
    assert_int_equal(iommu_map_add(&io.f.map, 0x10000, 0x13fff, LOW_GPA, IOMMU_MAP_READ), 0);
    assert_int_equal(miss_logged(&dma, &c, 0x10000, DMA_WRITE, log, sizeof(log)), -STDVMM_EPERM);
    assert_int_equal(io.got_count, 1);
    assert_int_equal(c.errors, 2);
    assert_non_null(strstr(log, "(write)"));
}

static void miss_without_iommu_is_refused(void **state)
{
    struct iommu_iotlb_count c = {0};
    (void)state;
    assert_int_equal(iommu_iotlb_miss(NULL, &c, "net0", "vhost-user", 0x1000, DMA_READ),
                     -STDVMM_ENOENT);
    assert_int_equal(c.misses, 0);
    assert_int_equal(c.errors, 1);
}

static void refusals_log_stops_after_the_limit(void **state)
{
    struct fake_iommu io = {0};
    struct dma_space dma = {.translate = no_translate, .ctx = &io, .iotlb_miss = fake_miss};
    struct iommu_iotlb_count c = {0};
    struct stderr_capture cap;
    static char log[16384];
    (void)state;
    setup(&io.f);

    assert_int_equal(stderr_capture_begin(&cap), 0);
    for (unsigned i = 0; i < IOMMU_IOTLB_ERRORS_LOGGED + 12; i++)
        assert_int_equal(iommu_iotlb_miss(&dma, &c, "net0", "vhost-net", 0x1000 * i, DMA_READ),
                         -STDVMM_ENOENT);
    stderr_capture_end(&cap, log, sizeof(log));
    /* Every refusal counted, only the first N logged: the N-th, not the one after. */
    assert_int_equal(c.errors, IOMMU_IOTLB_ERRORS_LOGGED + 12);
    assert_int_equal(refusals_logged(log), IOMMU_IOTLB_ERRORS_LOGGED);
    assert_non_null(strstr(log, "IOVA 0x7000 "));
    assert_null(strstr(log, "IOVA 0x8000 "));
    /* The datapath's own failures share the limit: nothing more is to be logged. */
    assert_false(iommu_iotlb_refusal(&c));

    /* A fresh count logs again; its first N refusals are to be logged, then none. */
    struct iommu_iotlb_count fresh = {0};
    for (unsigned i = 0; i < IOMMU_IOTLB_ERRORS_LOGGED; i++)
        assert_true(iommu_iotlb_refusal(&fresh));
    assert_false(iommu_iotlb_refusal(&fresh));
    /* The count saturates rather than wrap around into logging again. */
    fresh.errors = UINT_MAX;
    assert_false(iommu_iotlb_refusal(&fresh));
    assert_int_equal(fresh.errors, UINT_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entry_is_the_mapping),
        cmocka_unit_test(entry_stays_in_guest_ram),
        cmocka_unit_test(identity_is_the_region),
        cmocka_unit_test(miss_answers_and_counts),
        cmocka_unit_test(miss_without_iommu_is_refused),
        cmocka_unit_test(refusals_log_stops_after_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
