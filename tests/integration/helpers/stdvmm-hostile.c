/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile virtio driver for the guest kit, linked statically (issue #15
 * item 6): it drives one virtio-mmio device from guest user space through
 * /dev/mem, after the guest's own driver was unbound from it, and does what
 * a compromised guest kernel could:
 *   stdvmm-hostile BASE
 * BASE is the device's register window (guest-physical, hex); with
 *   stdvmm-hostile BASE access-platform
 * it also accepts VIRTIO_F_ACCESS_PLATFORM, as a device behind an IOMMU
 * requires, so the attacks reach the IOMMU's translation. In order:
 * status games (0x100, DRIVER_OK before FEATURES_OK, every feature bit),
 * queue settings out of range, then on a live queue 0: a descriptor loop,
 * a chain of 4 GiB descriptors, buffers outside guest RAM, an indirect
 * table outside RAM, an avail index far ahead, a ring outside RAM, a
 * queue switched off and a reset while a request is pending, and a storm
 * of notifications. After each it checks that the device still answers
 * (its magic value reads back: the VMM is alive) and prints one line per
 * attack, then "hostile: ok ATTACKS" and exits 0; exits 1 if the device
 * stopped answering (the VMM is gone: this guest would not get this far).
 * The ring page's guest-physical address comes from /proc/self/pagemap
 * (root: the guest's /init).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC 0x000
#define DEVICE_ID 0x008
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

#define QSIZE 8
#define OUT_OF_RAM 0xfffffff000000000ull /* no guest has RAM there */

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static volatile uint32_t *regs;
static uint8_t *page; /* the rings: descriptors, avail at +0x400, used at +0x800 */
static uint64_t page_pa;
static uint8_t *data; /* a buffer page */
static uint64_t data_pa;
static unsigned attacks;
static unsigned q; /* the queue under attack */

static uint32_t rd(unsigned off)
{
    return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

static uint64_t phys_of(void *p)
{
    uint64_t entry = 0;
    long psz = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)p / (uintptr_t)psz) * 8) != 8 ||
        !(entry & PAGEMAP_PRESENT) || (entry & PAGEMAP_PFN_MASK) == 0) {
        fprintf(stderr, "hostile: no physical address from /proc/self/pagemap\n");
        exit(2);
    }
    close(fd);
    return (entry & PAGEMAP_PFN_MASK) * (uint64_t)psz;
}

static void *locked_page(uint64_t *pa)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED,
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("hostile: mmap");
        exit(2);
    }
    memset(p, 0, 4096);
    *pa = phys_of(p);
    return p;
}

/* The device still answers: the VMM behind it is alive. */
static void alive(const char *what)
{
    attacks++;
    if (rd(MAGIC) != 0x74726976) {
        printf("hostile: %s: the device stopped answering (magic 0x%x)\n", what, rd(MAGIC));
        exit(1);
    }
    printf("hostile: %s: device answers, status 0x%x, interrupt 0x%x\n", what, rd(STATUS),
           rd(INTERRUPT_STATUS));
    wr(INTERRUPT_ACK, rd(INTERRUPT_STATUS));
}

/* Feature bits 32-63 of every session: VERSION_1, and ACCESS_PLATFORM behind an IOMMU. */
static uint32_t features_hi = 1;

static void set_features(uint32_t lo, uint32_t hi)
{
    wr(DRIVER_FEATURES_SEL, 0);
    wr(DRIVER_FEATURES, lo);
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, hi);
}

