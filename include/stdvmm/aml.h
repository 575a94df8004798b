/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small AML (ACPI Machine Language) writer: just the objects a virtual
 * platform's DSDT needs to describe fixed devices. It writes into a buffer
 * the caller owns and never allocates.
 *
 * Errors are sticky: the first failure (buffer full, a malformed name, bad
 * nesting) is logged and remembered in a->err, every later call becomes a
 * no-op, and the caller checks once with aml_finish(). Nothing is ever
 * written outside [buf, buf + size).
 *
 * Objects with a PkgLength (Scope, Device, Method, Package, Buffer) are
 * opened with aml_*_begin() and closed with aml_end(). Because the width of
 * a PkgLength depends on what follows it, the opening call reserves the
 * widest encoding and aml_end() moves the body down once its size is known;
 * the result is the same minimal encoding iasl produces. While objects are
 * open the writer needs up to 9 bytes per open object beyond what the
 * finished AML occupies; those bytes are zeroed again when it shrinks.
 */
#ifndef STDVMM_AML_H
#define STDVMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deep enough for \_SB_ > Device > Method/Buffer > Package > Package. */
#define AML_MAX_DEPTH 16

struct aml_open {
    size_t start;      /* where the reserved PkgLength begins */
    uint8_t kind;      /* enum aml_kind, private to aml.c */
    uint8_t nelements; /* Package: data objects written directly inside */
};

struct aml {
    uint8_t *buf;
    size_t size;
    size_t pos;
    int err; /* 0, or the first negative STDVMM_E* code */
    unsigned depth;
    struct aml_open open[AML_MAX_DEPTH];
};

void aml_init(struct aml *a, uint8_t *buf, size_t size);

/* 0 when everything was written and every object closed, else a->err. */
int aml_finish(struct aml *a);

/* Raw bytes, e.g. a descriptor the builder has no helper for. */
void aml_bytes(struct aml *a, const void *data, size_t len);

/*
 * A NameString: "\\_SB_.COM1", "^PCI0", "_HID", "" (NullName). Segments of
 * fewer than four characters are padded with '_' as ASL does ("_S5").
 */
void aml_namestring(struct aml *a, const char *path);

/* An integer with the shortest of Zero/One/Byte/Word/DWord/QWord encodings. */
void aml_integer(struct aml *a, uint64_t value);

/* A String object; only printable ASCII is accepted. */
void aml_string(struct aml *a, const char *s);

/*
 * Compresses a seven-character EISA id ("PNP0501") to the DWORD ACPI
 * expects; 0, or -STDVMM_EINVAL (logged) for a malformed id.
 */
int aml_eisaid_value(const char *id, uint32_t *out);

/* EISAID("PNP0501") as a DWordConst. */
void aml_eisaid(struct aml *a, const char *id);

/* Name(path, ...): the next object written is the value. */
void aml_name(struct aml *a, const char *path);
void aml_name_integer(struct aml *a, const char *path, uint64_t value);
void aml_name_string(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
/* nargs 0..7; serialized methods get a mutex around each invocation. */
void aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized);
/* NumElements is counted from the objects written before aml_end(). */
void aml_package_begin(struct aml *a);
/* BufferSize is taken from the bytes written before aml_end(). */
void aml_buffer_begin(struct aml *a);
void aml_end(struct aml *a);

/* Return(value) */
void aml_return_integer(struct aml *a, uint64_t value);

/*
 * Resource templates. aml_resource_begin() opens a Buffer;
 * aml_resource_end() appends the EndTag with the checksum over the whole
 * template and closes the Buffer.
 */
void aml_resource_begin(struct aml *a);
void aml_resource_end(struct aml *a);

void aml_memory32_fixed(struct aml *a, uint32_t base, uint32_t length, bool writable);
/* QWordMemory (fixed, cacheable): a consumer's memory range anywhere in 64 bits. */
void aml_qword_memory(struct aml *a, uint64_t base, uint64_t length, bool writable);
/* IO(Decode16, min, max, align, length) */
void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t length);
/* FixedIO: only ten address bits are decoded, so base <= 0x3ff. */
void aml_fixed_io(struct aml *a, uint16_t base, uint8_t length);
/* IRQNoFlags: ISA IRQs 0..15, edge-triggered, active high, exclusive. */
void aml_irq_no_flags(struct aml *a, unsigned irq);

enum aml_irq_trigger { AML_IRQ_EDGE, AML_IRQ_LEVEL };
enum aml_irq_polarity { AML_IRQ_ACTIVE_HIGH, AML_IRQ_ACTIVE_LOW };

/* Interrupt(ResourceConsumer, trigger, polarity, Exclusive or Shared) {gsi} */
void aml_interrupt(struct aml *a, uint32_t gsi, enum aml_irq_trigger trigger,
                   enum aml_irq_polarity polarity, bool shared);

#endif
