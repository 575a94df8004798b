/* SPDX-License-Identifier: BSD-2-Clause */
#include "sysconf_memory.h"

#include <stdarg.h>
#include <stdio.h>

#include "stdvmm/spelling.h"
#include "stdvmm/arch.h"
#include "stdvmm/memory_map.h"
#include "sysconf_util.h"

static const char *const region_keys[] = {"gpa", "size", NULL};

/* Where memmap_check's problems go: the region's own path in the file. */
struct map_report {
    struct sysconf_walk *w;
    const char *list;      /* "vms[0].memory_map" */
    const unsigned *entry; /* the list index of each checked region */
};

static void report(void *ctx, unsigned index, const char *fmt, ...)
{
    struct map_report *r = ctx;
    char path[SYSCONF_PATH_MAX], msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (index == MEMMAP_WHOLE_MAP)
        snprintf(path, sizeof(path), "%s", r->list);
    else
        sysconf_path_index(path, r->list, r->entry[index]);
    sysconf_walk_error(r->w, path, "%s", msg);
}

void sysconf_walk_memory_map(struct sysconf_walk *w, const json_t *obj, const char *path,
                             struct sysconf_vm *vm)
{
    char list[SYSCONF_PATH_MAX], item[SYSCONF_PATH_MAX];
    const json_t *v = json_object_get(obj, "memory_map");
    unsigned entry[MEMMAP_MAX_REGIONS];
    unsigned n = 0;
    bool ok = true;

    sysconf_path_key(list, path, "memory_map");
    if (v == NULL || json_is_null(v))
        return;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MEMMAP_MAX_REGIONS) {
        sysconf_walk_error(
            w, list, "expected a list of 1 to %d regions {gpa, size}, got %s", MEMMAP_MAX_REGIONS,
            json_is_array(v) ? "a list of another length" : sysconf_json_type_name(v));
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *r = json_array_get(v, i);
        sysconf_path_index(item, list, i);
        if (!sysconf_expect_object(w, r, item)) {
            ok = false;
            continue;
        }
        sysconf_check_keys(w, r, item, region_keys);
        struct memmap_range *m = &vm->memory_map[n];
        bool good = sysconf_get_size(w, r, item, "gpa", true, &m->gpa) == SYSCONF_OK;
        good = sysconf_get_size(w, r, item, "size", true, &m->size) == SYSCONF_OK && good;
        if (good)
            entry[n++] = (unsigned)i;
        ok = ok && good;
    }
    if (!ok)
        return;
    struct map_report ctx = {.w = w, .list = list, .entry = entry};
    if (memmap_check(arch_memory_limits(), vm->memory_map, n, report, &ctx) < 0)
        return;
    uint64_t total = memmap_total(vm->memory_map, n);
    vm->memory_map_count = n;
    if (json_object_get(obj, "memory") != NULL && vm->memory != total) {
        char have[32], sum[32];
        spelling_format_size(vm->memory, have, sizeof(have));
        spelling_format_size(total, sum, sizeof(sum));
        sysconf_path_key(item, path, "memory");
        sysconf_walk_error(w, item,
                           "%s differs from the memory_map's total of %s: leave memory out "
                           "or make them agree",
                           have, sum);
    }
    vm->memory = total;
}
