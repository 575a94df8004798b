#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Boot stdvmm on seL4 in QEMU and walk through the seL4 port's behaviours.

Needs an image built with -DSTDVMM_SEL4_SYSTEM=src/port/sel4/examples/demo.yaml
(README, "Running on seL4"), or with smp.yaml for --scenario smp. Not part of
CI: CI has no seL4 checkout.

  tests/sel4/run-demo.py IMAGE [--scenario demo|smp|sched|hybrid|vmm-threads|direct|net]
                         [--smp N] [--accel ACCEL | --tcg-single] [--log FILE]

Steps, each with a deadline: both tickers reach "stdvmm-guest: ready"; `oneshot`
powers off through PSCI SYSTEM_OFF and only it stops; `restart ticker2`
rebuilds ticker2 while ticker1 keeps printing; `start wild` runs a guest that
touches unbacked addresses and is stopped alone; `start bouncer` reboots
(PSCI SYSTEM_RESET) and is rebuilt; `start hvc` boots a guest whose console is
virtio-console (hvc0) with the UART muted; `start blk` boots a guest that
mounts a read-only virtio-blk disk and checks 2 MiB read through it;
`stop ticker1`, `list`.

--scenario smp (image from smp.yaml): `quad`, a 4-vCPU guest, brings its CPUs
up through PSCI CPU_ON, runs a busy worker pinned to each (each must make
progress), takes IPIs on every CPU, takes a CPU offline and back; `solo` and
`quad` report boot-to-userspace times; `quad` powers off and is started again;
`crash`, a 2-vCPU guest, stops alone on an unbacked access; `octo` runs with
8 vCPUs; `duo` (2 vCPUs) keeps printing throughout.

--scenario sched (image from sched.yaml, MCS kernel): `light` and `heavy`
spin with budgets of 30 ms and 70 ms every 100 ms on one core and must progress
in that ratio (+-20%); a budget that would overfill the core is refused; the
budgets changed at run time to 5/5 give equal progress; `urgent`, at a higher
priority, takes the core from both while it runs, and gives it back when its
priority is lowered at run time.
--scenario hybrid (image from hybrid-2core.yaml, MCS kernel with two cores,
--smp 2): figure 4 on two cores. `rt` (dedicated core 1, priority 250, fifo,
its VMM thread on core 0 by vmm_threads) ticks; `web` (weight 200) and
`batch` (weight 100) share the pool's core 0 and must progress 2:1 (+-20%),
by the budgets the generator derived from their weights; the kernel's thread
table shows rt's guest thread on core 1 and its VMM thread on core 0; a move
onto rt's core is refused; priorities up to 253 are taken at run time and 254
is refused.

--scenario vmm-threads (image from vmm-threads.yaml, two cores): boots `near`
(VMM thread on its vCPU's core) and `far` (VMM thread on the other core,
vmm_threads) one at a time, twice each, and prints their boot-to-userspace
times: what crossing cores on every exit costs.

--scenario direct (image from the unchanged docs/examples/direct-mapping.yaml,
--path-root giving its /opt/guest, a kernel with four cores, --smp 4): starts
control, sensor and logger, each on a dedicated core with its VMM thread on
core 0, and checks where seL4 runs them.

