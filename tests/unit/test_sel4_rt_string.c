/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 runtime's memcpy and memset (src/port/sel4/rt/string.c), built
 * here under the names rt_memcpy/rt_memset: every length around the word
 * and block sizes, every pair of alignments, against a byte-by-byte copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *rt_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *rt_memset(void *dst, int c, size_t n);

#define BUF 512
#define GUARD 0xa5

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static void copies_every_alignment_and_length(void **state)
{
    (void)state;
    static uint8_t src[BUF], dst[BUF], want[BUF];

    for (size_t so = 0; so < 16; so++) {
        for (size_t doff = 0; doff < 16; doff++) {
            for (size_t n = 0; n <= 200; n++) {
                fill(src, sizeof(src), (unsigned)(so + n));
                memset(dst, GUARD, sizeof(dst));
                memset(want, GUARD, sizeof(want));
                for (size_t i = 0; i < n; i++)
                    want[doff + i] = src[so + i];
                assert_ptr_equal(rt_memcpy(dst + doff, src + so, n), dst + doff);
                assert_memory_equal(dst, want, sizeof(dst)); /* nothing outside [doff, doff+n) */
            }
        }
    }
}

static void copies_a_large_aligned_block(void **state)
{
    (void)state;
    size_t n = (1u << 20) + 13;
    uint8_t *src = test_malloc(n + 8), *dst = test_malloc(n + 8);

    fill(src, n + 8, 3);
    memset(dst, GUARD, n + 8);
    rt_memcpy(dst, src, n);
    assert_memory_equal(dst, src, n);
    for (size_t i = n; i < n + 8; i++)
        assert_int_equal(dst[i], GUARD);
    test_free(src);
    test_free(dst);
}

static void sets_every_alignment_and_length(void **state)
{
    (void)state;
    static uint8_t dst[BUF], want[BUF];

    for (size_t doff = 0; doff < 16; doff++) {
        for (size_t n = 0; n <= 200; n++) {
            int c = (int)(0x100 + n); /* only the low byte counts */
            memset(dst, GUARD, sizeof(dst));
            memset(want, GUARD, sizeof(want));
            for (size_t i = 0; i < n; i++)
                want[doff + i] = (uint8_t)c;
            assert_ptr_equal(rt_memset(dst + doff, c, n), dst + doff);
            assert_memory_equal(dst, want, sizeof(dst));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copies_every_alignment_and_length),
        cmocka_unit_test(copies_a_large_aligned_block),
        cmocka_unit_test(sets_every_alignment_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
