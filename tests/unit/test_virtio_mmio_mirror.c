/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-mmio read mirror (virtio_mmio_mirror): the page guest reads are
 * served from must read exactly as the register file does, after any mix
 * of driver writes and device-side changes, and InterruptStatus must be in
 * the page before the interrupt that makes the driver read it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stdvmm/devices/virtio_mmio.h"
#include "stdvmm/error.h"
#include "support/virtio_driver.h"

#define PAGE 4096
#define CONFIG_SIZE 10 /* not a multiple of 4: the window's last word is part config, part zero */

struct fixture {
    struct td d;
    struct virtio_dev vd;
    struct virtio_mmio t;
    uint8_t config[CONFIG_SIZE];
    uint8_t page[PAGE];
    bool installed;
    int fail_with; /* publish's answer while nonzero */
    unsigned publishes;
    unsigned interrupts;
    unsigned stale_at_interrupt; /* interrupts raised while the page lacked a pending cause */
};

static void config_read(void *dev, uint32_t offset, uint8_t *data, uint32_t len)
{
    struct fixture *f = dev;
    virtio_config_copy(f->config, sizeof(f->config), offset, data, len);
}

static void config_write(void *dev, uint32_t offset, const uint8_t *data, uint32_t len)
{
    struct fixture *f = dev;
    /* A driver-writable byte, as virtio-console's emergency write or a balloon's actual. */
    if (offset == 0 && len >= 1)
        f->config[0] = data[0];
}

static const struct virtio_device_ops ops = {.config_read = config_read,
                                             .config_write = config_write};

static int publish(void *ctx, uint32_t offset, const uint8_t *bytes, uint32_t len)
{
    struct fixture *f = ctx;

    if (f->fail_with != 0)
        return f->fail_with;
    assert_true(offset <= PAGE && len <= PAGE - offset);
    if (offset == 0 && len == VIRTIO_MMIO_SIZE) {
        memcpy(f->page, bytes, len);
        memset(f->page + len, 0xff, PAGE - len);
        f->installed = true;
    } else {
        assert_true(f->installed); /* a patch before the install would be lost */
        memcpy(f->page + offset, bytes, len);
    }
    f->publishes++;
    return 0;
}

static uint32_t page_r32(const struct fixture *f, uint32_t off)
{
    return virtio_le32(f->page + off);
}

/* The slot's interrupt hook: what the driver's handler would read now must hold every cause. */
static void on_interrupt(void *ctx)
{
    struct fixture *f = ctx;
    uint32_t isr = atomic_load(&f->t.isr);

    f->interrupts++;
    if (f->installed && (page_r32(f, VIRTIO_MMIO_INTERRUPT_STATUS) & isr) != isr)
        f->stale_at_interrupt++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || td_init(&f->d) != 0)
        return -1;
    for (unsigned i = 0; i < CONFIG_SIZE; i++)
        f->config[i] = (uint8_t)(0xa0 + i);
    struct virtio_dev_config cfg = {
        .slot = td_slot(&f->d, "mirror"),
        .device_id = VIRTIO_ID_RNG,
        .num_queues = 2,
        .queue_max = 256,
        .config_size = CONFIG_SIZE,
        .ops = &ops,
        .dev = f,
    };
    cfg.slot.interrupt = on_interrupt;
    cfg.slot.host_ctx = f;
    if (virtio_dev_init(&f->vd, &cfg) != 0 || virtio_mmio_init(&f->t, &f->vd) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    td_free(&f->d);
    free(f);
    return 0;
}

/* Every aligned word of the window as the register file reads it, and 0xff past it. */
static void assert_page_matches(struct fixture *f, unsigned step)
{
    for (uint32_t off = 0; off < VIRTIO_MMIO_SIZE; off += 4) {
        uint32_t want = td_r32(&f->t, off);
        if (page_r32(f, off) != want)
            fail_msg("step %u: offset 0x%x reads 0x%08x from the page, 0x%08x from the registers",
                     step, off, page_r32(f, off), want);
    }
    for (uint32_t off = VIRTIO_MMIO_CONFIG; off < VIRTIO_MMIO_CONFIG + CONFIG_SIZE; off++) {
        uint8_t b;
        virtio_mmio_read(&f->t, off, &b, 1);
        assert_int_equal(f->page[off], b);
    }
    for (uint32_t off = VIRTIO_MMIO_SIZE; off < PAGE; off++)
        assert_int_equal(f->page[off], 0xff);
}

static const uint32_t writable[] = {
    VIRTIO_MMIO_DEVICE_FEATURES_SEL,
    VIRTIO_MMIO_DRIVER_FEATURES,
    VIRTIO_MMIO_DRIVER_FEATURES_SEL,
    VIRTIO_MMIO_QUEUE_SEL,
    VIRTIO_MMIO_QUEUE_NUM,
    VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NOTIFY,
    VIRTIO_MMIO_INTERRUPT_ACK,
    VIRTIO_MMIO_STATUS,
    VIRTIO_MMIO_QUEUE_DESC_LOW,
    VIRTIO_MMIO_QUEUE_DRIVER_LOW,
    VIRTIO_MMIO_QUEUE_DEVICE_LOW,
    VIRTIO_MMIO_SHM_SEL,
    VIRTIO_MMIO_MAGIC_VALUE,
};

