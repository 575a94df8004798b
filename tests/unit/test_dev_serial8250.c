/* SPDX-License-Identifier: BSD-2-Clause */
/* The 16550A model, driven through a real VM's port I/O bus as the vCPU loop would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/bus.h"
#include "stdvmm/devices/serial8250.h"
#include "stdvmm/error.h"
#include "stdvmm/vm.h"

#define BASE SERIAL8250_COM1_PORT
#define IRQ SERIAL8250_COM1_IRQ

struct fixture {
    struct vm vm;
    struct serial8250 uart;
    uint8_t tx[256];
    size_t tx_len;
    bool irq_level;
    unsigned irq_changes;
    uint32_t irq_number;
    unsigned rx_ready_calls;
    unsigned tx_under_lock;
};

static void record_irq(void *ctx, uint32_t irq, bool level)
{
    struct fixture *f = ctx;

    f->irq_number = irq;
    f->irq_level = level;
    f->irq_changes++;
}

static void record_tx(void *ctx, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;

    assert_true(f->tx_len + len <= sizeof(f->tx));
    /* A sink may block: it must never run with the UART's spin lock held. */
    if (atomic_flag_test_and_set(&f->uart.lock.flag))
        f->tx_under_lock++;
    else
        atomic_flag_clear(&f->uart.lock.flag);
    memcpy(f->tx + f->tx_len, buf, len);
    f->tx_len += len;
}

static void record_rx_ready(void *ctx)
{
    struct fixture *f = ctx;

    f->rx_ready_calls++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct serial8250_config cfg = {
        .base = BASE,
        .is_pio = true,
        .irq = IRQ,
        .set_irq = record_irq,
        .irq_ctx = f,
        .tx = record_tx,
        .tx_ctx = f,
        .rx_ready = record_rx_ready,
        .rx_ready_ctx = f,
    };

    if (f == NULL)
        return -1;
    vm_init(&f->vm, "t", NULL, 1);
    if (serial8250_init(&f->uart, &cfg) != 0 || serial8250_register(&f->uart, &f->vm.pio) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint8_t in(struct fixture *f, unsigned reg)
{
    uint8_t v = 0;

    assert_int_equal(bus_read(&f->vm.pio, BASE + reg, &v, 1), 0);
    return v;
}

static void out(struct fixture *f, unsigned reg, uint8_t v)
{
    assert_int_equal(bus_write(&f->vm.pio, BASE + reg, &v, 1), 0);
}

/* The sequence of Linux's autoconfig(), autoconfig_16550a() and serial8250_do_startup(). */
static void linux_probe_detects_16550a(void **state)
{
    struct fixture *f = *state;
    uint8_t save, scratch2, scratch3, save_mcr, save_lcr, status1, status2, iir1, iir, lsr;

    /* IER holds exactly its low four bits. */
    save = in(f, SERIAL8250_IER);
    out(f, SERIAL8250_IER, 0);
    scratch2 = in(f, SERIAL8250_IER) & 0x0f;
    out(f, SERIAL8250_IER, 0x0f);
    scratch3 = in(f, SERIAL8250_IER) & 0x0f;
    out(f, SERIAL8250_IER, save);
    assert_int_equal(scratch2, 0);
    assert_int_equal(scratch3, 0x0f);

    /* Loopback: OUT2|RTS come back as DCD|CTS. */
    save_mcr = in(f, SERIAL8250_MCR);
    save_lcr = in(f, SERIAL8250_LCR);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_LOOP | 0x0a);
    status1 = in(f, SERIAL8250_MSR) & 0xf0;
    out(f, SERIAL8250_MCR, save_mcr);
    assert_int_equal(status1, 0x90);

    /* FIFO probe: IIR bits 7:6 = 3 means a 16550A. */
    out(f, SERIAL8250_LCR, 0xbf);
    out(f, 2, 0); /* EFR on chips that have one, FCR here */
    out(f, SERIAL8250_LCR, 0);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    assert_int_equal(in(f, SERIAL8250_IIR) >> 6, 3);

    /* No EFR behind LCR=0x80 or LCR=0xbf: offset 2 still reads IIR, never 0. */
    out(f, SERIAL8250_LCR, 0x80);
    assert_int_not_equal(in(f, 2), 0);
    out(f, SERIAL8250_LCR, 0xbf);
    assert_int_not_equal(in(f, 2), 0);
    out(f, SERIAL8250_LCR, 0);

    /* Not a 16750: no 64-byte FIFO bit in IIR. */
    out(f, SERIAL8250_LCR, 0x80);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE | 0x20);
    status1 = in(f, SERIAL8250_IIR) >> 5;
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    out(f, SERIAL8250_LCR, 0);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE | 0x20);
    status2 = in(f, SERIAL8250_IIR) >> 5;
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    assert_false(status1 == 6 && status2 == 7);

    /* Not an XScale: IER bit 6 does not stick. */
    save = in(f, SERIAL8250_IER);
    out(f, SERIAL8250_IER, save | 0x40);
    assert_int_equal(in(f, SERIAL8250_IER) & 0x40, 0);
    out(f, SERIAL8250_IER, save);
    out(f, SERIAL8250_LCR, save_lcr);

    /* Startup: the LSR safety check, then the THRE test. */
    out(f, SERIAL8250_FCR,
        SERIAL8250_FCR_ENABLE | SERIAL8250_FCR_CLEAR_RX | SERIAL8250_FCR_CLEAR_TX);
    (void)in(f, SERIAL8250_LSR);
    (void)in(f, SERIAL8250_RBR);
    (void)in(f, SERIAL8250_IIR);
    (void)in(f, SERIAL8250_MSR);
    assert_int_not_equal(in(f, SERIAL8250_LSR), 0xff);

    out(f, SERIAL8250_IER, SERIAL8250_IER_THRI);
    iir1 = in(f, SERIAL8250_IIR);
    out(f, SERIAL8250_IER, 0);
    out(f, SERIAL8250_IER, SERIAL8250_IER_THRI);
    iir = in(f, SERIAL8250_IIR);
    out(f, SERIAL8250_IER, 0);
    assert_int_equal(iir1 & SERIAL8250_IIR_ID_MASK, SERIAL8250_IIR_THRI);
    assert_int_equal(iir & SERIAL8250_IIR_ID_MASK, SERIAL8250_IIR_THRI);

    /* The TX-enable test that would otherwise mark UART_BUG_TXEN. */
    out(f, SERIAL8250_LCR, 0x03);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_DTR | SERIAL8250_MCR_RTS | SERIAL8250_MCR_OUT2);
    out(f, SERIAL8250_IER, SERIAL8250_IER_THRI);
    lsr = in(f, SERIAL8250_LSR);
    iir = in(f, SERIAL8250_IIR);
    out(f, SERIAL8250_IER, 0);
    assert_true(lsr & SERIAL8250_LSR_TEMT);
    assert_int_equal(iir & SERIAL8250_IIR_NO_INT, 0);
    assert_int_equal(f->tx_len, 0);
}

