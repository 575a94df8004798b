/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness: the system description parser and validator (YAML and
 * JSON, whole systems and single VMs). Whatever the input, it must return
 * 0 or an error with diagnostics, never crash, leak or hang; what it
 * accepts must survive the JSON round trip the manager relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdvmm/spelling.h"
#include "stdvmm/system_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct sysconf *cfg)
{
    for (unsigned i = 0; i < cfg->vm_count; i++) {
        char *json = sysconf_vm_to_json(&cfg->vms[i]);
        struct sysconf back;
        struct sysconf_diags d = {0};
        if (json == NULL)
            continue;
        if (sysconf_parse_vm(json, strlen(json), SYSCONF_FORMAT_JSON, NULL, 0, &back, &d) != 0)
            abort(); /* the manager's config.json must always read back */
        if (back.vms[0].memory != cfg->vms[i].memory || back.vms[0].cpus != cfg->vms[i].cpus)
            abort();
        /* Forwards (written in their one spelling), restriction and rate limits come back whole. */
        const struct sysconf_vm *a = &cfg->vms[i], *b = &back.vms[0];
        if (a->net_count != b->net_count || a->serial_log_rate != b->serial_log_rate)
            abort();
        for (unsigned n = 0; n < a->net_count; n++) {
            if (a->nets[n].hostfwd_count != b->nets[n].hostfwd_count ||
                a->nets[n].unrestricted != b->nets[n].unrestricted ||
                memcmp(&a->nets[n].limit, &b->nets[n].limit, sizeof(a->nets[n].limit)) != 0)
                abort();
            for (unsigned f = 0; f < a->nets[n].hostfwd_count; f++) {
                char sa[SPELLING_HOSTFWD_LEN], sb[SPELLING_HOSTFWD_LEN];
                spelling_format_hostfwd(&a->nets[n].hostfwds[f], sa, sizeof(sa));
                spelling_format_hostfwd(&b->nets[n].hostfwds[f], sb, sizeof(sb));
                if (strcmp(sa, sb) != 0)
                    abort();
            }
        }
        sysconf_free(&back);
        sysconf_diags_free(&d);
        free(json);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum sysconf_format formats[] = {SYSCONF_FORMAT_YAML, SYSCONF_FORMAT_JSON};
    struct sysconf cfg;
    struct sysconf_diags d = {0};

    if (size == 0)
        return 0;
    /* The first byte picks the syntax and the schema; the rest is the document. */
    enum sysconf_format fmt = formats[data[0] & 1];
    bool single = data[0] & 2;
    const char *text = (const char *)data + 1;
    size--;
    int r = single ? sysconf_parse_vm(text, size, fmt, "/base", 0, &cfg, &d)
                   : sysconf_parse_system(text, size, fmt, "/base", 0, &cfg, &d);
    if (r == 0) {
        if (d.count != 0)
            abort(); /* success with complaints */
        round_trip(&cfg);
        sysconf_free(&cfg);
    } else if (d.count == 0) {
        abort(); /* a refusal must say why */
    }
    sysconf_diags_free(&d);
    return 0;
}
