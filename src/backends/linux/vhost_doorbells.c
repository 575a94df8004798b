/* SPDX-License-Identifier: BSD-2-Clause */
/* Kicks and relayed calls of a device served elsewhere (stdvmm/backends/vhost_doorbells.h). */
#include "stdvmm/backends/vhost_doorbells.h"

#include <poll.h>
#include <unistd.h>

#include "stdvmm/error.h"
#include "stdvmm/host/linux.h"

void vhost_doorbells_init(struct vhost_doorbells *b)
{
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        b->kick[i] = b->call[i] = -1;
    b->model = NULL;
}

static void on_call(void *ctx, int fd, short revents)
{
    struct vhost_doorbells *b = ctx;
    (void)revents;
    if (host_eventfd_drain(fd))
        virtio_vhost_used(b->model);
}

int vhost_doorbells_attach(struct vhost_doorbells *b, unsigned count, const int *kick_fds,
                           struct virtio_vhost *model, struct host_loop *loop)
{
    int r = 0;

    if (count > VIRTIO_MAX_QUEUES)
        return -STDVMM_EINVAL;
    b->model = model;
    for (unsigned i = 0; r == 0 && i < count; i++) {
        b->kick[i] = kick_fds[i];
        b->call[i] = host_eventfd_create();
        if (b->call[i] < 0)
            r = -STDVMM_EIO;
        else
            r = host_loop_add(loop, b->call[i], POLLIN, on_call, b);
    }
    return r;
}

void vhost_doorbells_detach(struct vhost_doorbells *b)
{
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        if (b->call[i] >= 0)
            close(b->call[i]);
        b->call[i] = b->kick[i] = -1;
    }
    b->model = NULL;
}