static void power_on_state(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(in(f, SERIAL8250_IER), 0);
    assert_int_equal(in(f, SERIAL8250_IIR), SERIAL8250_IIR_NO_INT);
    assert_int_equal(in(f, SERIAL8250_LCR), 0);
    assert_int_equal(in(f, SERIAL8250_MCR), 0);
    assert_int_equal(in(f, SERIAL8250_LSR), SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);
    assert_int_equal(in(f, SERIAL8250_MSR),
                     SERIAL8250_MSR_DCD | SERIAL8250_MSR_DSR | SERIAL8250_MSR_CTS);
    out(f, SERIAL8250_SCR, 0x5a);
    assert_int_equal(in(f, SERIAL8250_SCR), 0x5a);
    assert_int_equal(f->irq_changes, 0);
}

static void divisor_latch(void **state)
{
    struct fixture *f = *state;

    out(f, SERIAL8250_IER, SERIAL8250_IER_RDI);
    out(f, SERIAL8250_LCR, SERIAL8250_LCR_DLAB | 0x03);
    assert_int_equal(in(f, SERIAL8250_DLL), 12);
    assert_int_equal(in(f, SERIAL8250_DLM), 0);
    out(f, SERIAL8250_DLL, 0x01);
    out(f, SERIAL8250_DLM, 0x02);
    assert_int_equal(in(f, SERIAL8250_DLL), 0x01);
    assert_int_equal(in(f, SERIAL8250_DLM), 0x02);
    assert_int_equal(f->tx_len, 0); /* DLL writes are not output */

    out(f, SERIAL8250_LCR, 0x03);
    assert_int_equal(in(f, SERIAL8250_IER), SERIAL8250_IER_RDI);
    out(f, SERIAL8250_THR, 'x');
    assert_int_equal(f->tx_len, 1);
    out(f, SERIAL8250_LCR, SERIAL8250_LCR_DLAB | 0x03);
    assert_int_equal(in(f, SERIAL8250_DLL), 0x01);
    assert_int_equal(in(f, SERIAL8250_DLM), 0x02);
}

static void tx_reaches_callback(void **state)
{
    struct fixture *f = *state;
    const char *msg = "Linux version\r\n";

    for (const char *p = msg; *p != '\0'; p++) {
        assert_true(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_THRE);
        out(f, SERIAL8250_THR, (uint8_t)*p);
    }
    assert_int_equal(f->tx_len, strlen(msg));
    assert_memory_equal(f->tx, msg, strlen(msg));
    assert_int_equal(f->tx_under_lock, 0); /* issue #15: write() under the spin lock */
}

