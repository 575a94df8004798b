/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/backends/rng_getrandom.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "stdvmm/log.h"

size_t rng_getrandom_fill(void *ctx, uint8_t *buf, size_t len)
{
    size_t done = 0;

    (void)ctx;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            LOG_WARN("getrandom: %s", n < 0 ? strerror(errno) : "no bytes");
            break;
        }
        done += (size_t)n;
    }
    return done;
}
