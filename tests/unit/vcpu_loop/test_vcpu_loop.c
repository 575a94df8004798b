/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vCPU loop hands the port's buffered writes to the devices before it
 * handles any exit, so that the access that exited finds every earlier
 * write done: the console UART's transmit register is buffered (no exit per
 * byte) and the guest's next register read must still see its effects.
 * The port here is a script: each step queues writes, then returns an exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/hv.h"
#include "stdvmm/vm.h"

#define UART SERIAL8250_COM1_PORT
#define PROBE 0x80 /* a device that notes how much output there was when it was read */

struct queued {
    uint64_t addr;
    uint8_t byte;
};

struct step {
    const char *queue; /* bytes the guest wrote to THR without exiting, before this exit */
    enum hv_exit_reason reason;
    uint64_t addr;
    bool is_write;
    uint8_t value;
};

static struct {
    const struct step *steps;
    unsigned count, next;
    struct queued queue[64];
    unsigned head, tail;
    uint8_t io[8];
    unsigned drains_without_fn;
} port;

struct hv_vm {
    int unused;
};
struct hv_vcpu {
    int unused;
};

int hv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *ex)
{
    (void)vcpu;
    memset(ex, 0, sizeof(*ex));
    if (port.next == port.count) {
        ex->reason = HV_EXIT_SYSTEM_OFF;
        return 0;
    }
    const struct step *s = &port.steps[port.next++];
    for (const char *c = s->queue; c != NULL && *c != '\0'; c++) {
        assert_true(port.tail < sizeof(port.queue) / sizeof(port.queue[0]));
        port.queue[port.tail++] =
            (struct queued){.addr = UART + SERIAL8250_THR, .byte = (uint8_t)*c};
    }
    ex->reason = s->reason;
    ex->io.addr = s->addr;
    ex->io.len = 1;
    ex->io.count = 1;
    ex->io.is_write = s->is_write;
    port.io[0] = s->value;
    ex->io.data = port.io;
    return 0;
}

unsigned hv_vm_drain_writes(struct hv_vm *vm, hv_write_fn fn, void *ctx)
{
    unsigned n = 0;

    (void)vm;
    for (; port.head < port.tail; port.head++, n++)
        fn(ctx, port.queue[port.head].addr, 1, &port.queue[port.head].byte, true);
    return n;
}

int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level)
{
    (void)vm, (void)irq, (void)level;
    return 0;
}

int hv_vm_irq_target(struct hv_vm *vm, uint32_t irq, unsigned *vcpu)
{
    (void)vm, (void)irq, (void)vcpu;
    return -STDVMM_ENOTSUP;
}

void hv_vcpu_kick(struct hv_vcpu *vcpu)
{
    (void)vcpu;
}

struct fixture {
    struct hv_vm hv;
    struct hv_vcpu hv_vcpu;
    struct vm vm;
    struct serial8250 uart;
    char out[64];
    size_t out_len;
    size_t seen_by_probe[4];
    unsigned probe_reads;
};

static struct fixture fx;

static void tx(void *ctx, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;
    assert_true(f->out_len + len < sizeof(f->out));
    memcpy(f->out + f->out_len, buf, len);
    f->out_len += len;
}

static void probe_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct fixture *f = opaque;
    (void)offset;
    memset(data, 0, len);
    assert_true(f->probe_reads < 4);
    f->seen_by_probe[f->probe_reads++] = f->out_len;
}

static void probe_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    (void)opaque, (void)offset, (void)data, (void)len;
}

static const struct bus_device_ops probe_ops = {.read = probe_read, .write = probe_write};

static void run_script(const struct step *steps, unsigned count)
{
    struct fixture *f = &fx;
    struct serial8250_config cfg = {.base = UART, .is_pio = true, .tx = tx, .tx_ctx = f};

    memset(f, 0, sizeof(*f));
    memset(&port, 0, sizeof(port));
    port.steps = steps;
    port.count = count;
    vm_init(&f->vm, "t", &f->hv, 1);
    f->vm.vcpus[0].hv = &f->hv_vcpu;
    assert_int_equal(serial8250_init(&f->uart, &cfg), 0);
    assert_int_equal(serial8250_register(&f->uart, &f->vm.pio), 0);
    assert_int_equal(bus_register(&f->vm.pio, PROBE, 1, &probe_ops, f, "probe"), 0);
    assert_int_equal(vcpu_run_loop(&f->vm.vcpus[0]), 0);
    assert_int_equal(vm_stop_reason(&f->vm), VM_STOP_POWEROFF);
}

static void queued_writes_come_before_every_exit(void **state)
{
    (void)state;
    const struct step steps[] = {
        {.queue = "ab", .reason = HV_EXIT_PIO, .addr = PROBE},
        {.queue = "cd", .reason = HV_EXIT_KICKED},
        {.queue = "e", .reason = HV_EXIT_PIO, .addr = PROBE},
        /* Not queued (the ring was full, say): it exits, after what was queued. */
        {.queue = "f", .reason = HV_EXIT_PIO, .addr = UART, .is_write = true, .value = 'g'},
        {.queue = "h", .reason = HV_EXIT_HALTED},
    };

    run_script(steps, sizeof(steps) / sizeof(steps[0]));
    assert_int_equal(fx.probe_reads, 2);
    assert_int_equal(fx.seen_by_probe[0], 2);
    assert_int_equal(fx.seen_by_probe[1], 5);
    assert_int_equal(fx.out_len, 8);
    assert_memory_equal(fx.out, "abcdefgh", 8);
}

/* The write that powers the guest off comes after its last queued console bytes. */
static void the_last_bytes_arrive_before_power_off(void **state)
{
    (void)state;
    const struct step steps[] = {
        {.queue = "reboot: Power down\r\n", .reason = HV_EXIT_SYSTEM_OFF},
    };

    run_script(steps, 1);
    assert_int_equal(fx.out_len, strlen("reboot: Power down\r\n"));
    assert_memory_equal(fx.out, "reboot: Power down\r\n", fx.out_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queued_writes_come_before_every_exit),
        cmocka_unit_test(the_last_bytes_arrive_before_power_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
