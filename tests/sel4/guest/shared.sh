#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 shared-region check (run-demo.py --scenario shared):
# region chan (4 MiB) is mapped by the admin into three VMs' stage 2, with
# doorbells between the members' VMMs. The role comes from the command line:
#   stdvmm.shared=writer  1 MiB at 1M, READY1 at 64, rings the reader; waits
#                         for the reader's ring and reads its 1 MiB at 2M
#   stdvmm.shared=reader  waits for the writer's ring (after a restart, when
#                         none comes, for READY1), reads the writer's 1 MiB,
#                         writes its own at 2M and READY2 at 128, rings back
#   stdvmm.shared=viewer  a read-only member: polls for READY1, reads the
#                         note at 0, then tries to overwrite it
# Every line the host waits for starts with "stdvmm-test:".
dmesg -n 1
role=""
for arg in $(cat /proc/cmdline); do
	case $arg in
	stdvmm.shared=*) role=${arg#stdvmm.shared=} ;;
	esac
done
echo "stdvmm-test: regions=$(stdvmm-shm list | sort | tr '\n' ' ')"
# The guest's RAM as its kernel found it (reader has a memory_map of two regions).
echo "stdvmm-test: ram=$(sed -n 's/^\([0-9a-f]*-[0-9a-f]*\) : System RAM$/\1/p' /proc/iomem | tr '\n' ',' | sed 's/,$//')"
echo "stdvmm-test: chan $(stdvmm-shm info chan)"
# wait_marker OFFSET TEXT: poll the region (no doorbells) for up to 600 s.
wait_marker() {
	for _ in $(seq 600); do
		[ "$(stdvmm-shm read chan "$1" 6)" = "$2" ] && return 0
		sleep 1
	done
	return 1
}
case $role in
writer)
	printf 'hello from writer' | stdvmm-shm write chan 0
	dd if=/dev/urandom of=/tmp/msg bs=1048576 count=1 2>/dev/null
	stdvmm-shm write chan 1048576 </tmp/msg
	echo "stdvmm-test: writer sha256=$(sha256sum /tmp/msg | cut -d' ' -f1)"
	printf READY1 | stdvmm-shm write chan 64
	stdvmm-shm ring chan 1
	if rings=$(stdvmm-shm wait chan 1 600) && wait_marker 128 READY2; then
		echo "stdvmm-test: writer rang=$rings"
		if stdvmm-shm read chan 2097152 1048576 >/tmp/got; then
			echo "stdvmm-test: writer got sha256=$(sha256sum /tmp/got | cut -d' ' -f1)"
		else
			echo "stdvmm-test: writer got nothing: reading chan failed"
		fi
	else
		echo "stdvmm-test: writer got nothing"
	fi
	;;
reader)
	if rings=$(stdvmm-shm wait chan 1 60); then
		echo "stdvmm-test: reader rang=$rings"
	else
		echo "stdvmm-test: reader rang=none"
	fi
	if wait_marker 64 READY1; then
		if stdvmm-shm read chan 1048576 1048576 >/tmp/got; then
			echo "stdvmm-test: reader got sha256=$(sha256sum /tmp/got | cut -d' ' -f1)"
		else
			echo "stdvmm-test: reader got nothing: reading chan failed"
		fi
	else
		echo "stdvmm-test: reader got nothing"
	fi
	dd if=/dev/urandom of=/tmp/msg bs=1048576 count=1 2>/dev/null
	stdvmm-shm write chan 2097152 </tmp/msg
	echo "stdvmm-test: reader sha256=$(sha256sum /tmp/msg | cut -d' ' -f1)"
	printf READY2 | stdvmm-shm write chan 128
	stdvmm-shm ring chan 0
	;;
viewer)
	wait_marker 64 READY1 || echo "stdvmm-test: viewer got nothing"
	echo "stdvmm-test: viewer note=$(stdvmm-shm read chan 0 17)"
	echo "stdvmm-test: viewer poke $(stdvmm-shm poke chan 0 88)"
	echo "stdvmm-test: viewer note_after=$(stdvmm-shm read chan 0 17)"
	;;
esac
echo "stdvmm-test: shared $role done"