static void rx_fifo_fill_and_drain(void **state)
{
    struct fixture *f = *state;
    uint8_t input[20];

    for (unsigned i = 0; i < sizeof(input); i++)
        input[i] = (uint8_t)('a' + i);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);

    assert_int_equal(serial8250_receive(&f->uart, input, sizeof(input)), SERIAL8250_FIFO_SIZE);
    assert_int_equal(serial8250_receive(&f->uart, input, 1), 0);
    assert_int_equal(f->rx_ready_calls, 0);
    assert_true(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);

    /* Refused bytes are flow control, not an overrun. */
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_OE);

    assert_int_equal(in(f, SERIAL8250_RBR), 'a');
    assert_int_equal(f->rx_ready_calls, 1);
    assert_int_equal(serial8250_receive(&f->uart, input + 16, 4), 1);
    for (unsigned i = 1; i < 17; i++)
        assert_int_equal(in(f, SERIAL8250_RBR), input[i]);
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);
    assert_int_equal(f->rx_ready_calls, 2);
    assert_int_equal(in(f, SERIAL8250_RBR), 0); /* empty FIFO */

    /* FCR can clear the receive FIFO. */
    assert_int_equal(serial8250_receive(&f->uart, input, 3), 3);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE | SERIAL8250_FCR_CLEAR_RX);
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);
}

static void overrun_sets_oe(void **state)
{
    struct fixture *f = *state;

    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_LOOP);
    for (unsigned i = 0; i < SERIAL8250_FIFO_SIZE + 1; i++)
        out(f, SERIAL8250_THR, (uint8_t)i);
    assert_int_equal(in(f, SERIAL8250_LSR), SERIAL8250_LSR_OE | SERIAL8250_LSR_DR |
                                                SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);
    /* Reading LSR clears the error; the FIFO keeps what it had. */
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_OE);
    for (unsigned i = 0; i < SERIAL8250_FIFO_SIZE; i++)
        assert_int_equal(in(f, SERIAL8250_RBR), i);
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);
    assert_int_equal(f->tx_len, 0);
}

static void fifo_disabled_is_a_16450(void **state)
{
    struct fixture *f = *state;
    const uint8_t input[2] = {'1', '2'};

    assert_int_equal(in(f, SERIAL8250_IIR) & SERIAL8250_IIR_FIFO_ENABLED, 0);
    assert_int_equal(serial8250_receive(&f->uart, input, 2), 1);
    assert_int_equal(in(f, SERIAL8250_RBR), '1');
    /* Leaving 16450 mode resets the FIFO. */
    assert_int_equal(serial8250_receive(&f->uart, input + 1, 1), 1);
    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    assert_false(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);
    assert_int_equal(in(f, SERIAL8250_IIR) & SERIAL8250_IIR_FIFO_ENABLED,
                     SERIAL8250_IIR_FIFO_ENABLED);
}

static void iir_priorities(void **state)
{
    struct fixture *f = *state;

    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    /* Entering loopback drops DCD, DSR and CTS: three modem-status deltas. */
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_LOOP);
    for (unsigned i = 0; i < SERIAL8250_FIFO_SIZE + 1; i++)
        out(f, SERIAL8250_THR, (uint8_t)i); /* FIFO full plus an overrun */
    out(f, SERIAL8250_IER, SERIAL8250_IER_MASK);

    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_RLSI);
    (void)in(f, SERIAL8250_LSR);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_RDI);
    for (unsigned i = 0; i < SERIAL8250_FIFO_SIZE; i++)
        (void)in(f, SERIAL8250_RBR);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_THRI);
    /* That read acknowledged THRE. */
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_MSI);
    assert_int_equal(in(f, SERIAL8250_MSR),
                     SERIAL8250_MSR_DCTS | SERIAL8250_MSR_DDSR | SERIAL8250_MSR_DDCD);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_NO_INT);

    /* Writing THR re-arms THRE. */
    out(f, SERIAL8250_THR, 'z');
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_RDI);
    (void)in(f, SERIAL8250_RBR);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_THRI);
}

static void rx_trigger_level_and_timeout(void **state)
{
    struct fixture *f = *state;
    uint8_t input[14] = {0};

    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE | (3u << SERIAL8250_FCR_TRIGGER_SHIFT));
    out(f, SERIAL8250_IER, SERIAL8250_IER_RDI);
    assert_int_equal(serial8250_receive(&f->uart, input, 13), 13);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_CTI);
    assert_int_equal(serial8250_receive(&f->uart, input, 1), 1);
    assert_int_equal(in(f, SERIAL8250_IIR), 0xc0 | SERIAL8250_IIR_RDI);
}

