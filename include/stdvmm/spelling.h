/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one spelling of a size and of a MAC address, for every reader and
 * writer: the command line, the system description, the manager's API and
 * tools/sel4/gen-vm-table.py (through the stdvmm-spelling host tool built
 * from this file). CPU lists have theirs in stdvmm/cpulist.h, placement
 * specs in stdvmm/placement.h. Each parser is the inverse of its formatter:
 * parse(format(x)) == x, pinned by unit tests. Freestanding.
 */
#ifndef STDVMM_SPELLING_H
#define STDVMM_SPELLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A size in bytes: decimal digits, then optionally K, M, G or T (either
 * case, powers of 1024) and an optional "i", "B" or "iB": "512M", "1GiB",
 * "4096"; or, for addresses, "0x" and hex digits with no unit
 * ("0x40000000"). No blanks, signs or fractions; false on overflow.
 */
bool spelling_parse_size(const char *s, uint64_t *out);
/* The shortest spelling: the largest unit that divides bytes ("1G", "1536M", "100"). */
void spelling_format_size(uint64_t bytes, char *buf, size_t size);

/* Room for a formatted MAC address and its terminator. */
#define SPELLING_MAC_LEN 18
/*
 * A unicast station address: six pairs of hex digits joined by ':'
 * ("52:54:00:12:34:56"), the multicast bit of the first clear, not all zero.
 */
bool spelling_parse_mac(const char *s, uint8_t mac[6]);
/* Lower-case pairs joined by ':'; size >= SPELLING_MAC_LEN. */
void spelling_format_mac(const uint8_t mac[6], char *buf, size_t size);

#endif
