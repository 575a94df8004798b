/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vhost-user frontend's socket side: one request at a time, file
 * descriptors as SCM_RIGHTS, every reply waited for with a deadline (a
 * backend that stops answering must not hang the VMM) and checked by
 * vhost_user_msg.c. Once anything is out of protocol the connection is
 * marked broken and refuses further requests.
 */
#include "stdvmm/backends/vhost_user.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "vhost_user_msg.h"

#define REPLY_TIMEOUT_MS 5000
/* The protocol features this frontend implements. */
#define PROTOCOL_FEATURES                                                                          \
    (1ull << VHOST_USER_PROTOCOL_F_MQ | 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK |                  \
     1ull << VHOST_USER_PROTOCOL_F_CONFIG)
/* Only behind an IOMMU: without one the backend has no misses to send. */
#define IOTLB_PROTOCOL_FEATURES                                                                    \
    (1ull << VHOST_USER_PROTOCOL_F_IOTLB | 1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ)

static int fail(struct vhost_user *vu, int err)
{
    vu->broken = true;
    return err;
}

static int send_msg(struct vhost_user *vu, const struct vhu_msg *m, const int *fds, unsigned nfds)
{
    uint8_t bytes[VHU_HDR_SIZE + VHU_MAX_PAYLOAD];
    size_t len = vhu_msg_encode(m, bytes, sizeof(bytes));
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
    } ctl;
    struct iovec iov = {.iov_base = bytes, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (vu->broken) {
        LOG_ERR("vhost-user %s: the connection broke earlier; %s not sent", vu->path,
                vhu_request_name(m->request));
        return -STDVMM_EIO;
    }
    if (len == 0 || nfds > VHOST_USER_MAX_REGIONS)
        return fail(vu, -STDVMM_EINVAL);
    if (nfds > 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do
        n = sendmsg(vu->fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len) {
        LOG_ERR("vhost-user %s: sending %s: %s", vu->path, vhu_request_name(m->request),
                n < 0 ? strerror(errno) : "short write");
        return fail(vu, -STDVMM_EIO);
    }
    return 0;
}

/* Exactly len bytes, within the deadline; descriptors the backend sends along are closed. */
static int recv_exact(struct vhost_user *vu, uint8_t *buf, size_t len, const char *what)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = {.fd = vu->fd, .events = POLLIN};
        int r = poll(&p, 1, REPLY_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            LOG_ERR("vhost-user %s: no reply to %s within %d ms", vu->path, what, REPLY_TIMEOUT_MS);
            return -STDVMM_EIO;
        }
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * 8)];
        } ctl;
        struct iovec iov = {.iov_base = buf + got, .iov_len = len - got};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.buf,
                            .msg_controllen = sizeof(ctl)};
        ssize_t n = r < 0 ? -1 : recvmsg(vu->fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                close(fd);
            }
        }
        if (n <= 0) {
            LOG_ERR("vhost-user %s: reading the reply to %s: %s", vu->path, what,
                    n == 0 ? "the backend closed the connection" : strerror(errno));
            return -STDVMM_EIO;
        }
        got += (size_t)n;
    }
    return 0;
}

static int recv_reply(struct vhost_user *vu, enum vhu_request req, struct vhu_msg *m)
{
    uint8_t bytes[VHU_HDR_SIZE + VHU_MAX_PAYLOAD];
    uint32_t size;
    int r = recv_exact(vu, bytes, VHU_HDR_SIZE, vhu_request_name(req));

    if (r < 0)
        return fail(vu, r);
    memcpy(&size, bytes + 8, sizeof(size));
    /* A payload we would not accept is not read: decode reports it, and the stream is lost. */
    size_t payload = size <= VHU_MAX_PAYLOAD ? size : 0;
    if (payload > 0 &&
        (r = recv_exact(vu, bytes + VHU_HDR_SIZE, payload, vhu_request_name(req))) < 0)
        return fail(vu, r);
    if ((r = vhu_reply_decode(bytes, VHU_HDR_SIZE + payload, req, m)) < 0) {
        LOG_ERR("vhost-user %s: the backend broke the protocol; connection dropped", vu->path);
        return fail(vu, r);
    }
    return 0;
}

/*
 * A request without a reply of its own. With REPLY_ACK the backend is asked
 * to confirm it, so that a failure (a region it cannot map, a ring it
 * refuses) is an error here and not a silent stall later.
 */
