/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A UART model. Behaviour follows the National PC16550D data sheet where
 * Linux's 8250 driver depends on it: the probe in autoconfig() and the THRE
 * test in serial8250_do_startup() must find a well-behaved 16550A, or the
 * driver falls back to polling with a timer or refuses the port.
 */
#include "stdvmm/devices/serial8250.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stdvmm/error.h"
#include "stdvmm/log.h"
#include "stdvmm/sync.h"

#define LSR_ERRORS (SERIAL8250_LSR_OE | SERIAL8250_LSR_PE | SERIAL8250_LSR_FE | SERIAL8250_LSR_BI)
#define MSR_DELTAS                                                                                 \
    (SERIAL8250_MSR_DCTS | SERIAL8250_MSR_DDSR | SERIAL8250_MSR_TERI | SERIAL8250_MSR_DDCD)
#define MSR_LINES (SERIAL8250_MSR_CTS | SERIAL8250_MSR_DSR | SERIAL8250_MSR_RI | SERIAL8250_MSR_DCD)

/* 115200 / 12 = 9600 baud, the divisor PC firmware leaves behind. */
#define POWER_ON_DIVISOR 12

static const uint8_t rx_trigger_levels[4] = {1, 4, 8, 14};

static unsigned rx_capacity(const struct serial8250 *s)
{
    /* With the FIFO off the chip is a 16450: a single receive holding register. */
    return s->fifo_enabled ? SERIAL8250_FIFO_SIZE : 1;
}

static void rx_clear(struct serial8250 *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
}

/* Loopback input: an overrun loses the new character and sets OE, as on the chip. */
static void rx_push_or_overrun(struct serial8250 *s, uint8_t byte)
{
    if (s->rx_count >= rx_capacity(s)) {
        s->lsr_errors |= SERIAL8250_LSR_OE;
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL8250_FIFO_SIZE] = byte;
    s->rx_count++;
}

static uint8_t rx_pop(struct serial8250 *s)
{
    uint8_t byte;

    if (s->rx_count == 0)
        return 0;
    byte = s->rx_fifo[s->rx_head];
    s->rx_head = (uint8_t)((s->rx_head + 1) % SERIAL8250_FIFO_SIZE);
    s->rx_count--;
    return byte;
}

/* The modem inputs (MSR bits 7:4) as the chip sees them now. */
static uint8_t modem_inputs(const struct serial8250 *s)
{
    uint8_t in = 0;

    if (!(s->mcr & SERIAL8250_MCR_LOOP)) {
        /* A virtual line always has a carrier and a peer ready to receive. */
        return SERIAL8250_MSR_DCD | SERIAL8250_MSR_DSR | SERIAL8250_MSR_CTS;
    }
    /* Loopback wires the modem outputs to the inputs; Linux's probe checks this. */
    if (s->mcr & SERIAL8250_MCR_DTR)
        in |= SERIAL8250_MSR_DSR;
    if (s->mcr & SERIAL8250_MCR_RTS)
        in |= SERIAL8250_MSR_CTS;
    if (s->mcr & SERIAL8250_MCR_OUT1)
        in |= SERIAL8250_MSR_RI;
    if (s->mcr & SERIAL8250_MCR_OUT2)
        in |= SERIAL8250_MSR_DCD;
    return in;
}

static void update_msr(struct serial8250 *s)
{
    uint8_t before = s->msr & MSR_LINES;
    uint8_t now = modem_inputs(s);
    uint8_t changed = before ^ now;
    uint8_t deltas = s->msr & MSR_DELTAS;

    if (changed & SERIAL8250_MSR_CTS)
        deltas |= SERIAL8250_MSR_DCTS;
    if (changed & SERIAL8250_MSR_DSR)
        deltas |= SERIAL8250_MSR_DDSR;
    if (changed & SERIAL8250_MSR_DCD)
        deltas |= SERIAL8250_MSR_DDCD;
    /* TERI reports only the trailing edge of the ring indicator. */
    if ((before & SERIAL8250_MSR_RI) && !(now & SERIAL8250_MSR_RI))
        deltas |= SERIAL8250_MSR_TERI;
    s->msr = (uint8_t)(now | deltas);
}

