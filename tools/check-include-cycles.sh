#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# No include cycles between the project's own files. A cycle means two
# compilation units each need the other, so neither can be read, tested or
# moved on its own; in a layered folder (src/manager, src/description, ...)
# each file stands only on the ones below it. This builds the graph of
# every `#include "..."` between the .c and .h files under include/, src/,
# tests/, tools/ and bench/, where a .c and the .h of the same name in the
# same directory are one node (foo.c including foo.h is no edge), and fails
# listing each cycle with the includes that close it. A header under
# include/ is a node of its own: a layer's public header declares what
# several of its files implement.
#
# The graph sees only what the headers show: one header shared by several
# units hides which of them uses which (the manager's and the
# description's did, before each unit got a header of its own).
#
# Nothing is left out today. src/port/sel4/admin, which another engineer
# is changing, has no cycle now; should it grow one before its headers are
# split, it goes into EXCLUDE below until then.
#
#   tools/check-include-cycles.sh            check; exit 1 listing the cycles
#   tools/check-include-cycles.sh --edges    print the graph instead
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v python3 >/dev/null || { echo "check-include-cycles: python3 not found (Debian package python3)" >&2; exit 1; }

exec python3 - "$top" "$@" <<'PY'
import os
import re
import sys

top = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else ""
if mode not in ("", "--edges"):
    sys.exit("usage: tools/check-include-cycles.sh [--edges]")

ROOTS = ["include", "src", "tests", "tools", "bench"]
# Directories (relative to the top) whose files are not checked.
EXCLUDE = []

files = []
for root in ROOTS:
    for d, dirs, names in os.walk(os.path.join(top, root)):
        rel = os.path.relpath(d, top)
        dirs[:] = sorted(x for x in dirs if not any(
            os.path.join(rel, x) == e or os.path.join(rel, x).startswith(e + "/") for e in EXCLUDE))
        files += [os.path.join(rel, n) for n in sorted(names) if n.endswith((".c", ".h"))]
fileset = set(files)
by_name = {}
for f in files:
    by_name.setdefault(os.path.basename(f), []).append(f)


def resolve(src, name):
    """Where #include "name" in src lands: beside src, then the public and
    source roots, then (for test-only include paths) the one file so named."""
    for base in (os.path.dirname(src), "include", "src"):
        p = os.path.normpath(os.path.join(base, name))
        if p in fileset:
            return p
    candidates = [f for f in by_name.get(os.path.basename(name), []) if f.endswith("/" + name)]
    return candidates[0] if len(candidates) == 1 else None


def node(f):
    stem = os.path.splitext(f)[0]
    if stem + ".c" in fileset and stem + ".h" in fileset:
        return stem + ".[ch]"
    return f


include_re = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)
graph = {}
why = {}  # (from node, to node) -> the first file-level include behind the edge
edges = 0
for f in files:
    with open(os.path.join(top, f), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    for name in include_re.findall(text):
        target = resolve(f, name)
        if target is None:
            continue  # not one of ours (or not found: the compiler says so)
        a, b = node(f), node(target)
        if a == b:
            continue
        edges += 1
        graph.setdefault(a, set()).add(b)
        why.setdefault((a, b), "%s includes \"%s\"" % (f, name))

if mode == "--edges":
    for a in sorted(graph):
        for b in sorted(graph[a]):
            print("%s -> %s" % (a, b))
    sys.exit(0)

# Strongly connected components (Tarjan, iterative): every component of
# more than one node holds at least one cycle.
index, low, on_stack, stack, sccs = {}, {}, set(), [], []
counter = 0
for start in sorted(graph):
    if start in index:
        continue
    work = [(start, iter(sorted(graph.get(start, ()))))]
    index[start] = low[start] = counter
    counter += 1
    stack.append(start)
    on_stack.add(start)
    while work:
        v, it = work[-1]
        advanced = False
        for w in it:
            if w not in index:
                index[w] = low[w] = counter
                counter += 1
                stack.append(w)
                on_stack.add(w)
                work.append((w, iter(sorted(graph.get(w, ())))))
                advanced = True
                break
            if w in on_stack:
                low[v] = min(low[v], index[w])
        if advanced:
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))


def one_cycle(comp):
    """A shortest cycle through the component's first node (breadth-first)."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


if not sccs:
    print("check-include-cycles: %d files, %d include edges between %d nodes, no cycle"
          % (len(files), edges, len(set(graph) | {b for s in graph.values() for b in s})))
    sys.exit(0)
for comp in sccs:
    cycle = one_cycle(comp)
    print("check-include-cycles: cycle: " + " -> ".join(cycle), file=sys.stderr)
    for a, b in zip(cycle, cycle[1:]):
        print("    " + why[(a, b)], file=sys.stderr)
    if len(comp) > len(cycle) - 1:
        print("    (the cycle is part of a knot of %d nodes: %s)" % (len(comp), " ".join(comp)),
              file=sys.stderr)
print("check-include-cycles: %d cycle(s); give the files a direction (move the shared part "
      "down into a lower file, pass a callback, or split the header)" % len(sccs), file=sys.stderr)
sys.exit(1)
PY
