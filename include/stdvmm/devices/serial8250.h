/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A 16550A UART: the PC's COM port (I/O port 0x3F8, IRQ 4 for ttyS0) and,
 * over MMIO, the "ns16550a" console of Arm boards. The transmitter is
 * infinitely fast: every byte written to THR goes straight to the tx
 * callback and THR reads as empty again at once. Input comes from the host
 * through serial8250_receive() into a 16-byte receive FIFO with flow control:
 * bytes the FIFO cannot take are refused, not lost, and rx_ready says when to
 * offer them again.
 *
 * Callbacks run on the thread that touched the device (a vCPU thread or the
 * caller of serial8250_receive). set_irq and tx run with the device lock held
 * so that line levels and output bytes keep the order of the guest's
 * accesses; they must not call back into the device. rx_ready runs without
 * the lock.
 */
#ifndef STDVMM_DEVICES_SERIAL8250_H
#define STDVMM_DEVICES_SERIAL8250_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/sync.h"

#define SERIAL8250_COM1_PORT 0x3f8
#define SERIAL8250_COM1_IRQ 4

#define SERIAL8250_REG_COUNT 8 /* byte-wide registers; the bus range is this long */
#define SERIAL8250_FIFO_SIZE 16

/* Register offsets; which register answers at 0 and 1 depends on LCR.DLAB. */
#define SERIAL8250_RBR 0 /* read, DLAB=0 */
#define SERIAL8250_THR 0 /* write, DLAB=0 */
#define SERIAL8250_DLL 0 /* DLAB=1 */
#define SERIAL8250_IER 1 /* DLAB=0 */
#define SERIAL8250_DLM 1 /* DLAB=1 */
#define SERIAL8250_IIR 2 /* read */
#define SERIAL8250_FCR 2 /* write */
#define SERIAL8250_LCR 3
#define SERIAL8250_MCR 4
#define SERIAL8250_LSR 5
#define SERIAL8250_MSR 6
#define SERIAL8250_SCR 7

#define SERIAL8250_IER_RDI 0x01  /* received data available */
#define SERIAL8250_IER_THRI 0x02 /* transmitter holding register empty */
#define SERIAL8250_IER_RLSI 0x04 /* receiver line status */
#define SERIAL8250_IER_MSI 0x08  /* modem status */
#define SERIAL8250_IER_MASK 0x0f

#define SERIAL8250_IIR_NO_INT 0x01
#define SERIAL8250_IIR_MSI 0x00
#define SERIAL8250_IIR_THRI 0x02
#define SERIAL8250_IIR_RDI 0x04
#define SERIAL8250_IIR_RLSI 0x06
#define SERIAL8250_IIR_CTI 0x0c /* character timeout: data below the trigger level */
#define SERIAL8250_IIR_ID_MASK 0x0f
#define SERIAL8250_IIR_FIFO_ENABLED 0xc0

#define SERIAL8250_FCR_ENABLE 0x01
#define SERIAL8250_FCR_CLEAR_RX 0x02
#define SERIAL8250_FCR_CLEAR_TX 0x04
#define SERIAL8250_FCR_TRIGGER_SHIFT 6

#define SERIAL8250_LCR_DLAB 0x80

#define SERIAL8250_MCR_DTR 0x01
#define SERIAL8250_MCR_RTS 0x02
#define SERIAL8250_MCR_OUT1 0x04
#define SERIAL8250_MCR_OUT2 0x08
#define SERIAL8250_MCR_LOOP 0x10
#define SERIAL8250_MCR_MASK 0x1f

#define SERIAL8250_LSR_DR 0x01
#define SERIAL8250_LSR_OE 0x02
#define SERIAL8250_LSR_PE 0x04
#define SERIAL8250_LSR_FE 0x08
#define SERIAL8250_LSR_BI 0x10
#define SERIAL8250_LSR_THRE 0x20
#define SERIAL8250_LSR_TEMT 0x40

#define SERIAL8250_MSR_DCTS 0x01
#define SERIAL8250_MSR_DDSR 0x02
#define SERIAL8250_MSR_TERI 0x04
#define SERIAL8250_MSR_DDCD 0x08
#define SERIAL8250_MSR_CTS 0x10
#define SERIAL8250_MSR_DSR 0x20
#define SERIAL8250_MSR_RI 0x40
#define SERIAL8250_MSR_DCD 0x80

