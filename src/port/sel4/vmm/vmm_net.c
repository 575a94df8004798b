/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's virtio-net backend on seL4: the front end of two channels to
 * the switch protection domain (docs/backend-channel.md), in the region
 * the admin mapped at SEL4_VMM_NET_VA. The switch never sees guest memory:
 * a transmitted frame is copied from the guest's buffers (already checked
 * by the device model against guest RAM) into a TX slot; a received frame
 * arrives in an RX slot this VMM posted empty and is copied into the
 * guest's receive buffers by virtio_net_receive(), which checks them.
 *
 * Doorbells are seL4 notifications, the counterparts of KVM's ioeventfd and
 * irqfd: this VMM signals the switch's notification (badged with its port)
 * when a ring went non-empty; the switch signals this VMM's notification,
 * bound to the thread of vCPU 0, whose fault wait then returns with
 * SEL4_BADGE_NET_VMM and calls vmm_net_notified() under the VMM lock. The
 * guest's TX kick is the QueueNotify fault itself, as for the other devices.
 *
 * Everything here runs under the VMM lock (fault handling, or the
 * notification), so one thread at a time drives both channel fronts.
 */
#include "vmm/vmm_net.h"

#include <sel4/sel4.h>
#include <string.h>

#include "net_abi.h"
#include "stdvmm/channel_front.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"

static struct channel_front tx_chan, rx_chan;
static struct virtio_net *model;
static bool broken;
static bool down; /* a driver VM serving this NIC went away (vmm_net_backend) */
static uint64_t lost_count;
/*
 * Answered RX requests whose frame the guest had no buffers for yet, in
 * arrival order: delivered on the next rx_ready before anything newer.
 */
static struct {
    uint32_t id, len;
    const uint8_t *data;
} held[SEL4_NET_SLOTS];
static unsigned held_head, held_count;
static uint64_t tx_no_slot, rx_dropped;

static const struct channel_geometry geometry = {
    .req_entries = SEL4_NET_RING_ENTRIES,
    .resp_entries = SEL4_NET_RING_ENTRIES,
    .slot_size = SEL4_NET_SLOT_SIZE,
    .slot_count = SEL4_NET_SLOTS,
};

static void doorbell(void)
{
    seL4_Signal(SEL4_VMM_SLOT_NET_DOORBELL);
}

/* A broken channel stays broken until the VM restarts (the switch detaches it too). */
static void channel_broke(const char *which, int r)
{
    if (!broken)
        LOG_ERR("net: the switch broke the %s channel (%s); this NIC stops", which,
                stdvmm_strerror(r));
    broken = true;
}

/*
 * Gives back RX slot done (an answered request, or none: UINT32_MAX) and
 * posts a free slot as an empty buffer: the switch answers it with a frame.
 */
static bool post_rx(uint32_t done, bool *notify)
{
    uint32_t id;
    uint8_t *buf;
    bool n = false;

    if (done != UINT32_MAX)
        channel_front_put(&rx_chan, done);
    if (channel_front_get(&rx_chan, &id, &buf) < 0)
        return false; /* all posted or held already */
    int r = channel_front_submit(&rx_chan, id, CHANNEL_OP_NET_RX, 0, SEL4_NET_SLOT_SIZE, &n);
    if (r < 0) {
        channel_front_put(&rx_chan, id);
        channel_broke("RX", r);
        return false;
    }
    *notify |= n;
    return true;
}

/* Frees the TX slots the switch answered. */
static void reap_tx(void)
{
    struct channel_completion c;
    int r;

    while ((r = channel_front_poll(&tx_chan, &c)) > 0)
        channel_front_put(&tx_chan, c.id);
    if (r < 0)
        channel_broke("TX", r);
}

static int net_tx(void *ctx, const uint8_t *hdr, const struct virtq_seg *segs, unsigned count,
                  size_t len)
{
    uint32_t id;
    uint8_t *buf;
    bool notify = false;

    (void)ctx, (void)hdr; /* no offloads negotiated: the header says nothing */
    if (broken || down)
        return -STDVMM_EIO; /* dropped, as on a link that is down */
    /* Frames are copied whole into one slot; bigger ones cannot be on this network. */
    if (len > SEL4_NET_SLOT_SIZE)
        return -STDVMM_E2BIG;
    if (channel_front_get(&tx_chan, &id, &buf) < 0) {
        /* The switch still holds every slot: take back what it answered, then retry once. */
        reap_tx();
        if (broken || channel_front_get(&tx_chan, &id, &buf) < 0) {
            tx_no_slot++;
            return -STDVMM_ENOSPC;
        }
    }
    size_t at = 0;
    for (unsigned i = 0; i < count; i++) {
        /* segs come from the device model, checked against guest RAM; len is their sum. */
        size_t n = segs[i].len < len - at ? segs[i].len : len - at;
        memcpy(buf + at, segs[i].host, n);
        at += n;
    }
    int r = channel_front_submit(&tx_chan, id, CHANNEL_OP_NET_TX, 0, (uint32_t)at, &notify);
    if (r < 0) {
        channel_front_put(&tx_chan, id);
        channel_broke("TX", r);
        return r;
    }
    if (notify)
        doorbell();
    return 1;
}

