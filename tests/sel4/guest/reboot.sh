#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Guest side of the seL4 demo: reboot. PSCI SYSTEM_RESET reaches the VMM as a
# reset; the admin rebuilds the VM from scratch (fresh RAM), so this runs again
# on every boot until the VM is stopped from the console.
echo "reboot test: rebooting now"
reboot -f