struct serial8250_config {
    uint64_t base; /* I/O port or MMIO address of register 0 */
    bool is_pio;   /* for messages; the caller picks the bus */
    uint32_t irq;  /* GSI on x86, SPI on Arm */
    /*
     * Drives the interrupt line; called only when the level changes. NULL
     * leaves the UART without an interrupt (the guest must poll).
     */
    void (*set_irq)(void *irq_ctx, uint32_t irq, bool level);
    void *irq_ctx;
    /*
     * PC wiring, the default: the interrupt reaches the PIC/IOAPIC only while
     * MCR.OUT2 is set and the UART is not in loopback (which disconnects
     * OUT2). Linux's 8250 driver sets OUT2 whenever the port has an IRQ; set
     * this for other boards whose guests may not.
     */
    bool irq_ignores_out2;
    /*
     * Guest output; NULL discards it. Called on the vCPU thread that wrote
     * THR, after the UART's lock is dropped, so it may block.
     */
    void (*tx)(void *tx_ctx, const uint8_t *buf, size_t len);
    void *tx_ctx;
    /*
     * The receive FIFO has room again after serial8250_receive() refused
     * bytes. May run before that serial8250_receive() call has returned to
     * its caller, so use a notification that is not lost (eventfd, semaphore).
     * NULL: the host polls.
     */
    void (*rx_ready)(void *rx_ready_ctx);
    void *rx_ready_ctx;
    /*
     * Whether writes to THR (offset 0) may reach the UART late and batched,
     * as a hypervisor's buffered writes do (hv_vm_add_buffered_writes):
     * true while such a write has no effect the guest could see before its
     * next register read, which exits and so comes after the batch (THRE
     * interrupt off, no loopback); false as soon as it would have one.
     * Called with the UART's lock held, so that calls keep the order of the
     * guest's accesses: from serial8250_register() with the power-on answer,
     * then on every change. NULL: never told.
     */
    void (*tx_deferrable)(void *tx_deferrable_ctx, bool yes);
    void *tx_deferrable_ctx;
    /*
     * The register mirror: a read-only copy of the registers that the guest
     * reads without an exit (hv_vm_set_read_page), kept only while every
     * register read is free of side effects (serial8250_static_regs).
     * Called with the UART's lock held, before a change becomes visible to
     * the guest in any other way (the next register access, the interrupt
     * line): regs = the 8 bytes reads now return, to install
     * (serial8250_mirror_tick) or rewrite the copy; regs = NULL to withdraw
     * it, done when the call returns. A negative return ends mirroring for
     * this UART (the copy must then be gone). NULL: no mirror.
     */
    int (*mirror)(void *mirror_ctx, const uint8_t *regs);
    void *mirror_ctx;
    /*
     * Bytes claimed on the bus from base, at least SERIAL8250_REG_COUNT (0
     * means that): a mirrored UART claims its whole page, so that reads past
     * the registers (0xff, as from no device) and wide reads that cross
     * their end answer as the page does.
     */
    uint32_t window;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct serial8250 {
    stdvmm_lock_t lock;
    struct serial8250_config cfg;
    uint8_t ier;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr_errors; /* OE/PE/FE/BI until LSR is read; DR, THRE, TEMT are computed */
    uint8_t msr;
    uint8_t scr;
    uint8_t dll;
    uint8_t dlm;
    bool fifo_enabled;
    uint8_t rx_trigger;
    bool thre_pending;
    bool tx_waiting; /* tx_byte was written to THR and is handed to cfg.tx after the lock */
    uint8_t tx_byte;
    bool irq_level;
    bool rx_refused;
    bool warned_access;
    bool tx_deferred; /* what tx_deferrable was last told */
    bool mirror_on;   /* the guest reads mirror_regs without exits */
    bool mirror_dead; /* the mirror callback failed: no more mirroring */
    uint8_t mirror_regs[SERIAL8250_REG_COUNT];
    uint32_t unstable_count; /* times the state was found not read-static */
    uint32_t watched_count;  /* unstable_count when mirror_tick last looked */
    uint64_t quiet_since_ns;
    uint8_t rx_fifo[SERIAL8250_FIFO_SIZE];
    uint8_t rx_head;
    uint8_t rx_count;
};

/* Puts the UART in its power-on state; cfg is copied. */
int serial8250_init(struct serial8250 *s, const struct serial8250_config *cfg);

/* Claims SERIAL8250_REG_COUNT bytes at cfg.base on bus (the VM's pio or mmio). */
int serial8250_register(struct serial8250 *s, struct bus *bus);

/*
 * Host input: moves up to len bytes into the receive FIFO and returns how
 * many it took. Fewer than len means the FIFO is full (or the UART is in
 * loopback, which disconnects its input); offer the rest after rx_ready.
 */
size_t serial8250_receive(struct serial8250 *s, const uint8_t *buf, size_t len);

/*
 * Whether reading any register now is free of side effects and so the same
 * every time: no received data (RBR read pops it), no line-status error
 * (LSR read clears it), no THRE interrupt pending (IIR read clears it), no
 * modem-status change (MSR read clears it), no loopback, no refused input
 * waiting for room. If so, fills regs with what a one-byte read of each
 * offset returns. Pure: the caller holds the lock or owns the device.
 */
bool serial8250_static_regs(const struct serial8250 *s, uint8_t regs[SERIAL8250_REG_COUNT]);

/*
 * Installs the register mirror once the UART has stayed read-static for
 * quiet_ns (now_ns is the caller's monotonic clock). Withdrawing is
 * immediate and the device does it itself; installing waits because each
 * install or withdrawal costs the hypervisor a memory-slot change and a
 * tty driver toggles the THRE interrupt per transmit burst. Call it from a
 * periodic tick; does nothing without cfg.mirror.
 */
void serial8250_mirror_tick(struct serial8250 *s, uint64_t now_ns, uint64_t quiet_ns);

#endif
