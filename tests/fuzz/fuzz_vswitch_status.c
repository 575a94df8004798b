/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for what stdvmm-switch answers on its control socket,
 * as stdvmmd parses it (vswitch_status_parse): the switch maps guests'
 * memory, so the manager believes nothing of its answer unchecked. A text
 * that parses is checked against the parser's promises: valid port names,
 * MAC rows that name a listed port, no MAC twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/vswitch_status.h"

static struct vswitch_status st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (vswitch_status_parse((const char *)data, size, &st) != 0)
        return 0;
    if (st.port_count > VSWITCH_STATUS_MAX_PORTS || st.mac_count > VSWITCH_STATUS_MAX_MACS)
        abort();
    for (unsigned i = 0; i < st.port_count; i++) {
        if (!vswitch_status_valid_name(st.ports[i].name, strlen(st.ports[i].name)))
            abort();
    }
    for (unsigned i = 0; i < st.mac_count; i++) {
        if (st.macs[i].port >= st.port_count || (st.macs[i].mac.b[0] & 1) != 0)
            abort();
        for (unsigned j = 0; j < i; j++) {
            if (memcmp(st.macs[i].mac.b, st.macs[j].mac.b, VSWITCH_ETH_ALEN) == 0)
                abort();
        }
    }
    return 0;
}
