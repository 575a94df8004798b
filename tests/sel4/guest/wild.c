/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest-side helper of the seL4 demo (static aarch64 program, /usr/bin/stdvmm-wild):
 * maps a guest-physical page that nothing backs through /dev/mem and reads it
 * with a load pair. LDP's data abort carries no instruction syndrome (ISV=0),
 * so no VMM can emulate it from the syndrome alone: stdvmm must stop this VM,
 * and only this one, with a message.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    unsigned long addr = argc > 1 ? strtoul(argv[1], NULL, 0) : 0x20000000ul;
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        perror("stdvmm-wild: /dev/mem");
        return 1;
    }
    volatile uint64_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)addr);
    if (p == MAP_FAILED) {
        perror("stdvmm-wild: mmap");
        return 1;
    }
    uint64_t a, b;
    printf("stdvmm-wild: load pair from guest-physical 0x%lx\n", addr);
    fflush(stdout);
    __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(p) : "memory");
    printf("stdvmm-wild: still running, read 0x%llx 0x%llx\n", (unsigned long long)a,
           (unsigned long long)b);
    return 0;
}