static void irq_level_transitions(void **state)
{
    struct fixture *f = *state;
    const uint8_t key = 'k';

    /* THRE is pending but OUT2 holds the PC's interrupt line down. */
    out(f, SERIAL8250_IER, SERIAL8250_IER_THRI);
    assert_int_equal(f->irq_changes, 0);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_OUT2);
    assert_true(f->irq_level);
    assert_int_equal(f->irq_number, IRQ);
    assert_int_equal(f->irq_changes, 1);

    (void)in(f, SERIAL8250_IIR); /* acknowledges THRE */
    assert_false(f->irq_level);
    out(f, SERIAL8250_THR, 'a');
    assert_true(f->irq_level);
    out(f, SERIAL8250_IER, 0);
    assert_false(f->irq_level);
    assert_int_equal(f->irq_changes, 4);

    out(f, SERIAL8250_IER, SERIAL8250_IER_RDI);
    assert_false(f->irq_level);
    assert_int_equal(serial8250_receive(&f->uart, &key, 1), 1);
    assert_true(f->irq_level);
    assert_int_equal(in(f, SERIAL8250_RBR), 'k');
    assert_false(f->irq_level);

    /* Loopback disconnects OUT2 from the line even with data pending. */
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_OUT2 | SERIAL8250_MCR_LOOP);
    out(f, SERIAL8250_THR, 'l');
    assert_true(in(f, SERIAL8250_LSR) & SERIAL8250_LSR_DR);
    assert_false(f->irq_level);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_OUT2);
    assert_true(f->irq_level);
    out(f, SERIAL8250_MCR, 0);
    assert_false(f->irq_level);
}

static void loopback(void **state)
{
    struct fixture *f = *state;
    const uint8_t key = 'q';

    out(f, SERIAL8250_FCR, SERIAL8250_FCR_ENABLE);
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_LOOP | SERIAL8250_MCR_DTR | SERIAL8250_MCR_OUT1);
    assert_int_equal(in(f, SERIAL8250_MSR) & 0xf0, SERIAL8250_MSR_DSR | SERIAL8250_MSR_RI);
    out(f, SERIAL8250_THR, 'L');
    assert_int_equal(f->tx_len, 0);
    assert_int_equal(in(f, SERIAL8250_RBR), 'L');

    /* RI falling is the trailing edge TERI reports. */
    out(f, SERIAL8250_MCR, SERIAL8250_MCR_LOOP | SERIAL8250_MCR_DTR);
    assert_int_equal(in(f, SERIAL8250_MSR), SERIAL8250_MSR_DSR | SERIAL8250_MSR_TERI);

    /* Host input waits until loopback ends. */
    assert_int_equal(serial8250_receive(&f->uart, &key, 1), 0);
    out(f, SERIAL8250_MCR, 0);
    assert_int_equal(f->rx_ready_calls, 1);
    assert_int_equal(serial8250_receive(&f->uart, &key, 1), 1);
    assert_int_equal(in(f, SERIAL8250_RBR), 'q');
    out(f, SERIAL8250_THR, '!');
    assert_int_equal(f->tx_len, 1);
}

static void odd_widths_and_offsets_are_safe(void **state)
{
    struct fixture *f = *state;
    const struct bus_range *r = bus_find(&f->vm.pio, BASE, 1);
    uint8_t buf[8];
    const uint8_t wide[8] = {SERIAL8250_MCR_OUT2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    assert_non_null(r);
    out(f, SERIAL8250_SCR, 0x33);

    /* A wide read reads each byte lane's own register, as a bus splitting it would. */
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(bus_read(&f->vm.pio, BASE + SERIAL8250_SCR - 1, buf, 2), 0);
    assert_int_equal(buf[0], SERIAL8250_MSR_DCD | SERIAL8250_MSR_DSR | SERIAL8250_MSR_CTS);
    assert_int_equal(buf[1], 0x33);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(bus_read(&f->vm.pio, BASE, buf, 8), 0);
    assert_int_equal(buf[SERIAL8250_IIR], SERIAL8250_IIR_NO_INT);
    assert_int_equal(buf[SERIAL8250_LSR], SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);
    assert_int_equal(buf[SERIAL8250_SCR], 0x33);

    /* A wide write sets only the addressed register. */
    assert_int_equal(bus_write(&f->vm.pio, BASE + SERIAL8250_MCR, wide, 4), 0);
    assert_int_equal(in(f, SERIAL8250_MCR), SERIAL8250_MCR_OUT2);
    assert_int_equal(in(f, SERIAL8250_SCR), 0x33);
    assert_int_equal(in(f, SERIAL8250_LSR), SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);

    /* Past the end the bus answers for nobody. */
    assert_int_equal(bus_read(&f->vm.pio, BASE + 7, buf, 2), -STDVMM_ENODEV);
    assert_int_equal(bus_read(&f->vm.pio, BASE + 8, buf, 1), -STDVMM_ENODEV);

    /* Offsets the bus would never pass read as no device, 0xff, in the device itself too. */
    memset(buf, 0xaa, sizeof(buf));
    r->ops->read(r->opaque, 8, buf, 1);
    assert_int_equal(buf[0], 0xff);
    r->ops->read(r->opaque, UINT64_MAX, buf, 8);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(buf[i], 0xff);
    r->ops->read(r->opaque, 6, buf, 4);
    assert_int_equal(buf[1], 0x33);
    assert_int_equal(buf[2], 0xff);
    assert_int_equal(buf[3], 0xff);
    r->ops->write(r->opaque, 0x100, wide, 8);
    r->ops->write(r->opaque, 0, wide, 0);
    assert_int_equal(in(f, SERIAL8250_SCR), 0x33);
    assert_int_equal(f->tx_len, 0);
}

static void init_and_register_refuse_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct serial8250 other;
    struct serial8250_config cfg = {.base = BASE + 4};

    assert_int_equal(serial8250_init(NULL, &cfg), -STDVMM_EINVAL);
    assert_int_equal(serial8250_init(&other, NULL), -STDVMM_EINVAL);
    assert_int_equal(serial8250_init(&other, &cfg), 0);
    assert_int_equal(serial8250_register(&other, NULL), -STDVMM_EINVAL);
    assert_int_equal(serial8250_register(&other, &f->vm.pio), -STDVMM_EEXIST);
    assert_int_equal(serial8250_receive(&other, NULL, 5), 0);
}

