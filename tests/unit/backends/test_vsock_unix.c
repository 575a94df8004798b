/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vsock backend (src/backends/linux/vsock_unix.c) under the real
 * virtio-vsock model, on an event loop thread as the runtime runs it, with
 * real Unix sockets on the host side (Firecracker's convention):
 *  - a guest connection to host port P reaches a program listening on
 *    "SOCKET_P", and bytes flow both ways;
 *  - a host program connecting to SOCKET with "CONNECT <port>" reaches the
 *    guest's port, and hears "OK <port>" once the guest accepts;
 *  - a guest connection to a port nobody serves is reset;
 *  - host programs that connect and say nothing do not keep others out,
 *    and a handshake the guest does not answer in time is ended;
 *  - a path that is not a socket is refused, named as the setting.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/backends/vsock_unix.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"
#include "support/loop_wiring.h"
#include "support/stderr_capture.h"
#include "support/virtio_driver.h"
#include "support/vsock_packet.h"

#define RXQ VIRTIO_VSOCK_RX
#define TXQ VIRTIO_VSOCK_TX
#define CID 7
#define RX_BUFS 32
#define RX_BUF(i) (TD_DATA + 0x2000ull * (i))
#define PKT(i) (TD_DATA + 0x100000ull + 0x2000ull * (i))
#define HDR VIRTIO_VSOCK_HDR_SIZE

struct fixture {
    struct td d;
    char path[64];
    struct vsock_unix *v;
    struct virtio_vsock *vs;
    struct virtio_vsock_conn *conns;
    struct virtio_mmio t;
    struct host_loop loop;
    struct loop_wiring wiring;
    uint16_t tx_next;
    uint16_t rx_seen;
};

static void process(void *model)
{
    virtio_vsock_process(model);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    snprintf(f->path, sizeof(f->path), "/tmp/test_vsock_unix.%d", (int)getpid());
    f->v = calloc(1, sizeof(*f->v));
    f->vs = calloc(1, sizeof(*f->vs));
    f->conns = calloc(VIRTIO_VSOCK_MAX_CONNS, sizeof(*f->conns));
    if (f->v == NULL || f->vs == NULL || f->conns == NULL || vsock_unix_open(f->v, f->path) != 0)
        return -1;
    struct virtio_vsock_config cfg = {
        .slot = td_slot(&f->d, "vsock"),
        .guest_cid = CID,
        .backend = vsock_unix_backend(f->v),
        .conns = f->conns,
        .conns_size = VIRTIO_VSOCK_CONNS_BYTES(VIRTIO_VSOCK_MAX_CONNS),
        .max_conns = VIRTIO_VSOCK_MAX_CONNS,
    };
    if (host_loop_init(&f->loop, "vsock") != 0 ||
        loop_wiring_init(&f->wiring, &cfg.slot, &f->loop, process, f->vs) != 0 ||
        virtio_vsock_init(f->vs, &cfg) != 0 || virtio_mmio_init(&f->t, &f->vs->vdev) != 0 ||
        vsock_unix_attach(f->v, f->vs, &f->loop) != 0)
        return -1;
    td_start(&f->d, &f->t, 3, 64, TD_FEATURES_ALL);
    for (uint16_t i = 0; i < RX_BUFS; i++) {
        td_desc(&f->d, RXQ, i, RX_BUF(i), HDR + 4096, VIRTQ_DESC_F_WRITE, 0);
        td_avail(&f->d, RXQ, i);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (host_loop_start(&f->loop) != 0)
        return -1;
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    host_loop_stop(&f->loop);
    vsock_unix_detach(f->v);
    host_loop_destroy(&f->loop);
    vsock_unix_close(f->v);
    close(f->wiring.kick_fd);
    td_free(&f->d);
    free(f->vs);
    free(f->conns);
    free(f->v);
    free(f);
    return 0;
}

/* One guest packet (header and optional payload) on the transmit queue, notified. */
static void guest_send(struct fixture *f, uint16_t op, uint32_t src_port, uint32_t dst_port,
                       const void *data, uint32_t len)
{
    uint16_t i = f->tx_next;
    uint8_t *h = td_ptr(&f->d, PKT(i));

    f->tx_next = (uint16_t)(i + 2);
    td_vsock_hdr(h, CID, VIRTIO_VSOCK_HOST_CID, src_port, dst_port, len, VIRTIO_VSOCK_TYPE_STREAM,
                 op, 0, 65536, 0);
    if (len != 0) {
        memcpy(h + HDR, data, len);
        td_desc(&f->d, TXQ, i, PKT(i), HDR, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
        td_desc(&f->d, TXQ, (uint16_t)(i + 1), PKT(i) + HDR, len, 0, 0);
    } else {
        td_desc(&f->d, TXQ, i, PKT(i), HDR, 0, 0);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    td_avail(&f->d, TXQ, i);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
}

/*
 * Waits up to 5 s for the next packet to the guest whose op is op (credit
 * updates in between are skipped); its header, or NULL.
 */
static const uint8_t *guest_receive(struct fixture *f, uint16_t op)
{
    uint32_t id, len;
    while (td_next_used(&f->d, RXQ, &f->rx_seen, 5000, &id, &len)) {
        assert_true(id < RX_BUFS && len >= HDR);
        const uint8_t *h = td_ptr(&f->d, RX_BUF(id));
        if (virtio_le16(h + 30) == op)
            return h;
    }
    return NULL;
}

static int listen_at(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1) != 0)
        return -1;
    return fd;
}

/* Reads exactly len bytes within 5 s. */
static void read_exactly(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            fail_msg("only %zu of %zu bytes within 5 s", got, len);
        ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
        if (n <= 0)
            fail_msg("read: %s", n < 0 ? strerror(errno) : "end of stream");
        got += (size_t)n;
    }
}

/* text written by the host program on fd arrives as one RW packet to the guest's port. */
static void host_bytes_reach_the_guest(struct fixture *f, int fd, const char *text,
                                       uint32_t guest_port)
{
    size_t len = strlen(text);

    assert_int_equal(write(fd, text, len), (ssize_t)len);
    const uint8_t *h = guest_receive(f, VIRTIO_VSOCK_OP_RW);
    if (h == NULL)
        fail_msg("'%s' did not reach guest port %u", text, guest_port);
    assert_int_equal(virtio_le32(h + 20), guest_port);
    assert_int_equal(virtio_le32(h + 24), len);
    assert_memory_equal(h + HDR, text, len);
}

static void a_guest_connection_reaches_the_host_program(void **state)
{
    struct fixture *f = *state;
    char path[80];
    uint8_t got[100], data[100];

    snprintf(path, sizeof(path), "%s_5000", f->path);
    int l = listen_at(path);
    assert_true(l >= 0);
    guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 1234, 5000, NULL, 0);
    const uint8_t *h = guest_receive(f, VIRTIO_VSOCK_OP_RESPONSE);
    if (h == NULL)
        fail_msg("no RESPONSE to the guest's connection to host port 5000");
    assert_int_equal(virtio_le32(h + 16), 5000);
    assert_int_equal(virtio_le32(h + 20), 1234);
    struct pollfd p = {.fd = l, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    int c = accept(l, NULL, NULL);
    assert_true(c >= 0);

    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 3);
    guest_send(f, VIRTIO_VSOCK_OP_RW, 1234, 5000, data, sizeof(data));
    read_exactly(c, got, sizeof(got));
    assert_memory_equal(got, data, sizeof(data));

    host_bytes_reach_the_guest(f, c, "hello", 1234);
    close(c);
    close(l);
    unlink(path);
}