/* Delivers held frames in order while the guest has buffers; reposts their slots. */
static void deliver_held(bool *notify)
{
    while (held_count != 0 && !broken) {
        uint32_t id = held[held_head].id;
        int r = virtio_net_receive(model, NULL, held[held_head].data, held[held_head].len);
        if (r == 0)
            return; /* no guest buffers: rx_ready calls again */
        if (r < 0)
            rx_dropped++;
        held_head = (held_head + 1) % SEL4_NET_SLOTS;
        held_count--;
        post_rx(id, notify);
    }
}

static void net_rx_ready(void *ctx)
{
    bool notify = false;

    (void)ctx;
    if (down)
        return;
    deliver_held(&notify);
    virtio_net_rx_flush(model);
    if (notify)
        doorbell();
}

void vmm_net_notified(void)
{
    struct channel_completion c;
    bool notify = false;
    int r;

    if (model == NULL || broken || down)
        return;
    reap_tx();
    if (broken)
        return;
    while ((r = channel_front_poll(&rx_chan, &c)) > 0) {
        if (c.status != CHANNEL_S_OK) {
            /* CANCELLED: the switch gave the buffer back unused; offer it again. */
            post_rx(c.id, &notify);
            continue;
        }
        /*
         * The frame stays in its slot until the guest takes it (poll checked
         * its length against the room offered); held[] has one entry per slot.
         */
        unsigned at = (held_head + held_count) % SEL4_NET_SLOTS;
        held[at].id = c.id;
        held[at].len = c.len;
        held[at].data = c.data;
        held_count++;
    }
    if (r < 0) {
        channel_broke("RX", r);
        return;
    }
    deliver_held(&notify);
    virtio_net_rx_flush(model);
    if (notify)
        doorbell();
}

/*
 * Formats both channels afresh (nothing of an earlier backend's run is in
 * them), gives every RX slot to the backend and rings: the doorbell also
 * makes the backend attach this NIC.
 */
static int start_channels(void)
{
    uint8_t *region = (uint8_t *)(uintptr_t)SEL4_VMM_NET_VA;
    int r = channel_front_init(&tx_chan, region, SEL4_NET_CHANNEL_BYTES, &geometry);
    if (r == 0)
        r = channel_front_init(&rx_chan, region + SEL4_NET_CHANNEL_BYTES, SEL4_NET_CHANNEL_BYTES,
                               &geometry);
    if (r < 0)
        return r;
    broken = false;
    held_head = held_count = 0;
    bool notify = false;
    for (unsigned i = 0; i < SEL4_NET_SLOTS; i++) {
        if (!post_rx(UINT32_MAX, &notify))
            return -STDVMM_EPROTO;
    }
    doorbell();
    return 0;
}

void vmm_net_backend(bool up)
{
    if (model == NULL)
        return;
    if (!up) {
        /* Frames held in the channel's slots belong to a run that is gone. */
        down = true;
        lost_count++;
        held_head = held_count = 0;
        LOG_WARN("net: the driver VM serving this NIC went away; frames are dropped until it "
                 "is back");
        return;
    }
    down = false;
    if (start_channels() < 0) {
        broken = true;
        return;
    }
    LOG_INFO("net: the driver VM serving this NIC is back");
    virtio_net_rx_flush(model);
}

int vmm_net_init(const struct sel4_vmm_args *a, struct virtio_net_config *cfg, struct virtio_net *m)
{
    size_t need = channel_shm_size(&geometry);

    if (need == 0 || need > SEL4_NET_CHANNEL_BYTES) {
        LOG_ERR("net: a channel needs %zu bytes, the admin maps %u per channel", need,
                SEL4_NET_CHANNEL_BYTES);
        return -STDVMM_EINVAL;
    }
    model = m;
    down = false;
    memcpy(cfg->mac, a->net_mac, sizeof(cfg->mac));
    cfg->backend.tx = net_tx;
    cfg->backend.rx_ready = net_rx_ready;
    cfg->backend.offloads = 0; /* the switch forwards plain frames */
    return start_channels();
}

void vmm_net_report(void)
{
    if (model == NULL)
        return;
    const struct virtio_net_stats *s = virtio_net_stats(model);
    LOG_INFO("net: %llu frames sent, %llu received; dropped: %llu sent (%llu without a slot), "
             "%llu received; backend lost %llu times",
             (unsigned long long)s->tx_frames, (unsigned long long)s->rx_frames,
             (unsigned long long)s->tx_dropped, (unsigned long long)tx_no_slot,
             (unsigned long long)(s->rx_dropped + rx_dropped), (unsigned long long)lost_count);
}