static int request(struct vhost_user *vu, struct vhu_msg *m, const int *fds, unsigned nfds)
{
    bool ack = vu->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
    enum vhu_request req = (enum vhu_request)m->request;

    if (ack)
        m->flags |= VHU_FLAG_NEED_REPLY;
    int r = send_msg(vu, m, fds, nfds);
    if (r < 0 || !ack)
        return r;
    struct vhu_msg reply;
    uint64_t status;
    if ((r = recv_reply(vu, req, &reply)) < 0)
        return r;
    if ((r = vhu_reply_u64(&reply, &status)) < 0)
        return fail(vu, r);
    if (status != 0) {
        LOG_ERR("vhost-user %s: the backend refused %s (status %llu)", vu->path,
                vhu_request_name(req), (unsigned long long)status);
        return -STDVMM_EIO;
    }
    return 0;
}

static int get_u64(struct vhost_user *vu, enum vhu_request req, uint64_t *value)
{
    struct vhu_msg m;
    int r;

    vhu_msg_plain(&m, req);
    if ((r = send_msg(vu, &m, NULL, 0)) < 0 || (r = recv_reply(vu, req, &m)) < 0)
        return r;
    if ((r = vhu_reply_u64(&m, value)) < 0)
        return fail(vu, r);
    return 0;
}

int vhost_user_connect(struct vhost_user *vu, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    memset(vu, 0, sizeof(*vu));
    vu->fd = -1;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        LOG_ERR("vhost-user socket path '%s' is longer than %zu bytes", path,
                sizeof(sa.sun_path) - 1);
        return -STDVMM_EINVAL;
    }
    snprintf(vu->path, sizeof(vu->path), "%s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    vu->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (vu->fd < 0 || connect(vu->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        LOG_ERR("vhost-user backend at %s: %s (is the backend running?)", path, strerror(errno));
        vhost_user_close(vu);
        return -STDVMM_ENOENT;
    }
    return 0;
}

void vhost_user_close(struct vhost_user *vu)
{
    if (vu->fd >= 0)
        close(vu->fd);
    vu->fd = -1;
    vu->broken = true;
}

int vhost_user_negotiate(struct vhost_user *vu, uint64_t wanted, uint64_t *features)
{
    struct vhu_msg m;
    int r;

    vhu_msg_plain(&m, VHU_SET_OWNER);
    if ((r = send_msg(vu, &m, NULL, 0)) < 0)
        return r;
    if ((r = get_u64(vu, VHU_GET_FEATURES, &vu->backend_features)) < 0)
        return r;
    uint64_t proto_bit = 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
    if (vu->backend_features & proto_bit) {
        uint64_t offered;
        if ((r = get_u64(vu, VHU_GET_PROTOCOL_FEATURES, &offered)) < 0)
            return r;
        uint64_t mine = PROTOCOL_FEATURES | (vu->iotlb ? IOTLB_PROTOCOL_FEATURES : 0);
        vhu_msg_u64(&m, VHU_SET_PROTOCOL_FEATURES, offered & mine);
        if ((r = send_msg(vu, &m, NULL, 0)) < 0)
            return r;
        vu->protocol_features = offered & mine;
    }
    vu->features = vu->backend_features & (wanted | proto_bit);
    vhu_msg_u64(&m, VHU_SET_FEATURES, vu->features);
    if ((r = request(vu, &m, NULL, 0)) < 0)
        return r;
    *features = vu->features & ~proto_bit;
    LOG_INFO("vhost-user %s: features 0x%llx of 0x%llx, protocol features 0x%llx", vu->path,
             (unsigned long long)vu->features, (unsigned long long)vu->backend_features,
             (unsigned long long)vu->protocol_features);
    return 0;
}

int vhost_user_set_features(struct vhost_user *vu, uint64_t features)
{
    uint64_t proto_bit = vu->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    struct vhu_msg m;

    if ((features & ~vu->backend_features) != 0) {
        LOG_ERR("vhost-user %s: features 0x%llx are not all offered by the backend (0x%llx)",
                vu->path, (unsigned long long)features, (unsigned long long)vu->backend_features);
        return -STDVMM_EINVAL;
    }
    vhu_msg_u64(&m, VHU_SET_FEATURES, features | proto_bit);
    int r = request(vu, &m, NULL, 0);
    if (r == 0)
        vu->features = features | proto_bit;
    return r;
}

int vhost_user_set_mem_table(struct vhost_user *vu, const struct vhost_user_region *r,
                             unsigned count)
{
    struct vhu_msg m;
    int fds[VHOST_USER_MAX_REGIONS];
    int err = vhu_msg_mem_table(&m, r, count);

    if (err < 0)
        return err;
    for (unsigned i = 0; i < count; i++)
        fds[i] = r[i].fd;
    return request(vu, &m, fds, count);
}

