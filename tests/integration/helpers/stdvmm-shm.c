/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest's user-space side of stdvmm's shared regions (docs/memory.md),
 * linked statically for the guest kit. Debian's kernels have no driver for
 * the region's device, so this finds it through the firmware (x86_64: the
 * ACPI device SVMM0001's ranges in /proc/iomem; device-tree arches: the
 * shared-region@ nodes) and reaches its register page and memory through
 * /dev/mem (root: the guest's /init):
 *   stdvmm-shm list                    the regions this VM has, one per line
 *   stdvmm-shm info NAME               member=I members=M gpa= size= flags= rings=
 *   stdvmm-shm write NAME OFFSET       standard input into the region
 *   stdvmm-shm read NAME OFFSET LEN    the region's bytes to standard output
 *   stdvmm-shm ring NAME MEMBER|all    ring a member's doorbell
 *   stdvmm-shm wait NAME COUNT SECONDS until COUNT doorbells have arrived
 *   stdvmm-shm poke NAME OFFSET BYTE   write one byte, print it before and after
 * Exit 0 on success, 1 when the region is not there or a wait times out,
 * 2 on a usage or system error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define REG_MAGIC 0x00
#define REG_MEMBER 0x08
#define REG_MEMBERS 0x0c
#define REG_ADDR_LO 0x10
#define REG_ADDR_HI 0x14
#define REG_SIZE_LO 0x18
#define REG_SIZE_HI 0x1c
#define REG_FLAGS 0x20
#define REG_DOORBELL 0x24
#define REG_RINGS 0x28
#define REG_STATUS 0x2c
#define REG_NAME 0x40
#define NAME_LEN 64
#define MAGIC 0x47524853u
#define RING_ALL 0xffffffffu
#define MAX_REGIONS 16

struct region {
    uint64_t regs;
    volatile uint32_t *r;
    char name[NAME_LEN];
};

static int mem_fd = -1;

static void *map_phys(uint64_t pa, uint64_t len)
{
    if (mem_fd < 0)
        mem_fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (mem_fd < 0) {
        perror("stdvmm-shm: /dev/mem");
        exit(2);
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, (off_t)pa);
    if (p == MAP_FAILED) {
        fprintf(stderr, "stdvmm-shm: mmap /dev/mem at 0x%llx: %m\n", (unsigned long long)pa);
        exit(2);
    }
    return p;
}

/* 32-bit loads and stores only: the register page traps, and KVM decodes simple accesses. */
static uint32_t rd(const struct region *g, unsigned off)
{
    return g->r[off / 4];
}

static void wr(const struct region *g, unsigned off, uint32_t v)
{
    g->r[off / 4] = v;
}

/* Opens a candidate register page; 0 if it is a region's. */
static int probe(uint64_t pa, struct region *out)
{
    out->regs = pa;
    out->r = map_phys(pa, 4096);
    if (rd(out, REG_MAGIC) != MAGIC) {
        munmap((void *)out->r, 4096);
        return -1;
    }
    for (unsigned i = 0; i < NAME_LEN; i += 4) {
        uint32_t v = rd(out, REG_NAME + i);
        memcpy(out->name + i, &v, 4);
    }
    out->name[NAME_LEN - 1] = '\0';
    return 0;
}

#if defined(__x86_64__)
/* The ACPI device's ranges: "start-end : SVMM0001:NN"; the register page is the 4 KiB one. */
static unsigned find_all(struct region *out, unsigned max)
{
    FILE *f = fopen("/proc/iomem", "r");
    char line[256];
    unsigned n = 0;
    if (f == NULL) {
        perror("stdvmm-shm: /proc/iomem");
        exit(2);
    }
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        unsigned long long a, b;
        if (strstr(line, "SVMM0001") == NULL || sscanf(line, " %llx-%llx", &a, &b) != 2)
            continue;
        if (b - a + 1 == 4096 && probe(a, &out[n]) == 0)
            n++;
    }
    fclose(f);
    return n;
}
#else
static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* The device tree's shared-region@ nodes: reg's first range is the register page. */
static unsigned find_all(struct region *out, unsigned max)
{
    DIR *d = opendir("/proc/device-tree");
    struct dirent *e;
    unsigned n = 0;
    if (d == NULL) {
        perror("stdvmm-shm: /proc/device-tree");
        exit(2);
    }
    while (n < max && (e = readdir(d)) != NULL) {
        char path[512];
        unsigned char reg[32];
        if (strncmp(e->d_name, "shared-region@", 14) != 0)
            continue;
        snprintf(path, sizeof(path), "/proc/device-tree/%s/reg", e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        size_t got = fread(reg, 1, sizeof(reg), f);
        fclose(f);
        if (got == sizeof(reg) && probe(be64(reg), &out[n]) == 0)
            n++;
    }
    closedir(d);
    return n;
}
#endif

static struct region find(const char *name)
{
    struct region all[MAX_REGIONS];
    unsigned n = find_all(all, MAX_REGIONS);
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(all[i].name, name) == 0)
            return all[i];
    }
    fprintf(stderr, "stdvmm-shm: this VM has no shared region '%s'\n", name);
    exit(1);
}

