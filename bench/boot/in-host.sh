#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The boot benchmark's inside half, run by the test host's /init like a test
# (bench/boot/run.sh stages it with ./measure and ./bench.conf). Boots the
# same guest under stdvmm and under QEMU microvm, alternating (ABBA order, so
# neither always runs first), and prints medians and stdvmm/QEMU ratios.
#
# Absolute times inside an emulated host mean little; the ratios between two
# VMMs in the same host boot are the result.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
# shellcheck source=/dev/null
. "$here/bench.conf" # RUNS CPUS MEMORY_MIB CMDLINE
: "${STDVMM:?} ${QEMU:?} ${QEMU_FIRMWARE:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -x "$STDVMM" ] || { echo "no stdvmm at $STDVMM"; exit 1; }
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }

run_stdvmm() {
	"$here/measure" -o "$TEST_TMP/out.log" -- "$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "$CMDLINE" --cpus "$CPUS" \
		--memory "${MEMORY_MIB}M" --serial tty --no-reboot
}
run_qemu() {
	"$here/measure" -o "$TEST_TMP/out.log" -- "$QEMU" -L "$QEMU_FIRMWARE" -enable-kvm \
		-M microvm -cpu host -m "$MEMORY_MIB" -smp "$CPUS" -nodefaults -no-user-config \
		-display none -no-reboot -serial stdio \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append "$CMDLINE"
}

data=$TEST_TMP/data
: >"$data"
one() { # VMM RUN
	line=$("run_$1")
	echo "DATA vmm=$1 run=$2 $line"
	# Columns for the medians below: vmm ready exit rss utime stime status
	# exits io_exits mmio_exits halt_exits.
	echo "$1 $line" | sed 's/[a-z_]*=//g' >>"$data"
	case $line in
	*ready_ms=-1*) echo "  ($1 run $2: no readiness line; output:)"; tail -n 20 "$TEST_TMP/out.log" ;;
	esac
	case "$line " in
	*" status=0 "*) ;;
	*) echo "  ($1 run $2 did not exit cleanly)" ;;
	esac
}

echo "boot benchmark: $RUNS runs each, $CPUS vCPU(s), $MEMORY_MIB MiB, cmdline '$CMDLINE'"
abba "$RUNS" one

# -1 means "not measured".
row() { ratio_row '%-22s %12s %12s %8s\n' "$data" -1 "$@"; }
fails=$(awk '$7 != 0 || $2 < 0 { n++ } END { print n + 0 }' "$data")
echo
echo "medians of $RUNS runs (stdvmm vs QEMU $("$QEMU" --version | head -n 1 | awk '{ print $4 }') microvm)"
printf '%-22s %12s %12s %8s\n' metric stdvmm qemu ratio
row "launch->ready (ms)" 2
row "launch->exit (ms)" 3
row "peak RSS (KiB)" 4
row "user CPU (ms)" 5
row "system CPU (ms)" 6
row "KVM exits" 8
row "  of which port I/O" 9
row "  of which MMIO" 10
row "  of which HLT" 11
echo
echo "runs that failed (no readiness line or non-zero exit): $fails"
[ "$fails" -eq 0 ]
