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

    /* A wide read sees the register in its low byte and zeros above. */
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(bus_read(&f->vm.pio, BASE + SERIAL8250_SCR - 1, buf, 2), 0);
    assert_int_equal(buf[0], SERIAL8250_MSR_DCD | SERIAL8250_MSR_DSR | SERIAL8250_MSR_CTS);
    assert_int_equal(buf[1], 0);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(bus_read(&f->vm.pio, BASE, buf, 8), 0);
    for (unsigned i = 1; i < 8; i++)
        assert_int_equal(buf[i], 0);

    /* A wide write sets only the addressed register. */
    assert_int_equal(bus_write(&f->vm.pio, BASE + SERIAL8250_MCR, wide, 4), 0);
    assert_int_equal(in(f, SERIAL8250_MCR), SERIAL8250_MCR_OUT2);
    assert_int_equal(in(f, SERIAL8250_SCR), 0x33);
    assert_int_equal(in(f, SERIAL8250_LSR), SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);

    /* Past the end the bus answers for nobody. */
    assert_int_equal(bus_read(&f->vm.pio, BASE + 7, buf, 2), -STDVMM_ENODEV);
    assert_int_equal(bus_read(&f->vm.pio, BASE + 8, buf, 1), -STDVMM_ENODEV);

    /* Offsets the bus would never pass are still refused by the device itself. */
    memset(buf, 0xaa, sizeof(buf));
    r->ops->read(r->opaque, 8, buf, 1);
    assert_int_equal(buf[0], 0);
    r->ops->read(r->opaque, UINT64_MAX, buf, 8);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(buf[i], 0);
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
 * enabled, not in loopback (the byte is received). Only changes are told.
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
        {SERIAL8250_LCR, SERIAL8250_LCR_DLAB, "10101"},
        {SERIAL8250_DLM, SERIAL8250_IER_THRI, "10101"},
        {SERIAL8250_LCR, 0x03, "10101"},
        {SERIAL8250_IER, SERIAL8250_IER_THRI, "101010"},
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