static void queue_at(uint64_t desc, uint64_t avail, uint64_t used)
{
    wr(QUEUE_SEL, q);
    wr(QUEUE_NUM, QSIZE);
    wr(QUEUE_DESC_LOW, (uint32_t)desc);
    wr(QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(QUEUE_READY, 1);
}

/* A fresh driver session with features lo (and VERSION_1), queue q live on our page. */
static void start_with(uint32_t lo, uint64_t used)
{
    wr(STATUS, 0);
    memset(page, 0, 4096);
    wr(STATUS, S_ACK | S_DRIVER);
    set_features(lo, features_hi);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    queue_at(page_pa, page_pa + 0x400, used);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* The same with VIRTIO_F_VERSION_1 alone (or rings at `used`). */
static void start(uint64_t used)
{
    start_with(0, used);
}

static struct desc *descs(void)
{
    return (struct desc *)page;
}

/* Puts head in the avail ring and moves its index by `step` (1 for an honest driver). */
static void offer(uint16_t head, uint16_t step)
{
    volatile uint16_t *avail = (volatile uint16_t *)(page + 0x400);
    uint16_t idx = avail[1];
    avail[2 + idx % QSIZE] = head;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    avail[1] = (uint16_t)(idx + step);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wr(QUEUE_NOTIFY, q);
}

static void status_games(void)
{
    wr(STATUS, 0);
    wr(STATUS, 0x100); /* a reset, not "status 0 with the queues live" */
    alive("status 0x100");
    wr(STATUS, S_ACK | S_DRIVER);
    wr(STATUS, S_ACK | S_DRIVER | S_DRIVER_OK); /* DRIVER_OK without FEATURES_OK */
    alive("DRIVER_OK before FEATURES_OK");
    wr(STATUS, 0);
    wr(STATUS, S_ACK | S_DRIVER);
    set_features(0xffffffff, 0xffffffff);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    printf("hostile: every feature bit: FEATURES_OK %s\n",
           (rd(STATUS) & S_FEATURES_OK) ? "kept (bad)" : "refused");
    alive("every feature bit");
    wr(STATUS, 0);
    wr(STATUS, S_ACK | S_DRIVER);
    set_features(0, features_hi);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    wr(QUEUE_SEL, 0);
    wr(QUEUE_NUM, 0xffff); /* above the maximum, and not a power of two */
    wr(QUEUE_SEL, 0x7fff); /* no such queue */
    wr(QUEUE_NUM, 4);
    wr(QUEUE_READY, 1);
    wr(QUEUE_SEL, 0);
    wr(QUEUE_READY, 1); /* ready with a bad size and no rings */
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    wr(QUEUE_NOTIFY, 0);
    wr(QUEUE_NOTIFY, 0x7fff);
    alive("queue settings out of range");
    wr(STATUS, S_ACK); /* clearing bits without a reset */
    alive("status bits cleared without a reset");
}

static void ring_games(void)
{
    struct desc *d;

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){data_pa, 64, F_NEXT | F_WRITE, 1};
    d[1] = (struct desc){data_pa + 64, 64, F_NEXT | F_WRITE, 0}; /* back to 0: a loop */
    offer(0, 1);
    usleep(100000);
    alive("descriptor loop");

    start(page_pa + 0x800);
    d = descs();
    for (uint16_t i = 0; i < QSIZE; i++)
        d[i] = (struct desc){data_pa, 0xffffffff, (uint16_t)(F_WRITE | (i + 1 < QSIZE ? F_NEXT : 0)),
                             (uint16_t)(i + 1)};
    offer(0, 1);
    usleep(100000);
    alive("chain of 4 GiB descriptors");

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){OUT_OF_RAM, 4096, F_WRITE, 0};
    d[1] = (struct desc){page_pa + 4096 * 4096ull * 64, 4096, F_WRITE, 0}; /* past 256 MiB+ */
    offer(0, 1);
    offer(1, 1);
    usleep(100000);
    alive("buffers outside guest RAM");

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){OUT_OF_RAM, 16 * 4, F_INDIRECT, 0};
    d[1] = (struct desc){page_pa, 0xfff0, F_INDIRECT, 0}; /* the table is our own ring */
    offer(0, 1);
    offer(1, 1);
    usleep(100000);
    alive("indirect tables outside RAM and self-referencing");

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){data_pa, 64, F_WRITE, 0};
    offer(0, 0x8000); /* 32768 new entries in a ring of 8 */
    usleep(100000);
    alive("avail index far ahead");

    start(OUT_OF_RAM);
    d = descs();
    d[0] = (struct desc){data_pa, 64, F_WRITE, 0};
    offer(0, 1);
    usleep(100000);
    alive("used ring outside RAM");

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){data_pa, 4096, F_WRITE, 0};
    offer(0, 1);
    wr(QUEUE_READY, 0); /* the queue goes away under a pending request */
    wr(STATUS, 0);      /* and the device resets */
    usleep(100000);
    alive("queue switched off and reset while a request is pending");

    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){data_pa, 64, F_WRITE, 0};
    offer(0, 1);
    for (int i = 0; i < 20000; i++)
        wr(QUEUE_NOTIFY, (uint32_t)i & 1);
    alive("20000 notifications");
}

/*
 * Buffers the device reads (a transmit queue's frames and packets, a
 * request header): their bytes are garbage, every field at its largest.
 */
static void garbage_games(void)
{
    struct desc *d;

    memset(data, 0xff, 4096);
    start(page_pa + 0x800);
    d = descs();
    d[0] = (struct desc){data_pa, 4096, 0, 0};
    d[1] = (struct desc){data_pa, 1, 0, 0}; /* shorter than any header */
    d[2] = (struct desc){data_pa, 0, 0, 0}; /* empty */
    d[3] = (struct desc){data_pa, 12, F_NEXT, 4};
    d[4] = (struct desc){data_pa + 12, 4084, F_NEXT | F_WRITE, 5}; /* readable after writable */
    d[5] = (struct desc){data_pa, 4096, 0, 0};
    for (uint16_t i = 0; i < 4; i++)
        offer(i, 1);
    usleep(100000);
    alive("garbage headers, short and empty buffers, mixed directions");

    start(page_pa + 0x800);
    d = descs();
    for (uint16_t i = 0; i < QSIZE; i++)
        d[i] = (struct desc){data_pa, 0xffffffff, (uint16_t)(i + 1 < QSIZE ? F_NEXT : 0),
                             (uint16_t)(i + 1)};
    offer(0, 1);
    usleep(100000);
    alive("chain of 4 GiB readable descriptors");
    memset(data, 0, 4096);
}

