/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-vsock: guest packets checked field by field; connections, credit, shutdown, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_vsock.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"
#include "support/vsock_packet.h"

#define RXQ VIRTIO_VSOCK_RX
#define TXQ VIRTIO_VSOCK_TX
#define CID 7
#define PKT(i) (TD_DATA + 0x2000ull * (i))
#define RXBUF(i) (TD_DATA + 0x100000ull + 0x2000ull * (i))

/* What small_setup gives the device: room for two connections. */
#define SMALL_CONNS 2

struct fixture {
    struct td d;
    struct virtio_vsock *vs;
    struct virtio_vsock_conn *conns; /* the caller's storage, VIRTIO_VSOCK_MAX_CONNS of them */
    struct virtio_mmio t;
    int refuse;
    unsigned connects, connected, closed, shut;
    uint32_t last_port;
    unsigned last_conn;
    uint8_t written[4096];
    size_t written_len;
    long write_limit; /* -1: take everything */
    uint16_t tx_next, rx_next;
    uint16_t rx_seen;
};

static int be_connect(void *ctx, unsigned conn, uint32_t port)
{
    struct fixture *f = ctx;
    f->connects++;
    f->last_port = port;
    f->last_conn = conn;
    return f->refuse ? -STDVMM_ENOENT : 0;
}

static void be_connected(void *ctx, unsigned conn, uint32_t port)
{
    struct fixture *f = ctx;
    f->connected++;
    f->last_conn = conn;
    f->last_port = port;
}

static long be_write(void *ctx, unsigned conn, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;
    (void)conn;
    if (f->write_limit >= 0 && len > (size_t)f->write_limit)
        len = (size_t)f->write_limit;
    if (f->write_limit >= 0)
        f->write_limit -= (long)len;
    memcpy(f->written + f->written_len, buf, len);
    f->written_len += len;
    return (long)len;
}

static void be_shutdown(void *ctx, unsigned conn)
{
    (void)conn;
    ((struct fixture *)ctx)->shut++;
}

static void be_closed(void *ctx, unsigned conn)
{
    (void)conn;
    ((struct fixture *)ctx)->closed++;
}

static int setup_with(void **state, unsigned conns)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    f->vs = calloc(1, sizeof(*f->vs));
    f->conns = malloc(VIRTIO_VSOCK_CONNS_BYTES(VIRTIO_VSOCK_MAX_CONNS));
    if (f->conns == NULL)
        return -1;
    /* Not zeroed: the device must not rely on the caller clearing its storage. */
    memset(f->conns, 0xa5, VIRTIO_VSOCK_CONNS_BYTES(VIRTIO_VSOCK_MAX_CONNS));
    f->write_limit = -1;
    struct virtio_vsock_config cfg = {
        .slot = td_slot(&f->d, "vsock"),
        .guest_cid = CID,
        .backend = {.connect = be_connect,
                    .connected = be_connected,
                    .write = be_write,
                    .shutdown_write = be_shutdown,
                    .closed = be_closed,
                    .ctx = f},
        .conns = f->conns,
        .conns_size = VIRTIO_VSOCK_CONNS_BYTES(conns),
        .max_conns = conns,
    };
    if (f->vs == NULL || virtio_vsock_init(f->vs, &cfg) != 0 ||
        virtio_mmio_init(&f->t, &f->vs->vdev) != 0)
        return -1;
    td_start(&f->d, &f->t, 3, 64, TD_FEATURES_ALL);
    /* Receive buffers: header and 4 KiB, as Linux posts them. */
    for (uint16_t i = 0; i < 32; i++) {
        td_desc(&f->d, RXQ, i, RXBUF(i), 44 + 4096, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, RXQ, i);
    }
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, VIRTIO_VSOCK_MAX_CONNS);
}

static int small_setup(void **state)
{
    return setup_with(state, SMALL_CONNS);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f->conns);
    free(f->vs);
    free(f);
    return 0;
}