--scenario net (image from net.yaml, a kit from tools/sel4/build-demo-kit.sh):
`server` and `client` on network lan, `outsider` and `peer` on network other,
each with a virtio-net on the switch PD; the client pings the server and
fetches 16 MiB over TCP (checksums must match, the rate is printed); the
server's NIC interrupts all reach its vCPU 1 (irq_vcpu); the outsider cannot
reach the server but reaches its own network's peer;
`stop outsider` detaches its port while the client's pings go on; `restart
client` detaches and re-attaches its port and the client fetches again.
--scenario shared (image from shared.yaml, a kit from tools/sel4/build-demo-kit.sh):
the admin maps region chan into writer, reader and viewer (read-only) and
region private into writer and reader only; writer's 1 MiB reaches reader
and reader's 1 MiB reaches writer, each announced by a doorbell (one badged
send between the VMMs), checksums matching; viewer lists only
chan, reads writer's note, and its write is refused (the note unchanged,
its VMM says so, the VM goes on); reader's RAM is the two regions of its
memory_map, as its kernel's /proc/iomem shows; `restart reader` keeps the region's
contents (the admin's frames outlive the VM).
--scenario colour (image from coloured.yaml, a kit from tools/sel4/build-demo-kit.sh;
the board's disk a fresh zeroed image, as for blk):
red, green and blue have cache colours 0-3, 4-7 and 8-11 of 16; the admin
reads back the physical address of every frame it made for each (guest RAM,
the VMM's own, and the channels of red's NIC and disk and green's NIC) and
each must be of the VM's colours, as many as its RAM, VMM and channels need;
all three boot to "stdvmm-guest: ready"; red pings green and fetches 4 MiB
from it over TCP through the switch (checksums match, as --scenario net),
and its region of the board's disk starts zeroed and reads back a pattern
written at both ends (as --scenario blk's beta); `restart green` makes its
frames again and they read back in its colours too, while red and blue go
on and red's pings reach green again.
--scenario colour-shared (image from coloured-shared.yaml, a kit from
tools/sel4/build-demo-kit.sh): region chan is 4 KiB frames of colours 12-13,
shared by writer (colours 0-5), reader (6-11) and viewer (uncoloured,
read-only); the admin reads back every frame of chan (1024, half in each
colour) and each member's mapped copies again, and writer's and reader's
own frames in their colours; writer and reader exchange 1 MiB each way with
doorbells (as --scenario shared), viewer reads writer's note and its write
is refused; outsider, uncoloured and no member, lists no region; `restart
reader` maps copies of the same frames again (read back in 12-13) and
reader reads writer's 1 MiB again.
--scenario iommu (image from iommu.yaml, a kit from tools/sel4/build-demo-kit.sh;
the board's disk a fresh zeroed image): red's VMM has a virtio-iommu in front
of red's disk (a region of the board's disk) and NIC; red's guest must have
its driver bound, /sys/class/iommu and both devices in IOMMU groups, its disk
(as --scenario blk's beta) and its network (fetching 4 MiB from green, as
--scenario net) must work through its mappings; then stdvmm-hostile drives
red's NIC with rings and buffers its domain does not map: red's VMM must log
the refusals, red's driver must see fault events, and red's disk goes on.
Prints a timestamped transcript and "N passed, N failed".
"""
import argparse
import hashlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time


class Machine:
    def __init__(self, image, log, smp=1, accel=None, extra=()):
        self.t0 = time.monotonic()
        self.lines = queue.Queue()
        self.log = open(log, "w", encoding="utf-8") if log else None
        self.p = subprocess.Popen(
            ["qemu-system-aarch64", "-machine", "virt,virtualization=on", "-cpu", "cortex-a53",
             "-m", "2G", "-smp", str(smp), "-nographic", "-kernel", image] +
            (["-accel", accel] if accel else []) + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._reader, daemon=True).start()
        self.seen = []

    def _reader(self):
        buf = b""
        while True:
            b = self.p.stdout.read1(4096)
            if not b:
                self.lines.put(None)
                return
            buf += b
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.put(line.decode("utf-8", "replace").rstrip("\r"))

    def now(self):
        return time.monotonic() - self.t0

    def _take(self, timeout):
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise EOFError("QEMU exited")
        stamped = f"[{self.now():7.2f}] {line}"
        print(stamped, flush=True)
        if self.log:
            self.log.write(stamped + "\n")
        self.seen.append((self.now(), line))
        return line

    def wait(self, pattern, timeout, seen=False):
        """Lines until one matches; returns the match and the lines read meanwhile.
        seen: a line already read (by an earlier step) counts too."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        read = []
        if seen:
            for _, line in self.seen:
                m = rx.search(line)
                if m:
                    return m, [line]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line matching {pattern!r} within {timeout} s")
            try:
                line = self._take(left)
            except queue.Empty:
                continue
            read.append(line)
            m = rx.search(line)
            if m:
                return m, read

    def wait_counting(self, done, tick, timeout):
        """Lines until one matches done; how many lines matched tick meanwhile
        (another VM's progress while this one is busy)."""
        rx = re.compile(tick)
        ticks = 0
        while True:
            _, read = self.wait(f"{done}|{tick}", timeout)
            if not rx.search(read[-1]):
                return ticks
            ticks += 1

    def send(self, command):
        print(f"[{self.now():7.2f}] >>> {command}", flush=True)
        if self.log:
            self.log.write(f"[{self.now():7.2f}] >>> {command}\n")
        self.p.stdin.write(command.encode() + b"\r")
        self.p.stdin.flush()

    def close(self):
        self.p.kill()
        self.p.wait()


def util_report(m, vm, seconds=4):
    """While vm's workers run: the kernel's cycle counts per thread (admin `util`).
    Returns {vcpu: (core, guest %, vmm %)} and the lines read meanwhile."""
    m.send("util start")
    _, read = m.wait(r"^admin: util: measuring", 30)
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        try:
            read += m.wait(r"^$^", t_end - time.monotonic())[1]
        except TimeoutError:
            break
    m.send("util")
    _, more = m.wait(r"^admin: util: end of report", 60)
    read += more
    shares = {}
    for l in more:
        mt = re.match(rf"^admin: util {vm} vcpu (\d+) core (\d+): guest ([\d.]+)% "
                      r"vmm ([\d.]+)%", l)
        if mt:
            shares[int(mt.group(1))] = (int(mt.group(2)), float(mt.group(3)),
                                        float(mt.group(4)))
    return shares, read


def smp_report(m, vm, cpus, timeout, cores=None):
    """Waits for vm's smp test and checks what its kernel saw with `cpus` vCPUs.
    cores: the core each vCPU must have worked on, from seL4's own accounting."""
    _, read = m.wait(rf"^\[{vm}\] smp test: online=", timeout)
    if cores is not None:
        shares, more = util_report(m, vm)
        read += more
        print(f"--- {vm}, seL4's view while the workers ran: " + ", ".join(
            f"vCPU {c} on core {k}: guest {g}% VMM {v}%"
            for c, (k, g, v) in sorted(shares.items())), flush=True)
        assert sorted(shares) == list(range(cpus)), f"util reported vCPUs {sorted(shares)}"
        for c, (k, g, _) in shares.items():
            assert k == cores[c], f"vCPU {c} is on core {k}, not {cores[c]}"
            assert g >= 5.0, f"vCPU {c} got {g}% of core {k}: it did not run there"
    _, more = m.wait(rf"^\[{vm}\] smp test: done", timeout)
    read += more
    lines = [l[len(f"[{vm}] smp test: "):] for l in read if l.startswith(f"[{vm}] smp test: ")]
    print(f"--- {vm}: " + " | ".join(lines), flush=True)
    top = f"0-{cpus - 1}" if cpus > 1 else "0"
    assert f"online={top} nproc={cpus}" in lines, f"the guest did not bring up {cpus} CPUs"
    loops = {}
    for l in lines:
        mt = re.match(r"cpu(\d+) loops=(\d+) busy_jiffies=(-?\d+)", l)
        if mt:
            loops[int(mt.group(1))] = (int(mt.group(2)), int(mt.group(3)))
    assert sorted(loops) == list(range(cpus)), f"workers reported for CPUs {sorted(loops)}"
    idle = [c for c, (n, j) in loops.items() if n == 0 or j <= 0]
    assert not idle, f"CPUs {idle} did no work"
    ipis = next((l for l in lines if l.startswith("resched_ipis=")), "resched_ipis=")
    counts = [int(x) for x in ipis.split("=", 1)[1].split(",") if x]
    assert len(counts) == cpus and all(c > 0 for c in counts), \
        f"not every CPU took a rescheduling IPI: {ipis}"
    disk = next((l for l in lines if l.startswith("disk_irqs=")), None)
    if disk is not None:
        counts = [int(x) for x in disk.split("=", 1)[1].split(",") if x]
        owner = cpus - 1
        print(f"--- {vm}: its disk's interrupts per CPU: {counts} (owner: vCPU {owner})",
              flush=True)
        assert len(counts) == cpus and counts[owner] > 0 and \
            all(c == 0 for i, c in enumerate(counts) if i != owner), \
            f"the disk's interrupts did not all go to vCPU {owner}: {disk}"
    if cpus > 1:
        below = f"0-{cpus - 2}" if cpus > 2 else "0"
        assert f"after offline online={below}" in lines, "CPU_OFF: the last CPU stayed online"
        assert f"after online online={top}" in lines, "CPU_ON after CPU_OFF failed"
        assert f"ran on cpu{cpus - 1} after hotplug" in lines, "the re-onlined CPU runs nothing"
    return loops


def userspace_ms(m, vm):
    """The VMM's boot-to-userspace figure for vm's last boot (printed when it stops)."""
    for _, l in reversed(m.seen):
        mt = re.match(rf"^\[{vm}\] stdvmm: info: run_vcpu:\d+: guest reached userspace "
                      r"(\d+) ms", l)
        if mt:
            return int(mt.group(1))
    return None


def spin_totals(m, vms):
    """The last progress count each VM's spin loop reported (0 if none yet)."""
    last = {vm: 0 for vm in vms}
    for _, line in m.seen:
        mt = re.match(r"^\[(\w+)\] spin: (\d+)$", line)
        if mt and mt.group(1) in last:
            last[mt.group(1)] = int(mt.group(2))
    return last


def progress(m, vms, seconds):
    """How far each VM's spin loop got during the next `seconds` of real time."""
    before = spin_totals(m, vms)
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        try:
            m.wait(r"^$^", t_end - time.monotonic())
        except TimeoutError:
            break
    after = spin_totals(m, vms)
    got = {vm: after[vm] - before[vm] for vm in vms}
    print(f"--- progress in {seconds} s: " + ", ".join(f"{vm} {n}" for vm, n in got.items()),
          flush=True)
    return got


def sched_scenario(m, check):
    window = 30

    def boot():
        m.wait(r"^\[light\] spin: ", 300)
        m.wait(r"^\[heavy\] spin: ", 300, seen=True)

    def ratio(light_share, heavy_share):
        got = progress(m, ("light", "heavy"), window)
        assert got["light"] > 0 and got["heavy"] > 0, "a VM made no progress"
        want = light_share / heavy_share
        r = got["light"] / got["heavy"]
        print(f"--- light/heavy = {r:.3f}, budgets say {want:.3f}", flush=True)
        assert abs(r - want) <= 0.2 * want, f"progress ratio {r:.3f}, want {want:.3f} +-20%"

    def budgets_30_70():
        ratio(3, 7)
        shares, _ = util_report(m, "heavy", 5)
        light, _ = util_report(m, "light", 5)
        print(f"--- seL4's view: light guest {light[0][1]}%, heavy guest {shares[0][1]}%",
              flush=True)

    def overfull_refused():
        m.send("vcpu light 0 budget=50ms/100ms")
        m.wait(r"^admin: light vCPU 0: core 0 has 70% in budgets already; 50000/100000 us does "
               r"not fit", 30)

    def budgets_changed():
        m.send("vcpu heavy 0 budget=50ms/100ms")
        m.wait(r"^admin: heavy vCPU 0: core 0 -> 0, priority 100 -> 100, budget 50000/100000 us",
               30)
        m.send("vcpu light 0 budget=50ms/100ms")
        m.wait(r"^admin: light vCPU 0: core 0 -> 0, priority 100 -> 100, budget 50000/100000 us",
               30)
        ratio(5, 5)

    def priority():
        m.send("start urgent")
        m.wait(r"^\[urgent\] spin: ", 300)
        got = progress(m, ("light", "heavy", "urgent"), 15)
        assert got["urgent"] > 0, "urgent made no progress"
        assert got["light"] + got["heavy"] <= 0.05 * got["urgent"], \
            "the lower-priority VMs kept running beside urgent"
        m.send("vcpu urgent 0 prio=50")
        m.wait(r"^admin: urgent vCPU 0: core 0 -> 0, priority 150 -> 50", 30)
        got = progress(m, ("light", "heavy", "urgent"), 15)
        assert got["light"] > 0 and got["heavy"] > 0, "light and heavy did not get the core back"
        assert got["urgent"] <= 0.05 * (got["light"] + got["heavy"]), \
            "urgent kept the core at priority 50"
        m.send("stop urgent")
        m.wait(r"^admin: urgent stopped", 30)

    check("sched: two budgeted guests boot on an MCS kernel", boot)
    check("sched: budgets of 30% and 70% of a core give progress in that ratio", budgets_30_70)
    check("sched: a budget that overfills the core is refused", overfull_refused)
    check("sched: budgets changed at run time to 50/50 give equal progress", budgets_changed)
    check("sched: a higher-priority VM preempts, and yields once lowered at run time", priority)


def sched_table(m):
    """The kernel's thread table (admin `sched`, seL4_DebugDumpScheduler):
    {thread name: (priority, core)}. The dump has no end line: a `list`
    sent after it marks the end."""
    m.send("sched")
    m.wait(r"Dumping all tcbs!", 30)
    m.send("list")
    _, read = m.wait(r"^admin: \S+\s+(running|stopped|unavailable)", 30)
    table = {}
    for l in read:
        mt = re.match(r"^(\S+)\s{3,}\S.*?\s{3,}(?:0x[0-9a-f]+|\(nil\))\s+(\d+)\s+(\d+)", l)
        if mt:
            table[mt.group(1)] = (int(mt.group(2)), int(mt.group(3)))
    return table, read


def hybrid_scenario(m, check):
    def boot():
        m.wait(r"^\[rt\] tick", 600)
        m.wait(r"^\[web\] spin: ", 600, seen=True)
        m.wait(r"^\[batch\] spin: ", 600, seen=True)

    def placed():
        m.send("list")
        m.wait(r"^admin: rt\s+running.*cores 1  prio 250  dedicated  vmm 0$", 10)
        m.wait(r"^admin: web\s+running.*cores 0  prio 100$", 10)
        table, _ = sched_table(m)
        print(f"--- seL4's thread table (priority, core): {table}", flush=True)
        assert table.get("rt-guest0") == (250, 1), f"rt's guest thread: {table.get('rt-guest0')}"
        assert table.get("rt-vmm0") == (251, 0), f"rt's VMM thread: {table.get('rt-vmm0')}"

    def weights():
        got = progress(m, ("web", "batch"), 30)
        assert got["web"] > 0 and got["batch"] > 0, "a VM made no progress"
        r = got["web"] / got["batch"]
        print(f"--- web/batch = {r:.3f}, weights 200/100 say 2.000", flush=True)
        assert abs(r - 2.0) <= 0.4, f"progress ratio {r:.3f}, want 2.0 +-20%"
        web, _ = util_report(m, "web", 5)
        batch, _ = util_report(m, "batch", 5)
        print(f"--- seL4's view of core 0: web guest {web[0][1]}%, batch guest {batch[0][1]}%",
              flush=True)
        assert web[0][0] == 0 and batch[0][0] == 0, "web or batch is not accounted on core 0"
        m.wait(r"^\[rt\] tick", 10)

    def dedicated():
        m.send("vcpu web 0 core=1")
        m.wait(r"^admin: web vCPU 0: core 1 is dedicated to rt; refused", 30)

    def priorities():
        m.send("vcpu rt 0 prio=253")
        m.wait(r"^admin: rt vCPU 0: core 1 -> 1, priority 250 -> 253", 30)
        m.send("vcpu rt 0 prio=254")
        m.wait(r"^admin: rt vCPU 0: priority 254; VMs run at 0-253 \(the admin at 255\)", 30)
        m.wait(r"^\[rt\] tick", 10)

    check("hybrid: rt, web and batch boot on two cores", boot)
    check("hybrid: rt on its dedicated core, its VMM thread on core 0 (vmm_threads)", placed)
    check("hybrid: weights 200/100 on the pool's core give progress 2:1", weights)
    check("hybrid: a move onto rt's dedicated core is refused", dedicated)
    check("hybrid: seL4 priorities up to 253 at run time, 254 refused", priorities)


def vmm_threads_scenario(m, check):
    times = {"near": [], "far": []}

    def one(vm):
        m.send(f"start {vm}")
        m.wait(rf"^admin: {vm} stopped \(guest powered off\)", 600)
        ms = userspace_ms(m, vm)
        assert ms, f"{vm}'s VMM did not report its boot time"
        times[vm].append(ms)

    def boots():
        m.wait(r"^admin: commands on this console", 60, seen=True)
        for _ in range(2):
            one("near")
            one("far")
        print("--- boot to userspace: near (VMM thread on the vCPU's core) "
              f"{times['near']} ms, far (VMM thread on the other core) {times['far']} ms",
              flush=True)

    check("vmm-threads: near and far boot and power off, twice each", boots)


def start_all(m, vms, started_s, ready_s):
    """Starts vms (none autostarts) from the console and waits until each is ready."""
    # Console input before the admin is up is lost (and can leave it deaf).
    m.wait(r"^admin: commands on this console", 300, seen=True)
    for vm in vms:
        m.send(f"start {vm}")
        m.wait(rf"^admin: {vm} started", started_s)
    ready = set()
    while ready != set(vms):
        mt, _ = m.wait(r"^\[(\w+)\] stdvmm-guest: ready", ready_s)
        ready.add(mt.group(1))


def direct_scenario(m, check):
    vms = {"control": 1, "sensor": 2, "logger": 3}

    def boot():
        start_all(m, vms, 120, 600)

    def placed():
        table, _ = sched_table(m)
        print(f"--- seL4's thread table (priority, core): {table}", flush=True)
        for vm, core in vms.items():
            assert table.get(f"{vm}-guest0", (0, None))[1] == core, \
                f"{vm}'s vCPU is not on core {core}"
            assert table.get(f"{vm}-vmm0", (0, None))[1] == 0, \
                f"{vm}'s VMM thread is not on core 0"

    check("direct: control, sensor and logger boot on cores 1-3", boot)
    check("direct: each vCPU on its core, the VMM threads on core 0", placed)


def paper_hybrid_scenario(m, check):
    """Image from the unchanged docs/examples/hybrid.yaml (six cores, MCS; its
    writable db.img packed into the board's disk: run with --disk)."""
    # vCPU -> core, from the description: rt on 1, db on 2 and 3, web and batch on the pool 4-5.
    cores = {"rt": [1], "db": [2, 3], "web": [4, 5], "batch": [4, 5]}
    prio = {"rt": 250, "db": 100, "web": 100, "batch": 100}

    def boot():
        start_all(m, cores, 180, 900)
        m.wait(r"^blkserver: .*client 1 \(db\) attached: 32 MiB at 0 MiB of disk0$", 10,
               seen=True)

    def placed():
        table, _ = sched_table(m)
        print(f"--- seL4's thread table (priority, core): {table}", flush=True)
        for vm, cs in cores.items():
            for i, core in enumerate(cs):
                assert table.get(f"{vm}-guest{i}") == (prio[vm], core), \
                    f"{vm} vCPU {i}: {table.get(f'{vm}-guest{i}')}, want ({prio[vm]}, {core})"
        for vm in ("rt", "db"):  # vmm_threads: {pcpus: [0]}
            assert all(table.get(f"{vm}-vmm{i}", (0, None))[1] == 0
                       for i in range(len(cores[vm]))), f"{vm}'s VMM threads are not on core 0"

    def dedicated():
        m.send("vcpu web 0 core=2")
        m.wait(r"^admin: .*core 2 is dedicated to db", 30)

    check("hybrid (paper, unchanged): rt, db, web and batch boot on six cores", boot)
    check("hybrid (paper): every vCPU on its core at its priority, VMM threads as placed",
          placed)
    check("hybrid (paper): a move onto db's dedicated core is refused", dedicated)


def smp_scenario(m, check, ncores):
    # Where smp.yaml (one core) and smp-placed.yaml (two) put quad's vCPUs.
    placed = {"quad": [0, 0, 0, 0] if ncores == 1 else [0, 1, 0, 1] if ncores == 2 else
              [0, 1, 2, 3]}
    def smp_boot():
        smp_report(m, "quad", 4, 900, cores=placed["quad"])
        m.wait(r"^\[duo\] stdvmm-guest: ready", 600, seen=True)

    def poweroff_and_times():
        m.wait(r"^admin: quad stopped \(guest powered off\)", 120, seen=True)
        m.wait(r"^admin: solo stopped \(guest powered off\)", 300, seen=True)
        solo, quad = userspace_ms(m, "solo"), userspace_ms(m, "quad")
        print(f"--- boot to userspace: solo (1 vCPU) {solo} ms, quad (4 vCPUs) {quad} ms "
              "(with the other guests booting beside them)", flush=True)
        assert solo and quad, "a VMM did not report its boot time"
        assert not any(re.match(r"^admin: duo stopped", l) for _, l in m.seen), "duo stopped"
        m.wait(r"^\[duo\] tick", 20)

    def restart():
        m.send("start quad")
        m.wait(r"^admin: quad started \(boot 2\)", 60)
        ticks = m.wait_counting(r"^\[quad\] smp test: done", r"^\[duo\] tick", 600)
        assert ticks > 0, "duo stalled while quad was rebuilt"
        m.wait(r"^admin: quad stopped \(guest powered off\)", 120)
        print(f"--- boot to userspace, quad alone beside duo: {userspace_ms(m, 'quad')} ms",
              flush=True)

    def move():
        """Run time: duo's vCPU 1 moves between cores 1 and 0 nine times, the
        guest ticking after each move (its VCPU state goes with it: without
        the admin's hand-over a move could corrupt it, docs/sel4.md), and
        ends on core 0, where the kernel's accounting shows it running; a
        core the kernel lacks is refused."""
        for k in range(9):
            src, dst = (1, 0) if k % 2 == 0 else (0, 1)
            m.send(f"vcpu duo 1 core={dst}")
            m.wait(rf"^admin: duo vCPU 1: core {src} -> {dst}, priority 100 -> 100", 30)
            m.wait(r"^\[duo\] tick", 20)
        bad = [l for _, l in m.seen if re.match(r"^\[duo\].*(Kernel panic|Internal error|Oops)", l)
               or re.match(r"^admin: duo stopped", l)]
        assert not bad, f"duo after the moves: {bad[:3]}"
        shares, _ = util_report(m, "duo", 5)
        print(f"--- duo after the move: {shares}", flush=True)
        assert shares.get(1, (None,))[0] == 0, "duo's vCPU 1 is not accounted on core 0"
        assert shares[1][1] > 0, "duo's vCPU 1 did not run on core 0"
        m.wait(r"^\[duo\] tick", 20)
        m.send(f"vcpu duo 1 core={ncores}")
        m.wait(rf"^admin: duo vCPU 1: no core {ncores}; this kernel runs {ncores} core", 30)

    def crash():
        m.send("start crash")
        _, read = m.wait(r"^admin: crash stopped", 600)
        assert any("cannot be emulated" in l for l in read), "no message saying why crash stopped"
        m.wait(r"^\[duo\] tick", 20)

    def octo():
        m.send("start octo")
        smp_report(m, "octo", 8, 900)
        m.wait(r"^admin: octo stopped \(guest powered off\)", 120)
        print(f"--- boot to userspace, octo (8 vCPUs): {userspace_ms(m, 'octo')} ms", flush=True)

    def stop_and_list():
        m.send("stop duo")
        m.wait(r"^admin: duo stopped \(stopped from the console\)", 30)
        m.send("list")
        m.wait(r"^admin: octo\s+stopped\s+256 MiB\s+8 vCPU", 10)

    check("smp: a 4-vCPU guest brings up 4 CPUs, each works, IPIs, hotplug", smp_boot)
    check("smp: power-off stops only that VM; boot times", poweroff_and_times)
    check("smp: the 4-vCPU VM starts again while a 2-vCPU VM keeps running", restart)
    if ncores > 1:
        check("smp: a vCPU moved to another core at run time runs there", move)
    check("smp: a 2-vCPU guest's bad access stops it alone", crash)
    check("smp: an 8-vCPU guest (the port's bound)", octo)
    check("smp: stop and list", stop_and_list)


def net_scenario(m, check):
    """Image from net.yaml: server and client on network lan, outsider and peer on
    other, each with a virtio-net whose frames go through the switch PD."""
    vms = ("server", "client", "outsider", "peer")
    result = {}

    def boot():
        ready = set()
        while ready != set(vms):
            mt, _ = m.wait(r"^\[(\w+)\] stdvmm-guest: ready", 240)
            ready.add(mt.group(1))
        for vm in vms:
            m.wait(rf"^switch: .*port \d \({vm}\) attached", 5, seen=True)

    def ping():
        m.wait(r"^\[client\] stdvmm-test: ping 10\.0\.0\.1 ok", 120, seen=True)
        mt, _ = m.wait(r"^\[client\] stdvmm-test: (\d+) packets transmitted, (\d+) packets received",
                       60, seen=True)
        assert mt.group(1) == mt.group(2), f"pings lost: {mt.group(0)}"

    def tcp():
        mt, _ = m.wait(r"^\[server\] stdvmm-test: server sha256=(\w+)", 60, seen=True)
        want = mt.group(1)
        mt, _ = m.wait(r"^\[client\] stdvmm-test: client sha256=(\w+) bytes=(\d+)", 300,
                       seen=True)
        assert mt.group(2) == str(16 << 20), f"the client got {mt.group(2)} bytes, not 16 MiB"
        assert mt.group(1) == want, f"checksums differ: client {mt.group(1)}, server {want}"
        mt, _ = m.wait(r"^\[client\] stdvmm-test: tcp \d+ bytes in ([\d.]+) s: ([\d.]+) MB/s", 10,
                       seen=True)
        result["mbs"] = mt.group(2)
        print(f"--- TCP (HTTP) client <- server through the switch PD: {mt.group(2)} MB/s "
              f"({mt.group(1)} s for 16 MiB)", flush=True)
        rt, _ = m.wait(r"^\[server\] stdvmm-test: server retransmitted (\d+) segments", 30)
        print(f"--- the server retransmitted {rt.group(1)} TCP segments so far", flush=True)
        # the server's NIC interrupt belongs to vCPU 1 (irq_vcpu in net.yaml)
        irqs, _ = m.wait(r"^\[server\] stdvmm-test: server irqs=([\d,]+)$", 30)
        counts = [int(x) for x in irqs.group(1).split(",")]
        print(f"--- server: its NIC's interrupts per CPU: {counts} (owner: vCPU 1)", flush=True)
        assert len(counts) == 2 and counts[0] == 0 and counts[1] > 0, \
            f"the NIC's interrupts did not all go to vCPU 1: {counts}"

    def isolation():
        _, read = m.wait(r"^\[outsider\] stdvmm-test: probe (cannot reach|reached)", 120,
                         seen=True)
        assert "cannot reach" in read[-1], "the outsider reached a VM of lan"
        _, read = m.wait(r"^\[outsider\] stdvmm-test: probe (cannot reach|reached) its own peer",
                         120, seen=True)
        assert "cannot" not in read[-1], \
            "the outsider cannot reach its own network's peer"
        m.wait(r"^\[outsider\] stdvmm-test: tick \d+ no reply from 10\.0\.0\.1", 30, seen=True)
        assert not any(re.match(r"^\[outsider\] stdvmm-test: tick \d+ reply", l)
                       for _, l in m.seen), "the outsider got a reply"

    def stop_one():
        m.send("stop outsider")
        m.wait(r"^switch: .*port 2 \(outsider\) detached: its VM stopped", 30)
        # the client's pings to the server go on after the outsider left the switch
        for _ in range(3):
            mt, _ = m.wait(r"^\[client\] stdvmm-test: tick \d+ (no )?reply", 30)
            assert "no reply" not in mt.group(0), "client lost a ping after the outsider stopped"

    def restart_client():
        m.send("restart client")
        m.wait(r"^switch: .*port 1 \(client\) detached: its VM stopped", 30)
        m.wait(r"^switch: .*port 1 \(client\) attached", 60)
        m.wait(r"^\[client\] stdvmm-test: ping 10\.0\.0\.1 ok", 240)
        want = next(re.match(r"^\[server\] stdvmm-test: server sha256=(\w+)", l).group(1)
                    for _, l in m.seen if l.startswith("[server] stdvmm-test: server sha256="))
        mt, _ = m.wait(r"^\[client\] stdvmm-test: client sha256=(\w+) bytes=(\d+)", 300)
        assert mt.group(1) == want and mt.group(2) == str(16 << 20), \
            f"after the restart: {mt.group(0)}"

    check("net boot: four guests with virtio-net on the switch PD", boot)
    check("net ping: client <-> server through the switch PD", ping)
    check("net tcp: 16 MiB over TCP, checksums match", tcp)
    check("net isolation: a VM not on lan cannot reach it, but reaches its own network's peer",
          isolation)
    check("net stop: stopping the outsider detaches its port, lan traffic goes on", stop_one)
    check("net restart: the client's port detaches and attaches again, traffic resumes",
          restart_client)


# blk.yaml's regions of the board's disk: (offset, size) in MiB.
BLK_REGIONS = {"alpha": (0, 64), "beta": (64, 64), "gamma": (128, 8)}
BLK_DISK_MIB = 160


def blk_disk_args(path):
    """QEMU's disk for --scenario blk: a fresh zeroed raw image."""
    with open(path, "wb") as f:
        f.truncate(BLK_DISK_MIB << 20)
    return board_disk_args(path)


def board_disk_args(path):
    """The raw image at path as the board's virtio-blk-device (virtio 1.x: the block
    server's driver does not speak legacy virtio-mmio)."""
    return ["-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={path},if=none,format=raw,id=disk0,cache=writeback",
            "-device", "virtio-blk-device,drive=disk0"]


def region_bytes(path, vm):
    off, size = BLK_REGIONS[vm]
    with open(path, "rb") as f:
        f.seek(off << 20)
        return f.read(size << 20)


def host_reads_file(image, who, sha):
    """The host's view of a disk image (bytes) a guest made ext4 on and wrote /data.bin
    to: e2fsck finds it clean, and debugfs reads the file the guest reported (16 MiB,
    the same SHA-256). Returns the file system's features."""
    with tempfile.TemporaryDirectory() as d:
        part = os.path.join(d, "part.img")
        with open(part, "wb") as f:
            f.write(image)
        fsck = subprocess.run(["e2fsck", "-fn", part], capture_output=True, text=True)
        assert fsck.returncode == 0, f"e2fsck of {who}: {fsck.stdout}{fsck.stderr}"
        head = subprocess.run(["dumpe2fs", "-h", part], capture_output=True, text=True).stdout
        got = subprocess.run(["debugfs", "-R", "cat /data.bin", part], capture_output=True)
    feats = next((l.split(":", 1)[1].split() for l in head.splitlines()
                  if l.startswith("Filesystem features:")), [])
    got_sha = hashlib.sha256(got.stdout).hexdigest()
    print(f"--- host: debugfs read /data.bin from {who}: {len(got.stdout)} bytes, "
          f"sha256 {got_sha}", flush=True)
    assert len(got.stdout) == 16 << 20 and got_sha == sha, \
        f"the host read another file than was written to {who}"
    return feats


def blk_scenario(m, check, disk):
    """Image from blk.yaml, QEMU with blk_disk_args(disk): alpha, beta and gamma
    each on their region of the board's disk through the block server PD."""
    vms = ("alpha", "beta", "gamma")
    result = {}

    def boot():
        m.wait(r"^blkserver: .*disk0 at 0x[0-9a-f]+: 160 MiB, flush", 120, seen=True)
        ready = set()
        while ready != set(vms):
            mt, _ = m.wait(r"^\[(\w+)\] stdvmm-guest: ready", 240)
            ready.add(mt.group(1))
        for i, vm in enumerate(vms):
            m.wait(rf"^blkserver: .*client {i} \({vm}\) attached", 5, seen=True)
            mt, _ = m.wait(rf"^\[{vm}\] stdvmm-test: {vm} serial=(\S+) ro=(\d) sectors=(\d+)",
                           30, seen=True)
            want_ro = "1" if vm == "gamma" else "0"
            assert mt.group(2) == want_ro, f"{vm}: ro={mt.group(2)}"
            assert int(mt.group(3)) == BLK_REGIONS[vm][1] << 11, f"{vm}: {mt.group(3)} sectors"

    def read_only():
        mt, _ = m.wait(r"^\[gamma\] stdvmm-test: gamma read sha256=(\w+)", 120, seen=True)
        zeros = hashlib.sha256(bytes(8 << 20)).hexdigest()
        assert mt.group(1) == zeros, "gamma's region did not read back as the zeros it holds"
        mt, _ = m.wait(r"^\[gamma\] stdvmm-test: gamma write=(\w+)", 60, seen=True)
        assert mt.group(1) == "refused", "a write to the read-only region was accepted"

    def beta_region():
        mt, _ = m.wait(r"^\[beta\] stdvmm-test: beta nonzero_bytes_at_start=(\d+)", 120,
                       seen=True)
        assert mt.group(1) == "0", f"beta's region starts with {mt.group(1)} non-zero bytes"
        mt, _ = m.wait(r"^\[beta\] stdvmm-test: beta pattern (ok|bad.*)", 120, seen=True)
        assert mt.group(1) == "ok", f"beta's pattern: {mt.group(1)}"
        mt, _ = m.wait(r"^\[beta\] stdvmm-test: beta past_end_bytes=(\d+)", 60, seen=True)
        assert mt.group(1) == "0", f"beta read {mt.group(1)} bytes past its region's end"

    def write_while_one_stops():
        m.wait(r"^\[alpha\] stdvmm-test: alpha writing", 180, seen=True)
        m.send("stop gamma")
        m.wait(r"^blkserver: .*client 2 \(gamma\) detached: its VM stopped", 30)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: alpha wrote sha256=(\w+) bytes=(\d+) "
                       r"write ([\d.]+) MB/s", 600, seen=True)
        result["sha"], result["bytes"], result["write"] = mt.group(1), mt.group(2), mt.group(3)
        assert mt.group(2) == str(16 << 20), f"alpha wrote {mt.group(2)} bytes, not 16 MiB"
        print(f"--- alpha wrote 16 MiB through ext4 on its region at {mt.group(3)} MB/s "
              "(including sync)", flush=True)
        m.wait(r"^admin: alpha stopped \(guest powered off\)", 120, seen=True)
        ticks = [l for _, l in m.seen if re.match(r"^\[beta\] stdvmm-test: beta tick \d+", l)]
        assert ticks and all(l.endswith(" ok") for l in ticks), f"beta's ticks: {ticks[-3:]}"
        m.wait(r"^\[beta\] stdvmm-test: beta tick \d+ ok", 60)

    def restart_reads_back():
        m.send("start alpha")
        m.wait(r"^blkserver: .*client 0 \(alpha\) detached: its VM stopped", 30, seen=True)
        m.wait(r"^blkserver: .*client 0 \(alpha\) attached", 120)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: alpha verify sha256=(\w+) bytes=(\d+) "
                       r"read ([\d.]+) MB/s", 600)
        assert (mt.group(1), mt.group(2)) == (result.get("sha"), result.get("bytes")), \
            f"alpha read back {mt.group(2)} bytes, {mt.group(1)}; wrote {result.get('sha')}"
        result["read"] = mt.group(3)
        print(f"--- alpha read 16 MiB back after its restart at {mt.group(3)} MB/s", flush=True)
        m.wait(r"^admin: alpha stopped \(guest powered off\)", 120)
        m.send("stop beta")
        m.wait(r"^blkserver: .*client 1 \(beta\) detached: its VM stopped", 30)

    def on_the_host():
        m.close()
        alpha = region_bytes(disk, "alpha")
        feats = host_reads_file(alpha, "alpha's region", result.get("sha"))
        print(f"--- host: alpha's file system has {' '.join(feats)}", flush=True)
        assert {"has_journal", "extent"} <= set(feats), "alpha's file system is not ext4"
        beta = region_bytes(disk, "beta")
        pat = (b"BETA-PATTERN\n" * (1 << 17))[:1 << 20]
        assert beta[:1 << 20] == pat and beta[-(1 << 20):] == pat, \
            "beta's pattern is not at its region's start and end on the host"
        assert b"BETA-PATTERN" not in alpha, "beta's pattern is in alpha's region"
        assert region_bytes(disk, "gamma") == bytes(8 << 20), "gamma's region was written"
        with open(disk, "rb") as f:
            f.seek(136 << 20)
            assert f.read() == bytes((BLK_DISK_MIB - 136) << 20), "bytes past every region changed"

    check("blk boot: three guests, each on its region of the board's disk", boot)
    check("blk read-only: gamma reads its region, a write is refused", read_only)
    check("blk regions: beta starts clean, writes its first and last MiB, not past its end",
          beta_region)
    check("blk write: alpha makes ext4 and writes 16 MiB while gamma is stopped",
          write_while_one_stops)
    check("blk restart: alpha started again reads the same checksum", restart_reads_back)
    check("blk host: the image holds alpha's ext4 and file, beta's pattern, nothing else",
          on_the_host)
    return result


PT_DISK_MIB = 128


def passthrough_disk_args(path):
    """QEMU's disk for --scenario passthrough: a fresh raw image, virtio 1.x, offering
    ACCESS_PLATFORM (iommu_platform=on) so that the guest's DMA API translates its
    addresses with the device tree's dma-ranges: guest RAM is elsewhere in host memory."""
    with open(path, "wb") as f:
        f.truncate(PT_DISK_MIB << 20)
    return ["-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={path},if=none,format=raw,id=disk0,cache=writeback",
            "-device", "virtio-blk-device,drive=disk0,iommu_platform=on"]


def passthrough_scenario(m, check, disk):
    """Image from driver.yaml, QEMU with passthrough_disk_args(disk): drv owns the
    board's disk and drives it with its own Linux drivers; ticker runs beside it."""
    result = {}

    def boot():
        m.wait(r"^admin: drv owns disk0 \(virtio-mmio at 0x[0-9a-f]+, IRQ \d+\): passthrough",
               60, seen=True)
        mt, _ = m.wait(r"^\[drv\] stdvmm-test: passthrough vda sectors=(\d+) device=(\S+) "
                       r"access_platform=(\d)", 300, seen=True)
        assert int(mt.group(1)) == PT_DISK_MIB << 11, f"drv's vda has {mt.group(1)} sectors"
        assert "c000e00.virtio_mmio" in mt.group(2), f"drv's vda is {mt.group(2)}"
        assert mt.group(3) == "1", "the guest did not negotiate ACCESS_PLATFORM"
        print(f"--- drv's vda: {mt.group(2)}, {PT_DISK_MIB} MiB", flush=True)

    def write():
        mt, _ = m.wait(r"^\[drv\] stdvmm-test: passthrough wrote sha256=(\w+) bytes=(\d+) "
                       r"write ([\d.]+) MB/s", 600, seen=True)
        result["sha"], result["write"] = mt.group(1), mt.group(3)
        assert mt.group(2) == str(16 << 20), f"drv wrote {mt.group(2)} bytes"
        irqs, _ = m.wait(r"^\[drv\] stdvmm-test: passthrough irqs=(\d+)", 60, seen=True)
        assert int(irqs.group(1)) > 0, "drv's disk raised no interrupt"
        print(f"--- drv wrote 16 MiB through ext4 on its own disk at {mt.group(3)} MB/s "
              f"(including sync), {irqs.group(1)} interrupts", flush=True)
        m.wait(r"^admin: drv stopped \(guest powered off\)", 120, seen=True)
        m.wait(r"^\[ticker\] tick", 30)

    def restart_reads_back():
        m.send("start drv")
        t0 = m.now()
        ticks = m.wait_counting(r"^\[drv\] stdvmm-guest: ready", r"^\[ticker\] tick", 300)
        assert ticks > 0, "ticker stalled while drv was rebuilt"
        mt, _ = m.wait(r"^\[drv\] stdvmm-test: passthrough verify sha256=(\w+) bytes=(\d+) "
                       r"read ([\d.]+) MB/s", 300)
        assert mt.group(1) == result.get("sha"), "drv read back another checksum"
        result["read"] = mt.group(3)
        print(f"--- drv started again ({m.now() - t0:.1f} s, ticker printed {ticks} ticks "
              f"meanwhile) and read 16 MiB back at {mt.group(3)} MB/s", flush=True)
        m.wait(r"^admin: drv stopped \(guest powered off\)", 120)

    def on_the_host():
        m.close()
        with open(disk, "rb") as f:
            host_reads_file(f.read(), "the board's disk", result.get("sha"))

    check("passthrough boot: drv finds the board's disk as its own vda", boot)
    check("passthrough write: drv makes ext4 and writes 16 MiB through its own driver", write)
    check("passthrough restart: drv started again reads the same checksum", restart_reads_back)
    check("passthrough host: the image holds drv's ext4 and file", on_the_host)
    return result


def driver_scenario(m, check, disk, qsd=False):
    """Image from driver-vm.yaml, QEMU with passthrough_disk_args(disk): drv owns the
    board's disk and serves alpha's and beta's regions of it from its Linux. qsd: the
    image is from driver-qsd.yaml, where drv's server hands every request to Debian's
    qemu-storage-daemon (vhost-user-blk) instead of doing the I/O itself."""
    result = {}

    def boot():
        m.wait(r"^admin: drv owns disk0 ", 60, seen=True)
        if qsd:
            m.wait(r"^\[drv\] stdvmm-test: qsd exports /dev/vda", 300, seen=True)
            m.wait(r"^\[drv\] stdvmm-blkserve: requests go to the vhost-user-blk backend", 60,
                   seen=True)
        m.wait(r"^admin: alpha's disk is served by the driver VM drv", 10, seen=True)
        m.wait(r"^\[drv\] stdvmm-blkserve: serving port 7001", 300, seen=True)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: alpha vda sectors=(\d+) serial=(\S*)", 300,
                       seen=True)
        assert mt.group(1) == str(64 << 11), f"alpha's vda has {mt.group(1)} sectors"
        assert mt.group(2) == "alpha-data", f"alpha's serial is {mt.group(2)!r}"

    def write():
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: alpha wrote sha256=(\w+) bytes=(\d+) "
                       r"write ([\d.]+) MB/s", 900, seen=True)
        result["sha"], result["write"] = mt.group(1), mt.group(3)
        assert mt.group(2) == str(16 << 20), f"alpha wrote {mt.group(2)} bytes"
        print(f"--- alpha wrote 16 MiB through ext4, served by the driver VM, at {mt.group(3)} "
              "MB/s (including sync)", flush=True)
        m.wait(r"^admin: alpha stopped \(guest powered off\)", 120, seen=True)

    def driver_restart():
        m.send("start beta")
        m.wait(r"^\[beta\] stdvmm-test: beta round 2 ok", 300)
        m.send("stop drv")
        t_stop = m.now()
        m.wait(r"^admin: drv stopped", 60)
        mt, _ = m.wait(r"^\[beta\] stdvmm-test: beta round (\d+) error", 120)
        t_err = m.now() - t_stop
        print(f"--- beta's I/O failed {t_err:.1f} s after 'stop drv' (round {mt.group(1)})",
              flush=True)
        assert not any(t >= t_stop and re.match(r"^admin: (alpha|beta) stopped", l)
                       for t, l in m.seen), "a user VM stopped with its driver VM"
        m.send("start drv")
        t_start = m.now()
        m.wait(r"^\[drv\] stdvmm-blkserve: serving port 7002", 300)
        mt, _ = m.wait(r"^\[beta\] stdvmm-test: beta round (\d+) ok", 300)
        print(f"--- beta's I/O works again {m.now() - t_start:.1f} s after 'start drv' "
              f"(round {mt.group(1)})", flush=True)
        m.wait(r"^\[beta\] stdvmm-test: beta round \d+ ok", 60)
        m.send("stop beta")
        m.wait(r"^admin: beta stopped", 60)

    def restart_reads_back():
        m.send("start alpha")
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: alpha verify sha256=(\w+) bytes=(\d+) "
                       r"read ([\d.]+) MB/s", 600)
        assert mt.group(1) == result.get("sha"), "alpha read back another checksum"
        result["read"] = mt.group(3)
        print(f"--- alpha read 16 MiB back through the restarted driver VM at {mt.group(3)} MB/s",
              flush=True)
        m.wait(r"^admin: alpha stopped \(guest powered off\)", 120)

    def on_the_host():
        m.close()
        with open(disk, "rb") as f:
            host_reads_file(f.read(64 << 20), "alpha's region", result.get("sha"))
        with open(disk, "rb") as f:
            f.seek(80 << 20)
            assert f.read() == bytes((PT_DISK_MIB - 80) << 20), "bytes past the regions changed"

    check("driver boot: drv serves alpha's region of its disk from its Linux", boot)
    check("driver write: alpha makes ext4 and writes 16 MiB through the driver VM", write)
    check("driver restart: stopping drv fails beta's I/O, starting it again resumes it",
          driver_restart)
    check("driver read: alpha started again reads the same checksum", restart_reads_back)
    check("driver host: alpha's region holds its ext4 and file, nothing past the regions",
          on_the_host)
    return result


NET_HOST_PORT = 18080  # driver-net.yaml's stdvmm.url: 10.0.2.2 is QEMU's host side


def driver_net_args():
    """QEMU's NIC for --scenario driver-net: virtio 1.x on QEMU's user network, offering
    ACCESS_PLATFORM like the passthrough disk (passthrough_disk_args)."""
    return ["-global", "virtio-mmio.force-legacy=false", "-netdev", "user,id=net0",
            "-device", "virtio-net-device,netdev=net0,iommu_platform=on"]


def serve_http(data):
    """An HTTP server on the machine running QEMU (where 10.0.2.2 leads): /data and
    /data.small (its first 64 KiB)."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = {"/data": data, "/data.small": data[:65536]}.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", NET_HOST_PORT), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def shared_value(m, vm, key, timeout):
    """What a shared.sh guest printed after "stdvmm-test: KEY"."""
    mt, _ = m.wait(rf"^\[{vm}\] stdvmm-test: {key}(.*)$", timeout, seen=True)
    return mt.group(1).strip()


def shared_exchange(value):
    """shared.sh's writer and reader: 1 MiB each way through chan, doorbells both ways."""
    wrote, got = value("writer", "writer sha256=", 5), value("reader", "reader got sha256=", 5)
    print(f"--- writer -> reader: {wrote} / {got}", flush=True)
    assert wrote and wrote == got, "reader did not read writer's 1 MiB"
    wrote, got = value("reader", "reader sha256=", 5), value("writer", "writer got sha256=", 5)
    print(f"--- reader -> writer: {wrote} / {got}", flush=True)
    assert wrote and wrote == got, "writer did not read reader's 1 MiB"
    # each waited for the other's doorbell: a badged send between the two VMMs
    rang = (value("reader", "reader rang=", 5), value("writer", "writer rang=", 5))
    print(f"--- doorbells received: reader {rang[0]}, writer {rang[1]}", flush=True)
    assert rang == ("1", "1"), f"doorbells: reader {rang[0]}, writer {rang[1]}"


def shared_read_only(m, value):
    """shared.sh's viewer, a read-only member: reads writer's note; its write is refused."""
    assert value("viewer", "viewer note=", 5) == "hello from writer"
    poke = value("viewer", "viewer poke ", 5)
    assert poke == "before=104 after=104", f"viewer's write: {poke}"
    assert value("viewer", "viewer note_after=", 5) == "hello from writer"
    m.wait(r"^\[viewer\].*shared region 'chan': the guest wrote 1 bytes at offset 0x0 of "
           r"memory it may only read: refused", 5, seen=True)


def shared_restart(m, value):
    """`restart reader`: the region's contents outlive it (the admin's frames stay)."""
    m.send("restart reader")
    m.wait(r"^\[reader\] stdvmm-test: shared reader done", 600)
    # writer's marker and data are still there: the reader reads them again at once
    m.wait(r"^\[reader\] stdvmm-test: reader got sha256=(\w+)", 5, seen=True)
    first = value("writer", "writer sha256=", 5)
    last = [l for _, l in m.seen if l.startswith("[reader] stdvmm-test: reader got sha256=")]
    assert last[-1].endswith(first), f"after the restart reader read {last[-1]}"


def shared_scenario(m, check):
    """Image from shared.yaml: chan in writer, reader and viewer (ro); private in writer
    and reader. The guests poll the regions (no doorbells on seL4 yet)."""
    vms = ("writer", "reader", "viewer")

    def value(vm, key, timeout):
        return shared_value(m, vm, key, timeout)

    def boot():
        for vm in vms:
            m.wait(rf"^\[{vm}\] stdvmm-test: shared {vm} done", 600, seen=True)
        ram = {vm: value(vm, "ram=", 5) for vm in vms}
        print(f"--- System RAM: {ram}", flush=True)
        assert ram == {"writer": "40000000-47ffffff", "viewer": "40000000-47ffffff",
                       "reader": "40000000-45ffffff,200000000-201ffffff"}, ram
        regions = {vm: value(vm, "regions=", 5) for vm in vms}
        print(f"--- regions: {regions}", flush=True)
        assert regions == {"writer": "chan private", "reader": "chan private",
                           "viewer": "chan"}, regions
        # flags: bit 0 writable, bit 1 doorbells
        for vm, want in (("writer", "member=0 members=3 gpa=0x100000000 size=4194304 flags=3"),
                         ("reader", "member=1 members=3 gpa=0x140000000 size=4194304 flags=3"),
                         ("viewer", "member=2 members=3 gpa=0x100000000 size=4194304 flags=2")):
            got = value(vm, "chan ", 5)
            assert got.startswith(want), f"{vm}'s chan registers: {got}"

    def exchange():
        shared_exchange(value)

    def read_only():
        shared_read_only(m, value)
        m.wait(r"^admin: shared region chan: 4 MiB at 0x[0-9a-f]+ for 3 VMs", 5, seen=True)

    def restart():
        shared_restart(m, value)

    check("shared boot: each VM sees exactly its regions, at its own address; reader's RAM "
          "is its memory_map's two regions", boot)
    check("shared exchange: 1 MiB each way through chan, announced by doorbells, checksums "
          "match", exchange)
    check("shared read-only: viewer's write to chan is refused, the VM goes on", read_only)
    check("shared restart: the region's contents outlive a member's restart", restart)


def red_fetches_from_green(m, how):
    """net.sh's client (red, 10.0.0.2) and server (green, 10.0.0.1) of 4 MiB, as --scenario
    net checks them: no ping lost, checksums match; prints the rate."""
    m.wait(r"^\[red\] stdvmm-test: ping 10\.0\.0\.1 ok", 240, seen=True)
    mt, _ = m.wait(r"^\[red\] stdvmm-test: (\d+) packets transmitted, (\d+) packets received",
                   60, seen=True)
    assert mt.group(1) == mt.group(2), f"pings lost: {mt.group(0)}"
    mt, _ = m.wait(r"^\[green\] stdvmm-test: server sha256=(\w+)", 60, seen=True)
    sha = mt.group(1)
    mt, _ = m.wait(r"^\[red\] stdvmm-test: client sha256=(\w+) bytes=(\d+)", 300, seen=True)
    assert mt.group(2) == str(4 << 20), f"red got {mt.group(2)} bytes, not 4 MiB"
    assert mt.group(1) == sha, f"checksums differ: red {mt.group(1)}, green {sha}"
    mt, _ = m.wait(r"^\[red\] stdvmm-test: tcp \d+ bytes in ([\d.]+) s: ([\d.]+) MB/s", 10,
                   seen=True)
    print(f"--- TCP red <- green {how}: {mt.group(2)} MB/s ({mt.group(1)} s for 4 MiB)",
          flush=True)


def colour_shared_scenario(m, check):
    """Image from coloured-shared.yaml: chan, 4 KiB frames of colours 12-13, shared by writer
    (colours 0-5) and reader (6-11), and viewer (uncoloured, read-only); outsider is
    uncoloured and no member."""
    want = {"writer": "0-5", "reader": "6-11"}
    frames = (4 << 20) >> 12
    tally = (r"(\d+) frames, (\d+) outside colours ([\d,-]+) of (\d+), (\d+) unreadable; "
             r"per colour (.*): (\w+)$")

    def value(vm, key, timeout):
        return shared_value(m, vm, key, timeout)

    def in_region_colours(mt):
        line = mt.group(0)
        n, outside, colours, count, unreadable, per, verdict = mt.groups()
        print(f"--- {line}", flush=True)
        assert (n, outside, colours, count, unreadable, verdict) == \
            (str(frames), "0", "12-13", "16", "0", "ok"), line
        shares = dict(p.split(":") for p in per.split())
        # both colours, half of the frames each (one page of every colour period)
        assert shares == {"12": str(frames // 2), "13": str(frames // 2)}, per

    def colours():
        mt, _ = m.wait(r"^admin: shared region chan: colour read-back: " + tally, 600, seen=True)
        in_region_colours(mt)
        m.wait(r"^admin: shared region chan: 4 MiB in 1024 frames of 4 KiB for 3 VMs", 5,
               seen=True)
        for vm, access in (("writer", "writable"), ("reader", "writable"),
                           ("viewer", "read-only")):
            mt, _ = m.wait(rf"^admin: {vm}: shared region chan: {access} copies mapped: " +
                           tally, 600, seen=True)
            in_region_colours(mt)
            if vm == "viewer":
                continue
            # its own frames stay in its own colours
            mt, _ = m.wait(rf"^admin: {vm}: colour read-back: .*, 0 outside colours "
                           rf"([\d,-]+) of 16, 0 unreadable; per colour .*: ok$", 5, seen=True)
            assert mt.group(1) == want[vm], mt.group(0)

    def boot():
        vms = ("writer", "reader", "viewer", "outsider")
        for vm in vms:
            m.wait(rf"^\[{vm}\] stdvmm-test: shared {vm} done", 600, seen=True)
        regions = {vm: value(vm, "regions=", 5) for vm in vms}
        print(f"--- regions: {regions}", flush=True)
        assert regions == {"writer": "chan", "reader": "chan", "viewer": "chan",
                           "outsider": ""}, regions
        # the admin mapped nothing of chan into outsider either
        assert not any(l.startswith("admin: outsider: shared region") for _, l in m.seen)
        # flags: bit 0 writable, bit 1 doorbells
        for vm, want_regs in (("writer", "member=0 members=3 gpa=0x100000000 size=4194304 flags=3"),
                              ("reader", "member=1 members=3 gpa=0x140000000 size=4194304 "
                                         "flags=3"),
                              ("viewer", "member=2 members=3 gpa=0x100000000 size=4194304 "
                                         "flags=2")):
            got = value(vm, "chan ", 5)
            assert got.startswith(want_regs), f"{vm}'s chan registers: {got}"

    def read_only():
        shared_read_only(m, value)

    check("colour-shared frames: chan's 1024 frames read back in colours 12-13, and each "
          "member's mapped copies again (viewer's read-only); writer's and reader's own frames "
          "in their colours",
          colours)
    check("colour-shared boot: writer and reader see chan at their addresses, outsider has "
          "no shared-region device", boot)
    check("colour-shared exchange: 1 MiB each way through the coloured region, announced by "
          "doorbells, checksums match", lambda: shared_exchange(value))
    check("colour-shared read-only: viewer reads writer's note through its read-only copies; "
          "its write is refused", read_only)

    def restart():
        shared_restart(m, value)
        # its second start mapped copies of the same frames: read back in 12-13 again
        rx = re.compile(r"admin: reader: shared region chan: writable copies mapped: " + tally)
        hits = [rx.search(l) for _, l in m.seen if rx.search(l)]
        assert len(hits) == 2, f"reader's copies were mapped {len(hits)} times, want 2"
        in_region_colours(hits[-1])

    check("colour-shared restart: reader's second start maps the same frames, read back in "
          "colours 12-13, and reads writer's 1 MiB again", restart)


def colour_scenario(m, check):
    """Image from coloured.yaml, QEMU with blk_disk_args(): three VMs of disjoint cache
    colours; red and green have NICs on lan, red a region of the board's disk."""
    want = {"red": "0-3", "green": "4-7", "blue": "8-11"}
    ram = {"red": 96, "green": 96, "blue": 96}
    # Channel pages (net, disk) of each VM: net_abi.h's region, blk_abi.h's channel.
    channels = {"red": (72, 514), "green": (72, 0), "blue": None}
    rx = (r"^admin: (\w+): colour read-back: (\d+) frames \((\d+) guest RAM, (\d+) VMM\), "
          r"(\d+) outside colours ([\d,-]+) of (\d+), (\d+) unreadable; per colour (.*): (\w+)$")
    chan_rx = (r"^admin: (\w+): channel read-back: (\d+) frames \((\d+) net, (\d+) disk\), "
               r"(\d+) outside colours ([\d,-]+) of (\d+), (\d+) unreadable; per colour (.*): "
               r"(\w+)$")

    def in_colours(vm, per, frames):
        # each colour of the set holds a share, and only those colours
        shares = dict(p.split(":") for p in per.split())
        lo, hi = (int(x) for x in want[vm].split("-"))
        assert sorted(int(c) for c in shares) == list(range(lo, hi + 1)), per
        assert sum(int(n) for n in shares.values()) == frames, per

    def readback(vm, timeout, seen=True):
        mt, _ = m.wait(rx.replace(r"(\w+)", vm, 1), timeout, seen=seen)
        frames, ram_frames, vmm, outside, colours, count, unreadable, per, verdict = mt.groups()
        print(f"--- {vm}: {frames} frames ({ram_frames} RAM, {vmm} VMM) in colours {colours} "
              f"of {count}: {per}; {outside} outside", flush=True)
        assert colours == want[vm] and count == "16", f"{vm}'s colours: {colours} of {count}"
        assert outside == "0" and unreadable == "0" and verdict == "ok", mt.group(0)
        assert int(ram_frames) == ram[vm] << 8, f"{vm}: {ram_frames} RAM frames"
        assert int(vmm) > 0 and int(frames) == int(ram_frames) + int(vmm)
        in_colours(vm, per, int(frames))
        # its channels' frames, read back on the same start (the admin prints them next)
        if channels[vm] is None:
            return
        mt, _ = m.wait(chan_rx.replace(r"(\w+)", vm, 1), 5, seen=seen)
        frames, net, disk, outside, colours, count, unreadable, per, verdict = mt.groups()
        print(f"--- {vm}: channels {frames} frames ({net} net, {disk} disk) in colours "
              f"{colours}: {per}; {outside} outside", flush=True)
        assert (int(net), int(disk)) == channels[vm], mt.group(0)
        assert colours == want[vm] and outside == "0" and unreadable == "0" and \
            verdict == "ok", mt.group(0)
        assert int(frames) == int(net) + int(disk)
        in_colours(vm, per, int(frames))

    def boot():
        for vm in want:
            m.wait(rf"^admin: {vm} started \(boot 1\)", 120, seen=True)
            readback(vm, 5)
        assert not any(re.match(r"^admin: blue: channel read-back", l) for _, l in m.seen), \
            "blue has no channels, yet the admin read some back"
        for vm in want:
            m.wait(rf"^\[{vm}\] stdvmm-guest: ready", 600, seen=True)
        m.wait(r"^\[blue\] tick 1 ", 60, seen=True)
        for vm in ("red", "green"):
            m.wait(rf"^switch: .*port \d \({vm}\) attached", 5, seen=True)
        m.wait(r"^blkserver: .*client 0 \(red\) attached", 5, seen=True)
        boot_s = {vm: next(t for t, l in m.seen if l.startswith(f"[{vm}] stdvmm-guest: ready"))
                  for vm in want}
        print("--- ready after (s, QEMU TCG, from QEMU's start): " +
              ", ".join(f"{vm} {t:.1f}" for vm, t in boot_s.items()), flush=True)

    def network():
        red_fetches_from_green(m, "through the switch, coloured channels")

    def disk():
        # blk_region.sh's beta on red's 16 MiB, as --scenario blk checks beta
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta serial=(\S+) ro=(\d) sectors=(\d+)", 120,
                       seen=True)
        assert mt.groups() == ("red-data", "0", str(16 << 11)), mt.group(0)
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta nonzero_bytes_at_start=(\d+)", 120, seen=True)
        assert mt.group(1) == "0", f"red's region did not start zeroed: {mt.group(0)}"
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta pattern (\w+)", 120, seen=True)
        assert mt.group(1) == "ok", mt.group(0)
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta past_end_bytes=(\d+)", 60, seen=True)
        assert mt.group(1) == "0", f"red read past its region: {mt.group(0)}"
        for _ in range(2):
            mt, _ = m.wait(r"^\[red\] stdvmm-test: beta tick \d+ (\w+)", 120)
            assert mt.group(1) == "ok", mt.group(0)

    def restart():
        m.send("restart green")
        m.wait(r"^admin: green stopped", 60)
        readback("green", 120, seen=False)
        m.wait(r"^admin: green started \(boot 2\)", 10, seen=True)
        ticks = m.wait_counting(r"^\[green\] stdvmm-guest: ready", r"^\[(red|blue)\] .*tick", 600)
        assert ticks > 0, "red and blue stalled while green was rebuilt"
        m.wait(r"^\[red\] stdvmm-test: tick \d+ reply from 10\.0\.0\.1", 120)

    check("colour boot: every frame of red, green and blue (RAM, VMM, and red's and green's "
          "channels) reads back in its own colours; all three boot", boot)
    check("colour net: red pings green and fetches 4 MiB over TCP through coloured channels, "
          "checksums match", network)
    check("colour disk: red's region of the board's disk through its coloured channel: zeroed "
          "start, pattern at both ends reads back, nothing past its end", disk)
    check("colour restart: green's frames made again, RAM, VMM and channels in its colours; "
          "red and blue go on, red's pings reach green again", restart)


def iommu_scenario(m, check):
    """Image from iommu.yaml, QEMU with blk_disk_args(): red's virtio devices behind the
    virtio-iommu in its VMM (a NIC on lan, a region of the board's disk), green without."""
    def values(vm, key, timeout):
        mt, _ = m.wait(rf"^\[{vm}\] stdvmm-test: {key}=(.*)$", timeout, seen=True)
        return mt.group(1).strip()

    def bound():
        m.wait(r"^\[red\] stdvmm-guest: ready", 600, seen=True)
        m.wait(r"^\[green\] stdvmm-guest: ready", 600, seen=True)
        assert values("red", "iommu_driver", 120) == "1", "the virtio-iommu driver is not bound"
        cls = values("red", "iommu_class", 5)
        assert cls, "nothing in red's /sys/class/iommu"
        members = values("red", "iommu_members", 5).split()
        assert len([d for d in members if "virtio_mmio" in d]) >= 2, \
            f"red's disk and NIC are not both in IOMMU groups: {members}"
        m.wait(r"^\[red\] stdvmm-test: dmesg: .*virtio_iommu virtio\d+: page mask", 30,
               seen=True)
        m.wait(r"^\[red\] stdvmm-test: dmesg: .*Adding to iommu group 1$", 30, seen=True)
        dmesg = [l for _, l in m.seen if l.startswith("[red] stdvmm-test: dmesg: ")]
        assert not any(l.startswith("[green] stdvmm-test: iommu") for _, l in m.seen)
        print(f"--- red: /sys/class/iommu {cls}; in IOMMU groups: {' '.join(members)}",
              flush=True)
        for l in dmesg[2:6]:
            print(f"--- {l}", flush=True)

    def disk():
        # blk_region.sh's beta on red's 16 MiB, as --scenario colour checks it
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta serial=(\S+) ro=(\d) sectors=(\d+)", 120,
                       seen=True)
        assert mt.groups() == ("red-data", "0", str(16 << 11)), mt.group(0)
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta pattern (\w+)", 120, seen=True)
        assert mt.group(1) == "ok", mt.group(0)
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta past_end_bytes=(\d+)", 60, seen=True)
        assert mt.group(1) == "0", f"red read past its region: {mt.group(0)}"
        mt, _ = m.wait(r"^\[red\] stdvmm-test: beta tick \d+ (\w+)", 120, seen=True)
        assert mt.group(1) == "ok", mt.group(0)

    def network():
        red_fetches_from_green(m, "(behind the IOMMU)")

    def hostile():
        mt, _ = m.wait(r"^\[red\] stdvmm-test: hostile=(.*)$", 600, seen=True)
        assert mt.group(1) == "ok", f"stdvmm-hostile: {mt.group(1)}"
        refused = [l for _, l in m.seen
                   if re.search(r"virtio-iommu: net0 \(endpoint \d+\) .* refused: outside its "
                                r"mappings; reported to the guest", l)]
        assert refused, "red's VMM reported no refused access of the NIC"
        faults = int(values("red", "guest_faults", 10))
        assert faults >= 1, "red's driver saw no fault event"
        print(f"--- {refused[0]}", flush=True)
        print(f"--- {len(refused)} refusals logged by red's VMM, {faults} fault events in red",
              flush=True)
        # red goes on: its disk's ticks continue, green's server is untouched
        for _ in range(2):
            mt, _ = m.wait(r"^\[red\] stdvmm-test: beta tick \d+ (\w+)", 120)
            assert mt.group(1) == "ok", mt.group(0)
        assert not any(re.match(r"^admin: (red|green) stopped", l) for _, l in m.seen), \
            "a VM stopped"

    check("iommu bound: red's virtio-iommu driver bound, /sys/class/iommu, disk and NIC in "
          "IOMMU groups; green has none", bound)
    check("iommu disk: red's region of the board's disk through the IOMMU: pattern at both "
          "ends reads back, nothing past its end", disk)
    check("iommu net: red (behind the IOMMU) pings green and fetches 4 MiB over TCP, "
          "checksums match", network)
    check("iommu hostile: a driver's rings and buffers outside the NIC's mappings are refused "
          "and reported by red's VMM and to red's driver; red's disk goes on", hostile)


def driver_net_scenario(m, check, data):
    """Image from driver-net.yaml, QEMU with driver_net_args(), serve_http(data)
    running: ndrv owns the board's NIC and puts alpha's frames on it from its Linux."""
    result = {}

    def boot():
        m.wait(r"^admin: ndrv owns net0 \(virtio-mmio at 0x[0-9a-f]+, IRQ \d+\): passthrough",
               60, seen=True)
        m.wait(r"^admin: alpha's NIC is served by the driver VM ndrv", 10, seen=True)
        mt, _ = m.wait(r"^\[ndrv\] stdvmm-test: server eth0 \S+ device=(\S+)", 300, seen=True)
        assert "c000e00.virtio_mmio" in mt.group(1), f"ndrv's eth0 is {mt.group(1)}"
        m.wait(r"^\[ndrv\] stdvmm-netserve: frames go out on eth0", 60, seen=True)
        m.wait(r"^\[ndrv\] stdvmm-netserve: serving port 7201", 300, seen=True)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: client eth0 (\S+) ", 300, seen=True)
        assert mt.group(1) == "52:54:00:00:00:21", f"alpha's MAC is {mt.group(1)}"

    def fetch():
        want = hashlib.sha256(data).hexdigest()
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: client sha256=(\w+) bytes=(\d+)", 900,
                       seen=True)
        assert mt.group(2) == str(len(data)), f"alpha fetched {mt.group(2)} bytes"
        assert mt.group(1) == want, "alpha fetched another checksum"
        rate, _ = m.wait(r"^\[alpha\] stdvmm-test: client tcp \d+ bytes in ([\d.]+) s: "
                         r"([\d.]+) MB/s", 30, seen=True)
        result["tcp"] = rate.group(2)
        print(f"--- alpha fetched {len(data) >> 20} MiB from the host over TCP through the "
              f"driver VM's NIC at {rate.group(2)} MB/s, checksum matches", flush=True)

    def driver_restart():
        m.wait(r"^\[alpha\] stdvmm-test: client round 2 ok", 300, seen=True)
        m.send("stop ndrv")
        t_stop = m.now()
        m.wait(r"^admin: ndrv stopped", 60)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: client round (\d+) error", 120)
        print(f"--- alpha's fetch failed {m.now() - t_stop:.1f} s after 'stop ndrv' "
              f"(round {mt.group(1)})", flush=True)
        assert not any(t >= t_stop and re.match(r"^admin: alpha stopped", l)
                       for t, l in m.seen), "alpha stopped with its driver VM"
        m.send("start ndrv")
        t_start = m.now()
        m.wait(r"^\[ndrv\] stdvmm-netserve: serving port 7201", 300)
        mt, _ = m.wait(r"^\[alpha\] stdvmm-test: client round (\d+) ok", 300)
        result["resume"] = m.now() - t_start
        print(f"--- alpha's fetches work again {m.now() - t_start:.1f} s after 'start ndrv' "
              f"(round {mt.group(1)})", flush=True)
        m.wait(r"^\[alpha\] stdvmm-test: client round \d+ ok", 60)
        m.send("stop alpha")
        m.wait(r"^admin: alpha stopped", 60)

    check("driver-net boot: ndrv owns the board's NIC and serves alpha's from its Linux", boot)
    check("driver-net tcp: alpha fetches 16 MiB from the host through the driver VM", fetch)
    check("driver-net restart: stopping ndrv fails alpha's fetches, starting it resumes them",
          driver_restart)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--log")
    ap.add_argument("--scenario", default="demo",
                    choices=("demo", "smp", "sched", "hybrid", "vmm-threads", "direct", "net",
                             "blk", "paper-hybrid", "passthrough", "driver", "driver-net",
                             "shared", "colour", "colour-shared", "iommu"))
    ap.add_argument("--smp", type=int, default=1, help="QEMU cores (an SMP kernel's count)")
    ap.add_argument("--qsd", action="store_true",
                    help="--scenario driver with an image from driver-qsd.yaml")
    ap.add_argument("--accel", help="QEMU -accel (e.g. tcg,thread=single)")
    ap.add_argument("--tcg-single", action="store_true",
                    help="one host thread for all emulated cores (more cores than the host "
                         "has): --accel tcg,thread=single")
    ap.add_argument("--disk", help="--scenario blk: where to make the board's disk image "
                    "(default: a temporary file); other scenarios: the board's disk to give "
                    "QEMU (e.g. made by tools/sel4/board-disk.py pack)")
    args = ap.parse_args()
    extra, tmp = [], None
    if args.scenario in ("blk", "passthrough", "driver", "colour", "iommu"):
        if args.disk is None:
            tmp = tempfile.TemporaryDirectory()
            args.disk = os.path.join(tmp.name, "disk0.img")
        extra = (blk_disk_args if args.scenario in ("blk", "colour", "iommu")
                 else passthrough_disk_args)(args.disk)
    elif args.scenario == "driver-net":
        extra = driver_net_args()
        net_data = os.urandom(16 << 20)
        serve_http(net_data)
    elif args.disk:
        extra = board_disk_args(args.disk)
    m = Machine(args.image, args.log, args.smp,
                "tcg,thread=single" if args.tcg_single else args.accel, extra)
    passed = failed = 0

    def check(name, fn):
        nonlocal passed, failed
        try:
            fn()
            print(f"=== PASS {name}", flush=True)
            passed += 1
        except (TimeoutError, EOFError, AssertionError) as e:
            print(f"=== FAIL {name}: {e}", flush=True)
            failed += 1

    def boot():
        ready = set()
        while ready != {"ticker1", "ticker2", "oneshot"}:
            mt, _ = m.wait(r"^\[(\w+)\] stdvmm-guest: ready", 180)
            ready.add(mt.group(1))

    def placement():
        """A VM pinned to a core this (one-core) kernel does not have is refused
        when the admin starts, with a message; list shows it unavailable."""
        m.wait(r"^admin: pinned: vCPU 0 placed on core 1; this kernel runs 1 core", 10, seen=True)
        m.send("list")
        m.wait(r"^admin: pinned\s+unavailable.*cores 1  prio 100$", 10)

    def poweroff():
        m.wait(r"^admin: oneshot stopped \(guest powered off\)", 60, seen=True)
        assert not any(re.match(r"^admin: ticker\d stopped", l) for _, l in m.seen), \
            "a ticker stopped"
        # the tickers go on
        m.wait(r"^\[ticker1\] tick", 10)
        m.wait(r"^\[ticker2\] tick", 10)

    def restart():
        m.send("restart ticker2")
        m.wait(r"^admin: ticker2 stopped", 30)
        t_stop = m.now()
        ticks1 = m.wait_counting(r"^\[ticker2\] stdvmm-guest: ready", r"^\[ticker1\] tick", 180)
        print(f"--- ticker1 printed {ticks1} ticks while ticker2 was rebuilt "
              f"({m.now() - t_stop:.1f} s)", flush=True)
        assert ticks1 > 0, "ticker1 stalled during the restart"
        m.wait(r"^\[ticker2\] tick 1 ", 30)

    def wild():
        m.send("start wild")
        _, read = m.wait(r"^admin: wild stopped", 180)
        assert any("cannot be emulated" in l or "instruction fetch" in l for l in read), \
            "no message saying why wild stopped"
        m.wait(r"^\[ticker1\] tick", 10)
        m.wait(r"^\[ticker2\] tick", 10)

    def reboot():
        m.send("start bouncer")
        m.wait(r"^admin: bouncer stopped \(guest reset\)", 180)
        m.wait(r"^admin: bouncer: guest reset: rebuilding it", 10)
        m.wait(r"^admin: bouncer started \(boot 2\)", 60)
        m.wait(r"^\[bouncer\] stdvmm-guest: ready", 180)
        m.send("stop bouncer")
        m.wait(r"^admin: bouncer stopped \(stopped from the console\)", 60)

    def virtio_console():
        m.send("start hvc")
        _, read = m.wait(r"^\[hvc\] stdvmm-test: virtio_console ok", 180)
        assert any(re.match(r"^\[hvc\] stdvmm-guest: ready", l) for l in read), \
            "the guest's /init did not report ready on hvc0"
        assert any(re.match(r"^\[hvc\] stdvmm-test: virtio device 0x0003 driver virtio_console",
                            l) for l in read), "the guest found no virtio-console device"
        payload = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?"
        seq = [l for l in read if l.startswith("[hvc] stdvmm-test: seq ")]
        want = [f"[hvc] stdvmm-test: seq {i} {payload}" for i in range(1, 21)]
        assert seq == want, f"numbered lines lost, reordered or damaged: {seq!r}"
        m.wait(r"^admin: hvc stopped \(guest powered off\)", 60)

    def virtio_blk():
        m.send("start blk")
        _, read = m.wait(r"^\[blk\] stdvmm-test: virtio_blk done", 180)
        values = dict(re.match(r"^\[blk\] stdvmm-test: (\w+)=(.*)$", l).groups()
                      for l in read if re.match(r"^\[blk\] stdvmm-test: \w+=", l))
        print(f"--- blk: {values}", flush=True)
        assert values.get("serial") == "sel4-demo-disk", "the guest read another serial"
        assert values.get("ro") == "1", "the disk is not read-only in the guest"
        assert values.get("sectors") == str(8 << 11), "the disk is not 8 MiB in the guest"
        assert values.get("hello", "").startswith("hello from a read-only disk"), \
            "the file system's greeting did not come through"
        assert values.get("data") == "ok", f"2 MiB read back wrong: {values.get('data')}"
        assert values.get("write") == "refused", "a write to the read-only disk was accepted"
        m.wait(r"^admin: blk stopped \(guest powered off\)", 60)

    def stop_and_list():
        m.send("stop ticker1")
        m.wait(r"^admin: ticker1 stopped \(stopped from the console\)", 30)
        m.send("list")
        m.wait(r"^admin: wild\s", 10)
        _, read = m.wait(r"^\[ticker2\] tick", 10)
        assert not any(l.startswith("[ticker1]") for l in read[1:]), "ticker1 still prints"

    if args.scenario != "demo":
        if args.scenario == "smp":
            smp_scenario(m, check, args.smp)
        elif args.scenario == "net":
            net_scenario(m, check)
        elif args.scenario == "blk":
            blk_scenario(m, check, args.disk)
        elif args.scenario == "passthrough":
            passthrough_scenario(m, check, args.disk)
        elif args.scenario == "driver":
            driver_scenario(m, check, args.disk, args.qsd)
        elif args.scenario == "driver-net":
            driver_net_scenario(m, check, net_data)
        elif args.scenario == "shared":
            shared_scenario(m, check)
        elif args.scenario == "colour":
            colour_scenario(m, check)
        elif args.scenario == "colour-shared":
            colour_shared_scenario(m, check)
        elif args.scenario == "iommu":
            iommu_scenario(m, check)
        else:
            scenario = {"sched": sched_scenario, "hybrid": hybrid_scenario,
                        "vmm-threads": vmm_threads_scenario, "direct": direct_scenario,
                        "paper-hybrid": paper_hybrid_scenario}
            scenario[args.scenario](m, check)
        m.close()
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1

    check("boot: three Debian guests reach 'stdvmm-guest: ready'", boot)
    check("placement: a VM pinned to a core the kernel lacks is refused", placement)
    check("poweroff: PSCI SYSTEM_OFF stops only that VM", poweroff)
    check("restart: ticker2 rebuilt while ticker1 keeps printing", restart)
    check("fault: a guest touching unbacked memory stops alone", wild)
    check("reset: PSCI SYSTEM_RESET rebuilds the VM", reboot)
    check("virtio: a guest whose console is virtio-console (hvc0) on seL4", virtio_console)
    check("virtio: a read-only virtio-blk disk served by the VMM on seL4", virtio_blk)
    check("stop and list from the console", stop_and_list)
    m.close()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
