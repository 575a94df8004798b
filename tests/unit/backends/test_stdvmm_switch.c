/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-switch, the program, driven through its sockets by this
 * project's own vhost-user frontend (src/backends/vhost_user). The test
 * plays three guests: each has its "RAM" in a memfd given to the switch
 * with SET_MEM_TABLE, a receive and a transmit split ring there, and a MAC.
 * a and b are on network lan, c on wan. Asserted: negotiation (VERSION_1,
 * MRG_RXBUF), a frame from b to a arriving in a's receive buffers whole
 * with its virtio-net header, a broadcast from b reaching a and not c, c's
 * frames to a refused (the networks are the allow-list), a frame from b
 * with a's source MAC refused (anti-spoofing), a frame larger than one
 * receive buffer spread over several (MRG_RXBUF), and hostile rings
 * (a buffer outside guest RAM, a looping chain, an indirect table, a
 * writable transmit buffer, a head outside the table, an available index
 * too far ahead) each stopping only that guest's queue until it is set up
 * again.
 *
 *   test_stdvmm_switch STDVMM_SWITCH
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stdvmm/backends/vhost_user.h"
#include "stdvmm/error.h"

#define RAM_SIZE (1u << 20)
#define RAM_GPA 0x40000000ull
#define QSIZE 16u
#define HDR 12u
#define F_VERSION_1 32
#define F_MRG_RXBUF 15
/* Offsets in a guest's RAM: per ring a descriptor table, available and used ring. */
#define RING(q) (0x4000u * (q))
#define DESC 0x0000u
#define AVAIL 0x1000u
#define USED 0x2000u
#define RXBUF 0x10000u /* QSIZE buffers of RXBUF_LEN */
#define RXBUF_LEN 2048u
#define TXBUF 0x40000u

struct guest {
    const char *name;
    uint8_t mac[6];
    struct vhost_user vu;
    int ram_fd, kick[2], call[2];
    uint8_t *ram;
    uint16_t avail_idx[2], used_seen[2];
};

static const char *switch_path;
static char scratch[] = "/tmp/stdvmm-switch-XXXXXX";
static pid_t sw = -1;
static struct guest g[3] = {
    {.name = "a", .mac = {2, 0, 0, 0, 7, 0xa}},
    {.name = "b", .mac = {2, 0, 0, 0, 7, 0xb}},
    {.name = "c", .mac = {2, 0, 0, 0, 7, 0xc}},
};

static void sock_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s.sock", scratch, name);
}

static int start_switch(void **state)
{
    char ports[3][512];
    (void)state;
    for (int i = 0; i < 3; i++) {
        char s[256];
        sock_path(s, sizeof(s), g[i].name);
        snprintf(ports[i], sizeof(ports[i]),
                 "name=%s,socket=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x,networks=%s", g[i].name, s,
                 g[i].mac[0], g[i].mac[1], g[i].mac[2], g[i].mac[3], g[i].mac[4], g[i].mac[5],
                 i == 2 ? "wan" : "lan");
    }
    sw = fork();
    if (sw == 0) {
        execl(switch_path, switch_path, "--port", ports[0], "--port", ports[1], "--port", ports[2],
              (char *)NULL);
        _exit(127);
    }
    char last[256];
    sock_path(last, sizeof(last), "c");
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (stat(last, &st) == 0)
            return 0;
        usleep(50000);
    }
    fprintf(stderr, "stdvmm-switch did not create %s\n", last);
    return -1;
}

static int stop_switch(void **state)
{
    (void)state;
    if (sw > 0) {
        kill(sw, SIGTERM);
        waitpid(sw, NULL, 0);
    }
    rmdir(scratch);
    return 0;
}