/* A guest packet on the transmit queue: header descriptor plus optional payload. */
static void guest_send(struct fixture *f, uint16_t op, uint32_t len, uint32_t flags,
                       uint32_t buf_alloc, uint64_t src_cid, uint16_t type, uint32_t claimed_len)
{
    uint16_t i = f->tx_next;
    f->tx_next = (uint16_t)(i + 2);
    td_vsock_hdr(td_ptr(&f->d, PKT(i)), src_cid, 2, 1234, 5000, claimed_len, type, op, flags,
                 buf_alloc, 0);
    for (uint32_t k = 0; k < len; k++)
        *td_ptr(&f->d, PKT(i) + 44 + k) = (uint8_t)k;
    if (len != 0) {
        td_desc(&f->d, TXQ, i, PKT(i), 44, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
        td_desc(&f->d, TXQ, (uint16_t)(i + 1), PKT(i) + 44, len, 0, 0);
    } else {
        td_desc(&f->d, TXQ, i, PKT(i), 44, 0, 0);
    }
    td_avail(&f->d, TXQ, i);
}

static void send_op(struct fixture *f, uint16_t op, uint32_t len, uint32_t flags)
{
    guest_send(f, op, len, flags, 65536, CID, VIRTIO_VSOCK_TYPE_STREAM, len);
    virtio_vsock_process(f->vs);
}

/* The next packet the device gave the guest: its op, and its header in h. */
static int next_rx(struct fixture *f, uint8_t *h)
{
    if (td_used_idx(&f->d, RXQ) == f->rx_seen)
        return -1;
    uint32_t id, len;
    td_used_elem(&f->d, RXQ, f->rx_seen++, &id, &len);
    assert_true(len >= 44);
    memcpy(h, td_ptr(&f->d, RXBUF(id)), 44);
    return virtio_le16(h + 30);
}

static void connect_guest_to_host(struct fixture *f)
{
    uint8_t h[44];
    send_op(f, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
    assert_int_equal(f->connects, 1);
    assert_int_equal(f->last_port, 5000);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RESPONSE);
    assert_int_equal(virtio_le64(h), 2);
    assert_int_equal(virtio_le64(h + 8), CID);
    assert_int_equal(virtio_le32(h + 16), 5000);
    assert_int_equal(virtio_le32(h + 20), 1234);
    assert_int_equal(virtio_le32(h + 36), VIRTIO_VSOCK_BUF_SIZE);
}

static void guest_connects_and_sends(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    connect_guest_to_host(f);
    send_op(f, VIRTIO_VSOCK_OP_RW, 100, 0);
    assert_int_equal(f->written_len, 100);
    assert_int_equal(f->written[99], 99);
    /* The host took it all: the guest hears about the room. */
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    assert_int_equal(virtio_le32(h + 40), 100);
}

static void refused_connection_gets_rst(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    f->refuse = 1;
    send_op(f, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RST);
    /* Data for it now matches nothing: RST again, no write. */
    send_op(f, VIRTIO_VSOCK_OP_RW, 10, 0);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RST);
    assert_int_equal(f->written_len, 0);
}

static void spoofed_and_short_packets_are_dropped(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    connect_guest_to_host(f);
    guest_send(f, VIRTIO_VSOCK_OP_RW, 10, 0, 65536, 99, VIRTIO_VSOCK_TYPE_STREAM, 10); /* CID */
    guest_send(f, VIRTIO_VSOCK_OP_RW, 10, 0, 65536, CID, VIRTIO_VSOCK_TYPE_STREAM, 11); /* len */
    virtio_vsock_process(f->vs);
    assert_int_equal(f->written_len, 0);
    assert_int_equal(f->closed, 1); /* the lying length reset the connection */
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RST);
    /* A header cut short. */
    td_desc(&f->d, TXQ, 40, PKT(40), 20, 0, 0);
    td_avail(&f->d, TXQ, 40);
    virtio_vsock_process(f->vs);
    assert_int_equal(next_rx(f, h), -1);
    assert_int_equal(td_used_idx(&f->d, TXQ), 4); /* every packet is returned */
}

static void seqpacket_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 0, 0, 65536, CID, 2, 0);
    virtio_vsock_process(f->vs);
    assert_int_equal(f->connects, 0);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RST);
}

