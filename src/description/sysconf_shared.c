/* SPDX-License-Identifier: BSD-2-Clause */
#include "sysconf_shared.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stdvmm/arch.h"
#include "stdvmm/memory_map.h"
#include "sysconf_util.h"

/* colours: the seL4 port's (4 KiB frames of cache colours), refused here with why. */
static const char *const region_keys[] = {"name", "size", "doorbell", "members", "colours", NULL};
static const char *const member_keys[] = {"vm", "gpa", "access", NULL};

/* memmap_check_window's problems, reported at the member's path. */
struct member_report {
    struct sysconf_walk *w;
    const char *path;
};

static void report(void *ctx, unsigned index, const char *fmt, ...)
{
    const struct member_report *r = ctx;
    char msg[512];
    va_list ap;

    (void)index; /* one window per call: the path says which */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sysconf_walk_error(r->w, r->path, "%s", msg);
}

static const struct sysconf_vm *find_vm(const struct sysconf *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->vm_count; i++) {
        if (cfg->vms[i].name != NULL && strcmp(cfg->vms[i].name, name) == 0)
            return &cfg->vms[i];
    }
    return NULL;
}

/* The member VM's RAM: its memory_map, or where the arch puts its memory. */
static unsigned vm_ram(const struct sysconf_vm *vm, struct memmap_range *out)
{
    if (vm->memory_map_count != 0) {
        memcpy(out, vm->memory_map, vm->memory_map_count * sizeof(*out));
        return vm->memory_map_count;
    }
    struct arch_memory_plan plan;
    if (arch_plan_memory(vm->memory, &plan) < 0)
        return 0; /* the VM's own memory is reported at its own path */
    for (unsigned i = 0; i < plan.ram_count; i++)
        out[i] = (struct memmap_range){plan.ram[i].gpa, plan.ram[i].size};
    return plan.ram_count;
}

static bool walk_member(struct sysconf_walk *w, const json_t *m, const char *item,
                        const struct sysconf *cfg, struct sysconf_shared_member *out)
{
    char field[SYSCONF_PATH_MAX];
    const char *access = NULL;

    if (!sysconf_expect_object(w, m, item))
        return false;
    sysconf_check_keys(w, m, item, member_keys);
    bool ok = sysconf_get_string(w, m, item, "vm", true, &out->vm) == SYSCONF_OK;
    ok = sysconf_get_size(w, m, item, "gpa", true, &out->gpa) == SYSCONF_OK && ok;
    if (sysconf_get_string(w, m, item, "access", false, &access) == SYSCONF_OK) {
        if (strcmp(access, "ro") == 0) {
            out->read_only = true;
        } else if (strcmp(access, "rw") != 0) {
            sysconf_path_key(field, item, "access");
            sysconf_walk_error(w, field, "'%s' is not an access: rw or ro", access);
            ok = false;
        }
    }
    if (out->vm == NULL)
        return false;
    const struct sysconf_vm *vm = find_vm(cfg, out->vm);
    sysconf_path_key(field, item, "vm");
    if (vm == NULL) {
        sysconf_walk_error(w, field, "'%s' is not a VM of vms[]", out->vm);
        return false;
    }
    if (vm->instances_max != 0) {
        sysconf_walk_error(w, field,
                           "'%s' is a definition with instances: a shared region names the "
                           "VMs that see it, one by one",
                           out->vm);
        return false;
    }
    return ok;
}

/* Windows of earlier regions in the same VM, for the overlap check. */
static bool clashes(const struct sysconf *cfg, unsigned upto, const char *vm, uint64_t gpa,
                    uint64_t end, const char **other)
{
    for (unsigned r = 0; r < upto; r++) {
        const struct sysconf_shared_region *s = &cfg->shared[r];
        for (unsigned k = 0; k < s->member_count; k++) {
            const struct sysconf_shared_member *o = &s->members[k];
            if (strcmp(o->vm, vm) == 0 && gpa < o->gpa + s->size && o->gpa < end) {
                *other = s->name;
                return true;
            }
        }
    }
    return false;
}

static bool walk_region(struct sysconf_walk *w, const json_t *r, const char *item,
                        struct sysconf *cfg, struct sysconf_shared_region *out)
{
    char list[SYSCONF_PATH_MAX], member[SYSCONF_PATH_MAX];

