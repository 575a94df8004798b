/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/devices/rate_limiter.h"

#include <string.h>

/* Products of a period (< 2^42 ns) and a size (< 2^62) need 128 bits. */
__extension__ typedef unsigned __int128 u128;

#define NS_PER_MS 1000000ull
#define MAX_REFILL_MS (3600ull * 1000)

const char *const rate_limiter_keys[RATE_LIMITER_KEYS] = {
    "bw_size",  "bw_refill_time",  "bw_one_time_burst",
    "ops_size", "ops_refill_time", "ops_one_time_burst"};

uint64_t *rate_limiter_field(struct rate_limiter_config *cfg, const char *key, bool *bytes)
{
    uint64_t *fields[RATE_LIMITER_KEYS] = {&cfg->bytes.size,    &cfg->bytes.refill_ms,
                                           &cfg->bytes.burst,   &cfg->ops.size,
                                           &cfg->ops.refill_ms, &cfg->ops.burst};
    for (int i = 0; i < RATE_LIMITER_KEYS; i++) {
        if (strcmp(key, rate_limiter_keys[i]) == 0) {
            *bytes = i == 0 || i == 2;
            return fields[i];
        }
    }
    return NULL;
}

static bool bucket_on(const struct rate_bucket_config *b)
{
    return b->size != 0;
}

static bool bucket_valid(const struct rate_bucket_config *b)
{
    if (b->size == 0)
        return b->refill_ms == 0 && b->burst == 0;
    /* tokens are kept in an int64_t */
    return b->refill_ms != 0 && b->refill_ms <= MAX_REFILL_MS && b->size <= INT64_MAX / 2 &&
           b->burst <= INT64_MAX / 2;
}

bool rate_limiter_config_active(const struct rate_limiter_config *cfg)
{
    return bucket_on(&cfg->bytes) || bucket_on(&cfg->ops);
}

bool rate_limiter_config_valid(const struct rate_limiter_config *cfg)
{
    return bucket_valid(&cfg->bytes) && bucket_valid(&cfg->ops);
}

static void bucket_init(struct rate_bucket *b, const struct rate_bucket_config *c, uint64_t now)
{
    b->size = c->size;
    b->refill_ns = c->refill_ms * NS_PER_MS;
    b->burst = c->burst;
    b->tokens = (int64_t)c->size;
    b->last_ns = now;
}

void rate_limiter_init(struct rate_limiter *l, const struct rate_limiter_config *cfg,
                       uint64_t now_ns)
{
    memset(l, 0, sizeof(*l));
    bucket_init(&l->bytes, &cfg->bytes, now_ns);
    bucket_init(&l->ops, &cfg->ops, now_ns);
}

static void refill(struct rate_bucket *b, uint64_t now)
{
    if (now <= b->last_ns)
        return; /* a clock that went back refills nothing */
    uint64_t elapsed = now - b->last_ns;
    /* How long an empty-to-full refill from here takes, debt included. */
    uint64_t missing = (uint64_t)((int64_t)b->size - b->tokens);
    if ((u128)elapsed * b->size >= (u128)missing * b->refill_ns) {
        b->tokens = (int64_t)b->size;
        b->last_ns = now;
        return;
    }
    uint64_t add = (uint64_t)((u128)elapsed * b->size / b->refill_ns);
    if (add == 0)
        return; /* keep last_ns, so that the fraction is not lost */
    b->tokens += (int64_t)add;
    /* Advance by the time those tokens took, keeping the remainder's credit. */
    b->last_ns += (uint64_t)((u128)add * b->refill_ns / b->size);
}

/* 0 if n tokens can be taken now (without taking them), else the ns until they can. */
static uint64_t bucket_wait(struct rate_bucket *b, uint64_t now, uint64_t n)
{
    if (b->size == 0 || n <= b->burst)
        return 0;
    refill(b, now);
    uint64_t from_bucket = n - b->burst;
    /* More than a bucket needs a full one; it then goes into debt. */
    int64_t want = (int64_t)(from_bucket < b->size ? from_bucket : b->size);
    if (b->tokens >= want)
        return 0;
    uint64_t missing = (uint64_t)(want - b->tokens);
    uint64_t ns = (uint64_t)(((u128)missing * b->refill_ns + b->size - 1) / b->size);
    return ns > (now - b->last_ns) ? ns - (now - b->last_ns) + 1 : 1;
}

static void bucket_take(struct rate_bucket *b, uint64_t n)
{
    if (b->size == 0)
        return;
    uint64_t from_burst = n < b->burst ? n : b->burst;
    b->burst -= from_burst;
    b->tokens -= (int64_t)(n - from_burst);
}

uint64_t rate_limiter_take(struct rate_limiter *l, uint64_t now_ns, uint64_t bytes)
{
    uint64_t wb = bucket_wait(&l->bytes, now_ns, bytes);
    uint64_t wo = bucket_wait(&l->ops, now_ns, 1);
    if (wb != 0 || wo != 0) {
        l->throttled++;
        return wb > wo ? wb : wo;
    }
    bucket_take(&l->bytes, bytes);
    bucket_take(&l->ops, 1);
    return 0;
}