static void a_host_program_reaches_the_guest_port(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char line[64] = "";

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c >= 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(write(c, "CONNECT 52\n", 11), 11);
    const uint8_t *h = guest_receive(f, VIRTIO_VSOCK_OP_REQUEST);
    if (h == NULL)
        fail_msg("no REQUEST to guest port 52");
    assert_int_equal(virtio_le64(h + 8), CID);
    assert_int_equal(virtio_le32(h + 20), 52);
    uint32_t local = virtio_le32(h + 16);
    assert_true(local >= VIRTIO_VSOCK_LOCAL_PORT_BASE);

    guest_send(f, VIRTIO_VSOCK_OP_RESPONSE, 52, local, NULL, 0);
    char want[64];
    int n = snprintf(want, sizeof(want), "OK %u\n", local);
    read_exactly(c, line, (size_t)n);
    assert_string_equal(line, want);

    host_bytes_reach_the_guest(f, c, "ping", 52);
    close(c);
}

static int connect_nonblocking(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c);
        return -1;
    }
    return c;
}

/* fd's peer closes it within 5 s (a read sees the end, or a reset). */
static bool closed_by_peer(int fd)
{
    char ch;
    for (int i = 0; i < 50; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1) {
            ssize_t n = recv(fd, &ch, 1, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return true;
        }
    }
    return false;
}