static void set_desc(struct guest *x, unsigned q, unsigned i, uint32_t off, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint64_t addr = RAM_GPA + off;
    uint8_t *d = x->ram + RING(q) + DESC + 16 * i;
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

static void make_avail(struct guest *x, unsigned q, uint16_t head)
{
    uint16_t *avail = (uint16_t *)(void *)(x->ram + RING(q) + AVAIL);
    avail[2 + x->avail_idx[q] % QSIZE] = head;
    x->avail_idx[q]++;
    __atomic_store_n(&avail[1], x->avail_idx[q], __ATOMIC_RELEASE);
    uint64_t one = 1;
    assert_int_equal(write(x->kick[q], &one, 8), 8);
}

static uint16_t used_idx(struct guest *x, unsigned q)
{
    return __atomic_load_n((uint16_t *)(void *)(x->ram + RING(q) + USED + 2), __ATOMIC_ACQUIRE);
}

/* Waits up to ms for ring q's used index to reach want. */
static bool wait_used(struct guest *x, unsigned q, uint16_t want, int ms)
{
    for (int t = 0; t < ms / 10; t++) {
        if (used_idx(x, q) == want)
            return true;
        struct pollfd p = {.fd = x->call[q], .events = POLLIN};
        if (poll(&p, 1, 10) == 1) {
            uint64_t n;
            assert_int_equal(read(x->call[q], &n, 8), 8);
        }
    }
    return used_idx(x, q) == want;
}

static void used_entry(struct guest *x, unsigned q, uint16_t idx, uint32_t *id, uint32_t *len)
{
    const uint8_t *e = x->ram + RING(q) + USED + 4 + 8 * (idx % QSIZE);
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
}

static void post_rx(struct guest *x, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint16_t d = (uint16_t)(x->avail_idx[0] % QSIZE);
        set_desc(x, 0, d, RXBUF + d * RXBUF_LEN, RXBUF_LEN, 2 /* WRITE */, 0);
        make_avail(x, 0, d);
    }
}

static void connect_guest(struct guest *x)
{
    uint64_t features;
    char s[256];
    sock_path(s, sizeof(s), x->name);
    assert_int_equal(vhost_user_connect(&x->vu, s), 0);
    assert_int_equal(
        vhost_user_negotiate(&x->vu, 1ull << F_VERSION_1 | 1ull << F_MRG_RXBUF, &features), 0);
    assert_true(features & (1ull << F_VERSION_1));
    assert_true(features & (1ull << F_MRG_RXBUF));
    x->ram_fd = memfd_create(x->name, MFD_CLOEXEC);
    assert_true(x->ram_fd >= 0);
    assert_int_equal(ftruncate(x->ram_fd, RAM_SIZE), 0);
    x->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, x->ram_fd, 0);
    assert_true(x->ram != MAP_FAILED);
    struct vhost_user_region region = {.guest_phys_addr = RAM_GPA,
                                       .size = RAM_SIZE,
                                       .user_addr = (uint64_t)(uintptr_t)x->ram,
                                       .fd = x->ram_fd};
    assert_int_equal(vhost_user_set_mem_table(&x->vu, &region, 1), 0);
    for (unsigned q = 0; q < 2; q++) {
        x->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        x->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        struct vhost_user_vring r = {.index = q,
                                     .num = QSIZE,
                                     .desc = (uint64_t)(uintptr_t)(x->ram + RING(q) + DESC),
                                     .avail = (uint64_t)(uintptr_t)(x->ram + RING(q) + AVAIL),
                                     .used = (uint64_t)(uintptr_t)(x->ram + RING(q) + USED),
                                     .kick_fd = x->kick[q],
                                     .call_fd = x->call[q]};
        assert_int_equal(vhost_user_start_vring(&x->vu, &r), 0);
    }
}

