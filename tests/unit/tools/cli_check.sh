# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# For the cli_* checks: cli_check OPTION WANT_RC WANT_TEXT VALUE runs
# `stdvmm run` with OPTION VALUE (and a kernel that does not exist) and sets
# status=1, saying why, unless it exits WANT_RC with WANT_TEXT on stderr.
# Needs stdvmm (the binary), work (a directory) and status set.
cli_check() {
	rc=0
	"$stdvmm" run --kernel "$work/no-kernel" --serial off "$1" "$4" 2>"$work/err" </dev/null || rc=$?
	if [ "$rc" -ne "$2" ] || ! grep -qF -e "$3" "$work/err"; then
		echo "stdvmm run $1 $4: exit $rc (want $2), stderr:"
		cat "$work/err"
		echo "(want it to say: $3)"
		status=1
	fi
}
