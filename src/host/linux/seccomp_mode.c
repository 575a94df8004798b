/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp mode's spelling (--seccomp=, seccomp: in a description), apart
 * from the filters: the description's parser and its fuzzer use it without
 * libseccomp.
 */
#include <stddef.h>
#include <string.h>

#include "stdvmm/host/sandbox.h"

bool host_seccomp_parse_mode(const char *text, enum host_seccomp_mode *out)
{
    static const char *const names[] = {"kill", "log", "off"};
    for (unsigned i = 0; text != NULL && i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum host_seccomp_mode)i;
            return true;
        }
    }
    return false;
}

const char *host_seccomp_mode_name(enum host_seccomp_mode mode)
{
    switch (mode) {
    case HOST_SECCOMP_KILL: return "kill";
    case HOST_SECCOMP_LOG: return "log";
    case HOST_SECCOMP_OFF: return "off";
    }
    return "?";
}
