#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""tools/sel4/gen-vm-table.py's placement and scheduling rules, without seL4:
vCPU cores from pcpus and placement, priorities, budgets, and the refusals
(dedicated cores shared, budgets over 100% of a core, bad spellings)."""
import importlib.util
import os
import sys
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


if __name__ == "__main__":
    unittest.main()
