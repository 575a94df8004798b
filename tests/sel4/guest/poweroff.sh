#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 demos: nothing to do; /init then powers off, which
# must reach the VMM as PSCI SYSTEM_OFF and stop only this VM.
echo "poweroff test: powering off now"
