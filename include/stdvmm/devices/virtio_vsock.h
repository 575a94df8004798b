/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock (VirtIO 1.2 §5.10), stream sockets between the guest and
 * the host (CID 2), implemented in the VMM (no vhost-vsock).
 *
 * The device keeps the connection table and the protocol: REQUEST,
 * RESPONSE, RST, SHUTDOWN, RW and the credit accounting (buf_alloc /
 * fwd_cnt) that bounds what each side may send. Each connection has one
 * buffer per direction, so the guest is credited exactly what the device
 * can hold, and host data is taken only when there is room. The host ends
 * of connections belong to a backend (Unix sockets on Linux, in
 * Firecracker's convention), which the device tells what to open, write,
 * shut down and close, and which feeds host data and events back.
 *
 * Everything runs on the device's host worker thread, backend included.
 */
#ifndef STDVMM_DEVICES_VIRTIO_VSOCK_H
#define STDVMM_DEVICES_VIRTIO_VSOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"

#define VIRTIO_VSOCK_HOST_CID 2
#define VIRTIO_VSOCK_HDR_SIZE 44
#define VIRTIO_VSOCK_TYPE_STREAM 1
#define VIRTIO_VSOCK_OP_REQUEST 1
#define VIRTIO_VSOCK_OP_RESPONSE 2
#define VIRTIO_VSOCK_OP_RST 3
#define VIRTIO_VSOCK_OP_SHUTDOWN 4
#define VIRTIO_VSOCK_OP_RW 5
#define VIRTIO_VSOCK_OP_CREDIT_UPDATE 6
#define VIRTIO_VSOCK_OP_CREDIT_REQUEST 7
#define VIRTIO_VSOCK_SHUTDOWN_RCV 1
#define VIRTIO_VSOCK_SHUTDOWN_SEND 2

#define VIRTIO_VSOCK_RX 0
#define VIRTIO_VSOCK_TX 1
#define VIRTIO_VSOCK_EVENT 2
#define VIRTIO_VSOCK_QUEUE_SIZE 256
#define VIRTIO_VSOCK_SEGS 16
#define VIRTIO_VSOCK_MAX_CONNS 32
/* Per connection and direction; also the buf_alloc the guest is credited with. */
#define VIRTIO_VSOCK_BUF_SIZE 65536u
#define VIRTIO_VSOCK_MAX_RSTS 16
/* Host-initiated connections get local ports from here up (Firecracker's choice too). */
#define VIRTIO_VSOCK_LOCAL_PORT_BASE (1u << 30)

struct virtio_vsock_backend {
    /* The guest connects to host port `port`; 0: open (conn's host end), negative: refused. */
    int (*connect)(void *ctx, unsigned conn, uint32_t port);
    /* The guest accepted the host-initiated conn; host_port is its local port. */
    void (*connected)(void *ctx, unsigned conn, uint32_t host_port);
    /* Writes guest bytes to conn's host end: count written (0: would block), negative: gone. */
    long (*write)(void *ctx, unsigned conn, const uint8_t *buf, size_t len);
    /* The guest sends no more on conn. */
    void (*shutdown_write)(void *ctx, unsigned conn);
    /* conn is over (guest reset or closed it, device reset, protocol error). */
    void (*closed)(void *ctx, unsigned conn);
    /* Room or pending data changed for conn: the backend re-evaluates what it polls for. */
    void (*update)(void *ctx, unsigned conn);
    void *ctx;
};

struct virtio_vsock_conn;

struct virtio_vsock_config {
    struct virtio_slot slot;
    uint64_t guest_cid;
    struct virtio_vsock_backend backend;
    /*
     * The connection table, the caller's storage (this layer has no heap;
     * each connection holds its two buffers, 128 KiB), so that a VM without
     * vsock carries none: max_conns connections (1 to
     * VIRTIO_VSOCK_MAX_CONNS) at conns, which holds conns_size bytes
     * (VIRTIO_VSOCK_CONNS_BYTES(max_conns) at least, or init refuses). With
     * all of them in use, the guest's next REQUEST is answered with RST
     * and the backend's host_connect() fails.
     */
    struct virtio_vsock_conn *conns;
    size_t conns_size;
    unsigned max_conns;
};

struct virtio_vsock_ring {
    uint32_t head; /* next byte to take */
    uint32_t len;  /* bytes held */
    uint8_t data[VIRTIO_VSOCK_BUF_SIZE];
};

enum virtio_vsock_state {
    VIRTIO_VSOCK_FREE = 0,
    VIRTIO_VSOCK_CONNECTING, /* host-initiated: REQUEST sent or to be sent, no RESPONSE yet */
    VIRTIO_VSOCK_ESTABLISHED,
    VIRTIO_VSOCK_CLOSING, /* RST to be sent, then free */
};

struct virtio_vsock_conn {
    enum virtio_vsock_state state;
    uint32_t host_port;  /* the host end's port (dst of guest packets) */
    uint32_t guest_port; /* the guest end's port */
    /* Credit (VirtIO §5.10.6.3): the guest's view and ours. */
    uint32_t peer_buf_alloc;
    uint32_t peer_fwd_cnt;
    uint32_t tx_cnt;         /* bytes sent to the guest */
    uint32_t fwd_cnt;        /* guest bytes handed to the host end */
    uint32_t fwd_advertised; /* fwd_cnt the guest last heard */
    bool need_request;
    bool need_response;
    bool need_credit;
    bool host_eof;       /* host end sends no more: SHUTDOWN after to_guest drains */
    bool shutdown_sent;
    bool peer_no_send;   /* guest said SHUTDOWN_SEND */
    bool peer_no_recv;   /* guest said SHUTDOWN_RCV */
    bool host_write_shut;
    struct virtio_vsock_ring to_host;
    struct virtio_vsock_ring to_guest;
};

#define VIRTIO_VSOCK_CONNS_BYTES(n) ((size_t)(n) * sizeof(struct virtio_vsock_conn))

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct virtio_vsock {
    struct virtio_dev vdev;
    struct virtio_vsock_backend backend;
    uint64_t cid;
    uint8_t config[8];
    atomic_bool reset_pending;
    bool warned;
    uint32_t next_local_port;
    unsigned pump_start; /* round robin over connections */
    struct {
        uint8_t hdr[VIRTIO_VSOCK_HDR_SIZE];
    } rsts[VIRTIO_VSOCK_MAX_RSTS]; /* RSTs for packets that match no connection */
    unsigned rst_count;
    struct virtq_seg tx_segs[VIRTIO_VSOCK_SEGS];
    struct virtq_seg rx_segs[VIRTIO_VSOCK_SEGS];
    unsigned max_conns;
    struct virtio_vsock_conn *conns; /* cfg.conns, max_conns of them */
};

/*
 * -STDVMM_EINVAL (logged) with a reserved guest CID, without a backend, or
 * without room for cfg->max_conns connections.
 */
int virtio_vsock_init(struct virtio_vsock *d, const struct virtio_vsock_config *cfg);
/* Host worker: a queue was notified (guest packets, or new receive buffers). */
void virtio_vsock_process(struct virtio_vsock *d);

/* Backend: a host program asks for the guest's port; *conn identifies it from now on. */
int virtio_vsock_host_connect(struct virtio_vsock *d, uint32_t guest_port, unsigned *conn);
/* Backend: how many host bytes conn can take now (0: do not read). */
size_t virtio_vsock_host_room(struct virtio_vsock *d, unsigned conn);
/* Backend: host bytes for the guest (len <= host_room). */
void virtio_vsock_host_data(struct virtio_vsock *d, unsigned conn, const uint8_t *buf, size_t len);
/* Backend: the host end sends no more (EOF). */
void virtio_vsock_host_eof(struct virtio_vsock *d, unsigned conn);
/* Backend: the host end is gone; the guest gets RST. The backend closed its end already. */
void virtio_vsock_host_reset(struct virtio_vsock *d, unsigned conn);
/* Backend: guest bytes wait for the host end (poll it for writing). */
bool virtio_vsock_host_wants_write(struct virtio_vsock *d, unsigned conn);
/* Backend: the host end can take bytes again. */
void virtio_vsock_host_writable(struct virtio_vsock *d, unsigned conn);

#endif