static uint8_t lsr_value(const struct serial8250 *s)
{
    uint8_t lsr = (uint8_t)(s->lsr_errors | SERIAL8250_LSR_THRE | SERIAL8250_LSR_TEMT);

    if (s->rx_count > 0)
        lsr |= SERIAL8250_LSR_DR;
    return lsr;
}

/* The highest-priority pending interrupt, in the chip's fixed order. */
static uint8_t pending_interrupt(const struct serial8250 *s)
{
    if ((s->ier & SERIAL8250_IER_RLSI) && (s->lsr_errors & LSR_ERRORS))
        return SERIAL8250_IIR_RLSI;
    if ((s->ier & SERIAL8250_IER_RDI) && s->rx_count > 0) {
        unsigned trigger = s->fifo_enabled ? s->rx_trigger : 1;
        /*
         * There is no baud clock here, so data below the trigger level raises
         * the character timeout at once instead of four character times later.
         */
        return s->rx_count >= trigger ? SERIAL8250_IIR_RDI : SERIAL8250_IIR_CTI;
    }
    if ((s->ier & SERIAL8250_IER_THRI) && s->thre_pending)
        return SERIAL8250_IIR_THRI;
    if ((s->ier & SERIAL8250_IER_MSI) && (s->msr & MSR_DELTAS))
        return SERIAL8250_IIR_MSI;
    return SERIAL8250_IIR_NO_INT;
}

static void update_irq(struct serial8250 *s)
{
    bool level = pending_interrupt(s) != SERIAL8250_IIR_NO_INT;

    if (!s->cfg.irq_ignores_out2 &&
        (!(s->mcr & SERIAL8250_MCR_OUT2) || (s->mcr & SERIAL8250_MCR_LOOP)))
        level = false;
    /* Only changes reach the hypervisor: each one may be a system call. */
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->cfg.set_irq != NULL)
            s->cfg.set_irq(s->cfg.irq_ctx, s->cfg.irq, level);
    }
}

/*
 * A THR write whose only effects are output to the host and the LSR that
 * the guest's next read shows may arrive late without the guest telling:
 * not so once a THRE interrupt or the loopback's received byte follows it.
 * With DLAB set, offset 0 is DLL, which the register mirror shows without
 * an exit that would first take the late write in.
 */
static void update_tx_deferrable(struct serial8250 *s)
{
    bool yes = !(s->ier & SERIAL8250_IER_THRI) && !(s->mcr & SERIAL8250_MCR_LOOP) &&
               !(s->lcr & SERIAL8250_LCR_DLAB);

    if (yes == s->tx_deferred || s->cfg.tx_deferrable == NULL)
        return;
    s->tx_deferred = yes;
    s->cfg.tx_deferrable(s->cfg.tx_deferrable_ctx, yes);
}

bool serial8250_static_regs(const struct serial8250 *s, uint8_t regs[SERIAL8250_REG_COUNT])
{
    bool dlab = s->lcr & SERIAL8250_LCR_DLAB;

    if (s->rx_count > 0 || s->rx_refused || s->lsr_errors != 0 || (s->msr & MSR_DELTAS) ||
        (s->mcr & SERIAL8250_MCR_LOOP) || pending_interrupt(s) == SERIAL8250_IIR_THRI)
        return false;
    /* What read_register() returns in this state; an empty RBR reads 0. */
    regs[SERIAL8250_RBR] = dlab ? s->dll : 0;
    regs[SERIAL8250_IER] = dlab ? s->dlm : s->ier;
    regs[SERIAL8250_IIR] =
        (uint8_t)(pending_interrupt(s) | (s->fifo_enabled ? SERIAL8250_IIR_FIFO_ENABLED : 0));
    regs[SERIAL8250_LCR] = s->lcr;
    regs[SERIAL8250_MCR] = s->mcr;
    regs[SERIAL8250_LSR] = lsr_value(s);
    regs[SERIAL8250_MSR] = s->msr;
    regs[SERIAL8250_SCR] = s->scr;
    return true;
}

