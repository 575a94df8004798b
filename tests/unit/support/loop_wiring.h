/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime's device wiring in small, for backend tests: the transport's
 * queue notification is an eventfd that the device's event loop thread
 * serves by running the model (as src/runtime/virtio_devices.c does with the
 * hypervisor's ioeventfd), and interrupts go nowhere (the tests watch the
 * used rings). Header-only, like virtio_driver.h.
 */
#ifndef STDVMM_TEST_LOOP_WIRING_H
#define STDVMM_TEST_LOOP_WIRING_H

#include <poll.h>
#include <stdint.h>

#include "stdvmm/devices/virtio_device.h"
#include "stdvmm/host/event_loop.h"
#include "stdvmm/host/linux.h"

struct loop_wiring {
    int kick_fd;
    void (*process)(void *model);
    void *model;
};

static inline void loop_wiring_kicked(void *ctx, int fd, short revents)
{
    struct loop_wiring *w = ctx;
    (void)revents;
    host_eventfd_drain(fd);
    w->process(w->model);
}

static inline void loop_wiring_kick(void *ctx)
{
    host_eventfd_signal(((struct loop_wiring *)ctx)->kick_fd);
}

static inline void loop_wiring_no_interrupt(void *ctx)
{
    (void)ctx;
}

/*
 * Points slot's kick at w and adds w's eventfd to loop, which runs
 * process(model) on each notification. 0, or -1.
 */
static inline int loop_wiring_init(struct loop_wiring *w, struct virtio_slot *slot,
                                   struct host_loop *loop, void (*process)(void *model),
                                   void *model)
{
    w->kick_fd = host_eventfd_create();
    w->process = process;
    w->model = model;
    slot->kick = loop_wiring_kick;
    slot->interrupt = loop_wiring_no_interrupt;
    slot->host_ctx = w;
    if (w->kick_fd < 0 || host_loop_add(loop, w->kick_fd, POLLIN, loop_wiring_kicked, w) != 0)
        return -1;
    return 0;
}

#endif
