#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The seL4 SMP scenario (run-demo.py --scenario smp) on kernels of 1, 2 and 4
# cores, one after the other, and the boot-to-userspace figures side by side.
#
#   tests/sel4/smp-cores.sh SEL4_SRC OUT [CORES...]     (default CORES: 1 2 4)
#
# SEL4_SRC holds the checkouts of README's "Running on seL4" (seL4, seL4_tools,
# util_libs, pyfdt); STDVMM_GUEST_KIT names a kit from
# tools/sel4/build-demo-kit.sh. OUT gets a build per core count and the logs.
#
# Why the kernel is a modified copy: seL4 1326364b spins for its big lock
# with an empty arch_pause() on Arm (its own "TODO"). Emulated cores that spin
# without a hint starve the lock's holder when QEMU runs more cores than the
# host has (two here): with multi-threaded TCG four cores never got a guest
# to userspace, and with one host thread for all cores (-accel
# tcg,thread=single) each spinner burns its whole time slice. The copy's
# arch_pause() is the YIELD hint, which TCG turns into "run another core";
# on hardware it is a no-op. Nothing else is changed, and the checkout in
# SEL4_SRC is left as it is. Every run uses one host thread for QEMU, so
# the figures of the three kernels compare.
set -eu
[ $# -ge 2 ] || { sed -n 3,10p "$0"; exit 2; }
src=$(realpath "$1")
out=$(mkdir -p "$2" && realpath "$2")
shift 2
cores=${*:-1 2 4}
: "${STDVMM_GUEST_KIT:?set STDVMM_GUEST_KIT (tools/sel4/build-demo-kit.sh --out DIR)}"
here=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=/usr/bin:$PATH PYTHONPATH=$src/pyfdt

kernel=$out/seL4-yield
rm -rf "$kernel"
mkdir -p "$kernel"
git -C "$src/seL4" archive HEAD | tar -x -C "$kernel"
python3 - "$kernel/include/arch/arm/arch/machine.h" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
empty = "static inline void arch_pause(void)\n{\n    /* TODO */\n}"
if empty not in text:
    sys.exit(f"{path}: arch_pause() is not the empty one this script knows; not changed")
open(path, "w").write(text.replace(empty, "static inline void arch_pause(void)\n{\n"
                                          "    asm volatile(\"yield\");\n}"))
EOF
echo "kernel: $(git -C "$src/seL4" rev-parse HEAD) with arch_pause() = yield, in $kernel"

sysroot=$("$here/tools/cross/aarch64-sysroot.sh" | tail -n1)
status=0
for n in $cores; do
    case $n in
    1) system=smp.yaml ;;
    2) system=smp-placed.yaml ;;
    4) system=smp-4core.yaml ;;
    *) echo "no system description for $n cores" >&2; exit 2 ;;
    esac
    b=$out/smp$n
    cmake -G Ninja -S "$here/src/port/sel4" -B "$b" -DSEL4_KERNEL="$kernel" \
        -DSEL4_TOOLS="$src/seL4_tools" -DSEL4_UTIL_LIBS="$src/util_libs" \
        -DSTDVMM_AARCH64_SYSROOT="$sysroot" \
        -DSTDVMM_SEL4_SYSTEM="$here/src/port/sel4/examples/$system" \
        -DSTDVMM_GUEST_KIT="$STDVMM_GUEST_KIT" -DKernelMaxNumNodes="$n" >"$b.configure.log" 2>&1 ||
        { echo "configure of $n cores failed: $b.configure.log" >&2; exit 1; }
    ninja -C "$b" >"$b.build.log" 2>&1 || { echo "build of $n cores failed: $b.build.log" >&2; exit 1; }
    echo "=== $n core(s): $system"
    python3 "$here/tests/sel4/run-demo.py" --scenario smp --smp "$n" --tcg-single \
        --log "$b.qemu.log" "$b/images/stdvmm-sel4-image-arm-qemu-arm-virt" >"$b.out" 2>&1 ||
        status=1
    grep -E '^(=== |--- (boot|quad,|duo after)|[0-9]+ passed)' "$b.out" | sed "s/^/[$n] /"
done
exit $status