/* The mirror gave up: it is gone (the callback's promise) and stays off. */
static void mirror_failed(struct serial8250 *s)
{
    s->mirror_dead = true;
    s->mirror_on = false;
}

/*
 * After every change of state, before anything else shows it to the guest:
 * a mirror that no longer holds is withdrawn, one that still holds is
 * rewritten where its bytes moved.
 */
static void update_mirror(struct serial8250 *s)
{
    uint8_t regs[SERIAL8250_REG_COUNT];

    if (s->cfg.mirror == NULL || s->mirror_dead)
        return;
    if (!serial8250_static_regs(s, regs)) {
        s->unstable_count++;
        if (s->mirror_on) {
            s->mirror_on = false;
            if (s->cfg.mirror(s->cfg.mirror_ctx, NULL) < 0)
                mirror_failed(s);
        }
        return;
    }
    if (!s->mirror_on || memcmp(regs, s->mirror_regs, sizeof(regs)) == 0)
        return;
    memcpy(s->mirror_regs, regs, sizeof(regs));
    if (s->cfg.mirror(s->cfg.mirror_ctx, regs) < 0)
        mirror_failed(s);
}

void serial8250_mirror_tick(struct serial8250 *s, uint64_t now_ns, uint64_t quiet_ns)
{
    uint8_t regs[SERIAL8250_REG_COUNT];

    if (s == NULL || s->cfg.mirror == NULL)
        return;
    stdvmm_lock(&s->lock);
    if (s->mirror_dead || s->mirror_on) {
        stdvmm_unlock(&s->lock);
        return;
    }
    if (!serial8250_static_regs(s, regs))
        s->unstable_count++;
    if (s->unstable_count != s->watched_count) {
        /* Unsettled since the last look: the quiet time starts again now. */
        s->watched_count = s->unstable_count;
        s->quiet_since_ns = now_ns;
    } else if (now_ns - s->quiet_since_ns >= quiet_ns) {
        memcpy(s->mirror_regs, regs, sizeof(regs));
        s->mirror_on = true;
        if (s->cfg.mirror(s->cfg.mirror_ctx, regs) < 0)
            mirror_failed(s);
    }
    stdvmm_unlock(&s->lock);
}

/* Whether the host should be told now that it may offer input again. */
static bool take_rx_ready(struct serial8250 *s)
{
    if (!s->rx_refused || (s->mcr & SERIAL8250_MCR_LOOP) || s->rx_count >= rx_capacity(s))
        return false;
    s->rx_refused = false;
    return true;
}

static void transmit(struct serial8250 *s, uint8_t byte)
{
    if (s->mcr & SERIAL8250_MCR_LOOP) {
        rx_push_or_overrun(s, byte);
    } else if (s->cfg.tx != NULL) {
        /*
         * Sent by the bus write after it drops the lock: the sink may block
         * (a full pipe, a stopped terminal), and other vCPUs spinning on
         * this lock meanwhile livelock under SCHED_FIFO.
         */
        s->tx_byte = byte;
        s->tx_waiting = true;
    }
    /* Writing THR clears the THRE interrupt; the instant transmitter empties THR again. */
    s->thre_pending = true;
}

static void write_ier(struct serial8250 *s, uint8_t value)
{
    uint8_t old = s->ier;

    /* Bits 7:4 read as zero on a 16550A; Linux's probe and XScale test rely on it. */
    s->ier = value & SERIAL8250_IER_MASK;
    /*
     * Enabling THRI while THR is empty raises the interrupt at once; Linux
     * tests this at startup and otherwise falls back to a polling timer.
     */
    if ((s->ier & SERIAL8250_IER_THRI) && !(old & SERIAL8250_IER_THRI))
        s->thre_pending = true;
    else if (!(s->ier & SERIAL8250_IER_THRI))
        s->thre_pending = false;
}

