/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User networking (src/backends/linux/net_slirp.c, libslirp) under the real
 * virtio-net model, on an event loop thread as the runtime runs it, with no
 * TAP and no privilege: the guest's ARP question for the gateway gets
 * libslirp's answer in the receive queue, a host connection to a forwarded
 * port reaches the guest as a TCP SYN to its port, a forward onto a
 * taken port is refused with a message naming the device, not a flag, and
 * a guest opening connection after connection (restrict=off) holds at most
 * NET_SLIRP_MAX_SOCKETS host sockets.
 */
#include <dirent.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/backends/net_slirp.h"
#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"
#include "support/loop_wiring.h"
#include "support/stderr_capture.h"
#include "support/virtio_driver.h"

#define RXQ VIRTIO_NET_RX
#define TXQ VIRTIO_NET_TX
#define RX_BUFS 16
#define RX_BUF(i) (TD_DATA + 0x1000ull * (i))
#define TX_BUF (TD_DATA + 0x100000ull)
#define GUEST_PORT 22

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fixture {
    struct td d;
    struct net_slirp slirp;
    struct virtio_net net;
    struct virtio_mmio t;
    struct host_loop loop;
    struct loop_wiring wiring;
    uint16_t host_port;
    uint16_t rx_seen;
};

static void process(void *model)
{
    virtio_net_process(model);
}

/* A port nobody listens on now: the kernel picks it, then it is given back. */
static uint16_t free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 0;
    close(fd);
    return ntohs(a.sin_port);
}

static void post_rx(struct fixture *f, uint16_t i)
{
    td_desc(&f->d, RXQ, i, RX_BUF(i), 0x1000, VIRTQ_DESC_F_WRITE, 0);
    td_avail(&f->d, RXQ, i);
}

static int setup_mode(void **state, bool restricted)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    f->host_port = free_port();
    /* tcp:127.0.0.1:PORT-10.0.2.15:22, in libslirp's restricted mode (the default). */
    struct spelling_hostfwd fwd = {.host_addr = {127, 0, 0, 1},
                                   .host_port = f->host_port,
                                   .guest_addr = {10, 0, 2, 15},
                                   .guest_port = GUEST_PORT};
    if (f->host_port == 0 || net_slirp_open(&f->slirp, "net0", &fwd, 1, restricted) != 0)
        return -1;
    struct virtio_net_config cfg = {
        .slot = td_slot(&f->d, "net0"),
        .backend = net_slirp_backend(&f->slirp),
    };
    memcpy(cfg.mac, guest_mac, sizeof(guest_mac));
    if (host_loop_init(&f->loop, "net0") != 0 ||
        loop_wiring_init(&f->wiring, &cfg.slot, &f->loop, process, &f->net) != 0 ||
        virtio_net_init(&f->net, &cfg) != 0 || virtio_mmio_init(&f->t, &f->net.vdev) != 0 ||
        net_slirp_attach(&f->slirp, &f->net, &f->loop) != 0)
        return -1;
    td_start(&f->d, &f->t, 2, 64,
             TD_FEATURES_ALL | VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    for (uint16_t i = 0; i < RX_BUFS; i++)
        post_rx(f, i);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (host_loop_start(&f->loop) != 0)
        return -1;
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ); /* the receive buffers are there */
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_mode(state, true);
}

static int setup_unrestricted(void **state)
{
    return setup_mode(state, false);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    host_loop_stop(&f->loop);
    net_slirp_detach(&f->slirp);
    host_loop_destroy(&f->loop);
    net_slirp_close(&f->slirp);
    close(f->wiring.kick_fd);
    td_free(&f->d);
    free(f);
    return 0;
}

