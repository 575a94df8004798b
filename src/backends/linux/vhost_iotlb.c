/* SPDX-License-Identifier: BSD-2-Clause */
/* vhost IOTLB messages (stdvmm/backends/vhost_iotlb.h). */
#include "stdvmm/backends/vhost_iotlb.h"

#include <string.h>

#include "stdvmm/error.h"

static uint8_t perm_of(unsigned access)
{
    return (uint8_t)(((access & DMA_READ) ? VHOST_ACCESS_RO : 0) |
                     ((access & DMA_WRITE) ? VHOST_ACCESS_WO : 0));
}

void vhost_iotlb_update_msg(const struct dma_iotlb_entry *e, struct vhost_msg_v2 *m)
{
    memset(m, 0, sizeof(*m));
    m->type = VHOST_IOTLB_MSG_V2;
    m->iotlb.iova = e->iova;
    m->iotlb.size = e->size;
    m->iotlb.uaddr = (uint64_t)(uintptr_t)e->host;
    m->iotlb.perm = perm_of(e->perm);
    m->iotlb.type = VHOST_IOTLB_UPDATE;
}

void vhost_iotlb_invalidate_msg(uint64_t iova, uint64_t last, struct vhost_msg_v2 *m)
{
    memset(m, 0, sizeof(*m));
    m->type = VHOST_IOTLB_MSG_V2;
    m->iotlb.iova = iova;
    /* last - iova + 1 wraps to 0 for the whole space; one byte short of it is as good. */
    m->iotlb.size = last - iova == UINT64_MAX ? UINT64_MAX : last - iova + 1;
    m->iotlb.type = VHOST_IOTLB_INVALIDATE;
}

int vhost_iotlb_miss_decode(const struct vhost_msg_v2 *m, uint64_t *iova, unsigned *access)
{
    uint8_t perm = m->iotlb.perm;

    if (m->type != VHOST_IOTLB_MSG_V2 || m->iotlb.type != VHOST_IOTLB_MISS || perm == 0 ||
        (perm & ~VHOST_ACCESS_RW) != 0)
        return -STDVMM_EINVAL;
    *iova = m->iotlb.iova;
    *access =
        ((perm & VHOST_ACCESS_RO) ? DMA_READ : 0) | ((perm & VHOST_ACCESS_WO) ? DMA_WRITE : 0);
    return 0;
}