/*
 * Before, every end was a slot until its program spoke: 64 programs that
 * connected and said nothing held them all for good, and a program that
 * then wanted a guest port was refused, as was every guest connection out.
 */
static void silent_host_programs_do_not_hold_the_slots(void **state)
{
    struct fixture *f = *state;
    int silent[80];
    unsigned connected = 0;

    f->v->handshake_ms = 500;
    for (unsigned i = 0; i < 80; i++) {
        silent[i] = connect_nonblocking(f->path);
        connected += silent[i] >= 0;
        usleep(2000); /* within the listen backlog */
    }
    assert_true(connected > VSOCK_UNIX_MAX_ENDS);

    int c = connect_nonblocking(f->path);
    assert_true(c >= 0);
    assert_int_equal(write(c, "CONNECT 52\n", 11), 11);
    const uint8_t *h = guest_receive(f, VIRTIO_VSOCK_OP_REQUEST);
    if (h == NULL)
        fail_msg("no REQUEST to guest port 52 with %u silent programs connected", connected);
    assert_int_equal(virtio_le32(h + 20), 52);

    /* The guest never answers: the program is let go and the guest told so. */
    if (!closed_by_peer(c))
        fail_msg("a handshake the guest did not answer was still open after 5 s");
    h = guest_receive(f, VIRTIO_VSOCK_OP_RST);
    if (h == NULL)
        fail_msg("no RST to guest port 52 after its handshake timed out");
    assert_int_equal(virtio_le32(h + 20), 52);
    close(c);

    /* A program that says nothing is let go too. */
    for (unsigned i = 0; i < 80; i++) {
        if (silent[i] >= 0 && !closed_by_peer(silent[i]))
            fail_msg("silent program %u was still connected after 5 s", i);
        if (silent[i] >= 0)
            close(silent[i]);
    }
}

static void a_port_nobody_serves_is_reset(void **state)
{
    struct fixture *f = *state;
    struct stat st;

    /* Owner-only from bind on (host_bind_private): another uid has no business here. */
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    guest_send(f, VIRTIO_VSOCK_OP_REQUEST, 1235, 5999, NULL, 0);
    const uint8_t *h = guest_receive(f, VIRTIO_VSOCK_OP_RST);
    if (h == NULL)
        fail_msg("no RST for a connection to host port 5999, which nobody serves");
    assert_int_equal(virtio_le32(h + 16), 5999);
    assert_int_equal(virtio_le32(h + 20), 1235);
}

static void a_path_that_is_not_a_socket_is_refused_by_name(void **state)
{
    char path[64], said[1024], want[160];
    struct stderr_capture c;
    struct vsock_unix *v = calloc(1, sizeof(*v));
    (void)state;

    assert_non_null(v);
    snprintf(path, sizeof(path), "/tmp/test_vsock_unix.%d.file", (int)getpid());
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    assert_int_equal(stderr_capture_begin(&c), 0);
    int r = vsock_unix_open(v, path);
    stderr_capture_end(&c, said, sizeof(said));
    unlink(path);
    free(v);
    assert_int_equal(r, -STDVMM_EEXIST);
    snprintf(want, sizeof(want), "vsock (socket %s): exists and is not a socket", path);
    assert_non_null(strstr(said, want));
    assert_null(strstr(said, "--vsock"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_guest_connection_reaches_the_host_program, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_host_program_reaches_the_guest_port, setup, teardown),
        cmocka_unit_test_setup_teardown(a_port_nobody_serves_is_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_host_programs_do_not_hold_the_slots, setup,
                                        teardown),
        cmocka_unit_test(a_path_that_is_not_a_socket_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
