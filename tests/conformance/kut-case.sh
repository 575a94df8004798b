# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Inside the aarch64 or riscv64 test host (busybox sh): runs one
# kvm-unit-tests test under one VMM the way kvm-unit-tests' run_tests.sh
# would (arm/run or riscv/run, scripts/arch-run.bash): smp evaluated with MAX_SMP = the host's CPUs, the
# test's arguments as the kernel command line, the verdict from the
# "EXIT: STATUS=" line the test prints (1 pass, 77 skip, anything else or
# none: fail). Sourced by the generated case scripts, which set:
#   KUT_TEST KUT_VMM (stdvmm|kvmtool) KUT_FILE KUT_SMP (an expression)
#   KUT_ARGS KUT_KVMTOOL_PARAMS KUT_TIMEOUT (seconds) [MAX_SMP]
# STDVMM and TEST_TMP come from the test host's /init; lkvm is beside this file.
: "${KUT_TEST:?} ${KUT_VMM:?} ${KUT_FILE:?} ${TEST_TMP:?}"
kut_dir=${0%/*}
# run_tests.sh: MAX_SMP from the environment, else the host's CPUs.
MAX_SMP=${MAX_SMP:-$(nproc)}
# shellcheck disable=SC2034 # used by the smp expressions
TARGET=kvmtool
smp=$(eval "echo \$(( ${KUT_SMP:-1} ))")
log=$TEST_TMP/$KUT_VMM.log

# kvmtool's memory default (builtin-run.c get_ram_size), so both VMMs give
# a test the same RAM unless the test asks for some.
mem=$((64 * (smp + 3)))

# kvmtool_params are written for kvmtool; stdvmm is given the same machine
# with its own flags. A parameter stdvmm has no counterpart for skips the test.
stdvmm_params() {
	for p in $KUT_KVMTOOL_PARAMS; do
		case $p in
		--pmu) echo "--pmu on" ;;
		--irqchip=gicv2) echo "--irqchip gicv2" ;;
		--irqchip=gicv3) echo "--irqchip gicv3" ;;
		--irqchip=gicv3-its) echo "--irqchip gicv3 --its on" ;;
		--mem=* | --mem) ;; # handled with the memory size
		[0-9]*) ;;          # the value of "--mem N"
		*) echo "UNSUPPORTED $p" ;;
		esac
	done
}
# shellcheck disable=SC2086 # split into words, as run_tests.sh does
set -- $KUT_KVMTOOL_PARAMS
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=$2; shift ;;
	--mem=*) mem=${1#--mem=} ;;
	esac
	shift
done

echo "+ $KUT_TEST under $KUT_VMM: smp=$smp (MAX_SMP=$MAX_SMP) mem=${mem}M args='$KUT_ARGS'"
rc=0
case $KUT_VMM in
stdvmm)
	extra=$(stdvmm_params)
	case $extra in
	*UNSUPPORTED*)
		echo "SKIP: stdvmm has no counterpart for kvmtool's${extra#*UNSUPPORTED}"
		exit 77
		;;
	esac
	echo "+ stdvmm run --kernel $KUT_FILE --cpus $smp --memory ${mem}M --cmdline '$KUT_ARGS' $extra"
	# shellcheck disable=SC2086 # $extra is a list of flags
	timeout -k 5 "${KUT_TIMEOUT:-120}" "$STDVMM" run --kernel "$kut_dir/flat/$KUT_FILE" \
		--cpus "$smp" --memory "${mem}M" --cmdline "$KUT_ARGS" --serial "file=$log" \
		--no-reboot $extra </dev/null 2>"$TEST_TMP/stderr.log" || rc=$?
	;;
kvmtool)
	# scripts/vmm.bash's KVMTOOL_DEFAULT_OPTS, then arm/run's arch_run_kvmtool.
	echo "+ lkvm run --nodefaults --network mode=none --loglevel=warning --kernel $KUT_FILE" \
		"--cpus $smp --params '$KUT_ARGS' $KUT_KVMTOOL_PARAMS"
	# shellcheck disable=SC2086
	timeout -k 5 "${KUT_TIMEOUT:-120}" "$kut_dir/lkvm" run --nodefaults --network mode=none \
		--loglevel=warning --kernel "$kut_dir/flat/$KUT_FILE" --cpus "$smp" \
		--params "$KUT_ARGS" $KUT_KVMTOOL_PARAMS </dev/null >"$log" 2>"$TEST_TMP/stderr.log" ||
		rc=$?
	;;
*)
	echo "unknown VMM $KUT_VMM"
	exit 2
	;;
esac
echo "--- $KUT_VMM stderr:"
cat "$TEST_TMP/stderr.log"
echo "--- console:"
[ -e "$log" ] && cat "$log"
echo "--- $KUT_VMM exit status $rc"
status=$(grep -a '^EXIT: ' "$log" 2>/dev/null | head -n1 | sed 's/.*STATUS=\([0-9][0-9]*\).*/\1/')
case $status in
1) echo "KUT: $KUT_TEST $KUT_VMM PASS"; exit 0 ;;
77) echo "KUT: $KUT_TEST $KUT_VMM SKIP"; exit 77 ;;
'') echo "KUT: $KUT_TEST $KUT_VMM FAIL (no EXIT line; $KUT_VMM exit status $rc)"; exit 1 ;;
*) echo "KUT: $KUT_TEST $KUT_VMM FAIL (STATUS=$status)"; exit 1 ;;
esac
