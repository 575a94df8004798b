/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The spellings of struct vm_arch_options' values, shared by the command
 * line (--kernel-format raw) and the system description
 * (kernel_format: raw) so that both take exactly the same words.
 */
#include "stdvmm/vm.h"

#include <string.h>

static bool lookup(const char *const *names, int count, const char *s, int *out)
{
    for (int i = 0; s != NULL && i < count; i++) {
        if (names[i] != NULL && strcmp(names[i], s) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

static const char *const kernel_formats[] = {
    [VM_KERNEL_AUTO] = "auto", [VM_KERNEL_IMAGE] = "image", [VM_KERNEL_RAW] = "raw"};
static const char *const features[] = {
    [VM_FEATURE_AUTO] = "auto", [VM_FEATURE_ON] = "on", [VM_FEATURE_OFF] = "off"};
static const char *const irqchips[] = {
    [VM_IRQCHIP_AUTO] = "auto", [VM_IRQCHIP_GICV2] = "gicv2", [VM_IRQCHIP_GICV3] = "gicv3"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

bool vm_kernel_format_parse(const char *s, enum vm_kernel_format *out)
{
    int v;
    if (!lookup(kernel_formats, COUNT(kernel_formats), s, &v))
        return false;
    *out = (enum vm_kernel_format)v;
    return true;
}

bool vm_feature_parse(const char *s, enum vm_feature *out)
{
    int v;
    if (!lookup(features, COUNT(features), s, &v))
        return false;
    *out = (enum vm_feature)v;
    return true;
}

bool vm_irqchip_parse(const char *s, enum vm_irqchip *out)
{
    int v;
    if (!lookup(irqchips, COUNT(irqchips), s, &v))
        return false;
    *out = (enum vm_irqchip)v;
    return true;
}

const char *vm_kernel_format_name(enum vm_kernel_format f)
{
    return (int)f >= 0 && (int)f < COUNT(kernel_formats) ? kernel_formats[f] : "?";
}

const char *vm_feature_name(enum vm_feature f)
{
    return (int)f >= 0 && (int)f < COUNT(features) ? features[f] : "?";
}

const char *vm_irqchip_name(enum vm_irqchip c)
{
    return (int)c >= 0 && (int)c < COUNT(irqchips) ? irqchips[c] : "?";
}
