/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/spelling.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static unsigned unit_shift(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return 10;
    case 'm':
    case 'M':
        return 20;
    case 'g':
    case 'G':
        return 30;
    case 't':
    case 'T':
        return 40;
    default:
        return 0;
    }
}

static int hex_digit(char c);

/* "0x40000000": an address, hexadecimal, no unit. */
static bool parse_hex(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int d;

    if (*s == '\0')
        return false;
    for (; (d = hex_digit(*s)) >= 0; s++) {
        if (v > UINT64_MAX >> 4)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (*s != '\0')
        return false;
    *out = v;
    return true;
}

bool spelling_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_hex(s + 2, out);
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    unsigned shift = unit_shift(*s);
    if (shift != 0) {
        s++;
        if (*s == 'i' || *s == 'B')
            s += (*s == 'i' && s[1] == 'B') ? 2 : 1;
    }
    if (*s != '\0' || (shift != 0 && v > (UINT64_MAX >> shift)))
        return false;
    *out = v << shift;
    return true;
}

/* Appends the decimal digits of v at buf[*n], keeping room for the terminator. */
static void put_decimal(char *buf, size_t size, size_t *n, uint64_t v)
{
    char digits[20];
    unsigned k = 0;

    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (k > 0 && *n + 1 < size)
        buf[(*n)++] = digits[--k];
}

void spelling_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const char units[] = "KMGT";
    int u = -1;
    size_t n = 0;

    if (size == 0)
        return;
    while (u < 3 && bytes != 0 && (bytes & 1023) == 0) {
        bytes >>= 10;
        u++;
    }
    put_decimal(buf, size, &n, bytes);
    if (u >= 0 && n + 1 < size)
        buf[n++] = units[u];
    buf[n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool spelling_parse_mac(const char *s, uint8_t mac[6])
{
    uint8_t b[6];

    if (s == NULL)
        return false;
    for (int i = 0; i < 6; i++, s += 3) {
        int hi = hex_digit(s[0]);
        int lo = hi < 0 ? -1 : hex_digit(s[1]);
        if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return false;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    /* A multicast address cannot be a station's; all zeros is no address. */
    if ((b[0] & 1) || (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = b[i];
    return true;
}

void spelling_format_mac(const uint8_t mac[6], char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";

    if (size < SPELLING_MAC_LEN) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    for (int i = 0; i < 6; i++) {
        buf[3 * i] = hex[mac[i] >> 4];
        buf[3 * i + 1] = hex[mac[i] & 15];
        buf[3 * i + 2] = i == 5 ? '\0' : ':';
    }
}

/* Decimal digits, at most max; *s moves past them. */
static bool parse_bounded(const char **s, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    const char *p = *s;

    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > max)
            return false;
    }
    *s = p;
    *out = v;
    return true;
}

/* "a.b.c.d"; *s moves past it. */
static bool parse_ipv4(const char **s, uint8_t addr[4])
{
    for (int i = 0; i < 4; i++) {
        uint32_t v;
        if (i > 0 && *(*s)++ != '.')
            return false;
        if (!parse_bounded(s, 255, &v))
            return false;
        addr[i] = (uint8_t)v;
    }
    return true;
}

/* "[ADDR]:PORT", or with legacy "PORT" alone; s ends at `end`. */
static bool parse_endpoint(const char *s, char end, bool legacy, uint8_t addr[4], uint16_t *port)
{
    uint32_t v;

    if (*s != ':') {
        const char *p = s;
        /* A bare port (legacy) is followed by `end`, an address by ':'. */
        if (legacy && parse_bounded(&p, 65535, &v) && *p == end) {
            s = p;
            goto done;
        }
        if (!parse_ipv4(&s, addr) || *s != ':')
            return false;
    }
    s++;
    if (!parse_bounded(&s, 65535, &v) || *s != end)
        return false;
done:
    if (v == 0)
        return false;
    *port = (uint16_t)v;
    return true;
}

bool spelling_parse_hostfwd(const char *s, struct spelling_hostfwd *out)
{
    struct spelling_hostfwd f = {
        .host_addr = {127, 0, 0, 1},
        .guest_addr = {10, 0, 2, 15},
    };

    if (s == NULL)
        return false;
    if (s[0] == 't' && s[1] == 'c' && s[2] == 'p' && s[3] == ':') {
        s += 4;
    } else if (s[0] == 'u' && s[1] == 'd' && s[2] == 'p' && s[3] == ':') {
        f.udp = true;
        s += 4;
    } else if (s[0] == ':') {
        s += 1;
    } else {
        return false;
    }
    const char *dash = s;
    while (*dash != '\0' && *dash != '-')
        dash++;
    if (*dash != '-' || !parse_endpoint(s, '-', true, f.host_addr, &f.host_port) ||
        !parse_endpoint(dash + 1, '\0', true, f.guest_addr, &f.guest_port))
        return false;
    *out = f;
    return true;
}

static void put_ipv4(char *buf, size_t size, size_t *n, const uint8_t addr[4])
{
    for (int i = 0; i < 4; i++) {
        if (i > 0 && *n + 1 < size)
            buf[(*n)++] = '.';
        put_decimal(buf, size, n, addr[i]);
    }
}

void spelling_format_hostfwd(const struct spelling_hostfwd *f, char *buf, size_t size)
{
    size_t n = 0;
    const char *proto = f->udp ? "udp:" : "tcp:";

    if (size < SPELLING_HOSTFWD_LEN) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    for (int i = 0; i < 4; i++)
        buf[n++] = proto[i];
    put_ipv4(buf, size, &n, f->host_addr);
    buf[n++] = ':';
    put_decimal(buf, size, &n, f->host_port);
    buf[n++] = '-';
    put_ipv4(buf, size, &n, f->guest_addr);
    buf[n++] = ':';
    put_decimal(buf, size, &n, f->guest_port);
    buf[n] = '\0';
}
