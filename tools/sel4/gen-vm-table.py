#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compile a system description into the seL4 root task's VM table.

The description uses the schema of stdvmmd's system descriptions
(docs/examples/system.yaml): system {memory, vcpus, max_vms, host_cpus,
pools}; vms[] entries with name, kernel, initramfs, cmdline, cpus (count,
pcpus, pool, placement, priority, policy, dedicated, budget, weight),
vmm_threads, memory, autostart, no_reboot, console (serial or virtio), and
one disk per VM: a read-only image (disks: [{path, read_only: true, id,
irq_vcpu}]) or a region of the board's disk, served by the block server PD
(disks: [{device: disk0, offset, size, read_only, id, irq_vcpu}]), and one
NIC on a network of the switch PD (nets: [{network: NAME, mac, irq_vcpu}]),
with the networks at top level (networks: [{name, members: [VM, ...]}]), and
cache colours (system.cache {line, size, ways}; a VM's colours and
share_colours, docs/memory.md), and iommu: true (a virtio-iommu in the
VMM in front of the VM's virtio devices). The
placement rules and their seL4 mapping are docs/sel4.md's "Cores,
priorities and budgets". Keys the seL4 port does not implement yet (tap and
user nets, vsock, instances, writable image files, several disks, ...) are refused
with a message rather than silently dropped. Writes:

  OUT/vm_table.c  the table (include/port/sel4/vm_table.h's definitions)
  OUT/images.S    every distinct boot image and the VMM program, .incbin'ed once
  OUT/images.d    a depfile so that changed images rebuild the root task
"""
import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Paths may name environment variables ($STDVMM_GUEST_KIT/vmlinuz).
SUPPORTED = {"name", "kernel", "initramfs", "cmdline", "cpus", "memory", "autostart",
             "no_reboot", "restart", "serial_log", "console", "disks", "vmm_threads", "nets",
             "passthrough", "serves", "memory_map", "colours", "share_colours", "iommu"}
DISK_KEYS = {"path", "read_only", "id", "irq_vcpu"}
REGION_KEYS = {"device", "offset", "size", "read_only", "id", "irq_vcpu", "backend"}
BOARD_DISKS = ("disk0",)  # blk_abi.h: QEMU virt's first virtio-blk-device
# Board devices a VM may own (passthrough): bit n of sel4_vm_desc.passthrough. net0 is
# QEMU virt's first virtio-net-device.
BOARD_DEVICES = ("disk0", "net0")
NET_KEYS = {"network", "mac", "irq_vcpu", "backend"}
MAX_NETWORKS = 8  # net_abi.h: the switch's argument page names 8
MAX_VMS = 8
MAX_IMAGES = 8
MAX_SHARED = 4  # vmm_abi.h: the VMM's argument page names 4 (SEL4_VMM_MAX_SHARED)
MAX_SHARED_MEMBERS = 8
LARGE_PAGE = 2 << 20  # the admin backs guest memory with 2 MiB frames
RAM_BASE = 1 << 30  # A64_RAM_BASE: guest RAM starts at 1 GiB
DEVICE_AREA = (0x08000000, 1 << 30)  # GIC, UART, RTC, virtio-mmio
IPA_END = 1 << 40  # the guest's stage-2 address space
MAX_VCPUS = 8  # SEL4_VMM_MAX_VCPUS: GICv2's one-byte target lists
# Below this, Debian arm64's 64 MiB default CMA area fits beside a ~40 MiB kernel
# and leaves the guest too little (112 MiB: 9 MiB free, an out-of-memory panic
# before the console), unless the command line sizes it (docs/sel4.md).
CMA_SAFE_MEMORY = 128 << 20


def fail(msg):
    sys.exit(f"gen-vm-table: {msg}")


def note(msg):
    """What the build log should say about a field that decides nothing here."""
    print(f"gen-vm-table: note: {msg}", file=sys.stderr)


_SPELLING_TOOL = None


def spelling(grammar, text):
    """stdvmm's own parser for a size or a MAC (src/core/spelling.c), built
    once per run as a host program: its output line, or None when text is
    not in the grammar."""
    global _SPELLING_TOOL
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    if _SPELLING_TOOL is None:
        tmp = tempfile.mkdtemp(prefix="gen-vm-table-")
        atexit.register(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "spelling_tool")
        cc = os.environ.get("HOST_CC", "cc")
        r = subprocess.run([cc, "-std=c17", "-O1", "-I", os.path.join(top, "include"), "-o", out,
                            os.path.join(top, "tools", "sel4", "spelling_tool.c"),
                            os.path.join(top, "src", "core", "spelling.c")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"cannot build the spelling tool with {cc}: {r.stderr.strip()}")
        _SPELLING_TOOL = out
    r = subprocess.run([_SPELLING_TOOL, grammar, text], capture_output=True, text=True)
    if r.returncode == 1:
        return None
    if r.returncode != 0:
        fail(f"spelling tool: {r.stderr.strip()}")
    return r.stdout.strip()


def parse_size(value, where):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = spelling("size", value) if isinstance(value, str) else None
    if text is None:
        fail(f"{where}: '{value}' is not a size (like 256M)")
    return int(text)


def parse_cpus(value, where):
    """A pCPU list as stdvmmd reads it: [1, 2], a number, or a string like "0-3,6"."""
    if isinstance(value, bool):
        fail(f"{where}: want a core list")
    if isinstance(value, int):
        value = [value]
    if isinstance(value, str):
        out = []
        for part in value.split(","):
            m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
            if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
                fail(f"{where}: '{value}' is not a core list (like \"0-3,6\")")
            out += range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1)
        value = out
    if not isinstance(value, list) or not value or \
            not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < 256
                    for c in value):
        fail(f"{where}: want a non-empty list of cores 0-255")
    return value


ADMIN_PRIO = 255  # the admin's own seL4 priority, seL4_MaxPrio (src/port/sel4/admin/admin.h)
# A VM's VMM threads run one above its highest vCPU and below the admin.
VM_PRIO_MAX = ADMIN_PRIO - 2
DEFAULT_PRIO = 100  # GUEST_PRIO in admin.h: a vCPU without a priority
DEFAULT_WEIGHT = 100
MIN_WEIGHT, MAX_WEIGHT = 1, 10000
# Weights become budgets of this period: Linux's CFS bandwidth period (cpu.max's
# default), which the KVM side's budgets and the examples use too.
WEIGHT_PERIOD_US = 100000
MIN_BUDGET_US = 1000  # stdvmm's floor for a runtime (docs/multicore.md, Rules)

CPUS_KEYS = {"count", "pcpus", "pool", "placement", "priority", "policy", "dedicated",
             "budget", "weight"}
ENTRY_KEYS = {"vcpu", "pcpus", "pool", "priority", "policy", "budget", "weight"}
SYSTEM_KEYS = {"memory", "vcpus", "max_vms", "host_cpus", "pools", "cache"}
CACHE_KEYS = {"line", "size", "ways"}
PAGE = 4096
MAX_COLOURS = 64  # SEL4_COLOUR_MAX: a VM's colours are a 64-bit mask (portable/colour.h)
# What a coloured VM's VMM takes in frames of its colours besides guest RAM (its program
# with its bss, argument, IPC and console pages; 267 pages, ~1 MiB, in December 2026, since
# the device models' larger tables are data pages, below): an upper estimate; the admin
# counts them exactly.
VMM_FRAMES_ESTIMATE = 2 << 20
# The admin maps the device models' tables into a VMM only for a VM with the device
# (vmm_abi.h, the VMM's data areas): with iommu: true the virtio-iommu's
# (SEL4_VMM_IOMMU_TABLES_BYTES: 4 domains of 4096 mappings of 32 bytes); with a disk its
# requests in flight (SEL4_VMM_BLK_REQS_BYTES: 32 of 4200 bytes); for a driver VM its
# vsock connections (SEL4_VMM_VSOCK_CONNS_BYTES: 3 per VM it serves and 2 spare, of
# 131128 bytes, their two 64 KiB buffers). Each area starts on a page.
IOMMU_TABLES_BYTES = 4 * 4096 * 32
BLK_REQS_BYTES = 32 * 4200
VSOCK_CONN_BYTES = 131128


def vsock_conns(clients):
    """SEL4_VMM_VSOCK_CONNS: a driver VM's connections for the VMs it serves."""
    return 3 * clients + 2


# A coloured VM's channels take frames of its colours too (admin/colour_channel.c): its NIC's
# region (net_abi.h SEL4_NET_REGION_BYTES: two channels of 36 pages) and its disk's channel
# (blk_abi.h SEL4_BLK_CHANNEL_BYTES: 32 slots of 64 KiB and two pages), whoever its peer is.
NET_CHANNEL_BYTES = 2 * 36 * PAGE
DISK_CHANNEL_BYTES = 32 * 64 * 1024 + 2 * PAGE
# Where a description's keys are: {("vms", i, key): line}, from load() for YAML.
LINES = {}


def want_int(value, lo, hi, where, what):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        fail(f"{where}: {value!r}; {what}")
    return value


def sched_fields(obj, where, s):
    """Applies the scheduling fields of a cpus mapping or a placement entry to s.

    As stdvmmd reads them: an entry's pcpus or pool replaces the VM-wide one."""
    if "pcpus" in obj and "pool" in obj:
        fail(f"{where}: a vCPU is either in a pool or on its own pcpus, not both")
    if "pcpus" in obj:
        s["pcpus"], s["pool"] = parse_cpus(obj["pcpus"], f"{where}.pcpus"), None
    if "pool" in obj:
        if not isinstance(obj["pool"], str) or not obj["pool"]:
            fail(f"{where}.pool: want the name of one of system.pools")
        s["pool"], s["pcpus"] = obj["pool"], None
    if "priority" in obj:
        s["priority"] = want_int(
            obj["priority"], 0, VM_PRIO_MAX, f"{where}.priority",
            f"seL4 priorities 0-{VM_PRIO_MAX} (the admin runs at {ADMIN_PRIO}, a VM's VMM "
            "threads one above its highest vCPU)")
    if "policy" in obj:
        if obj["policy"] not in ("fifo", "rr"):
            fail(f"{where}.policy: {obj['policy']!r}; want fifo or rr")
        s["policy"] = obj["policy"]
    if "budget" in obj:
        s["budget"] = parse_budget(obj["budget"], f"{where}.budget")
    if "weight" in obj:
        s["weight"] = want_int(obj["weight"], MIN_WEIGHT, MAX_WEIGHT, f"{where}.weight",
                               f"weights are {MIN_WEIGHT}-{MAX_WEIGHT} (default {DEFAULT_WEIGHT})")


def vcpu_sched(cpus, where):
    """(count, one dict per vCPU) from a VM's cpus: a count, or {count, pcpus, pool,
    placement, priority, policy, dedicated, budget, weight}.

    Each dict: pcpus (a list or None), core (the one core seL4 runs it on, when
    pcpus gives it), pool (a name or None), priority (-1: the default), policy
    (None: the default), budget ((0, 0): none), weight (None: the default),
    dedicated. seL4 gives a thread one core, not a set: with VM-wide pcpus
    vCPU i takes pcpus[i mod len]; a placement entry's pcpus put it on their
    first core; pool vCPUs are spread over the pool later (place_pools)."""
    base = {"pcpus": None, "pool": None, "priority": -1, "policy": None, "budget": (0, 0),
            "weight": None, "dedicated": False}
    if not isinstance(cpus, dict):
        count, placement = cpus, []
    else:
        unknown = set(cpus) - CPUS_KEYS
        if unknown:
            fail(f"{where}: {', '.join(sorted(unknown))}: not a cpus key (" +
                 ", ".join(sorted(CPUS_KEYS)) + ")")
        sched_fields(cpus, where, base)
        dedicated = cpus.get("dedicated", False)
        if not isinstance(dedicated, bool):
            fail(f"{where}.dedicated: want true or false")
        if dedicated and base["pool"] is not None:
            fail(f"{where}: a vCPU is either in a pool or on its own (dedicated) pcpus, not both")
        base["dedicated"] = dedicated
        count = cpus.get("count", 1)
        placement = cpus.get("placement", [])
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_VCPUS:
        fail(f"{where}: {count} vCPUs; the seL4 port runs 1 to {MAX_VCPUS} per VM")
    vcpus = []
    for i in range(count):
        s = dict(base)
        if s["pcpus"] is not None:
            s["core"] = s["pcpus"][i % len(s["pcpus"])]
        vcpus.append(s)
    if not isinstance(placement, list):
        fail(f"{where}.placement: want a list of {{vcpu, pcpus, ...}}")
    named = set()
    for k, p in enumerate(placement):
        pw = f"{where}.placement[{k}]"
        if not isinstance(p, dict) or "vcpu" not in p:
            fail(f"{pw}: want {{vcpu, ...}}")
        unknown = set(p) - ENTRY_KEYS
        if unknown:
            fail(f"{pw}: {', '.join(sorted(unknown))}: not supported in a placement entry on "
                 "seL4 (" + ", ".join(sorted(ENTRY_KEYS)) + " are)")
        v = p["vcpu"]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < count:
            fail(f"{pw}.vcpu: {v!r}; this VM has vCPUs 0-{count - 1}")
        if v in named:
            fail(f"{pw}.vcpu: vCPU {v} is placed twice")
        named.add(v)
        s = vcpus[v]
        sched_fields(p, pw, s)
        if "pcpus" in p:
            s["core"] = s["pcpus"][0]
        if "pool" in p:
            if s["dedicated"]:
                fail(f"{pw}.pool: the VM's vCPUs are dedicated; a dedicated VM has no vCPU "
                     "in a pool")
            s.pop("core", None)
    for s in vcpus:
        if s["pcpus"] is None and s["pool"] is None:
            s["core"] = 0  # a vCPU placed nowhere runs where the admin boots: core 0
        if s["pool"] is not None and s["priority"] >= 0 and s["budget"] == (0, 0):
            fail(f"{where}: a real-time priority in the shared pool '{s['pool']}' needs a "
                 "budget: without one the vCPU could take the pool's cores from every other VM")
    return count, vcpus


def parse_system(doc):
    """system: {memory, vcpus, max_vms, host_cpus, pools}; limits absent are None."""
    sysd = doc.get("system") or {}
    if not isinstance(sysd, dict):
        fail("system: want a mapping")
    unknown = set(sysd) - SYSTEM_KEYS
    if unknown:
        fail(f"system: {', '.join(sorted(unknown))}: not a system key (" +
             ", ".join(sorted(SYSTEM_KEYS)) + ")")
    out = {"memory": None, "vcpus": None, "max_vms": None, "host_cpus": None, "pools": {},
           "cache": parse_cache(sysd.get("cache"))}
    if "memory" in sysd:
        out["memory"] = parse_size(sysd["memory"], "system.memory")
    if "vcpus" in sysd:
        out["vcpus"] = want_int(sysd["vcpus"], 1, 65536, "system.vcpus", "want 1-65536")
    if "max_vms" in sysd:
        out["max_vms"] = want_int(sysd["max_vms"], 1, 4096, "system.max_vms", "want 1-4096")
    if "host_cpus" in sysd:
        out["host_cpus"] = set(parse_cpus(sysd["host_cpus"], "system.host_cpus"))
    pools = sysd.get("pools", {})
    if not isinstance(pools, dict):
        fail("system.pools: want a mapping NAME: [cores]")
    for name, cores in pools.items():
        out["pools"][name] = parse_cpus(cores, f"system.pools.{name}")
        outside = sorted(set(out["pools"][name]) - (out["host_cpus"] or set(range(256))))
        if outside:
            fail(f"system.pools.{name}: cores {outside} are not in system.host_cpus")
    return out


def pow2(x):
    return x > 0 and x & (x - 1) == 0


def parse_cache(cache):
    """system.cache {line, size, ways}: the last-level cache that colours divide, as
    (line, size, ways, colours), or None. QEMU's virt board has no geometry to read,
    so the description gives it (docs/memory.md)."""
    if cache is None:
        return None
    if not isinstance(cache, dict) or set(cache) != CACHE_KEYS:
        fail("system.cache: want {line, size, ways} (bytes per line, bytes, ways)")
    line = want_int(cache["line"], 16, PAGE, "system.cache.line", "want 16-4096 bytes")
    size = parse_size(cache["size"], "system.cache.size")
    ways = want_int(cache["ways"], 1, 1024, "system.cache.ways", "want 1-1024")
    if not (pow2(line) and pow2(size) and pow2(ways)):
        fail(f"system.cache: line {line}, size {size}, ways {ways}: want powers of two")
    if size // ways < PAGE:
        fail(f"system.cache: a way of {size // ways} bytes is below a page (4 KiB): "
             "no colours to give")
    colours = size // ways // PAGE
    if colours > MAX_COLOURS:
        fail(f"system.cache: {colours} colours; the seL4 port handles at most {MAX_COLOURS}")
    return (line, size, ways, colours)


def line_of(i, key, top="vms"):
    return f" (line {LINES[(top, i, key)]})" if (top, i, key) in LINES else ""


def colour_text(mask):
    """A colour set as the description spells it: 0-3,8."""
    out, c = [], 0
    while c < MAX_COLOURS:
        if mask >> c & 1:
            e = c
            while e + 1 < MAX_COLOURS and mask >> (e + 1) & 1:
                e += 1
            out.append(f"{c}-{e}" if e > c else f"{c}")
            c = e + 1
        else:
            c += 1
    return ",".join(out)


def parse_colours(value, where, cache):
    """A VM's colours: a list of colours and ranges ([0-3, 8], [0, 1]) or a string "0-3,8";
    a mask of colours below the cache's count."""
    if cache is None:
        fail(f"{where}: colours need system.cache {{line, size, ways}}: the last-level cache "
             "whose colours they are (QEMU's virt board has none to read)")
    items = value if isinstance(value, list) else [value]
    mask = 0
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str):
            fail(f"{where}: want colours like [0-3, 8] or \"0-3,8\"")
        for part in item.split(","):
            m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
            if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
                fail(f"{where}: '{item}' is not a colour list (like 0-3,8)")
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if hi >= cache[3]:
                fail(f"{where}: colour {hi}; system.cache has colours 0-{cache[3] - 1} "
                     f"(size / (ways * 4 KiB))")
            for c in range(lo, hi + 1):
                mask |= 1 << c
    if mask == 0:
        fail(f"{where}: want at least one colour")
    return mask


