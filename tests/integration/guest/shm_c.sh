#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of shared_region, VM shm-c: a read-only member of board, not
# a member of chan. Reads shm-a's note, then tries to overwrite it.
set -eu
dmesg -n 1
echo "stdvmm-test: regions=$(stdvmm-shm list | sort | tr '\n' ' ')"
if stdvmm-shm info chan >/dev/null 2>&1; then
	echo "stdvmm-test: chan=present"
else
	echo "stdvmm-test: chan=absent"
fi
echo "stdvmm-test: board=$(stdvmm-shm info board)"
note=""
for _ in $(seq 400); do
	note=$(stdvmm-shm read board 0 12)
	[ "$note" = "board from a" ] && break
	sleep 1
done
echo "stdvmm-test: note=$note"
echo "stdvmm-test: poke=$(stdvmm-shm poke board 0 88)"
echo "stdvmm-test: note_after=$(stdvmm-shm read board 0 12)"
echo "stdvmm-test: shm_c done"
sleep 900
