/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes the sample device tree (GICv3, or GICv2 with "v2") to a file, for dtc to read back. */
#include <stdio.h>
#include <string.h>

#include "dtb_sample.h"

int main(int argc, char **argv)
{
    static unsigned char buf[0x10000];
    struct dtb_config cfg;
    uint32_t used = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.dtb [v2|v3-its-pmu]\n", argv[0]);
        return 2;
    }
    dtb_sample_config(&cfg, argc > 2 && strcmp(argv[2], "v2") == 0 ? 2 : 3);
    if (argc > 2 && strcmp(argv[2], "v3-its-pmu") == 0)
        dtb_sample_its_pmu(&cfg);
    if (dtb_build(&cfg, buf, sizeof(buf), &used) != 0)
        return 1;
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(buf, 1, used, f) != used || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
