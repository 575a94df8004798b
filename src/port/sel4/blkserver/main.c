/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The block server protection domain: a virtio-blk driver for the board's
 * disk (src/drivers/virtio, the driver side) and a backend channel
 * (docs/backend-channel.md) per VM with a region of that disk. Built by the
 * admin with only what it needs (admin/blk.c): the disk's page of
 * registers, its interrupt, a DMA page, the clients' channels, its
 * notification and, per running client, a send-only capability to that
 * VMM's notification.
 *
 * Every request is the VM's to choose, so blk_region_map() decides what it
 * may touch: a sector range inside its region (read-only ones refuse
 * writes), or a refusal answered IOERR. Data moves through bounce buffers
 * in the DMA page: the device sees neither a VM's RAM nor its channel.
 * A client's data slot is copied into a bounce buffer before the device
 * sees it (the VMM can rewrite its slot at any time).
 *
 * Clients are taken in turn, one request each, while bounce buffers are
 * free, so one VM streaming writes cannot starve another. A client that
 * detaches (its VM stopped) keeps nothing: the completions of what it had
 * on the device are dropped, as its channel is already zeroed.
 */
#include <sel4/sel4.h>
#include <string.h>

#include "blk_abi.h"
#include "rt/rt.h"
#include "stdvmm/blk_region.h"
#include "stdvmm/channel_back.h"
#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio_driver.h"

#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK 0u

#define QUEUE_NUM 128
#define BOUNCES 16 /* requests on the device at once; three descriptors each */
#define BOUNCE_SIZE SEL4_BLK_SLOT_SIZE
#define HDR_AREA 0x10000u     /* request headers and status bytes, 64 bytes per bounce */
#define BOUNCE_AREA 0x100000u /* the bounce buffers */

struct client {
    bool attached;
    bool bad_region; /* outside the disk or overlapping another: every request fails */
    struct channel_back ch;
    struct blk_region region;
    uint64_t reads, writes, flushes, refusals, errors;
};

/* One request on the device, in bounce buffer k. */
struct bounce {
    bool busy;
    bool orphan; /* its client detached: drop the answer */
    unsigned client;
    uint32_t id;
    enum channel_op op;
    uint32_t len;
    uint8_t *slot; /* the client's data for READ answers */
};

static const struct sel4_blksrv_args *args;
static struct client clients[SEL4_BLK_MAX_CLIENTS];
static struct bounce bounces[BOUNCES];
static uint16_t head_of[QUEUE_NUM]; /* chain head -> bounce + 1; 0: none */
static struct vdrv_queue queue;
static struct vdrv_dma dma;
static uint64_t features, capacity; /* capacity in bytes */
static bool device_up;
static unsigned next_client; /* round robin */
static uint64_t to_signal;
static seL4_Word pending; /* signals taken by seL4_Poll, not served yet */

const char sel4rt_program_name[] = "blkserver";

static uint32_t reg_read(void *ctx, uint32_t off)
{
    (void)ctx;
    return *(volatile uint32_t *)(uintptr_t)(SEL4_BLKSRV_DEVICE_VA + args->transport_offset + off);
}

static void reg_write(void *ctx, uint32_t off, uint32_t value)
{
    (void)ctx;
    *(volatile uint32_t *)(uintptr_t)(SEL4_BLKSRV_DEVICE_VA + args->transport_offset + off) = value;
}

static const struct vdrv_io io = {.read32 = reg_read, .write32 = reg_write};

static uint8_t *hdr_of(unsigned k)
{
    return dma.va + HDR_AREA + k * 64u;
}

