#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""tools/sel4/gen-vm-table.py's placement and scheduling rules, without seL4:
vCPU cores from pcpus, placement and pools, VMM threads (vmm_threads),
priorities and policies, budgets and the budgets weights become, system
limits, the refusals (dedicated cores shared, budgets over 100% of a core,
what a non-MCS kernel cannot do, bad spellings), the paper's two examples
(docs/examples/direct-mapping.yaml, hybrid.yaml); networks and NICs (unknown
network, a VM not a member, duplicate MACs); and the table written."""
import copy
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..", "..")
GEN = os.path.join(TOP, "tools", "sel4", "gen-vm-table.py")
spec = importlib.util.spec_from_file_location("gen_vm_table", GEN)
gvt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gvt)


class Refused(Exception):
    pass


def refuse(msg):
    raise Refused(msg)


gvt.fail = refuse  # the generator exits on a refusal; here it raises
gvt.note = lambda msg: None


def image(path, where):
    return 0  # the files are not needed to check placement


def describe(vms, system=None, mcs=True):
    doc = {"vms": vms}
    if system is not None:
        doc["system"] = system
    return gvt.describe(copy.deepcopy(doc), mcs, image)[1]


def vm(name, cpus=1, **kw):
    return dict(name=name, kernel="k", cpus=cpus, memory="128M", **kw)


def field(table, key):
    """{vm name: [key of each vCPU]}"""
    return {v["name"]: [s[key] for s in v["vcpus"]] for v in table}


class CpuLists(unittest.TestCase):
    def test_spellings(self):
        self.assertEqual(gvt.parse_cpus([1, 2], "w"), [1, 2])
        self.assertEqual(gvt.parse_cpus(3, "w"), [3])
        self.assertEqual(gvt.parse_cpus("0-3,6", "w"), [0, 1, 2, 3, 6])

    def test_refusals(self):
        for bad in ("3-1", "x", "", [], [256], [True], "1,,2"):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.parse_cpus(bad, "w")


class SizesAndMacs(unittest.TestCase):
    """Read by stdvmm's C parser (src/core/spelling.c through spelling_tool.c):
    the same spellings stdvmm and stdvmmd accept, and no others."""

    def test_sizes(self):
        self.assertEqual(gvt.parse_size("256M", "w"), 256 << 20)
        self.assertEqual(gvt.parse_size("1GiB", "w"), 1 << 30)
        self.assertEqual(gvt.parse_size("2t", "w"), 2 << 40)
        self.assertEqual(gvt.parse_size(4096, "w"), 4096)
        for bad in ("1.5G", " 1M", "1B", "1P", "", "-1", "18446744073709551616", True, None):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.parse_size(bad, "w")

    def test_macs(self):
        self.assertEqual(gvt.parse_mac("52:54:00:AB:cd:0f", "w"), [0x52, 0x54, 0, 0xab, 0xcd, 0xf])
        for bad in ("01:00:5e:00:00:01", "00:00:00:00:00:00", "5:54:00:12:34:56",
                    "52:54:00:12:34:56 ", 525400123456):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.parse_mac(bad, "w")


class VcpuSched(unittest.TestCase):
    def test_count_only(self):
        count, vcpus = gvt.vcpu_sched(4, "w")
        self.assertEqual(count, 4)
        self.assertEqual([s["core"] for s in vcpus], [0, 0, 0, 0])
        self.assertEqual([s["budget"] for s in vcpus], [(0, 0)] * 4)

    def test_pcpus_taken_in_turn_and_placement_wins(self):
        _, vcpus = gvt.vcpu_sched(
            {"count": 4, "pcpus": "2-3", "budget": {"runtime": "20ms", "period": "100ms"},
             "placement": [{"vcpu": 3, "pcpus": [1], "budget": "none", "priority": 7}]}, "w")
        self.assertEqual([s["core"] for s in vcpus], [2, 3, 2, 1])
        self.assertEqual([s["budget"] for s in vcpus], [(20000, 100000)] * 3 + [(0, 0)])
        self.assertEqual([s["priority"] for s in vcpus], [-1, -1, -1, 7])

    def test_priority_bounds_follow_the_admin_at_255(self):
        _, vcpus = gvt.vcpu_sched({"count": 1, "priority": 253}, "w")
        self.assertEqual(vcpus[0]["priority"], 253)
        for bad in (254, 255, -1, True, "high"):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.vcpu_sched({"count": 1, "priority": bad}, "w")
        with self.assertRaisesRegex(Refused, "0-253 .*admin runs at 255"):
            gvt.vcpu_sched({"count": 1, "priority": 254}, "w")

    def test_refusals(self):
        for cpus in (0, 9, {"count": 2, "pool": "p", "pcpus": [1]},
                     {"count": 2, "pool": "p", "dedicated": True},
                     {"count": 2, "dedicated": True, "pcpus": [1, 2],
                      "placement": [{"vcpu": 1, "pool": "p"}]},
                     {"count": 2, "placement": [{"vcpu": 2, "pcpus": [0]}]},
                     {"count": 2, "placement": [{"vcpu": 1}, {"vcpu": 1}]},
                     {"count": 1, "placement": [{"vcpu": 0, "dedicated": True}]},
                     {"count": 1, "policy": "deadline"},
                     {"count": 1, "weight": 0}, {"count": 1, "weight": 10001},
                     {"count": 1, "frobnicate": 1},
                     {"count": 1, "budget": {"runtime": "30ms", "period": "10ms"}},
                     {"count": 1, "budget": {"runtime": "30ms"}},
                     {"count": 1, "budget": {"runtime": "1500ns", "period": "10ms"}},
                     {"count": 1, "dedicated": "yes"}):
            with self.assertRaises(Refused, msg=repr(cpus)):
                gvt.vcpu_sched(cpus, "w")


class Pools(unittest.TestCase):
    SYSTEM = {"host_cpus": "0-5", "pools": {"shared": [4, 5]}}

    def test_spread_over_the_pool_in_turn(self):
        t = describe([vm("a", {"count": 2, "pool": "shared"}),
                      vm("b", {"count": 3, "pool": "shared"})], self.SYSTEM)
        self.assertEqual(field(t, "core"), {"a": [4, 5], "b": [4, 5, 4]})

    def test_pinned_vcpus_count_first(self):
        t = describe([vm("a", {"count": 1, "pool": "shared"}),
                      vm("b", {"count": 1, "pcpus": [4]})], self.SYSTEM)
        self.assertEqual(field(t, "core"), {"a": [5], "b": [4]})

    def test_placement_entry_moves_a_vcpu_into_the_pool(self):
        t = describe([vm("a", {"count": 2, "pcpus": [1],
                               "placement": [{"vcpu": 1, "pool": "shared"}]})], self.SYSTEM)
        self.assertEqual(field(t, "core"), {"a": [1, 4]})

    def test_refusals(self):
        cases = [
            ("no pool 'other'", [vm("a", {"count": 1, "pool": "other"})], self.SYSTEM),
            ("not in system.host_cpus", [vm("a", {"count": 1, "pool": "shared"})],
             {"host_cpus": "0-4", "pools": {"shared": [4, 5]}}),
            ("dedicated core 4 is in the shared pool",
             [vm("a", {"count": 1, "pcpus": [4], "dedicated": True})], self.SYSTEM),
            ("real-time priority in the shared pool 'shared' needs a budget",
             [vm("a", {"count": 1, "pool": "shared", "priority": 150})], self.SYSTEM),
            ("want a mapping", [vm("a")], {"pools": [4, 5]}),
        ]
        for want, vms, system in cases:
            with self.assertRaisesRegex(Refused, want):
                describe(vms, system)

    def test_priority_with_a_budget_in_a_pool(self):
        t = describe([vm("a", {"count": 1, "pool": "shared", "priority": 150,
                               "budget": {"runtime": "10ms", "period": "100ms"}})], self.SYSTEM)
        self.assertEqual(field(t, "prio"), {"a": [150]})


class Weights(unittest.TestCase):
    def test_shares_of_one_period_in_proportion(self):
        t = describe([vm("a", {"count": 1, "weight": 200}), vm("b"), vm("c")])
        self.assertEqual(field(t, "budget"), {"a": [(50000, 100000)], "b": [(25000, 100000)],
                                              "c": [(25000, 100000)]})

    def test_what_explicit_budgets_leave(self):
        t = describe([vm("a", {"count": 1, "weight": 300}), vm("b"),
                      vm("c", {"count": 1, "budget": {"runtime": "20ms", "period": "50ms"}})])
        self.assertEqual(field(t, "budget"), {"a": [(45000, 100000)], "b": [(15000, 100000)],
                                              "c": [(20000, 50000)]})

    def test_per_core(self):
        t = describe([vm("a", {"count": 2, "pcpus": [0, 1], "weight": 300}),
                      vm("b", {"count": 1, "pcpus": [0]})])
        # core 1 has one vCPU without a budget: nothing to divide, a full context
        self.assertEqual(field(t, "budget"), {"a": [(75000, 100000), (0, 0)],
                                              "b": [(25000, 100000)]})

    def test_default_weights_keep_full_contexts(self):
        t = describe([vm("a", {"count": 1, "weight": 100}), vm("b")])
        self.assertEqual(field(t, "budget"), {"a": [(0, 0)], "b": [(0, 0)]})

    def test_budgets_still_fit_a_core(self):
        with self.assertRaisesRegex(Refused, "core 0 add up to 110%"):
            describe([vm("a", {"count": 1, "budget": {"runtime": "60ms", "period": "100ms"}}),
                      vm("b", {"count": 1, "budget": {"runtime": "50ms", "period": "100ms"}}),
                      vm("c", {"count": 1, "weight": 200}), vm("d")])

    def test_refusals(self):
        with self.assertRaisesRegex(Refused, "under the 1000 us minimum"):
            describe([vm("a", {"count": 1, "weight": 10000}), vm("b", {"count": 1, "weight": 1})])
        with self.assertRaisesRegex(Refused, "policy fifo on core 0"):
            describe([vm("a", {"count": 1, "weight": 200}),
                      vm("b", {"count": 1, "policy": "fifo"})])
        with self.assertRaisesRegex(Refused, "weight 200: seL4 without MCS"):
            describe([vm("a", {"count": 1, "weight": 200}), vm("b")], mcs=False)
        describe([vm("a", {"count": 1, "weight": 100}), vm("b")], mcs=False)


class Policies(unittest.TestCase):
    def test_defaults_as_stdvmmd(self):
        t = describe([vm("a", {"count": 2, "priority": 120,
                               "placement": [{"vcpu": 1, "policy": "rr"}]}),
                      vm("b", {"count": 1, "pcpus": [1]}),
                      vm("c", {"count": 1, "pcpus": [1], "policy": "fifo"})])
        self.assertEqual(field(t, "fifo"), {"a": [True, False], "b": [False], "c": [True]})
        self.assertEqual(field(t, "prio"), {"a": [120, 120], "b": [100], "c": [100]})

    def test_non_mcs(self):
        with self.assertRaisesRegex(Refused, "fifo needs an MCS kernel"):
            describe([vm("a", {"count": 1, "policy": "fifo"})], mcs=False)
        with self.assertRaisesRegex(Refused, "stdvmmd's default for a priority"):
            describe([vm("a", {"count": 1, "priority": 150})], mcs=False)
        # alone on a dedicated core there is no equal to be fifo against
        t = describe([vm("a", {"count": 1, "priority": 150, "pcpus": [1], "dedicated": True})],
                     mcs=False)
        self.assertEqual(field(t, "fifo"), {"a": [True]})
        describe([vm("a", {"count": 1, "priority": 150, "policy": "rr"})], mcs=False)


class VmmThreads(unittest.TestCase):
    def test_on_their_cores_or_the_vcpus(self):
        t = describe([vm("a", {"count": 3, "pcpus": [1, 2, 3]}, vmm_threads={"pcpus": "0,4"}),
                      vm("b", {"count": 2, "pcpus": [5, 6]})])
        self.assertEqual(field(t, "vmm_core"), {"a": [0, 4, 0], "b": [5, 6]})

    def test_vmm_priority_above_the_highest_vcpu(self):
        t = describe([vm("a", {"count": 2, "priority": 90,
                               "placement": [{"vcpu": 1, "priority": 250}]})])
        self.assertEqual(t[0]["prio_max"], 250)

    def test_refusals(self):
        with self.assertRaisesRegex(Refused, "in a's vmm_threads"):
            describe([vm("a", vmm_threads={"pcpus": [1]}),
                      vm("b", {"count": 1, "pcpus": [1], "dedicated": True})])
        with self.assertRaisesRegex(Refused, "vmm_threads: cores \\[7\\] are not in"):
            describe([vm("a", vmm_threads={"pcpus": [7]})], {"host_cpus": "0-3"})
        with self.assertRaisesRegex(Refused, "want {pcpus"):
            describe([vm("a", vmm_threads=[0])])
        # a dedicated VM's own VMM threads may sit beside its vCPU (stdvmmd allows it)
        describe([vm("a", {"count": 1, "pcpus": [1], "dedicated": True},
                     vmm_threads={"pcpus": [1]})])


class Dedicated(unittest.TestCase):
    def test_a_dedicated_core_is_one_vcpus(self):
        describe([vm("rt", {"count": 1, "pcpus": [1], "dedicated": True}),
                  vm("web", {"count": 2, "pcpus": [0, 2]})])
        with self.assertRaisesRegex(Refused, "web vCPU 1 is placed there"):
            describe([vm("rt", {"count": 1, "pcpus": [1], "dedicated": True}),
                      vm("web", {"count": 2, "pcpus": [0, 1]})])
        with self.assertRaisesRegex(Refused, "rt vCPU 1 is placed there"):
            describe([vm("rt", {"count": 2, "pcpus": [1], "dedicated": True})])


class System(unittest.TestCase):
    def test_limits(self):
        with self.assertRaisesRegex(Refused, "exceeds system.memory"):
            describe([vm("a")], {"memory": "64M"})
        with self.assertRaisesRegex(Refused, "exceeds system.vcpus"):
            describe([vm("a", 2)], {"vcpus": 1})
        with self.assertRaisesRegex(Refused, "autostart VMs' memory"):
            describe([vm("a", autostart=True), vm("b", autostart=True)], {"memory": "200M"})
        with self.assertRaisesRegex(Refused, "system.max_vms is 1"):
            describe([vm("a", autostart=True), vm("b", autostart=True)], {"max_vms": 1})
        with self.assertRaisesRegex(Refused, "not in system.host_cpus"):
            describe([vm("a", {"count": 1, "pcpus": [3]})], {"host_cpus": "0-2"})
        with self.assertRaisesRegex(Refused, "max_vm: not a system key"):
            describe([vm("a")], {"max_vm": 1})
        describe([vm("a", autostart=True), vm("b")], {"memory": "200M", "max_vms": 1})


class CmaNote(unittest.TestCase):
    """A 112 MiB guest booted nothing on seL4: Debian arm64's 64 MiB default
    CMA area fitted beside its kernel and left 9 MiB, an out-of-memory panic
    before the console came up. The description must say so."""

    def notes(self, memory, cmdline):
        said = []
        saved, gvt.note = gvt.note, said.append
        try:
            v = dict(vm("a"), memory=memory)
            if cmdline is not None:
                v["cmdline"] = cmdline
            describe([v])
        finally:
            gvt.note = saved
        return [m for m in said if "cma=" in m]

    def test_small_guest_without_cma_is_noted(self):
        for memory in ("112M", "96M", "64M"):
            said = self.notes(memory, "console=ttyS0 panic=0")
            self.assertEqual(len(said), 1, memory)
            self.assertIn(f"{memory[:-1]} MiB", said[0])
        self.assertEqual(len(self.notes("112M", None)), 1)  # the default command line

    def test_sized_cma_or_enough_memory_is_not(self):
        self.assertEqual(self.notes("112M", "console=ttyS0 cma=16M"), [])
        self.assertEqual(self.notes("112M", "cma=0 console=ttyS0"), [])
        self.assertEqual(len(self.notes("112M", "console=ttyS0 nocma=16M")), 1)
        self.assertEqual(self.notes("128M", "console=ttyS0"), [])
        self.assertEqual(self.notes("256M", "console=ttyS0"), [])


def example(name):
    import yaml
    with open(os.path.join(TOP, "docs", "examples", name), encoding="utf-8") as f:
        return yaml.safe_load(f)


class PaperExamples(unittest.TestCase):
    def test_direct_mapping(self):
        for mcs in (True, False):
            _, t = gvt.describe(example("direct-mapping.yaml"), mcs, image)
            self.assertEqual(field(t, "core"), {"control": [1], "sensor": [2], "logger": [3]})
            self.assertEqual(field(t, "vmm_core"), {"control": [0], "sensor": [0], "logger": [0]})
            self.assertEqual(field(t, "prio"), {"control": [200], "sensor": [100],
                                                "logger": [100]})
            self.assertEqual(field(t, "fifo"), {"control": [True], "sensor": [False],
                                                "logger": [False]})

    def test_hybrid_writable_disk_refused_without_a_board_disk(self):
        with self.assertRaisesRegex(Refused, "db.img is writable .*without a board disk.* "
                                             "refused rather than served read-only"):
            gvt.describe(example("hybrid.yaml"), True, image)

    def test_hybrid_writable_disk_packed_into_the_board_disk(self):
        files = {}

        def board_file(path, where):
            files[path] = where
            return "/root" + path, 10 * 1000 * 1000 + 1  # not a multiple of 512
        system, t = gvt.describe(example("hybrid.yaml"), True, image, board_file)
        self.assertEqual(files, {"/var/lib/stdvmm/db.img": "vms[1].disks[0].path"})
        self.assertEqual(system["board_disk"], {"device": "disk0", "size": 10000384, "files": [
            {"vm": "db", "path": "/root/var/lib/stdvmm/db.img", "offset": 0,
             "size": 10000001}]})
        db = next(v for v in t if v["name"] == "db")
        self.assertEqual(db["region"], (0, 10000384, False))
        self.assertEqual(db["disk_irq_vcpu"], 1)

    def test_hybrid_placement(self):
        doc = example("hybrid.yaml")
        doc["vms"][1]["disks"][0]["read_only"] = True  # the only change: see the test above
        system, t = gvt.describe(doc, True, image)
        self.assertEqual(field(t, "core"), {"rt": [1], "db": [2, 3], "web": [4, 5],
                                            "batch": [4, 5]})
        self.assertEqual(field(t, "vmm_core"), {"rt": [0], "db": [0, 0], "web": [4, 5],
                                                "batch": [4, 5]})
        self.assertEqual(field(t, "prio"), {"rt": [250], "db": [100, 100], "web": [100, 100],
                                            "batch": [100, 100]})
        self.assertEqual(field(t, "fifo"), {"rt": [True], "db": [False, False],
                                            "web": [False, True], "batch": [False, False]})
        self.assertEqual(field(t, "budget"), {
            "rt": [(0, 0)], "db": [(0, 0), (0, 0)], "web": [(0, 0), (20000, 100000)],
            "batch": [(30000, 100000), (30000, 100000)]})
        self.assertEqual([v["prio_max"] for v in t], [250, 100, 100, 100])
        self.assertEqual(system["memory"], 2 << 30)
        with self.assertRaisesRegex(Refused, "weight 200: seL4 without MCS"):
            gvt.describe(doc, False, image)


class Generated(unittest.TestCase):
    """The script itself: --path-root, --mcs and the C table it writes."""

    def run_gen(self, root, system, mcs="on"):
        out = os.path.join(root, "out")
        return subprocess.run([sys.executable, GEN, "--system", system, "--out", out,
                               "--vmm", system, "--switch", system, "--blkserver", system,
                               "--mcs", mcs,
                               "--path-root", root],
                              capture_output=True, text=True), out

    def test_direct_mapping_under_a_path_root(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "opt", "guest"))
            for f in ("vmlinuz", "initramfs.cpio.gz"):
                with open(os.path.join(root, "opt", "guest", f), "wb") as fh:
                    fh.write(b"x" * 4096)
            r, out = self.run_gen(root, os.path.join(TOP, "docs", "examples",
                                                     "direct-mapping.yaml"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("control vCPU 0: core 1, priority 200, fifo; VMM thread on core 0 "
                          "at 201", r.stdout)
            with open(os.path.join(out, "vm_table.c"), encoding="utf-8") as f:
                c = f.read()
            self.assertIn(".cores = {1}, .vmm_cores = {0}, .vmm_threads = true", c)
            self.assertIn(".priority = {200}, .fifo = {true}, .dedicated = true", c)
            self.assertIn(".memory = 1073741824ull, .vcpus = 3, .max_vms = 0", c)
            with open(os.path.join(out, "images.S"), encoding="utf-8") as f:
                self.assertIn(os.path.join(root, "opt", "guest", "vmlinuz"), f.read())

    def test_variables_are_not_under_the_root(self):
        with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as kit:
            for f in ("vmlinuz", "initramfs.cpio.gz"):
                with open(os.path.join(kit, f), "wb") as fh:
                    fh.write(b"x" * 4096)
            out = os.path.join(root, "out")
            r = subprocess.run([sys.executable, GEN, "--system",
                                os.path.join(TOP, "src", "port", "sel4", "examples",
                                             "hybrid-2core.yaml"),
                                "--out", out, "--vmm", GEN, "--switch", GEN,
                                "--blkserver", GEN, "--mcs", "on",
                                "--path-root", root],
                               capture_output=True, text=True,
                               env=dict(os.environ, STDVMM_GUEST_KIT=kit))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("web vCPU 0: core 0 (pool shared), priority 100, budget 66666/100000 us "
                          "(weight 200)", r.stdout)

    def test_missing_file_names_the_root(self):
        with tempfile.TemporaryDirectory() as root:
            r, _ = self.run_gen(root, os.path.join(TOP, "docs", "examples",
                                                   "direct-mapping.yaml"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("/opt/guest/vmlinuz under --path-root", r.stderr)


LAN = {"lan": (0, ["a", "b"]), "other": (1, ["c"])}


def nic_vm(name, nets):
    return {"name": name, "nets": nets}


class Networks(unittest.TestCase):
    def test_networks_parsed_in_order(self):
        nets = gvt.parse_networks({"networks": [{"name": "lan", "members": ["a", "b"]},
                                                {"name": "other", "members": ["c"]}]})
        self.assertEqual(nets, LAN)
        self.assertEqual(gvt.parse_networks({}), {})

    def test_network_refusals(self):
        for doc in ({"networks": {"lan": ["a"]}},
                    {"networks": [{"name": "lan"}, {"name": "lan"}]},
                    {"networks": [{"name": "a name with spaces"}]},
                    {"networks": [{"name": "lan", "members": "a"}]},
                    {"networks": [{"name": "lan", "vlan": 3}]},
                    {"networks": [{"name": f"n{i}"} for i in range(9)]}):
            with self.assertRaises(Refused, msg=repr(doc)):
                gvt.parse_networks(doc)

    def test_uplink_is_linux_only(self):
        """The shared schema's uplink (stdvmmd's TAP port) is refused by name."""
        with self.assertRaises(Refused) as r:
            gvt.parse_networks({"networks": [{"name": "lan", "members": [], "uplink": "tap0"}]})
        self.assertIn("networks[0].uplink: not supported by the seL4 port", str(r.exception))

    def test_nic_on_a_network(self):
        net = gvt.vm_net(nic_vm("a", [{"network": "lan", "mac": "52:54:00:AB:00:01"}]), 0, "w",
                         LAN)
        self.assertEqual(net, ("lan", [0x52, 0x54, 0x00, 0xab, 0x00, 0x01], -1, None))
        net = gvt.vm_net(nic_vm("a", [{"network": "lan", "irq_vcpu": 1}]), 0, "w", LAN, cpus=2)
        self.assertEqual(net[2], 1)
        self.assertIsNone(gvt.vm_net(nic_vm("a", []), 0, "w", LAN))
        # without a mac, one from the VM's index
        self.assertEqual(gvt.vm_net(nic_vm("b", [{"network": "lan"}]), 4, "w", LAN)[1],
                         [0x52, 0x54, 0x00, 0x5e, 0x00, 5])

    def test_nic_refusals(self):
        cases = {
            "unknown network": nic_vm("a", [{"network": "wan"}]),
            "not a member": nic_vm("c", [{"network": "lan"}]),
            "two NICs": nic_vm("a", [{"network": "lan"}, {"network": "lan"}]),
            "a tap NIC": nic_vm("a", [{"tap": "tap0"}]),
            "network and tap": nic_vm("a", [{"network": "lan", "tap": "tap0"}]),
            "a malformed mac": nic_vm("a", [{"network": "lan", "mac": "52:54:00:00:01"}]),
            "a multicast mac": nic_vm("a", [{"network": "lan", "mac": "01:00:5e:00:00:01"}]),
            "a zero mac": nic_vm("a", [{"network": "lan", "mac": "00:00:00:00:00:00"}]),
            "irq_vcpu beyond the vCPUs": nic_vm("a", [{"network": "lan", "irq_vcpu": 1}]),
            "irq_vcpu not a number": nic_vm("a", [{"network": "lan", "irq_vcpu": True}]),
        }
        for what, v in cases.items():
            with self.assertRaises(Refused, msg=what):
                gvt.vm_net(v, 0, "w", LAN)

    def test_duplicate_mac_refused(self):
        mac = [0x52, 0x54, 0, 0, 0, 1]
        with self.assertRaises(Refused) as e:
            gvt.check_networks([{"name": "a", "net": ("lan", mac, -1)},
                                {"name": "b", "net": ("lan", list(mac), -1)},
                                {"name": "c", "net": None}], LAN)
        self.assertIn("same MAC 52:54:00:00:00:01", str(e.exception))
        gvt.check_networks([{"name": "a", "net": ("lan", mac, -1)}, {"name": "b", "net": None},
                            {"name": "c", "net": None}], LAN)

    def test_member_must_be_a_vm(self):
        with self.assertRaises(Refused):
            gvt.check_networks([{"name": "a", "net": None}], {"lan": (0, ["a", "ghost"])})


class SharedRegions(unittest.TestCase):
    """shared_regions as stdvmmd reads them, within what the seL4 admin can back."""

    TABLE = [dict(name="a", memory=128 << 20, ram=None), dict(name="b", memory=256 << 20, ram=None)]

    def parse(self, regions):
        return gvt.parse_shared({"shared_regions": regions}, self.TABLE)

    def test_members_and_access(self):
        got = self.parse([{"name": "chan", "size": "4M", "members": [
            {"vm": "a", "gpa": "4G"}, {"vm": "b", "gpa": 0x140000000, "access": "ro"}]}])
        self.assertEqual(got, [("chan", 4 << 20, False,
                                [(0, 4 << 30, False), (1, 0x140000000, True)], 0)])
        self.assertEqual(gvt.parse_shared({}, self.TABLE), [])

    def test_refusals(self):
        two = [{"vm": "a", "gpa": "4G"}, {"vm": "b", "gpa": "4G"}]
        cases = {
            "want a non-zero multiple of 2M": {"name": "r", "size": "1M", "members": two},
            "doorbell: want true or false": {"name": "r", "size": "2M", "doorbell": "yes",
                                             "members": two},
            "want 2 to 8 members": {"name": "r", "size": "2M", "members": two[:1]},
            "'c' is not a VM of vms[]": {"name": "r", "size": "2M",
                                         "members": [two[0], {"vm": "c", "gpa": "4G"}]},
            "a is already a member": {"name": "r", "size": "2M",
                                      "members": [two[0], {"vm": "a", "gpa": "6G"}]},
            "overlaps a's RAM": {"name": "r", "size": "2M",
                                 "members": [{"vm": "a", "gpa": "1G"}, two[1]]},
            "overlaps the device area": {"name": "r", "size": "2M",
                                         "members": [{"vm": "a", "gpa": 0x0a000000}, two[1]]},
            "want a 2 MiB-aligned address": {"name": "r", "size": "2M",
                                             "members": [{"vm": "a", "gpa": 0x100001000}, two[1]]},
            "want rw or ro": {"name": "r", "size": "2M",
                              "members": [{"vm": "a", "gpa": "4G", "access": "wo"}, two[1]]},
        }
        for want, region in cases.items():
            with self.assertRaises(Refused, msg=want) as r:
                self.parse([region])
            self.assertIn(want, str(r.exception))
        with self.assertRaises(Refused) as r:
            self.parse([{"name": "r", "size": "2M", "members": two},
                        {"name": "s", "size": "2M", "members": two}])
        self.assertIn("overlaps shared region r", str(r.exception))
        with self.assertRaises(Refused) as r:
            self.parse([{"name": "r", "size": "2M", "members": two}] * 2)
        self.assertIn("r appears twice", str(r.exception))


class MemoryMaps(unittest.TestCase):
    def test_regions_sorted_and_memory_their_total(self):
        (t,) = describe([dict(name="a", kernel="k", memory_map=[{"gpa": "8G", "size": "64M"},
                                                               {"gpa": "1G", "size": "96M"}])])
        self.assertEqual(t["ram"], [(1 << 30, 96 << 20), (8 << 30, 64 << 20)])
        self.assertEqual(t["memory"], 160 << 20)
        (t,) = describe([vm("a")])
        self.assertIsNone(t["ram"])

    def test_refusals(self):
        cases = {
            "want 1 to 4 regions": [],
            "want 2 MiB-aligned": [{"gpa": 0x40100000, "size": "64M"}],
            "below 1 GiB is the device area": [{"gpa": 0x08000000, "size": "64M"}],
            "overlap": [{"gpa": "1G", "size": "128M"}, {"gpa": 0x44000000, "size": "64M"}],
            "want at least 64M": [{"gpa": "1G", "size": "32M"}, {"gpa": "4G", "size": "64M"}],
            "want {gpa, size}": [{"gpa": "1G"}],
        }
        for want, m in cases.items():
            with self.assertRaises(Refused, msg=want) as r:
                describe([dict(name="a", kernel="k", memory_map=m)])
            self.assertIn(want, str(r.exception))
        with self.assertRaises(Refused) as r:
            describe([vm("a", memory_map=[{"gpa": "1G", "size": "96M"}])])
        self.assertIn("memory: 128M, but memory_map holds 96M", str(r.exception))

    def test_shared_regions_keep_off_a_mapped_ram(self):
        table = [dict(name="a", memory=128 << 20, ram=[(1 << 30, 64 << 20), (4 << 30, 64 << 20)]),
                 dict(name="b", memory=128 << 20, ram=None)]
        with self.assertRaises(Refused) as r:
            gvt.parse_shared({"shared_regions": [{"name": "r", "size": "2M", "members": [
                {"vm": "a", "gpa": "4G"}, {"vm": "b", "gpa": "4G"}]}]}, table)
        self.assertIn("overlaps a's RAM", str(r.exception))


class Passthrough(unittest.TestCase):
    """A driver VM owns a board device: one owner per device, contiguous RAM, and the
    block server never drives a device a VM drives."""

    def test_a_driver_vm_owns_disk0(self):
        t = describe([vm("drv", passthrough=["disk0"]), vm("user")])
        self.assertEqual([v["passthrough"] for v in t], [["disk0"], []])
        self.assertEqual(gvt.passthrough_bits(t[0]["passthrough"]), 1)

    def test_a_driver_vm_serves_a_region(self):
        t = describe([vm("drv", passthrough=["disk0"], serves=["user"]),
                      vm("user", disks=[{"device": "disk0", "size": "8M", "backend": "drv"}])])
        self.assertEqual(t[0]["serves"], ["user"])
        self.assertEqual(t[1]["backend"], "drv")
        self.assertEqual(t[1]["region"], (0, 8 << 20, False))

    def test_who_serves_whom(self):
        region = {"device": "disk0", "size": "8M", "backend": "drv"}
        for vms, why in [
            ([vm("drv", passthrough=["disk0"]), vm("user", disks=[region])],
             "drv may not serve user"),
            ([vm("drv"), vm("user", disks=[region])], "does not own disk0"),
            ([vm("user", disks=[region])], "backend drv is not a VM"),
            ([vm("drv", serves=["user"]), vm("user")], "only a VM that owns a board device"),
            ([vm("drv", passthrough=["disk0"], serves=["nobody"])], "nobody is not another VM"),
            ([vm("drv", passthrough=["disk0"], serves=["user"]),
              vm("user", disks=[dict(region, backend=7)])], "want the name of the VM"),
        ]:
            with self.assertRaises(Refused, msg=why) as e:
                describe(vms)
            self.assertIn(why, str(e.exception))

    def test_refusals(self):
        for vms, why in [
            ([vm("a", passthrough=["disk0"]),
              vm("b", passthrough=["disk0"])], "given to a already"),
            ([vm("a", passthrough=["disk0", "disk0"])], "appears twice"),
            ([vm("a", passthrough=["net9"])], "the board has disk0"),
            ([vm("a", passthrough="disk0")], "want a list"),
            ([dict(vm("a", passthrough=["disk0"]), memory="192M")], "power of two"),
            ([vm("a", passthrough=["disk0"]),
              vm("b", disks=[{"device": "disk0", "size": "8M"}])], "a owns (passthrough)"),
        ]:
            with self.assertRaises(Refused, msg=why) as e:
                describe(vms)
            self.assertIn(why, str(e.exception))


class Iommu(unittest.TestCase):
    """iommu: true puts a virtio-iommu in the VM's VMM; refused where a device's DMA
    would pass by it."""

    def test_default_off_and_on(self):
        t = describe([vm("a", iommu=True), vm("b"), vm("c", iommu=False)])
        self.assertEqual([v["iommu"] for v in t], [True, False, False])

    def test_with_served_disk_and_nic(self):
        doc = {"networks": [{"name": "lan", "members": ["a", "b"]}],
               "vms": [vm("a", iommu=True, disks=[{"device": "disk0", "size": "8M"}],
                          nets=[{"network": "lan"}]), vm("b", nets=[{"network": "lan"}])]}
        t = gvt.describe(doc, True, image)[1]
        self.assertTrue(t[0]["iommu"])
        self.assertEqual(t[0]["region"], (0, 8 << 20, False))

    def test_refusals(self):
        for vms, why in [
            ([vm("a", iommu="yes")], "iommu: want true or false"),
            ([vm("a", iommu=1)], "iommu: want true or false"),
            ([vm("a", iommu=True, passthrough=["disk0"])], "needs a real SMMU"),
            ([vm("drv", iommu=True, passthrough=["net0"], serves=["user"]),
              vm("user", nets=[{"network": "lan", "backend": "drv"}])], "needs a real SMMU"),
        ]:
            with self.assertRaises(Refused, msg=why) as e:
                describe(vms)
            self.assertIn(why, str(e.exception))


class DriverNet(unittest.TestCase):
    """A NIC served by a driver VM that owns the board's NIC (net0)."""

    def test_a_driver_vm_serves_a_nic(self):
        t = describe([vm("ndrv", passthrough=["net0"], serves=["user"]),
                      vm("user", nets=[{"backend": "ndrv", "mac": "52:54:00:00:00:21"}])])
        self.assertEqual(gvt.passthrough_bits(t[0]["passthrough"]), 2)
        self.assertEqual(t[1]["net"], (None, [0x52, 0x54, 0, 0, 0, 0x21], -1, "ndrv"))
        self.assertIn(".net_backend = 0", gvt.net_fields(t[1]["net"], {}, {"ndrv": 0}))
        self.assertNotIn(".networks", gvt.net_fields(t[1]["net"], {}, {"ndrv": 0}))

    def test_refusals(self):
        nic = {"backend": "ndrv"}
        region = {"device": "disk0", "size": "8M", "backend": "ddrv"}
        for vms, why in [
            ([vm("ndrv", passthrough=["net0"]), vm("user", nets=[nic])],
             "ndrv may not serve user"),
            ([vm("ndrv", passthrough=["disk0"], serves=["user"]), vm("user", nets=[nic])],
             "does not own net0"),
            ([vm("user", nets=[nic])], "backend ndrv is not a VM"),
            ([vm("user", nets=[{"backend": "ndrv", "network": "lan"}])], "either network"),
            ([vm("user", nets=[{"backend": 3}])], "want a VM name"),
            ([vm("a", passthrough=["disk0", "net0"])], "one board device so far"),
            ([vm("ndrv", passthrough=["net0"], serves=["user"]),
              vm("ddrv", passthrough=["disk0"], serves=["user"]),
              vm("user", nets=[nic], disks=[region])], "from one driver VM"),
        ]:
            with self.assertRaises(Refused, msg=why) as e:
                describe(vms)
            self.assertIn(why, str(e.exception))