static void vm_irq_line(void *ctx, uint32_t irq, bool level)
{
    (void)vm_set_irq_line(ctx, irq, level);
}

static void vm_wired_irq_without_hypervisor(void **state)
{
    struct fixture *f = *state;
    struct serial8250 other;
    struct serial8250_config cfg = {
        .base = 0x2f8, .is_pio = true, .irq = 3, .set_irq = vm_irq_line, .irq_ctx = &f->vm};
    uint8_t v = SERIAL8250_IER_THRI;

    /* The VM has no hypervisor here; raising the line must fail quietly, not crash. */
    assert_int_equal(serial8250_init(&other, &cfg), 0);
    assert_int_equal(serial8250_register(&other, &f->vm.pio), 0);
    assert_int_equal(bus_write(&f->vm.pio, 0x2f8 + SERIAL8250_IER, &v, 1), 0);
    v = SERIAL8250_MCR_OUT2;
    assert_int_equal(bus_write(&f->vm.pio, 0x2f8 + SERIAL8250_MCR, &v, 1), 0);
    assert_int_equal(bus_read(&f->vm.pio, 0x2f8 + SERIAL8250_IIR, &v, 1), 0);
    assert_int_equal(v, SERIAL8250_IIR_THRI);
}

static void irq_without_out2_gate(void **state)
{
    struct fixture *f = *state;
    struct serial8250 other;
    struct serial8250_config cfg = {
        .base = 0x1000, .irq = 33, .set_irq = record_irq, .irq_ctx = f, .irq_ignores_out2 = true};
    uint8_t v = SERIAL8250_IER_THRI;

    assert_int_equal(serial8250_init(&other, &cfg), 0);
    assert_int_equal(serial8250_register(&other, &f->vm.mmio), 0);
    assert_int_equal(bus_write(&f->vm.mmio, 0x1000 + SERIAL8250_IER, &v, 1), 0);
    assert_true(f->irq_level);
    assert_int_equal(f->irq_number, 33);
}

struct deferrable_log {
    struct serial8250 *uart;
    char calls[16];
    unsigned n;
    unsigned without_lock;
};

static void record_deferrable(void *ctx, bool yes)
{
    struct deferrable_log *d = ctx;

    /* Under the lock, so that two vCPUs' changes reach the port in order. */
    if (!atomic_flag_test_and_set(&d->uart->lock.flag)) {
        atomic_flag_clear(&d->uart->lock.flag);
        d->without_lock++;
    }
    assert_true(d->n + 1 < sizeof(d->calls));
    d->calls[d->n++] = yes ? '1' : '0';
}

/*
 * THR writes may be deferred exactly while nothing the guest can see
 * follows from them before its next read: not with the THRE interrupt
 * enabled, not in loopback (the byte is received), not with DLAB set (the
 * write is DLL's). Only changes are told.
 */