/* Sends one Ethernet frame (after a zero virtio_net_hdr) on the transmit queue. */
static void transmit(struct fixture *f, const uint8_t *frame, size_t len)
{
    uint8_t *p = td_ptr(&f->d, TX_BUF);
    memset(p, 0, VIRTIO_NET_HDR_SIZE);
    memcpy(p + VIRTIO_NET_HDR_SIZE, frame, len);
    td_desc(&f->d, TXQ, 0, TX_BUF, (uint32_t)(VIRTIO_NET_HDR_SIZE + len), 0, 0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    td_avail(&f->d, TXQ, 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
}

/*
 * Waits up to 5 s for the next received frame that pred accepts (others,
 * such as libslirp's own ARP questions, are skipped); its bytes after the
 * virtio_net_hdr, or NULL.
 */
static const uint8_t *receive(struct fixture *f, bool (*pred)(const uint8_t *frame, uint32_t len),
                              uint32_t *len_out)
{
    uint32_t id, len;
    while (td_next_used(&f->d, RXQ, &f->rx_seen, 5000, &id, &len)) {
        assert_true(id < RX_BUFS);
        assert_true(len > VIRTIO_NET_HDR_SIZE && len <= 0x1000);
        const uint8_t *frame = td_ptr(&f->d, RX_BUF(id)) + VIRTIO_NET_HDR_SIZE;
        if (pred(frame, len - VIRTIO_NET_HDR_SIZE)) {
            *len_out = len - VIRTIO_NET_HDR_SIZE;
            return frame;
        }
    }
    return NULL;
}

static bool is_arp_reply(const uint8_t *e, uint32_t len)
{
    return len >= 42 && e[12] == 0x08 && e[13] == 0x06 && e[20] == 0 && e[21] == 2;
}

static bool is_tcp_syn(const uint8_t *e, uint32_t len)
{
    /* IPv4 without options, TCP, SYN without ACK. */
    return len >= 54 && e[12] == 0x08 && e[13] == 0x00 && e[14] == 0x45 && e[23] == 6 &&
           (e[47] & 0x12) == 0x02;
}

/* "Who has 10.0.2.2? Tell 10.0.2.15", from the guest's MAC. */
static void ask_for_the_gateway(struct fixture *f)
{
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memcpy(arp + 6, guest_mac, 6);
    arp[12] = 0x08, arp[13] = 0x06;                        /* ARP */
    arp[14] = 0, arp[15] = 1, arp[16] = 0x08, arp[17] = 0; /* Ethernet, IPv4 */
    arp[18] = 6, arp[19] = 4, arp[20] = 0, arp[21] = 1;    /* request */
    memcpy(arp + 22, guest_mac, 6);
    memcpy(arp + 28, (uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(arp + 38, (uint8_t[]){10, 0, 2, 2}, 4);
    transmit(f, arp, sizeof(arp));
}

static void the_gateway_answers_arp(void **state)
{
    struct fixture *f = *state;
    uint32_t len;

    ask_for_the_gateway(f);
    const uint8_t *e = receive(f, is_arp_reply, &len);
    if (e == NULL)
        fail_msg("no ARP reply from 10.0.2.2 within 5 s");
    assert_memory_equal(e, guest_mac, 6);      /* to us */
    assert_memory_equal(e + 32, guest_mac, 6); /* target hardware address */
    assert_memory_equal(e + 28, ((uint8_t[]){10, 0, 2, 2}), 4);
    assert_memory_equal(e + 38, ((uint8_t[]){10, 0, 2, 15}), 4);
    assert_true(virtio_net_stats(&f->net)->tx_frames >= 1);
}

static void a_host_forward_reaches_the_guest(void **state)
{
    struct fixture *f = *state;
    uint32_t len;

    ask_for_the_gateway(f); /* libslirp learns the guest's MAC from it */
    assert_non_null(receive(f, is_arp_reply, &len));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(f->host_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    connect(fd, (struct sockaddr *)&a, sizeof(a)); /* completes when libslirp accepts */
    const uint8_t *e = receive(f, is_tcp_syn, &len);
    close(fd);
    if (e == NULL)
        fail_msg("a connection to 127.0.0.1:%u did not reach the guest", f->host_port);
    assert_memory_equal(e, guest_mac, 6);
    assert_memory_equal(e + 30, ((uint8_t[]){10, 0, 2, 15}), 4); /* IPv4 destination */
    assert_int_equal((e[36] << 8) | e[37], GUEST_PORT);          /* TCP destination port */
}

static uint16_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* A TCP SYN from 10.0.2.15:sport to 10.0.2.2:dport (the host's loopback), checksummed. */
static void syn_frame(uint8_t e[54], const uint8_t gw_mac[6], uint16_t sport, uint16_t dport)
{
    memset(e, 0, 54);
    memcpy(e, gw_mac, 6);
    memcpy(e + 6, guest_mac, 6);
    e[12] = 0x08;
    uint8_t *ip = e + 14, *tcp = e + 34;
    ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
    memcpy(ip + 12, (uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(ip + 16, (uint8_t[]){10, 0, 2, 2}, 4);
    uint16_t c = (uint16_t)~csum_add(0, ip, 20);
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
    tcp[7] = 1;                       /* sequence number */
    tcp[12] = 5 << 4, tcp[13] = 0x02; /* 20 bytes, SYN */
    tcp[14] = 0xff, tcp[15] = 0xff;   /* window */
    uint8_t pseudo[12] = {10, 0, 2, 15, 10, 0, 2, 2, 0, 6, 0, 20};
    c = (uint16_t)~csum_add(csum_add(0, pseudo, 12), tcp, 20);
    tcp[16] = (uint8_t)(c >> 8), tcp[17] = (uint8_t)c;
}

static unsigned open_fds(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/*
 * Before, every SYN the guest sent became a host socket (a connect to the
 * host's loopback), without end: 400 SYNs, 400 descriptors, and those past
 * the event loop's 512 never polled.
 */
static void the_guest_holds_a_bounded_number_of_host_sockets(void **state)
{
    struct fixture *f = *state;
    struct rlimit rl;
    uint32_t len;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
        rl.rlim_cur = 2048;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 4096), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);

    ask_for_the_gateway(f);
    const uint8_t *arp = receive(f, is_arp_reply, &len);
    assert_non_null(arp);
    uint8_t gw_mac[6];
    memcpy(gw_mac, arp + 6, 6);
    uint16_t tx_seen = td_used_idx(&f->d, TXQ); /* the ARP question's is in */
    unsigned before = open_fds();
    for (unsigned i = 0; i < 400; i++) {
        uint8_t e[54];
        uint32_t id, used;
        syn_frame(e, gw_mac, (uint16_t)(20000 + i), ntohs(a.sin_port));
        transmit(f, e, sizeof(e));
        if (!td_next_used(&f->d, TXQ, &tx_seen, 5000, &id, &used))
            fail_msg("SYN %u was not taken within 5 s", i);
        if (i % 50 == 49)
            usleep(50000); /* a few event loop rounds */
    }
    usleep(200000);
    unsigned grew = open_fds() - before;
    print_message("400 guest SYNs: %u host sockets (libslirp counts %u, %llu SYNs dropped)\n", grew,
                  f->slirp.sockets, (unsigned long long)f->slirp.refused);
    if (grew > NET_SLIRP_MAX_SOCKETS + 8)
        fail_msg("400 guest SYNs opened %u host sockets, over the bound of %d", grew,
                 NET_SLIRP_MAX_SOCKETS);
    assert_true(grew >= NET_SLIRP_MAX_SOCKETS / 2); /* the SYNs did reach the host */
    close(l);
}

static void a_taken_port_is_refused_by_name(void **state)
{
    struct fixture *f = *state;
    struct net_slirp other;
    struct spelling_hostfwd fwd = {.host_addr = {127, 0, 0, 1},
                                   .host_port = f->host_port,
                                   .guest_addr = {10, 0, 2, 15},
                                   .guest_port = 80};
    struct stderr_capture c;
    char said[1024], want[160];

    assert_int_equal(stderr_capture_begin(&c), 0);
    int r = net_slirp_open(&other, "net1", &fwd, 1, true);
    stderr_capture_end(&c, said, sizeof(said));
    assert_int_equal(r, -STDVMM_EBUSY);
    snprintf(want, sizeof(want),
             "net 'net1' (user): hostfwd=tcp:127.0.0.1:%u-10.0.2.15:80: cannot listen",
             f->host_port);
    assert_non_null(strstr(said, want));
    assert_null(strstr(said, "--net"));
}

int main(void)
{
    if (!net_slirp_available()) {
        printf("test_net_slirp: built without libslirp; nothing to test\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_gateway_answers_arp, setup, teardown),
        cmocka_unit_test_setup_teardown(a_host_forward_reaches_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(a_taken_port_is_refused_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(the_guest_holds_a_bounded_number_of_host_sockets,
                                        setup_unrestricted, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
