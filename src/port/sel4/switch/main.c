/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch protection domain: the portable forwarding core (src/vswitch)
 * over one channel pair per attached VM (docs/backend-channel.md), built by
 * the admin with only what it needs: its program, its argument page, the
 * ports' shared regions (admin-owned frames, never guest RAM), its own
 * notification to wait on and, per running VM with a NIC, a send-only
 * capability to that VMM's notification.
 *
 * A port attaches when its VMM first rings (it formatted the channels
 * before): both headers are checked, the MAC and networks from the
 * argument page become the port's static entry and allow-list. It detaches
 * when the admin says the VM stopped (the admin has zeroed the region), or
 * when its VMM breaks the protocol; the RX buffers it held are forgotten
 * with it, so nothing of a stopped VM is ever delivered to its successor.
 *
 * Each frame is copied out of the sender's TX slot before the switch looks
 * at it (the sender can rewrite its slot at any time), then copied into one
 * posted RX buffer of every port the verdict names. A port without a
 * posted buffer loses the frame, as a full receive queue does.
 */
#include <sel4/sel4.h>
#include <string.h>

#include "net_abi.h"
#include "rt/rt.h"
#include "stdvmm/channel_back.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/vswitch.h"

#define MAX_FRAME SEL4_NET_SLOT_SIZE
#define TABLE_SLOTS 256
#define MAX_AGE_S 300

struct port {
    bool attached;
    bool refused; /* the last attach failed: said once, until the next detach */
    struct channel_back tx, rx;
    /* Posted RX buffers, oldest first: one per slot at most (the channel enforces it). */
    struct channel_request bufs[SEL4_NET_SLOTS];
    unsigned buf_head, buf_count;
    uint64_t frames_in, frames_out, no_buffer;
};

static const struct sel4_switch_args *args;
static struct vswitch sw;
static struct vswitch_entry table[TABLE_SLOTS];
static struct port ports[SEL4_NET_MAX_PORTS];
static uint8_t frame[MAX_FRAME];
static uint64_t to_signal;

const char sel4rt_program_name[] = "switch";

static uint64_t now_s(void)
{
    uint64_t cnt, frq;

    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    return frq ? cnt / frq : 0;
}

static uint8_t *region(unsigned p)
{
    return (uint8_t *)(uintptr_t)SEL4_SWITCH_PORT_VA(p);
}

static void detach(unsigned p, const char *why)
{
    struct port *pt = &ports[p];

    if (pt->attached) {
        vswitch_remove_port(&sw, p);
        LOG_INFO("port %u (%s) detached: %s; %llu frames in, %llu out, %llu lost without a "
                 "buffer",
                 p, args->ports[p].name, why, (unsigned long long)pt->frames_in,
                 (unsigned long long)pt->frames_out, (unsigned long long)pt->no_buffer);
    }
    memset(pt, 0, sizeof(*pt));
    to_signal &= ~(1ull << p);
}

static void attach(unsigned p)
{
    struct port *pt = &ports[p];
    const struct sel4_switch_port *cfg = &args->ports[p];
    struct vswitch_mac mac;

    int r = channel_back_attach(&pt->tx, region(p), SEL4_NET_CHANNEL_BYTES);
    if (r == 0)
        r = channel_back_attach(&pt->rx, region(p) + SEL4_NET_CHANNEL_BYTES,
                                SEL4_NET_CHANNEL_BYTES);
    if (r == 0 && (pt->rx.slot_count > SEL4_NET_SLOTS || pt->tx.slot_count > SEL4_NET_SLOTS))
        r = -STDVMM_EINVAL;
    if (r == 0) {
        memcpy(mac.b, cfg->mac, sizeof(mac.b));
        r = vswitch_add_port(&sw, p, &mac, cfg->networks, 0);
    }
    if (r < 0) {
        if (!pt->refused)
            LOG_ERR("port %u (%s): cannot attach (%s)", p, cfg->name, stdvmm_strerror(r));
        memset(pt, 0, sizeof(*pt));
        pt->refused = true;
        return;
    }
    pt->attached = true;
    LOG_INFO("port %u (%s) attached: %02x:%02x:%02x:%02x:%02x:%02x, networks 0x%llx", p, cfg->name,
             mac.b[0], mac.b[1], mac.b[2], mac.b[3], mac.b[4], mac.b[5],
             (unsigned long long)cfg->networks);
}

/* Takes every RX buffer port p posted; false when its channel broke (detached). */
static bool take_buffers(unsigned p)
{
    struct port *pt = &ports[p];
    struct channel_request r;
    int got = 0;

    while (pt->buf_count < SEL4_NET_SLOTS && (got = channel_back_pop(&pt->rx, &r)) > 0) {
        if (r.op != CHANNEL_OP_NET_RX) {
            detach(p, "a request other than NET_RX on its RX channel");
            return false;
        }
        pt->bufs[(pt->buf_head + pt->buf_count) % SEL4_NET_SLOTS] = r;
        pt->buf_count++;
    }
    if (pt->buf_count < SEL4_NET_SLOTS && got < 0) {
        detach(p, "RX channel protocol error");
        return false;
    }
    return true;
}