static void tx_deferrable_follows_ier_and_loopback(void **state)
{
    struct fixture *f = *state;
    struct serial8250 other;
    struct deferrable_log d = {.uart = &other};
    struct serial8250_config cfg = {
        .base = 0x2f8, .is_pio = true, .tx_deferrable = record_deferrable, .tx_deferrable_ctx = &d};
    const struct {
        unsigned reg;
        uint8_t value;
        const char *calls;
    } steps[] = {
        {SERIAL8250_IER, SERIAL8250_IER_THRI, "10"},
        {SERIAL8250_IER, SERIAL8250_IER_THRI | SERIAL8250_IER_RDI, "10"},
        {SERIAL8250_IER, SERIAL8250_IER_RDI, "101"},
        {SERIAL8250_THR, 'x', "101"},
        {SERIAL8250_MCR, SERIAL8250_MCR_LOOP, "1010"},
        {SERIAL8250_IER, 0, "1010"},
        {SERIAL8250_MCR, SERIAL8250_MCR_OUT2, "10101"},
        /* With DLAB set, offset 1 is the divisor's high byte, not IER. */
        /* ... and offset 0 is DLL, which a register mirror shows without an exit. */
        {SERIAL8250_LCR, SERIAL8250_LCR_DLAB, "101010"},
        {SERIAL8250_DLM, SERIAL8250_IER_THRI, "101010"},
        {SERIAL8250_LCR, 0x03, "1010101"},
        {SERIAL8250_IER, SERIAL8250_IER_THRI, "10101010"},
    };

    assert_int_equal(serial8250_init(&other, &cfg), 0);
    assert_int_equal(d.n, 0); /* nothing before the guest can reach it */
    assert_int_equal(serial8250_register(&other, &f->vm.pio), 0);
    assert_string_equal(d.calls, "1");
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(bus_write(&f->vm.pio, 0x2f8 + steps[i].reg, &steps[i].value, 1), 0);
        assert_string_equal(d.calls, steps[i].calls);
    }
    assert_int_equal(d.without_lock, 0);
}

/* A small deterministic generator: the same states on every run. */
static uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Register values that reach the interesting states more often than uniform bytes. */
static uint8_t random_value(uint32_t *x, unsigned reg)
{
    static const uint8_t lcr[] = {0x03, 0x03, SERIAL8250_LCR_DLAB | 0x03, 0x1b};
    static const uint8_t mcr[] = {SERIAL8250_MCR_OUT2 | SERIAL8250_MCR_RTS | SERIAL8250_MCR_DTR,
                                  SERIAL8250_MCR_OUT2, 0, SERIAL8250_MCR_LOOP | 0x0a};
    uint32_t r = next_random(x);

    switch (reg) {
    case SERIAL8250_IER:
        return (uint8_t)(r & SERIAL8250_IER_MASK);
    case SERIAL8250_FCR:
        return (uint8_t)(r & 0xc7);
    case SERIAL8250_LCR:
        return lcr[r % 4];
    case SERIAL8250_MCR:
        return mcr[r % 4];
    default:
        return (uint8_t)r;
    }
}

/* One random guest or host action on a UART reached through bus. */
static void random_action(uint32_t *x, struct serial8250 *u, struct bus *bus, uint64_t base)
{
    uint32_t r = next_random(x);
    unsigned reg = (r >> 8) % SERIAL8250_REG_COUNT;
    uint8_t v = random_value(x, reg), in[3] = {'a', 'b', 'c'};

    if (r % 8 < 4) {
        assert_int_equal(bus_write(bus, base + reg, &v, 1), 0);
    } else if (r % 8 < 6) {
        assert_int_equal(bus_read(bus, base + reg, &v, 1), 0);
    } else if (r % 8 == 6) {
        (void)serial8250_receive(u, in, 1 + (r >> 16) % 3);
    } else {
        assert_int_equal(bus_read(bus, base + SERIAL8250_RBR, &v, 1), 0);
    }
}

/*
 * The mirror's invariant: whenever the model says its registers are
 * static, a read of each offset returns that byte and changes nothing,
 * not the state, not the interrupt line, not the host's input flow.
 */
static void static_regs_read_without_side_effects(void **state)
{
    struct fixture *f = *state;
    uint32_t x = 0x8250u;
    unsigned statics = 0, dynamics = 0, dlab_statics = 0;

    const struct serial8250_config cfg = f->uart.cfg;

    for (unsigned seq = 0; seq < 400; seq++) {
        assert_int_equal(serial8250_init(&f->uart, &cfg), 0);
        f->irq_level = false;
        f->tx_len = 0;
        for (unsigned step = 0; step < 60; step++) {
            uint8_t regs[SERIAL8250_REG_COUNT];
            random_action(&x, &f->uart, &f->vm.pio, BASE);
            if (!serial8250_static_regs(&f->uart, regs)) {
                dynamics++;
                continue;
            }
            statics++;
            if (f->uart.lcr & SERIAL8250_LCR_DLAB)
                dlab_statics++;
            for (unsigned reg = 0; reg < SERIAL8250_REG_COUNT; reg++) {
                struct serial8250 before;
                unsigned irq_changes = f->irq_changes, ready = f->rx_ready_calls;
                memcpy(&before, &f->uart, sizeof(before));
                assert_int_equal(in(f, reg), regs[reg]);
                assert_memory_equal(&before, &f->uart, sizeof(before));
                assert_int_equal(f->irq_changes, irq_changes);
                assert_int_equal(f->rx_ready_calls, ready);
            }
            /* A wide read is the bytes side by side. */
            uint8_t wide[8];
            assert_int_equal(bus_read(&f->vm.pio, BASE, wide, 8), 0);
            assert_memory_equal(wide, regs, 8);
        }
    }
    /* The walk reaches both kinds of state, and static ones with DLAB set. */
    assert_true(statics > 1000);
    assert_true(dynamics > 1000);
    assert_true(dlab_statics > 50);
}