def vm_colours(vm, i, where, cache):
    """(mask, share) of a VM; (0, False) when uncoloured. A coloured VM's RAM is in 4 KiB
    frames of its colours; what the port cannot colour yet is refused, not left uncoloured."""
    if "colours" not in vm:
        if "share_colours" in vm:
            fail(f"{where}.share_colours: without colours")
        return 0, False
    mask = parse_colours(vm["colours"], f"{where}.colours{line_of(i, 'colours')}", cache)
    share = vm.get("share_colours", False)
    if not isinstance(share, bool):
        fail(f"{where}.share_colours: want true or false")
    for key in ("passthrough", "serves"):
        if vm.get(key):
            fail(f"{where}.{key}: a VM that owns a board device gives it its RAM's physical "
                 "addresses as one block (DMA without an IOMMU), and a coloured VM's RAM is "
                 "4 KiB frames spread over its colours; a coloured VM owns no board device "
                 "(docs/memory.md)")
    disks = vm.get("disks")
    for k, d in enumerate(disks if isinstance(disks, list) else []):
        if isinstance(d, dict) and "path" in d and d.get("read_only") is True:
            fail(f"{where}.disks[{k}]: a read-only image is read from the admin's image store, "
                 "2 MiB frames every VM shares, which cannot be in one VM's colours; give a "
                 "coloured VM a region of the board's disk instead, whose channel is in its "
                 "colours (docs/memory.md)")
    return mask, share