/* A value the register might plausibly be given: small selectors, status bits, ring addresses. */
static uint32_t value_for(uint32_t reg, unsigned r)
{
    switch (reg) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
    case VIRTIO_MMIO_QUEUE_SEL:
        return r % 4;
    case VIRTIO_MMIO_QUEUE_NUM:
        return 1u << (r % 9);
    case VIRTIO_MMIO_QUEUE_READY:
        return r % 2;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        return r % 4;
    case VIRTIO_MMIO_STATUS: {
        static const uint32_t seq[] = {0, 1, 3, 11, 15, 0x8f};
        return seq[r % 6];
    }
    case VIRTIO_MMIO_DRIVER_FEATURES:
        return r % 2 ? 1u : (uint32_t)r;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        return (uint32_t)TD_RING(r % 2) + 0x4000u * (r % 3);
    default:
        return (uint32_t)r;
    }
}

/*
 * Random driver writes and device-side events; after each, the page reads
 * as the registers do, and no interrupt was raised before its cause was
 * in the page.
 */
static void mirror_reads_as_the_registers(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(virtio_mmio_mirror(&f->t, publish, f), 0);
    assert_page_matches(f, 0);
    td_start(&f->d, &f->t, 2, 16, TD_FEATURES_ALL);
    assert_page_matches(f, 0);
    srand(20261206);
    for (unsigned step = 1; step <= 20000; step++) {
        unsigned r = (unsigned)rand();
        switch (r % 8) {
        case 0:
        case 1:
        case 2: {
            uint32_t reg = writable[(r >> 3) % (sizeof(writable) / sizeof(writable[0]))];
            td_w32(&f->t, reg, value_for(reg, r >> 8));
            break;
        }
        case 3:
            virtio_dev_interrupt(&f->vd, VIRTIO_INT_VRING);
            break;
        case 4:
            virtio_dev_interrupt(&f->vd, VIRTIO_INT_CONFIG);
            break;
        case 5:
            f->config[(r >> 3) % CONFIG_SIZE] = (uint8_t)(r >> 8);
            virtio_dev_config_changed(&f->vd);
            break;
        case 6:
            if ((r >> 3) % 16 == 0)
                virtio_dev_needs_reset(&f->vd);
            else
                td_w32(&f->t, VIRTIO_MMIO_INTERRUPT_ACK, atomic_load(&f->t.isr));
            break;
        default: {
            uint8_t b = (uint8_t)(r >> 8);
            virtio_mmio_write(&f->t, VIRTIO_MMIO_CONFIG, &b, 1);
            break;
        }
        }
        assert_page_matches(f, step);
    }
    assert_true(f->interrupts > 1000);
    assert_int_equal(f->stale_at_interrupt, 0);
}

/* An interrupt patches InterruptStatus alone; a notification publishes nothing. */
static void hot_paths_patch_little(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(virtio_mmio_mirror(&f->t, publish, f), 0);
    td_start(&f->d, &f->t, 2, 16, TD_FEATURES_ALL);
    unsigned before = f->publishes;
    virtio_dev_interrupt(&f->vd, VIRTIO_INT_VRING);
    assert_int_equal(f->publishes, before + 1);
    assert_int_equal(page_r32(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_VRING);
    virtio_dev_interrupt(&f->vd, VIRTIO_INT_VRING); /* still pending: nothing changes */
    assert_int_equal(f->publishes, before + 1);
    td_w32(&f->t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_VRING);
    assert_int_equal(f->publishes, before + 2);
    assert_int_equal(page_r32(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    td_w32(&f->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(f->publishes, before + 2);
}

/* A port without read pages: the transport goes on as before, reads from the registers. */
static void failed_install_leaves_reads_to_exit(void **state)
{
    struct fixture *f = *state;

    f->fail_with = -STDVMM_ENOTSUP;
    assert_int_equal(virtio_mmio_mirror(&f->t, publish, f), -STDVMM_ENOTSUP);
    assert_null(f->t.publish);
    f->fail_with = 0;
    td_start(&f->d, &f->t, 2, 16, TD_FEATURES_ALL);
    virtio_dev_interrupt(&f->vd, VIRTIO_INT_VRING);
    virtio_dev_config_changed(&f->vd);
    assert_int_equal(f->publishes, 0);
    assert_false(f->installed);
    assert_int_equal(td_r32(&f->t, VIRTIO_MMIO_INTERRUPT_STATUS),
                     VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mirror_reads_as_the_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(hot_paths_patch_little, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_install_leaves_reads_to_exit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