static void write_fcr(struct serial8250 *s, uint8_t value)
{
    bool enable = value & SERIAL8250_FCR_ENABLE;

    /* Switching between 16450 and FIFO mode resets the FIFOs. */
    if (enable != s->fifo_enabled) {
        rx_clear(s);
        s->fifo_enabled = enable;
    }
    /* The other FCR bits are written only together with FIFO enable. */
    if (!enable)
        return;
    if (value & SERIAL8250_FCR_CLEAR_RX)
        rx_clear(s);
    s->rx_trigger = rx_trigger_levels[value >> SERIAL8250_FCR_TRIGGER_SHIFT];
    /* The transmit FIFO is always empty, so CLEAR_TX has nothing to do; DMA mode is unused. */
}

static uint8_t read_register(struct serial8250 *s, unsigned reg)
{
    uint8_t value;

    switch (reg) {
    case SERIAL8250_RBR:
        if (s->lcr & SERIAL8250_LCR_DLAB)
            return s->dll;
        return rx_pop(s);
    case SERIAL8250_IER:
        if (s->lcr & SERIAL8250_LCR_DLAB)
            return s->dlm;
        return s->ier;
    case SERIAL8250_IIR:
        value = pending_interrupt(s);
        /* Reading IIR acknowledges a THRE interrupt, and only when it is the one shown. */
        if (value == SERIAL8250_IIR_THRI)
            s->thre_pending = false;
        if (s->fifo_enabled)
            value |= SERIAL8250_IIR_FIFO_ENABLED;
        return value;
    case SERIAL8250_LCR:
        return s->lcr;
    case SERIAL8250_MCR:
        return s->mcr;
    case SERIAL8250_LSR:
        value = lsr_value(s);
        s->lsr_errors = 0;
        return value;
    case SERIAL8250_MSR:
        value = s->msr;
        s->msr &= (uint8_t)~MSR_DELTAS;
        return value;
    case SERIAL8250_SCR:
        return s->scr;
    default:
        return 0;
    }
}

static void write_register(struct serial8250 *s, unsigned reg, uint8_t value)
{
    switch (reg) {
    case SERIAL8250_THR:
        if (s->lcr & SERIAL8250_LCR_DLAB)
            s->dll = value;
        else
            transmit(s, value);
        break;
    case SERIAL8250_IER:
        if (s->lcr & SERIAL8250_LCR_DLAB)
            s->dlm = value;
        else
            write_ier(s, value);
        break;
    case SERIAL8250_FCR:
        write_fcr(s, value);
        break;
    case SERIAL8250_LCR:
        s->lcr = value;
        break;
    case SERIAL8250_MCR:
        s->mcr = value & SERIAL8250_MCR_MASK;
        update_msr(s);
        break;
    case SERIAL8250_SCR:
        s->scr = value;
        break;
    default:
        /* LSR and MSR are read-only (the chip's factory test writes do nothing useful). */
        break;
    }
}

/*
 * Registers are one byte wide. A wider read reads byte by byte, each byte
 * lane the register at its own offset, as a bus that splits the access
 * would (and as the register mirror, plain memory, answers it); bytes past
 * the registers read 0xff, as from no device. A wider write sets the
 * register at its offset to its low byte and ignores the others. Said once
 * per device, so that a confused guest cannot flood the log.
 */
static bool note_odd_access(struct serial8250 *s, uint64_t offset, uint32_t len)
{
    if ((len == 1 && offset < SERIAL8250_REG_COUNT) || s->warned_access)
        return false;
    s->warned_access = true;
    return true;
}

static void warn_odd_access(const struct serial8250 *s, uint64_t offset, uint32_t len)
{
    LOG_WARN("serial8250 at %s 0x%llx: %u-byte access at offset 0x%llx; the registers are "
             "offsets 0-7, one byte wide each (warning once)",
             s->cfg.is_pio ? "port" : "MMIO", (unsigned long long)s->cfg.base, len,
             (unsigned long long)offset);
}