class BoardDisk(unittest.TestCase):
    """Writable image files placed above the description's own regions, and
    tools/sel4/board-disk.py packing them into an image and back."""

    def test_files_go_above_explicit_regions_1m_aligned(self):
        t = [{"name": "a", "region": (0, 3 << 20, False)},
             {"name": "b", "region": ("pack", "/x/b.img", 5000)},
             {"name": "c", "region": None},
             {"name": "d", "region": ("pack", "/x/d.img", 1 << 20)}]
        layout = gvt.pack_board_files(t)
        self.assertEqual([v["region"] for v in t],
                         [(0, 3 << 20, False), (3 << 20, 5120, False), None,
                          (4 << 20, 1 << 20, False)])
        self.assertEqual(layout["size"], 5 << 20)
        self.assertEqual([(f["vm"], f["offset"], f["size"]) for f in layout["files"]],
                         [("b", 3 << 20, 5000), ("d", 4 << 20, 1 << 20)])

    def test_pack_and_unpack(self):
        tool = os.path.join(TOP, "tools", "sel4", "board-disk.py")
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "db.img")
            with open(f, "wb") as out:
                out.write(b"db" * 1000)
            layout = os.path.join(d, "board-disk.json")
            with open(layout, "w", encoding="utf-8") as out:
                json.dump({"device": "disk0", "size": (1 << 20) + 2048,
                           "files": [{"vm": "db", "path": f, "offset": 1 << 20,
                                      "size": 2000}]}, out)
            img = os.path.join(d, "disk0.img")
            r = subprocess.run([sys.executable, tool, "pack", layout, img, "--size", "4194304"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(img, "rb") as fh:
                data = fh.read()
            self.assertEqual(len(data), 4 << 20)
            self.assertEqual(data[1 << 20:(1 << 20) + 2000], b"db" * 1000)
            self.assertEqual(data[:1 << 20] + data[(1 << 20) + 2000:], bytes(len(data) - 2000))
            with open(img, "r+b") as fh:  # the guest writes its disk
                fh.seek(1 << 20)
                fh.write(b"XY" * 1000 + b"beyond")
            r = subprocess.run([sys.executable, tool, "unpack", layout, img],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(f, "rb") as fh:
                self.assertEqual(fh.read(), b"XY" * 1000)
            with open(f, "ab") as out:  # changed since the build: refused
                out.write(b"!")
            r = subprocess.run([sys.executable, tool, "pack", layout, img],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("build again", r.stderr)


class DiskRegions(unittest.TestCase):
    def region(self, d):
        return gvt.disk_region(d, "w")

    def test_spellings(self):
        self.assertEqual(self.region({"device": "disk0", "offset": "1G", "size": "512M"}),
                         (1 << 30, 512 << 20, False))
        self.assertEqual(self.region({"device": "disk0", "size": 1024, "read_only": True}),
                         (0, 1024, True))

    def test_refusals(self):
        cases = {
            "another device": {"device": "disk1", "size": "1M"},
            "no size": {"device": "disk0"},
            "size 0": {"device": "disk0", "size": 0},
            "unaligned offset": {"device": "disk0", "offset": 100, "size": "1M"},
            "unaligned size": {"device": "disk0", "size": 1000},
            "read_only not a bool": {"device": "disk0", "size": "1M", "read_only": "yes"},
        }
        for what, d in cases.items():
            with self.assertRaises(Refused, msg=what):
                self.region(d)

    def test_path_or_device_not_both(self):
        for d in ({"device": "disk0", "path": "x", "size": "1M"}, {"id": "x"},
                  {"device": "disk0", "size": "1M", "mac": "x"}):
            with self.assertRaises(Refused, msg=repr(d)):
                describe([vm("a", disks=[d])])


COLOURED = """\
system:
  memory: 1G
  cache: {line: 64, size: 1M, ways: 16}
vms:
  - name: red
    kernel: vmlinuz
    colours: [0-3]
    memory: 96M
  - name: green
    kernel: vmlinuz
    colours: [4, 5-7]
    memory: 96M
  - name: blue
    kernel: vmlinuz
    colours: "8-12"
    memory: 96M
"""


class Colours(unittest.TestCase):
    """Cache colouring (docs/memory.md): the cache's colours, a VM's set, disjoint sets,
    the colours' capacity, and what a coloured VM cannot have yet."""
    CACHE = {"line": 64, "size": "1M", "ways": 16}

    def table(self, vms, memory="16G", cache=None):
        return describe(vms, {"memory": memory, "cache": cache or self.CACHE})

    @staticmethod
    def sized(name, memory, **kw):
        v = vm(name, **kw)
        v["memory"] = memory
        return v

    def test_sets(self):
        t = self.table([vm("a", colours="0-3,8"), vm("b", colours=[4, "5-6", 7]),
                        vm("c", colours=15), vm("d")])
        self.assertEqual([v["colours"] for v in t], [0x10f, 0xf0, 0x8000, 0])
        self.assertEqual(gvt.colour_text(0x10f), "0-3,8")
        self.assertEqual(gvt.parse_cache(self.CACHE), (64, 1 << 20, 16, 16))
        self.assertEqual(gvt.parse_cache({"line": 64, "size": "2M", "ways": 8})[3], 64)
        self.assertEqual(gvt.parse_cache({"line": 64, "size": "64K", "ways": 16})[3], 1)

    def test_bad_caches(self):
        for cache in ({"line": 64, "size": "1M"}, {"line": 64, "size": "3M", "ways": 16},
                      {"line": 64, "size": "1M", "ways": 12}, {"line": 48, "size": "1M", "ways": 16},
                      {"line": 64, "size": "32K", "ways": 16},  # a way below a page
                      {"line": 64, "size": "8M", "ways": 16},  # 128 colours
                      {"line": 64, "size": "1M", "ways": 16, "sets": 1024}, "1M"):
            with self.assertRaises(Refused, msg=repr(cache)):
                gvt.parse_cache(cache)

    def test_bad_sets(self):
        for colours in ("16", [16], "3-1", "x", [], "", [True], [0.5]):
            with self.assertRaises(Refused, msg=repr(colours)):
                self.table([vm("a", colours=colours)])
        with self.assertRaisesRegex(Refused, r"colour 16; system.cache has colours 0-15"):
            self.table([vm("a", colours="12-16")])
        with self.assertRaisesRegex(Refused, r"colours need system.cache"):
            describe([vm("a", colours="0-3")])
        with self.assertRaisesRegex(Refused, r"share_colours: without colours"):
            self.table([vm("a", share_colours=True)])

    def test_overlap_is_refused_unless_both_share(self):
        with self.assertRaisesRegex(Refused, r"vms: a \(vms\[0\].colours\) and c "
                                             r"\(vms\[2\].colours\) share colours 2-3"):
            self.table([vm("a", colours="0-3"), vm("b", colours="4-7"),
                        vm("c", colours="2-3,8")])
        with self.assertRaisesRegex(Refused, r"share colours 2-3"):
            self.table([vm("a", colours="0-3", share_colours=True), vm("c", colours="2-3,8")])
        t = self.table([vm("a", colours="0-3", share_colours=True),
                        vm("c", colours="2-3,8", share_colours=True)])
        self.assertEqual([v["colours"] for v in t], [0xf, 0x10c])

    def test_capacity(self):
        # 1G / 16 colours = 64 MiB a colour; 4 colours take (memory + 2 MiB) / 4 each.
        self.table([self.sized("a", "254M", colours="0-3")], "1G")
        with self.assertRaisesRegex(Refused, r"vms: colour 0 holds 64 MiB \(system.memory 1024 "
                                             r"MiB / 16 colours\), but a need 64.5 MiB of it"):
            self.table([self.sized("a", "256M", colours="0-3")], "1G")
        # Sharing colours shares their capacity.
        with self.assertRaisesRegex(Refused, r"colour 3 holds 64 MiB .* but a, b need 98.5 MiB"):
            self.table([self.sized("a", "128M", colours="0-3", share_colours=True),
                        self.sized("b", "64M", colours="3", share_colours=True)], "1G")

    def test_capacity_counts_the_iommu_tables(self):
        # Only a VM with the IOMMU has its tables (512 KiB over its colours): 254M + 2M fits
        # colours 0-3 exactly, and with the tables it is 64 + 0.5 / 4 = 64.125 MiB a colour.
        self.table([self.sized("a", "254M", colours="0-3")], "1G")
        with self.assertRaisesRegex(Refused, r"colour 0 holds 64 MiB .* but a need 64.1 MiB"):
            self.table([self.sized("a", "254M", colours="0-3", iommu=True)], "1G")
        self.table([self.sized("a", "252M", colours="0-3", iommu=True)], "1G")

    def doc(self, vms, memory="16G", **top):
        return gvt.describe(copy.deepcopy({"system": {"memory": memory, "cache": self.CACHE},
                                           "vms": vms, **top}), True, image)[1]

    LAN = {"networks": [{"name": "lan", "members": ["a", "b"]}]}
    REGION = {"device": "disk0", "offset": 0, "size": "16M"}

    def test_channels_of_a_coloured_vm_are_accepted(self):
        # Their frames are of the VM's colours (admin/colour_channel.c): a NIC on the
        # switch, a region of the board's disk, and both served by a driver VM.
        t = self.doc([vm("a", colours="0-3", nets=[{"network": "lan"}], disks=[self.REGION]),
                      vm("b", colours="4-7", nets=[{"network": "lan"}])], **self.LAN)
        self.assertEqual([v["colours"] for v in t], [0xf, 0xf0])
        self.assertEqual(t[0]["region"][:2], (0, 16 << 20))
        self.assertEqual(t[0]["net"][0], "lan")
        self.assertEqual(gvt.channel_bytes(t[0]), (72 + 514) * 4096)
        self.assertEqual(gvt.channel_bytes(t[1]), 72 * 4096)
        t = self.doc([vm("drv", passthrough=["disk0"], serves=["a"]),
                      vm("a", colours="0-3", disks=[dict(self.REGION, backend="drv")])])
        self.assertEqual(t[1]["backend"], "drv")

    def test_capacity_counts_the_channels(self):
        # 1G / 16 colours = 64 MiB a colour. 250M + 2M of VMM frames over colours 0-3 is
        # 63 MiB a colour; a disk's channel (2056 KiB) and its requests (33 pages, 132 KiB)
        # fit beside it. 254M + 2M is 64 MiB a colour, which fits alone, but not with a NIC
        # and a disk (2344 + 132 KiB): 64 + 2476 / 4 / 1024 = 64.60 MiB, refused above 64.
        self.doc([self.sized("a", "250M", colours="0-3", disks=[self.REGION])], "1G")
        self.doc([self.sized("a", "254M", colours="0-3")], "1G")
        with self.assertRaisesRegex(Refused, r"colour 0 holds 64 MiB .* but a need 64.6 MiB "
                                             r"of it \(RAM, ~2 MiB of VMM frames, their "
                                             r"devices' tables and their channels"):
            self.doc([self.sized("a", "254M", colours="0-3", nets=[{"network": "lan"}],
                                 disks=[self.REGION]), vm("b", nets=[{"network": "lan"}])],
                     "1G", **self.LAN)

    def test_data_areas_only_with_their_devices(self):
        # The device models' tables the admin maps into a VMM (vmm_abi.h), each area in whole
        # pages: none without the devices; a disk's 32 requests of 4200 bytes (33 pages);
        # the IOMMU's 128 pages; a driver VM's vsock, 3 connections per VM it serves and 2
        # spare, of 131128 bytes (2 clients: 8 connections, 257 pages).
        t = self.doc([vm("plain"), vm("disk", disks=[self.REGION]),
                      vm("both", iommu=True, disks=[dict(self.REGION, offset="16M")])])
        self.assertEqual([gvt.data_bytes(v) for v in t], [0, 33 * 4096, (128 + 33) * 4096])
        self.assertEqual(gvt.vmm_bytes(t[0]), 2 << 20)
        t = self.doc([vm("drv", passthrough=["disk0"], serves=["a", "b"]),
                      vm("a", disks=[dict(self.REGION, backend="drv")]),
                      vm("b", disks=[dict(self.REGION, offset="16M", backend="drv")])])
        self.assertEqual(gvt.data_bytes(t[0]), 257 * 4096)
        self.assertEqual(8 * gvt.VSOCK_CONN_BYTES, 1049024)  # 256.1 pages
        self.assertEqual([gvt.data_bytes(v) for v in t[1:]], [33 * 4096] * 2)

    def region(self, colours=None, members=("a", "b"), size="4M"):
        r = {"name": "s", "size": size,
             "members": [{"vm": m, "gpa": "4G"} for m in members]}
        if colours is not None:
            r["colours"] = colours
        return r

    def shared(self, vms, region, memory="16G"):
        return gvt.describe({"system": {"memory": memory, "cache": self.CACHE}, "vms": vms,
                             "shared_regions": [region]}, True, image)[0]["shared"]

    def test_a_shared_region_of_colours_nobody_owns(self):
        # Coloured members, a region in a colour of neither: 4 KiB frames of colour 12.
        got = self.shared([vm("a", colours="0-3"), vm("b", colours="4-7"), vm("c")],
                          self.region("12"))
        self.assertEqual(got[0][4], 1 << 12)
        # An uncoloured member may be in a coloured region too.
        self.shared([vm("a", colours="0-3"), vm("b")], self.region([12, 13]))

    def test_a_shared_region_of_shared_colours(self):
        # A member's colour only when it shares it; a non-member's likewise.
        with self.assertRaisesRegex(Refused, r"shared region s \(shared_regions\[0\].colours\) "
                                             r"has colours 3 of a \(vms\[0\].colours\), a member "
                                             r"that does not say share_colours: true"):
            self.shared([vm("a", colours="0-3"), vm("b", colours="4-7")], self.region("3"))
        got = self.shared([vm("a", colours="0-3", share_colours=True), vm("b", colours="4-7")],
                          self.region("3"))
        self.assertEqual(got[0][4], 1 << 3)
        with self.assertRaisesRegex(Refused, r"has colours 12 of c \(vms\[2\].colours\), not a "
                                             r"member that does not say share_colours"):
            self.shared([vm("a", colours="0-3"), vm("b", colours="4-7"), vm("c", colours="12-13")],
                        self.region("12"))
        self.shared([vm("a", colours="0-3"), vm("b", colours="4-7"),
                     vm("c", colours="12-13", share_colours=True)], self.region("12"))

    def test_a_coloured_region_is_checked_like_a_vm(self):
        with self.assertRaisesRegex(Refused, r"shared_regions\[0\].colours: colour 16; "
                                             r"system.cache has colours 0-15"):
            self.shared([vm("a", colours="0-3"), vm("b")], self.region("15-16"))
        with self.assertRaisesRegex(Refused, r"shared_regions\[0\].colours: want at least one"):
            self.shared([vm("a", colours="0-3"), vm("b")], self.region([]))
        with self.assertRaisesRegex(Refused, r"shared_regions\[0\].colours: colours need "
                                             r"system.cache"):
            gvt.describe({"vms": [vm("a"), vm("b")], "shared_regions": [self.region("1")]},
                         True, image)
        # 1G / 16 colours = 64 MiB a colour: a region of 128 MiB in one colour does not fit,
        # in two it does (64 MiB each).
        with self.assertRaisesRegex(Refused, r"colour 12 holds 64 MiB .* but shared region s need "
                                             r"128.0 MiB"):
            self.shared([vm("a", colours="0-3"), vm("b")], self.region("12", size="128M"), "1G")
        self.shared([vm("a", colours="0-3"), vm("b")], self.region("12-13", size="128M"), "1G")

    def test_what_a_coloured_vm_cannot_have_yet(self):
        with self.assertRaisesRegex(Refused, r"disks\[0\]: a read-only image is read from the "
                                             r"admin's image store"):
            self.table([vm("a", colours="0-3", disks=[{"path": "d.img", "read_only": True}])])
        for extra in ({"passthrough": ["disk0"]},
                      {"passthrough": ["disk0"], "serves": ["b"]}):
            with self.assertRaisesRegex(Refused, r"\.passthrough: a VM that owns a board device "
                                                 r"gives it its RAM's physical addresses",
                                        msg=repr(extra)):
                self.table([vm("a", colours="0-3", **extra), vm("b")])
        with self.assertRaisesRegex(Refused, r"vms\[0\]: a member of shared region s "
                                             r"\(shared_regions\[0\]\), which has no colours"):
            gvt.describe(
                {"system": {"memory": "1G", "cache": self.CACHE},
                 "vms": [vm("a", colours="0-3"), vm("b")],
                 "shared_regions": [{"name": "s", "size": "2M",
                                     "members": [{"vm": "a", "gpa": "4G"},
                                                 {"vm": "b", "gpa": "4G"}]}]},
                True, image)


class GeneratedTable(unittest.TestCase):
    """The whole generator on a description with networks: the table it writes."""

    def run_gen(self, text, name="system.json"):
        with tempfile.TemporaryDirectory() as d:
            for f in ("vmlinuz", "vmm.elf", "switch.elf", "blkserver.elf"):
                with open(os.path.join(d, f), "wb") as out:
                    out.write(b"x" * 16)
            with open(os.path.join(d, name), "w", encoding="utf-8") as out:
                out.write(text)
            r = subprocess.run(
                [sys.executable, os.path.join(HERE, "..", "..", "..", "tools", "sel4",
                                              "gen-vm-table.py"),
                 "--system", os.path.join(d, name), "--out", os.path.join(d, "gen"),
                 "--vmm", os.path.join(d, "vmm.elf"), "--switch", os.path.join(d, "switch.elf"),
                 "--blkserver", os.path.join(d, "blkserver.elf"), "--mcs", "off"],
                capture_output=True, text=True, check=False)
            table = ""
            if r.returncode == 0:
                with open(os.path.join(d, "gen", "vm_table.c"), encoding="utf-8") as f:
                    table = f.read()
                with open(os.path.join(d, "gen", "images.S"), encoding="utf-8") as f:
                    table += f.read()
            return r, table

    def test_nics_and_network_names(self):
        r, table = self.run_gen(
            '{"networks": [{"name": "lan", "members": ["a", "b"]}, {"name": "x", "members": []}],'
            ' "vms": [{"name": "a", "kernel": "vmlinuz",'
            '          "nets": [{"network": "lan", "mac": "52:54:00:00:00:0a"}]},'
            '         {"name": "b", "kernel": "vmlinuz"}]}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(".net = true, .mac = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0a}, "
                      ".networks = 1ull << 0, .net_irq_vcpu = -1", table)
        self.assertIn(".net = false, .net_irq_vcpu = -1", table)
        self.assertIn('sel4_network_names[] = {"lan", "x", NULL}', table)
        self.assertIn("sel4_network_count = 2", table)
        self.assertIn("sel4_switch_program:", table)
        self.assertIn("sel4_blksrv_program:", table)
        self.assertIn(".disk_served = false", table)

    def test_iommu(self):
        r, table = self.run_gen(
            '{"vms": [{"name": "a", "kernel": "vmlinuz", "iommu": true},'
            '         {"name": "b", "kernel": "vmlinuz"}]}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(table.count(".iommu = true,"), 1)
        self.assertEqual(table.count(".iommu = false,"), 1)
        self.assertLess(table.index(".iommu = true,"), table.index(".iommu = false,"))

    def test_shared_regions(self):
        r, table = self.run_gen(
            '{"shared_regions": [{"name": "chan", "size": "2M", "doorbell": true, "members": ['
            '   {"vm": "a", "gpa": "4G"}, {"vm": "b", "gpa": "5G", "access": "ro"}]}],'
            ' "vms": [{"name": "a", "kernel": "vmlinuz"}, {"name": "b", "kernel": "vmlinuz"}]}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('{.name = "chan", .size = 2097152ull, .doorbell = true, .colours = 0x0ull, '
                      '.member_count = 2, .members = '
                      '{{0, 4294967296ull, false}, {1, 5368709120ull, true}, }},', table)
        self.assertIn("sel4_shared_count = 1", table)

    def test_disk_region(self):
        r, table = self.run_gen(
            '{"vms": [{"name": "a", "kernel": "vmlinuz",'
            '          "disks": [{"device": "disk0", "offset": "64M", "size": "32M",'
            '                     "id": "data", "irq_vcpu": 0}]},'
            '         {"name": "b", "kernel": "vmlinuz",'
            '          "disks": [{"device": "disk0", "size": "64M", "read_only": true}]}]}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(".disk_served = true, .disk_read_only = false, .disk_offset = 67108864ull, "
                      ".disk_region_size = 33554432ull", table)
        self.assertIn(".disk_served = true, .disk_read_only = true, .disk_offset = 0ull, "
                      ".disk_region_size = 67108864ull", table)
        self.assertIn('.disk = -1, .disk_id = "data", .disk_irq_vcpu = 0', table)

    def test_colours(self):
        r, table = self.run_gen(COLOURED, "system.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(".colours = 0xfull}", table)
        self.assertIn(".colours = 0xf0ull}", table)
        self.assertIn(".colours = 0x1f00ull}", table)
        self.assertIn("sel4_cache = {.line = 64, .size = 1048576ull, .ways = 16, .colours = 16}",
                      table)

    def test_overlapping_colours_name_both_vms_and_lines(self):
        r, _ = self.run_gen(COLOURED.replace("colours: \"8-12\"", "colours: [3, 9]"),
                            "system.yaml")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("vms: red (vms[0].colours (line 7)) and blue (vms[2].colours (line 15)) "
                      "share colours 3; colours are a VM's own unless both VMs say "
                      "share_colours: true", r.stderr)

    def test_coloured_region_names_its_line_and_the_vms(self):
        text = COLOURED + """\
shared_regions:
  - name: chan
    size: 2M
    colours: [8]
    members:
      - {vm: red, gpa: 4G}
      - {vm: green, gpa: 4G}
"""
        r, _ = self.run_gen(text, "system.yaml")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("shared region chan (shared_regions[0].colours (line 20)) has colours 8 of "
                      "blue (vms[2].colours (line 15)), not a member that does not say "
                      "share_colours: true", r.stderr)
        r, table = self.run_gen(text.replace("colours: [8]", "colours: [13-14]"), "system.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('{.name = "chan", .size = 2097152ull, .doorbell = false, '
                      '.colours = 0x6000ull, .member_count = 2,', table)

    def test_check_only(self):
        """--check (CMake's configure step): the reason on a refusal, nothing written."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "vmlinuz"), "wb") as out:
                out.write(b"x" * 16)
            for name, text, ok in (("good.yaml", COLOURED, True),
                                   ("bad.yaml", COLOURED.replace('colours: "8-12"', "colours: 7"),
                                    False)):
                with open(os.path.join(d, name), "w", encoding="utf-8") as out:
                    out.write(text)
                r = subprocess.run([sys.executable, GEN, "--check", "--system",
                                    os.path.join(d, name), "--mcs", "off"],
                                   capture_output=True, text=True, check=False)
                self.assertEqual(r.returncode == 0, ok, r.stderr)
                if ok:
                    self.assertIn("3 VMs, checked", r.stdout)
                else:
                    self.assertIn("vms: green (vms[1].colours (line 11)) and blue "
                                  "(vms[2].colours (line 15)) share colours 7", r.stderr)
            self.assertEqual(sorted(os.listdir(d)), ["bad.yaml", "good.yaml", "vmlinuz"])

    def test_refusal_exits_with_the_reason(self):
        r, _ = self.run_gen('{"networks": [{"name": "lan", "members": ["a"]}],'
                            ' "vms": [{"name": "a", "kernel": "vmlinuz",'
                            '          "nets": [{"network": "wan"}]}]}')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("vms[0].nets[0].network: 'wan' is not one of networks[]", r.stderr)


if __name__ == "__main__":
    unittest.main()