static uint64_t hdr_pa(unsigned k)
{
    return dma.pa + HDR_AREA + k * 64u;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void detach(unsigned c, const char *why)
{
    struct client *cl = &clients[c];

    if (cl->attached)
        LOG_INFO("client %u (%s) detached: %s; %llu reads, %llu writes, %llu flushes, %llu "
                 "refused, %llu failed",
                 c, args->clients[c].name, why, (unsigned long long)cl->reads,
                 (unsigned long long)cl->writes, (unsigned long long)cl->flushes,
                 (unsigned long long)cl->refusals, (unsigned long long)cl->errors);
    for (unsigned k = 0; k < BOUNCES; k++) {
        if (bounces[k].busy && bounces[k].client == c)
            bounces[k].orphan = true;
    }
    struct blk_region keep = cl->region;
    bool bad = cl->bad_region;
    memset(cl, 0, sizeof(*cl));
    cl->region = keep;
    cl->bad_region = bad;
    to_signal &= ~(1ull << c);
}

static void attach(unsigned c)
{
    struct client *cl = &clients[c];
    int r = channel_back_attach(&cl->ch, (void *)(uintptr_t)SEL4_BLKSRV_CLIENT_VA(c),
                                SEL4_BLK_CHANNEL_BYTES);

    if (r < 0) {
        LOG_ERR("client %u (%s): cannot attach (%s)", c, args->clients[c].name, stdvmm_strerror(r));
        memset(&cl->ch, 0, sizeof(cl->ch));
        return;
    }
    cl->attached = true;
    LOG_INFO("client %u (%s) attached: %llu MiB at %llu MiB of disk0%s", c, args->clients[c].name,
             (unsigned long long)(cl->region.size >> 20),
             (unsigned long long)(cl->region.offset >> 20),
             cl->region.read_only ? ", read-only" : "");
}

static void respond(unsigned c, uint32_t id, enum channel_status st, uint32_t len)
{
    struct client *cl = &clients[c];
    bool notify = false;

    if (!cl->attached)
        return;
    if (channel_back_respond(&cl->ch, id, st, len, &notify) < 0) {
        detach(c, "could not answer (its ring indices are broken)");
        return;
    }
    if (notify)
        to_signal |= 1ull << c;
}

static int free_bounce(void)
{
    for (unsigned k = 0; k < BOUNCES; k++) {
        if (!bounces[k].busy)
            return (int)k;
    }
    return -1;
}

/* Puts request r of client c on the device in bounce k, or answers it at once. */
static void start(unsigned c, const struct channel_request *r, unsigned k)
{
    struct client *cl = &clients[c];
    struct blk_region_io rio;
    uint32_t type;
    enum blk_region_op op;

    switch (r->op) {
    case CHANNEL_OP_BLK_READ:
        op = BLK_REGION_READ, type = VIRTIO_BLK_T_IN;
        break;
    case CHANNEL_OP_BLK_WRITE:
        op = BLK_REGION_WRITE, type = VIRTIO_BLK_T_OUT;
        break;
    case CHANNEL_OP_BLK_FLUSH:
        op = BLK_REGION_FLUSH, type = VIRTIO_BLK_T_FLUSH;
        break;
    default:
        respond(c, r->id, CHANNEL_S_UNSUPP, 0);
        return;
    }
    if (cl->bad_region || r->len > BOUNCE_SIZE ||
        blk_region_map(&cl->region, op, r->arg, r->len, &rio) < 0) {
        cl->refusals++;
        respond(c, r->id, CHANNEL_S_IOERR, 0);
        return;
    }
    if (!device_up) {
        cl->errors++;
        respond(c, r->id, CHANNEL_S_IOERR, 0);
        return;
    }
    /* Without FLUSH the device writes through (virtio 1.2 §5.2.6.2): nothing to ask it. */
    if (rio.noop || (op == BLK_REGION_FLUSH && !(features & (1ull << VIRTIO_BLK_F_FLUSH)))) {
        respond(c, r->id, CHANNEL_S_OK, 0);
        return;
    }
    uint8_t *hdr = hdr_of(k);
    put_le32(hdr, type);
    put_le32(hdr + 4, 0);
    put_le64(hdr + 8, op == BLK_REGION_FLUSH ? 0 : rio.dev_offset / BLK_REGION_SECTOR);
    hdr[16] = 0xff; /* the status byte: the device overwrites it */
    uint8_t *buf = dma.va + BOUNCE_AREA + (uint64_t)k * BOUNCE_SIZE;
    uint64_t buf_pa = dma.pa + BOUNCE_AREA + (uint64_t)k * BOUNCE_SIZE;
    struct vdrv_buf bufs[3];
    unsigned n = 0;
    bufs[n++] = (struct vdrv_buf){.pa = hdr_pa(k), .len = 16, .device_writes = false};
    if (op == BLK_REGION_WRITE) {
        memcpy(buf, r->data, r->len); /* decide on a private copy */
        bufs[n++] = (struct vdrv_buf){.pa = buf_pa, .len = r->len, .device_writes = false};
    } else if (op == BLK_REGION_READ) {
        bufs[n++] = (struct vdrv_buf){.pa = buf_pa, .len = r->len, .device_writes = true};
    }
    bufs[n++] = (struct vdrv_buf){.pa = hdr_pa(k) + 16, .len = 1, .device_writes = true};
    uint16_t head;
    if (vdrv_queue_add(&queue, bufs, n, &head) < 0 || head >= QUEUE_NUM) {
        /* Three descriptors per bounce fit the queue: cannot happen, but do not lose it. */
        cl->errors++;
        respond(c, r->id, CHANNEL_S_IOERR, 0);
        return;
    }
    bounces[k] = (struct bounce){
        .busy = true, .client = c, .id = r->id, .op = r->op, .len = r->len, .slot = r->data};
    head_of[head] = (uint16_t)(k + 1);
    if (op == BLK_REGION_READ)
        cl->reads++;
    else if (op == BLK_REGION_WRITE)
        cl->writes++;
    else
        cl->flushes++;
}

/*
 * Whether client c's VM has stopped: the admin zeroes a stopped VM's
 * channel before it signals, so a request ring that breaks may be that
 * zeroing, seen before the signal. Looks at the signals that came since.
 */
static bool stopped(unsigned c)
{
    seL4_Word bits = 0;

    seL4_Poll(SEL4_BLKSRV_SLOT_NTFN, &bits);
    pending |= bits;
    return (pending & SEL4_BADGE_BLK_DETACH(c)) != 0;
}

/* Takes one request from each attached client in turn while bounce buffers are free. */
static void take_requests(void)
{
    bool kicked = false, any = true;

    while (any) {
        any = false;
        for (unsigned i = 0; i < args->client_count; i++) {
            unsigned c = (next_client + i) % args->client_count;
            struct client *cl = &clients[c];
            int k = free_bounce();
            if (k < 0)
                goto out;
            if (!cl->attached)
                continue;
            struct channel_request r;
            int got = channel_back_pop(&cl->ch, &r);
            if (got < 0) {
                detach(c, stopped(c) ? "its VM stopped" : "channel protocol error");
                continue;
            }
            if (got == 0)
                continue;
            any = true;
            start(c, &r, (unsigned)k);
            kicked |= bounces[k].busy;
        }
        next_client = (next_client + 1) % args->client_count;
    }
out:
    if (kicked)
        vdrv_queue_kick(&io, &queue);
}

/* The device gave up on the protocol: fail what it holds and serve only refusals from now on. */
static void device_broke(const char *why)
{
    LOG_ERR("disk0: %s; failing every request from now on", why);
    device_up = false;
    for (unsigned k = 0; k < BOUNCES; k++) {
        if (bounces[k].busy && !bounces[k].orphan) {
            clients[bounces[k].client].errors++;
            respond(bounces[k].client, bounces[k].id, CHANNEL_S_IOERR, 0);
        }
        bounces[k].busy = false;
    }
}

static void reap(void)
{
    uint16_t head;
    uint32_t len;
    int r;

    vdrv_irq_ack(&io);
    while ((r = vdrv_queue_used(&queue, &head, &len)) == 0) {
        unsigned k = head < QUEUE_NUM ? head_of[head] : 0;
        if (k == 0) {
            device_broke("answered a request it was not given");
            return;
        }
        k--;
        head_of[head] = 0;
        struct bounce *b = &bounces[k];
        uint8_t status = hdr_of(k)[16];
        if (!b->orphan) {
            if (status != VIRTIO_BLK_S_OK) {
                clients[b->client].errors++;
                respond(b->client, b->id, CHANNEL_S_IOERR, 0);
            } else if (b->op == CHANNEL_OP_BLK_READ) {
                memcpy(b->slot, dma.va + BOUNCE_AREA + (uint64_t)k * BOUNCE_SIZE, b->len);
                respond(b->client, b->id, CHANNEL_S_OK, b->len);
            } else {
                respond(b->client, b->id, CHANNEL_S_OK, 0);
            }
        }
        b->busy = false;
    }
    if (r == -STDVMM_EPROTO)
        device_broke("its used ring broke the protocol");
}

static void signal_vmms(void)
{
    for (unsigned c = 0; c < SEL4_BLK_MAX_CLIENTS; c++) {
        /* Non-blocking: a VM stopped a moment ago has left an empty slot here. */
        if (to_signal & (1ull << c))
            seL4_NBSend(SEL4_BLKSRV_SLOT_VMM_NTFN + c, seL4_MessageInfo_new(0, 0, 0, 0));
    }
    to_signal = 0;
}

static int device_init(void)
{
    dma = (struct vdrv_dma){.va = (uint8_t *)(uintptr_t)SEL4_BLKSRV_DMA_VA,
                            .pa = args->dma_pa,
                            .size = SEL4_BLKSRV_DMA_BYTES};
    _Static_assert(BOUNCE_AREA + BOUNCES * BOUNCE_SIZE <= SEL4_BLKSRV_DMA_BYTES, "bounces fit");
    _Static_assert(HDR_AREA + BOUNCES * 64u <= BOUNCE_AREA, "headers fit");
    _Static_assert(BOUNCES * 3 <= QUEUE_NUM, "every bounce's chain fits the queue");
    if (vdrv_queue_bytes(QUEUE_NUM) > HDR_AREA)
        return -STDVMM_EINVAL;
    int r = vdrv_probe(&io, VIRTIO_ID_BLOCK);
    if (r == 0)
        r = vdrv_negotiate(&io, 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO, &features);
    if (r == 0)
        r = vdrv_queue_setup(&io, &queue, 0, QUEUE_NUM, &dma, 0);
    if (r < 0)
        return r;
    vdrv_driver_ok(&io);
    capacity = ((uint64_t)vdrv_config32(&io, 4) << 32 | vdrv_config32(&io, 0)) * BLK_REGION_SECTOR;
    LOG_INFO("disk0 at 0x%llx: %llu MiB%s%s", (unsigned long long)args->device_pa,
             (unsigned long long)(capacity >> 20),
             features & (1ull << VIRTIO_BLK_F_FLUSH) ? ", flush" : ", write-through",
             features & (1ull << VIRTIO_BLK_F_RO) ? ", read-only" : "");
    return 0;
}

/*
 * The regions of the description, checked against the disk as it is:
 * each one that lies outside it or overlaps another writable one is
 * refused (its VM's requests fail), and the others are served.
 */
static void check_regions(void)
{
    struct blk_region regs[SEL4_BLK_MAX_CLIENTS];
    unsigned owner[SEL4_BLK_MAX_CLIENTS], n;
    struct blk_region_problem p;

    for (unsigned c = 0; c < args->client_count; c++) {
        const struct sel4_blksrv_client *d = &args->clients[c];
        clients[c].region = (struct blk_region){
            .offset = d->offset,
            .size = d->size,
            .read_only = d->read_only || (features & (1ull << VIRTIO_BLK_F_RO))};
        clients[c].bad_region = false;
    }
    for (;;) {
        n = 0;
        for (unsigned c = 0; c < args->client_count; c++) {
            if (args->clients[c].in_use && !clients[c].bad_region) {
                regs[n] = clients[c].region;
                owner[n++] = c;
            }
        }
        if (blk_regions_check(regs, n, capacity, &p) == 0)
            return;
        unsigned c = owner[p.fault == BLK_REGION_OVERLAP ? p.second : p.first];
        LOG_ERR("client %u (%s): its region (%llu bytes at %llu) is %s%s%s; refused", c,
                args->clients[c].name, (unsigned long long)clients[c].region.size,
                (unsigned long long)clients[c].region.offset, blk_region_fault_name(p.fault),
                p.fault == BLK_REGION_OVERLAP ? " with " : "",
                p.fault == BLK_REGION_OVERLAP ? args->clients[owner[p.first]].name : "");
        clients[c].bad_region = true;
    }
}

/* Nothing to serve: wait without burning the core (only the admin ends this PD). */
static _Noreturn void idle(void)
{
    for (;;)
        seL4_Wait(SEL4_BLKSRV_SLOT_NTFN, NULL);
}

void sel4rt_main(void *arg)
{
    seL4_SetIPCBuffer((seL4_IPCBuffer *)(uintptr_t)SEL4_BLKSRV_IPC_BUFFER_VA);
    args = arg;
    if (args->magic != SEL4_BLKSRV_ABI_MAGIC || args->version != SEL4_BLKSRV_ABI_VERSION ||
        args->client_count > SEL4_BLK_MAX_CLIENTS || args->transport_offset > 4096 - 0x200) {
        sel4rt_debug_puts("blkserver: started with a foreign argument page\n");
        idle();
    }
    int r = device_init();
    if (r < 0) {
        LOG_ERR("disk0: cannot drive it (%s); every request fails", stdvmm_strerror(r));
        capacity = 0;
    } else {
        device_up = true;
    }
    check_regions();
    seL4_IRQHandler_Ack(SEL4_BLKSRV_SLOT_IRQ);
    for (;;) {
        seL4_Word bits = pending;
        pending = 0;
        if (bits == 0)
            seL4_Wait(SEL4_BLKSRV_SLOT_NTFN, &bits);
        /* Detaches first: a doorbell in the same word is from the VM's next run. */
        for (unsigned c = 0; c < args->client_count; c++) {
            if (bits & SEL4_BADGE_BLK_DETACH(c))
                detach(c, "its VM stopped");
        }
        for (unsigned c = 0; c < args->client_count; c++) {
            if ((bits & SEL4_BADGE_BLK_DOORBELL(c)) && args->clients[c].in_use &&
                !clients[c].attached)
                attach(c);
        }
        if (bits & SEL4_BADGE_BLK_IRQ) {
            if (device_up)
                reap();
            seL4_IRQHandler_Ack(SEL4_BLKSRV_SLOT_IRQ);
        }
        take_requests();
        signal_vmms();
    }
}
