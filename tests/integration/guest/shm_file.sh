#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest half of shared_region_file: region host (rw) holds the host's note;
# the guest answers with 1 MiB in its second half. Region ro is read-only:
# the guest's write to it must be refused.
set -eu
echo "stdvmm-test: regions=$(stdvmm-shm list | sort | tr '\n' ' ')"
echo "stdvmm-test: host=$(stdvmm-shm info host)"
echo "stdvmm-test: note=$(stdvmm-shm read host 0 15)"
dd if=/dev/urandom of=/tmp/msg bs=1048576 count=1 2>/dev/null
stdvmm-shm write host 1048576 </tmp/msg
echo "stdvmm-test: sha=$(sha256sum /tmp/msg | cut -d' ' -f1)"
echo "stdvmm-test: ro_note=$(stdvmm-shm read ro 0 9)"
echo "stdvmm-test: poke=$(stdvmm-shm poke ro 0 88)"
