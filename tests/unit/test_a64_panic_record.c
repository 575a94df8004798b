/* SPDX-License-Identifier: BSD-2-Clause */
/* Recognising the ramoops panic record an arm64 guest leaves before it resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/aarch64/panic_record.h"

#define BASE 0x40000000ull
#define SIZE 0x10000ull

static uint8_t ram[SIZE];
static struct gmem mem;

static int setup(void **s)
{
    (void)s;
    memset(ram, 0, sizeof(ram));
    gmem_init(&mem);
    return gmem_add_region(&mem, BASE, sizeof(ram), ram);
}

/* What ramoops leaves: zone header (sig, start, size), then "====<time>-<C|D>\n" and the log. */
static void write_record(uint32_t size, const char *text)
{
    const uint32_t hdr[3] = {0x43474244, 0, size};
    memcpy(ram, hdr, sizeof(hdr));
    memcpy(ram + 12, text, strlen(text));
}

static void empty_area_is_no_panic(void **s)
{
    (void)s;
    assert_false(a64_panic_record_found(&mem, BASE, SIZE));
    /* ramoops initialised its zone (signature, size 0) but recorded nothing. */
    write_record(0, "");
    assert_false(a64_panic_record_found(&mem, BASE, SIZE));
}

static void record_is_a_panic(void **s)
{
    (void)s;
    write_record(200, "====1700000000.123456789-D\nPanic#1 Part1\n<0>Kernel panic");
    assert_true(a64_panic_record_found(&mem, BASE, SIZE));
    write_record(90, "====1700000000.123456789-C\n\x78\x9c compressed");
    assert_true(a64_panic_record_found(&mem, BASE, SIZE));
}

static void guest_garbage_is_checked(void **s)
{
    (void)s;
    write_record(SIZE, "====oversized"); /* size field beyond the zone */
    assert_false(a64_panic_record_found(&mem, BASE, SIZE));
    write_record(UINT32_MAX, "====");
    assert_false(a64_panic_record_found(&mem, BASE, SIZE));
    write_record(40, "not a ramoops header");
    assert_false(a64_panic_record_found(&mem, BASE, SIZE));
    /* An area outside RAM, or too small to hold a header. */
    write_record(40, "====1-D\n");
    assert_false(a64_panic_record_found(&mem, BASE + SIZE, SIZE));
    assert_false(a64_panic_record_found(&mem, BASE, 8));
    assert_false(a64_panic_record_found(&mem, UINT64_MAX - 4, SIZE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(empty_area_is_no_panic, setup),
        cmocka_unit_test_setup(record_is_a_panic, setup),
        cmocka_unit_test_setup(guest_garbage_is_checked, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
