/* SPDX-License-Identifier: BSD-2-Clause */
/* The control channel's status text (stdvmm/vswitch_status.h): its writer and its parser. */
#include "stdvmm/vswitch_status.h"

#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/spelling.h"

#define HEADER "stdvmm-switch-status"

static const char *const state_names[] = {"down", "connected", "up"};

const char *vswitch_port_state_name(enum vswitch_port_state s)
{
    return (unsigned)s < 3 ? state_names[s] : "?";
}

bool vswitch_status_valid_name(const char *s, size_t len)
{
    if (len == 0 || len > VSWITCH_STATUS_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ---- writing ---- */

static void put(struct vswitch_status_writer *w, const char *s, size_t n)
{
    if (w->overflow || n >= w->size - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put_str(struct vswitch_status_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_u64(struct vswitch_status_writer *w, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(w, " ", 1);
    put(w, d + sizeof(d) - n, n);
}

void vswitch_status_begin(struct vswitch_status_writer *w, char *buf, size_t size,
                          const struct vswitch_stats *s)
{
    *w = (struct vswitch_status_writer){.buf = buf, .size = size, .overflow = size == 0};
    put_str(w, HEADER " 1\ncounters");
    const uint64_t c[] = {s->unicast,      s->flooded,      s->drop_acl,  s->drop_spoofed,
                          s->drop_no_dest, s->drop_bad_src, s->drop_runt, s->learned};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        put_u64(w, c[i]);
    put_str(w, "\n");
}

static void put_name(struct vswitch_status_writer *w, const char *name)
{
    if (!vswitch_status_valid_name(name, strlen(name)))
        w->overflow = true; /* a writer's bug: better no status than an unreadable one */
    put_str(w, " ");
    put_str(w, name);
}

void vswitch_status_port(struct vswitch_status_writer *w, const char *name,
                         enum vswitch_port_state state, uint64_t rx_dropped)
{
    put_str(w, "port");
    put_name(w, name);
    put_str(w, " ");
    put_str(w, vswitch_port_state_name(state));
    put_u64(w, rx_dropped);
    put_str(w, "\n");
}

void vswitch_status_mac(struct vswitch_status_writer *w, const struct vswitch_row *row,
                        const char *port_name)
{
    char mac[SPELLING_MAC_LEN];
    spelling_format_mac(row->mac.b, mac, sizeof(mac));
    put_str(w, "mac ");
    put_str(w, mac);
    put_name(w, port_name);
    put_str(w, row->is_static ? " static" : " learned");
    put_u64(w, row->is_static ? 0 : row->age);
    put_str(w, "\n");
}

size_t vswitch_status_end(struct vswitch_status_writer *w)
{
    put_str(w, "end\n");
    return w->overflow ? 0 : w->len;
}

/* ---- parsing ---- */

#define MAX_FIELDS 10

struct line {
    const char *f[MAX_FIELDS];
    size_t n[MAX_FIELDS];
    unsigned count;
};

/* Splits one line at single spaces; false on empty fields, control bytes or too many fields. */
static bool split(const char *s, size_t len, struct line *l)
{
    l->count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ' ') {
            if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
                return false;
            continue;
        }
        if (i == start || l->count == MAX_FIELDS)
            return false;
        l->f[l->count] = s + start;
        l->n[l->count++] = i - start;
        start = i + 1;
    }
    return true;
}

static bool is(const struct line *l, unsigned k, const char *word)
{
    return k < l->count && l->n[k] == strlen(word) && memcmp(l->f[k], word, l->n[k]) == 0;
}

/* A plain decimal that fits 64 bits: no sign, no leading zeros but "0". */
static bool number(const struct line *l, unsigned k, uint64_t *out)
{
    const char *s = l->f[k];
    size_t n = l->n[k];
    uint64_t v = 0;
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int find_port(const struct vswitch_status *st, const char *name, size_t n)
{
    for (unsigned i = 0; i < st->port_count; i++) {
        if (strlen(st->ports[i].name) == n && memcmp(st->ports[i].name, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static bool parse_port(const struct line *l, struct vswitch_status *st)
{
    if (l->count != 4 || st->port_count == VSWITCH_STATUS_MAX_PORTS ||
        !vswitch_status_valid_name(l->f[1], l->n[1]) || find_port(st, l->f[1], l->n[1]) >= 0)
        return false;
    struct vswitch_status_port *p = &st->ports[st->port_count];
    unsigned s = 0;
    while (s < 3 && !is(l, 2, state_names[s]))
        s++;
    if (s == 3 || !number(l, 3, &p->rx_dropped))
        return false;
    memcpy(p->name, l->f[1], l->n[1]);
    p->name[l->n[1]] = '\0';
    p->state = (enum vswitch_port_state)s;
    st->port_count++;
    return true;
}

static bool parse_mac(const struct line *l, struct vswitch_status *st)
{
    char text[SPELLING_MAC_LEN];
    if (l->count != 5 || st->mac_count == VSWITCH_STATUS_MAX_MACS ||
        l->n[1] != SPELLING_MAC_LEN - 1)
        return false;
    struct vswitch_status_mac *m = &st->macs[st->mac_count];
    memcpy(text, l->f[1], l->n[1]);
    text[l->n[1]] = '\0';
    int port = find_port(st, l->f[2], l->n[2]);
    if (!spelling_parse_mac(text, m->mac.b) || port < 0 || !number(l, 4, &m->age_ms))
        return false;
    if (is(l, 3, "static"))
        m->is_static = true;
    else if (!is(l, 3, "learned"))
        return false;
    for (unsigned i = 0; i < st->mac_count; i++) {
        if (memcmp(st->macs[i].mac.b, m->mac.b, VSWITCH_ETH_ALEN) == 0)
            return false; /* a MAC is in the table once */
    }
    m->port = (unsigned)port;
    st->mac_count++;
    return true;
}

int vswitch_status_parse(const char *text, size_t len, struct vswitch_status *out)
{
    enum { HEAD, COUNTERS, PORTS, MACS, DONE } at = HEAD;
    struct line l;
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    if (len > VSWITCH_STATUS_MAX_TEXT)
        return -STDVMM_EPROTO;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        if (nl == NULL || at == DONE)
            return -STDVMM_EPROTO; /* a last line without its newline, or text after "end" */
        size_t n = (size_t)(nl - (text + pos));
        if (n > VSWITCH_STATUS_MAX_LINE || !split(text + pos, n, &l))
            return -STDVMM_EPROTO;
        pos += n + 1;
        uint64_t v;
        bool ok = false;
        switch (at) {
        case HEAD:
            ok = l.count == 2 && is(&l, 0, HEADER) && number(&l, 1, &v) &&
                 v == VSWITCH_STATUS_VERSION;
            at = COUNTERS;
            break;
        case COUNTERS: {
            uint64_t *c[] = {&out->unicast,      &out->flooded,      &out->drop_acl,
                             &out->drop_spoofed, &out->drop_no_dest, &out->drop_bad_src,
                             &out->drop_runt,    &out->learned};
            ok = l.count == 9 && is(&l, 0, "counters");
            for (unsigned k = 0; ok && k < 8; k++)
                ok = number(&l, k + 1, c[k]);
            at = PORTS;
            break;
        }
        case PORTS:
        case MACS:
            if (is(&l, 0, "end")) {
                ok = l.count == 1;
                at = DONE;
            } else if (is(&l, 0, "port")) {
                ok = at == PORTS && parse_port(&l, out); /* ports come before the table */
            } else if (is(&l, 0, "mac")) {
                ok = parse_mac(&l, out);
                at = MACS;
            }
            break;
        case DONE:
            break;
        }
        if (!ok)
            return -STDVMM_EPROTO;
    }
    return at == DONE ? 0 : -STDVMM_EPROTO;
}
