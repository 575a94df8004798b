#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Resets the guest; under --no-reboot the VMM must exit with status 4.
echo "stdvmm-test: rebooting"
sync
reboot -f
