/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel vhost device's IOTLB messages (struct vhost_msg_v2, read from
 * and written to the vhost file descriptor once VHOST_BACKEND_F_IOTLB_MSG_V2
 * is set): the kernel reports a MISS for an I/O virtual address it has no
 * translation for, and the VMM answers with UPDATE (an IOVA range, the host
 * address behind it in this process, and its permissions) or takes ranges
 * back with INVALIDATE, which drops every cached entry overlapping them.
 * Pure encoding and decoding, so it is tested without a kernel.
 */
#ifndef STDVMM_BACKENDS_VHOST_IOTLB_H
#define STDVMM_BACKENDS_VHOST_IOTLB_H

#include <linux/vhost_types.h>
#include <stdint.h>

#include "stdvmm/devices/dma.h"

void vhost_iotlb_update_msg(const struct dma_iotlb_entry *e, struct vhost_msg_v2 *m);
/*
 * [iova, last], inclusive. The kernel takes a size, and all 2^64 bytes do
 * not fit in one: the whole space becomes [0, 2^64 - 2], which still
 * overlaps every entry (each is a page or more).
 */
void vhost_iotlb_invalidate_msg(uint64_t iova, uint64_t last, struct vhost_msg_v2 *m);
/*
 * A MISS from the kernel: 0 with the address and the access it needs
 * (DMA_READ, DMA_WRITE); -STDVMM_EINVAL for anything else.
 */
int vhost_iotlb_miss_decode(const struct vhost_msg_v2 *m, uint64_t *iova, unsigned *access);

#endif
