/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The size and MAC grammars of stdvmm (src/core/spelling.c) as a host
 * program, so that gen-vm-table.py reads a description's sizes and MACs
 * with the same parser as stdvmm and stdvmmd instead of a copy of its own.
 * gen-vm-table.py compiles it with the host's cc on first use.
 *
 *   spelling_tool size TEXT   prints the bytes
 *   spelling_tool mac TEXT    prints the six octets in decimal
 * Exit 1 (and nothing printed) when TEXT is not in the grammar, 2 on usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/spelling.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s size|mac TEXT\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "size") == 0) {
        uint64_t bytes;
        if (!spelling_parse_size(argv[2], &bytes))
            return 1;
        printf("%llu\n", (unsigned long long)bytes);
        return 0;
    }
    if (strcmp(argv[1], "mac") == 0) {
        uint8_t mac[6];
        if (!spelling_parse_mac(argv[2], mac))
            return 1;
        printf("%u %u %u %u %u %u\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        return 0;
    }
    fprintf(stderr, "%s: '%s' is not a grammar (size, mac)\n", argv[0], argv[1]);
    return 2;
}
