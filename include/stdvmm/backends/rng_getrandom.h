/* SPDX-License-Identifier: BSD-2-Clause */
/* Entropy backend for virtio-rng: the host kernel's CSPRNG through getrandom(2). */
#ifndef STDVMM_BACKENDS_RNG_GETRANDOM_H
#define STDVMM_BACKENDS_RNG_GETRANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with up to len random bytes; returns how many (ctx is unused). */
size_t rng_getrandom_fill(void *ctx, uint8_t *buf, size_t len);

#endif
