/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM socket's command words (vm_api.h), apart from the server so
 * that the fuzzer (tests/fuzz/fuzz_vm_command.c) links it without a VM.
 */
#include <stddef.h>
#include <string.h>

#include "stdvmm/control/vm_api.h"

enum vm_api_command vm_api_parse_command(const char *line, unsigned long len)
{
    static const struct {
        const char *word;
        enum vm_api_command cmd;
    } words[] = {{"info", VM_API_INFO},
                 {"pause", VM_API_PAUSE},
                 {"resume", VM_API_RESUME},
                 {"shutdown", VM_API_SHUTDOWN},
                 {"watch", VM_API_WATCH}};

    /* Trailing newline / carriage return are allowed; nothing else is. */
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].word) == len && memcmp(words[i].word, line, len) == 0)
            return words[i].cmd;
    }
    return VM_API_UNKNOWN;
}
