#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A description whose VMs' cache colours overlap fails the seL4 build's
# configure step, with gen-vm-table's reason naming both VMs and their YAML
# lines; the same description with disjoint colours configures. Likewise a
# shared region in a colour of a member that keeps its colours to itself,
# and the same region in colours of its own. Local, like
# run-demo.py: it needs the seL4 checkouts.
#
#   tests/sel4/colour-refusal.sh SEL4_SRC SYSROOT
#
# SEL4_SRC holds README's checkouts (seL4, seL4_tools, util_libs, pyfdt);
# SYSROOT is tools/cross/aarch64-sysroot.sh's last line; STDVMM_GUEST_KIT
# names a kit from tools/sel4/build-demo-kit.sh.
set -eu
[ $# -eq 2 ] || { sed -n 3,14p "$0"; exit 2; }
src=$(realpath "$1")
sysroot=$2
: "${STDVMM_GUEST_KIT:?set STDVMM_GUEST_KIT (tools/sel4/build-demo-kit.sh --out DIR)}"
here=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=/usr/bin:$PATH PYTHONPATH=$src/pyfdt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configure() { # description, build dir
    cmake -G Ninja -S "$here/src/port/sel4" -B "$2" -DSEL4_KERNEL="$src/seL4" \
        -DSEL4_TOOLS="$src/seL4_tools" -DSEL4_UTIL_LIBS="$src/util_libs" \
        -DSTDVMM_AARCH64_SYSROOT="$sysroot" -DSTDVMM_SEL4_SYSTEM="$1" \
        -DSTDVMM_GUEST_KIT="$STDVMM_GUEST_KIT" >"$2.log" 2>&1
}

# blue's colours 8-11 become 3,9: colour 3 is red's too (line 32 of the example).
sed 's/colours: "8-11"/colours: [3, 9]/' "$here/src/port/sel4/examples/coloured.yaml" \
    >"$tmp/overlap.yaml"
want="vms: red (vms\[0\].colours (line 32)) and blue (vms\[2\].colours (line 49)) share colours 3"
fail=0
if configure "$tmp/overlap.yaml" "$tmp/overlap"; then
    echo "FAIL overlapping colours: configured"; fail=1
elif tr -s ' \n' '  ' <"$tmp/overlap.log" | grep -q "$want"; then
    # CMake wraps the message: read it as one line.
    echo "PASS overlapping colours: configure refused: $(tr -s ' \n' '  ' <"$tmp/overlap.log" |
        grep -o 'gen-vm-table: vms: red.*share_colours: true')"
else
    echo "FAIL overlapping colours: refused without the reason:"; tail -20 "$tmp/overlap.log"; fail=1
fi
if configure "$here/src/port/sel4/examples/coloured.yaml" "$tmp/disjoint"; then
    echo "PASS disjoint colours: configured"
else
    echo "FAIL disjoint colours: not configured:"; tail -20 "$tmp/disjoint.log"; fail=1
fi
# A shared region's colours 12-13 become 5: writer's own, and writer does not share.
sed 's/colours: \[12-13\]/colours: [5]/' "$here/src/port/sel4/examples/coloured-shared.yaml" \
    >"$tmp/region.yaml"
want="shared region chan (shared_regions\[0\].colours (line 22)) has colours 5 of writer"
want="$want (vms\[0\].colours (line 33)), a member that does not say share_colours: true"
if configure "$tmp/region.yaml" "$tmp/region"; then
    echo "FAIL region in a member's colours: configured"; fail=1
elif tr -s ' \n' '  ' <"$tmp/region.log" | grep -q "$want"; then
    echo "PASS region in a member's colours: configure refused: $(tr -s ' \n' '  ' \
        <"$tmp/region.log" | grep -o 'gen-vm-table: shared region chan.*or shared')"
else
    echo "FAIL region in a member's colours: refused without the reason:"
    tail -20 "$tmp/region.log"; fail=1
fi
if configure "$here/src/port/sel4/examples/coloured-shared.yaml" "$tmp/region-ok"; then
    echo "PASS region in colours of its own: configured"
else
    echo "FAIL region in colours of its own: not configured:"; tail -20 "$tmp/region-ok.log"
    fail=1
fi
exit $fail
