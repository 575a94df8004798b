#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Powers off from the test itself (not via /init's fallback), so the case
# proves that the guest's own poweroff ends the VMM with status 0.
echo "stdvmm-test: powering off"
sync
poweroff -f
