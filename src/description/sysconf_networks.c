/* SPDX-License-Identifier: BSD-2-Clause */
#include "sysconf_networks.h"

#include <stdio.h>
#include <string.h>

#include "stdvmm/spelling.h"
#include "stdvmm/vswitch.h"
#include "stdvmm/vswitch_status.h"
#include "sysconf_util.h"

static const char *const network_keys[] = {"name", "members", "uplink", NULL};

/*
 * The seL4 generator's rule too: a switch port's characters (the name is in
 * the switch's arguments and status), at most 15 of them.
 */
static bool valid_network_name(const char *s)
{
    size_t n = strlen(s);
    return n <= SYSCONF_NETWORK_NAME_MAX && vswitch_status_valid_name(s, n);
}

static const struct sysconf_vm *find_vm(const struct sysconf *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->vm_count; i++) {
        if (cfg->vms[i].name != NULL && strcmp(cfg->vms[i].name, name) == 0)
            return &cfg->vms[i];
    }
    return NULL;
}

static const struct sysconf_network *find_network(const struct sysconf *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->network_count; i++) {
        if (strcmp(cfg->networks[i].name, name) == 0)
            return &cfg->networks[i];
    }
    return NULL;
}

static bool is_member(const struct sysconf_network *n, const char *vm)
{
    for (unsigned i = 0; i < n->member_count; i++) {
        if (strcmp(n->members[i], vm) == 0)
            return true;
    }
    return false;
}

static void walk_members(struct sysconf_walk *w, const json_t *list, const char *path,
                         const struct sysconf *cfg, struct sysconf_network *out)
{
    char item[SYSCONF_PATH_MAX];

    if (list == NULL || json_is_null(list))
        return; /* a network nobody is on yet */
    if (!json_is_array(list) || json_array_size(list) > SYSCONF_MAX_NETWORK_MEMBERS) {
        sysconf_walk_error(w, path, "expected a list of at most %d VM names",
                           SYSCONF_MAX_NETWORK_MEMBERS);
        return;
    }
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *m = json_array_get(list, k);
        sysconf_path_index(item, path, k);
        if (!json_is_string(m)) {
            sysconf_walk_error(w, item, "expected a VM name, got %s", sysconf_json_type_name(m));
            continue;
        }
        const char *name = json_string_value(m);
        const struct sysconf_vm *vm = find_vm(cfg, name);
        if (vm == NULL) {
            sysconf_walk_error(w, item, "'%s' is not a VM of vms[]", name);
        } else if (vm->instances_max != 0) {
            sysconf_walk_error(w, item,
                               "'%s' is a definition with instances: a network's ports are "
                               "fixed when its switch starts, so its members are single VMs",
                               name);
        } else if (is_member(out, name)) {
            sysconf_walk_error(w, item, "'%s' is already a member", name);
        } else {
            out->members[out->member_count++] = vm->name;
        }
    }
}

static bool walk_network(struct sysconf_walk *w, const json_t *n, const char *item,
                         const struct sysconf *cfg, struct sysconf_network *out)
{
    char sub[SYSCONF_PATH_MAX];

    if (!sysconf_expect_object(w, n, item))
        return false;
    sysconf_check_keys(w, n, item, network_keys);
    if (sysconf_get_string(w, n, item, "name", true, &out->name) != SYSCONF_OK)
        return false;
    sysconf_path_key(sub, item, "name");
    if (!valid_network_name(out->name)) {
        sysconf_walk_error(w, sub, "'%s': want 1-%d letters, digits, '.', '_' or '-'", out->name,
                           SYSCONF_NETWORK_NAME_MAX);
        return false;
    }
    if (find_network(cfg, out->name) != NULL) {
        sysconf_walk_error(w, sub, "network %s appears twice", out->name);
        return false;
    }
    sysconf_path_key(sub, item, "members");
    walk_members(w, json_object_get(n, "members"), sub, cfg, out);
    if (sysconf_get_string(w, n, item, "uplink", false, &out->uplink) == SYSCONF_OK &&
        (out->uplink[0] == '\0' || strlen(out->uplink) > 15 || strchr(out->uplink, '/') ||
         strchr(out->uplink, ' '))) {
        sysconf_path_key(sub, item, "uplink");
        sysconf_walk_error(w, sub, "'%s' is not a network interface name (1-15 characters)",
                           out->uplink);
        out->uplink = NULL;
    }
    return true;
}