/* What a guest sees of the mirrored UART: the test's copy of its page. */
struct page_log {
    struct serial8250 *uart;
    bool on;
    uint8_t page[4096];
    unsigned installs, withdrawals, rewrites, without_lock;
};

static int record_mirror(void *ctx, const uint8_t *regs)
{
    struct page_log *p = ctx;

    if (!atomic_flag_test_and_set(&p->uart->lock.flag)) {
        atomic_flag_clear(&p->uart->lock.flag);
        p->without_lock++;
    }
    if (regs == NULL) {
        assert_true(p->on);
        p->on = false;
        p->withdrawals++;
        return 0;
    }
    if (p->on)
        p->rewrites++;
    else
        p->installs++;
    p->on = true;
    memcpy(p->page, regs, SERIAL8250_REG_COUNT);
    memset(p->page + SERIAL8250_REG_COUNT, 0xff, sizeof(p->page) - SERIAL8250_REG_COUNT);
    return 0;
}

#define MBASE 0x9000000ull
#define RBASE 0xa000000ull

/*
 * The guest's view through the mirror equals its view without one: two
 * UARTs get the same random actions, one mirrored (its reads come from the
 * page while the page is there, as the hypervisor would serve them), one
 * whose every read exits; every read, narrow and wide, answers the same.
 */
static void mirror_is_invisible_to_the_guest(void **state)
{
    struct fixture *f = *state;
    struct serial8250 m, ref;
    struct page_log p = {.uart = &m};
    struct bus ref_bus;
    struct serial8250_config mc = {
        .base = MBASE, .irq = 5, .mirror = record_mirror, .mirror_ctx = &p, .window = 4096};
    struct serial8250_config rc = {.base = RBASE, .irq = 5, .window = 4096};
    uint32_t x = 0x16550u;
    uint64_t now = 0;
    unsigned page_reads = 0;

    bus_init(&ref_bus, "ref");
    assert_int_equal(serial8250_init(&m, &mc), 0);
    assert_int_equal(serial8250_init(&ref, &rc), 0);
    assert_int_equal(serial8250_register(&m, &f->vm.mmio), 0);
    assert_int_equal(serial8250_register(&ref, &ref_bus), 0);
    for (unsigned step = 0; step < 20000; step++) {
        uint32_t r = next_random(&x);
        if (r % 4 == 0) {
            /* A guest read of any width at any offset of the page. */
            static const uint32_t lens[] = {1, 1, 2, 4, 8};
            uint32_t len = lens[(r >> 4) % 5];
            uint64_t off = (r >> 8) % 12;
            uint8_t got[8], want[8];
            if (p.on) {
                memcpy(got, p.page + off, len);
                page_reads++;
            } else {
                assert_int_equal(bus_read(&f->vm.mmio, MBASE + off, got, len), 0);
            }
            assert_int_equal(bus_read(&ref_bus, RBASE + off, want, len), 0);
            assert_memory_equal(got, want, len);
            continue;
        }
        /* The same action on both: replay the generator's state for the second. */
        uint32_t again = x;
        random_action(&x, &m, &f->vm.mmio, MBASE);
        random_action(&again, &ref, &ref_bus, RBASE);
        now += (r >> 12) % 30 * 1000000ull;
        serial8250_mirror_tick(&m, now, 50000000ull);
    }
    assert_true(page_reads > 500);
    assert_true(p.installs > 10);
    assert_true(p.withdrawals > 10);
    assert_int_equal(p.without_lock, 0);
}

/*
 * Installing waits for 50 ms of static state seen by ticks; anything
 * that makes a read matter withdraws the page at once; a change that keeps
 * reads static rewrites it in place.
 */