def pages(n):
    return -(-n // PAGE) * PAGE


def data_bytes(vm):
    """The VMM's data areas (vmm_abi.h): the device models' tables its VM's devices need."""
    serves = len(vm.get("serves") or [])
    return (pages(IOMMU_TABLES_BYTES if vm["iommu"] else 0) +
            pages(BLK_REQS_BYTES if vm["disk"] >= 0 or vm["region"] is not None else 0) +
            pages(vsock_conns(serves) * VSOCK_CONN_BYTES if serves else 0))


def vmm_bytes(vm):
    """What a coloured VM's VMM takes of its colours: its program and pages, and the device
    models' tables of the devices it has."""
    return VMM_FRAMES_ESTIMATE + data_bytes(vm)


def channel_bytes(vm):
    """What a coloured VM's channels take of its colours: its NIC's and its disk's."""
    return ((NET_CHANNEL_BYTES if vm["net"] else 0) +
            (DISK_CHANNEL_BYTES if vm["region"] is not None else 0))


def check_colours(system, vms):
    """Colours are disjoint between VMs unless both say share_colours; each colour holds
    system.memory / colours, which the VMs on it must fit (each VM takes its memory evenly
    from its colours)."""
    coloured = [(i, vm) for i, vm in enumerate(vms) if vm["colours"]]
    for a, (i, x) in enumerate(coloured):
        for j, y in coloured[a + 1:]:
            both = x["colours"] & y["colours"]
            if both and not (x["share_colours"] and y["share_colours"]):
                fail(f"vms: {x['name']} ({x['where']}.colours{line_of(i, 'colours')}) and "
                     f"{y['name']} ({y['where']}.colours{line_of(j, 'colours')}) share colours "
                     f"{colour_text(both)}; colours are a VM's own unless both VMs say "
                     "share_colours: true")
    regions = [(k, r) for k, r in enumerate(system.get("shared", [])) if r[4]]
    for k, (name, _, _, members, mask) in regions:
        where = f"shared_regions[{k}].colours{line_of(k, 'colours', 'shared_regions')}"
        for i, x in coloured:
            both = x["colours"] & mask
            if both and not x["share_colours"]:
                member = any(v == i for v, _, _ in members)
                fail(f"shared region {name} ({where}) has colours {colour_text(both)} of "
                     f"{x['name']} ({x['where']}.colours{line_of(i, 'colours')}), "
                     f"{'a member' if member else 'not a member'} that does not say "
                     "share_colours: true; a region's colours are nobody's or shared")
    if not coloured and not regions:
        return
    colours = system["cache"][3]
    if system["memory"] is None:
        note("system.memory not given: the colours' capacity is checked by the admin at boot")
        return
    capacity = system["memory"] // colours
    for c in range(colours):
        users = [vm for _, vm in coloured if vm["colours"] >> c & 1]
        need = sum((vm["memory"] + vmm_bytes(vm) + channel_bytes(vm)) /
                   bin(vm["colours"]).count("1") for vm in users)
        on = [r for _, r in regions if r[4] >> c & 1]
        need += sum(r[1] / bin(r[4]).count("1") for r in on)
        if need > capacity:
            fail(f"vms: colour {c} holds {capacity >> 20} MiB (system.memory "
                 f"{system['memory'] >> 20} MiB / {colours} colours), but " +
                 ", ".join([vm["name"] for vm in users] + [f"shared region {r[0]}" for r in on]) +
                 f" need {need / (1 << 20):.1f} MiB of it (RAM, ~{VMM_FRAMES_ESTIMATE >> 20} "
                 "MiB of VMM frames, their devices' tables and their channels each, spread "
                 "evenly over their colours)")


def place(system, vms, mcs):
    """Places every vCPU and VMM thread and derives weight budgets, in place.

    vms: dicts with name, vcpus (from vcpu_sched) and vmm_threads (a core
    list or None). Adds to each vCPU dict: core, vmm_core, prio, fifo and the
    final budget; to each VM: prio_max. Refuses what stdvmmd refuses and
    what seL4 cannot do."""
    host = system["host_cpus"]
    # Pool vCPUs spread over their pool: each in turn (description order) to
    # the pool core with the fewest vCPUs so far, pinned ones counted first.
    on_core = {}
    for vm in vms:
        for s in vm["vcpus"]:
            if "core" in s:
                on_core[s["core"]] = on_core.get(s["core"], 0) + 1
    for vm in vms:
        for i, s in enumerate(vm["vcpus"]):
            if s["pool"] is None:
                continue
            pool = system["pools"].get(s["pool"])
            if pool is None:
                fail(f"{vm['where']}: vCPU {i}: no pool '{s['pool']}' in system.pools")
            s["core"] = min(pool, key=lambda c: (on_core.get(c, 0), pool.index(c)))
            on_core[s["core"]] = on_core.get(s["core"], 0) + 1
    for vm in vms:
        for i, s in enumerate(vm["vcpus"]):
            where = f"{vm['where']}: vCPU {i}"
            cores = s["pcpus"] if s["pcpus"] is not None else [s["core"]]
            if host is not None and not set(cores) <= host:
                fail(f"{where}: cores {sorted(set(cores) - host)} are not in system.host_cpus")
            threads = vm["vmm_threads"]
            s["vmm_core"] = threads[i % len(threads)] if threads else s["core"]
            s["prio"] = s["priority"] if s["priority"] >= 0 else DEFAULT_PRIO
            # stdvmmd's default: a priority alone is SCHED_FIFO; no priority is
            # time-shared, which seL4 does as round robin among equals.
            s["fifo"] = (s["policy"] or ("fifo" if s["priority"] >= 0 else "rr")) == "fifo"
            # Alone on a dedicated core, a vCPU has no equal to be fifo or rr against.
            if not mcs and s["fifo"] and not s["dedicated"]:
                fail(f"{where}: policy fifo" + ("" if s["policy"] else
                     f" (stdvmmd's default for a priority, {s['priority']})") +
                     ": seL4 without MCS round-robins equal priorities with its fixed "
                     "timeslice; fifo needs an MCS kernel (-DKernelIsMCS=ON), or give policy: rr")
            if not mcs and s["weight"] not in (None, DEFAULT_WEIGHT):
                fail(f"{where}: weight {s['weight']}: seL4 without MCS has no budgets to "
                     "share a core by weight (equal priorities get equal timeslices); build "
                     "with -DKernelIsMCS=ON or drop the weight")
        if vm["vmm_threads"] and host is not None and not set(vm["vmm_threads"]) <= host:
            fail(f"{vm['where']}.vmm_threads: cores "
                 f"{sorted(set(vm['vmm_threads']) - host)} are not in system.host_cpus")
        vm["prio_max"] = max(s["prio"] for s in vm["vcpus"])
    check_dedicated(system, vms)
    check_budgets(vms)  # the explicit ones first: weights divide what they leave
    if mcs:
        derive_weight_budgets(vms)
        check_budgets(vms)


def check_dedicated(system, vms):
    """A dedicated vCPU's core is its own (stdvmmd's rule, docs/multicore.md):
    no other vCPU of any VM, no pool, no other VM's VMM threads."""
    for vm in vms:
        for i, s in enumerate(vm["vcpus"]):
            if not s["dedicated"]:
                continue
            c = s["core"]
            for name, pool in system["pools"].items():
                if c in pool:
                    fail(f"{vm['where']}: vCPU {i}: dedicated core {c} is in the shared "
                         f"pool '{name}'")
            for other in vms:
                for j, t in enumerate(other["vcpus"]):
                    if t["core"] == c and (other is not vm or j != i):
                        fail(f"vms: {vm['name']} vCPU {i} has core {c} dedicated, but "
                             f"{other['name']} vCPU {j} is placed there too")
                if other is not vm and other["vmm_threads"] and c in other["vmm_threads"]:
                    fail(f"vms: {vm['name']} vCPU {i} has core {c} dedicated, but it is in "
                         f"{other['name']}'s vmm_threads")


def derive_weight_budgets(vms):
    """MCS has no proportional share: on a core where vCPUs without a budget
    share the time and one of them has a weight, each gets a budget of
    WEIGHT_PERIOD_US in proportion to its weight, out of what the explicit
    budgets there leave. A core with one unbudgeted vCPU has nothing to
    divide: it keeps a full context and takes what the budgets leave."""
    by_core = {}
    for vm in vms:
        for i, s in enumerate(vm["vcpus"]):
            by_core.setdefault(s["core"], []).append((vm, i, s))
    for core, here in sorted(by_core.items()):
        free = WEIGHT_PERIOD_US - sum(s["budget"][0] * WEIGHT_PERIOD_US // s["budget"][1]
                                      for _, _, s in here if s["budget"][0])
        shared = [(vm, i, s) for vm, i, s in here if not s["budget"][0]]
        for vm, i, s in here:
            if s["weight"] in (None, DEFAULT_WEIGHT) or len(shared) >= 2 and not s["budget"][0]:
                continue
            note(f"{vm['name']} vCPU {i}: weight {s['weight']} on core {core}: " +
                 (f"its budget ({s['budget'][0]}/{s['budget'][1]} us) sets its share"
                  if s["budget"][0] else
                  f"no other vCPU there without a budget; it takes what the budgets leave "
                  f"({max(free, 0) * 100 // WEIGHT_PERIOD_US}% when they use theirs)"))
        if len(shared) < 2 or all(s["weight"] in (None, DEFAULT_WEIGHT) for _, _, s in shared):
            continue
        total = sum(s["weight"] or DEFAULT_WEIGHT for _, _, s in shared)
        for vm, i, s in shared:
            w = s["weight"] or DEFAULT_WEIGHT
            if s["fifo"]:
                fail(f"{vm['where']}: vCPU {i}: policy fifo on core {core}, whose time the "
                     "weights there divide into budgets; a fifo vCPU needs a core without "
                     "weights, or give it a budget")
            runtime = max(free, 0) * w // total
            if runtime < MIN_BUDGET_US:
                fail(f"{vm['where']}: vCPU {i}: weight {w} of {total} on core {core} is "
                     f"{runtime} us of every {WEIGHT_PERIOD_US} us, under the "
                     f"{MIN_BUDGET_US} us minimum budget")
            s["budget"] = (runtime, WEIGHT_PERIOD_US)
            s["from_weight"] = True


def parse_duration_us(value, where):
    """A duration as stdvmmd reads it ("20ms", "500us", "1s", or a number of ns) in us."""
    if isinstance(value, int) and not isinstance(value, bool):
        ns = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*(ns|us|ms|s)\s*", str(value))
        if not m:
            fail(f"{where}: '{value}' is not a duration (like 20ms)")
        ns = int(m.group(1)) * {"ns": 1, "us": 1000, "ms": 1000000, "s": 1000000000}[m.group(2)]
    if ns % 1000 or not 0 < ns // 1000 < 2**32:
        fail(f"{where}: {value}: seL4 scheduling contexts take whole microseconds up to ~71 min")
    return ns // 1000


def parse_budget(value, where):
    """{runtime, period} (or "none") -> (budget_us, period_us); (0, 0) for none."""
    if value in (None, "none"):
        return 0, 0
    if not isinstance(value, dict) or set(value) != {"runtime", "period"}:
        fail(f"{where}: want {{runtime, period}} or none")
    runtime = parse_duration_us(value["runtime"], f"{where}.runtime")
    period = parse_duration_us(value["period"], f"{where}.period")
    if runtime > period:
        fail(f"{where}: a runtime of {runtime} us in a period of {period} us")
    return runtime, period


def check_budgets(vms):
    """Budgets on one core add up to at most 100% (stdvmmd's rule; seL4 admits no more)."""
    load = {}
    for vm in vms:
        for s in vm["vcpus"]:
            b, p = s["budget"]
            if b:
                load.setdefault(s["core"], []).append((vm["name"], b / p))
    for core, shares in sorted(load.items()):
        if sum(x for _, x in shares) > 1.0 + 1e-9:
            fail(f"vms: the budgets on core {core} add up to "
                 f"{sum(x for _, x in shares) * 100:.0f}% (" +
                 ", ".join(f"{n} {x * 100:.0f}%" for n, x in shares) + ")")


def check_system(system, vms):
    """stdvmmd's limits: each VM fits the system alone, the autostart VMs together
    (the admin checks the running ones at every start)."""
    for vm in vms:
        if system["memory"] is not None and vm["memory"] > system["memory"]:
            fail(f"{vm['where']}.memory: {vm['memory'] >> 20} MiB exceeds system.memory "
                 f"({system['memory'] >> 20} MiB)")
        if system["vcpus"] is not None and len(vm["vcpus"]) > system["vcpus"]:
            fail(f"{vm['where']}.cpus: {len(vm['vcpus'])} exceeds system.vcpus "
                 f"{system['vcpus']}")
    auto = [vm for vm in vms if vm["autostart"]]
    if system["memory"] is not None and sum(vm["memory"] for vm in auto) > system["memory"]:
        fail("vms: the autostart VMs' memory together exceeds system.memory")
    if system["vcpus"] is not None and sum(len(vm["vcpus"]) for vm in auto) > system["vcpus"]:
        fail("vms: the autostart VMs' vCPUs together exceed system.vcpus")
    if system["max_vms"] is not None and len(auto) > system["max_vms"]:
        fail(f"vms: {len(auto)} autostart VMs; system.max_vms is {system['max_vms']}")


def parse_networks(doc):
    """Top-level networks: [{name, members: [VM, ...]}] -> {name: (bit, members)}."""
    networks = doc.get("networks", [])
    if not isinstance(networks, list):
        fail("networks: want a list of {name, members}")
    if len(networks) > MAX_NETWORKS:
        fail(f"networks: {len(networks)} networks; the seL4 switch takes at most {MAX_NETWORKS}")
    out = {}
    for k, n in enumerate(networks):
        where = f"networks[{k}]"
        if isinstance(n, dict) and "uplink" in n:
            fail(f"{where}.uplink: not supported by the seL4 port (a TAP to the host is "
                 "stdvmmd's, on Linux)")
        if not isinstance(n, dict) or set(n) - {"name", "members"} or "name" not in n:
            fail(f"{where}: want {{name, members}}")
        name = n["name"]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", name):
            fail(f"{where}.name: want 1-15 letters, digits, '.', '_' or '-'")
        if name in out:
            fail(f"{where}.name: network {name} appears twice")
        members = n.get("members", [])
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            fail(f"{where}.members: want a list of VM names")
        out[name] = (k, list(members))
    return out


def parse_mac(value, where):
    """A unicast MAC as stdvmmd spells it ("52:54:00:12:34:56") -> 6 bytes."""
    text = spelling("mac", value) if isinstance(value, str) else None
    if text is None:
        fail(f"{where}: '{value}' is not a unicast MAC address such as 52:54:00:12:34:56")
    return [int(b) for b in text.split()]


def vm_net(vm, index, where, networks, cpus=1):
    """A VM's nets (one NIC: on a network of the switch, or served by a driver VM: backend)
    -> (network name or None, mac bytes, irq_vcpu or -1, backend VM name or None), or None."""
    nets = vm.get("nets", [])
    if not isinstance(nets, list) or len(nets) > 1:
        fail(f"{where}.nets: the seL4 port gives a VM one NIC so far")
    if not nets:
        return None
    n, nw = nets[0], f"{where}.nets[0]"
    if not isinstance(n, dict):
        fail(f"{nw}: want {{network, mac, irq_vcpu}} or {{backend, mac, irq_vcpu}}")
    unknown = set(n) - NET_KEYS
    if unknown:
        fail(f"{nw}: {', '.join(sorted(unknown))}: not supported by the seL4 port (a NIC there "
             "is on a network of the switch PD: {network, mac, irq_vcpu}, or served by a driver "
             "VM: {backend, mac, irq_vcpu})")
    net, backend = n.get("network"), n.get("backend")
    if (net is None) == (backend is None):
        fail(f"{nw}: give either network (the switch PD's) or backend (a driver VM)")
    if backend is not None and not isinstance(backend, str):
        fail(f"{nw}.backend: want a VM name")
    if backend is not None:
        pass
    elif net not in networks:
        fail(f"{nw}.network: {net!r} is not one of networks[] "
             f"({', '.join(sorted(networks)) or 'none defined'})")
    elif vm["name"] not in networks[net][1]:
        fail(f"{nw}.network: {vm['name']} is not a member of network {net}")
    # Without one, a locally administered MAC from the VM's index, as stable as the table.
    mac = parse_mac(n["mac"], f"{nw}.mac") if "mac" in n else [0x52, 0x54, 0x00, 0x5e, 0x00,
                                                                 index + 1]
    irq_vcpu = n.get("irq_vcpu", -1)
    if "irq_vcpu" in n and (not isinstance(irq_vcpu, int) or isinstance(irq_vcpu, bool) or
                            not 0 <= irq_vcpu < cpus):
        fail(f"{nw}.irq_vcpu: vCPU {irq_vcpu!r} does not exist (the VM has vCPUs 0 to "
             f"{cpus - 1})")
    return net, mac, irq_vcpu, backend


def check_networks(table, networks):
    """Members name VMs of the table; no MAC appears twice."""
    names = {vm["name"] for vm in table}
    for net, (_, members) in networks.items():
        for m in members:
            if m not in names:
                fail(f"networks: {net}: member {m} is not a VM of vms[]")
    seen = {}
    for vm in table:
        if vm["net"] is None:
            continue
        mac = ":".join(f"{b:02x}" for b in vm["net"][1])
        if mac in seen:
            fail(f"vms: {vm['name']} and {seen[mac]} have the same MAC {mac}")
        seen[mac] = vm["name"]


def vm_passthrough(vm, where, memory):
    """The board devices a VM owns (a driver VM): [names]. The device reads and writes
    host physical memory and QEMU's virt has no IOMMU in front of it, so the VM's RAM
    must be one physically contiguous block: a power of two, which the admin's budget
    takes as one untyped of that size."""
    devices = vm.get("passthrough", [])
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
        fail(f"{where}.passthrough: want a list of board devices ({', '.join(BOARD_DEVICES)})")
    for k, d in enumerate(devices):
        if d not in BOARD_DEVICES:
            fail(f"{where}.passthrough[{k}]: {d!r}; the board has {', '.join(BOARD_DEVICES)} "
                 "(QEMU's first -device virtio-blk-device and virtio-net-device)")
        if devices.index(d) != k:
            fail(f"{where}.passthrough[{k}]: {d} appears twice")
    if len(devices) > 1:
        fail(f"{where}.passthrough: {', '.join(devices)}; the seL4 port gives a VM one board "
             "device so far (one window, one interrupt)")
    if devices and memory & (memory - 1):
        fail(f"{where}.memory: {memory >> 20} MiB; a VM that owns a board device needs a power "
             "of two (its RAM must be physically contiguous: the device addresses it by "
             "physical address, with no IOMMU in between)")
    return devices


def vm_iommu(vm, where):
    """iommu: true puts a virtio-iommu inside the VM's VMM in front of its virtio devices
    (docs/memory.md). On seL4 every device access to guest memory is the VMM's, so all of
    them go through it; a board device the VM owns is not: its DMA is physical and would
    need a real SMMU, which QEMU's virt board here does not have."""
    iommu = vm.get("iommu", False)
    if not isinstance(iommu, bool):
        fail(f"{where}.iommu: want true or false")
    if iommu and vm.get("passthrough"):
        fail(f"{where}.iommu: a board device this VM owns (passthrough) does its DMA to "
             "physical memory, past a virtio-iommu in the VMM; confining it needs a real "
             "SMMU, which the seL4 port does not drive: drop iommu or passthrough")
    return iommu


def vm_serves(vm, where):
    """The VMs a driver VM may serve: [names]."""
    serves = vm.get("serves", [])
    if not isinstance(serves, list) or not all(isinstance(n, str) for n in serves):
        fail(f"{where}.serves: want a list of VM names")
    if serves and not vm.get("passthrough"):
        fail(f"{where}.serves: only a VM that owns a board device (passthrough) serves others")
    return serves


def check_owners(table):
    """A board device has one owner: one VM (passthrough), or the block server serving
    regions of it to VMs (disks: [{device: ...}]), never both, never two VMs."""
    owner = {}
    for vm in table:
        for d in vm["passthrough"]:
            if d in owner:
                fail(f"{vm['where']}.passthrough: {d} is given to {owner[d]} already; a board "
                     "device belongs to one VM")
            owner[d] = vm["name"]
    by_name = {vm["name"]: vm for vm in table}
    for vm in table:
        for n in vm["serves"]:
            if n not in by_name or n == vm["name"]:
                fail(f"{vm['where']}.serves: {n} is not another VM of vms[]")
        backend = vm["backend"]
        net_backend = vm["net"][3] if vm["net"] is not None else None
        for what, device, name, thing in (("disks", "disk0", backend, "disk"),
                                          ("nets", "net0", net_backend, "NIC")):
            if name is None:
                continue
            drv = by_name.get(name)
            if drv is None:
                fail(f"{vm['where']}.{what}: backend {name} is not a VM of vms[]")
            if device not in drv["passthrough"]:
                fail(f"{vm['where']}.{what}: backend {name} does not own {device} "
                     f"(passthrough: [{device}])")
            if vm["name"] not in drv["serves"]:
                fail(f"{vm['where']}.{what}: {name} may not serve {vm['name']} (its serves: "
                     f"{', '.join(drv['serves']) or 'none'})")
            if vm["passthrough"] or vm["serves"]:
                fail(f"{vm['where']}.{what}: a driver VM's {thing} cannot come from a driver VM")
        if backend is not None and net_backend is not None and backend != net_backend:
            fail(f"{vm['where']}: its disk's backend is {backend} and its NIC's {net_backend}; "
                 "the seL4 port serves a VM from one driver VM")
        if backend is not None:
            continue
        if vm["region"] is not None and "disk0" in owner:
            fail(f"{vm['where']}.disks: served from disk0 (a region of it, or a writable image "
                 f"file packed into it), which {owner['disk0']} owns (passthrough): give the disk "
                 f"backend: {owner['disk0']}; the block server cannot drive a device a VM drives")


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json") or text.lstrip().startswith("{"):
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        fail("YAML descriptions need python3-yaml (or give a .json file)")
    doc = yaml.safe_load(text)
    try:
        yaml_lines(yaml.compose(text))
    except yaml.YAMLError:
        pass  # safe_load read it: lines are only for messages
    return doc


def yaml_lines(root):
    """Records in LINES where each VM's keys are (1-based), for messages."""
    LINES.clear()
    if root is None or root.tag != "tag:yaml.org,2002:map":
        return
    for k, v in root.value:
        if k.value not in ("vms", "shared_regions") or not hasattr(v, "value") or \
                not isinstance(v.value, list):
            continue
        for i, item in enumerate(v.value):
            if isinstance(getattr(item, "value", None), list):
                for key, val in item.value:
                    if isinstance(key.value, str):
                        LINES[(k.value, i, key.value)] = key.start_mark.line + 1


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def net_fields(net, networks, index):
    """The NIC's initialisers in struct sel4_vm_desc."""
    if net is None:
        return ".net = false, .net_irq_vcpu = -1, .net_backend = -1"
    name, mac, irq_vcpu, backend = net
    on = f".networks = 1ull << {networks[name][0]}, " if name is not None else ""
    return (".net = true, .mac = {" + ", ".join(f"0x{b:02x}" for b in mac) + "}, "
            f"{on}.net_irq_vcpu = {irq_vcpu}, .net_backend = {index[backend]}")


def disk_region(d, where):
    """A region of the board's disk -> (offset, size, read_only). Whether the regions fit the
    disk and overlap is the block server's to check, against the disk as it is (blk_region.h)."""
    if d["device"] not in BOARD_DISKS:
        fail(f"{where}.device: {d['device']!r}; the board has {', '.join(BOARD_DISKS)} (QEMU's "
             "first -device virtio-blk-device)")
    if "size" not in d:
        fail(f"{where}.size: missing (the region's bytes)")
    offset = parse_size(d.get("offset", 0), f"{where}.offset")
    size = parse_size(d["size"], f"{where}.size")
    if offset % 512 or size % 512 or size == 0:
        fail(f"{where}: offset {offset} and size {size}: want multiples of 512, size not 0")
    read_only = d.get("read_only", False)
    if not isinstance(read_only, bool):
        fail(f"{where}.read_only: want true or false")
    return offset, size, read_only


def pack_board_files(table):
    """Writable image files become regions of the board's disk, one after another
    (1 MiB aligned) above the description's own regions; returns the layout that
    tools/sel4/board-disk.py packs the files by (and unpacks them back by)."""
    end = max((vm["region"][0] + vm["region"][1] for vm in table
               if vm["region"] is not None and vm["region"][0] != "pack"), default=0)
    files = []
    for vm in table:
        if vm["region"] is None or vm["region"][0] != "pack":
            continue
        _, path, size = vm["region"]
        offset = (end + (1 << 20) - 1) & ~((1 << 20) - 1)
        room = (size + 511) & ~511
        vm["region"] = (offset, room, False)
        files.append({"vm": vm["name"], "path": path, "offset": offset, "size": size})
        end = offset + room
    return {"device": "disk0", "size": end, "files": files}


def memory_map(vm, where):
    """A VM's memory_map: [{gpa, size}] (docs/memory.md) -> sorted [(gpa, size)], or None for
    one region at 1 GiB of memory bytes. The admin's frames are 2 MiB; the device tree has room
    for 4 memory nodes; the kernel, initramfs and device tree go into the lowest region."""
    m = vm.get("memory_map")
    if m is None:
        return None
    if not isinstance(m, list) or not 1 <= len(m) <= 4:
        fail(f"{where}.memory_map: want 1 to 4 regions {{gpa, size}}")
    out = []
    for k, r in enumerate(m):
        rw = f"{where}.memory_map[{k}]"
        if not isinstance(r, dict) or set(r) != {"gpa", "size"}:
            fail(f"{rw}: want {{gpa, size}}")
        gpa, size = parse_size(r["gpa"], f"{rw}.gpa"), parse_size(r["size"], f"{rw}.size")
        if gpa % LARGE_PAGE or size == 0 or size % LARGE_PAGE:
            fail(f"{rw}: 0x{gpa:x}+0x{size:x}; want 2 MiB-aligned addresses and sizes")
        if gpa < RAM_BASE or gpa + size > IPA_END:
            fail(f"{rw}: [0x{gpa:x}, 0x{gpa + size:x}) is outside [0x{RAM_BASE:x}, 0x{IPA_END:x}) "
                 "(below 1 GiB is the device area)")
        out.append((gpa, size))
    out.sort()
    for (a, sa), (b, _) in zip(out, out[1:]):
        if a + sa > b:
            fail(f"{where}.memory_map: regions at 0x{a:x} and 0x{b:x} overlap")
    if out[0][1] < (64 << 20):
        fail(f"{where}.memory_map: the lowest region holds the kernel, initramfs and device "
             f"tree: want at least 64M, not {out[0][1] >> 20}M")
    return out


def unique_name(name, where, seen):
    """A VM's or a region's name: checked, not seen before, then remembered in seen."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,47}", name):
        fail(f"{where}.name: want 1-47 letters, digits, '.', '_' or '-'")
    if name in seen:
        fail(f"{where}.name: {name} appears twice")
    seen.add(name)
    return name


def parse_shared(doc, table, cache=None):
    """Top-level shared_regions: [{name, size, doorbell, colours, members: [{vm, gpa, access}]}]
    (docs/memory.md) -> [(name, size, doorbell, [(vm index, gpa, read_only)], colours)], checked
    as stdvmmd checks them, for the admin's frames and the seL4 VM's fixed RAM. colours (seL4
    only; 0: none): the region is 4 KiB frames of these cache colours, not 2 MiB frames of all,
    so that coloured VMs can be members (check_colours checks who else has them)."""
    regions = doc.get("shared_regions", [])
    if not isinstance(regions, list) or len(regions) > MAX_SHARED:
        fail(f"shared_regions: want a list of at most {MAX_SHARED} regions")
    index = {vm["name"]: i for i, vm in enumerate(table)}
    out, seen = [], set()
    windows = {}  # vm index -> [(gpa, end, region name)]
    for k, r in enumerate(regions):
        where = f"shared_regions[{k}]"
        if not isinstance(r, dict) or set(r) - {"name", "size", "doorbell", "colours", "members"}:
            fail(f"{where}: want {{name, size, doorbell, colours, members}}")
        name = unique_name(r.get("name"), where, seen)
        size = parse_size(r.get("size"), f"{where}.size")
        if size == 0 or size % LARGE_PAGE:
            fail(f"{where}.size: {size} bytes; the seL4 admin backs regions with 2 MiB frames: "
                 "want a non-zero multiple of 2M")
        colours = 0
        if "colours" in r:
            colours = parse_colours(r["colours"],
                                    f"{where}.colours{line_of(k, 'colours', 'shared_regions')}",
                                    cache)
        doorbell = r.get("doorbell", False)
        if not isinstance(doorbell, bool):
            fail(f"{where}.doorbell: want true or false")
        members = r.get("members")
        if not isinstance(members, list) or not 2 <= len(members) <= MAX_SHARED_MEMBERS:
            fail(f"{where}.members: want 2 to {MAX_SHARED_MEMBERS} members")
        mlist = []
        for j, m in enumerate(members):
            mw = f"{where}.members[{j}]"
            if not isinstance(m, dict) or set(m) - {"vm", "gpa", "access"} or "vm" not in m:
                fail(f"{mw}: want {{vm, gpa, access: rw|ro}}")
            if m["vm"] not in index:
                fail(f"{mw}.vm: {m['vm']!r} is not a VM of vms[]")
            v = index[m["vm"]]
            if any(v == x[0] for x in mlist):
                fail(f"{mw}.vm: {m['vm']} is already a member")
            gpa = parse_size(m.get("gpa"), f"{mw}.gpa")
            access = m.get("access", "rw")
            if access not in ("rw", "ro"):
                fail(f"{mw}.access: want rw or ro")
            end = gpa + size
            rams = table[v]["ram"] or [(RAM_BASE, table[v]["memory"])]
            if gpa % LARGE_PAGE or end > IPA_END:
                fail(f"{mw}.gpa: 0x{gpa:x}; want a 2 MiB-aligned address with the region "
                     f"below 0x{IPA_END:x}")
            for lo, hi, what in ([(0, DEVICE_AREA[1], "the device area and below")] +
                                 [(a, a + n, f"{m['vm']}'s RAM") for a, n in rams] +
                                 windows.get(v, [])):
                if gpa < hi and lo < end:
                    fail(f"{mw}.gpa: [0x{gpa:x}, 0x{end:x}) overlaps {what} "
                         f"[0x{lo:x}, 0x{hi:x})")
            windows.setdefault(v, []).append((gpa, end, f"shared region {name}"))
            mlist.append((v, gpa, access == "ro"))
        out.append((name, size, doorbell, mlist, colours))
    return out


def describe(doc, mcs, image, board_file=None):
    """(system limits, the VM table) from a description; image(path, where) gives
    a boot or disk image's index, board_file(path, where) a writable image file's
    (full path, size), to be packed into the board's disk (without it such a disk
    is refused). Everything is checked before anything is written."""
    vms = doc.get("vms")
    if not isinstance(vms, list) or not vms:
        fail("no vms[] to run")
    if len(vms) > MAX_VMS:
        fail(f"{len(vms)} VMs; the seL4 root task takes at most {MAX_VMS}")
    system = parse_system(doc)
    networks = system["networks"] = parse_networks(doc)
    table, names = [], set()
    for i, vm in enumerate(vms):
        where = f"vms[{i}]"
        if not isinstance(vm, dict):
            fail(f"{where}: want a mapping")
        unknown = set(vm) - SUPPORTED
        if unknown:
            fail(f"{where}: {', '.join(sorted(unknown))}: not supported by the seL4 port yet")
        name = unique_name(vm.get("name"), where, names)
        if "kernel" not in vm:
            fail(f"{where}.kernel: missing")
        ram = memory_map(vm, where)
        total = sum(size for _, size in ram) if ram else None
        memory = parse_size(vm.get("memory", total or "256M"), f"{where}.memory")
        if memory % (2 << 20) or memory < (64 << 20):
            fail(f"{where}.memory: {memory} bytes; want a 2 MiB multiple of at least 64M")
        if ram and memory != total:
            fail(f"{where}.memory: {memory >> 20}M, but memory_map holds {total >> 20}M")
        if ram and (vm.get("passthrough") or vm.get("serves")):
            fail(f"{where}.memory_map: a VM that owns a board device addresses its RAM "
                 "physically as one block: no memory_map with passthrough or serves")
        colours, share_colours = vm_colours(vm, i, where, system["cache"])
        cpus, vcpus = vcpu_sched(vm.get("cpus", 1), f"{where}.cpus")
        vmm_threads = None
        if "vmm_threads" in vm:
            t = vm["vmm_threads"]
            if not isinstance(t, dict) or set(t) != {"pcpus"}:
                fail(f"{where}.vmm_threads: want {{pcpus: [cores]}}")
            vmm_threads = parse_cpus(t["pcpus"], f"{where}.vmm_threads.pcpus")
        cmdline = vm.get("cmdline", "console=ttyS0")
        if len(cmdline) >= 2048:
            fail(f"{where}.cmdline: longer than the arm64 kernel's 2047 bytes")
        if memory < CMA_SAFE_MEMORY and not any(w.startswith("cma=") for w in cmdline.split()):
            note(f"{where}: {memory >> 20} MiB and no cma= on the command line: a kernel that "
                 f"reserves its default CMA area (64 MiB on Debian arm64) may run out of memory "
                 f"before its console is up and print nothing; give it cma=16M or more memory")
        console = vm.get("console", "serial")
        if console not in ("serial", "virtio"):
            fail(f"{where}.console: '{console}'; want serial or virtio")
        disk, disk_id, disk_irq_vcpu, backend = -1, None, -1, None
        disks = vm.get("disks", [])
        if not isinstance(disks, list) or len(disks) > 1:
            fail(f"{where}.disks: the seL4 port serves one disk per VM so far")
        region = None
        for k, d in enumerate(disks):
            dw = f"{where}.disks[{k}]"
            if not isinstance(d, dict) or ("path" in d) == ("device" in d):
                fail(f"{dw}: want {{path, read_only: true, id}} (an image) or "
                     "{device: disk0, offset, size, read_only, id} (a region of the board's disk)")
            unknown = set(d) - (DISK_KEYS if "path" in d else REGION_KEYS)
            if unknown:
                fail(f"{dw}: {', '.join(sorted(unknown))}: not supported by the seL4 port yet")
            if "device" in d:
                region = disk_region(d, dw)
                backend = d.get("backend")
                if backend is not None and not isinstance(backend, str):
                    fail(f"{dw}.backend: want the name of the VM that serves it (a driver VM)")
            elif d.get("read_only") is not True:
                if board_file is None:
                    fail(f"{dw}: {d['path']} is writable (no read_only: true), and without a "
                         "board disk to pack it into the seL4 port serves image files "
                         "read-only only; refused rather than served read-only")
                region = ("pack",) + board_file(d["path"], f"{dw}.path")
            else:
                disk = image(d["path"], f"{dw}.path")
            disk_id = d.get("id")
            if disk_id is not None and (not isinstance(disk_id, str) or len(disk_id) > 20):
                fail(f"{dw}.id: at most 20 characters")
            disk_irq_vcpu = d.get("irq_vcpu", -1)
            if "irq_vcpu" in d and (not isinstance(disk_irq_vcpu, int) or
                                    isinstance(disk_irq_vcpu, bool) or
                                    not 0 <= disk_irq_vcpu < cpus):
                fail(f"{dw}.irq_vcpu: vCPU {disk_irq_vcpu!r} does not exist (the VM has vCPUs "
                     f"0 to {cpus - 1})")
        table.append(dict(
            where=where, name=name, vcpus=vcpus, vmm_threads=vmm_threads,
            kernel=image(vm["kernel"], f"{where}.kernel"),
            initrd=image(vm["initramfs"], f"{where}.initramfs") if vm.get("initramfs") else -1,
            cmdline=cmdline, memory=memory,
            autostart=bool(vm.get("autostart", False)),
            restart_on_reset=not bool(vm.get("no_reboot", False)),
            virtio_console=console == "virtio", disk=disk, disk_id=disk_id, region=region,
            disk_irq_vcpu=disk_irq_vcpu, net=vm_net(vm, i, where, networks, cpus),
            passthrough=vm_passthrough(vm, where, memory), backend=backend, ram=ram,
            serves=vm_serves(vm, where), colours=colours, share_colours=share_colours,
            iommu=vm_iommu(vm, where)))
    check_networks(table, networks)
    system["shared"] = parse_shared(doc, table, system["cache"])
    for k, region in enumerate(system["shared"]):
        for v, _, _ in region[3]:
            if table[v]["colours"] and not region[4]:
                fail(f"{table[v]['where']}: a member of shared region {region[0]} "
                     f"(shared_regions[{k}]{line_of(k, 'name', 'shared_regions')}), which has "
                     "no colours: its 2 MiB frames hold every colour, so a coloured member needs "
                     "the region's colours: [...], colours it shares (docs/memory.md)")
    check_colours(system, table)
    check_owners(table)
    system["board_disk"] = pack_board_files(table)
    place(system, table, mcs)
    check_system(system, table)
    return system, table


def summary(vm):
    """One line per vCPU of where and how it runs, for the build log."""
    for i, s in enumerate(vm["vcpus"]):
        b, p = s["budget"]
        if b:
            how = f"budget {b}/{p} us" + (f" (weight {s['weight'] or DEFAULT_WEIGHT})"
                                          if s.get("from_weight") else "")
        else:
            how = "fifo" if s["fifo"] else "rr"
        yield (f"{vm['name']} vCPU {i}: core {s['core']}"
               + (f" (pool {s['pool']})" if s["pool"] else "")
               + f", priority {s['prio']}, {how}; VMM thread on core {s['vmm_core']} "
               f"at {vm['prio_max'] + 1}")


def region_fields(region, backend=-1):
    """A disk region's initialisers in struct sel4_vm_desc."""
    if region is None:
        return ".disk_served = false, .disk_backend = -1"
    offset, size, read_only = region
    return (f".disk_served = true, .disk_read_only = {str(read_only).lower()}, "
            f".disk_offset = {offset}ull, .disk_region_size = {size}ull, "
            f".disk_backend = {backend}")


def ram_fields(ram):
    """A memory_map's initialisers in struct sel4_vm_desc (none: ram_count 0)."""
    if not ram:
        return ".ram_count = 0"
    return (f".ram_count = {len(ram)}, .ram = {{" +
            ", ".join(f"{{{gpa}ull, {size}ull}}" for gpa, size in ram) + "}")


def passthrough_bits(devices):
    return sum(1 << BOARD_DEVICES.index(d) for d in devices)


def c_list(values):
    return "{" + ", ".join(str(v) for v in values) + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--system", required=True)
    ap.add_argument("--check", action="store_true",
                    help="only check the description (CMake's configure step), write nothing")
    ap.add_argument("--out")
    ap.add_argument("--vmm", help="the VMM program (ELF) to embed")
    ap.add_argument("--switch", help="the switch program (ELF) to embed")
    ap.add_argument("--blkserver", help="the block server program (ELF) to embed")
    ap.add_argument("--mcs", choices=("on", "off"), required=True,
                    help="whether the kernel is built with MCS (KernelIsMCS)")
    ap.add_argument("--path-root", default="",
                    help="look up the description's absolute paths under this directory, as "
                         "a chroot would (/opt/guest/vmlinuz -> ROOT/opt/guest/vmlinuz); "
                         "paths made absolute by a variable ($STDVMM_GUEST_KIT) are not")
    args = ap.parse_args()
    if not args.check and None in (args.out, args.vmm, args.switch, args.blkserver):
        ap.error("--out, --vmm, --switch and --blkserver are needed unless --check")

    doc = load(args.system) or {}
    if not isinstance(doc, dict):
        fail(f"{args.system}: want a mapping with vms[]")
    base = os.path.dirname(os.path.abspath(args.system))
    images = []

    def resolve(path, where):
        if not isinstance(path, str):
            fail(f"{where}: want a path")
        expanded = os.path.expandvars(path)
        if "$" in expanded:
            fail(f"{where}: {path}: an environment variable in it is not set")
        # Only paths absolute as written: $STDVMM_GUEST_KIT/... names this machine's kit.
        if args.path_root and os.path.isabs(path):
            expanded = os.path.join(args.path_root, expanded.lstrip("/"))
        full = os.path.normpath(os.path.join(base, expanded))
        if not os.path.isfile(full):
            fail(f"{where}: {full} is not a file" +
                 (f" ({path} under --path-root {args.path_root})" if args.path_root else ""))
        return full

    def image(path, where):
        full = resolve(path, where)
        if full not in images:
            if len(images) == MAX_IMAGES:
                fail(f"{where}: more than {MAX_IMAGES} distinct boot images")
            images.append(full)
        return images.index(full)

    def board_file(path, where):
        full = resolve(path, where)
        size = os.path.getsize(full)
        if size == 0:
            fail(f"{where}: {full} is empty")
        return full, size

    try:
        system, table = describe(doc, args.mcs == "on", image, board_file)
    except SystemExit as e:
        sys.exit(f"{e.code} ({args.system})")
    if args.check:
        print(f"gen-vm-table: {args.system}: {len(table)} VMs, checked")
        return
    for vm in table:
        for line in summary(vm):
            print(f"gen-vm-table: {line}")
    os.makedirs(args.out, exist_ok=True)
    vmm, switch = os.path.abspath(args.vmm), os.path.abspath(args.switch)
    blkserver = os.path.abspath(args.blkserver)
    networks = system["networks"]
    with open(os.path.join(args.out, "images.S"), "w", encoding="utf-8") as f:
        f.write("/* SPDX-License-Identifier: BSD-2-Clause */\n/* Generated by gen-vm-table.py. */\n")
        f.write('    .section .rodata.stdvmm_images, "a"\n')
        programs = {len(images): "sel4_vmm_program", len(images) + 1: "sel4_switch_program",
                    len(images) + 2: "sel4_blksrv_program"}
        for k, path in enumerate(images + [vmm, switch, blkserver]):
            sym = programs.get(k, f"stdvmm_image_{k}")
            f.write(f"    .balign 4096\n    .global {sym}\n{sym}:\n    .incbin {c_string(path)}\n")
            f.write(f"    .global {sym}_end\n{sym}_end:\n")
    with open(os.path.join(args.out, "images.d"), "w", encoding="utf-8") as f:
        f.write(os.path.join(args.out, "images.S") + ": " +
                " ".join(images + [vmm, switch, blkserver]) + "\n")
    with open(os.path.join(args.out, "vm_table.c"), "w", encoding="utf-8") as f:
        f.write("/* SPDX-License-Identifier: BSD-2-Clause */\n")
        f.write(f"/* Generated by gen-vm-table.py from {os.path.abspath(args.system)}. */\n")
        f.write('#include "vm_table.h"\n\n')
        for k in range(len(images)):
            f.write(f"extern const uint8_t stdvmm_image_{k}[], stdvmm_image_{k}_end[];\n")
        f.write("\n/* Sizes of the files as embedded: images.S is generated by the same run. */\n")
        f.write("const struct sel4_image sel4_images[] = {\n")
        for k, path in enumerate(images):
            f.write(f"    {{{c_string(os.path.basename(path))}, stdvmm_image_{k}, "
                    f"{os.path.getsize(path)}ull}},\n")
        f.write("};\n")
        f.write(f"const unsigned sel4_image_count = {len(images)};\n\n")
        f.write("const struct sel4_system_limits sel4_system = {"
                f".memory = {system['memory'] or 0}ull, .vcpus = {system['vcpus'] or 0}, "
                f".max_vms = {system['max_vms'] or 0}}};\n\n")
        index = {vm["name"]: i for i, vm in enumerate(table)}
        index[None] = -1
        f.write("const struct sel4_vm_desc sel4_vm_table[] = {\n")
        for vm in table:
            v = vm["vcpus"]
            f.write(f"    {{.name = {c_string(vm['name'])}, .kernel = {vm['kernel']}, "
                    f".initrd = {vm['initrd']},\n     .cmdline = {c_string(vm['cmdline'])},\n"
                    f"     .cpus = {len(v)}, .cores = {c_list(s['core'] for s in v)}, "
                    f".vmm_cores = {c_list(s['vmm_core'] for s in v)}, "
                    f".vmm_threads = {str(vm['vmm_threads'] is not None).lower()},\n"
                    f"     .priority = {c_list(s['priority'] for s in v)}, "
                    f".fifo = {c_list(str(s['fifo']).lower() for s in v)}, "
                    f".dedicated = {str(any(s['dedicated'] for s in v)).lower()},\n"
                    f"     .budget_us = {c_list(s['budget'][0] for s in v)}, "
                    f".period_us = {c_list(s['budget'][1] for s in v)},\n"
                    "     "
                    f".memory = {vm['memory']}ull, {ram_fields(vm['ram'])}, "
                    f".autostart = {str(vm['autostart']).lower()}, "
                    f".restart_on_reset = {str(vm['restart_on_reset']).lower()},\n"
                    f"     .virtio_console = {str(vm['virtio_console']).lower()}, "
                    f".disk = {vm['disk']}, .disk_id = "
                    f"{c_string(vm['disk_id']) if vm['disk_id'] is not None else 'NULL'}, "
                    f".disk_irq_vcpu = {vm['disk_irq_vcpu']},\n"
                    f"     {region_fields(vm['region'], index[vm['backend']])}, "
                    f".passthrough = {passthrough_bits(vm['passthrough'])}u, "
                    f".serves = {sum(1 << index[n] for n in vm['serves'])}u,\n"
                    f"     {net_fields(vm['net'], networks, index)}, "
                    f".iommu = {str(vm['iommu']).lower()}, "
                    f".colours = 0x{vm['colours']:x}ull}},\n")
        f.write("};\n")
        f.write(f"const unsigned sel4_vm_count = {len(table)};\n")
        line, size, ways, colours = system["cache"] or (0, 0, 0, 0)
        f.write(f"const struct sel4_cache_desc sel4_cache = {{.line = {line}, .size = {size}ull, "
                f".ways = {ways}, .colours = {colours}}};\n")
        ordered = sorted(networks, key=lambda n: networks[n][0])
        f.write("const char *const sel4_network_names[] = {" +
                "".join(f"{c_string(n)}, " for n in ordered) + "NULL};\n")
        f.write(f"const unsigned sel4_network_count = {len(ordered)};\n")
        f.write("const struct sel4_shared_desc sel4_shared_table[] = {\n")
        for name, size, doorbell, members, colours in system["shared"]:
            f.write(f"    {{.name = {c_string(name)}, .size = {size}ull, "
                    f".doorbell = {str(doorbell).lower()}, .colours = 0x{colours:x}ull, "
                    f".member_count = {len(members)}, .members = {{" +
                    "".join(f"{{{v}, {gpa}ull, {str(ro).lower()}}}, "
                            for v, gpa, ro in members) + "}},\n")
        f.write("    {0}};\n")
        f.write(f"const unsigned sel4_shared_count = {len(system['shared'])};\n")
        f.write(f"const uint64_t sel4_vmm_program_size = {os.path.getsize(vmm)}ull;\n")
        f.write(f"const uint64_t sel4_switch_program_size = {os.path.getsize(switch)}ull;\n")
        f.write(f"const uint64_t sel4_blksrv_program_size = {os.path.getsize(blkserver)}ull;\n")
    layout = system["board_disk"]
    with open(os.path.join(args.out, "board-disk.json"), "w", encoding="utf-8") as f:
        json.dump(layout, f, indent=1)
    for e in layout["files"]:
        print(f"gen-vm-table: {e['vm']}: {e['path']} ({e['size']} bytes, writable) is packed "
              f"into the board's disk at {e['offset']}: tools/sel4/board-disk.py pack "
              f"{os.path.join(args.out, 'board-disk.json')} IMAGE")
    print(f"gen-vm-table: {len(table)} VMs, {len(images)} images")


if __name__ == "__main__":
    main()