static void respond(unsigned p, struct channel_back *b, uint32_t id, enum channel_status st,
                    uint32_t len)
{
    bool notify = false;

    if (channel_back_respond(b, id, st, len, &notify) < 0) {
        detach(p, "could not answer (its ring indices are broken)");
        return;
    }
    if (notify)
        to_signal |= 1ull << p;
}

/* Copies the frame into one posted buffer of port p. */
static void deliver(unsigned p, size_t len)
{
    struct port *pt = &ports[p];

    if (!pt->attached || !take_buffers(p))
        return;
    if (pt->buf_count == 0) {
        pt->no_buffer++;
        return;
    }
    struct channel_request *r = &pt->bufs[pt->buf_head];
    pt->buf_head = (pt->buf_head + 1) % SEL4_NET_SLOTS;
    pt->buf_count--;
    if (len > r->len) { /* a buffer too small for it: give it back unused */
        respond(p, &pt->rx, r->id, CHANNEL_S_CANCELLED, 0);
        pt->no_buffer++;
        return;
    }
    memcpy(r->data, frame, len);
    pt->frames_out++;
    respond(p, &pt->rx, r->id, CHANNEL_S_OK, (uint32_t)len);
}

/* Forwards what port p sent; true if it sent anything. */
static bool serve_tx(unsigned p)
{
    struct port *pt = &ports[p];
    struct channel_request r;
    bool any = false;
    int got;

    while (pt->attached && (got = channel_back_pop(&pt->tx, &r)) != 0) {
        if (got < 0) {
            detach(p, "TX channel protocol error");
            break;
        }
        any = true;
        if (r.op != CHANNEL_OP_NET_TX || r.len > sizeof(frame)) {
            respond(p, &pt->tx, r.id, CHANNEL_S_UNSUPP, 0);
            continue;
        }
        /* The sender may rewrite its slot at any time: decide on a private copy. */
        size_t len = r.len;
        memcpy(frame, r.data, len);
        respond(p, &pt->tx, r.id, CHANNEL_S_OK, 0);
        pt->frames_in++;
        uint64_t out = 0;
        vswitch_forward(&sw, p, frame, len, now_s(), &out);
        for (unsigned q = 0; q < SEL4_NET_MAX_PORTS; q++) {
            if (out & (1ull << q))
                deliver(q, len);
        }
    }
    return any;
}

static void signal_vmms(void)
{
    for (unsigned p = 0; p < SEL4_NET_MAX_PORTS; p++) {
        if (to_signal & (1ull << p))
            /*
             * Non-blocking: a VM stopped a moment ago has left an empty
             * slot here, and invoking it must not fault the switch.
             */
            seL4_NBSend(SEL4_SWITCH_SLOT_VMM_NTFN + p, seL4_MessageInfo_new(0, 0, 0, 0));
    }
    to_signal = 0;
}

/* Nothing to serve: wait without burning the core (no system call ends this PD but the admin). */
static _Noreturn void idle(void)
{
    for (;;)
        seL4_Wait(SEL4_SWITCH_SLOT_NTFN, NULL);
}

void sel4rt_main(void *arg)
{
    seL4_SetIPCBuffer((seL4_IPCBuffer *)(uintptr_t)SEL4_SWITCH_IPC_BUFFER_VA);
    args = arg;
    if (args->magic != SEL4_SWITCH_ABI_MAGIC || args->version != SEL4_SWITCH_ABI_VERSION ||
        args->port_count > SEL4_NET_MAX_PORTS) {
        sel4rt_debug_puts("switch: started with a foreign argument page\n");
        idle();
    }
    if (vswitch_init(&sw, table, TABLE_SLOTS, MAX_AGE_S) < 0)
        idle();
    LOG_INFO("up: %u ports, %u networks", args->port_count, args->network_count);
    uint64_t last_age = now_s();
    for (;;) {
        seL4_Word bits;
        seL4_Wait(SEL4_SWITCH_SLOT_NTFN, &bits);
        /* Detaches first: a doorbell in the same word is from the VM's next run. */
        for (unsigned p = 0; p < args->port_count; p++) {
            if (bits & SEL4_BADGE_NET_DETACH(p))
                detach(p, "its VM stopped");
        }
        for (unsigned p = 0; p < args->port_count; p++) {
            if ((bits & SEL4_BADGE_NET_DOORBELL(p)) && args->ports[p].in_use && !ports[p].attached)
                attach(p);
        }
        /*
         * Serve until every TX ring is empty: a VMM rings only when its ring
         * went non-empty, so leaving entries behind could stall it.
         */
        bool busy = true;
        while (busy) {
            busy = false;
            for (unsigned p = 0; p < args->port_count; p++) {
                if (ports[p].attached) {
                    busy |= serve_tx(p);
                    if (ports[p].attached)
                        take_buffers(p);
                }
            }
            signal_vmms();
        }
        uint64_t now = now_s();
        if (now - last_age >= 10) {
            vswitch_age(&sw, now);
            last_age = now;
        }
    }
}
