/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small AF_VSOCK tool for the guest kit (busybox has no vsock and socat
 * pulls in OpenSSL), linked statically:
 *   stdvmm-vsock connect CID PORT   stdin to the socket, the socket to stdout
 *   stdvmm-vsock listen PORT        accepts one connection and echoes it back
 * Like nc: end of stdin shuts the socket's write side; end of the socket
 * ends the program.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* After sys/socket.h: some kernels' uapi header uses struct sockaddr without including it. */
#include <linux/vm_sockets.h>

static int usage(void)
{
    fprintf(stderr, "usage: stdvmm-vsock connect CID PORT | listen PORT\n");
    return 2;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies in -> sock and sock -> out until the socket ends. */
static int relay(int in, int sock, int out)
{
    static char buf[65536];
    int in_open = in >= 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = in_open ? in : -1, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (p[1].revents) {
            ssize_t n = read(in, buf, sizeof(buf));
            if (n <= 0) {
                in_open = 0;
                shutdown(sock, SHUT_WR);
            } else if (write_all(sock, buf, (size_t)n) < 0) {
                return 1;
            }
        }
        if (p[0].revents) {
            ssize_t n = read(sock, buf, sizeof(buf));
            if (n <= 0)
                return n < 0 ? 1 : 0;
            if (write_all(out, buf, (size_t)n) < 0)
                return 1;
        }
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_vm addr = {.svm_family = AF_VSOCK};
    int s = socket(AF_VSOCK, SOCK_STREAM, 0);

    if (s < 0) {
        perror("stdvmm-vsock: socket(AF_VSOCK)");
        return 1;
    }
    if (argc == 4 && strcmp(argv[1], "connect") == 0) {
        addr.svm_cid = (unsigned)strtoul(argv[2], NULL, 10);
        addr.svm_port = (unsigned)strtoul(argv[3], NULL, 10);
        if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            perror("stdvmm-vsock: connect");
            return 1;
        }
        return relay(STDIN_FILENO, s, STDOUT_FILENO);
    }
    if (argc == 3 && strcmp(argv[1], "listen") == 0) {
        addr.svm_cid = VMADDR_CID_ANY;
        addr.svm_port = (unsigned)strtoul(argv[2], NULL, 10);
        if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 1) < 0) {
            perror("stdvmm-vsock: listen");
            return 1;
        }
        printf("listening\n");
        fflush(stdout);
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            perror("stdvmm-vsock: accept");
            return 1;
        }
        /* Echo: what comes in goes back out, until the peer ends its side. */
        static char buf[65536];
        for (;;) {
            ssize_t n = read(c, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            if (write_all(c, buf, (size_t)n) < 0)
                return 1;
        }
        shutdown(c, SHUT_WR);
        /* Wait for the peer to close, so the last bytes are not cut by a reset. */
        while (read(c, buf, sizeof(buf)) > 0) {
        }
        close(c);
        return 0;
    }
    return usage();
}
