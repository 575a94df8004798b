/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU list grammar, the one spelling of a set of host CPUs: parts "N"
 * or "N-M" joined by a separator. People, the system description and the
 * APIs join with ','; a placement spec joins with ':' because ',' already
 * separates the spec's fields ("pcpus=0-1:4,dedicated"). Every reader and
 * writer of a CPU list calls these two functions, so the spellings cannot
 * drift apart; a set is a bitmap of ncpus bits (bit c of bits[c / 64]).
 */
#ifndef STDVMM_CPULIST_H
#define STDVMM_CPULIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Sets the bits of the CPUs listed in s, parts joined by any one character
 * of seps (",", or ": " in a placement spec). False, with the set cleared
 * or partial, on an empty list, junk, an empty part, a reversed range or a
 * CPU >= ncpus.
 */
bool cpulist_parse(const char *s, const char *seps, uint64_t *bits, unsigned ncpus);

/*
 * The shortest list of the set: ranges for runs of two or more CPUs, parts
 * joined by sep; "" for an empty set. Cut short when it does not fit size.
 * cpulist_parse() with sep among its seps gives the same set back.
 */
void cpulist_format(const uint64_t *bits, unsigned ncpus, char sep, char *buf, size_t size);

#endif