static void data_beyond_credit_resets(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    connect_guest_to_host(f);
    f->write_limit = 0; /* the host end takes nothing: bytes pile up */
    for (int k = 0; k < 16; k++)
        send_op(f, VIRTIO_VSOCK_OP_RW, 4096, 0);
    assert_int_equal(f->closed, 0); /* exactly the 64 KiB we credited */
    send_op(f, VIRTIO_VSOCK_OP_RW, 1, 0);
    assert_int_equal(f->closed, 1);
    int op;
    while ((op = next_rx(f, h)) == VIRTIO_VSOCK_OP_CREDIT_UPDATE) {
    }
    assert_int_equal(op, VIRTIO_VSOCK_OP_RST);
}

static void shutdown_both_ways_closes(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    connect_guest_to_host(f);
    send_op(f, VIRTIO_VSOCK_OP_SHUTDOWN, 0, VIRTIO_VSOCK_SHUTDOWN_SEND);
    assert_int_equal(f->shut, 1);
    assert_int_equal(f->closed, 0);
    send_op(f, VIRTIO_VSOCK_OP_SHUTDOWN, 0,
            VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV);
    assert_int_equal(f->closed, 1);
    int op;
    while ((op = next_rx(f, h)) == VIRTIO_VSOCK_OP_CREDIT_UPDATE) {
    }
    assert_int_equal(op, VIRTIO_VSOCK_OP_RST);
}

static void host_connects_and_sends_within_credit(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    unsigned conn;
    assert_int_equal(virtio_vsock_host_connect(f->vs, 5000, &conn), 0);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_REQUEST);
    uint32_t local = virtio_le32(h + 16);
    assert_int_equal(local, VIRTIO_VSOCK_LOCAL_PORT_BASE);
    assert_int_equal(virtio_le32(h + 20), 5000);
    /* The guest accepts with a small buffer: 6000 bytes of credit. */
    uint16_t i = f->tx_next;
    f->tx_next = (uint16_t)(i + 2);
    td_vsock_hdr(td_ptr(&f->d, PKT(i)), CID, 2, 5000, local, 0, VIRTIO_VSOCK_TYPE_STREAM,
                 VIRTIO_VSOCK_OP_RESPONSE, 0, 6000, 0);
    td_desc(&f->d, TXQ, i, PKT(i), 44, 0, 0);
    td_avail(&f->d, TXQ, i);
    virtio_vsock_process(f->vs);
    assert_int_equal(f->connected, 1);
    assert_int_equal(f->last_port, local);
    static uint8_t data[10000];
    assert_true(virtio_vsock_host_room(f->vs, conn) >= sizeof(data));
    virtio_vsock_host_data(f->vs, conn, data, sizeof(data));
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RW);
    assert_int_equal(virtio_le32(h + 24), 4096);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RW);
    assert_int_equal(virtio_le32(h + 24), 6000 - 4096);
    assert_int_equal(next_rx(f, h), -1); /* credit used up */
    virtio_vsock_host_eof(f->vs, conn);
    assert_int_equal(next_rx(f, h), -1); /* SHUTDOWN waits behind the data */
}

static void reset_closes_everything(void **state)
{
    struct fixture *f = *state;
    connect_guest_to_host(f);
    td_w32(&f->t, VIRTIO_MMIO_STATUS, 0);
    virtio_vsock_process(f->vs);
    assert_int_equal(f->closed, 1);
    unsigned conn;
    assert_true(virtio_vsock_host_connect(f->vs, 1, &conn) < 0); /* no driver now */
}

/* The connections' storage is the caller's: init refuses none, too little, or a count out of range.
 */