    if (!sysconf_expect_object(w, r, item))
        return false;
    sysconf_check_keys(w, r, item, region_keys);
    sysconf_refuse_colouring(w, r, item, (const char *const[]){"colours", NULL});
    bool ok = sysconf_get_string(w, r, item, "name", true, &out->name) == SYSCONF_OK;
    if (ok && !sysconf_valid_name(out->name)) {
        sysconf_path_key(member, item, "name");
        sysconf_walk_error(w, member, "'%s' is not a valid name", out->name);
        ok = false;
    }
    for (unsigned i = 0; ok && i < cfg->shared_count; i++) {
        if (strcmp(cfg->shared[i].name, out->name) == 0) {
            sysconf_path_key(member, item, "name");
            sysconf_walk_error(w, member, "already the name of shared_regions[%u]", i);
            ok = false;
        }
    }
    ok = sysconf_get_size(w, r, item, "size", true, &out->size) == SYSCONF_OK && ok;
    if (ok && out->size == 0) {
        sysconf_path_key(member, item, "size");
        sysconf_walk_error(w, member, "a shared region needs at least one page");
        ok = false;
    }
    sysconf_get_bool(w, r, item, "doorbell", false, &out->doorbell);

    const json_t *members = json_object_get(r, "members");
    sysconf_path_key(list, item, "members");
    if (!json_is_array(members) || json_array_size(members) < 2 ||
        json_array_size(members) > SYSCONF_MAX_SHARED_MEMBERS) {
        sysconf_walk_error(w, list, "expected a list of 2 to %d members {vm, gpa, access}",
                           SYSCONF_MAX_SHARED_MEMBERS);
        return false;
    }
    unsigned at[SYSCONF_MAX_SHARED_MEMBERS]; /* list index of each member kept */
    for (size_t k = 0; k < json_array_size(members); k++) {
        struct sysconf_shared_member *m = &out->members[out->member_count];
        sysconf_path_index(member, list, k);
        if (!walk_member(w, json_array_get(members, k), member, cfg, m)) {
            ok = false;
            continue;
        }
        bool good = true;
        for (unsigned j = 0; j < out->member_count; j++) {
            if (strcmp(out->members[j].vm, m->vm) == 0) {
                sysconf_walk_error(w, member,
                                   "'%s' is already members[%u]: a VM sees a region "
                                   "once",
                                   m->vm, at[j]);
                good = false;
            }
        }
        const char *other = NULL;
        if (good && clashes(cfg, cfg->shared_count, m->vm, m->gpa, m->gpa + out->size, &other)) {
            sysconf_walk_error(w, member, "overlaps shared region '%s' in VM '%s'", other, m->vm);
            good = false;
        }
        /* The window needs the region's size; without one, only the members are checked. */
        if (good && out->size != 0) {
            struct memmap_range ram[MEMMAP_MAX_REGIONS];
            unsigned n = vm_ram(find_vm(cfg, m->vm), ram);
            struct memmap_range window = {m->gpa, out->size};
            struct member_report ctx = {.w = w, .path = member};
            good = memmap_check_window(arch_memory_limits(), ram, n, &window, (unsigned)k, report,
                                       &ctx) == 0;
        }
        if (good)
            at[out->member_count++] = (unsigned)k;
        ok = ok && good;
    }
    return ok;
}

void sysconf_walk_shared(struct sysconf_walk *w, const json_t *root, struct sysconf *cfg)
{
    char item[SYSCONF_PATH_MAX];
    const json_t *list = json_object_get(root, "shared_regions");

    if (list == NULL || json_is_null(list))
        return;
    if (!json_is_array(list) || json_array_size(list) > SYSCONF_MAX_SHARED) {
        sysconf_walk_error(w, "shared_regions", "expected a list of at most %d regions",
                           SYSCONF_MAX_SHARED);
        return;
    }
    cfg->shared = sysconf_arena_alloc(w->arena, json_array_size(list) * sizeof(*cfg->shared) + 1);
    if (cfg->shared == NULL) {
        sysconf_walk_error(w, "shared_regions", "out of memory");
        return;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        struct sysconf_shared_region *r = &cfg->shared[cfg->shared_count];
        memset(r, 0, sizeof(*r));
        sysconf_path_index(item, "shared_regions", i);
        if (walk_region(w, json_array_get(list, i), item, cfg, r))
            cfg->shared_count++;
    }
}