static void serial8250_bus_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct serial8250 *s = opaque;
    bool warn, notify = false;

    if (len == 0)
        return;
    memset(data, 0xff, len);
    stdvmm_lock(&s->lock);
    warn = note_odd_access(s, offset, len);
    for (uint32_t i = 0; i < len && offset < SERIAL8250_REG_COUNT - i; i++)
        data[i] = read_register(s, (unsigned)(offset + i));
    if (offset < SERIAL8250_REG_COUNT) {
        update_mirror(s);
        update_irq(s);
        notify = take_rx_ready(s);
    }
    stdvmm_unlock(&s->lock);
    if (warn)
        warn_odd_access(s, offset, len);
    if (notify && s->cfg.rx_ready != NULL)
        s->cfg.rx_ready(s->cfg.rx_ready_ctx);
}

static void serial8250_bus_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct serial8250 *s = opaque;
    bool warn, notify = false;

    if (len == 0)
        return;
    bool send = false;
    uint8_t byte = 0;

    stdvmm_lock(&s->lock);
    warn = note_odd_access(s, offset, len);
    if (offset < SERIAL8250_REG_COUNT) {
        write_register(s, (unsigned)offset, data[0]);
        update_mirror(s);
        update_tx_deferrable(s);
        update_irq(s);
        notify = take_rx_ready(s);
        send = s->tx_waiting;
        byte = s->tx_byte;
        s->tx_waiting = false;
    }
    stdvmm_unlock(&s->lock);
    if (send)
        s->cfg.tx(s->cfg.tx_ctx, &byte, 1);
    if (warn)
        warn_odd_access(s, offset, len);
    if (notify && s->cfg.rx_ready != NULL)
        s->cfg.rx_ready(s->cfg.rx_ready_ctx);
}

static const struct bus_device_ops serial8250_ops = {
    .read = serial8250_bus_read,
    .write = serial8250_bus_write,
};

int serial8250_init(struct serial8250 *s, const struct serial8250_config *cfg)
{
    if (s == NULL || cfg == NULL) {
        LOG_ERR("serial8250: no device storage or configuration");
        return -STDVMM_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    stdvmm_lock_init(&s->lock);
    s->cfg = *cfg;
    s->dll = POWER_ON_DIVISOR;
    s->rx_trigger = rx_trigger_levels[0];
    s->msr = modem_inputs(s);
    /* Unlike watched_count: the quiet time starts at the first serial8250_mirror_tick(). */
    s->unstable_count = 1;
    return 0;
}

int serial8250_register(struct serial8250 *s, struct bus *bus)
{
    if (s == NULL || bus == NULL) {
        LOG_ERR("serial8250: no device or bus to register on");
        return -STDVMM_EINVAL;
    }
    if (s->cfg.window != 0 && s->cfg.window < SERIAL8250_REG_COUNT) {
        LOG_ERR("serial8250 at 0x%llx: a %u-byte window cannot hold the %d registers",
                (unsigned long long)s->cfg.base, s->cfg.window, SERIAL8250_REG_COUNT);
        return -STDVMM_EINVAL;
    }
    uint64_t size = s->cfg.window != 0 ? s->cfg.window : SERIAL8250_REG_COUNT;
    int r = bus_register(bus, s->cfg.base, size, &serial8250_ops, s, "serial8250");
    if (r == 0) {
        stdvmm_lock(&s->lock);
        update_tx_deferrable(s);
        stdvmm_unlock(&s->lock);
    }
    return r;
}

size_t serial8250_receive(struct serial8250 *s, const uint8_t *buf, size_t len)
{
    size_t taken = 0;

    if (s == NULL || buf == NULL || len == 0)
        return 0;
    stdvmm_lock(&s->lock);
    /* Loopback disconnects the serial input from the line. */
    if (!(s->mcr & SERIAL8250_MCR_LOOP)) {
        while (taken < len && s->rx_count < rx_capacity(s))
            rx_push_or_overrun(s, buf[taken++]);
    }
    if (taken < len)
        s->rx_refused = true;
    update_mirror(s);
    update_irq(s);
    stdvmm_unlock(&s->lock);
    return taken;
}