static void mirror_installs_with_hysteresis(void **state)
{
    struct fixture *f = *state;
    struct serial8250 m;
    struct page_log p = {.uart = &m};
    struct serial8250_config mc = {
        .base = MBASE, .irq = 5, .mirror = record_mirror, .mirror_ctx = &p, .window = 4096};
    const uint64_t quiet = 50000000ull;
    uint8_t v, in = 'z';

    assert_int_equal(serial8250_init(&m, &mc), 0);
    assert_int_equal(serial8250_register(&m, &f->vm.mmio), 0);
    serial8250_mirror_tick(&m, 1000, quiet);
    assert_false(p.on);
    serial8250_mirror_tick(&m, 1000 + quiet - 1, quiet);
    assert_false(p.on);
    serial8250_mirror_tick(&m, 1000 + quiet, quiet);
    assert_true(p.on);
    assert_int_equal(p.page[SERIAL8250_LSR], SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);
    assert_int_equal(p.page[SERIAL8250_IIR], SERIAL8250_IIR_NO_INT);
    assert_int_equal(p.page[100], 0xff);

    /* A static change: rewritten in place, still on. */
    v = 0x5a;
    assert_int_equal(bus_write(&f->vm.mmio, MBASE + SERIAL8250_SCR, &v, 1), 0);
    assert_true(p.on);
    assert_int_equal(p.page[SERIAL8250_SCR], 0x5a);
    assert_int_equal(p.rewrites, 1);

    /* Input: gone before receive returns (and before the line rises). */
    assert_int_equal(serial8250_receive(&m, &in, 1), 1);
    assert_false(p.on);
    assert_int_equal(p.withdrawals, 1);

    /* The guest drains it through exits; static again, but only ticks reinstall. */
    assert_int_equal(bus_read(&f->vm.mmio, MBASE + SERIAL8250_RBR, &v, 1), 0);
    assert_int_equal(v, 'z');
    assert_false(p.on);
    uint64_t t = 10 * quiet;
    serial8250_mirror_tick(&m, t, quiet);
    assert_false(p.on); /* the unrest since the last tick restarts the wait */
    /* Unrest between two ticks, with static states at both, restarts it too. */
    assert_int_equal(serial8250_receive(&m, &in, 1), 1);
    assert_int_equal(bus_read(&f->vm.mmio, MBASE + SERIAL8250_RBR, &v, 1), 0);
    serial8250_mirror_tick(&m, t + quiet, quiet);
    assert_false(p.on);
    serial8250_mirror_tick(&m, t + 2 * quiet, quiet);
    assert_true(p.on);
    assert_int_equal(p.installs, 2);

    /* The THRE interrupt enabled: pending at once, so IIR's read would clear it. */
    v = SERIAL8250_IER_THRI;
    assert_int_equal(bus_write(&f->vm.mmio, MBASE + SERIAL8250_IER, &v, 1), 0);
    assert_false(p.on);
    assert_int_equal(p.without_lock, 0);
}

/* A failing mirror ends mirroring; the UART goes on with exits. */
static int refuse_mirror(void *ctx, const uint8_t *regs)
{
    unsigned *calls = ctx;

    (*calls)++;
    return regs != NULL ? -STDVMM_ENOTSUP : 0;
}

static void mirror_failure_stops_trying(void **state)
{
    struct fixture *f = *state;
    struct serial8250 m;
    unsigned calls = 0;
    struct serial8250_config mc = {
        .base = MBASE, .mirror = refuse_mirror, .mirror_ctx = &calls, .window = 4096};
    struct serial8250_config bad = {.base = RBASE, .window = 4};

    assert_int_equal(serial8250_init(&m, &mc), 0);
    assert_int_equal(serial8250_register(&m, &f->vm.mmio), 0);
    for (uint64_t t = 0; t < 10; t++)
        serial8250_mirror_tick(&m, t * 100000000ull, 50000000ull);
    assert_int_equal(calls, 1);
    assert_int_equal(serial8250_init(&m, &bad), 0);
    assert_int_equal(serial8250_register(&m, &f->vm.mmio), -STDVMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(linux_probe_detects_16550a, setup, teardown),
        cmocka_unit_test_setup_teardown(power_on_state, setup, teardown),
        cmocka_unit_test_setup_teardown(divisor_latch, setup, teardown),
        cmocka_unit_test_setup_teardown(tx_reaches_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(rx_fifo_fill_and_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(overrun_sets_oe, setup, teardown),
        cmocka_unit_test_setup_teardown(fifo_disabled_is_a_16450, setup, teardown),
        cmocka_unit_test_setup_teardown(iir_priorities, setup, teardown),
        cmocka_unit_test_setup_teardown(rx_trigger_level_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(irq_level_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(odd_widths_and_offsets_are_safe, setup, teardown),
        cmocka_unit_test_setup_teardown(init_and_register_refuse_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(vm_wired_irq_without_hypervisor, setup, teardown),
        cmocka_unit_test_setup_teardown(irq_without_out2_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(tx_deferrable_follows_ier_and_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(static_regs_read_without_side_effects, setup, teardown),
        cmocka_unit_test_setup_teardown(mirror_is_invisible_to_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(mirror_installs_with_hysteresis, setup, teardown),
        cmocka_unit_test_setup_teardown(mirror_failure_stops_trying, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
