#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 demos: touch guest-physical addresses nothing backs.
# A single load (busybox devmem: one LDR with a syndrome) reads all-ones, as on
# hardware with nothing decoding the address; a copy through /dev/mem uses
# load pairs without a syndrome, which the VMM cannot emulate: it stops this
# VM, and only this one, with a message.
echo "unmapped test: devmem 0x20000000 reads $(devmem 0x20000000 32 2>&1)"
echo "unmapped test: now a block copy from 0x20000000 (expect this VM to be stopped)"
dd if=/dev/mem of=/dev/null bs=4096 skip=$((0x20000000 / 4096)) count=1 2>&1
echo "unmapped test: still running (the access did not fault)"
