/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch's status as its control channel carries it: what
 * stdvmm-switch answers on its --control socket and stdvmmd reads for the
 * API (GET /v1/networks/NAME). One grammar, written and parsed here, so the
 * two ends cannot drift. Lines of text, fields one space apart:
 *
 *   stdvmm-switch-status 1
 *   counters UNICAST FLOODED ACL SPOOFED NO_DEST BAD_SRC RUNT LEARNED
 *   port NAME down|connected|up RX_DROPPED        (each port, in port order)
 *   mac MAC PORT static|learned AGE_MS            (each MAC-table row)
 *   end
 *
 * The reader is the manager and the writer a process that maps guests'
 * memory, so the parser trusts nothing: every line, name, number and MAC is
 * checked, ports are unique and rows name listed ports (fuzz.vswitch_status).
 * Portable: no allocation, no stdio.
 */
#ifndef STDVMM_VSWITCH_STATUS_H
#define STDVMM_VSWITCH_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/vswitch.h"

#define VSWITCH_STATUS_VERSION 1
#define VSWITCH_STATUS_MAX_PORTS VSWITCH_MAX_PORTS
#define VSWITCH_STATUS_MAX_MACS 1024
#define VSWITCH_STATUS_NAME_MAX 63  /* port names: VM names (48) and ".N" */
#define VSWITCH_STATUS_MAX_LINE 192 /* the counters line is the longest: 8 numbers */
/* The longest valid text: every line at its longest. */
#define VSWITCH_STATUS_MAX_TEXT                                                                    \
    ((3 + VSWITCH_STATUS_MAX_PORTS + VSWITCH_STATUS_MAX_MACS) * VSWITCH_STATUS_MAX_LINE)

enum vswitch_port_state {
    VSWITCH_PORT_DOWN,      /* no frontend: the port listens */
    VSWITCH_PORT_CONNECTED, /* a frontend, but its rings do not run (yet) */
    VSWITCH_PORT_UP,        /* both rings run */
};

struct vswitch_status_port {
    char name[VSWITCH_STATUS_NAME_MAX + 1];
    enum vswitch_port_state state;
    uint64_t rx_dropped; /* frames for it that found no guest buffer */
};

struct vswitch_status_mac {
    struct vswitch_mac mac;
    unsigned port; /* index into ports */
    bool is_static;
    uint64_t age_ms;
};

struct vswitch_status {
    uint64_t unicast, flooded, drop_acl, drop_spoofed, drop_no_dest, drop_bad_src, drop_runt,
        learned;
    struct vswitch_status_port ports[VSWITCH_STATUS_MAX_PORTS];
    unsigned port_count;
    struct vswitch_status_mac macs[VSWITCH_STATUS_MAX_MACS];
    unsigned mac_count;
};

/* Writing: into buf, truncation remembered; vswitch_status_end says whether all fit. */
struct vswitch_status_writer {
    char *buf;
    size_t size, len;
    bool overflow;
};

void vswitch_status_begin(struct vswitch_status_writer *w, char *buf, size_t size,
                          const struct vswitch_stats *stats);
void vswitch_status_port(struct vswitch_status_writer *w, const char *name,
                         enum vswitch_port_state state, uint64_t rx_dropped);
void vswitch_status_mac(struct vswitch_status_writer *w, const struct vswitch_row *row,
                        const char *port_name);
/* The length of the whole text, or 0 when it did not fit (or a name was invalid). */
size_t vswitch_status_end(struct vswitch_status_writer *w);

/* 0, or -STDVMM_EPROTO (anything not in the grammar above) with *out unspecified. */
int vswitch_status_parse(const char *text, size_t len, struct vswitch_status *out);

const char *vswitch_port_state_name(enum vswitch_port_state s);
/* Port names: 1..VSWITCH_STATUS_NAME_MAX of A-Z a-z 0-9 . _ - */
bool vswitch_status_valid_name(const char *s, size_t len);

#endif
