#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 demo: touch guest-physical addresses nothing backs.
# A single load (busybox devmem: one LDR with a syndrome) reads all-ones, as
# on hardware with nothing decoding the address. A load pair (stdvmm-wild)
# has no syndrome: the VMM cannot emulate it, stops this VM, and only this one.
echo "unmapped test: devmem 0x20000000 reads $(devmem 0x20000000 32 2>&1)"
if [ -x /usr/bin/stdvmm-wild ]; then
	stdvmm-wild 0x20000000
else
	echo "unmapped test: no /usr/bin/stdvmm-wild in this kit (tools/sel4/build-demo-kit.sh)"
fi
echo "unmapped test: still running (the access did not stop the VM)"