int vhost_user_get_config(struct vhost_user *vu, uint32_t offset, void *buf, uint32_t size)
{
    struct vhu_msg m;
    const uint8_t *data;
    int r;

    if (!(vu->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG))) {
        LOG_ERR("vhost-user %s: the backend does not serve config space (no CONFIG protocol "
                "feature)",
                vu->path);
        return -STDVMM_ENOTSUP;
    }
    if ((r = vhu_msg_config(&m, offset, size)) < 0)
        return r;
    if ((r = send_msg(vu, &m, NULL, 0)) < 0 || (r = recv_reply(vu, VHU_GET_CONFIG, &m)) < 0)
        return r;
    if ((r = vhu_reply_config(&m, offset, size, &data)) < 0)
        return fail(vu, r);
    memcpy(buf, data, size);
    return 0;
}

int vhost_user_queue_num(struct vhost_user *vu, uint32_t *count)
{
    uint64_t n;
    int r;

    if (!(vu->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_MQ))) {
        *count = 1;
        return 0;
    }
    if ((r = get_u64(vu, VHU_GET_QUEUE_NUM, &n)) < 0)
        return r;
    if (n == 0 || n > 1024) {
        LOG_ERR("vhost-user %s: the backend says it has %llu queues", vu->path,
                (unsigned long long)n);
        return fail(vu, -STDVMM_EPROTO);
    }
    *count = (uint32_t)n;
    return 0;
}

static int vring_fd(struct vhost_user *vu, enum vhu_request req, uint32_t index, int fd)
{
    struct vhu_msg m;

    vhu_msg_u64(&m, req, index | (fd < 0 ? VHU_VRING_NOFD : 0));
    return request(vu, &m, fd < 0 ? NULL : &fd, fd < 0 ? 0 : 1);
}

int vhost_user_start_vring(struct vhost_user *vu, const struct vhost_user_vring *v)
{
    struct vhu_msg m;
    int r;

    if (v->num == 0 || v->num > 32768 || (v->num & (v->num - 1)) != 0 || v->index > 0xff) {
        LOG_ERR("vhost-user %s: vring %u of %u entries cannot be described", vu->path, v->index,
                v->num);
        return -STDVMM_EINVAL;
    }
    vhu_msg_state(&m, VHU_SET_VRING_NUM, v->index, v->num);
    if ((r = request(vu, &m, NULL, 0)) < 0)
        return r;
    vhu_msg_state(&m, VHU_SET_VRING_BASE, v->index, v->base);
    if ((r = request(vu, &m, NULL, 0)) < 0)
        return r;
    vhu_msg_addr(&m, v->index, v->desc, v->used, v->avail);
    if ((r = request(vu, &m, NULL, 0)) < 0)
        return r;
    if ((r = vring_fd(vu, VHU_SET_VRING_CALL, v->index, v->call_fd)) < 0 ||
        (r = vring_fd(vu, VHU_SET_VRING_KICK, v->index, v->kick_fd)) < 0)
        return r;
    /* With protocol features a ring starts disabled (the specification's "Rings"). */
    if (vu->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) {
        vhu_msg_state(&m, VHU_SET_VRING_ENABLE, v->index, 1);
        if ((r = request(vu, &m, NULL, 0)) < 0)
            return r;
    }
    return 0;
}

int vhost_user_stop_vring(struct vhost_user *vu, uint32_t index, uint16_t *base)
{
    struct vhu_msg m;
    uint32_t num;
    int r;

    vhu_msg_state(&m, VHU_GET_VRING_BASE, index, 0);
    if ((r = send_msg(vu, &m, NULL, 0)) < 0 || (r = recv_reply(vu, VHU_GET_VRING_BASE, &m)) < 0)
        return r;
    if ((r = vhu_reply_state(&m, index, &num)) < 0)
        return fail(vu, r);
    if (num > 0xffff) {
        LOG_ERR("vhost-user %s: vring %u stopped at index %u, beyond 16 bits", vu->path, index,
                num);
        return fail(vu, -STDVMM_EPROTO);
    }
    *base = (uint16_t)num;
    return 0;
}

int vhost_user_set_backend_req_fd(struct vhost_user *vu, int fd)
{
    struct vhu_msg m;

    vhu_msg_plain(&m, VHU_SET_BACKEND_REQ_FD);
    return request(vu, &m, &fd, 1);
}

int vhost_user_iotlb_update(struct vhost_user *vu, uint64_t iova, uint64_t size, uint64_t uaddr,
                            unsigned perm)
{
    struct vhu_msg m;

    vhu_msg_iotlb(&m, VHU_IOTLB_UPDATE, iova, size, uaddr, perm);
    return request(vu, &m, NULL, 0);
}

int vhost_user_iotlb_invalidate(struct vhost_user *vu, uint64_t iova, uint64_t size)
{
    struct vhu_msg m;

    vhu_msg_iotlb(&m, VHU_IOTLB_INVALIDATE, iova, size, 0, 0);
    return request(vu, &m, NULL, 0);
}
