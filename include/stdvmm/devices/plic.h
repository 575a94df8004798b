/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A RISC-V platform-level interrupt controller as the SiFive PLIC and the
 * RISC-V PLIC specification (riscv-plic-spec 1.0.0) define it, the
 * device tree's "sifive,plic-1.0.0" / "riscv,plic0": wired sources 1..N
 * with priorities 0..7 (0 never interrupts), per-context enable bits and
 * priority thresholds, and a claim/complete register per context. riscv64
 * guests get it where the hypervisor has no interrupt controller of its
 * own (KVM without an in-kernel AIA); one context per hart, the hart's
 * supervisor external interrupt, which the owner sets and clears on the
 * hart (KVM_INTERRUPT) through cfg.set_context.
 *
 * Gateways: a rising line makes its source pending; a source that is
 * claimed is not offered again until its completion, and a line still
 * high at completion makes it pending again. So level devices (the UART)
 * and pulsed ones (virtio-mmio's irqfd-less edges) both work, and a pulse
 * that arrives while its source is in service is kept, not lost.
 */
#ifndef STDVMM_DEVICES_PLIC_H
#define STDVMM_DEVICES_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#include "stdvmm/bus.h"
#include "stdvmm/sync.h"

#define PLIC_MAX_SOURCES 63 /* sources 1..63: source 0 means "none" */
#define PLIC_MAX_CONTEXTS 64
#define PLIC_MAX_PRIORITY 7

/* Register map (riscv-plic-spec "Memory Map"). */
#define PLIC_PRIORITY 0x0   /* 4 bytes per source */
#define PLIC_PENDING 0x1000 /* one bit per source, read-only */
#define PLIC_ENABLE 0x2000  /* 0x80 bytes per context, one bit per source */
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000 /* 0x1000 bytes per context: */
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_THRESHOLD 0x0 /*   priority threshold */
#define PLIC_CLAIM 0x4     /*   read: claim, write: complete */
#define PLIC_SIZE(contexts) (PLIC_CONTEXT + (uint64_t)(contexts)*PLIC_CONTEXT_STRIDE)

struct plic_config {
    uint64_t base;
    unsigned sources;  /* 1..PLIC_MAX_SOURCES: the device tree's riscv,ndev */
    unsigned contexts; /* 1..PLIC_MAX_CONTEXTS */
    /* Context c's interrupt output changed to level (called with the PLIC's lock held). */
    void (*set_context)(void *ctx, unsigned context, bool level);
    void *ctx;
};

/* Opaque to users: the fields are here only so that callers can provide the storage. */
struct plic {
    stdvmm_lock_t lock;
    struct plic_config cfg;
    uint32_t priority[PLIC_MAX_SOURCES + 1];
    uint32_t threshold[PLIC_MAX_CONTEXTS];
    uint64_t enable[PLIC_MAX_CONTEXTS]; /* bit n: source n */
    uint64_t pending, claimed, line;    /* bit n: source n */
    uint64_t output;                    /* bit c: context c's output as last reported */
};

/* set_context is required. */
int plic_init(struct plic *p, const struct plic_config *cfg);
int plic_register(struct plic *p, struct bus *bus);

/* A device's wired line (source 1..sources); others are refused with a message. */
int plic_set_line(struct plic *p, uint32_t source, bool level);

/*
 * The one context the guest enabled source for (Linux enables each source
 * on one hart, the one its affinity names): -STDVMM_ENOENT when none or
 * several are, -STDVMM_EINVAL for a source that does not exist.
 */
int plic_source_target(struct plic *p, uint32_t source, unsigned *context);

#endif
