# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# Helpers of the benchmarks' inside halves (busybox sh in the test host),
# staged next to them as lib/bench.sh by bench/lib/driver.sh.

# kvmtool's lkvm, when the driver staged one beside stdvmm (--kvmtool):
# run-suite.sh --vmm-bin puts it there.
KVMTOOL=$(dirname "${STDVMM:-.}")/lkvm

# have_kvmtool: whether a kvmtool was staged.
have_kvmtool() {
	[ -x "$KVMTOOL" ]
}

# lkvm_run ARGS...: execs `lkvm run ARGS` (call it in the background or a
# subshell: the caller's pid becomes kvmtool's, taskset and env exec too),
# the whole process on the CPUs LKVM_CPUS when set (kvmtool has no
# placement of its own: this is the operator's taskset). lkvm keeps its
# control sockets under $HOME/.lkvm: here with the case's other files in
# TEST_TMP.
lkvm_run() {
	if [ -n "${LKVM_CPUS:-}" ]; then
		exec taskset -c "$LKVM_CPUS" env HOME="$TEST_TMP" "$KVMTOOL" run "$@"
	fi
	exec env HOME="$TEST_TMP" "$KVMTOOL" run "$@"
}

# abba RUNS FUNC: runs FUNC stdvmm I and FUNC qemu I for I = 1..RUNS, the
# order swapped every other run (ABBA), so that neither VMM always runs
# first and a host that slows down over time does not favour one; with a
# staged kvmtool, FUNC kvmtool I after each pair.
abba() {
	_i=1
	while [ "$_i" -le "$1" ]; do
		if [ $((_i % 2)) -eq 1 ]; then
			"$2" stdvmm "$_i"
			"$2" qemu "$_i"
		else
			"$2" qemu "$_i"
			"$2" stdvmm "$_i"
		fi
		! have_kvmtool || "$2" kvmtool "$_i"
		_i=$((_i + 1))
	done
}

# median FILE COLUMN VMM FLOOR: the median of COLUMN over FILE's lines whose
# first field is VMM, counting only values above FLOOR (the marker of "not
# measured"); "-" when there is none.
median() {
	awk -v c="$2" -v v="$3" -v f="$4" '$1 == v && $c > f + 0 { print $c }' "$1" | sort -n |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			print m }'
}

# ratio_row FORMAT FILE FLOOR LABEL COLUMN: one table row, printf FORMAT
# with the label, stdvmm's median, QEMU's and stdvmm/QEMU.
ratio_row() {
	_s=$(median "$2" "$5" stdvmm "$3")
	_q=$(median "$2" "$5" qemu "$3")
	awk -v fmt="$1" -v l="$4" -v s="$_s" -v q="$_q" 'BEGIN {
		r = (s != "-" && q != "-" && q + 0 > 0) ? sprintf("%.2f", s / q) : "-"
		printf fmt, l, s, q, r }'
}

# kvmtool_cols FORMAT FILE FLOOR COLUMN: what follows ratio_row on a line
# with kvmtool, printf FORMAT with kvmtool's median and kvmtool/QEMU.
kvmtool_cols() {
	_k=$(median "$2" "$4" kvmtool "$3")
	_q=$(median "$2" "$4" qemu "$3")
	awk -v fmt="$1" -v k="$_k" -v q="$_q" 'BEGIN {
		r = (k != "-" && q != "-" && q + 0 > 0) ? sprintf("%.2f", k / q) : "-"
		printf fmt, k, r }'
}

# bench_tap_up IF ADDR: waits (up to a minute) for the TAP IF that a VMM
# started in the background opens, then gives it ADDR (the host's end, that
# the bench guest waits for) and brings it up.
bench_tap_up() {
	_n=0
	until ip link show "$1" >/dev/null 2>&1; do
		_n=$((_n + 1))
		[ $_n -lt 300 ] || break
		sleep 0.2
	done
	ip addr add "$2" dev "$1" 2>/dev/null || true
	ip link set "$1" up 2>/dev/null || true
}

# smaps_dump LABEL PID: where a VMM process's memory is, for every VMM
# alike. One "SMAPS LABEL" line per mapping with resident pages (KiB:
# size, Rss, Anonymous, AnonHugePages; perms; name or [anon]), the
# process's Rss* and thread count ("SMAPS-STATUS") and its threads' names
# ("SMAPS-THREADS").
smaps_dump() {
	awk -v l="$1" '
		function flush() { if (have && rss > 0) printf "SMAPS %s %s %d %d %d %d %s %s\n", l, range, size, rss, anon, thp, perms, name }
		/^[0-9a-f]+-[0-9a-f]+ / { flush(); have = 1; range = $1; perms = $2
			name = NF >= 6 ? $6 : "[anon]"; size = rss = anon = thp = 0; next }
		$1 == "Size:" { size = $2 } $1 == "Rss:" { rss = $2 }
		$1 == "Anonymous:" { anon = $2 } $1 == "AnonHugePages:" { thp = $2 }
		END { flush() }' "/proc/$2/smaps" 2>/dev/null
	awk -v l="$1" '$1 ~ /^(VmRSS|RssAnon|RssFile|RssShmem|Threads):$/ { s = s " " $1 $2 }
		END { printf "SMAPS-STATUS %s%s\n", l, s }' "/proc/$2/status" 2>/dev/null
	printf 'SMAPS-THREADS %s' "$1"
	for _c in /proc/"$2"/task/*/comm; do printf ' %s' "$(cat "$_c" 2>/dev/null)"; done
	echo
}
