# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the cli_*.sh tests: check WANT_RC WANT_TEXT ARGS... runs
# `$stdvmm run --kernel $kernel --serial off ARGS...` (no VM is created by the
# cases that use it) and sets status=1, saying why, unless it exits WANT_RC
# with WANT_TEXT on stderr. Needs stdvmm, kernel and work set.
status=0
check() {
	want=$1 text=$2
	shift 2
	rc=0
	"$stdvmm" run --kernel "$kernel" --serial off "$@" 2>"$work/err" </dev/null || rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qF -e "$text" "$work/err"; then
		echo "stdvmm run $*: exit $rc (want $want), stderr:"
		cat "$work/err"
		echo "(want it to say: $text)"
		status=1
	fi
}
