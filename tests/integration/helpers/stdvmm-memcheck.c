/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A memory stress for the guest kit, linked statically:
 *   stdvmm-memcheck MIB SPLIT
 * fills MIB MiB of anonymous memory with a pattern that differs in every
 * 8-byte word (so two guest pages backed by one host page, or a page that
 * lost its contents, show), reads it all back, then the inverted pattern;
 * then it asks /proc/self/pagemap (root: the guest's /init) where those
 * pages are in guest-physical memory and counts them below and above SPLIT
 * (a hex or decimal guest-physical address), so a caller can see that the
 * stress reached RAM on both sides of a hole. Prints one line:
 *   memcheck: ok mib=N pages_below=B pages_above=A
 * or "memcheck: FAIL ..." and exits 1.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)

/* A different 64-bit value for every word index (splitmix64's finaliser). */
static uint64_t pattern(uint64_t i)
{
    uint64_t z = i + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int pass(volatile uint64_t *mem, size_t words, uint64_t flip)
{
    for (size_t i = 0; i < words; i++)
        mem[i] = pattern(i) ^ flip;
    for (size_t i = 0; i < words; i++) {
        if (mem[i] != (pattern(i) ^ flip)) {
            printf("memcheck: FAIL word %zu (byte offset 0x%zx): read 0x%016llx, wrote 0x%016llx\n",
                   i, i * 8, (unsigned long long)mem[i], (unsigned long long)(pattern(i) ^ flip));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stdvmm-memcheck MIB SPLIT\n");
        return 2;
    }
    size_t mib = strtoull(argv[1], NULL, 10);
    uint64_t split = strtoull(argv[2], NULL, 0);
    size_t bytes = mib << 20, words = bytes / 8;
    long page = sysconf(_SC_PAGESIZE);
    uint64_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (mib == 0 || mem == MAP_FAILED) {
        printf("memcheck: FAIL cannot map %zu MiB\n", mib);
        return 1;
    }
    if (pass(mem, words, 0) < 0 || pass(mem, words, ~0ull) < 0)
        return 1;

    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) {
        printf("memcheck: FAIL cannot open /proc/self/pagemap\n");
        return 1;
    }
    unsigned long below = 0, above = 0, absent = 0;
    for (size_t off = 0; off < bytes; off += (size_t)page) {
        uint64_t entry;
        off_t at = (off_t)(((uintptr_t)mem + off) / (uintptr_t)page * sizeof(entry));
        if (pread(fd, &entry, sizeof(entry), at) != (ssize_t)sizeof(entry)) {
            printf("memcheck: FAIL pagemap read at 0x%llx\n", (unsigned long long)at);
            return 1;
        }
        uint64_t pfn = entry & PAGEMAP_PFN_MASK;
        if (!(entry & PAGEMAP_PRESENT) || pfn == 0)
            absent++; /* swapped (no swap here) or PFNs hidden: counted, not placed */
        else if (pfn * (uint64_t)page < split)
            below++;
        else
            above++;
    }
    close(fd);
    printf("memcheck: ok mib=%zu pages_below=%lu pages_above=%lu pages_unplaced=%lu\n", mib, below,
           above, absent);
    return 0;
}