static uint64_t gpa(const struct region *g)
{
    return (uint64_t)rd(g, REG_ADDR_HI) << 32 | rd(g, REG_ADDR_LO);
}

static uint64_t size(const struct region *g)
{
    return (uint64_t)rd(g, REG_SIZE_HI) << 32 | rd(g, REG_SIZE_LO);
}

static uint64_t number(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "stdvmm-shm: '%s' is not a number\n", s);
        exit(2);
    }
    return v;
}

/* The region's memory from offset for len bytes, checked against its size. */
static volatile uint8_t *window(const struct region *g, uint64_t offset, uint64_t len)
{
    if (offset > size(g) || len > size(g) - offset) {
        fprintf(stderr, "stdvmm-shm: %llu bytes at %llu do not fit in '%s' (%llu bytes)\n",
                (unsigned long long)len, (unsigned long long)offset, g->name,
                (unsigned long long)size(g));
        exit(2);
    }
    return map_phys(gpa(g), size(g));
}

/*
 * Byte by byte, through volatile: /dev/mem maps memory no driver owns as
 * device memory on arm64, where memcpy's unaligned or cache-zeroing
 * instructions fault.
 */
static int copy_in(const struct region *g, uint64_t offset)
{
    uint8_t buf[65536];
    uint64_t at = offset;
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) > 0) {
        volatile uint8_t *m = window(g, at, (uint64_t)n);
        for (ssize_t i = 0; i < n; i++)
            m[at + (uint64_t)i] = buf[i];
        munmap((void *)m, size(g));
        at += (uint64_t)n;
    }
    if (n < 0) {
        perror("stdvmm-shm: reading standard input");
        return 2;
    }
    return 0;
}

static int copy_out(const struct region *g, uint64_t offset, uint64_t len)
{
    volatile uint8_t *m = window(g, offset, len);
    uint8_t buf[65536];
    uint64_t done = 0;
    while (done < len) {
        uint64_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        for (uint64_t i = 0; i < n; i++)
            buf[i] = m[offset + done + i];
        if (fwrite(buf, 1, n, stdout) != n)
            break;
        done += n;
    }
    /* A full /tmp must not pass for a short region: say so, with the count written. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "stdvmm-shm: writing '%s' to standard output: %m (%llu of %llu bytes)\n",
                g->name, (unsigned long long)done, (unsigned long long)len);
        return 2;
    }
    return 0;
}

static int wait_rings(const struct region *g, uint32_t count, uint64_t seconds)
{
    struct timespec start, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        uint32_t rings = rd(g, REG_RINGS);
        if (rings >= count) {
            wr(g, REG_STATUS, 1);
            printf("%u\n", rings);
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((uint64_t)(now.tv_sec - start.tv_sec) >= seconds) {
            fprintf(stderr, "stdvmm-shm: '%s': %u of %u doorbells in %llu s\n", g->name, rings,
                    count, (unsigned long long)seconds);
            return 1;
        }
        nanosleep(&nap, NULL);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: stdvmm-shm list | info NAME | write NAME OFFSET | read NAME OFFSET "
                    "LEN | ring NAME MEMBER|all | wait NAME COUNT SECONDS | poke NAME OFFSET "
                    "BYTE\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        struct region all[MAX_REGIONS];
        unsigned n = find_all(all, MAX_REGIONS);
        for (unsigned i = 0; i < n; i++)
            printf("%s\n", all[i].name);
        return 0;
    }
    if (argc < 3)
        return usage();
    struct region g = find(argv[2]);
    const char *cmd = argv[1];
    if (strcmp(cmd, "info") == 0 && argc == 3) {
        printf("member=%u members=%u gpa=0x%llx size=%llu flags=%u rings=%u\n", rd(&g, REG_MEMBER),
               rd(&g, REG_MEMBERS), (unsigned long long)gpa(&g), (unsigned long long)size(&g),
               rd(&g, REG_FLAGS), rd(&g, REG_RINGS));
        return 0;
    }
    if (strcmp(cmd, "write") == 0 && argc == 4)
        return copy_in(&g, number(argv[3]));
    if (strcmp(cmd, "read") == 0 && argc == 5)
        return copy_out(&g, number(argv[3]), number(argv[4]));
    if (strcmp(cmd, "ring") == 0 && argc == 4) {
        wr(&g, REG_DOORBELL, strcmp(argv[3], "all") == 0 ? RING_ALL : (uint32_t)number(argv[3]));
        return 0;
    }
    if (strcmp(cmd, "wait") == 0 && argc == 5)
        return wait_rings(&g, (uint32_t)number(argv[3]), number(argv[4]));
    if (strcmp(cmd, "poke") == 0 && argc == 5) {
        uint64_t off = number(argv[3]);
        volatile uint8_t *m = window(&g, off, 1);
        uint8_t before = m[off];
        m[off] = (uint8_t)number(argv[4]);
        printf("before=%u after=%u\n", before, m[off]);
        return 0;
    }
    return usage();
}
