// SPDX-License-Identifier: BSD-2-Clause
/*
 * memcpy and memset for the seL4 programs.
 *
 * Debian's picolibc for aarch64 is built for size: its memcpy and memset are
 * byte loops. The VMM copies the guest's kernel (32 MiB for Debian's arm64
 * kernel) and initramfs into guest RAM with memcpy, and every virtio frame
 * and block through it; byte by byte that was most of the second stdvmm's
 * seL4 boot lost to libvmm's before the guest ran (docs/benchmarks.md,
 * "seL4: beside au-ts/libvmm"). These move eight bytes at a time when source
 * and destination share their alignment, which the big copies (page-aligned
 * images into page-aligned RAM) do, and bytes otherwise. Aligned accesses
 * only: the seL4 programs are built with -mstrict-align.
 *
 * Linked ahead of picolibc, so its members for these symbols are never
 * pulled in. The unit test builds this file natively under other names.
 */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);

/*
 * The byte loops below must stay loops: GCC would otherwise recognise them
 * as memcpy/memset and call the function it is compiling.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define RT_NO_IDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define RT_NO_IDIOM
#endif

/* Callers' objects are of any type: the words must not be assumed apart from them. */
typedef uint64_t __attribute__((may_alias)) rt_word;

RT_NO_IDIOM void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    if ((((uintptr_t)d ^ (uintptr_t)s) & 7u) == 0) {
        while (n != 0 && ((uintptr_t)d & 7u) != 0) {
            *d++ = *s++;
            n--;
        }
        rt_word *dw = (rt_word *)(void *)d;
        const rt_word *sw = (const rt_word *)(const void *)s;
        for (; n >= 32; n -= 32, dw += 4, sw += 4) {
            rt_word a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
        for (; n >= 8; n -= 8)
            *dw++ = *sw++;
        d = (uint8_t *)dw;
        s = (const uint8_t *)sw;
    }
    while (n-- != 0)
        *d++ = *s++;
    return dst;
}

RT_NO_IDIOM void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    uint8_t b = (uint8_t)c;

    while (n != 0 && ((uintptr_t)d & 7u) != 0) {
        *d++ = b;
        n--;
    }
    uint64_t w = 0x0101010101010101ull * b;
    rt_word *dw = (rt_word *)(void *)d;
    for (; n >= 32; n -= 32, dw += 4) {
        dw[0] = w;
        dw[1] = w;
        dw[2] = w;
        dw[3] = w;
    }
    for (; n >= 8; n -= 8)
        *dw++ = w;
    d = (uint8_t *)dw;
    while (n-- != 0)
        *d++ = b;
    return dst;
}