/* Every NIC with network: names a network its VM is a member of; no MAC twice on one network. */
static void check_nics(struct sysconf_walk *w, const struct sysconf *cfg)
{
    char path[SYSCONF_PATH_MAX];

    for (unsigned i = 0; i < cfg->vm_count; i++) {
        const struct sysconf_vm *vm = &cfg->vms[i];
        for (unsigned k = 0; k < vm->net_count; k++) {
            const struct sysconf_net *net = &vm->nets[k];
            if (net->network == NULL)
                continue;
            snprintf(path, sizeof(path), "vms[%u].nets[%u].network", i, k);
            const struct sysconf_network *n = find_network(cfg, net->network);
            if (n == NULL) {
                sysconf_walk_error(w, path, "'%s' is not one of networks[]", net->network);
                continue;
            }
            if (vm->name == NULL || !is_member(n, vm->name)) {
                sysconf_walk_error(w, path, "%s is not a member of network %s",
                                   vm->name ? vm->name : "this VM", n->name);
                continue;
            }
            if (net->mac == NULL)
                continue;
            uint8_t mac[6], other[6];
            spelling_parse_mac(net->mac, mac); /* checked by the schema */
            for (unsigned j = 0; j <= i; j++) {
                const struct sysconf_vm *o = &cfg->vms[j];
                for (unsigned l = 0; l < (j == i ? k : o->net_count); l++) {
                    const struct sysconf_net *on = &o->nets[l];
                    if (on->network == NULL || on->mac == NULL ||
                        strcmp(on->network, net->network) != 0)
                        continue;
                    spelling_parse_mac(on->mac, other);
                    if (memcmp(mac, other, 6) == 0)
                        sysconf_walk_error(w, path, "%s is also vms[%u].nets[%u]'s MAC on %s",
                                           net->mac, j, l, n->name);
                }
            }
        }
    }
}

/* A switch has 64 ports (stdvmm/vswitch.h): the members' NICs and the uplink. */
static void check_ports(struct sysconf_walk *w, const struct sysconf *cfg)
{
    char path[SYSCONF_PATH_MAX];
    for (unsigned k = 0; k < cfg->network_count; k++) {
        const struct sysconf_network *n = &cfg->networks[k];
        unsigned ports = n->uplink != NULL;
        for (unsigned i = 0; i < cfg->vm_count; i++) {
            for (unsigned j = 0; j < cfg->vms[i].net_count; j++)
                ports += cfg->vms[i].nets[j].network != NULL &&
                         strcmp(cfg->vms[i].nets[j].network, n->name) == 0;
        }
        if (ports > VSWITCH_MAX_PORTS) {
            snprintf(path, sizeof(path), "networks[%u]", k);
            sysconf_walk_error(w, path, "%u ports (NICs and uplink); a switch has %d", ports,
                               VSWITCH_MAX_PORTS);
        }
    }
}

void sysconf_walk_networks(struct sysconf_walk *w, const json_t *root, struct sysconf *cfg)
{
    char item[SYSCONF_PATH_MAX];
    const json_t *list = json_object_get(root, "networks");

    if (list != NULL && !json_is_null(list)) {
        if (!json_is_array(list) || json_array_size(list) > SYSCONF_MAX_NETWORKS) {
            sysconf_walk_error(w, "networks", "expected a list of at most %d {name, members}",
                               SYSCONF_MAX_NETWORKS);
            return;
        }
        cfg->networks =
            sysconf_arena_alloc(w->arena, json_array_size(list) * sizeof(*cfg->networks) + 1);
        if (cfg->networks == NULL) {
            sysconf_walk_error(w, "networks", "out of memory");
            return;
        }
        for (size_t i = 0; i < json_array_size(list); i++) {
            struct sysconf_network *n = &cfg->networks[cfg->network_count];
            memset(n, 0, sizeof(*n));
            sysconf_path_index(item, "networks", i);
            if (walk_network(w, json_array_get(list, i), item, cfg, n))
                cfg->network_count++;
        }
    }
    check_nics(w, cfg);
    check_ports(w, cfg);
}