#define F_INDIRECT_DESC (1u << 28)

/* Indirect tables with VIRTIO_F_INDIRECT_DESC negotiated, so the device walks them. */
static void indirect_games(void)
{
    wr(DEVICE_FEATURES_SEL, 0);
    if (!(rd(DEVICE_FEATURES) & F_INDIRECT_DESC)) {
        printf("hostile: no indirect descriptors offered\n");
        return;
    }
    struct desc *t = (struct desc *)(data + 2048); /* the table, in the data page */
    uint64_t t_pa = data_pa + 2048;
    struct desc *d;

    start_with(F_INDIRECT_DESC, page_pa + 0x800);
    d = descs();
    t[0] = (struct desc){data_pa, 64, F_NEXT | F_WRITE, 1};
    t[1] = (struct desc){data_pa + 64, 64, F_NEXT | F_WRITE, 0}; /* a loop inside the table */
    d[0] = (struct desc){t_pa, 2 * 16, F_INDIRECT, 0};
    offer(0, 1);
    usleep(100000);
    alive("indirect table with a loop");

    start_with(F_INDIRECT_DESC, page_pa + 0x800);
    d = descs();
    t[0] = (struct desc){t_pa, 16, F_INDIRECT, 0}; /* a table in a table: itself */
    d[0] = (struct desc){t_pa, 16, F_INDIRECT, 0};
    t[2] = (struct desc){data_pa, 64, F_NEXT | F_WRITE, 9}; /* next past the table's end */
    d[1] = (struct desc){t_pa + 32, 16, F_INDIRECT, 0};
    d[2] = (struct desc){t_pa, 24, F_INDIRECT, 0};          /* not a whole number of entries */
    d[3] = (struct desc){t_pa, 0, F_INDIRECT, 0};           /* an empty table */
    d[4] = (struct desc){t_pa, 16, F_INDIRECT | F_NEXT, 5}; /* and a chain after it */
    d[5] = (struct desc){data_pa, 64, F_WRITE, 0};
    for (uint16_t i = 0; i < 5; i++)
        offer(i, 1);
    usleep(100000);
    alive("nested, overrunning, ragged, empty and chained indirect tables");

    start_with(F_INDIRECT_DESC, page_pa + 0x800);
    d = descs();
    for (uint16_t i = 0; i < 64; i++)
        t[i] = (struct desc){data_pa, 0xffffffff, (uint16_t)(F_WRITE | (i + 1 < 64 ? F_NEXT : 0)),
                             (uint16_t)(i + 1)};
    d[0] = (struct desc){t_pa, 64 * 16, F_INDIRECT, 0};
    offer(0, 1);
    usleep(100000);
    alive("indirect table of 4 GiB descriptors");
    memset(data, 0, 4096);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "access-platform") == 0) {
        features_hi = 3;
    } else if (argc != 2) {
        fprintf(stderr, "usage: stdvmm-hostile BASE [access-platform]\n");
        return 2;
    }
    uint64_t base = strtoull(argv[1], NULL, 16);
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        perror("hostile: /dev/mem");
        return 2;
    }
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
    if (m == MAP_FAILED) {
        perror("hostile: mmap /dev/mem");
        return 2;
    }
    regs = m;
    page = locked_page(&page_pa);
    data = locked_page(&data_pa);
    if (rd(MAGIC) != 0x74726976) {
        fprintf(stderr, "hostile: no virtio-mmio device at 0x%llx\n", (unsigned long long)base);
        return 2;
    }
    printf("hostile: device %u at 0x%llx, rings at 0x%llx\n", rd(DEVICE_ID),
           (unsigned long long)base, (unsigned long long)page_pa);
    status_games();
    /* Each queue the device has, at most three (net and vsock: receive, transmit, event). */
    for (q = 0; q < 3; q++) {
        wr(STATUS, 0);
        wr(QUEUE_SEL, q);
        if (rd(QUEUE_NUM_MAX) == 0)
            break;
        printf("hostile: queue %u\n", q);
        ring_games();
        garbage_games();
        indirect_games();
    }
    unsigned queues = q;
    q = 0;
    wr(STATUS, 0);
    alive("final reset");
    printf("hostile: ok %u queues %u\n", attacks, queues);
    return 0;
}
