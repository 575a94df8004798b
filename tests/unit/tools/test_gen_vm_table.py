#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""tools/sel4/gen-vm-table.py's rules, without seL4: vCPU cores from pcpus and
placement, priorities, budgets, and the refusals (dedicated cores shared,
budgets over 100% of a core, bad spellings); networks and NICs (unknown
network, a VM not a member, duplicate MACs) and the table they produce."""
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "gen_vm_table", os.path.join(HERE, "..", "..", "..", "tools", "sel4", "gen-vm-table.py"))
gvt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gvt)


class Refused(Exception):
    pass


def refuse(msg):
    raise Refused(msg)


gvt.fail = refuse  # the generator exits on a refusal; here it raises


class CpuLists(unittest.TestCase):
    def test_spellings(self):
        self.assertEqual(gvt.parse_cpus([1, 2], "w"), [1, 2])
        self.assertEqual(gvt.parse_cpus(3, "w"), [3])
        self.assertEqual(gvt.parse_cpus("0-3,6", "w"), [0, 1, 2, 3, 6])

    def test_refusals(self):
        for bad in ("3-1", "x", "", [], [256], [True], "1,,2"):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.parse_cpus(bad, "w")


class VcpuPlacement(unittest.TestCase):
    def test_count_only(self):
        count, cores, prio, dedicated, budgets = gvt.vcpu_cores(4, "w")
        self.assertEqual((count, cores, prio, dedicated), (4, [0, 0, 0, 0], -1, False))
        self.assertEqual(budgets, [(0, 0)] * 4)

    def test_pcpus_taken_in_turn_and_placement_wins(self):
        _, cores, _, _, budgets = gvt.vcpu_cores(
            {"count": 4, "pcpus": "2-3", "budget": {"runtime": "20ms", "period": "100ms"},
             "placement": [{"vcpu": 3, "pcpus": [1], "budget": "none"}]}, "w")
        self.assertEqual(cores, [2, 3, 2, 1])
        self.assertEqual(budgets, [(20000, 100000)] * 3 + [(0, 0)])

    def test_priority_bounds(self):
        self.assertEqual(gvt.vcpu_cores({"count": 1, "priority": 198}, "w")[2], 198)
        for bad in (199, -1, True, "high"):
            with self.assertRaises(Refused, msg=repr(bad)):
                gvt.vcpu_cores({"count": 1, "priority": bad}, "w")

    def test_refusals(self):
        for cpus in (0, 9, {"count": 2, "pool": "shared"},
                     {"count": 2, "placement": [{"vcpu": 2, "pcpus": [0]}]},
                     {"count": 1, "placement": [{"vcpu": 0, "weight": 3}]},
                     {"count": 1, "budget": {"runtime": "30ms", "period": "10ms"}},
                     {"count": 1, "budget": {"runtime": "30ms"}},
                     {"count": 1, "budget": {"runtime": "1500ns", "period": "10ms"}},
                     {"count": 1, "dedicated": "yes"}):
            with self.assertRaises(Refused, msg=repr(cpus)):
                gvt.vcpu_cores(cpus, "w")


def vm(name, cores, budgets=None, dedicated=False):
    return {"name": name, "cores": cores, "dedicated": dedicated,
            "budgets": budgets or [(0, 0)] * len(cores)}


class SystemRules(unittest.TestCase):
    def test_dedicated_cores_are_exclusive(self):
        gvt.check_dedicated([vm("rt", [1], dedicated=True), vm("web", [0, 2])])
        with self.assertRaises(Refused):
            gvt.check_dedicated([vm("rt", [1], dedicated=True), vm("web", [0, 1])])

    def test_budgets_fit_each_core(self):
        gvt.check_budgets([vm("a", [0], [(30000, 100000)]), vm("b", [0], [(70000, 100000)]),
                           vm("c", [1], [(90000, 100000)])])
        with self.assertRaises(Refused):
            gvt.check_budgets([vm("a", [0], [(30000, 100000)]),
                               vm("b", [0], [(8000, 10000)])])


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

    def test_nic_on_a_network(self):
        net = gvt.vm_net(nic_vm("a", [{"network": "lan", "mac": "52:54:00:AB:00:01"}]), 0, "w",
                         LAN)
        self.assertEqual(net, ("lan", [0x52, 0x54, 0x00, 0xab, 0x00, 0x01], -1))
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


class GeneratedTable(unittest.TestCase):
    """The whole generator on a description with networks: the table it writes."""

    def run_gen(self, text):
        with tempfile.TemporaryDirectory() as d:
            for f in ("vmlinuz", "vmm.elf", "switch.elf"):
                with open(os.path.join(d, f), "wb") as out:
                    out.write(b"x" * 16)
            with open(os.path.join(d, "system.json"), "w", encoding="utf-8") as out:
                out.write(text)
            r = subprocess.run(
                [sys.executable, os.path.join(HERE, "..", "..", "..", "tools", "sel4",
                                              "gen-vm-table.py"),
                 "--system", os.path.join(d, "system.json"), "--out", os.path.join(d, "gen"),
                 "--vmm", os.path.join(d, "vmm.elf"), "--switch", os.path.join(d, "switch.elf")],
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

    def test_refusal_exits_with_the_reason(self):
        r, _ = self.run_gen('{"networks": [{"name": "lan", "members": ["a"]}],'
                            ' "vms": [{"name": "a", "kernel": "vmlinuz",'
                            '          "nets": [{"network": "wan"}]}]}')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("vms[0].nets[0].network: 'wan' is not one of networks[]", r.stderr)


if __name__ == "__main__":
    unittest.main()
