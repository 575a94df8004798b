#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# integration-arches: manual
# What the seccomp filters cost (a measurement, not a test; run by hand,
# staged with lib/ into a suite for tools/testhost/run-suite.sh): the same
# guest booted with --seccomp=kill and --seccomp=off, alternating (ABBA),
# reading a 32 MiB virtio-blk disk and writing 16 MiB with fsync; medians
# of launch-to-exit time, the VMM's CPU time, and the guest's read and
# write times, with kill/off ratios. Six boots take about 200 s of the
# test host's emulated time: run it with run-suite.sh --timeout 400.
set -eu
# shellcheck source=tests/integration/cases/lib/guest.sh
. "${0%/*}/lib/guest.sh"
RUNS=${RUNS:-3}
VM_MEMORY=256M
disk=$TEST_TMP/disk.img
dd if=/dev/urandom of="$disk" bs=1M count=32 2>/dev/null
# Children's user+system CPU ticks of this shell so far (/proc/PID/stat fields 16, 17).
child_ticks() { awk '{ print $16 + $17 }' /proc/$$/stat; }
one() { # MODE
	t0=$(child_ticks)
	run_vm "stdvmm.test=sandbox_cost" --disk "path=$disk" --seccomp="$1"
	t1=$(child_ticks)
	expect_rc 0 "guest powered off ($1)"
	expect_line "stdvmm-test: sandbox_cost ok"
	echo "DATA $1 wall_ds=$(echo "$VM_SECONDS" | awk '{ printf "%d", $1 * 10 }') cpu_ticks=$((t1 - t0))" \
		"read_cs=$(serial_value read_cs) write_cs=$(serial_value write_cs)" | tee -a "$TEST_TMP/data"
}
: >"$TEST_TMP/data"
i=0
while [ $i -lt "$RUNS" ]; do
	if [ $((i % 2)) = 0 ]; then one kill; one off; else one off; one kill; fi
	i=$((i + 1))
done
cat "$TEST_TMP/data"
median() { # MODE KEY
	grep "^DATA $1 " "$TEST_TMP/data" | sed "s/.* $2=\([0-9]*\).*/\1/" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-24s %8s %8s %7s\n' "median of $RUNS runs" kill off ratio
for k in wall_ds cpu_ticks read_cs write_cs; do
	a=$(median kill $k)
	b=$(median off $k)
	printf '%-24s %8s %8s %7s\n' "$k" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')"
done
echo "PASS: measured (see the table)"
