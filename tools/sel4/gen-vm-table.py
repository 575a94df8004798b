#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compile a system description into the seL4 root task's VM table.

The description uses the schema of stdvmmd's system descriptions
(docs/examples/system.yaml): vms[] entries with name, kernel, initramfs,
cmdline, cpus, memory, autostart, no_reboot, console (serial or virtio),
one read-only disk (disks: [{path, read_only: true, id}]) and one NIC on a
network of the switch PD (nets: [{network: NAME, mac}]), with the networks
at top level (networks: [{name, members: [VM, ...]}]). Keys the seL4 port
does not implement yet (tap and user nets, vsock, instances, writable or
several disks, ...) are refused with a message rather than silently
dropped. Writes:

  OUT/vm_table.c  the table (include/port/sel4/vm_table.h's definitions)
  OUT/images.S    every distinct boot image and the VMM program, .incbin'ed once
  OUT/images.d    a depfile so that changed images rebuild the root task
"""
import argparse
import json
import os
import re
import sys

# Paths may name environment variables ($STDVMM_GUEST_KIT/vmlinuz).
SUPPORTED = {"name", "kernel", "initramfs", "cmdline", "cpus", "memory", "autostart",
             "no_reboot", "restart", "serial_log", "console", "disks", "nets"}
DISK_KEYS = {"path", "read_only", "id", "irq_vcpu"}
NET_KEYS = {"network", "mac", "irq_vcpu"}
MAX_NETWORKS = 8  # net_abi.h: the switch's argument page names 8
MAX_VMS = 8
MAX_IMAGES = 8
MAX_VCPUS = 8  # SEL4_VMM_MAX_VCPUS: GICv2's one-byte target lists


def fail(msg):
    sys.exit(f"gen-vm-table: {msg}")


def parse_size(value, where):
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)i?B?\s*", str(value), re.I)
    if not m:
        fail(f"{where}: '{value}' is not a size (like 256M)")
    scale = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]
    return int(m.group(1)) * scale


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


ADMIN_PRIO = 200  # the admin's own seL4 priority (src/port/sel4/admin/admin.h)


def vcpu_cores(cpus, where):
    """(count, core of each vCPU, priority, dedicated, budget of each vCPU) from
    a VM's cpus: a count or {count, pcpus, placement, priority, dedicated, budget}.

    seL4 (without MCS) gives a thread one core, not a set: vCPU i takes
    pcpus[i mod len]; a placement entry {vcpu: i, pcpus: [c, ...]} puts it
    on its first core. priority is seL4's own: 0-198, as the admin runs
    at 200 and a VM's VMM threads one above its vCPUs; -1: the default."""
    priority, dedicated, budget = -1, False, (0, 0)
    if not isinstance(cpus, dict):
        count, pcpus, placement = cpus, [0], []
    else:
        unknown = set(cpus) - {"count", "pcpus", "placement", "priority", "dedicated", "budget"}
        if unknown:
            fail(f"{where}: {', '.join(sorted(unknown))}: not supported by the seL4 "
                 "port yet (count, pcpus, placement, priority, dedicated and budget are)")
        budget = parse_budget(cpus.get("budget"), f"{where}.budget")
        if "priority" in cpus:
            priority = cpus["priority"]
            if not isinstance(priority, int) or isinstance(priority, bool) or \
                    not 0 <= priority <= ADMIN_PRIO - 2:
                fail(f"{where}.priority: {priority!r}; seL4 priorities 0-{ADMIN_PRIO - 2} "
                     f"(the admin runs at {ADMIN_PRIO}, a VM's VMM threads one above it)")
        dedicated = cpus.get("dedicated", False)
        if not isinstance(dedicated, bool):
            fail(f"{where}.dedicated: want true or false")
        count = cpus.get("count", 1)
        pcpus = parse_cpus(cpus["pcpus"], f"{where}.pcpus") if "pcpus" in cpus else [0]
        placement = cpus.get("placement", [])
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_VCPUS:
        fail(f"{where}: {count} vCPUs; the seL4 port runs 1 to {MAX_VCPUS} per VM")
    cores = [pcpus[i % len(pcpus)] for i in range(count)]
    budgets = [budget] * count
    if not isinstance(placement, list):
        fail(f"{where}.placement: want a list of {{vcpu, pcpus}}")
    for k, p in enumerate(placement):
        pw = f"{where}.placement[{k}]"
        if not isinstance(p, dict) or set(p) - {"vcpu", "pcpus", "budget"} or "vcpu" not in p:
            fail(f"{pw}: want {{vcpu, pcpus, budget}} (other placement keys are not supported "
                 "on seL4 yet)")
        v = p["vcpu"]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < count:
            fail(f"{pw}.vcpu: {v}; this VM has vCPUs 0-{count - 1}")
        if "pcpus" in p:
            cores[v] = parse_cpus(p["pcpus"], f"{pw}.pcpus")[0]
        if "budget" in p:
            budgets[v] = parse_budget(p["budget"], f"{pw}.budget")
    return count, cores, priority, dedicated, budgets


def check_dedicated(table):
    """A dedicated VM's cores run no other VM's vCPU (stdvmmd's rule, docs/multicore.md)."""
    for vm in table:
        if not vm["dedicated"]:
            continue
        for other in table:
            shared = sorted(set(vm["cores"]) & set(other["cores"]))
            if other is not vm and shared:
                fail(f"vms: {vm['name']} has dedicated cores {shared}, but {other['name']} "
                     f"places vCPUs there too")


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


def check_budgets(table):
    """Budgets on one core add up to at most 100% (stdvmmd's rule; seL4 admits no more)."""
    load = {}
    for vm in table:
        for core, (b, p) in zip(vm["cores"], vm["budgets"]):
            if b:
                load.setdefault(core, []).append((vm["name"], b / p))
    for core, shares in sorted(load.items()):
        if sum(s for _, s in shares) > 1.0 + 1e-9:
            fail(f"vms: the budgets on core {core} add up to "
                 f"{sum(s for _, s in shares) * 100:.0f}% (" +
                 ", ".join(f"{n} {s * 100:.0f}%" for n, s in shares) + ")")


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
    if not isinstance(value, str) or \
            not re.fullmatch(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}", value):
        fail(f"{where}: '{value}' is not a MAC address such as 52:54:00:12:34:56")
    mac = [int(b, 16) for b in value.split(":")]
    if mac[0] & 1 or not any(mac):
        fail(f"{where}: {value} is not a unicast MAC address")
    return mac


def vm_net(vm, index, where, networks, cpus=1):
    """A VM's nets (one NIC on the switch) -> (network name, mac bytes, irq_vcpu or -1), or
    None."""
    nets = vm.get("nets", [])
    if not isinstance(nets, list) or len(nets) > 1:
        fail(f"{where}.nets: the seL4 port gives a VM one NIC so far")
    if not nets:
        return None
    n, nw = nets[0], f"{where}.nets[0]"
    if not isinstance(n, dict):
        fail(f"{nw}: want {{network, mac, irq_vcpu}}")
    unknown = set(n) - NET_KEYS
    if unknown:
        fail(f"{nw}: {', '.join(sorted(unknown))}: not supported by the seL4 port (a NIC there "
             "is on a network of the switch PD: {network, mac, irq_vcpu})")
    net = n.get("network")
    if net not in networks:
        fail(f"{nw}.network: {net!r} is not one of networks[] "
             f"({', '.join(sorted(networks)) or 'none defined'})")
    if vm["name"] not in networks[net][1]:
        fail(f"{nw}.network: {vm['name']} is not a member of network {net}")
    # Without one, a locally administered MAC from the VM's index, as stable as the table.
    mac = parse_mac(n["mac"], f"{nw}.mac") if "mac" in n else [0x52, 0x54, 0x00, 0x5e, 0x00,
                                                                 index + 1]
    irq_vcpu = n.get("irq_vcpu", -1)
    if "irq_vcpu" in n and (not isinstance(irq_vcpu, int) or isinstance(irq_vcpu, bool) or
                            not 0 <= irq_vcpu < cpus):
        fail(f"{nw}.irq_vcpu: vCPU {irq_vcpu!r} does not exist (the VM has vCPUs 0 to "
             f"{cpus - 1})")
    return net, mac, irq_vcpu


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


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json") or text.lstrip().startswith("{"):
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        fail("YAML descriptions need python3-yaml (or give a .json file)")
    return yaml.safe_load(text)


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def net_fields(net, networks):
    """The NIC's initialisers in struct sel4_vm_desc."""
    if net is None:
        return ".net = false, .net_irq_vcpu = -1"
    name, mac, irq_vcpu = net
    return (".net = true, .mac = {" + ", ".join(f"0x{b:02x}" for b in mac) + "}, "
            f".networks = 1ull << {networks[name][0]}, .net_irq_vcpu = {irq_vcpu}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--system", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vmm", required=True, help="the VMM program (ELF) to embed")
    ap.add_argument("--switch", required=True, help="the switch program (ELF) to embed")
    args = ap.parse_args()

    doc = load(args.system) or {}
    base = os.path.dirname(os.path.abspath(args.system))
    vms = doc.get("vms")
    if not isinstance(vms, list) or not vms:
        fail(f"{args.system}: no vms[] to run")
    if len(vms) > MAX_VMS:
        fail(f"{args.system}: {len(vms)} VMs; the seL4 root task takes at most {MAX_VMS}")

    images, table, names = [], [], set()
    networks = parse_networks(doc)

    def image(path, where):
        expanded = os.path.expandvars(path)
        if "$" in expanded:
            fail(f"{where}: {path}: an environment variable in it is not set")
        full = os.path.normpath(os.path.join(base, expanded))
        if not os.path.isfile(full):
            fail(f"{where}: {full} is not a file")
        if full not in images:
            if len(images) == MAX_IMAGES:
                fail(f"{where}: more than {MAX_IMAGES} distinct boot images")
            images.append(full)
        return images.index(full)

    for i, vm in enumerate(vms):
        where = f"vms[{i}]"
        unknown = set(vm) - SUPPORTED
        if unknown:
            fail(f"{where}: {', '.join(sorted(unknown))}: not supported by the seL4 port yet")
        name = vm.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,47}", name):
            fail(f"{where}.name: want 1-47 letters, digits, '.', '_' or '-'")
        if name in names:
            fail(f"{where}.name: {name} appears twice")
        names.add(name)
        if "kernel" not in vm:
            fail(f"{where}.kernel: missing")
        memory = parse_size(vm.get("memory", "256M"), f"{where}.memory")
        if memory % (2 << 20) or memory < (64 << 20):
            fail(f"{where}.memory: {memory} bytes; want a 2 MiB multiple of at least 64M")
        cpus, cores, priority, dedicated, budgets = vcpu_cores(vm.get("cpus", 1),
                                                               f"{where}.cpus")
        cmdline = vm.get("cmdline", "console=ttyS0")
        if len(cmdline) >= 2048:
            fail(f"{where}.cmdline: longer than the arm64 kernel's 2047 bytes")
        console = vm.get("console", "serial")
        if console not in ("serial", "virtio"):
            fail(f"{where}.console: '{console}'; want serial or virtio")
        disk, disk_id, disk_irq_vcpu = -1, None, -1
        disks = vm.get("disks", [])
        if not isinstance(disks, list) or len(disks) > 1:
            fail(f"{where}.disks: the seL4 port serves one disk per VM so far")
        for k, d in enumerate(disks):
            dw = f"{where}.disks[{k}]"
            if not isinstance(d, dict) or "path" not in d:
                fail(f"{dw}: want {{path, read_only: true, id}}")
            unknown = set(d) - DISK_KEYS
            if unknown:
                fail(f"{dw}: {', '.join(sorted(unknown))}: not supported by the seL4 port yet")
            if d.get("read_only") is not True:
                fail(f"{dw}: the seL4 port serves read-only disks so far (read_only: true); "
                     "a writable disk needs the block server")
            disk_id = d.get("id")
            if disk_id is not None and (not isinstance(disk_id, str) or len(disk_id) > 20):
                fail(f"{dw}.id: at most 20 characters")
            disk = image(d["path"], f"{dw}.path")
            disk_irq_vcpu = d.get("irq_vcpu", -1)
            if "irq_vcpu" in d and (not isinstance(disk_irq_vcpu, int) or
                                    isinstance(disk_irq_vcpu, bool) or
                                    not 0 <= disk_irq_vcpu < cpus):
                fail(f"{dw}.irq_vcpu: vCPU {disk_irq_vcpu!r} does not exist (the VM has vCPUs "
                     f"0 to {cpus - 1})")
        table.append(dict(
            name=name, kernel=image(vm["kernel"], f"{where}.kernel"),
            initrd=image(vm["initramfs"], f"{where}.initramfs") if vm.get("initramfs") else -1,
            cmdline=cmdline, cpus=cpus, cores=cores, priority=priority,
            dedicated=dedicated, budgets=budgets, memory=memory,
            autostart=bool(vm.get("autostart", False)),
            restart_on_reset=not bool(vm.get("no_reboot", False)),
            virtio_console=console == "virtio", disk=disk, disk_id=disk_id,
            disk_irq_vcpu=disk_irq_vcpu, net=vm_net(vm, i, where, networks, cpus)))

    check_networks(table, networks)
    check_dedicated(table)
    check_budgets(table)
    os.makedirs(args.out, exist_ok=True)
    vmm, switch = os.path.abspath(args.vmm), os.path.abspath(args.switch)
    with open(os.path.join(args.out, "images.S"), "w", encoding="utf-8") as f:
        f.write("/* SPDX-License-Identifier: BSD-2-Clause */\n/* Generated by gen-vm-table.py. */\n")
        f.write('    .section .rodata.stdvmm_images, "a"\n')
        programs = {len(images): "sel4_vmm_program", len(images) + 1: "sel4_switch_program"}
        for k, path in enumerate(images + [vmm, switch]):
            sym = programs.get(k, f"stdvmm_image_{k}")
            f.write(f"    .balign 4096\n    .global {sym}\n{sym}:\n    .incbin {c_string(path)}\n")
            f.write(f"    .global {sym}_end\n{sym}_end:\n")
    with open(os.path.join(args.out, "images.d"), "w", encoding="utf-8") as f:
        f.write(os.path.join(args.out, "images.S") + ": " + " ".join(images + [vmm, switch]) + "\n")
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
        f.write("const struct sel4_vm_desc sel4_vm_table[] = {\n")
        for vm in table:
            f.write(f"    {{.name = {c_string(vm['name'])}, .kernel = {vm['kernel']}, "
                    f".initrd = {vm['initrd']},\n     .cmdline = {c_string(vm['cmdline'])},\n"
                    f"     .cpus = {vm['cpus']}, "
                    f".cores = {{{', '.join(str(c) for c in vm['cores'])}}}, "
                    f".priority = {vm['priority']}, .dedicated = {str(vm['dedicated']).lower()},\n"
                    f"     .budget_us = {{{', '.join(str(b) for b, _ in vm['budgets'])}}}, "
                    f".period_us = {{{', '.join(str(p) for _, p in vm['budgets'])}}},\n"
                    "     "
                    f".memory = {vm['memory']}ull, "
                    f".autostart = {str(vm['autostart']).lower()}, "
                    f".restart_on_reset = {str(vm['restart_on_reset']).lower()},\n"
                    f"     .virtio_console = {str(vm['virtio_console']).lower()}, "
                    f".disk = {vm['disk']}, .disk_id = "
                    f"{c_string(vm['disk_id']) if vm['disk_id'] is not None else 'NULL'}, "
                    f".disk_irq_vcpu = {vm['disk_irq_vcpu']},\n"
                    f"     {net_fields(vm['net'], networks)}}},\n")
        f.write("};\n")
        f.write(f"const unsigned sel4_vm_count = {len(table)};\n")
        ordered = sorted(networks, key=lambda n: networks[n][0])
        f.write("const char *const sel4_network_names[] = {" +
                "".join(f"{c_string(n)}, " for n in ordered) + "NULL};\n")
        f.write(f"const unsigned sel4_network_count = {len(ordered)};\n")
        f.write(f"const uint64_t sel4_vmm_program_size = {os.path.getsize(vmm)}ull;\n")
        f.write(f"const uint64_t sel4_switch_program_size = {os.path.getsize(switch)}ull;\n")
    print(f"gen-vm-table: {len(table)} VMs, {len(images)} images")


if __name__ == "__main__":
    main()
