#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of run-demo.py --scenario colour: a coloured VM with a NIC on
# the switch and a region of the board's disk runs both checks at once, the
# disk's (blk_region.sh, stdvmm.blk=ROLE) beside the network's (net.sh,
# stdvmm.net=ROLE,...). Each prints its own "stdvmm-test:" lines.
sh /tests/blk_region.sh &
sh /tests/net.sh
