/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux host's side of shared regions (docs/memory.md): each region's
 * memory mapped once, before the jail, for every boot of the VM; the
 * guest's doorbells passed to the other members' eventfds, theirs waited
 * for with the VMM's other descriptors.
 */
#ifndef STDVMM_RUNTIME_SHARED_REGIONS_H
#define STDVMM_RUNTIME_SHARED_REGIONS_H

#include <poll.h>

#include "stdvmm/machine.h"
#include "stdvmm/vmm.h"

struct shared_regions {
    const struct vmm_config *cfg;
    struct machine_shared desc[VMM_MAX_SHARED]; /* for machine_desc.shared */
    void *host[VMM_MAX_SHARED];
    unsigned count;
};

/* Checks cfg's regions; -STDVMM_EINVAL with every problem logged. */
int shared_regions_check(const struct vmm_config *cfg);

/* Maps every region of cfg; on failure the reason is logged (release with shared_regions_close). */
int shared_regions_open(struct shared_regions *s, const struct vmm_config *cfg);
void shared_regions_close(struct shared_regions *s);

/* The mapping of region index (machine_host.shared_map). */
void *shared_regions_map(void *ctx, unsigned index, const struct machine_shared *sh);
/* The guest rang target on region index (machine_host.shared_ring). */
void shared_regions_ring(void *ctx, unsigned index, uint32_t target);

/*
 * This VM's own doorbells as pollfds (at most VMM_MAX_SHARED, in region
 * order; regions without doorbells are skipped and *index says which
 * region each is); returns how many.
 */
unsigned shared_regions_pollfds(const struct shared_regions *s, struct pollfd *fds,
                                unsigned *index);
/* A doorbell fd polled readable: takes it and rings the guest. */
void shared_regions_doorbell(struct shared_regions *s, struct machine *m, unsigned index);

#endif
