/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Constants of the VirtIO 1.2 specification shared by the transport, the
 * virtqueue and the device models: device IDs, status bits and the feature
 * bits that are not specific to one device type. Only modern (VERSION_1)
 * devices exist in stdvmm, so everything in guest memory is little-endian.
 */
#ifndef STDVMM_DEVICES_VIRTIO_H
#define STDVMM_DEVICES_VIRTIO_H

#include <stdint.h>
#include <string.h>

/* Device IDs (spec §5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_IOMMU 23
#define VIRTIO_ID_FS 26

/* Device status field (spec §2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Transport and ring feature bits (spec §6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
/* The device reaches memory through the platform's IOMMU: ring and buffer addresses are IOVAs. */
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_BIT(n) (1ull << (n))

/* Guest memory is little-endian for modern devices; these read and write it unaligned. */
static inline uint16_t virtio_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t virtio_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t virtio_le64(const uint8_t *p)
{
    return (uint64_t)virtio_le32(p) | (uint64_t)virtio_le32(p + 4) << 32;
}

static inline void virtio_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void virtio_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void virtio_put_le64(uint8_t *p, uint64_t v)
{
    virtio_put_le32(p, (uint32_t)v);
    virtio_put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Copies the part of a device's configuration structure that an access at
 * [offset, offset + len) covers; bytes past the structure read as zero.
 */
static inline void virtio_config_copy(const void *config, uint32_t config_size, uint32_t offset,
                                      uint8_t *data, uint32_t len)
{
    memset(data, 0, len);
    if (offset < config_size) {
        uint32_t n = config_size - offset < len ? config_size - offset : len;
        memcpy(data, (const uint8_t *)config + offset, n);
    }
}

#endif
