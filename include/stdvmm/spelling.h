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

/*
 * A user-networking host forward, QEMU's hostfwd= spelling:
 * "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", addresses as
 * dotted IPv4 quads, ports 1-65535. An empty protocol is tcp, an empty
 * host address 127.0.0.1 (QEMU's is every address: stdvmm forwards only
 * what the host itself reaches unless told), an empty guest address the
 * guest's DHCP address 10.0.2.15. The older "tcp:HOSTPORT-:GUESTPORT" (no
 * ':' before the host port) is read too.
 */
struct spelling_hostfwd {
    bool udp;
    uint8_t host_addr[4];
    uint16_t host_port;
    uint8_t guest_addr[4];
    uint16_t guest_port;
};
bool spelling_parse_hostfwd(const char *s, struct spelling_hostfwd *out);
/* Room for the longest formatted forward and its terminator. */
#define SPELLING_HOSTFWD_LEN 48
/* Every field spelt out ("tcp:127.0.0.1:5556-10.0.2.15:22"); size >= SPELLING_HOSTFWD_LEN. */
void spelling_format_hostfwd(const struct spelling_hostfwd *f, char *buf, size_t size);

#endif
