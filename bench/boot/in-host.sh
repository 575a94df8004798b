#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The boot benchmark's inside half, run by the test host's /init like a test
# (bench/boot/run.sh stages it with ./measure and ./bench.conf). Boots the
# same guest under stdvmm and under QEMU (microvm on x86_64, virt on
# aarch64), alternating (ABBA order, so
# neither always runs first), and kvmtool after each pair when bench/boot/run.sh
# staged one (--kvmtool), and prints medians and ratios to QEMU.
#
# Absolute times inside an emulated host mean little; the ratios between two
# VMMs in the same host boot are the result.
set -eu
here=${0%/*}
# shellcheck source=bench/lib/in-host.sh
. "$here/lib/bench.sh"
# shellcheck source=/dev/null
. "$here/bench.conf" # ARCH RUNS CPUS MEMORY_MIB CMDLINE GUEST_VIEW
: "${STDVMM:?} ${QEMU:?} ${QEMU_FIRMWARE:?} ${GUEST_KERNEL:?} ${GUEST_INITRD:?} ${TEST_TMP:?}"
[ -x "$STDVMM" ] || { echo "no stdvmm at $STDVMM"; exit 1; }
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 77; }

# What differs between the architectures: QEMU's machine, and the four exit
# counters of KVM's per-VM debugfs directory in the table (its columns 8-11:
# all exits, then three reasons) with their labels. x86 counts port I/O,
# MMIO and HLT exits; arm64 MMIO exits that reached the VMM (mmio_exit_user)
# or that the kernel handled (mmio_exit_kernel: the vGIC's registers), and
# WFI (the guest's idle).
case ${ARCH:-x86_64} in
aarch64)
	QEMU_MACHINE="virt"
	QEMU_ARGS="-M virt,gic-version=3"
	COUNTERS=exits,mmio_exit_user,mmio_exit_kernel,wfi_exit_stat
	# kvmtool powers an arm64 guest off through PSCI: it exits by itself.
	KVMTOOL_KILL=""
	LABEL9="  of which MMIO to the VMM" LABEL10="  of which MMIO in kernel" LABEL11="  of which WFI"
	;;
*)
	QEMU_MACHINE="microvm"
	QEMU_ARGS="-L $QEMU_FIRMWARE -M microvm"
	COUNTERS=exits,io_exits,mmio_exits,halt_exits
	KVMTOOL_KILL="-k"
	LABEL9="  of which port I/O" LABEL10="  of which MMIO" LABEL11="  of which HLT"
	;;
esac

run_stdvmm() {
	"$here/measure" -c "$COUNTERS" -m "$MEMORY_MIB" -s "$TEST_TMP/stats-stdvmm-$RUN" \
		-p "$TEST_TMP/maps-stdvmm-$RUN" -o "$TEST_TMP/out.log" -- \
		"$STDVMM" run --kernel "$GUEST_KERNEL" \
		--initramfs "$GUEST_INITRD" --cmdline "$CMDLINE" --cpus "$CPUS" \
		--memory "${MEMORY_MIB}M" --serial tty --no-reboot --log-level info \
		2>"$TEST_TMP/err.log"
}
# kvmtool has no ACPI on x86, so it cannot power the guest off: there measure
# kills it once the guest is ready and measured (its exit figures are not
# comparable). On arm64 its 8250 sits at MMIO and the guest finds it by the
# device tree as ttyS0, as under stdvmm.
run_kvmtool() {
	# lkvm keeps its control sockets under $HOME/.lkvm.
	# shellcheck disable=SC2086 # KVMTOOL_KILL is empty or one word
	HOME=$TEST_TMP "$here/measure" -c "$COUNTERS" $KVMTOOL_KILL -m "$MEMORY_MIB" -p "$TEST_TMP/maps-kvmtool-$RUN" -o "$TEST_TMP/out.log" -- "$KVMTOOL" run \
		--kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --params "$CMDLINE" \
		--cpus "$CPUS" --mem "$MEMORY_MIB" --console serial --network mode=none
}
run_qemu() {
	# shellcheck disable=SC2086 # QEMU_ARGS is words
	"$here/measure" -c "$COUNTERS" -m "$MEMORY_MIB" -s "$TEST_TMP/stats-qemu-$RUN" \
		-p "$TEST_TMP/maps-qemu-$RUN" -o "$TEST_TMP/out.log" -- \
		"$QEMU" $QEMU_ARGS -enable-kvm \
		-cpu host -m "$MEMORY_MIB" -smp "$CPUS" -nodefaults -no-user-config \
		-display none -no-reboot -serial stdio \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append "$CMDLINE"
}

data=$TEST_TMP/data
: >"$data"
one() { # VMM RUN
	rm -f "$TEST_TMP/err.log"
	RUN=$2
	line=$("run_$1")
	# Returns from KVM_RUN to the VMM: only stdvmm counts its own (-1: not known).
	vmm_exits=-1
	[ ! -e "$TEST_TMP/err.log" ] || vmm_exits=$(awk '/exits reached the VMM/ {
		n += $(NF - 4); c++ } END { print c ? n : -1 }' "$TEST_TMP/err.log")
	line="$line vmm_exits=$vmm_exits"
	echo "DATA vmm=$1 run=$2 $line"
	# Columns for the medians below: vmm ready exit rss utime stime status
	# exits, COUNTERS' three reasons, run_cpu ready_cpu priv threads fds
	# priv_file priv_anon vmm_exits.
	echo "$1 $line" | sed 's/[a-z_]*=//g' >>"$data"
	case $line in
	*ready_ms=-1*) echo "  ($1 run $2: no readiness line; output:)"; tail -n 20 "$TEST_TMP/out.log" ;;
	esac
	case "$1 $KVMTOOL_KILL $line " in
	"kvmtool -k"*) ;; # killed on purpose
	*" status=0 "*) ;;
	*) echo "  ($1 run $2 did not exit cleanly)" ;;
	esac
}
# guest_view VMM: one boot whose guest prints its view of the machine
# (tests/integration/guest/guest_view.sh) into $TEST_TMP/view-VMM; every
# line goes to the results as a DATA line.
guest_view() {
	_cmdline=$CMDLINE
	CMDLINE="$CMDLINE stdvmm.test=guest_view" # the last stdvmm.test= wins
	RUN=view
	"run_$1" >/dev/null || true
	CMDLINE=$_cmdline
	rm -f "$TEST_TMP/stats-$1-view" "$TEST_TMP/maps-$1-view"
	tr -d '\r' <"$TEST_TMP/out.log" | grep '^view: ' >"$TEST_TMP/view-$1" || true
	sed "s/^/DATA vmm=$1 /" "$TEST_TMP/view-$1"
}
if [ "${GUEST_VIEW:-0}" = 1 ]; then
	guest_view stdvmm
	guest_view qemu
	echo "guest view: lines only under stdvmm (<) and only under QEMU (>)"
	grep -vxF -f "$TEST_TMP/view-qemu" "$TEST_TMP/view-stdvmm" | sed 's/^/< /'
	grep -vxF -f "$TEST_TMP/view-stdvmm" "$TEST_TMP/view-qemu" | sed 's/^/> /'
	echo
fi

echo "boot benchmark: $RUNS runs each, $CPUS vCPU(s), $MEMORY_MIB MiB, cmdline '$CMDLINE'"
abba "$RUNS" one

# -1 means "not measured".
if have_kvmtool; then
	row() {
		ratio_row '%-26s %12s %12s %8s' "$data" -1 "$@"
		kvmtool_cols ' %12s %8s\n' "$data" -1 "$2"
	}
	head='%-26s %12s %12s %8s %12s %8s\n'
	title="metric stdvmm qemu ratio kvmtool k/qemu"
else
	row() { ratio_row '%-26s %12s %12s %8s\n' "$data" -1 "$@"; }
	head='%-26s %12s %12s %8s\n'
	title="metric stdvmm qemu ratio"
fi
# A killed kvmtool (x86) counts as failed only without a readiness line.
fails=$(awk -v killed="$KVMTOOL_KILL" '($1 == "kvmtool" && killed != "" ? $2 < 0 : $7 != 0 || $2 < 0) { n++ }
	END { print n + 0 }' "$data")
echo
echo "medians of $RUNS runs (stdvmm vs QEMU $("$QEMU" --version | head -n 1 | awk '{ print $4 }') $QEMU_MACHINE)"
# shellcheck disable=SC2086 # the title's words are the columns
printf "$head" $title
row "launch->ready (ms)" 2
row "launch->exit (ms)" 3
row "peak RSS (KiB)" 4
row "user CPU (ms)" 5
row "system CPU (ms)" 6
row "KVM exits" 8
row "$LABEL9" 9
row "$LABEL10" 10
row "$LABEL11" 11
row "exits to the VMM" 19
row "VMM CPU exec->1st run (ms)" 12
row "VMM CPU exec->ready (ms)" 13
row "VMM private RSS (KiB)" 14
row "  of which files" 17
row "  of which anonymous" 18
row "threads at ready" 15
row "fds at ready" 16

# Every counter of KVM's per-VM debugfs directory (exit reasons, page
# faults, TLB flushes...): where the two VMMs' guests differ, and by how much.
stat_median() { # VMM NAME
	cat "$TEST_TMP"/stats-"$1"-* 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }' | sort -n |
		awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'
}
if ls "$TEST_TMP"/stats-stdvmm-* >/dev/null 2>&1; then
	# Every exit counter this architecture's KVM keeps, whatever the
	# difference: the table's rows name only three reasons.
	echo
	echo "KVM exit counters by reason, medians (every counter named *exit*)"
	printf '%-26s %12s %12s %8s\n' counter stdvmm qemu ratio
	for name in $(cat "$TEST_TMP"/stats-stdvmm-* | awk '$1 ~ /exit/ { print $1 }' | sort -u); do
		awk -v n="$name" -v s="$(stat_median stdvmm "$name")" -v q="$(stat_median qemu "$name")" \
			'BEGIN { r = (s != "-" && q != "-" && q + 0 > 0) ? sprintf("%.2f", s / q) : "-"
			printf "%-26s %12s %12s %8s\n", n, s, q, r }'
	done
	echo
	echo "KVM per-VM counters, medians, where stdvmm and QEMU differ by 10% and by 1000 or more"
	printf '%-26s %12s %12s %8s\n' counter stdvmm qemu ratio
	for name in $(cat "$TEST_TMP"/stats-stdvmm-* | awk '{ print $1 }' | sort -u); do
		awk -v n="$name" -v s="$(stat_median stdvmm "$name")" -v q="$(stat_median qemu "$name")" \
			'BEGIN { if (s == "-" || q == "-") exit
			d = s - q; if (d < 0) d = -d
			if (d < 1000 || d * 10 < (q > s ? q : s)) exit
			# Not inside printf: busybox awk takes its ">" for a redirection.
			r = q > 0 ? sprintf("%.2f", s / q) : "-"
			printf "%-26s %12s %12s %8s\n", n, s, q, r }'
	done
fi
# Where each VMM's private memory is (its first run): by mapping name,
# anonymous ones together, the largest first; every mapping as a DATA line.
for vmm in stdvmm qemu kvmtool; do
	maps=$TEST_TMP/maps-$vmm-1
	[ -s "$maps" ] || continue
	sed "s/^/DATA maps vmm=$vmm /" "$maps"
	echo
	echo "$vmm: private KiB at ready by mapping (run 1; files are the program and its libraries)"
	awk '{ s[$4] += $1 } END { for (n in s) print s[n], n }' "$maps" |
		sort -rn | head -n 12 | awk '{ printf "%10s  %s\n", $1, $2 }'
done
echo
echo "runs that failed (no readiness line or non-zero exit): $fails"
[ "$fails" -eq 0 ]