static void init_needs_room_for_its_connections(void **state)
{
    struct fixture *f = *state;
    struct virtio_vsock *other = calloc(1, sizeof(*other));
    assert_non_null(other);
    struct virtio_vsock_config cfg = {
        .slot = td_slot(&f->d, "vsock1"),
        .guest_cid = CID,
        .backend = {.connect = be_connect, .write = be_write, .closed = be_closed, .ctx = f},
        .conns = f->conns,
        .conns_size = VIRTIO_VSOCK_CONNS_BYTES(3),
        .max_conns = 3,
    };
    struct virtio_vsock_config bad = cfg;
    bad.conns = NULL;
    assert_int_equal(virtio_vsock_init(other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.conns_size = VIRTIO_VSOCK_CONNS_BYTES(3) - 1; /* one byte short of the third */
    assert_int_equal(virtio_vsock_init(other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.max_conns = 0;
    assert_int_equal(virtio_vsock_init(other, &bad), -STDVMM_EINVAL);
    bad = cfg;
    bad.max_conns = VIRTIO_VSOCK_MAX_CONNS + 1; /* the backends' tables hold no more */
    bad.conns_size = VIRTIO_VSOCK_CONNS_BYTES(VIRTIO_VSOCK_MAX_CONNS + 1);
    assert_int_equal(virtio_vsock_init(other, &bad), -STDVMM_EINVAL);
    /* Exactly the configured size is enough, and every connection starts free. */
    assert_int_equal(virtio_vsock_init(other, &cfg), 0);
    assert_int_equal(other->max_conns, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->conns[i].state, VIRTIO_VSOCK_FREE);
    free(other);
}

/* A REQUEST from the guest's port gport to host port 5000. */
static void request_from(struct fixture *f, uint32_t gport, uint16_t op)
{
    uint16_t i = f->tx_next;
    f->tx_next = (uint16_t)(i + 2);
    td_vsock_hdr(td_ptr(&f->d, PKT(i)), CID, 2, gport, 5000, 0, VIRTIO_VSOCK_TYPE_STREAM, op, 0,
                 65536, 0);
    td_desc(&f->d, TXQ, i, PKT(i), 44, 0, 0);
    td_avail(&f->d, TXQ, i);
    virtio_vsock_process(f->vs);
}

/*
 * With SMALL_CONNS connections open, the guest's next REQUEST gets RST and
 * the host's connect fails, without touching the open ones; a connection the
 * guest resets makes room again, in the caller's storage.
 */
static void full_table_refuses_new_connections(void **state)
{
    struct fixture *f = *state;
    uint8_t h[44];
    for (uint32_t k = 0; k < SMALL_CONNS; k++) {
        request_from(f, 1000 + k, VIRTIO_VSOCK_OP_REQUEST);
        assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RESPONSE);
        assert_int_equal(virtio_le32(h + 20), 1000 + k);
        assert_true(f->last_conn < SMALL_CONNS);
    }
    assert_int_equal(f->connects, SMALL_CONNS);
    request_from(f, 1000 + SMALL_CONNS, VIRTIO_VSOCK_OP_REQUEST);
    assert_int_equal(f->connects, SMALL_CONNS); /* the backend never heard of it */
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RST);
    assert_int_equal(virtio_le32(h + 20), 1000 + SMALL_CONNS);
    unsigned conn;
    assert_int_equal(virtio_vsock_host_connect(f->vs, 7000, &conn), -STDVMM_ENOSPC);
    assert_int_equal(f->closed, 0);
    /* The guest resets its first connection: the next REQUEST takes its place. */
    request_from(f, 1000, VIRTIO_VSOCK_OP_RST);
    assert_int_equal(f->closed, 1);
    request_from(f, 2000, VIRTIO_VSOCK_OP_REQUEST);
    assert_int_equal(f->connects, SMALL_CONNS + 1);
    assert_int_equal(next_rx(f, h), VIRTIO_VSOCK_OP_RESPONSE);
    assert_true(f->last_conn < SMALL_CONNS);
    assert_int_equal(f->conns[f->last_conn].guest_port, 2000);
    /* Host-side calls with a connection number past the storage are ignored. */
    assert_int_equal(virtio_vsock_host_room(f->vs, SMALL_CONNS), 0);
    assert_false(virtio_vsock_host_wants_write(f->vs, SMALL_CONNS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(guest_connects_and_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(init_needs_room_for_its_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(full_table_refuses_new_connections, small_setup, teardown),
        cmocka_unit_test_setup_teardown(refused_connection_gets_rst, setup, teardown),
        cmocka_unit_test_setup_teardown(spoofed_and_short_packets_are_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(seqpacket_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(data_beyond_credit_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(shutdown_both_ways_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(host_connects_and_sends_within_credit, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_closes_everything, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
