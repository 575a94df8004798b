/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Token buckets bounding what a guest may make a device do (Firecracker's
 * and Cloud Hypervisor's rate_limiter): one bucket for bytes, one for
 * operations. A bucket of `size` tokens refills linearly, `size` tokens per
 * `refill_ns`, never above `size`; `burst` tokens come once on top, spent
 * first and never refilled.
 *
 * A request larger than a whole bucket is admitted when the bucket is full
 * and leaves it in debt: the next request waits until the debt is repaid.
 * So a bucket bounds the average rate whatever the guest's request sizes,
 * and no request can be refused forever.
 *
 * Portable and time-agnostic: callers pass the time (ns, monotonic) in.
 */
#ifndef STDVMM_DEVICES_RATE_LIMITER_H
#define STDVMM_DEVICES_RATE_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

struct rate_bucket_config {
    uint64_t size;      /* tokens; 0: this bucket does not limit */
    uint64_t refill_ms; /* time to refill `size` tokens from empty; 0 with size 0 */
    uint64_t burst;     /* one-time tokens on top of size */
};

struct rate_limiter_config {
    struct rate_bucket_config bytes;
    struct rate_bucket_config ops;
};

struct rate_bucket {
    uint64_t size;
    uint64_t refill_ns;
    uint64_t burst;
    int64_t tokens; /* negative: debt from a request larger than the bucket */
    uint64_t last_ns;
};

struct rate_limiter {
    struct rate_bucket bytes;
    struct rate_bucket ops;
    uint64_t throttled; /* requests that had to wait */
};

/*
 * The settings' names, shared by --disk and the description's disks
 * (Cloud Hypervisor's): bw_size, bw_refill_time, bw_one_time_burst,
 * ops_size, ops_refill_time, ops_one_time_burst; refill times in ms.
 */
#define RATE_LIMITER_KEYS 6
extern const char *const rate_limiter_keys[RATE_LIMITER_KEYS];
/* The field a key names, or NULL; *bytes: its value is a size (bw_size, bw_one_time_burst). */
uint64_t *rate_limiter_field(struct rate_limiter_config *cfg, const char *key, bool *bytes);

/* True if cfg limits anything. */
bool rate_limiter_config_active(const struct rate_limiter_config *cfg);
/* A bucket is valid if it is off (size 0, refill 0) or both are set; refill at most an hour. */
bool rate_limiter_config_valid(const struct rate_limiter_config *cfg);
/* Full buckets at now_ns. */
void rate_limiter_init(struct rate_limiter *l, const struct rate_limiter_config *cfg,
                       uint64_t now_ns);
/*
 * Admits a request of `bytes` bytes and one operation at now_ns and returns
 * 0, or takes nothing and returns how many ns to wait before asking again
 * (at least 1).
 */
uint64_t rate_limiter_take(struct rate_limiter *l, uint64_t now_ns, uint64_t bytes);

#endif
