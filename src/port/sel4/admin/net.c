/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network: the switch protection domain and each VM's port on it
 * (net_abi.h, docs/sel4.md "Networking"). The switch is built once, at
 * boot, from an untyped of its own, when at least one VM has a NIC. Its
 * CSpace holds its notification and, per running VM with a NIC, a
 * send-only capability to that VMM's notification; its VSpace maps its
 * program, argument page and the ports' regions, nothing of any VM.
 *
 * Each port's region is made here, once, from the switch's untyped: the
 * switch maps the frames, the admin maps copies (to zero the region when
 * its VM stops), and a starting VM gets copies in its slot range that go
 * with it. A VM's notification is made from the VM's budget, so revoking
 * the VM deletes the switch's capability to it too.
 */
#include <string.h>

#include "admin.h"
#include "net_abi.h"

#define SWITCH_UT_BITS 23 /* program (with the runtime's stacks), regions, tables */
#define SWITCH_SLOTS 4096
#define ADMIN_NET_VA 0x3000000000ull /* port p's region at + p * SEL4_SWITCH_PORT_STRIDE */

static struct backend_pd sw;
static seL4_CPtr region[SEL4_NET_MAX_PORTS]; /* first frame; the rest in consecutive slots */
static seL4_CPtr detach[SEL4_NET_MAX_PORTS]; /* the admin's badged signal to the switch */

static bool has_nic(unsigned index)
{
    /* A NIC served by a driver VM is driver_vm.c's. */
    return index < sel4_vm_count && index < SEL4_NET_MAX_PORTS && sel4_vm_table[index].net &&
           sel4_vm_table[index].net_backend < 0;
}

static void fill_args(struct sel4_switch_args *a)
{
    memset(a, 0, sizeof(*a));
    a->magic = SEL4_SWITCH_ABI_MAGIC;
    a->version = SEL4_SWITCH_ABI_VERSION;
    a->port_count = sel4_vm_count < SEL4_NET_MAX_PORTS ? sel4_vm_count : SEL4_NET_MAX_PORTS;
    a->network_count = sel4_network_count;
    for (unsigned n = 0; n < sel4_network_count && n < 8; n++)
        strncpy(a->networks[n], sel4_network_names[n], sizeof(a->networks[n]) - 1);
    for (unsigned p = 0; p < a->port_count; p++) {
        const struct sel4_vm_desc *d = &sel4_vm_table[p];
        strncpy(a->ports[p].name, d->name, sizeof(a->ports[p].name) - 1);
        if (!d->net || d->net_backend >= 0)
            continue;
        a->ports[p].in_use = 1;
        memcpy(a->ports[p].mac, d->mac, sizeof(a->ports[p].mac));
        a->ports[p].networks = d->networks;
    }
}

static int net_init(void)
{
    static struct sel4_switch_args a;
    unsigned ports = 0;

    for (unsigned i = 0; i < sel4_vm_count; i++)
        ports += has_nic(i);
    if (ports == 0)
        return 0;
    if (backend_pd_create(&sw, "switch", sel4_switch_program, sel4_switch_program_size,
                          SWITCH_UT_BITS, SWITCH_SLOTS, SEL4_SWITCH_CNODE_BITS) < 0)
        return -1;
    for (unsigned p = 0; p < SEL4_NET_MAX_PORTS; p++) {
        if (!has_nic(p))
            continue;
        if (backend_pd_region(&sw, p, false, SEL4_NET_REGION_PAGES, SEL4_SWITCH_PORT_VA(p),
                              ADMIN_NET_VA + p * SEL4_SWITCH_PORT_STRIDE,
                              &region[p]) != seL4_NoError ||
            backend_pd_badge(&sw, SEL4_BADGE_NET_DETACH(p), &detach[p]) != seL4_NoError)
            return -1;
    }
    fill_args(&a);
    _Static_assert(sizeof(a) <= 4096, "the argument page is one page");
    const struct backend_pd_layout layout = {
        .args_va = SEL4_SWITCH_ARGS_VA,
        .ipc_va = SEL4_SWITCH_IPC_BUFFER_VA,
        .ntfn_slot = SEL4_SWITCH_SLOT_NTFN,
        .prio = ADMIN_PRIO - 1,
        .thread_name = "stdvmm-switch",
    };
    if (backend_pd_start(&sw, &a, sizeof(a), &layout) != seL4_NoError)
        return -1;
    console_printf("admin: switch started: %u ports, %u networks, %u KiB of channels each\n", ports,
                   sel4_network_count, SEL4_NET_REGION_BYTES >> 10);
    return 0;
}

static unsigned net_vm_slots(unsigned index)
{
    /* The region's frames and the page tables that map them. */
    return has_nic(index) ? SEL4_NET_REGION_PAGES + 4 : 0;
}

static void net_vm_args(const struct vm_start *vs, struct sel4_vmm_args *a)
{
    unsigned index = vs->index;

    if (!has_nic(index) || !sw.up)
        return;
    a->net = 1;
    memcpy(a->net_mac, sel4_vm_table[index].mac, sizeof(a->net_mac));
    int irq_vcpu = sel4_vm_table[index].net_irq_vcpu;
    a->net_irq_vcpu = irq_vcpu >= 0 ? (uint32_t)irq_vcpu + 1 : 0;
}

static seL4_Error net_vm_start(const struct vm_start *vs)
{
    unsigned index = vs->index;

    if (!has_nic(index) || !sw.up)
        return seL4_NoError;
    seL4_Error err = backend_pd_attach_vmm(
        &sw, SEL4_SWITCH_SLOT_VMM_NTFN + index, vs->vmm_ntfn, SEL4_BADGE_NET_VMM, vs->vmm_cnode,
        SEL4_VMM_SLOT_NET_DOORBELL, SEL4_BADGE_NET_DOORBELL(index));
    if (err == seL4_NoError)
        err = backend_pd_share(region[index], SEL4_NET_REGION_PAGES, vs->vmm_vspace,
                               SEL4_VMM_NET_VA, vs->objects);
    if (err != seL4_NoError)
        console_printf("admin: %s: its port on the switch: seL4 error %d\n",
                       sel4_vm_table[index].name, err);
    return err;
}

static void net_vm_stopped(unsigned index)
{
    if (!has_nic(index) || !sw.up)
        return;
    /*
     * The VMM is gone (revoked); the switch still maps the region. Zero it
     * before telling the switch, so that nothing the VM left there can be
     * taken for a channel of its next run.
     */
    memset((void *)(uintptr_t)(ADMIN_NET_VA + index * SEL4_SWITCH_PORT_STRIDE), 0,
           SEL4_NET_REGION_BYTES);
    seL4_Signal(detach[index]);
}

const struct admin_service net_service = {"no switch: VMs with a NIC on a network start without it",
                                          net_init,
                                          net_vm_slots,
                                          net_vm_args,
                                          net_vm_start,
                                          net_vm_stopped};