/* Sends a frame of len bytes (dst, src, then a pattern) from x; waits until the switch took it. */
static void send_frame(struct guest *x, const uint8_t *dst, const uint8_t *src, uint32_t len,
                       uint8_t seed)
{
    uint8_t *p = x->ram + TXBUF;
    memset(p, 0, HDR);
    memcpy(p + HDR, dst, 6);
    memcpy(p + HDR + 6, src, 6);
    p[HDR + 12] = 0x88;
    p[HDR + 13] = 0xb5; /* local experimental EtherType */
    for (uint32_t i = 14; i < len; i++)
        p[HDR + i] = (uint8_t)(seed + i);
    uint16_t d = (uint16_t)(x->avail_idx[1] % QSIZE);
    /* Header and frame in two descriptors, as Linux sends them. */
    set_desc(x, 1, d, TXBUF, HDR, 1 /* NEXT */, (uint16_t)((d + 1) % QSIZE));
    set_desc(x, 1, (d + 1) % QSIZE, TXBUF + HDR, len, 0, 0);
    uint16_t want = (uint16_t)(used_idx(x, 1) + 1);
    make_avail(x, 1, d);
    assert_true(wait_used(x, 1, want, 5000));
}

/* Takes b's transmit ring back and hands it over again from where its used index is. */
static void restart_tx(struct guest *x)
{
    uint16_t base = 0;
    assert_int_equal(vhost_user_stop_vring(&x->vu, 1, &base), 0);
    x->avail_idx[1] = used_idx(x, 1);
    __atomic_store_n((uint16_t *)(void *)(x->ram + RING(1) + AVAIL + 2), x->avail_idx[1],
                     __ATOMIC_RELEASE);
    struct vhost_user_vring r = {.index = 1,
                                 .num = QSIZE,
                                 .desc = (uint64_t)(uintptr_t)(x->ram + RING(1) + DESC),
                                 .avail = (uint64_t)(uintptr_t)(x->ram + RING(1) + AVAIL),
                                 .used = (uint64_t)(uintptr_t)(x->ram + RING(1) + USED),
                                 .base = x->avail_idx[1],
                                 .kick_fd = x->kick[1],
                                 .call_fd = x->call[1]};
    assert_int_equal(vhost_user_start_vring(&x->vu, &r), 0);
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void frames_between_guests(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        connect_guest(&g[i]);
        post_rx(&g[i], 8);
    }
    struct guest *a = &g[0], *b = &g[1], *c = &g[2];

    /* b -> a, unicast to a's static MAC: one buffer, header then the frame. */
    send_frame(b, a->mac, b->mac, 100, 1);
    assert_true(wait_used(a, 0, 1, 5000));
    uint32_t id, len;
    used_entry(a, 0, 0, &id, &len);
    assert_int_equal(len, HDR + 100);
    const uint8_t *got = a->ram + RXBUF + id * RXBUF_LEN;
    uint16_t buffers;
    memcpy(&buffers, got + 10, 2);
    assert_int_equal(buffers, 1);
    assert_memory_equal(got + HDR, b->ram + TXBUF + HDR, 100);

    /* A broadcast from b reaches a (lan), not c (wan). */
    send_frame(b, bcast, b->mac, 60, 2);
    assert_true(wait_used(a, 0, 2, 5000));
    assert_false(wait_used(c, 0, 1, 300));

    /* c cannot reach a, by broadcast or by its MAC. */
    send_frame(c, bcast, c->mac, 60, 3);
    send_frame(c, a->mac, c->mac, 60, 4);
    assert_false(wait_used(a, 0, 3, 300));

    /* b may not send from a's MAC. */
    send_frame(b, bcast, a->mac, 60, 5);
    assert_false(wait_used(a, 0, 3, 300));

    /* 5000 bytes do not fit one 2 KiB receive buffer: three, num_buffers says so. */
    send_frame(b, a->mac, b->mac, 5000, 6);
    assert_true(wait_used(a, 0, 5, 5000));
    used_entry(a, 0, 2, &id, &len);
    got = a->ram + RXBUF + id * RXBUF_LEN;
    memcpy(&buffers, got + 10, 2);
    assert_int_equal(buffers, 3);
    assert_int_equal(len, RXBUF_LEN);
    assert_memory_equal(got + HDR, b->ram + TXBUF + HDR, RXBUF_LEN - HDR);

    /* A hostile descriptor stops b's transmit queue, and only it: a still works. */
    uint16_t d = (uint16_t)(b->avail_idx[1] % QSIZE);
    set_desc(b, 1, d, RAM_SIZE - 8, 64, 0, 0); /* runs past the end of b's RAM */
    make_avail(b, 1, d);
    assert_false(wait_used(b, 1, b->avail_idx[1], 300));
    post_rx(b, 4);
    send_frame(a, b->mac, a->mac, 80, 7);
    assert_true(wait_used(a, 1, a->avail_idx[1], 1000));
    assert_true(kill(sw, 0) == 0); /* the switch is still there */

    /* Each other kind of hostile ring stops b's queue too; setting it up again restarts it. */
    for (int kind = 0; kind < 5; kind++) {
        restart_tx(b);
        send_frame(b, a->mac, b->mac, 64, 8); /* the restarted queue works */
        uint16_t used_before = used_idx(b, 1);
        d = (uint16_t)(b->avail_idx[1] % QSIZE);
        uint16_t *avail = (uint16_t *)(void *)(b->ram + RING(1) + AVAIL);
        switch (kind) {
        case 0: /* a chain that loops: d -> d */
            set_desc(b, 1, d, TXBUF, 64, 1 /* NEXT */, d);
            make_avail(b, 1, d);
            break;
        case 1: /* an indirect table, not offered */
            set_desc(b, 1, d, TXBUF, 64, 4 /* INDIRECT */, 0);
            make_avail(b, 1, d);
            break;
        case 2: /* a writable buffer in a transmit chain */
            set_desc(b, 1, d, TXBUF, 64, 2 /* WRITE */, 0);
            make_avail(b, 1, d);
            break;
        case 3: /* a head outside the table */
            avail[2 + b->avail_idx[1] % QSIZE] = QSIZE + 3;
            b->avail_idx[1]++;
            __atomic_store_n(&avail[1], b->avail_idx[1], __ATOMIC_RELEASE);
            assert_int_equal(write(b->kick[1], &(uint64_t){1}, 8), 8);
            break;
        default: /* the available index more than a queue ahead */
            b->avail_idx[1] = (uint16_t)(b->avail_idx[1] + QSIZE + 1);
            __atomic_store_n(&avail[1], b->avail_idx[1], __ATOMIC_RELEASE);
            assert_int_equal(write(b->kick[1], &(uint64_t){1}, 8), 8);
            break;
        }
        usleep(100000);
        assert_int_equal(used_idx(b, 1), used_before);
        assert_true(kill(sw, 0) == 0);
    }

    for (int i = 0; i < 3; i++) {
        vhost_user_close(&g[i].vu);
        munmap(g[i].ram, RAM_SIZE);
        close(g[i].ram_fd);
        for (unsigned q = 0; q < 2; q++) {
            close(g[i].kick[q]);
            close(g[i].call[q]);
        }
    }
}

/* A frontend that goes away leaves the port free for the next one. */
static void reconnect(void **state)
{
    (void)state;
    struct guest x = {.name = "a"};
    connect_guest(&x);
    vhost_user_close(&x.vu);
    munmap(x.ram, RAM_SIZE);
    close(x.ram_fd);
    usleep(100000);
    connect_guest(&x);
    vhost_user_close(&x.vu);
    munmap(x.ram, RAM_SIZE);
    close(x.ram_fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s STDVMM_SWITCH\n", argv[0]);
        return 2;
    }
    switch_path = argv[1];
    if (mkdtemp(scratch) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_between_guests),
        cmocka_unit_test(reconnect),
    };
    return cmocka_run_group_tests(tests, start_switch, stop_switch);
}
